#pragma once
// The synthetic front end: a network described layer by layer with exact shapes
// (configs/workloads/*.yaml, docs/config.md) becomes a model graph with seeded synthetic values
// (Synthetic.h), the same graph form as an imported model's, so that it runs on the one graph
// executor and, through it, on the simulated accelerator. The values are synthetic, not trained.
//
// Tensors are NHWC (batch, height, width, channels); a 2-D tensor [rows, features] is
// [rows, 1, 1, features] (a "tokens" input keeps rows = batch * tokens). Each layer becomes
// a few graph nodes, all in that layer of the layer table:
//   conv            Conv (data_layout NHWC, weights OHWI) and its activation
//   gemm            Reshape to [rows, h*w*c], Gemm (weights [out, in]), Reshape back, activation
//   matmul          per group (attention head) g: in[:, g*K..] x in2 (K x N per group), as
//                   Reshape/Transpose to [G, rows, K], batched MatMul, optional scale and
//                   activation (softmax per group row), Transpose/Reshape back to NHWC
//   maxpool/avgpool MaxPool / AveragePool (NHWC); global_avgpool GlobalAveragePool (NHWC)
//   add             Add and its activation; layernorm LayerNormalization over the channels
// Inputs named "synthetic" are constants drawn from the seeded generator; the network input is
// the graph input "input" with a seeded standard normal default.
#include <string>

#include "sw/config/ConfigNode.h"
#include "sw/workload/Workload.h"

namespace tasdsim::workload {

// Parsed strictly from YAML (root must hold `workload:`); UserError with file/line on any
// inconsistency (unknown keys, shapes that do not connect).
Workload syntheticWorkload(const config::Node& root);

}  // namespace tasdsim::workload
