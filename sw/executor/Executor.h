#pragma once
// The graph executor: runs a model graph (ONNX, TFLite or a synthetic workload's) on the CPU in
// fp32, one node after the other in graph order. Conv, Gemm and MatMul go through OpenBLAS
// sgemm (convolutions via a channel-innermost im2col; grouped and depthwise convolutions per
// group) and are presented to an optional GemmHook as GEMM operands, or computed by a
// GemmBackend (a simulated accelerator) instead (see GemmHook.h); the other operators are in
// Ops.h. Tensors are NCHW as in ONNX, except for Conv and pooling nodes whose `data_layout`
// attribute is "NHWC" (TFLite graphs and synthetic workloads): their inputs and outputs are
// NHWC and their weights OHWI.
//
// Preparation (constructor): values get dense ids, nodes whose inputs are all constants are
// evaluated once (constant folding: Paddle2ONNX's shape arithmetic on constants and weight-side
// casts), and every Conv/Gemm/MatMul becomes a GemmLayer. Lowered weights are cached per
// layer, so repeated runs do not lower them again. Values are freed after their last use.
//
// One Executor is not thread-safe; use one per thread (the Graph may be shared).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sw/executor/GemmHook.h"
#include "sw/model/Graph.h"
#include "sw/tasd/Matrix.h"

namespace tasdsim::executor {

using model::Tensor;

// Limits OpenBLAS to this many threads (process-wide); 1 also stops its idle worker threads.
// Running several executors in parallel threads works best with 1.
void setBlasThreads(int threads);

class Executor {
 public:
  explicit Executor(std::shared_ptr<const model::Graph> graph);

  // The hook is not owned; null removes it. Changing the hook drops the prepared weights.
  void setHook(GemmHook* hook);
  // The backend is not owned; null returns the layers to the host. A backend and a hook exclude
  // each other (the backend applies its own plan).
  void setBackend(GemmBackend* backend);
  // Called after every node with the wall-clock seconds it took (GEMM nodes include their
  // backend's time).
  using StepObserver = std::function<void(const model::Node& node, int layer, double seconds)>;
  void setStepObserver(StepObserver observer) { observer_ = std::move(observer); }
  // Drops the cached (lowered and hook-prepared) weights; the next run prepares them again.
  void invalidatePreparedWeights();

  // Runs the graph on inputs given in the order of graph().inputs; returns graph().outputs.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);

  const model::Graph& graph() const { return *graph_; }
  // Conv/Gemm/MatMul layers in graph order; shapes are those of the last run.
  const std::vector<GemmLayer>& layers() const { return layers_; }

 private:
  struct Step {
    const model::Node* node = nullptr;
    std::vector<int> inputs;   // value ids, -1 for omitted optional inputs
    std::vector<int> outputs;  // value ids
    int layer = -1;            // index into layers_ for Conv/Gemm/MatMul
    bool reluFollows = false;  // the first output's only reader is a Relu
  };

  int valueId(const std::string& name);
  const Tensor& value(int id) const;
  void runStep(const Step& s);
  Tensor runConv(const Step& s, GemmLayer& layer);
  Tensor runMatMul(const Step& s, GemmLayer& layer);
  Tensor runGemm(const Step& s, GemmLayer& layer);
  // Lowered (and hook-prepared) N x K weights of a constant-weight layer, all groups stacked,
  // row-major. Weights stored in that order already (OHWI convolutions, Gemm transB = 1) are used
  // where they are unless a hook may change them.
  const float* preparedWeights(GemmLayer& layer, const Tensor& stored, bool storedAsNK,
                               tasd::ConvLayout convLayout = tasd::ConvLayout::OIHW);
  // C_g = A_g * W_g^T for every group, through the hook.
  void gemmGroup(GemmLayer& layer, size_t group, float* a, const float* w, float* c);
  // A convolution on the backend: every group's images in NHWC, results scattered into y.
  // Returns whether the backend added the bias.
  bool backendConv(GemmLayer& layer, const Tensor& x, bool nhwc, const float* w, Tensor& y,
                   const LayerEpilogue& epilogue);

  std::shared_ptr<const model::Graph> graph_;
  int64_t opset_ = 0;
  std::map<std::string, int> ids_;
  std::vector<std::string> names_;
  std::vector<std::shared_ptr<const Tensor>> constants_;  // by id (null for run-time values)
  std::vector<Tensor> values_;                            // by id
  std::vector<size_t> lastUse_;                           // step index of each value's last read
  std::vector<Step> steps_;
  std::vector<int> inputIds_, outputIds_;
  std::vector<GemmLayer> layers_;
  struct PreparedWeights {
    std::unique_ptr<tasd::MatrixF> owned;  // a lowered copy, when one was needed
    const float* data = nullptr;           // null: not prepared yet
  };
  std::vector<PreparedWeights> prepared_;  // by layer index
  GemmHook* hook_ = nullptr;
  GemmBackend* backend_ = nullptr;
  StepObserver observer_;
  std::vector<float> scratchA_, scratchC_, scratchX_;
};

}  // namespace tasdsim::executor
