#pragma once
// How the executor presents every Conv, Gemm and MatMul: as GEMM operands, one group at a time
// to host hooks (which may apply TASD to either operand), or all groups of a layer at once to a
// GEMM backend (a simulated accelerator that computes the products itself).
//
// For group g of a layer (groups = conv groups, or the batch of a batched MatMul):
//   A_g [M x K]  activations, row-major. For a convolution this is the im2col matrix: row p =
//                output position (b*Ho + oh)*Wo + ow, column k = (r*S + s)*C + c,
//                channel-innermost exactly as tasd::im2col; K = kh*kw*C/groups.
//   W_g [N x K]  weights, row-major: Cout/groups rows of tasd::lowerConvWeights for a conv; the
//                transposed weight for MatMul x*W (W is [K x N] in the model); for a MatMul of
//                two activations the second operand transposed (GemmLayer::constantWeights is
//                false then).
//   C_g [M x N]  = A_g * W_g^T, the layer output before its bias.
//
// Host hooks: per run of a layer, prepareWeights (see below) and then, per group and image,
// onGemm. Weights of layers with constant weights are lowered and prepared once and cached by
// the executor (Executor::invalidatePreparedWeights() drops the cache); non-constant weights
// are prepared on every run.
//
// A backend sees a layer once per run with every group's operands; a convolution's A_g is then
// given as its input images (NHWC, read through implicit im2col as a device does) and its M
// counts every image of the batch.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sw/model/Tensor.h"
#include "sw/tasd/Lowering.h"

namespace tasdsim::executor {

// A Conv/Gemm/MatMul layer. Static fields are set when the executor is built; shapes are those
// of the current run.
struct GemmLayer {
  size_t index = 0;    // 0.. in graph order over Conv/Gemm/MatMul nodes
  std::string name;    // the node name (the first output's name when the node has none)
  std::string opType;  // Conv, Gemm or MatMul
  bool constantWeights = false;
  std::string weightName;  // the weight value's name in the model
  // Current run:
  size_t groups = 1, m = 0, n = 0, k = 0;  // per group; m per image for a convolution
  size_t batch = 1;                        // images of a convolution (1 otherwise)
  std::optional<tasd::ConvGeometry> conv;  // convolutions only
  std::vector<int64_t> inputShape, weightShape, outputShape;
  uint64_t macs() const { return static_cast<uint64_t>(batch) * groups * m * n * k; }
  // Rows of A_g over every image: what a device sees as M.
  uint64_t rowsPerGroup() const { return static_cast<uint64_t>(batch) * m; }
};

// The operands of one group.
struct GemmOperands {
  float* a = nullptr;  // A_g [m x k]; hooks may change it (TASD-A). Null when `image` is given.
  // Convolutions given to a backend: the group's input images, NHWC [batch, H, W, C/groups].
  const float* image = nullptr;
  const float* w = nullptr;  // W_g [n x k] (already prepared)
  float* c = nullptr;        // C_g [m x n], written by whoever computes the product
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

  // Per run, group and image, before the product. May modify ops.a (TASD-A). Returns true if
  // it wrote ops.c itself; false lets the executor compute C_g = A_g * W_g^T with sgemm.
  virtual bool onGemm(const GemmLayer& layer, size_t group, GemmOperands& ops) {
    (void)layer, (void)group, (void)ops;
    return false;
  }

  // Per run, the layer's whole output (bias added, before what follows it).
  virtual void onOutput(const GemmLayer& layer, const model::Tensor& output) {
    (void)layer, (void)output;
  }
};

// What follows a layer's product: its per-output-channel bias (every group's, groups * n values;
// null when none) and whether the product's only consumer is a Relu. A backend may fold both
// into its output path (an int8 device requantising with bias and ReLU).
struct LayerEpilogue {
  const float* bias = nullptr;
  bool reluFollows = false;
};

// Computes whole layers instead of the host's sgemm (a simulated accelerator). Weights reach it
// lowered but unmodified: a backend applies its own plan.
class GemmBackend {
 public:
  virtual ~GemmBackend() = default;
  // Writes every groups[g].c. groups[g].a (or .image for a convolution) and .w are read only.
  // Returns true when it added epilogue.bias to the results (the executor then does not).
  virtual bool runLayer(const GemmLayer& layer, std::vector<GemmOperands>& groups,
                        const LayerEpilogue& epilogue) = 0;
};

}  // namespace tasdsim::executor
