#pragma once
// A workload: a network's layers with exact shapes, how they connect, and where their values
// come from. Standard networks are described layer by layer in configs/workloads/ with seeded
// synthetic values (dense or unstructured-pruned weights; inputs drawn from a distribution);
// the values are synthetic, not trained. Shapes are inferred from the input through the layers.
//
// Tensors are NHWC (batch, height, width, channels); a 2-D tensor [rows, features] is stored
// as N x 1 x 1 x C... except that a "tokens" input keeps rows = batch * tokens.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sw/config/ConfigNode.h"

namespace tasdsim::workload {

enum class LayerOp { Conv, Gemm, MatMul, MaxPool, AvgPool, GlobalAvgPool, Add };
enum class Activation { None, Relu, Relu6, Gelu, Swish, HardSwish, Sigmoid, Tanh, Softmax };

const char* layerOpName(LayerOp op);
const char* activationName(Activation a);
Activation parseActivation(const std::string& text);  // UserError on unknown
// Applies a to every value.
void applyActivation(Activation a, float* data, size_t count, size_t rowLength = 0);

struct Shape {
  uint32_t n = 1, h = 1, w = 1, c = 1;
  uint64_t elements() const { return uint64_t{n} * h * w * c; }
  bool operator==(const Shape& o) const { return n == o.n && h == o.h && w == o.w && c == o.c; }
};

struct LayerSpec {
  std::string name;
  LayerOp op = LayerOp::Conv;
  std::string input;     // producing layer, "input" for the network input, or "synthetic"
  std::string input2;    // MatMul: second operand (a layer); Add: the other summand
  std::string residual;  // added to the result before the activation
  Activation act = Activation::None;
  // Conv / pools.
  uint32_t cout = 0, kh = 1, kw = 1, strideH = 1, strideW = 1, groups = 1, dilation = 1;
  uint32_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  // Gemm: output features; MatMul: whether input2 is transposed ([N x K] rather than [K x N]).
  uint32_t outFeatures = 0;
  bool transposeB = false;
  // Values.
  double weightSparsity = -1;  // < 0: the workload's default
  Activation syntheticAct = Activation::Relu;  // statistics of a synthetic input
  Shape syntheticShape;                        // shape of a synthetic input
  Shape syntheticShape2;                       // shape of a synthetic second input (synthetic2)

  // Filled by inference.
  Shape in, out;
  Shape in2;
  bool isCompute() const { return op == LayerOp::Conv || op == LayerOp::Gemm || op == LayerOp::MatMul; }
  // GEMM view of a compute layer: out[m x n] = act[m x k] * W[n x k]^T (per group for convs).
  uint64_t gemmM() const;
  uint64_t gemmN() const;  // per group
  uint64_t gemmK() const;  // per group
  uint64_t macs() const;
  uint64_t weightCount() const;
};

struct WorkloadSpec {
  std::string name;
  std::string description;
  uint64_t seed = 1;
  Shape input;
  double weightSparsity = 0.0;  // unstructured (magnitude) pruning of every weight tensor
  std::vector<LayerSpec> layers;

  // Parsed strictly from YAML; shapes inferred; UserError with file/line on any inconsistency.
  static WorkloadSpec fromYaml(const config::Node& root);
  const LayerSpec* find(const std::string& name) const;
  uint64_t totalMacs() const;
};

}  // namespace tasdsim::workload
