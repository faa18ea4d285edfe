#include "sw/workload/Workload.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "sw/common/Checked.h"
#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/config/ConfigNode.h"
#include "sw/executor/Executor.h"
#include "sw/model/Onnx.h"
#include "sw/model/TfliteGraph.h"
#include "sw/workload/ImportYaml.h"
#include "sw/workload/Synthetic.h"
#include "sw/workload/SyntheticNetwork.h"

namespace tasdsim::workload {

namespace fs = std::filesystem;

// The graph of a workload and its copies, made at most once.
struct Workload::GraphSource {
  std::mutex mutex;
  std::shared_ptr<const model::Graph> graph;
  std::function<std::shared_ptr<const model::Graph>()> build;
};

std::shared_ptr<const model::Graph> Workload::graph() const {
  if (source_) {
    std::lock_guard<std::mutex> lock(source_->mutex);
    if (!source_->graph && source_->build) {
      source_->graph = source_->build();
      source_->build = nullptr;
    }
    if (source_->graph) return source_->graph;
  }
  throw std::logic_error("workload '" + name + "' has no graph");
}

void Workload::setGraph(std::shared_ptr<const model::Graph> graph) {
  source_ = std::make_shared<GraphSource>();
  source_->graph = std::move(graph);
}

void Workload::setGraphBuilder(std::function<std::shared_ptr<const model::Graph>()> build) {
  source_ = std::make_shared<GraphSource>();
  source_->build = std::move(build);
}

const Layer* Workload::findLayer(const std::string& name) const {
  for (const Layer& l : layers)
    if (l.name == name) return &l;
  return nullptr;
}

const executor::GemmLayer* Workload::findGemm(const std::string& layer) const {
  const Layer* l = findLayer(layer);
  return l && l->gemm >= 0 ? &gemms[static_cast<size_t>(l->gemm)] : nullptr;
}

uint64_t Workload::totalMacs() const {
  std::optional<uint64_t> total = 0;
  for (const executor::GemmLayer& g : gemms) {
    total = checkedAdd(*total, g.macs());
    if (!total)
      throw UserError(fmt::format("workload '{}': the MAC count overflows 64 bits", name));
  }
  return *total;
}

namespace {

bool isGemmNode(const model::Node& n) {
  return n.opType == "Conv" || n.opType == "Gemm" || n.opType == "MatMul";
}

// Model graphs: a GEMM node opens a layer named after it; the host nodes after it belong to it
// (its bias, normalisation, activation, reshapes); host nodes before the first GEMM node are
// layers of their own.
void assignLayers(model::Graph& g) {
  std::string current;
  for (model::Node& n : g.nodes) {
    if (n.opType == "Constant") continue;
    if (isGemmNode(n)) current = n.name;
    n.layer = current.empty() ? n.name : current;
  }
}

// The graph's first input shape with symbolic dimensions resolved: the batch (first) by 1, any
// other by the matching entry of `given`.
std::vector<int64_t> resolveInputShape(const model::Graph& g, const std::vector<int64_t>& given) {
  if (g.inputs.empty()) throw UserError(g.source + ": the graph has no inputs");
  if (g.inputs.size() > 1)
    throw UserError(g.source + ": models with more than one input are not supported");
  const model::ValueInfo& in = g.inputs.front();
  if (!given.empty()) {
    if (given.size() != in.dims.size() && !in.dims.empty()) {
      throw UserError(fmt::format("input shape {} has {} dimensions, input '{}' of {} has {}",
                                  model::shapeString(given), given.size(), in.name, g.source,
                                  in.dims.size()));
    }
    for (size_t d = 0; d < in.dims.size(); ++d) {
      if (in.dims[d] >= 0 && in.dims[d] != given[d]) {
        throw UserError(
            fmt::format("input shape {}: dimension {} of input '{}' of {} is fixed to {}",
                        model::shapeString(given), d, in.name, g.source, in.dims[d]));
      }
    }
    return given;
  }
  std::vector<int64_t> shape = in.dims;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] >= 0) continue;
    if (d != 0) {
      throw UserError(
          fmt::format("{}: input '{}' dimension {} ('{}') is dynamic; give the input shape "
                      "(--input-shape, experiment.input_shape)",
                      g.source, in.name, d, in.dimParams[d]));
    }
    shape[d] = 1;
  }
  return shape;
}

bool isTfliteFile(const fs::path& path, const std::vector<uint8_t>& bytes) {
  if (bytes.size() >= 8 && std::string(bytes.begin() + 4, bytes.begin() + 8) == "TFL3") return true;
  return path.extension() == ".tflite";
}

}  // namespace

std::vector<Layer> layerTable(const model::Graph& graph,
                              const std::vector<executor::GemmLayer>& gemms) {
  std::vector<Layer> out;
  std::map<std::string, size_t> index;
  std::map<std::string, int> gemmOf;
  for (const executor::GemmLayer& g : gemms)
    gemmOf[g.name] = static_cast<int>(g.index);
  for (const model::Node& n : graph.nodes) {
    if (n.opType == "Constant") continue;
    const std::string& name = n.layer.empty() ? n.name : n.layer;
    auto it = index.find(name);
    if (it == index.end()) {
      it = index.emplace(name, out.size()).first;
      out.push_back(Layer{name, n.opType, -1});
    }
    if (isGemmNode(n)) {
      Layer& l = out[it->second];
      l.op = n.opType;
      const auto g = gemmOf.find(n.name);
      if (g != gemmOf.end()) l.gemm = g->second;
    }
  }
  return out;
}

std::vector<executor::GemmLayer> gemmShapes(std::shared_ptr<const model::Graph> graph,
                                            const std::vector<model::Tensor>& inputs) {
  executor::Executor ex(std::move(graph));
  ex.run(inputs);
  return ex.layers();
}

namespace {

// Copies every constant weight matrix as the executor prepares it.
class WeightCapture : public executor::GemmHook {
 public:
  explicit WeightCapture(size_t layers) : weights_(layers) {}
  void prepareWeights(const executor::GemmLayer& layer, size_t group, float* w, size_t n,
                      size_t k) override {
    if (!layer.constantWeights) return;
    tasd::MatrixF& m = weights_[layer.index];
    if (group == 0) m = tasd::MatrixF(layer.groups * n, k);
    std::copy(w, w + n * k, m.row(group * n));
  }
  bool wantsOperands(const executor::GemmLayer&) override { return false; }
  std::vector<tasd::MatrixF> take() { return std::move(weights_); }

 private:
  std::vector<tasd::MatrixF> weights_;
};

}  // namespace

std::vector<tasd::MatrixF> layerWeights(const Workload& w) {
  WeightCapture capture(w.gemms.size());
  executor::Executor ex(w.graph());
  ex.setHook(&capture);
  ex.run(w.inputs);
  return capture.take();
}

Workload modelWorkload(std::shared_ptr<model::Graph> graph, const std::vector<int64_t>& inputShape,
                       uint64_t seed) {
  assignLayers(*graph);
  Workload w;
  w.file = graph->source;
  w.format = graph->format;
  w.name = fs::path(graph->source).stem().string();
  w.seed = seed;
  const std::vector<int64_t> shape = resolveInputShape(*graph, inputShape);
  const uint64_t count = model::checkedElementCount(shape, "input shape");
  w.setGraph(graph);
  w.gemms = gemmShapes(graph, {model::Tensor::floats(shape, std::vector<float>(count, 0.0f))});
  w.layers = layerTable(*graph, w.gemms);
  w.inputs.push_back(model::Tensor::floats(shape, syntheticInput(seed, "input", count)));
  w.inputSource = fmt::format("synthetic standard normal (seed {})", seed);
  w.resolved["file"] = w.file;
  w.resolved["format"] = w.format;
  for (int64_t d : shape)
    w.resolved["input_shape"].push_back(d);
  return w;
}

Workload load(const std::string& path, const LoadOptions& options) {
  const fs::path p = path;
  const std::string ext = p.extension().string();
  if (ext == ".onnx" || ext == ".tflite") {
    if (!options.overrides.empty()) {
      throw UserError(fmt::format("--set {}: a model file ({}) has no workload keys",
                                  options.overrides.front(), path));
    }
    const std::vector<uint8_t> bytes = readFileBytes(p);
    auto graph = std::make_shared<model::Graph>(
        isTfliteFile(p, bytes) ? model::tfliteGraph(bytes, path) : model::parseOnnx(bytes, path));
    return modelWorkload(std::move(graph), options.inputShape, options.seed);
  }
  const config::Node root = config::loadFile(path, options.overrides);
  if (isImportYaml(root)) return importedWorkload(root, options);
  return syntheticWorkload(root);
}

}  // namespace tasdsim::workload
