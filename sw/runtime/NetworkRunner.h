#pragma once
// NetworkRunner: the host runtime. For every layer of a workload it applies the plan (TASD-W
// on the weights offline, or TASD-A on the fly by the accelerator's TASD units), places the
// operands and compressed terms in device memory, emits the microcode, rings the doorbell,
// waits, reads the results back, checks them against a reference GEMM on the same
// approximated operands, and runs the element-wise work (activations, pooling, residual adds)
// on the host before the next layer.
//
// Reference check: int8 results must equal the reference exactly (int8 x int8 -> int32); fp32
// and bf16 results must satisfy |c - ref| <= 2 K eps sum_k |s_k d_k| bound per element (a
// rigorous bound on reordered fp32 sums, eps = 2^-24, evaluated with row norms) and a relative
// Frobenius error of at most 1e-5 over the whole output.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "hw/model/energy/EnergyModel.h"
#include "hw/model/top/AcceleratorParams.h"
#include "sw/plan/Plan.h"
#include "sw/runtime/Host.h"
#include "sw/tasd/DType.h"
#include "sw/tasd/Metrics.h"
#include "sw/workload/Workload.h"

namespace tasdsim::hw {
class Accelerator;
class StatsRegistry;
}  // namespace tasdsim::hw

namespace tasdsim::runtime {

struct RunOptions {
  tasd::DType dtype = tasd::DType::F32;
  bool functional = true;  // compute and check values (false: timing only)
  bool check = true;       // compare every layer with the reference
  std::function<void(size_t done, size_t total, const std::string& layer)> progress;
};

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
  uint64_t m = 0, n = 0, k = 0;  // per group GEMM
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
  // Host wall-clock seconds the accelerator model took for this layer (doorbell to completion);
  // for speed measurements only, never written to the deterministic result files.
  double modelWallSeconds = 0;
};

struct RunResult {
  std::vector<LayerResult> layers;
  std::string failReason;  // empty on success
  bool checksPassed = true;
};

// Throws UserError (naming layer, series and arch) when the plan asks for what the engine
// cannot run: an unsupported pattern, too many terms, TASD-A without TASD units.
void validatePlan(const workload::WorkloadSpec& workload, const plan::Plan& plan, const hw::AcceleratorParams& params);

class NetworkRunner {
 public:
  NetworkRunner(const workload::WorkloadSpec& workload, const plan::Plan& plan, const hw::AcceleratorParams& params,
                const hw::EnergyTable& energy, const RunOptions& options, hw::Accelerator& accelerator,
                hw::StatsRegistry& stats);
  ~NetworkRunner();

  // Runs every layer; call from the host's SystemC thread.
  void run(Host& host);
  const RunResult& result() const { return result_; }

 private:
  struct Impl;
  Impl* impl_;
  RunResult result_;
};

}  // namespace tasdsim::runtime
