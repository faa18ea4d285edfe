#pragma once
// Host-side layer math shared by the runtime (the work the host does between accelerator
// layers, and the reference operands) and the search (calibration): tensors, the synthetic
// values of a workload, each layer as per-group GEMM operands, pooling/add/activation layers,
// and a plain dense forward pass over a whole workload.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sw/tasd/Lowering.h"
#include "sw/workload/Workload.h"

namespace tasdsim::workload {

struct Tensor {
  Shape shape;
  std::vector<float> data;  // NHWC
};

// One group of a compute layer as a GEMM: out[m x n] = act[m x k] * w[n x k]^T.
struct GemmOperands {
  uint64_t m = 0, n = 0, k = 0;
  std::vector<float> act;      // m x k: conv im2col rows (channel innermost), gemm rows, matmul rows
  std::vector<float> actNhwc;  // conv: the group's NHWC input slice (what the accelerator reads)
  std::vector<float> w;        // n x k: lowered weights, or matmul's second operand
};

tasd::ConvGeometry convGeometry(const LayerSpec& l);

// The synthetic values of a workload (weights per layer, network and synthetic inputs).
class SyntheticValues {
 public:
  explicit SyntheticValues(const WorkloadSpec& w) : w_(w) {}
  // All groups' lowered weights: [groups][n][k] (OHWI order for convs), pruned as specified.
  std::vector<float> weights(const LayerSpec& l) const;
  Tensor networkInput() const;
  // The synthetic input (second == false) or second input of a layer.
  Tensor syntheticInput(const LayerSpec& l, const Shape& shape, bool second) const;

 private:
  const WorkloadSpec& w_;
};

// Operands of group g of a compute layer (in2: matmul's second input).
GemmOperands gemmOperands(const LayerSpec& l, const Tensor& in, const Tensor* in2, const std::vector<float>& weights,
                          uint32_t g);

// Pooling, add and global pooling layers, with the layer's activation.
Tensor hostLayer(const LayerSpec& l, const Tensor& in, const Tensor* in2);

// Scatters one group's GEMM result into the layer's NHWC output. transposed: c is [n x m]
// (the weights were the structured operand) instead of [m x n].
void scatterGroup(const LayerSpec& l, uint32_t g, const float* c, bool transposed, Tensor& out);

// Runs the workload on the host in fp32 (OpenBLAS). onLayer is called for every compute layer's
// group with its operands before the result is used; it may replace ops.act/ops.w (e.g. with
// a TASD approximation) to change what the layer computes.
using LayerHook = std::function<void(const LayerSpec& layer, uint32_t group, GemmOperands& ops)>;
void hostForward(const WorkloadSpec& w, const LayerHook& onLayer);

}  // namespace tasdsim::workload
