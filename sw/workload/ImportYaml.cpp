#include "sw/workload/ImportYaml.h"

#include <map>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/config/ArchConfig.h"
#include "sw/model/Graph.h"

namespace tasdsim::workload {

namespace fs = std::filesystem;
using model::Graph;
using model::Node;

namespace {

const Node* producerOf(const Graph& g, const std::map<std::string, const Node*>& producers,
                       const std::string& v) {
  (void)g;
  const auto it = producers.find(v);
  return it == producers.end() ? nullptr : it->second;
}

// The first input of n that is not a constant, or "".
std::string dataInput(const Graph& g, const Node& n) {
  for (const std::string& in : n.inputs) {
    if (!in.empty() && !g.isConstant(in)) return in;
  }
  return "";
}

bool isAffineByConstant(const Graph& g, const Node& n) {
  if (n.opType == "BatchNormalization") return true;
  if (n.opType != "Mul" && n.opType != "Add" && n.opType != "Sub" && n.opType != "Div")
    return false;
  return n.inputs.size() == 2 && (g.isConstant(n.inputs[0]) || g.isConstant(n.inputs[1]));
}

}  // namespace

std::string followingActivation(const Graph& g, const std::string& output) {
  std::map<std::string, std::vector<const Node*>> consumers;
  std::map<std::string, const Node*> producers;
  for (const Node& n : g.nodes) {
    for (const std::string& in : n.inputs)
      consumers[in].push_back(&n);
    for (const std::string& out : n.outputs)
      producers[out] = &n;
  }
  std::string v = output;
  // Look through per-channel affine ops that have a single consumer chain.
  constexpr int kMaxAffine = 4;
  for (int step = 0; step < kMaxAffine; ++step) {
    const auto& cs = consumers[v];
    if (cs.size() != 1 || !isAffineByConstant(g, *cs.front())) break;
    v = cs.front()->outputs.front();
  }
  const auto& cs = consumers[v];
  // x * f(x): walk back from the Mul's other operand to x.
  constexpr int kMaxGateDepth = 4;
  for (const Node* c : cs) {
    if (c->opType != "Mul" || c->inputs.size() != 2) continue;
    const std::string other = c->inputs[0] == v ? c->inputs[1] : c->inputs[0];
    std::set<std::string> seen;
    std::string u = other;
    for (int d = 0; d < kMaxGateDepth && !u.empty(); ++d) {
      const Node* p = producerOf(g, producers, u);
      if (!p) break;
      seen.insert(p->opType);
      const std::string up = dataInput(g, *p);
      if (up == v) {
        if (seen.count("Sigmoid")) return "swish";
        if (seen.count("HardSigmoid") || seen.count("Clip")) return "hardswish";
        break;
      }
      u = up;
    }
  }
  if (cs.size() == 1) {
    const Node& c = *cs.front();
    if (c.opType == "Relu") return "relu";
    if (c.opType == "Sigmoid") return "sigmoid";
    if (c.opType == "HardSigmoid") return "hardsigmoid";
    if (c.opType == "Softmax") return "softmax";
    if (c.opType == "Tanh") return "tanh";
    if (c.opType == "Clip") {
      const float lo = c.floatAttr("min", -1), hi = c.floatAttr("max", -1);
      return lo == 0 && hi == 6 ? "relu6" : "clip";
    }
    // Paddle's hardswish: Add(x, 3) -> Clip(0, 6) -> Mul(x, .) -> Div 6 is caught above.
  }
  return "none";
}

namespace {

const Node* nodeNamed(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes)
    if (n.name == name) return &n;
  return nullptr;
}

// Memory order of a layer's stored weights: OIHW (ONNX conv), OHWI (NHWC conv), KN (MatMul
// x*W, Gemm), NK (Gemm transB = 1), or "" for activations.
std::string weightLayout(const Graph& g, const executor::GemmLayer& l) {
  if (!l.constantWeights) return "";
  const Node* n = nodeNamed(g, l.name);
  if (l.opType == "Conv")
    return n && n->stringAttr("data_layout", "NCHW") == "NHWC" ? "OHWI" : "OIHW";
  if (l.opType == "Gemm") return n && n->intAttr("transB", 0) ? "NK" : "KN";
  return "KN";
}

}  // namespace

bool isImportYaml(const config::Node& root) {
  const YAML::Node& raw = root.raw();
  return raw.IsMap() && raw["workload"] && raw["workload"].IsMap() && raw["workload"]["model"];
}

Workload importedWorkload(const config::Node& root, const LoadOptions& options) {
  const config::Node w = root.at("workload");
  root.finish();
  const std::string model = w.get<std::string>("model");
  const std::string format = w.choice("format", "onnx", {"onnx", "tflite"});
  std::vector<int64_t> shape;
  if (auto s = w.find("input_shape")) {
    for (const config::Node& d : s->items())
      shape.push_back(d.as<int64_t>());
  }
  const uint64_t totalMacs = w.get<uint64_t>("total_macs", 0);
  const std::string name = w.get<std::string>("name", fs::path(model).stem().string());
  const std::string description = w.get<std::string>("description", "");
  (void)w.find("layers");  // for readers; re-derived from the model
  w.finish();
  const std::string modelPath = config::resolvePath(w.file(), model);
  LoadOptions modelOptions = options;
  modelOptions.overrides.clear();
  if (modelOptions.inputShape.empty()) modelOptions.inputShape = shape;
  Workload out = load(modelPath, modelOptions);
  if (out.format != format) {
    w.at("format").fail(fmt::format("'{}' is a {} model, not {}", modelPath, out.format, format));
  }
  if (totalMacs && totalMacs != out.totalMacs()) {
    w.at("total_macs")
        .fail(fmt::format("{} MACs, but {} now has {} for input shape {}: the model changed since "
                          "the import; import it again",
                          totalMacs, modelPath, out.totalMacs(),
                          model::shapeString(out.inputs.front().shape)));
  }
  out.name = name;
  if (!description.empty()) out.description = description;
  out.resolved = root.resolved()["workload"];
  return out;
}

std::string importYamlText(const Workload& w, const fs::path& path) {
  const std::shared_ptr<const Graph> graph = w.graph();
  const Graph& g = *graph;
  YAML::Emitter y;
  auto shape = [&](const std::vector<int64_t>& s) {
    y << YAML::Flow << YAML::BeginSeq;
    for (int64_t d : s)
      y << d;
    y << YAML::EndSeq;
  };
  // The model relative to the YAML's folder when that is possible, else as given.
  std::error_code ec;
  const fs::path folder = fs::absolute(path, ec).parent_path();
  fs::path model = fs::absolute(w.file, ec);
  const fs::path relative = fs::relative(model, folder, ec);
  if (!ec && !relative.empty()) model = relative;
  y << YAML::BeginMap << YAML::Key << "workload" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "name" << YAML::Value << w.name;
  y << YAML::Key << "model" << YAML::Value << model.generic_string();
  y << YAML::Key << "format" << YAML::Value << w.format;
  y << YAML::Key << "input_shape" << YAML::Value;
  shape(w.inputs.front().shape);
  y << YAML::Key << "total_macs" << YAML::Value << w.totalMacs();
  y << YAML::Key << "layers" << YAML::Value << YAML::BeginSeq;
  for (const executor::GemmLayer& l : w.gemms) {
    const Node* node = nodeNamed(g, l.name);
    y << YAML::BeginMap;
    y << YAML::Key << "index" << YAML::Value << l.index;
    y << YAML::Key << "name" << YAML::Value << l.name;
    y << YAML::Key << "op" << YAML::Value << l.opType;
    y << YAML::Key << "input_shape" << YAML::Value;
    shape(l.inputShape);
    y << YAML::Key << "output_shape" << YAML::Value;
    shape(l.outputShape);
    y << YAML::Key << "gemm" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "groups"
      << YAML::Value << l.groups << YAML::Key << "m" << YAML::Value << l.rowsPerGroup() << YAML::Key
      << "n" << YAML::Value << l.n << YAML::Key << "k" << YAML::Value << l.k << YAML::EndMap;
    y << YAML::Key << "macs" << YAML::Value << l.macs();
    y << YAML::Key << "activation" << YAML::Value
      << (node && !node->outputs.empty() ? followingActivation(g, node->outputs.front())
                                         : std::string("none"));
    y << YAML::Key << "weights" << YAML::Value;
    if (l.constantWeights) {
      y << YAML::BeginMap << YAML::Key << "tensor" << YAML::Value << l.weightName << YAML::Key
        << "shape" << YAML::Value;
      shape(l.weightShape);
      y << YAML::Key << "layout" << YAML::Value << weightLayout(g, l) << YAML::EndMap;
    } else {
      y << YAML::Null;
    }
    y << YAML::EndMap;
  }
  y << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
  return std::string(y.c_str()) + "\n";
}

void writeImportYaml(const Workload& w, const fs::path& path) {
  writeFileAtomic(path, importYamlText(w, path));
}

}  // namespace tasdsim::workload
