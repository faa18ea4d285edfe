#include "sw/model/Workload.h"

#include <array>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "sw/common/Checked.h"
#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/tasd/Lowering.h"

namespace tasdsim::model {

uint64_t Workload::totalMacs() const {
  std::optional<uint64_t> total = 0;
  for (const WorkloadLayer& l : layers)
    if (!(total = checkedAdd(*total, l.macs)))
      throw UserError(model + ": the model's MAC count overflows 64 bits");
  return *total;
}

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

std::string onnxFollowingActivation(const Graph& g, const std::string& output) {
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

Workload tfliteWorkload(const TfliteModel& m) {
  Workload w;
  w.model = m.source;
  w.format = "tflite";
  if (!m.inputs.empty()) w.inputShape = m.tensors[static_cast<size_t>(m.inputs.front())].shape;
  for (size_t k = 0; k < m.operators.size(); ++k) {
    const TfliteOperator& op = m.operators[k];
    const bool conv = op.builtin == tflite_op::kConv2d;
    const bool depthwise = op.builtin == tflite_op::kDepthwiseConv2d;
    const bool fc = op.builtin == tflite_op::kFullyConnected;
    if (!conv && !depthwise && !fc) continue;
    const std::string what =
        fmt::format("{}: operator {} ({})", m.source, k, tfliteOpName(op.builtin));
    if (op.inputs.size() < 2 || op.outputs.empty() || op.inputs[0] < 0 || op.inputs[1] < 0) {
      throw UserError(what + ": missing input, weight or output tensor");
    }
    const TfliteTensor& in = m.tensors[static_cast<size_t>(op.inputs[0])];
    const TfliteTensor& out = m.tensors[static_cast<size_t>(op.outputs[0])];
    WorkloadLayer l;
    l.index = w.layers.size();
    l.name = out.name;
    l.op = tfliteOpName(op.builtin);
    l.inputShape = in.shape;
    l.outputShape = out.shape;
    l.activation = tfliteActivationName(op.fusedActivation);
    // The weight tensor as stored: follow DEQUANTIZE / DENSIFY back to the tensor with data.
    int32_t wt = op.inputs[1];
    for (int step = 0; step < 4; ++step) {
      const TfliteTensor& t = m.tensors[static_cast<size_t>(wt)];
      if (t.buffer && m.buffers[t.buffer].second) break;
      const int32_t p = m.producer(wt);
      if (p < 0) break;
      const TfliteOperator& po = m.operators[static_cast<size_t>(p)];
      if ((po.builtin != tflite_op::kDequantize && po.builtin != tflite_op::kDensify) ||
          po.inputs.empty() || po.inputs[0] < 0) {
        break;
      }
      wt = po.inputs[0];
    }
    const TfliteTensor& weight = m.tensors[static_cast<size_t>(wt)];
    l.weightTensor = weight.name.empty() ? fmt::format("tensor{}", wt) : weight.name;
    l.weightShape = weight.shape;
    const auto& ws = weight.shape;
    if (conv || depthwise) {
      if (ws.size() != 4 || out.shape.size() != 4 || in.shape.size() != 4)
        throw UserError(what + ": expects 4-D NHWC tensors and weights");
      for (const auto* shape : {&ws, &out.shape, &in.shape}) {
        for (int64_t d : *shape) {
          if (d <= 0) throw UserError(what + ": tensor and weight dimensions must be positive");
        }
        (void)checkedElementCount(*shape, what);  // bounds the products below
      }
      const uint64_t positions = static_cast<uint64_t>(out.shape[0] * out.shape[1] * out.shape[2]);
      if (conv) {
        l.weightLayout = "OHWI";
        l.groups =
            ws[3] > 0 && in.shape[3] % ws[3] == 0 ? static_cast<size_t>(in.shape[3] / ws[3]) : 1;
        l.n = static_cast<size_t>(ws[0]) / l.groups;
        l.k = static_cast<size_t>(ws[1] * ws[2] * ws[3]);
      } else {
        l.weightLayout = "1HWC";
        l.groups = static_cast<size_t>(in.shape[3]);
        l.n = static_cast<size_t>(op.depthMultiplier > 0 ? op.depthMultiplier : 1);
        l.k = static_cast<size_t>(ws[1] * ws[2]);
      }
      l.m = static_cast<size_t>(positions);
    } else {
      if (ws.size() != 2) throw UserError(what + ": expects 2-D [out, in] weights");
      (void)checkedElementCount(ws, what);
      (void)checkedElementCount(out.shape, what);
      l.weightLayout = "NK";
      l.n = static_cast<size_t>(ws[0]);
      l.k = static_cast<size_t>(ws[1]);
      const size_t outElements = shapeElements(out.shape);
      l.m = l.n ? outElements / l.n : 0;
    }
    const std::optional<uint64_t> macs = checkedProduct({l.groups, l.m, l.n, l.k});
    if (!macs) throw UserError(what + ": the layer's MAC count overflows 64 bits");
    l.macs = *macs;
    w.layers.push_back(std::move(l));
  }
  return w;
}

tasd::MatrixF gemmWeights(const WorkloadLayer& l, const Tensor& stored) {
  const auto& s = stored.shape;
  const std::vector<float>& v = stored.f;
  const std::string what =
      fmt::format("layer '{}': weights {} {}", l.name, l.weightTensor, shapeString(s));
  if (!stored.isFloat()) throw UserError(what + ": not floating point");
  auto dims4 = [&]() -> std::array<size_t, 4> {
    if (s.size() != 4) throw UserError(what + ": expected 4 dimensions");
    return {static_cast<size_t>(s[0]), static_cast<size_t>(s[1]), static_cast<size_t>(s[2]),
            static_cast<size_t>(s[3])};
  };
  if (l.weightLayout == "OIHW")
    return tasd::lowerConvWeights(v.data(), dims4(), tasd::ConvLayout::OIHW);
  if (l.weightLayout == "OHWI")
    return tasd::lowerConvWeights(v.data(), dims4(), tasd::ConvLayout::OHWI);
  if (l.weightLayout == "1HWC") {
    const auto d = dims4();
    const size_t c = d[3], taps = d[1] * d[2];
    tasd::MatrixF out(c, taps);
    for (size_t ch = 0; ch < c; ++ch) {
      for (size_t t = 0; t < taps; ++t)
        out(ch, t) = v[t * c + ch];
    }
    return out;
  }
  if (s.size() != 2) throw UserError(what + ": expected 2 dimensions");
  const size_t r = static_cast<size_t>(s[0]), c = static_cast<size_t>(s[1]);
  if (l.weightLayout == "NK") return tasd::MatrixF(r, c, v);
  if (l.weightLayout == "KN") {
    tasd::MatrixF out(c, r);
    for (size_t i = 0; i < r; ++i) {
      for (size_t j = 0; j < c; ++j)
        out(j, i) = v[i * c + j];
    }
    return out;
  }
  throw UserError(what + ": unknown weight layout '" + l.weightLayout + "'");
}

std::string workloadYaml(const Workload& w) {
  YAML::Emitter y;
  auto shape = [&](const std::vector<int64_t>& s) {
    y << YAML::Flow << YAML::BeginSeq;
    for (int64_t d : s)
      y << d;
    y << YAML::EndSeq;
  };
  y << YAML::BeginMap << YAML::Key << "workload" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "model" << YAML::Value << w.model;
  y << YAML::Key << "format" << YAML::Value << w.format;
  y << YAML::Key << "input_shape" << YAML::Value;
  shape(w.inputShape);
  y << YAML::Key << "total_macs" << YAML::Value << w.totalMacs();
  y << YAML::Key << "layers" << YAML::Value << YAML::BeginSeq;
  for (const WorkloadLayer& l : w.layers) {
    y << YAML::BeginMap;
    y << YAML::Key << "index" << YAML::Value << l.index;
    y << YAML::Key << "name" << YAML::Value << l.name;
    y << YAML::Key << "op" << YAML::Value << l.op;
    y << YAML::Key << "input_shape" << YAML::Value;
    shape(l.inputShape);
    y << YAML::Key << "output_shape" << YAML::Value;
    shape(l.outputShape);
    y << YAML::Key << "gemm" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "groups"
      << YAML::Value << l.groups << YAML::Key << "m" << YAML::Value << l.m << YAML::Key << "n"
      << YAML::Value << l.n << YAML::Key << "k" << YAML::Value << l.k << YAML::EndMap;
    y << YAML::Key << "macs" << YAML::Value << l.macs;
    y << YAML::Key << "activation" << YAML::Value << l.activation;
    y << YAML::Key << "weights" << YAML::Value;
    if (l.constantWeights()) {
      y << YAML::BeginMap << YAML::Key << "model" << YAML::Value << w.model << YAML::Key << "tensor"
        << YAML::Value << l.weightTensor << YAML::Key << "shape" << YAML::Value;
      shape(l.weightShape);
      y << YAML::Key << "layout" << YAML::Value << l.weightLayout << YAML::EndMap;
    } else {
      y << YAML::Null;
    }
    y << YAML::EndMap;
  }
  y << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
  return std::string(y.c_str()) + "\n";
}

void writeWorkloadYaml(const Workload& w, const std::filesystem::path& path) {
  writeFileAtomic(path, workloadYaml(w));
}

}  // namespace tasdsim::model
