#include "sw/workload/SyntheticNetwork.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "sw/common/Checked.h"
#include "sw/common/Error.h"
#include "sw/common/HostMemory.h"
#include "sw/common/ParallelFor.h"
#include "sw/workload/Synthetic.h"

namespace tasdsim::workload {
namespace {

using model::GraphBuilder;
using model::Tensor;

// The opset of synthetic graphs: Gelu (20), LayerNormalization (17), Clip's min/max as inputs.
constexpr int64_t kSyntheticOpset = 20;
constexpr float kLayerNormEpsilon = 1e-12f;  // BERT's

enum class Op { Conv, Gemm, MatMul, MaxPool, AvgPool, GlobalAvgPool, Add, LayerNorm };
enum class Activation { None, Relu, Relu6, Gelu, Swish, HardSwish, Sigmoid, Tanh, Softmax };

const std::vector<std::pair<Op, const char*>>& opNames() {
  static const std::vector<std::pair<Op, const char*>> names{
      {Op::Conv, "conv"},       {Op::Gemm, "gemm"},          {Op::MatMul, "matmul"},
      {Op::MaxPool, "maxpool"}, {Op::AvgPool, "avgpool"},    {Op::GlobalAvgPool, "global_avgpool"},
      {Op::Add, "add"},         {Op::LayerNorm, "layernorm"}};
  return names;
}

const char* opName(Op op) {
  for (const auto& [o, name] : opNames())
    if (o == op) return name;
  return "?";
}

const std::vector<std::pair<Activation, const char*>>& activationNames() {
  static const std::vector<std::pair<Activation, const char*>> names{
      {Activation::None, "none"},       {Activation::Relu, "relu"},
      {Activation::Relu6, "relu6"},     {Activation::Gelu, "gelu"},
      {Activation::Swish, "swish"},     {Activation::HardSwish, "hardswish"},
      {Activation::Sigmoid, "sigmoid"}, {Activation::Tanh, "tanh"},
      {Activation::Softmax, "softmax"}};
  return names;
}

struct Shape {
  uint32_t n = 1, h = 1, w = 1, c = 1;
  uint64_t elements() const { return uint64_t{n} * h * w * c; }
  uint64_t rows() const { return uint64_t{n} * h * w; }
  bool operator==(const Shape& o) const { return n == o.n && h == o.h && w == o.w && c == o.c; }
  std::vector<int64_t> dims() const { return {n, h, w, c}; }
};

// One layer as the YAML describes it.
struct LayerSpec {
  std::string name;
  Op op = Op::Conv;
  std::string input;   // producing layer, "input" for the network input, or "synthetic"
  std::string input2;  // MatMul: second operand (a layer); Add: the other summand
  Activation act = Activation::None;
  uint32_t cout = 0, kh = 1, kw = 1, strideH = 1, strideW = 1, groups = 1, dilation = 1;
  uint32_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  uint32_t outFeatures = 0;  // Gemm: output features; MatMul: N per group
  bool transposeB = false;   // MatMul: input2 holds [N x K] per group rather than [K x N]
  double scale = 1.0;        // MatMul: product scale (attention's 1/sqrt(d))
  double weightSparsity = -1;
  Activation syntheticAct = Activation::Relu;  // statistics of a synthetic input
  Shape syntheticShape, syntheticShape2;
  Shape in, in2, out;  // inferred
  uint64_t k() const;  // GEMM K per group
};

uint64_t LayerSpec::k() const {
  switch (op) {
    case Op::Conv:
      return uint64_t{kh} * kw * (in.c / groups);
    case Op::Gemm:
      return uint64_t{in.h} * in.w * in.c;
    case Op::MatMul:
      return in.c / groups;
    default:
      return 0;
  }
}

// Applies a to every value of a synthetic input (row-wise functions per rowLength values).
void shapeSynthetic(Activation a, float* x, size_t count, size_t rowLength) {
  switch (a) {
    case Activation::None:
      return;
    case Activation::Relu:
      for (size_t i = 0; i < count; ++i)
        x[i] = x[i] > 0.0f ? x[i] : 0.0f;
      return;
    case Activation::Relu6:
      for (size_t i = 0; i < count; ++i)
        x[i] = std::min(6.0f, std::max(0.0f, x[i]));
      return;
    case Activation::Gelu:
      for (size_t i = 0; i < count; ++i)
        x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678f));
      return;
    case Activation::Swish:
      for (size_t i = 0; i < count; ++i)
        x[i] = x[i] / (1.0f + std::exp(-x[i]));
      return;
    case Activation::HardSwish:
      for (size_t i = 0; i < count; ++i)
        x[i] = x[i] * std::min(6.0f, std::max(0.0f, x[i] + 3.0f)) / 6.0f;
      return;
    case Activation::Sigmoid:
      for (size_t i = 0; i < count; ++i)
        x[i] = 1.0f / (1.0f + std::exp(-x[i]));
      return;
    case Activation::Tanh:
      for (size_t i = 0; i < count; ++i)
        x[i] = std::tanh(x[i]);
      return;
    case Activation::Softmax: {
      const size_t row = rowLength ? rowLength : count;
      for (size_t r = 0; r + row <= count; r += row) {
        float mx = x[r];
        for (size_t j = 0; j < row; ++j)
          mx = std::max(mx, x[r + j]);
        double sum = 0;
        for (size_t j = 0; j < row; ++j)
          sum += (x[r + j] = std::exp(x[r + j] - mx));
        for (size_t j = 0; j < row; ++j)
          x[r + j] = static_cast<float>(x[r + j] / sum);
      }
      return;
    }
  }
}

// ---- parsing -------------------------------------------------------------------------------

Op parseOp(const config::Node& n) {
  std::vector<std::string> allowed;
  for (const auto& [op, name] : opNames())
    allowed.push_back(name);
  const std::string t = n.choice("op", "conv", allowed);
  for (const auto& [op, name] : opNames())
    if (t == name) return op;
  return Op::Conv;
}

Activation parseActivation(const config::Node& n, const std::string& key,
                           const std::string& fallback) {
  std::vector<std::string> allowed;
  for (const auto& [a, name] : activationNames())
    allowed.push_back(name);
  const std::string t = n.choice(key, fallback, allowed);
  for (const auto& [a, name] : activationNames())
    if (t == name) return a;
  return Activation::None;
}

Shape parseShape(const config::Node& n) {
  Shape s;
  s.n = n.get<uint32_t>("n", 1, 1, 4096);
  s.h = n.get<uint32_t>("h", 1, 1, 65536);
  s.w = n.get<uint32_t>("w", 1, 1, 65536);
  s.c = n.get<uint32_t>("c", 1, 1, 1u << 20);
  n.finish();
  return s;
}

uint32_t outExtent(uint32_t in, uint32_t k, uint32_t stride, uint32_t padA, uint32_t padB,
                   uint32_t dilation) {
  const int64_t span = int64_t{dilation} * (k - 1) + 1;
  const int64_t padded = int64_t{in} + padA + padB;
  if (padded < span) return 0;
  return static_cast<uint32_t>((padded - span) / stride + 1);
}

LayerSpec parseLayer(const config::Node& n, const std::string& previous) {
  LayerSpec l;
  l.name = n.get<std::string>("name");
  l.op = parseOp(n);
  l.input = n.get<std::string>("input", previous.empty() ? "input" : previous);
  l.input2 = n.get<std::string>("input2", "");
  l.act = parseActivation(n, "act", "none");
  const uint32_t kernel = n.get<uint32_t>("kernel", 1, 1, 31);
  l.kh = n.get<uint32_t>("kernel_h", kernel, 1, 31);
  l.kw = n.get<uint32_t>("kernel_w", kernel, 1, 31);
  const uint32_t stride = n.get<uint32_t>("stride", 1, 1, 15);
  l.strideH = n.get<uint32_t>("stride_h", stride, 1, 15);
  l.strideW = n.get<uint32_t>("stride_w", stride, 1, 15);
  const uint32_t pad = n.get<uint32_t>("pad", 0, 0, 31);
  l.padTop = n.get<uint32_t>("pad_top", pad, 0, 31);
  l.padLeft = n.get<uint32_t>("pad_left", pad, 0, 31);
  l.padBottom = n.get<uint32_t>("pad_bottom", pad, 0, 31);
  l.padRight = n.get<uint32_t>("pad_right", pad, 0, 31);
  l.dilation = n.get<uint32_t>("dilation", 1, 1, 15);
  l.groups = n.get<uint32_t>("groups", 1, 1, 1u << 16);
  if (l.op == Op::Conv) l.cout = n.get<uint32_t>("cout", 0, 1, 1u << 20);
  if (l.op == Op::Gemm) l.outFeatures = n.get<uint32_t>("out_features", 0, 1, 1u << 24);
  if (l.op == Op::MatMul) {
    l.outFeatures = n.get<uint32_t>("n", 0, 1, 1u << 24);
    l.transposeB = n.get<bool>("transpose_b", true);
    l.scale = n.get<double>("scale", 1.0, -1e6, 1e6);
  }
  l.weightSparsity = n.get<double>("weight_sparsity", -1.0, -1.0, 1.0);  // 1: all-zero weights
  if (auto syn = n.find("synthetic")) {
    l.syntheticAct = parseActivation(*syn, "act", "relu");
    if (auto shape = syn->find("shape")) l.syntheticShape = parseShape(*shape);
    syn->finish();
  }
  l.syntheticShape2 = l.syntheticShape;
  if (auto syn2 = n.find("synthetic2")) {
    if (auto shape = syn2->find("shape")) l.syntheticShape2 = parseShape(*shape);
    syn2->finish();
  }
  n.finish();
  return l;
}

// Infers the layer's shapes from its inputs; fails naming the layer.
void inferShapes(LayerSpec& l, const std::map<std::string, Shape>& shapes, const config::Node& n) {
  auto fail = [&](const std::string& why) { n.fail(fmt::format("layer '{}': {}", l.name, why)); };
  auto shapeOf = [&](const std::string& src, const Shape& synthetic) -> Shape {
    if (src == "synthetic") {
      if (synthetic.elements() <= 1)
        fail("a synthetic input needs synthetic.shape (synthetic2.shape for input2)");
      return synthetic;
    }
    auto it = shapes.find(src);
    if (it == shapes.end())
      fail(fmt::format("input '{}' is not an earlier layer (or input, synthetic)", src));
    return it->second;
  };
  l.in = shapeOf(l.input, l.syntheticShape);
  switch (l.op) {
    case Op::Conv:
    case Op::MaxPool:
    case Op::AvgPool:
      l.out.n = l.in.n;
      l.out.h = outExtent(l.in.h, l.kh, l.strideH, l.padTop, l.padBottom, l.dilation);
      l.out.w = outExtent(l.in.w, l.kw, l.strideW, l.padLeft, l.padRight, l.dilation);
      if (l.out.h == 0 || l.out.w == 0) fail("kernel larger than the padded input");
      l.out.c = l.op == Op::Conv ? l.cout : l.in.c;
      if (l.op == Op::Conv && (l.in.c % l.groups || l.cout % l.groups)) {
        fail(fmt::format("groups = {} must divide input channels {} and cout {}", l.groups, l.in.c,
                         l.cout));
      }
      if (l.op != Op::Conv && l.dilation != 1) fail("pooling has no dilation");
      if (l.op != Op::Conv &&
          (l.padTop >= l.kh || l.padBottom >= l.kh || l.padLeft >= l.kw || l.padRight >= l.kw)) {
        fail(
            fmt::format("pooling padding (top {}, bottom {}, left {}, right {}) must be smaller "
                        "than the kernel ({}x{}): a window would cover only padding",
                        l.padTop, l.padBottom, l.padLeft, l.padRight, l.kh, l.kw));
      }
      break;
    case Op::GlobalAvgPool:
      l.out = Shape{l.in.n, 1, 1, l.in.c};
      break;
    case Op::Gemm:
      // Rows are the batch (or tokens when the input is [n x 1 x 1 x c] with n tokens).
      l.out = Shape{l.in.n, 1, 1, l.outFeatures};
      if (l.groups != 1) fail("gemm layers have groups = 1");
      break;
    case Op::MatMul: {
      if (l.input2.empty()) fail("matmul needs input2");
      l.in2 = shapeOf(l.input2, l.syntheticShape2);
      if (l.in.c % l.groups) fail("groups must divide the input features");
      const uint64_t k = l.in.c / l.groups;
      // input2 holds, per group, an [n x k] matrix (transpose_b) or a [k x n] one, as rows x
      // features.
      const uint64_t expect = l.transposeB ? l.outFeatures : k;
      const uint64_t features2 = (l.transposeB ? k : uint64_t{l.outFeatures}) * l.groups;
      if (l.in2.rows() != expect || l.in2.c != features2) {
        fail(fmt::format("input2 shape does not match: need {} rows of {} features", expect,
                         features2));
      }
      // In 32 bits n x groups wrapped (to 0 output features, then a division by zero).
      const uint64_t outFeatures = uint64_t{l.outFeatures} * l.groups;
      if (outFeatures > UINT32_MAX)
        fail(fmt::format("n x groups = {} output features; at most {}", outFeatures, UINT32_MAX));
      l.out = Shape{l.in.n, l.in.h, l.in.w, static_cast<uint32_t>(outFeatures)};
      break;
    }
    case Op::Add:
      if (l.input2.empty()) fail("add needs input2");
      l.in2 = shapeOf(l.input2, l.syntheticShape2);
      if (!(l.in2 == l.in))
        fail(fmt::format("add of different shapes ('{}' and '{}')", l.input, l.input2));
      l.out = l.in;
      break;
    case Op::LayerNorm:
      l.out = l.in;
      break;
  }
}

// Every element and MAC count of the layer fits 64 bits (what fits the machine is checked before
// a run, sw/runtime/Preflight.h).
void checkSizes(const LayerSpec& l, const config::Node& n) {
  auto fail = [&](const std::string& why) { n.fail(fmt::format("layer '{}': {}", l.name, why)); };
  for (const Shape* shape : {&l.in, &l.in2, &l.out}) {
    if (!checkedProduct({shape->n, shape->h, shape->w, shape->c}))
      fail("a tensor's element count overflows 64 bits");
  }
  const bool gemm = l.op == Op::Conv || l.op == Op::Gemm || l.op == Op::MatMul;
  const uint64_t rows = l.op == Op::Conv ? l.out.rows() : l.op == Op::Gemm ? l.in.n : l.in.rows();
  const uint64_t cols = l.op == Op::Conv ? l.cout / l.groups : l.outFeatures;
  if (gemm && !checkedProduct({rows, cols, l.k(), l.groups}))
    fail("the layer's MAC count overflows 64 bits");
}

// ---- the graph -----------------------------------------------------------------------------

class Builder {
 public:
  Builder(const std::string& file, uint64_t seed, double weightSparsity)
      : g_(file, "synthetic", kSyntheticOpset), seed_(seed), weightSparsity_(weightSparsity) {}

  GraphBuilder& graph() { return g_; }

  // The value a layer reads: a layer's output, the network input, or a synthetic constant.
  std::string source(const LayerSpec& l, const std::string& src, const Shape& shape, bool second) {
    if (src != "synthetic") return src;
    Tensor t = Tensor::floats(
        shape.dims(), syntheticInput(seed_, l.name + (second ? "#2" : ""), shape.elements()));
    // Row-wise activations (softmax) work per group of a grouped layer (per attention head).
    shapeSynthetic(l.syntheticAct, t.f.data(), t.f.size(), shape.c / l.groups);
    return g_.constant(l.name + (second ? ".synthetic2" : ".synthetic"), std::move(t));
  }

  std::string shapeConstant(const std::string& name, const std::vector<int64_t>& dims) {
    return g_.constant(name, Tensor::ints({static_cast<int64_t>(dims.size())}, dims));
  }

  std::string reshape(const LayerSpec& l, const std::string& x, const std::vector<int64_t>& dims,
                      const std::string& out) {
    const std::string shape = shapeConstant(out + ".shape", dims);
    g_.node("Reshape", out, {x, shape}, {out}, l.name);
    return out;
  }

  std::string transpose(const LayerSpec& l, const std::string& x, std::vector<int64_t> perm,
                        const std::string& out) {
    g_.node("Transpose", out, {x}, {out}, l.name)
        .attributes.push_back(GraphBuilder::intsAttr("perm", std::move(perm)));
    return out;
  }

  // The layer's activation applied to x, named out (x itself when the layer has none).
  std::string activation(const LayerSpec& l, const std::string& x, const std::string& out) {
    const std::string node = out + ".act";
    switch (l.act) {
      case Activation::None:
        return x;
      case Activation::Relu:
        g_.node("Relu", node, {x}, {out}, l.name);
        break;
      case Activation::Relu6: {
        const std::string lo = g_.constant(out + ".min", Tensor::floats({}, {0.0f}));
        const std::string hi = g_.constant(out + ".max", Tensor::floats({}, {6.0f}));
        g_.node("Clip", node, {x, lo, hi}, {out}, l.name);
        break;
      }
      case Activation::Gelu:
        g_.node("Gelu", node, {x}, {out}, l.name);
        break;
      case Activation::Swish:
        g_.node("Sigmoid", out + ".sigmoid", {x}, {out + ".sigmoid"}, l.name);
        g_.node("Mul", node, {x, out + ".sigmoid"}, {out}, l.name);
        break;
      case Activation::HardSwish:
        g_.node("HardSwish", node, {x}, {out}, l.name);
        break;
      case Activation::Sigmoid:
        g_.node("Sigmoid", node, {x}, {out}, l.name);
        break;
      case Activation::Tanh:
        g_.node("Tanh", node, {x}, {out}, l.name);
        break;
      case Activation::Softmax:
        g_.node("Softmax", node, {x}, {out}, l.name)
            .attributes.push_back(GraphBuilder::intAttr("axis", -1));
        break;
    }
    return out;
  }

  // A layer's weights (count values): drawn ahead by drawWeights, or now. Each layer draws from
  // its own stream, so the values do not depend on the order or the thread.
  std::vector<float> weights(const LayerSpec& l, uint64_t count) {
    const auto it = drawn_.find(l.name);
    if (it != drawn_.end() && it->second.size() == count) {
      std::vector<float> w = std::move(it->second);
      drawn_.erase(it);
      return w;
    }
    return draw(l, count);
  }

  // Draws every layer's weights on the host's cores, largest first.
  void drawWeights(const std::vector<LayerSpec>& specs) {
    std::vector<std::pair<uint64_t, const LayerSpec*>> work;
    for (const LayerSpec& l : specs)
      if (const uint64_t n = weightCount(l)) work.emplace_back(n, &l);
    std::stable_sort(work.begin(), work.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::vector<float>> values(work.size());
    parallelFor(work.size(), hostThreads(),
                [&](size_t i) { values[i] = draw(*work[i].second, work[i].first); });
    for (size_t i = 0; i < work.size(); ++i)
      drawn_[work[i].second->name] = std::move(values[i]);
  }

  // Values in a layer's weight tensor (0: it has none).
  static uint64_t weightCount(const LayerSpec& l) {
    if (l.op == Op::Conv) return uint64_t{l.cout} * l.kh * l.kw * (l.in.c / l.groups);
    if (l.op == Op::Gemm) return uint64_t{l.outFeatures} * l.k();
    return 0;
  }

 private:
  std::vector<float> draw(const LayerSpec& l, uint64_t count) const {
    const double sparsity = l.weightSparsity >= 0 ? l.weightSparsity : weightSparsity_;
    return syntheticWeights(seed_, l.name, count, l.k(), sparsity);
  }

  GraphBuilder g_;
  uint64_t seed_;
  double weightSparsity_;
  std::map<std::string, std::vector<float>> drawn_;
};

// The GEMM layer of a compute layer (as the executor will see it), without building anything.
std::optional<executor::GemmLayer> gemmOf(const LayerSpec& l, size_t index) {
  if (l.op != Op::Conv && l.op != Op::Gemm && l.op != Op::MatMul) return std::nullopt;
  executor::GemmLayer gemm;
  gemm.index = index;
  gemm.name = l.name;
  gemm.inputShape = l.in.dims();
  gemm.outputShape = l.out.dims();
  gemm.groups = l.groups;
  gemm.k = l.k();
  if (l.op == Op::Conv) {
    tasd::ConvGeometry geo;
    geo.inH = l.in.h;
    geo.inW = l.in.w;
    geo.channels = l.in.c / l.groups;
    geo.kh = l.kh;
    geo.kw = l.kw;
    geo.strideH = l.strideH;
    geo.strideW = l.strideW;
    geo.padTop = l.padTop;
    geo.padLeft = l.padLeft;
    geo.padBottom = l.padBottom;
    geo.padRight = l.padRight;
    geo.dilationH = geo.dilationW = l.dilation;
    gemm.opType = "Conv";
    gemm.constantWeights = true;
    gemm.weightName = l.name + ".weight";
    gemm.weightShape = {l.cout, l.kh, l.kw, static_cast<int64_t>(geo.channels)};
    gemm.m = uint64_t{l.out.h} * l.out.w;
    gemm.n = l.cout / l.groups;
    gemm.batch = l.in.n;
    gemm.conv = geo;
  } else if (l.op == Op::Gemm) {
    gemm.opType = "Gemm";
    gemm.constantWeights = true;
    gemm.weightName = l.name + ".weight";
    gemm.weightShape = {l.outFeatures, static_cast<int64_t>(l.k())};
    gemm.m = l.in.n;
    gemm.n = l.outFeatures;
  } else {
    gemm.opType = "MatMul";
    gemm.constantWeights = false;
    gemm.weightName = l.input2 == "synthetic" ? l.name + ".synthetic2" : l.input2;
    gemm.weightShape = l.in2.dims();
    gemm.m = l.in.rows();
    gemm.n = l.outFeatures;
  }
  return gemm;
}

// Emits the layer's nodes; the layer's output value is named after the layer.
void emitLayer(Builder& b, const LayerSpec& l) {
  GraphBuilder& g = b.graph();
  const std::string x = b.source(l, l.input, l.in, false);
  // The result before the activation (the layer's output itself when it has none).
  const std::string pre = l.act == Activation::None ? l.name : l.name + ".pre";
  switch (l.op) {
    case Op::Conv: {
      const uint32_t cg = l.in.c / l.groups;
      const std::vector<int64_t> wDims{l.cout, l.kh, l.kw,
                                       cg};  // OHWI = the lowered [cout][k] order
      const std::string w =
          g.constant(l.name + ".weight", Tensor::floats(wDims, b.weights(l, b.weightCount(l))));
      model::Node& n = g.node("Conv", l.name, {x, w}, {pre}, l.name);
      n.attributes = {
          GraphBuilder::stringAttr("data_layout", "NHWC"),
          GraphBuilder::intAttr("group", l.groups),
          GraphBuilder::intsAttr("kernel_shape", {l.kh, l.kw}),
          GraphBuilder::intsAttr("strides", {l.strideH, l.strideW}),
          GraphBuilder::intsAttr("pads", {l.padTop, l.padLeft, l.padBottom, l.padRight}),
          GraphBuilder::intsAttr("dilations", {l.dilation, l.dilation})};
      break;
    }
    case Op::Gemm: {
      const uint64_t k = l.k();
      const std::string rows = b.reshape(l, x, {l.in.n, static_cast<int64_t>(k)}, l.name + ".rows");
      const std::vector<int64_t> wDims{l.outFeatures, static_cast<int64_t>(k)};
      const std::string w =
          g.constant(l.name + ".weight", Tensor::floats(wDims, b.weights(l, b.weightCount(l))));
      g.node("Gemm", l.name, {rows, w}, {l.name + ".gemm"}, l.name)
          .attributes.push_back(GraphBuilder::intAttr("transB", 1));
      b.reshape(l, l.name + ".gemm", l.out.dims(), pre);
      break;
    }
    case Op::MatMul: {
      const int64_t G = l.groups, K = static_cast<int64_t>(l.k()), N = l.outFeatures;
      const int64_t R = static_cast<int64_t>(l.in.rows());
      const std::string x2 = b.source(l, l.input2, l.in2, true);
      const std::string a3 = b.reshape(l, x, {R, G, K}, l.name + ".a3");
      const std::string a = b.transpose(l, a3, {1, 0, 2}, l.name + ".a");  // [G, R, K]
      std::string bt;
      if (l.transposeB) {  // [N, G*K] -> [G, K, N]
        b.reshape(l, x2, {N, G, K}, l.name + ".b3");
        bt = b.transpose(l, l.name + ".b3", {1, 2, 0}, l.name + ".b");
      } else {  // [K, G*N] -> [G, K, N]
        b.reshape(l, x2, {K, G, N}, l.name + ".b3");
        bt = b.transpose(l, l.name + ".b3", {1, 0, 2}, l.name + ".b");
      }
      std::string product = l.name + ".product";
      g.node("MatMul", l.name, {a, bt}, {product}, l.name);
      if (l.scale != 1.0) {
        const std::string s =
            g.constant(l.name + ".scale", Tensor::floats({}, {static_cast<float>(l.scale)}));
        g.node("Mul", l.name + ".scaled", {product, s}, {l.name + ".scaled"}, l.name);
        product = l.name + ".scaled";
      }
      const std::string acted = b.activation(l, product, l.name + ".act");  // per group rows
      const std::string back = b.transpose(l, acted, {1, 0, 2}, l.name + ".rgn");
      b.reshape(l, back, l.out.dims(), l.name);
      return;
    }
    case Op::MaxPool:
    case Op::AvgPool: {
      model::Node& n =
          g.node(l.op == Op::MaxPool ? "MaxPool" : "AveragePool", l.name, {x}, {pre}, l.name);
      n.attributes = {
          GraphBuilder::stringAttr("data_layout", "NHWC"),
          GraphBuilder::intsAttr("kernel_shape", {l.kh, l.kw}),
          GraphBuilder::intsAttr("strides", {l.strideH, l.strideW}),
          GraphBuilder::intsAttr("pads", {l.padTop, l.padLeft, l.padBottom, l.padRight})};
      break;
    }
    case Op::GlobalAvgPool:
      g.node("GlobalAveragePool", l.name, {x}, {pre}, l.name)
          .attributes.push_back(GraphBuilder::stringAttr("data_layout", "NHWC"));
      break;
    case Op::Add: {
      const std::string x2 = b.source(l, l.input2, l.in2, true);
      g.node("Add", l.name, {x, x2}, {pre}, l.name);
      break;
    }
    case Op::LayerNorm: {
      const std::string gamma =
          g.constant(l.name + ".gamma", Tensor::floats({l.in.c}, std::vector<float>(l.in.c, 1.0f)));
      const std::string beta =
          g.constant(l.name + ".beta", Tensor::floats({l.in.c}, std::vector<float>(l.in.c, 0.0f)));
      model::Node& n = g.node("LayerNormalization", l.name, {x, gamma, beta}, {pre}, l.name);
      n.attributes = {GraphBuilder::intAttr("axis", -1),
                      GraphBuilder::floatAttr("epsilon", kLayerNormEpsilon)};
      break;
    }
  }
  b.activation(l, pre, l.name);
}

}  // namespace

Workload syntheticWorkload(const config::Node& root) {
  const config::Node w = root.at("workload");
  root.finish();
  Workload out;
  out.format = "synthetic";
  out.name = w.get<std::string>("name");
  out.description = w.get<std::string>("description", "");
  out.seed = w.get<uint64_t>("seed", 1);
  const Shape input = parseShape(w.at("input"));
  const double weightSparsity = w.get<double>("weight_sparsity", 0.0, 0.0, 1.0);
  const config::Node layers = w.at("layers");
  out.file = layers.file();
  std::map<std::string, Shape> shapes{{"input", input}};
  std::vector<LayerSpec> specs;
  std::string previous;
  for (const config::Node& n : layers.items()) {
    LayerSpec l = parseLayer(n, previous);
    if (shapes.count(l.name) || l.name == "synthetic")
      n.fail(fmt::format("layer '{}': duplicate layer name", l.name));
    inferShapes(l, shapes, n);
    checkSizes(l, n);
    shapes[l.name] = l.out;
    previous = l.name;
    specs.push_back(std::move(l));
  }
  if (specs.empty()) layers.fail("a workload needs at least one layer");
  w.finish();

  for (const LayerSpec& l : specs) {
    Layer entry{l.name, opName(l.op), -1};
    if (auto gemm = gemmOf(l, out.gemms.size())) {
      entry.gemm = static_cast<int>(out.gemms.size());
      out.gemms.push_back(std::move(*gemm));
    }
    out.layers.push_back(std::move(entry));
  }
  // The graph and its synthetic values, when first needed.
  out.setGraphBuilder([file = out.file, seed = out.seed, weightSparsity, input, specs]() {
    Builder b(file, seed, weightSparsity);
    b.graph().input("input", input.dims());
    b.drawWeights(specs);
    for (const LayerSpec& l : specs)
      emitLayer(b, l);
    b.graph().output(specs.back().name);
    return std::make_shared<const model::Graph>(b.graph().take());
  });
  (void)out.totalMacs();  // UserError when the layers' MACs add up past 64 bits
  // The default input is drawn now: it must fit (a huge one ended in std::bad_alloc).
  const std::optional<uint64_t> inputBytes = checkedMul(input.elements(), sizeof(float));
  if (!inputBytes || *inputBytes > hostMemoryLimitBytes()) {
    w.at("input").fail(fmt::format(
        "{} values ({}) do not fit the {} this process may use", input.elements(),
        inputBytes ? formatBytes(*inputBytes) : "> 16 EiB", formatBytes(hostMemoryLimitBytes())));
  }
  out.inputs.push_back(
      Tensor::floats(input.dims(), syntheticInput(out.seed, "input", input.elements())));
  out.inputSource = fmt::format("synthetic (seed {})", out.seed);
  out.resolved = root.resolved()["workload"];
  return out;
}

}  // namespace tasdsim::workload
