#pragma once
// An experiment file (configs/experiments/*.yaml): which arch, workload and plan, the value
// type, the inputs and what to check. Paths are relative to the experiment file. The workload
// is a synthetic workload YAML, a model file (.onnx, .tflite) or the YAML `tasdsim import`
// writes. Overrides ("--set key.path=value") go to the file their first key names: arch.* to
// the arch file, energy.* to its energy table, workload.* to a workload YAML, plan.* to a plan
// file, experiment.* here.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sw/config/ArchConfig.h"
#include "sw/model/Tensor.h"
#include "sw/plan/Plan.h"
#include "sw/runtime/Microcode.h"
#include "sw/workload/Workload.h"

namespace tasdsim::runtime {

// The search section of an experiment (tasdsim search), docs/tasder.md.
struct SearchSpec {
  std::vector<std::string> operands{"W", "A"};
  std::string cost = "macs";          // macs | cycles | energy | edp
  std::string measure = "rel_error";  // rel_error | accuracy
  std::string scope = "network";      // network | per_layer (rel_error)
  double target = 0.05;               // error, or accuracy fraction of the original
  uint32_t calibrationRows = 64;
  std::vector<double> tauQuantiles{0.25, 0.5};
};

// Where a run's input values come from (experiment.input): the workload's own default, a .npy
// file, or one image of the digit protocol (sw/executor/DigitAccuracy.h).
struct InputSpec {
  std::string npy;       // a .npy file holding the (single) model input
  int digit = -1;        // the digit protocol: class 0..9 ...
  size_t index = 0;      // ... and its index within the class
  std::string realdata;  // where scripts/fetch_realdata.sh put the digits
  // The input set, or the workload's default when nothing is given.
  std::vector<model::Tensor> load(const workload::Workload& w) const;
  std::string describe(const workload::Workload& w) const;
};

struct Experiment {
  std::string file;
  std::string name;
  config::ArchConfig arch;
  workload::Workload workload;
  InputSpec input;
  bool saveOutputs = false;  // the network's outputs as <out>/outputs/<name>.npy
  plan::Plan plan;
  tasd::DType dtype = tasd::DType::F32;
  bool check = true;
  // int8 runs: results leave the device requantised to int8 on its output path (static
  // per-channel scales calibrated on the run's input, bias and ReLU fused); false: int32
  // accumulators, quantised per tensor as each layer comes.
  bool int8Output = true;
  // What the tile chooser minimises per layer: its cycle estimate, or energy x cycles.
  MapperObjective mapperObjective = MapperObjective::Cycles;
  bool timingOnly = false;
  bool hasSearch = false;
  SearchSpec search;
  YAML::Node resolved;  // experiment, arch, energy, workload and plan with defaults filled in

  // workloadOverride: a workload file replacing experiment.workload (the command line's).
  static Experiment load(const std::string& path, const std::vector<std::string>& overrides,
                         const std::string& workloadOverride = "");
};

}  // namespace tasdsim::runtime
