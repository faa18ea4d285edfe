#pragma once
// What a run of a workload on the simulated accelerator produces, per layer and for the network.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hw/model/energy/EnergyModel.h"
#include "sw/model/Tensor.h"
#include "sw/runtime/Microcode.h"
#include "sw/tasd/DType.h"
#include "sw/tasd/Metrics.h"

namespace tasdsim::runtime {

struct CheckResult {
  bool performed = false;
  bool passed = true;
  double maxAbsError = 0;
  double relFrobeniusError = 0;
  uint64_t mismatches = 0;
};

struct LayerResult {
  std::string name;
  std::string op;
  bool onAccelerator = false;
  std::string operand;  // W or A
  std::string series;
  double computeFraction = 1;
  uint32_t groups = 1;
  uint64_t m = 0, n = 0, k = 0;  // per group GEMM (m over every image of a convolution)
  uint64_t macs = 0;             // dense MACs of the layer
  uint64_t cycles = 0;
  uint64_t instructions = 0;
  double seconds = 0;
  std::map<std::string, uint64_t> stats;  // counter deltas of this layer
  hw::EnergyBreakdown energy;
  double edp = 0;  // J * s
  CheckResult check;
  bool haveQuality = false;
  tasd::Quality quality;  // of the structured operand's approximation
  double inputDensity = 1;
  float tau = -1;
  std::string tiling;
  // The tile chooser's analytical estimate of the layer's cycles (Microcode.h, chooseTiling):
  // the sum over its GEMMs, the largest over instances. 0 off the accelerator.
  double estimatedCycles = 0;
  // Host wall-clock seconds: the accelerator model's time for this layer (doorbell to
  // completion), and the host's own work for it (the layer's other operators, the executor's
  // lowering, transposes and bias). For speed measurements and the host-time report only,
  // never compared: they are not deterministic.
  double modelWallSeconds = 0;
  double hostWallSeconds = 0;
};

// Whether the layers' results were compared with their references, and how that went. Only a
// run whose every accelerator layer was checked and matched has passed its checks.
enum class Checks {
  Passed,        // every accelerator layer was checked and matches its reference
  Failed,        // some layer does not match its reference
  Off,           // values computed, comparison switched off (experiment.check: false)
  NotPerformed,  // timing only: no values computed, nothing to compare
};
// The stats.json spelling: passed, failed, off, not_performed.
const char* checksName(Checks checks);

struct RunResult {
  std::vector<LayerResult> layers;
  std::string failReason;  // empty on success
  Checks checks = Checks::NotPerformed;
  uint64_t layersChecked = 0;  // accelerator layers compared with their references
  bool checksPassed() const { return checks == Checks::Passed; }
  bool checksPerformed() const { return checks == Checks::Passed || checks == Checks::Failed; }
};

// Post-training int8 quantisation of a layer: the scales of its input activations and of its
// output (bias included), calibrated on the host (value = scale * int8): on data other than the
// test set's in the accuracy protocol, on the run's own input in `tasdsim run`.
struct ActivationScales {
  float input = 0;
  float output = 0;
};

struct RunOptions {
  tasd::DType dtype = tasd::DType::F32;
  bool functional = true;  // compute and check values (false: timing only)
  bool check = true;       // compare every layer with the reference
  // Each layer's reference work (the reference approximation and the check) on a thread of its
  // own while the simulation goes on; false: in line, for runs whose processes already fill
  // the host's cores. The results are the same either way.
  bool referenceThread = true;
  // What the tile chooser minimises (experiment.mapper_objective).
  MapperObjective mapperObjective = MapperObjective::Cycles;
  // Tile choices already made for this accelerator and objective (the preflight's), which the
  // run goes on using; null: the run starts its own.
  std::shared_ptr<TilingMemo> tilings;
  // Input sets to run one after the other (functional runs); empty: the workload's own inputs once.
  std::vector<std::vector<model::Tensor>> inputs;
  // Absolute pseudo-density thresholds by layer name, replacing the plan's tau and tau_quantile
  // (thresholds calibrated on other inputs).
  std::map<std::string, float> taus;
  // int8 runs: layers listed here are quantised statically (these activation scales, a scale per
  // output channel of the weights) and their results leave the device requantised to int8 with
  // bias and ReLU folded in (CFG_OUT); other int8 layers quantise each input per tensor as it
  // comes and return int32 accumulators.
  std::map<std::string, ActivationScales> int8Scales;
  std::function<void(size_t done, size_t total, const std::string& layer)> progress;
  // Called after every input set with its outputs and results (the layers of that run only).
  std::function<void(size_t run, std::vector<model::Tensor>& outputs, const RunResult& result)>
      onRun;
};

}  // namespace tasdsim::runtime
