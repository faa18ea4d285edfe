#pragma once
// One simulation: elaborates the accelerator and the host, runs the workload, returns results.
// SystemC elaborates once per process, so simulate() may be called only once per process
// (tests and tools that need several run it in a child, Isolated.h).
#include <map>
#include <string>
#include <vector>

#include "hw/model/energy/EnergyModel.h"
#include "hw/model/top/AcceleratorParams.h"
#include "sw/plan/Plan.h"
#include "sw/runtime/Results.h"
#include "sw/workload/Workload.h"

namespace tasdsim::runtime {

struct SimulationInputs {
  workload::Workload workload;
  plan::Plan plan;
  hw::AcceleratorParams params;
  hw::EnergyTable energy;
  RunOptions options;
  std::string vcdDir;  // non-empty: the blocks with impl: rtl write <vcdDir>/<block>.vcd
};

struct SimulationOutput {
  RunResult run;                       // the last input set's
  std::vector<model::Tensor> outputs;  // the last input set's network outputs (functional runs)
  std::map<std::string, uint64_t> counters;  // final values of every statistic
  std::map<std::string, std::string> counterUnits;
  double wallSeconds = 0;
};

// Throws std::logic_error if SystemC was already used in this process, and UserError (before
// elaborating anything) for a run the RTL blocks selected by impl: rtl do not cover.
SimulationOutput simulate(const SimulationInputs& inputs);

}  // namespace tasdsim::runtime
