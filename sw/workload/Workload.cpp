#include "sw/workload/Workload.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "sw/common/Checked.h"
#include "sw/common/Error.h"

namespace tasdsim::workload {

const char* layerOpName(LayerOp op) {
  switch (op) {
    case LayerOp::Conv: return "conv";
    case LayerOp::Gemm: return "gemm";
    case LayerOp::MatMul: return "matmul";
    case LayerOp::MaxPool: return "maxpool";
    case LayerOp::AvgPool: return "avgpool";
    case LayerOp::GlobalAvgPool: return "global_avgpool";
    case LayerOp::Add: return "add";
  }
  return "?";
}

const char* activationName(Activation a) {
  switch (a) {
    case Activation::None: return "none";
    case Activation::Relu: return "relu";
    case Activation::Relu6: return "relu6";
    case Activation::Gelu: return "gelu";
    case Activation::Swish: return "swish";
    case Activation::HardSwish: return "hardswish";
    case Activation::Sigmoid: return "sigmoid";
    case Activation::Tanh: return "tanh";
    case Activation::Softmax: return "softmax";
  }
  return "?";
}

Activation parseActivation(const std::string& t) {
  for (Activation a : {Activation::None, Activation::Relu, Activation::Relu6, Activation::Gelu, Activation::Swish,
                       Activation::HardSwish, Activation::Sigmoid, Activation::Tanh, Activation::Softmax}) {
    if (t == activationName(a)) return a;
  }
  throw UserError(fmt::format("activation '{}': expected none, relu, relu6, gelu, swish, hardswish, sigmoid, tanh "
                              "or softmax",
                              t));
}

void applyActivation(Activation a, float* x, size_t count, size_t rowLength) {
  switch (a) {
    case Activation::None:
      return;
    case Activation::Relu:
      for (size_t i = 0; i < count; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
      return;
    case Activation::Relu6:
      for (size_t i = 0; i < count; ++i) x[i] = std::min(6.0f, std::max(0.0f, x[i]));
      return;
    case Activation::Gelu:
      for (size_t i = 0; i < count; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678f));
      return;
    case Activation::Swish:
      for (size_t i = 0; i < count; ++i) x[i] = x[i] / (1.0f + std::exp(-x[i]));
      return;
    case Activation::HardSwish:
      for (size_t i = 0; i < count; ++i) x[i] = x[i] * std::min(6.0f, std::max(0.0f, x[i] + 3.0f)) / 6.0f;
      return;
    case Activation::Sigmoid:
      for (size_t i = 0; i < count; ++i) x[i] = 1.0f / (1.0f + std::exp(-x[i]));
      return;
    case Activation::Tanh:
      for (size_t i = 0; i < count; ++i) x[i] = std::tanh(x[i]);
      return;
    case Activation::Softmax: {
      const size_t row = rowLength ? rowLength : count;
      for (size_t r = 0; r + row <= count; r += row) {
        float mx = x[r];
        for (size_t j = 0; j < row; ++j) mx = std::max(mx, x[r + j]);
        double sum = 0;
        for (size_t j = 0; j < row; ++j) sum += (x[r + j] = std::exp(x[r + j] - mx));
        for (size_t j = 0; j < row; ++j) x[r + j] = static_cast<float>(x[r + j] / sum);
      }
      return;
    }
  }
}

uint64_t LayerSpec::gemmM() const { return uint64_t{out.n} * out.h * out.w; }

uint64_t LayerSpec::gemmN() const {
  switch (op) {
    case LayerOp::Conv: return cout / groups;
    case LayerOp::Gemm: return outFeatures;
    case LayerOp::MatMul: return out.c / groups;
    default: return 0;
  }
}

uint64_t LayerSpec::gemmK() const {
  switch (op) {
    case LayerOp::Conv: return uint64_t{kh} * kw * (in.c / groups);
    case LayerOp::Gemm: return uint64_t{in.h} * in.w * in.c;
    case LayerOp::MatMul: return in.c / groups;
    default: return 0;
  }
}

uint64_t LayerSpec::macs() const { return isCompute() ? gemmM() * gemmN() * gemmK() * groups : 0; }

uint64_t LayerSpec::weightCount() const {
  return op == LayerOp::Conv || op == LayerOp::Gemm ? gemmN() * gemmK() * groups : 0;
}

namespace {

LayerOp parseOp(const config::Node& n, const std::string& key) {
  const std::string t = n.choice(key, "conv", {"conv", "gemm", "matmul", "maxpool", "avgpool", "global_avgpool", "add"});
  for (LayerOp op : {LayerOp::Conv, LayerOp::Gemm, LayerOp::MatMul, LayerOp::MaxPool, LayerOp::AvgPool,
                     LayerOp::GlobalAvgPool, LayerOp::Add}) {
    if (t == layerOpName(op)) return op;
  }
  return LayerOp::Conv;
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

Activation activationOf(const config::Node& n, const std::string& key, const std::string& fallback) {
  return parseActivation(n.choice(key, fallback,
                                  {"none", "relu", "relu6", "gelu", "swish", "hardswish", "sigmoid", "tanh", "softmax"}));
}

uint32_t outExtent(uint32_t in, uint32_t k, uint32_t stride, uint32_t padA, uint32_t padB, uint32_t dilation) {
  const int64_t span = int64_t{dilation} * (k - 1) + 1;
  const int64_t padded = int64_t{in} + padA + padB;
  if (padded < span) return 0;
  return static_cast<uint32_t>((padded - span) / stride + 1);
}

// Every element and MAC count of the layer fits 64 bits (the runtime then checks what fits the
// machine, sw/runtime/Preflight.h).
template <typename Fail>
void checkSizes(const LayerSpec& l, Fail fail) {
  for (const Shape* shape : {&l.in, &l.in2, &l.out}) {
    if (!checkedProduct({shape->n, shape->h, shape->w, shape->c}))
      fail("a tensor's element count overflows 64 bits");
  }
  if (l.isCompute() && !checkedProduct({l.gemmM(), l.gemmN(), l.gemmK(), l.groups})) {
    fail("the layer's MAC count overflows 64 bits");
  }
}

LayerSpec parseLayer(const config::Node& n, const std::string& previous) {
  LayerSpec l;
  l.name = n.get<std::string>("name");
  l.op = parseOp(n, "op");
  l.input = n.get<std::string>("input", previous.empty() ? "input" : previous);
  l.input2 = n.get<std::string>("input2", "");
  l.act = activationOf(n, "act", "none");
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
  if (l.op == LayerOp::Conv) l.cout = n.get<uint32_t>("cout", 0, 1, 1u << 20);
  if (l.op == LayerOp::Gemm) l.outFeatures = n.get<uint32_t>("out_features", 0, 1, 1u << 24);
  if (l.op == LayerOp::MatMul) {
    l.outFeatures = n.get<uint32_t>("n", 0, 1, 1u << 24);
    l.transposeB = n.get<bool>("transpose_b", true);
  }
  l.weightSparsity = n.get<double>("weight_sparsity", -1.0, -1.0, 1.0);  // 1: all-zero weights
  if (auto syn = n.find("synthetic")) {
    l.syntheticAct = activationOf(*syn, "act", "relu");
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

}  // namespace

WorkloadSpec WorkloadSpec::fromYaml(const config::Node& root) {
  const config::Node w = root.at("workload");
  root.finish();
  WorkloadSpec spec;
  spec.name = w.get<std::string>("name");
  spec.description = w.get<std::string>("description", "");
  spec.seed = w.get<uint64_t>("seed", 1);
  spec.input = parseShape(w.at("input"));
  spec.weightSparsity = w.get<double>("weight_sparsity", 0.0, 0.0, 1.0);
  const config::Node layers = w.at("layers");
  std::map<std::string, Shape> shapes{{"input", spec.input}};
  std::string previous;
  std::optional<uint64_t> totalMacs = 0;
  for (const config::Node& n : layers.items()) {
    LayerSpec l = parseLayer(n, previous);
    auto fail = [&](const std::string& why) { n.fail(fmt::format("layer '{}': {}", l.name, why)); };
    if (shapes.count(l.name) || l.name == "synthetic") fail("duplicate layer name");
    auto shapeOf = [&](const std::string& src, const Shape& synthetic) -> Shape {
      if (src == "synthetic") {
        if (synthetic.elements() <= 1) fail("a synthetic input needs synthetic.shape (synthetic2.shape for input2)");
        return synthetic;
      }
      auto it = shapes.find(src);
      if (it == shapes.end()) fail(fmt::format("input '{}' is not an earlier layer (or input, synthetic)", src));
      return it->second;
    };
    l.in = shapeOf(l.input, l.syntheticShape);
    if (l.op == LayerOp::Conv || l.op == LayerOp::MaxPool || l.op == LayerOp::AvgPool) {
      l.out.n = l.in.n;
      l.out.h = outExtent(l.in.h, l.kh, l.strideH, l.padTop, l.padBottom, l.dilation);
      l.out.w = outExtent(l.in.w, l.kw, l.strideW, l.padLeft, l.padRight, l.dilation);
      if (l.out.h == 0 || l.out.w == 0) fail("kernel larger than the padded input");
      if (l.op != LayerOp::Conv &&
          (l.padTop >= l.kh || l.padBottom >= l.kh || l.padLeft >= l.kw || l.padRight >= l.kw)) {
        fail(
            fmt::format("pooling padding (top {}, bottom {}, left {}, right {}) must be smaller "
                        "than the kernel ({}x{}): a window would cover only padding",
                        l.padTop, l.padBottom, l.padLeft, l.padRight, l.kh, l.kw));
      }
      l.out.c = l.op == LayerOp::Conv ? l.cout : l.in.c;
      if (l.op == LayerOp::Conv && (l.in.c % l.groups || l.cout % l.groups)) {
        fail(fmt::format("groups = {} must divide input channels {} and cout {}", l.groups, l.in.c, l.cout));
      }
    } else if (l.op == LayerOp::GlobalAvgPool) {
      l.out = Shape{l.in.n, 1, 1, l.in.c};
    } else if (l.op == LayerOp::Gemm) {
      // Rows are the batch (or tokens when the input is [n x 1 x 1 x c] with n tokens).
      l.out = Shape{l.in.n, 1, 1, l.outFeatures};
      if (l.groups != 1) fail("gemm layers have groups = 1");
    } else if (l.op == LayerOp::MatMul) {
      if (l.input2.empty()) fail("matmul needs input2");
      l.in2 = shapeOf(l.input2, l.syntheticShape2);
      const uint64_t kTotal = l.in.c;
      if (kTotal % l.groups) fail("groups must divide the input features");
      const uint64_t k = kTotal / l.groups;
      // input2 holds, per group, an [n x k] matrix (transpose_b) or a [k x n] one, as rows x features.
      const uint64_t rows2 = uint64_t{l.in2.n} * l.in2.h * l.in2.w;
      const uint64_t expect = l.transposeB ? l.outFeatures : k;
      const uint64_t features2 = (l.transposeB ? k : uint64_t{l.outFeatures}) * l.groups;
      if (rows2 != expect || l.in2.c != features2) {
        fail(fmt::format("input2 shape does not match: need {} rows of {} features", expect,
                         features2));
      }
      const uint64_t outFeatures = uint64_t{l.outFeatures} * l.groups;
      if (outFeatures > UINT32_MAX) {
        fail(fmt::format("n x groups = {} output features; at most {}", outFeatures, UINT32_MAX));
      }
      l.out = Shape{l.in.n, l.in.h, l.in.w, static_cast<uint32_t>(outFeatures)};
    } else if (l.op == LayerOp::Add) {
      if (l.input2.empty()) fail("add needs input2");
      l.in2 = shapeOf(l.input2, l.syntheticShape2);
      if (!(l.in2 == l.in)) fail(fmt::format("add of different shapes ('{}' and '{}')", l.input, l.input2));
      l.out = l.in;
    }
    checkSizes(l, fail);
    if (!(totalMacs = checkedAdd(*totalMacs, l.macs())))
      fail("the workload's MAC count overflows 64 bits");
    shapes[l.name] = l.out;
    previous = l.name;
    spec.layers.push_back(std::move(l));
  }
  if (spec.layers.empty()) layers.fail("a workload needs at least one layer");
  w.finish();
  return spec;
}

const LayerSpec* WorkloadSpec::find(const std::string& name) const {
  for (const LayerSpec& l : layers)
    if (l.name == name) return &l;
  return nullptr;
}

uint64_t WorkloadSpec::totalMacs() const {
  uint64_t total = 0;
  for (const LayerSpec& l : layers) total += l.macs();
  return total;
}

}  // namespace tasdsim::workload
