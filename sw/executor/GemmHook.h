#pragma once
// The executor's hook into every Conv, Gemm and MatMul: the layer is presented as GEMM
// operands, one group at a time, so that TASD can be applied to either operand and so that
// an accelerator model can compute the product itself.
//
// For group g of a layer (groups = conv groups, or the batch of a batched MatMul):
//   A_g [M x K]  activations, row-major. For a convolution this is the im2col matrix of one
//                image: row p = output position (oh*Wo + ow), column k = (r*S + s)*C + c,
//                channel-innermost exactly as tasd::im2col; K = kh*kw*C/groups.
//   W_g [N x K]  weights, row-major: Cout/groups rows of tasd::lowerConvWeights for a conv; the
//                transposed weight for MatMul x*W (W is [K x N] in the model); for a MatMul of
//                two activations the second operand transposed (GemmLayer::constantWeights is
//                false then).
//   C_g [M x N]  = A_g * W_g^T, the layer output before its bias.
//
// Call order for one run of a layer: prepareWeights (see below) and then, per group, onGemm.
// Weights of layers with constant weights are lowered and prepared once and cached by the
// executor (Executor::invalidatePreparedWeights() drops the cache); non-constant weights are
// prepared on every run.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sw/tasd/Lowering.h"

namespace tasdsim::executor {

// A Conv/Gemm/MatMul layer as the hook sees it. Static fields are set when the executor is
// built; shapes are those of the current run.
struct GemmLayer {
  size_t index = 0;    // 0.. in graph order over Conv/Gemm/MatMul nodes
  std::string name;    // the ONNX node name (the first output's name when the node has none)
  std::string opType;  // Conv, Gemm or MatMul
  bool constantWeights = false;
  std::string weightName;  // the weight value's name in the model
  // Current run:
  size_t groups = 1, m = 0, n = 0, k = 0;  // per group
  std::optional<tasd::ConvGeometry> conv;  // convolutions only
  std::vector<int64_t> inputShape, weightShape, outputShape;
  uint64_t macs() const { return static_cast<uint64_t>(groups) * m * n * k; }
};

struct GemmOperands {
  float* a = nullptr;        // M x K, the hook may change it (TASD-A)
  const float* w = nullptr;  // N x K (already prepared)
  float* c = nullptr;        // M x N, to be written when the hook computes the product
  size_t m = 0, n = 0, k = 0;
};

class GemmHook {
 public:
  virtual ~GemmHook() = default;

  // May change the weights of one group in place (TASD-W): w is N x K row-major. Called once
  // per group for constant weights (the result is cached), on every run otherwise.
  virtual void prepareWeights(const GemmLayer& layer, size_t group, float* w, size_t n, size_t k) {
    (void)layer, (void)group, (void)w, (void)n, (void)k;
  }

  // Whether onGemm must see this layer's operands. When false the executor may use a direct
  // kernel that never materialises A_g (prepared weights still apply). Asked on every run.
  virtual bool wantsOperands(const GemmLayer& layer) {
    (void)layer;
    return true;
  }

  // Per run and group, before the product. May modify ops.a (TASD-A). Returns true if it
  // wrote ops.c itself (e.g. on a simulated accelerator); false lets the executor compute
  // C_g = A_g * W_g^T with sgemm.
  virtual bool onGemm(const GemmLayer& layer, size_t group, GemmOperands& ops) {
    (void)layer, (void)group, (void)ops;
    return false;
  }
};

}  // namespace tasdsim::executor
