#pragma once
// The reference executor's non-GEMM operators (ONNX semantics, NCHW, float32 and int64):
//   elementwise with NumPy broadcasting: Add Sub Mul Div Pow
//   unary: Sqrt Relu Sigmoid HardSigmoid HardSwish Tanh Erf Gelu Clip Cast Identity
//   shape: Reshape Shape Squeeze Unsqueeze Flatten Transpose Slice Concat Gather
//   shape: also Pad (constant) DepthToSpace Resize (linear, nearest; 4-D)
//   reductions and normalisation: ReduceMean Softmax BatchNormalization LayerNormalization
//   pooling: AveragePool MaxPool (2-D, no dilation, no Indices output) GlobalAveragePool; with
//     the attribute data_layout = "NHWC" they read and write NHWC tensors
// Opset differences honoured: Slice (attributes before 10, inputs from 10), Clip (attributes
// before 11, inputs from 11), Squeeze/Unsqueeze (axes attribute before 13, input from 13),
// ReduceMean (axes attribute before 18, input from 18), Softmax (2-D coercion at `axis`
// before 13, a single axis from 13), Shape start/end (15).
#include <string>
#include <vector>

#include "sw/model/Graph.h"
#include "sw/model/Tensor.h"

namespace tasdsim::executor {

using model::Tensor;

// True if runOperator implements node.opType (default domain).
bool isSupportedOperator(const std::string& opType);

// Runs one node; inputs[i] is null for an omitted optional input. Throws UserError naming the
// operator and node for unsupported operators, attributes or shapes.
Tensor runOperator(const model::Node& node, int64_t opset,
                   const std::vector<const Tensor*>& inputs);

// NumPy broadcast of two shapes; throws UserError (naming what) if they do not broadcast.
std::vector<int64_t> broadcastShapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                                     const std::string& what);

}  // namespace tasdsim::executor
