#pragma once
// The host's view of a run on the simulated accelerator: the same workload, input set and plan
// on the graph executor alone (the plan's approximations applied by TasdHook, as the device
// applies them), and how the accelerator's outputs agree with it. The two differ only in the
// order of floating-point sums.
#include <map>
#include <string>
#include <vector>

#include "sw/model/Tensor.h"
#include "sw/plan/Plan.h"
#include "sw/workload/Workload.h"

namespace tasdsim::runtime {

struct OutputAgreement {
  std::string name;
  double maxAbsDifference = 0;
  double relativeDifference = 0;  // ||device - host|| / ||host|| (Frobenius)
};

// Absolute thresholds for the plan's tau_quantile entries on this input set (each layer's
// quantile of |A| on the host), so that the accelerator and the executor drop the same values.
std::map<std::string, float> planThresholds(const workload::Workload& w, const plan::Plan& plan,
                                            const std::vector<model::Tensor>& inputs);

// The workload on the host executor with the plan; thresholds as given (by layer name).
std::vector<model::Tensor> runOnHost(const workload::Workload& w, const plan::Plan& plan,
                                     const std::map<std::string, float>& taus,
                                     const std::vector<model::Tensor>& inputs);

// Per float output of the graph: the largest and the relative difference.
std::vector<OutputAgreement> compareOutputs(const model::Graph& g,
                                            const std::vector<model::Tensor>& device,
                                            const std::vector<model::Tensor>& host);

}  // namespace tasdsim::runtime
