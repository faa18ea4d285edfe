#pragma once
// An experiment file (configs/experiments/*.yaml): which arch, workload and plan, the value
// type and what to check. Paths are relative to the experiment file. Overrides ("--set
// key.path=value") go to the file their first key names: arch.* to the arch file, energy.* to
// its energy table, workload.* to the workload, plan.* to a plan file, experiment.* here.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sw/config/ArchConfig.h"
#include "sw/plan/Plan.h"
#include "sw/runtime/NetworkRunner.h"
#include "sw/workload/Workload.h"

namespace tasdsim::runtime {

// The search section of an experiment (tasdsim search), docs/tasder.md.
struct SearchSpec {
  std::vector<std::string> operands{"W", "A"};
  std::string cost = "macs";            // macs | cycles | energy | edp
  std::string measure = "rel_error";    // rel_error | accuracy
  std::string scope = "network";        // network | per_layer (rel_error)
  double target = 0.05;                 // error, or accuracy fraction of the original
  uint32_t calibrationRows = 64;
  std::vector<double> tauQuantiles{0.25, 0.5};
};

struct Experiment {
  std::string file;
  std::string name;
  config::ArchConfig arch;
  workload::WorkloadSpec workload;
  plan::Plan plan;
  tasd::DType dtype = tasd::DType::F32;
  bool check = true;
  bool timingOnly = false;
  bool hasSearch = false;
  SearchSpec search;
  YAML::Node resolved;  // experiment, arch, energy, workload and plan with defaults filled in

  static Experiment load(const std::string& path, const std::vector<std::string>& overrides);
};

}  // namespace tasdsim::runtime
