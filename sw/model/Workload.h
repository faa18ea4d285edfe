#pragma once
// A model's compute layers as GEMMs: what `tasdsim import` writes and what the accelerator
// runtime and the TASDER search read. Conv, Gemm and MatMul (ONNX) and CONV_2D,
// DEPTHWISE_CONV_2D and FULLY_CONNECTED (TFLite) are layers; everything else stays with the
// executor. Per group g, the layer is C_g[M x N] = A_g[M x K] * W_g[N x K]^T, K ordered
// channel-innermost for convolutions (k = (r*S + s)*C + c, SPEC section 1).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sw/model/Graph.h"
#include "sw/model/Tflite.h"
#include "sw/tasd/Matrix.h"

namespace tasdsim::model {

struct WorkloadLayer {
  size_t index = 0;
  std::string name;  // ONNX node name (or output name); TFLite output tensor name
  std::string op;    // operator type as in the model
  std::vector<int64_t> inputShape, outputShape;
  // Where the weights live: a constant tensor of the model (empty when both operands are
  // activations, e.g. attention's Q*K^T).
  std::string weightTensor;
  std::vector<int64_t> weightShape;
  // Memory order of the stored weights: OIHW (ONNX conv), OHWI (TFLite conv), 1HWC (TFLite
  // depthwise), KN (MatMul x*W), NK (Gemm transB=1, TFLite FC), or "" for activations.
  std::string weightLayout;
  size_t groups = 1;           // convolution groups, or the batch of a batched MatMul
  size_t m = 0, n = 0, k = 0;  // per group
  uint64_t macs = 0;           // groups * m * n * k
  std::string activation;      // function applied to the output: relu, relu6, hardswish, swish,
                               // sigmoid, ..., none
  bool constantWeights() const { return !weightTensor.empty(); }
};

struct Workload {
  std::string model;   // path of the model file
  std::string format;  // onnx or tflite
  std::vector<int64_t> inputShape;
  std::vector<WorkloadLayer> layers;
  uint64_t totalMacs() const;
};

// The activation that follows value `output` in an ONNX graph (a heuristic over the
// consumers: per-channel affine ops such as BatchNormalization or Mul/Add by a constant are
// looked through; x*Sigmoid(x) is swish, x*HardSigmoid(x) and x*Clip(x+3, 0, 6)/6 are
// hardswish). Returns "none" when nothing recognisable follows.
std::string onnxFollowingActivation(const Graph& g, const std::string& output);

// The TFLite model's layers (shapes from the file; weights found through DEQUANTIZE/DENSIFY).
Workload tfliteWorkload(const TfliteModel& m);

// The layer's stored weights as the N x K GEMM operand (all groups stacked: rows g*N.. of
// group g), lowered channel-innermost for convolutions. Throws UserError if the tensor does not
// fit the layer.
tasd::MatrixF gemmWeights(const WorkloadLayer& layer, const Tensor& stored);

// The workload YAML, and the same written to a file (atomically).
std::string workloadYaml(const Workload& w);
void writeWorkloadYaml(const Workload& w, const std::filesystem::path& path);

}  // namespace tasdsim::model
