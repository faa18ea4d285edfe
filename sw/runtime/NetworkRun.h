#pragma once
// A workload's run on the simulated accelerator, from the host's SystemC thread: the graph
// executor walks the network with the accelerator as its GEMM backend (every Conv, Gemm and
// MatMul runs on the device with real values; every other operator on the host, its wall time
// reported per layer), once per input set. A timing-only run sends the workload's GEMM layers
// to the device without values. Results are per layer of the workload's layer table.
#include <memory>

#include "hw/model/energy/EnergyModel.h"
#include "hw/model/top/AcceleratorParams.h"
#include "sw/plan/Plan.h"
#include "sw/runtime/Host.h"
#include "sw/runtime/Results.h"
#include "sw/workload/Workload.h"

namespace tasdsim::hw {
class System;
class StatsRegistry;
}  // namespace tasdsim::hw

namespace tasdsim::executor {
class Executor;
}  // namespace tasdsim::executor

namespace tasdsim::runtime {

class AcceleratorBackend;

// Throws UserError (naming layer, series and arch) when the plan asks for what the engine
// cannot run: a layer the workload does not have or that is not a GEMM, an unsupported pattern,
// too many terms, structured activations without TASD units.
void validatePlan(const workload::Workload& workload, const plan::Plan& plan,
                  const hw::AcceleratorParams& params);

class NetworkRun {
 public:
  NetworkRun(const workload::Workload& workload, const plan::Plan& plan,
             const hw::AcceleratorParams& params, const hw::EnergyTable& energy,
             const RunOptions& options, hw::System& system, hw::StatsRegistry& stats);
  ~NetworkRun();

  // Runs every input set; call from the host's SystemC thread.
  void run(Host& host);
  // The last input set's results (every set's go to RunOptions::onRun).
  const RunResult& result() const { return result_; }
  std::vector<model::Tensor>& outputs() { return outputs_; }

 private:
  // One input set (timing only: inputs and ex are null).
  RunResult runOnce(AcceleratorBackend& backend, executor::Executor* ex,
                    const std::vector<model::Tensor>* inputs);
  // Sets run.checks (and layersChecked) from the options and the layers' checks.
  void summariseChecks(RunResult& run) const;

  const workload::Workload& workload_;
  const plan::Plan& plan_;
  const hw::AcceleratorParams& params_;
  const hw::EnergyTable& energy_;
  RunOptions options_;
  hw::System& system_;
  hw::StatsRegistry& stats_;
  RunResult result_;
  std::vector<model::Tensor> outputs_;
};

}  // namespace tasdsim::runtime
