#pragma once
// The host's view of a run on the simulated accelerator: the same workload, input set and plan
// on the graph executor alone (the plan's approximations applied by TasdHook, as the device
// applies them), and how the accelerator's outputs agree with it. The two differ only in the
// order of floating-point sums.
#include <map>
#include <string>
#include <vector>

#include "sw/executor/TasdHook.h"
#include "sw/model/Tensor.h"
#include "sw/plan/Plan.h"
#include "sw/runtime/Results.h"
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

// Static int8 scales from calibrated magnitudes (by layer name): |x| / 127, 1 for a layer that
// only saw zeros.
std::map<std::string, ActivationScales> int8ScalesOf(
    const std::map<std::string, executor::ActivationRange>& ranges);

// Static int8 scales for every GEMM layer (by name) for the device's output path: each layer's
// input and output scale the largest |x| / 127 seen on the host (fp32, the unmodified workload)
// over this input set. Without an input set (timing only) every layer gets scales of 1: the
// timing does not depend on their values.
std::map<std::string, ActivationScales> outputPathScales(const workload::Workload& w,
                                                         const std::vector<model::Tensor>* inputs);

// The workload on the host executor with the plan; thresholds as given (by layer name).
std::vector<model::Tensor> runOnHost(const workload::Workload& w, const plan::Plan& plan,
                                     const std::map<std::string, float>& taus,
                                     const std::vector<model::Tensor>& inputs);

// Per float output of the graph: the largest and the relative difference.
std::vector<OutputAgreement> compareOutputs(const model::Graph& g,
                                            const std::vector<model::Tensor>& device,
                                            const std::vector<model::Tensor>& host);

}  // namespace tasdsim::runtime
