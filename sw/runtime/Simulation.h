#pragma once
// One simulation: elaborates the accelerator and the host, runs the network, returns results.
// SystemC elaborates once per process, so simulate() may be called only once per process
// (tests run it in a forked child).
#include "hw/model/energy/EnergyModel.h"
#include "hw/model/top/AcceleratorParams.h"
#include "sw/plan/Plan.h"
#include "sw/runtime/NetworkRunner.h"
#include "sw/workload/Workload.h"

namespace tasdsim::runtime {

struct SimulationInputs {
  workload::WorkloadSpec workload;
  plan::Plan plan;
  hw::AcceleratorParams params;
  hw::EnergyTable energy;
  RunOptions options;
  std::string vcdDir;  // non-empty: the blocks with impl: rtl write <vcdDir>/<block>.vcd
};

struct SimulationOutput {
  RunResult run;
  std::map<std::string, uint64_t> counters;  // final values of every statistic
  std::map<std::string, std::string> counterUnits;
  double wallSeconds = 0;
};

// Throws std::logic_error if SystemC was already used in this process, and UserError (before
// elaborating anything) for a run the RTL blocks selected by impl: rtl do not cover.
SimulationOutput simulate(const SimulationInputs& inputs);

}  // namespace tasdsim::runtime
