#pragma once
// The Conv/Gemm/MatMul layers of an ONNX graph as a workload. ONNX files from Paddle2ONNX
// carry no intermediate shapes, so shapes come from one executor run on a zero input of the
// given shape (dynamic dimensions must be fixed by the caller).
#include <memory>
#include <vector>

#include "sw/model/Graph.h"
#include "sw/model/Workload.h"

namespace tasdsim::executor {

model::Workload onnxWorkload(std::shared_ptr<const model::Graph> graph,
                             const std::vector<int64_t>& inputShape);

// The graph's first input shape with symbolic dimensions replaced: the batch (first) by 1,
// any other by the matching entry of `overrides` when given. Throws UserError naming the
// dimension when one stays unknown.
std::vector<int64_t> resolveInputShape(const model::Graph& graph,
                                       const std::vector<int64_t>& overrides);

}  // namespace tasdsim::executor
