#pragma once
// Many input sets (e.g. the 1000 digits of an accuracy protocol) through the simulated
// accelerator: the sets are split over child processes, each one simulation (one SystemC
// elaboration) that runs its share one set after the other, so that two cores run two
// simulations. Per set: a caller-chosen reduction of the network's outputs (e.g. class scores,
// computed in the child so that whole outputs never cross the pipe) and the network totals.
#include <functional>
#include <string>
#include <vector>

#include "sw/model/Tensor.h"
#include "sw/runtime/Report.h"
#include "sw/runtime/Simulation.h"

namespace tasdsim::runtime {

struct SetResult {
  std::vector<float> values;  // reduce(outputs)
  NetworkTotals totals;
  bool checksPassed = true;
  std::string failReason;  // empty on success
};

using OutputReduction =
    std::function<std::vector<float>(const std::vector<model::Tensor>& outputs)>;

// base.options.inputs is replaced by each process's share of `sets`; progress(done, total)
// follows the sets finished by all processes together.
std::vector<SetResult> simulateSets(
    const SimulationInputs& base, const std::vector<std::vector<model::Tensor>>& sets,
    size_t processes, const OutputReduction& reduce,
    const std::function<void(size_t done, size_t total)>& progress = nullptr);

}  // namespace tasdsim::runtime
