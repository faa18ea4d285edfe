#pragma once
// A workload: a network to run, as a model graph (sw/model) with the values of its constants,
// the inputs it runs on by default, and its layer table. Front ends (load()):
//  - synthetic YAML (configs/workloads/*.yaml, SyntheticNetwork.h): standard networks described
//    by their layer shapes, with seeded synthetic weights and inputs;
//  - a model file: ONNX (.onnx), TFLite (.tflite), or the YAML that `tasdsim import` writes
//    (ImportYaml.h), which names its model file.
// The layer table groups the graph's nodes by model::Node::layer in graph order. A layer that
// holds a Conv, Gemm or MatMul node runs it on the accelerator; the rest of its nodes, and
// every layer without one, run on the host.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sw/executor/GemmHook.h"
#include "sw/model/Graph.h"
#include "sw/model/Tensor.h"
#include "sw/tasd/Matrix.h"

namespace tasdsim::workload {

struct Layer {
  std::string name;
  // Synthetic workloads: conv, gemm, matmul, add, maxpool, avgpool, global_avgpool, layernorm;
  // model files: the operator type of the layer's GEMM node, else of its first node.
  std::string op;
  int gemm = -1;  // index into Workload::gemms (its GemmLayer::index); -1: a host-only layer
};

struct Workload {
  std::string name;
  std::string description;
  std::string file;                        // where it was loaded from
  std::string format;                      // synthetic, onnx or tflite
  uint64_t seed = 1;                       // synthetic values and inputs
  std::vector<model::Tensor> inputs;       // the default input set, one tensor per graph input
  std::string inputSource;                 // where the default inputs come from, for reports
  std::vector<executor::GemmLayer> gemms;  // the GEMM layers with their shapes for `inputs`
  std::vector<Layer> layers;
  // The workload as configured, defaults filled in (written next to results).
  YAML::Node resolved;

  // The graph with its constant values. A synthetic workload makes it (and draws its weights)
  // on first use, so that a timing-only run, which needs only the layer table, never does.
  // Copies of a workload share what was made: whichever copy asks first makes it, once
  // (thread-safe); setGraph/setGraphBuilder on one copy leave the others as they were.
  std::shared_ptr<const model::Graph> graph() const;
  void setGraph(std::shared_ptr<const model::Graph> graph);
  void setGraphBuilder(std::function<std::shared_ptr<const model::Graph>()> build);

  const Layer* findLayer(const std::string& name) const;
  const executor::GemmLayer* findGemm(const std::string& layer) const;
  uint64_t totalMacs() const;

 private:
  struct GraphSource;
  std::shared_ptr<GraphSource> source_;
};

struct LoadOptions {
  std::vector<std::string> overrides;  // "workload.key=value" (synthetic YAML only)
  // Model files: the input shape where the model leaves dimensions symbolic (empty: batch 1,
  // every other dimension must be fixed).
  std::vector<int64_t> inputShape;
  uint64_t seed = 1;  // model files: the seed of their synthetic default input
};

// Loads any workload file by its content (ONNX, TFLite) or YAML form; UserError naming the file
// on any problem.
Workload load(const std::string& path, const LoadOptions& options = {});

// The workload of a model graph: the layer table from the nodes (a GEMM node opens a layer
// named after it; the host nodes that follow belong to it), the default input a seeded standard
// normal tensor of `inputShape`, and the GEMM shapes from one executor run on a zero input.
Workload modelWorkload(std::shared_ptr<model::Graph> graph, const std::vector<int64_t>& inputShape,
                       uint64_t seed);

// The layer table of a graph whose nodes carry Node::layer (empty: own layer), with `op` taken
// from the GEMM node of each layer (or the first node).
std::vector<Layer> layerTable(const model::Graph& graph,
                              const std::vector<executor::GemmLayer>& gemms);

// The lowered weights of every GEMM layer with constant weights, N x K with the groups stacked
// (rows g*N.. of group g), K channel-innermost for convolutions, as the executor presents them;
// an empty matrix for layers whose weights are activations. One executor run on the inputs.
std::vector<tasd::MatrixF> layerWeights(const Workload& w);

// The GEMM layers of a graph with their shapes for one input set (one executor run).
std::vector<executor::GemmLayer> gemmShapes(std::shared_ptr<const model::Graph> graph,
                                            const std::vector<model::Tensor>& inputs);

}  // namespace tasdsim::workload
