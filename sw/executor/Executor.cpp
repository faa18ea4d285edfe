#include "sw/executor/Executor.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/executor/Ops.h"
#include "sw/tasd/Lowering.h"

// OpenBLAS's thread control; weak so that another BLAS still links (the calls are then skipped).
extern "C" void openblas_set_num_threads(int) __attribute__((weak));
extern "C" int blas_thread_shutdown_(void) __attribute__((weak));

namespace tasdsim::executor {
namespace {

using model::Node;
using model::shapeElements;
using model::shapeString;

[[noreturn]] void fail(const Node& n, const std::string& what) {
  throw UserError(fmt::format("{}: {}", n.describe(), what));
}

bool isGemmOp(const std::string& op) {
  return op == "Conv" || op == "Gemm" || op == "MatMul";
}

// Transposes rows x cols (row-major) into cols x rows.
void transposeMatrix(const float* src, size_t rows, size_t cols, float* dst) {
  constexpr size_t kTile = 32;
  for (size_t r0 = 0; r0 < rows; r0 += kTile) {
    for (size_t c0 = 0; c0 < cols; c0 += kTile) {
      const size_t r1 = std::min(rows, r0 + kTile), c1 = std::min(cols, c0 + kTile);
      for (size_t r = r0; r < r1; ++r) {
        for (size_t c = c0; c < c1; ++c)
          dst[c * rows + r] = src[r * cols + c];
      }
    }
  }
}

// Copies a channel range [c0, c0 + cn) of rows x channels (row-major) into rows x cn.
void copyColumns(const float* src, size_t rows, size_t channels, size_t c0, size_t cn, float* dst) {
  for (size_t r = 0; r < rows; ++r)
    std::memcpy(dst + r * cn, src + r * channels + c0, cn * sizeof(float));
}

// Direct depthwise convolution of one channel plane (CHW), weights kh*kw taps in r*kw+s order.
void depthwisePlane(const float* x, const tasd::ConvGeometry& g, const float* w, float* y) {
  const size_t ho = g.outH(), wo = g.outW();
  for (size_t oh = 0; oh < ho; ++oh) {
    for (size_t ow = 0; ow < wo; ++ow) {
      float s = 0;
      for (size_t r = 0; r < g.kh; ++r) {
        const int64_t ih =
            static_cast<int64_t>(oh * g.strideH + r * g.dilationH) - static_cast<int64_t>(g.padTop);
        if (ih < 0 || ih >= static_cast<int64_t>(g.inH)) continue;
        for (size_t q = 0; q < g.kw; ++q) {
          const int64_t iw = static_cast<int64_t>(ow * g.strideW + q * g.dilationW) -
                             static_cast<int64_t>(g.padLeft);
          if (iw < 0 || iw >= static_cast<int64_t>(g.inW)) continue;
          s += x[static_cast<size_t>(ih) * g.inW + static_cast<size_t>(iw)] * w[r * g.kw + q];
        }
      }
      y[oh * wo + ow] = s;
    }
  }
}

// Direct depthwise convolution of one NHWC image (one input and one output channel per group).
void depthwiseNhwc(const float* x, const tasd::ConvGeometry& g, size_t channels, const float* w,
                   float* y) {
  const size_t ho = g.outH(), wo = g.outW(), taps = g.kh * g.kw;
  for (size_t oh = 0; oh < ho; ++oh) {
    for (size_t ow = 0; ow < wo; ++ow) {
      float* out = y + (oh * wo + ow) * channels;
      for (size_t c = 0; c < channels; ++c) {
        float s = 0;
        for (size_t r = 0; r < g.kh; ++r) {
          const int64_t ih = static_cast<int64_t>(oh * g.strideH + r * g.dilationH) -
                             static_cast<int64_t>(g.padTop);
          if (ih < 0 || ih >= static_cast<int64_t>(g.inH)) continue;
          for (size_t q = 0; q < g.kw; ++q) {
            const int64_t iw = static_cast<int64_t>(ow * g.strideW + q * g.dilationW) -
                               static_cast<int64_t>(g.padLeft);
            if (iw < 0 || iw >= static_cast<int64_t>(g.inW)) continue;
            s += x[(static_cast<size_t>(ih) * g.inW + static_cast<size_t>(iw)) * channels + c] *
                 w[c * taps + r * g.kw + q];
          }
        }
        out[c] = s;
      }
    }
  }
}

// Below this many weights per group a direct loop beats the sgemm call overhead (depthwise
// convolutions presented per channel: N = 1, K = kh * kw).
constexpr size_t kDirectGemmMaxWeights = 64;

void sgemmNT(size_t m, size_t n, size_t k, const float* a, const float* w, float* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    std::fill(c, c + m * n, 0.0f);
    return;
  }
  if (n * k <= kDirectGemmMaxWeights) {
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < n; ++j) {
        float s = 0;
        for (size_t q = 0; q < k; ++q)
          s += a[i * k + q] * w[j * k + q];
        c[i * n + j] = s;
      }
    }
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), 1.0f, a, static_cast<int>(k), w, static_cast<int>(k), 0.0f, c,
              static_cast<int>(n));
}

}  // namespace

void setBlasThreads(int threads) {
  if (openblas_set_num_threads) openblas_set_num_threads(threads);
  // OpenBLAS starts its worker threads when it is loaded, and they spin (sched_yield) for about
  // 0.1 s before they sleep, a whole core at the start of every process; stop them when they
  // will not be used (OpenBLAS starts them again for a call with more threads).
  if (threads == 1 && blas_thread_shutdown_) blas_thread_shutdown_();
}

Executor::Executor(std::shared_ptr<const model::Graph> graph) : graph_(std::move(graph)) {
  const model::Graph& g = *graph_;
  opset_ = g.opset;
  for (const auto& [name, tensor] : g.constants)
    constants_[static_cast<size_t>(valueId(name))] = tensor;
  for (const model::ValueInfo& v : g.inputs)
    inputIds_.push_back(valueId(v.name));
  std::vector<bool> defined(ids_.size(), false);
  auto markDefined = [&](int id) {
    if (static_cast<size_t>(id) >= defined.size())
      defined.resize(static_cast<size_t>(id) + 1, false);
    defined[static_cast<size_t>(id)] = true;
  };
  for (size_t id = 0; id < constants_.size(); ++id) {
    if (constants_[id]) markDefined(static_cast<int>(id));
  }
  for (int id : inputIds_)
    markDefined(id);

  for (const Node& n : g.nodes) {
    if (n.opType == "Constant" && (n.domain.empty() || n.domain == "ai.onnx"))
      continue;  // in constants already
    if (!isGemmOp(n.opType) && !isSupportedOperator(n.opType)) {
      throw UserError(
          fmt::format("{}: unsupported operator '{}' (node '{}')", g.source, n.opType, n.name));
    }
    Step s;
    s.node = &n;
    bool allConstant = true;
    for (const std::string& in : n.inputs) {
      if (in.empty()) {
        s.inputs.push_back(-1);
        continue;
      }
      const auto it = ids_.find(in);
      if (it == ids_.end() || static_cast<size_t>(it->second) >= defined.size() ||
          !defined[static_cast<size_t>(it->second)]) {
        throw UserError(
            fmt::format("{}: {} reads '{}', which no earlier node, input or constant defines",
                        g.source, n.describe(), in));
      }
      s.inputs.push_back(it->second);
      allConstant = allConstant && constants_[static_cast<size_t>(it->second)] != nullptr;
    }
    for (const std::string& out : n.outputs) {
      const int id = out.empty() ? -1 : valueId(out);
      s.outputs.push_back(id);
      if (id >= 0) markDefined(id);
    }
    if (isGemmOp(n.opType)) {
      GemmLayer layer;
      layer.index = layers_.size();
      layer.name = n.name;
      layer.opType = n.opType;
      if (n.inputs.size() < 2) fail(n, "needs two inputs");
      layer.weightName = n.inputs[1];
      layer.constantWeights =
          s.inputs[1] >= 0 && constants_[static_cast<size_t>(s.inputs[1])] != nullptr;
      s.layer = static_cast<int>(layers_.size());
      layers_.push_back(std::move(layer));
    } else if (allConstant && !n.inputs.empty()) {
      // Constant folding: evaluate once now.
      std::vector<const Tensor*> inputs;
      for (int id : s.inputs)
        inputs.push_back(id < 0 ? nullptr : constants_[static_cast<size_t>(id)].get());
      Tensor out = runOperator(n, opset_, inputs);
      if (s.outputs.empty() || s.outputs[0] < 0) continue;
      constants_[static_cast<size_t>(s.outputs[0])] =
          std::make_shared<const Tensor>(std::move(out));
      continue;
    }
    steps_.push_back(std::move(s));
  }
  for (const model::ValueInfo& v : g.outputs) {
    const auto it = ids_.find(v.name);
    if (it == ids_.end())
      throw UserError(fmt::format("{}: graph output '{}' is never produced", g.source, v.name));
    outputIds_.push_back(it->second);
  }
  lastUse_.assign(ids_.size(), 0);
  for (size_t k = 0; k < steps_.size(); ++k) {
    for (int id : steps_[k].inputs) {
      if (id >= 0) lastUse_[static_cast<size_t>(id)] = k;
    }
  }
  for (int id : outputIds_)
    lastUse_[static_cast<size_t>(id)] = steps_.size();
  // A GEMM whose only reader is a Relu (and which is no graph output) may have it fused.
  std::vector<std::vector<size_t>> readers(ids_.size());
  for (size_t k = 0; k < steps_.size(); ++k) {
    for (int id : steps_[k].inputs)
      if (id >= 0) readers[static_cast<size_t>(id)].push_back(k);
  }
  for (Step& s : steps_) {
    if (s.layer < 0 || s.outputs.empty() || s.outputs[0] < 0) continue;
    const auto& r = readers[static_cast<size_t>(s.outputs[0])];
    const bool isOutput =
        std::find(outputIds_.begin(), outputIds_.end(), s.outputs[0]) != outputIds_.end();
    s.reluFollows = !isOutput && r.size() == 1 && steps_[r[0]].node->opType == "Relu";
  }
  values_.resize(ids_.size());
  prepared_.resize(layers_.size());
}

int Executor::valueId(const std::string& name) {
  const auto [it, added] = ids_.emplace(name, static_cast<int>(names_.size()));
  if (added) {
    names_.push_back(name);
    constants_.push_back(nullptr);
  }
  return it->second;
}

const Tensor& Executor::value(int id) const {
  const auto& c = constants_[static_cast<size_t>(id)];
  return c ? *c : values_[static_cast<size_t>(id)];
}

void Executor::setHook(GemmHook* hook) {
  if (hook && backend_) throw std::logic_error("Executor: a hook and a backend exclude each other");
  hook_ = hook;
  invalidatePreparedWeights();
}

void Executor::setBackend(GemmBackend* backend) {
  if (backend && hook_) throw std::logic_error("Executor: a hook and a backend exclude each other");
  backend_ = backend;
}

void Executor::invalidatePreparedWeights() {
  for (auto& p : prepared_)
    p = PreparedWeights{};
}

std::vector<Tensor> Executor::run(const std::vector<Tensor>& inputs) {
  const model::Graph& g = *graph_;
  if (inputs.size() != g.inputs.size()) {
    throw UserError(fmt::format("{}: the model takes {} inputs, {} given", g.source,
                                g.inputs.size(), inputs.size()));
  }
  for (size_t k = 0; k < inputs.size(); ++k) {
    const model::ValueInfo& v = g.inputs[k];
    const Tensor& t = inputs[k];
    bool ok = v.dims.empty() || v.dims.size() == t.shape.size();
    for (size_t d = 0; ok && d < v.dims.size(); ++d)
      ok = v.dims[d] < 0 || v.dims[d] == t.shape[d];
    if (!ok) {
      throw UserError(fmt::format("{}: input '{}' has shape {}, the model expects {} (-1: any)",
                                  g.source, v.name, shapeString(t.shape), shapeString(v.dims)));
    }
    if (t.elements() != shapeElements(t.shape))
      throw UserError(fmt::format("input '{}': data does not match its shape", v.name));
    values_[static_cast<size_t>(inputIds_[k])] = t;
  }
  for (size_t k = 0; k < steps_.size(); ++k) {
    if (observer_) {
      const auto t0 = std::chrono::steady_clock::now();
      runStep(steps_[k]);
      observer_(*steps_[k].node, steps_[k].layer,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    } else {
      runStep(steps_[k]);
    }
    for (int id : steps_[k].inputs) {
      if (id >= 0 && lastUse_[static_cast<size_t>(id)] == k &&
          !constants_[static_cast<size_t>(id)]) {
        values_[static_cast<size_t>(id)] = Tensor();
      }
    }
  }
  std::vector<Tensor> out;
  for (int id : outputIds_)
    out.push_back(value(id));
  for (Tensor& t : values_)
    t = Tensor();
  return out;
}

void Executor::runStep(const Step& s) {
  const Node& n = *s.node;
  Tensor out;
  if (s.layer >= 0) {
    GemmLayer& layer = layers_[static_cast<size_t>(s.layer)];
    if (n.opType == "Conv")
      out = runConv(s, layer);
    else if (n.opType == "MatMul")
      out = runMatMul(s, layer);
    else
      out = runGemm(s, layer);
    layer.outputShape = out.shape;
    if (hook_) hook_->onOutput(layer, out);
  } else {
    std::vector<const Tensor*> inputs;
    inputs.reserve(s.inputs.size());
    for (int id : s.inputs)
      inputs.push_back(id < 0 ? nullptr : &value(id));
    out = runOperator(n, opset_, inputs);
  }
  for (size_t k = 1; k < s.outputs.size(); ++k) {
    if (s.outputs[k] >= 0 && lastUse_[static_cast<size_t>(s.outputs[k])] > 0) {
      fail(n, fmt::format("output {} ('{}') is used but only the first output is computed", k,
                          n.outputs[k]));
    }
  }
  if (!s.outputs.empty() && s.outputs[0] >= 0)
    values_[static_cast<size_t>(s.outputs[0])] = std::move(out);
}

const float* Executor::preparedWeights(GemmLayer& layer, const Tensor& stored, bool storedAsNK,
                                       tasd::ConvLayout convLayout) {
  PreparedWeights& slot = prepared_[layer.index];
  if (slot.data) return slot.data;
  const auto& s = stored.shape;
  const bool lowered = layer.opType == "Conv" ? convLayout == tasd::ConvLayout::OHWI : storedAsNK;
  if (lowered && !hook_) {
    slot.data = stored.f.data();  // already N x K, channel-innermost
    return slot.data;
  }
  tasd::MatrixF w;
  if (layer.opType == "Conv") {
    w = tasd::lowerConvWeights(stored.f.data(),
                               {static_cast<size_t>(s[0]), static_cast<size_t>(s[1]),
                                static_cast<size_t>(s[2]), static_cast<size_t>(s[3])},
                               convLayout);
  } else if (storedAsNK) {
    w = tasd::MatrixF(static_cast<size_t>(s[0]), static_cast<size_t>(s[1]),
                      stored.f);  // Gemm transB = 1
  } else {
    const size_t k = static_cast<size_t>(s[0]), n = static_cast<size_t>(s[1]);  // [K x N]
    w = tasd::MatrixF(n, k);
    transposeMatrix(stored.f.data(), k, n, w.data());
  }
  if (hook_) {
    for (size_t g = 0; g < layer.groups; ++g)
      hook_->prepareWeights(layer, g, w.row(g * layer.n), layer.n, layer.k);
  }
  slot.owned = std::make_unique<tasd::MatrixF>(std::move(w));
  slot.data = slot.owned->data();
  return slot.data;
}

void Executor::gemmGroup(GemmLayer& layer, size_t group, float* a, const float* w, float* c) {
  if (hook_) {
    GemmOperands ops{a, nullptr, w, c, layer.m, layer.n, layer.k};
    if (hook_->onGemm(layer, group, ops)) return;
  }
  sgemmNT(layer.m, layer.n, layer.k, a, w, c);
}

Tensor Executor::runConv(const Step& s, GemmLayer& layer) {
  const Node& n = *s.node;
  const Tensor& x = value(s.inputs[0]);
  const Tensor& wt = value(s.inputs[1]);
  const Tensor* bias = s.inputs.size() > 2 && s.inputs[2] >= 0 ? &value(s.inputs[2]) : nullptr;
  if (!x.isFloat() || !wt.isFloat()) fail(n, "inputs must be floating point");
  if (x.shape.size() != 4 || wt.shape.size() != 4)
    fail(n, "only 2-D convolutions (4-D input and weights) are supported");
  const std::string layout = n.stringAttr("data_layout", "NCHW");
  if (layout != "NCHW" && layout != "NHWC")
    fail(n, fmt::format("data_layout '{}': expected NCHW or NHWC", layout));
  const bool nhwc = layout == "NHWC";
  // Input N x C x H x W (NCHW) or N x H x W x C; weights O x I x kh x kw (OIHW) or O x kh x kw x I.
  const size_t batch = static_cast<size_t>(x.shape[0]);
  const size_t cin = static_cast<size_t>(nhwc ? x.shape[3] : x.shape[1]);
  const size_t cout = static_cast<size_t>(wt.shape[0]);
  const size_t wtIn = static_cast<size_t>(nhwc ? wt.shape[3] : wt.shape[1]);
  const size_t wtKh = static_cast<size_t>(nhwc ? wt.shape[1] : wt.shape[2]);
  const size_t wtKw = static_cast<size_t>(nhwc ? wt.shape[2] : wt.shape[3]);
  const int64_t groupsAttr = n.intAttr("group", 1);
  if (groupsAttr <= 0 || cin % static_cast<size_t>(groupsAttr) ||
      cout % static_cast<size_t>(groupsAttr)) {
    fail(n, fmt::format("group {} does not divide {} input and {} output channels", groupsAttr, cin,
                        cout));
  }
  const size_t groups = static_cast<size_t>(groupsAttr);
  const size_t cg = cin / groups, ng = cout / groups;
  if (wtIn != cg) {
    fail(n, fmt::format("weights {} expect {} channels per group, the input has {}",
                        shapeString(wt.shape), wtIn, cg));
  }
  if (bias && bias->f.size() != cout)
    fail(n, fmt::format("bias has {} values for {} output channels", bias->f.size(), cout));
  tasd::ConvGeometry geo;
  geo.inH = static_cast<size_t>(nhwc ? x.shape[1] : x.shape[2]);
  geo.inW = static_cast<size_t>(nhwc ? x.shape[2] : x.shape[3]);
  geo.channels = cg;
  geo.kh = wtKh;
  geo.kw = wtKw;
  const std::vector<int64_t> kernel =
      n.intsAttr("kernel_shape", {static_cast<int64_t>(wtKh), static_cast<int64_t>(wtKw)});
  if (kernel.size() != 2 || kernel[0] != static_cast<int64_t>(wtKh) ||
      kernel[1] != static_cast<int64_t>(wtKw))
    fail(n, "kernel_shape does not match the weights");
  const std::vector<int64_t> strides = n.intsAttr("strides", {1, 1});
  const std::vector<int64_t> dil = n.intsAttr("dilations", {1, 1});
  std::vector<int64_t> pads = n.intsAttr("pads", {0, 0, 0, 0});
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4)
    fail(n, "strides/dilations/pads must have 2/2/4 entries");
  for (int64_t v : strides)
    if (v <= 0) fail(n, "strides must be positive");
  for (int64_t v : dil)
    if (v <= 0) fail(n, "dilations must be positive");
  for (int64_t v : pads)
    if (v < 0) fail(n, "pads must not be negative");
  constexpr int64_t kMaxGeometry = int64_t{1} << 20;  // keeps the size arithmetic far from overflow
  auto checkGeometry = [&](const std::vector<int64_t>& list) {
    for (int64_t v : list)
      if (v > kMaxGeometry) fail(n, fmt::format("stride/dilation/pad {} is implausibly large", v));
  };
  checkGeometry(strides);
  checkGeometry(dil);
  checkGeometry(pads);
  geo.strideH = static_cast<size_t>(strides[0]);
  geo.strideW = static_cast<size_t>(strides[1]);
  geo.dilationH = static_cast<size_t>(dil[0]);
  geo.dilationW = static_cast<size_t>(dil[1]);
  const std::string autoPad = n.stringAttr("auto_pad", "NOTSET");
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    const bool upper = autoPad == "SAME_UPPER";
    const size_t extent[2] = {geo.inH, geo.inW}, k[2] = {geo.kh, geo.kw},
                 st[2] = {geo.strideH, geo.strideW}, dl[2] = {geo.dilationH, geo.dilationW};
    for (int d = 0; d < 2; ++d) {
      const int64_t out = static_cast<int64_t>((extent[d] + st[d] - 1) / st[d]);
      const int64_t total = std::max<int64_t>(0, (out - 1) * static_cast<int64_t>(st[d]) +
                                                     static_cast<int64_t>(dl[d] * (k[d] - 1) + 1) -
                                                     static_cast<int64_t>(extent[d]));
      pads[static_cast<size_t>(d)] = upper ? total / 2 : total - total / 2;
      pads[static_cast<size_t>(d) + 2] = total - pads[static_cast<size_t>(d)];
    }
  } else if (autoPad == "VALID") {
    pads = {0, 0, 0, 0};
  }
  geo.padTop = static_cast<size_t>(pads[0]);
  geo.padLeft = static_cast<size_t>(pads[1]);
  geo.padBottom = static_cast<size_t>(pads[2]);
  geo.padRight = static_cast<size_t>(pads[3]);
  if (geo.inH + geo.padTop + geo.padBottom < geo.dilationH * (geo.kh - 1) + 1 ||
      geo.inW + geo.padLeft + geo.padRight < geo.dilationW * (geo.kw - 1) + 1) {
    fail(n, fmt::format("kernel {}x{} larger than the padded input {}", geo.kh, geo.kw,
                        shapeString(x.shape)));
  }
  const size_t ho = geo.outH(), wo = geo.outW(), hw = geo.inH * geo.inW, m = ho * wo, k = geo.k();
  // Output and im2col sizes come from attributes: bound them before allocating.
  model::checkedElementCount({static_cast<int64_t>(batch), static_cast<int64_t>(cout),
                              static_cast<int64_t>(ho), static_cast<int64_t>(wo)},
                             n.describe() + " output");
  model::checkedElementCount({static_cast<int64_t>(m), static_cast<int64_t>(k)},
                             n.describe() + " im2col");

  layer.groups = groups;
  layer.m = m;
  layer.n = ng;
  layer.k = k;
  layer.batch = batch;
  layer.conv = geo;
  layer.inputShape = x.shape;
  layer.weightShape = wt.shape;

  const tasd::ConvLayout weightLayout = nhwc ? tasd::ConvLayout::OHWI : tasd::ConvLayout::OIHW;
  std::unique_ptr<tasd::MatrixF> temporary;
  const float* w;
  if (layer.constantWeights) {
    w = preparedWeights(layer, wt, false, weightLayout);
  } else {
    temporary = std::make_unique<tasd::MatrixF>(
        tasd::lowerConvWeights(wt.f.data(),
                               {static_cast<size_t>(wt.shape[0]), static_cast<size_t>(wt.shape[1]),
                                static_cast<size_t>(wt.shape[2]), static_cast<size_t>(wt.shape[3])},
                               weightLayout));
    if (hook_) {
      for (size_t g = 0; g < groups; ++g)
        hook_->prepareWeights(layer, g, temporary->row(g * ng), ng, k);
    }
    w = temporary->data();
  }

  const std::vector<int64_t> outShape =
      nhwc ? std::vector<int64_t>{static_cast<int64_t>(batch), static_cast<int64_t>(ho),
                                  static_cast<int64_t>(wo), static_cast<int64_t>(cout)}
           : std::vector<int64_t>{static_cast<int64_t>(batch), static_cast<int64_t>(cout),
                                  static_cast<int64_t>(ho), static_cast<int64_t>(wo)};
  Tensor y = Tensor::floats(outShape, std::vector<float>(batch * cout * m));
  bool biasAdded = false;
  if (backend_) {
    biasAdded = backendConv(layer, x, nhwc, w, y,
                            LayerEpilogue{bias ? bias->f.data() : nullptr, s.reluFollows});
  } else {
    const bool operands = hook_ && hook_->wantsOperands(layer);
    const bool pointwise = geo.kh == 1 && geo.kw == 1 && geo.strideH == 1 && geo.strideW == 1 &&
                           pads == std::vector<int64_t>{0, 0, 0, 0};
    for (size_t b = 0; b < batch; ++b) {
      const float* xb = x.f.data() + b * cin * hw;
      float* yb = y.f.data() + b * cout * m;
      if (!operands && cg == 1 && ng == 1) {
        if (nhwc) {
          depthwiseNhwc(xb, geo, cout, w, yb);
        } else {
          for (size_t c = 0; c < cout; ++c)
            depthwisePlane(xb + c * hw, geo, w + c * k, yb + c * m);
        }
      } else if (!operands && pointwise && groups == 1) {
        if (nhwc) {  // Y (HW x Cout) = X (HW x C) * W^T
          sgemmNT(m, cout, cin, xb, w, yb);
        } else {  // Y (Cout x HW) = W (Cout x C) * X (C x HW): no transposes.
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(cout),
                      static_cast<int>(m), static_cast<int>(cin), 1.0f, w, static_cast<int>(cin),
                      xb, static_cast<int>(m), 0.0f, yb, static_cast<int>(m));
        }
      } else {
        scratchA_.resize(m * k);
        if (!nhwc) scratchX_.resize(hw * cg);
        if (!nhwc || groups > 1) scratchC_.resize(m * ng);
        for (size_t g = 0; g < groups; ++g) {
          if (nhwc) {
            tasd::im2colInto(xb + g * cg, cin, geo, scratchA_.data());
          } else {
            transposeMatrix(xb + g * cg * hw, cg, hw, scratchX_.data());  // CHW -> HWC
            tasd::im2colInto(scratchX_.data(), cg, geo, scratchA_.data());
          }
          if (nhwc && groups == 1) {
            gemmGroup(layer, g, scratchA_.data(), w, yb);
          } else {
            gemmGroup(layer, g, scratchA_.data(), w + g * ng * k, scratchC_.data());
            if (nhwc) {
              for (size_t p = 0; p < m; ++p)
                std::memcpy(yb + p * cout + g * ng, scratchC_.data() + p * ng, ng * sizeof(float));
            } else {
              transposeMatrix(scratchC_.data(), m, ng, yb + g * ng * m);  // (HW x N) -> (N x HW)
            }
          }
        }
      }
    }
  }
  if (bias && !biasAdded) {
    for (size_t b = 0; b < batch; ++b) {
      float* yb = y.f.data() + b * cout * m;
      if (nhwc) {
        for (size_t p = 0; p < m; ++p) {
          for (size_t c = 0; c < cout; ++c)
            yb[p * cout + c] += bias->f[c];
        }
      } else {
        for (size_t c = 0; c < cout; ++c) {
          float* plane = yb + c * m;
          const float bv = bias->f[c];
          for (size_t p = 0; p < m; ++p)
            plane[p] += bv;
        }
      }
    }
  }
  return y;
}

bool Executor::backendConv(GemmLayer& layer, const Tensor& x, bool nhwc, const float* w, Tensor& y,
                           const LayerEpilogue& epilogue) {
  const tasd::ConvGeometry& geo = *layer.conv;
  const size_t groups = layer.groups, batch = layer.batch, cg = geo.channels, ng = layer.n;
  const size_t hw = geo.inH * geo.inW, m = layer.m, cin = cg * groups, cout = ng * groups;
  // Inputs per group as NHWC images; a single-group NHWC input is used as it is.
  const bool direct = nhwc && groups == 1;
  if (!direct) scratchX_.resize(batch * hw * cin);
  for (size_t g = 0; !direct && g < groups; ++g) {
    float* dst = scratchX_.data() + g * batch * hw * cg;
    for (size_t b = 0; b < batch; ++b) {
      const float* xb = x.f.data() + b * cin * hw;
      if (nhwc) {
        copyColumns(xb, hw, cin, g * cg, cg, dst + b * hw * cg);
      } else {
        transposeMatrix(xb + g * cg * hw, cg, hw, dst + b * hw * cg);  // CHW -> HWC
      }
    }
  }
  if (!direct) scratchC_.resize(batch * m * cout);
  std::vector<GemmOperands> ops(groups);
  for (size_t g = 0; g < groups; ++g) {
    GemmOperands& o = ops[g];
    o.image = direct ? x.f.data() : scratchX_.data() + g * batch * hw * cg;
    o.w = w + g * ng * layer.k;
    o.c = direct ? y.f.data() : scratchC_.data() + g * batch * m * ng;
    o.m = batch * m;
    o.n = ng;
    o.k = layer.k;
  }
  const bool biasAdded = backend_->runLayer(layer, ops, epilogue);
  if (direct) return biasAdded;
  for (size_t g = 0; g < groups; ++g) {
    const float* c = ops[g].c;
    for (size_t b = 0; b < batch; ++b) {
      float* yb = y.f.data() + b * cout * m;
      const float* cb = c + b * m * ng;
      if (nhwc) {
        for (size_t p = 0; p < m; ++p)
          std::memcpy(yb + p * cout + g * ng, cb + p * ng, ng * sizeof(float));
      } else {
        transposeMatrix(cb, m, ng, yb + g * ng * m);  // (HW x N) -> (N x HW)
      }
    }
  }
  return biasAdded;
}

Tensor Executor::runMatMul(const Step& s, GemmLayer& layer) {
  const Node& n = *s.node;
  const Tensor& a = value(s.inputs[0]);
  const Tensor& b = value(s.inputs[1]);
  if (!a.isFloat() || !b.isFloat()) fail(n, "inputs must be floating point");
  if (a.shape.empty() || b.shape.empty()) fail(n, "inputs must have rank >= 1");
  // NumPy promotion of 1-D operands.
  std::vector<int64_t> as = a.shape, bs = b.shape;
  const bool aVector = as.size() == 1, bVector = bs.size() == 1;
  if (aVector) as.insert(as.begin(), 1);
  if (bVector) bs.push_back(1);
  const size_t m = static_cast<size_t>(as[as.size() - 2]), k = static_cast<size_t>(as.back());
  const size_t n2 = static_cast<size_t>(bs.back());
  if (static_cast<size_t>(bs[bs.size() - 2]) != k) {
    fail(n, fmt::format("shapes {} and {} do not multiply", shapeString(a.shape),
                        shapeString(b.shape)));
  }
  const std::vector<int64_t> aBatch(as.begin(), as.end() - 2), bBatch(bs.begin(), bs.end() - 2);
  layer.inputShape = a.shape;
  layer.weightShape = b.shape;
  const bool operands = hook_ && hook_->wantsOperands(layer);
  Tensor y;
  if (bBatch.empty()) {
    // x * W with one 2-D W: all leading dimensions of x become rows.
    size_t rows = m;
    for (int64_t d : aBatch)
      rows *= static_cast<size_t>(d);
    layer.groups = 1;
    layer.m = rows;
    layer.n = n2;
    layer.k = k;
    layer.conv.reset();
    layer.batch = 1;
    std::unique_ptr<tasd::MatrixF> temporary;
    const float* w;
    if (layer.constantWeights) {
      w = preparedWeights(layer, b, false);
    } else {
      temporary = std::make_unique<tasd::MatrixF>(n2, k);
      transposeMatrix(b.f.data(), k, n2, temporary->data());
      if (hook_) hook_->prepareWeights(layer, 0, temporary->data(), n2, k);
      w = temporary->data();
    }
    std::vector<int64_t> shape = aBatch;
    shape.push_back(static_cast<int64_t>(m));
    shape.push_back(static_cast<int64_t>(n2));
    model::checkedElementCount(shape, n.describe() + " output");
    y = Tensor::floats(shape, std::vector<float>(rows * n2));
    float* aData = const_cast<float*>(a.f.data());
    if (operands) {  // the hook may change A: give it a copy
      scratchA_.assign(a.f.begin(), a.f.end());
      aData = scratchA_.data();
    }
    if (backend_) {
      std::vector<GemmOperands> ops{GemmOperands{aData, nullptr, w, y.f.data(), rows, n2, k}};
      backend_->runLayer(layer, ops, LayerEpilogue{nullptr, s.reluFollows});
    } else {
      gemmGroup(layer, 0, aData, w, y.f.data());
    }
  } else {
    const std::vector<int64_t> batch = broadcastShapes(aBatch, bBatch, n.describe());
    const size_t groups = shapeElements(batch);
    layer.groups = groups;
    layer.m = m;
    layer.n = n2;
    layer.k = k;
    layer.conv.reset();
    layer.batch = 1;
    std::vector<int64_t> shape = batch;
    shape.push_back(static_cast<int64_t>(m));
    shape.push_back(static_cast<int64_t>(n2));
    model::checkedElementCount(shape, n.describe() + " output");
    y = Tensor::floats(shape, std::vector<float>(groups * m * n2));
    // Offset of group g's matrix in an operand whose batch dims broadcast to `batch`.
    auto offsetOf = [&](size_t g, const std::vector<int64_t>& own, size_t matrix) {
      size_t off = 0, stride = matrix, rem = g;
      std::vector<size_t> idx(batch.size());
      for (size_t d = batch.size(); d-- > 0;) {
        idx[d] = rem % static_cast<size_t>(batch[d]);
        rem /= static_cast<size_t>(batch[d]);
      }
      for (size_t d = batch.size(); d-- > 0;) {
        const size_t od = d + own.size() >= batch.size() ? d + own.size() - batch.size() : SIZE_MAX;
        if (od == SIZE_MAX) break;
        if (own[od] != 1) off += idx[d] * stride;
        stride *= static_cast<size_t>(own[od]);
      }
      return off;
    };
    if (backend_) {
      // Every group at once: the transposed second operands side by side.
      std::vector<float> wt(groups * n2 * k);
      std::vector<GemmOperands> ops(groups);
      for (size_t g = 0; g < groups; ++g) {
        transposeMatrix(b.f.data() + offsetOf(g, bBatch, k * n2), k, n2, wt.data() + g * n2 * k);
        ops[g] = GemmOperands{const_cast<float*>(a.f.data() + offsetOf(g, aBatch, m * k)),
                              nullptr,
                              wt.data() + g * n2 * k,
                              y.f.data() + g * m * n2,
                              m,
                              n2,
                              k};
      }
      backend_->runLayer(layer, ops, LayerEpilogue{nullptr, s.reluFollows});
    } else {
      std::vector<float> wt(n2 * k);
      for (size_t g = 0; g < groups; ++g) {
        transposeMatrix(b.f.data() + offsetOf(g, bBatch, k * n2), k, n2, wt.data());
        if (hook_) hook_->prepareWeights(layer, g, wt.data(), n2, k);
        const float* ag = a.f.data() + offsetOf(g, aBatch, m * k);
        float* aData = const_cast<float*>(ag);
        if (operands) {
          scratchA_.assign(ag, ag + m * k);
          aData = scratchA_.data();
        }
        gemmGroup(layer, g, aData, wt.data(), y.f.data() + g * m * n2);
      }
    }
  }
  if (aVector) y.shape.erase(y.shape.end() - 2);
  if (bVector) y.shape.pop_back();
  return y;
}

Tensor Executor::runGemm(const Step& s, GemmLayer& layer) {
  const Node& n = *s.node;
  const Tensor& a = value(s.inputs[0]);
  const Tensor& b = value(s.inputs[1]);
  const Tensor* c = s.inputs.size() > 2 && s.inputs[2] >= 0 ? &value(s.inputs[2]) : nullptr;
  if (!a.isFloat() || !b.isFloat()) fail(n, "inputs must be floating point");
  if (a.shape.size() != 2 || b.shape.size() != 2) fail(n, "A and B must be 2-D");
  const bool transA = n.intAttr("transA", 0) != 0, transB = n.intAttr("transB", 0) != 0;
  const float alpha = n.floatAttr("alpha", 1.0f), beta = n.floatAttr("beta", 1.0f);
  const size_t m = static_cast<size_t>(transA ? a.shape[1] : a.shape[0]);
  const size_t k = static_cast<size_t>(transA ? a.shape[0] : a.shape[1]);
  const size_t kb = static_cast<size_t>(transB ? b.shape[1] : b.shape[0]);
  const size_t nn = static_cast<size_t>(transB ? b.shape[0] : b.shape[1]);
  if (k != kb)
    fail(n, fmt::format("shapes {} and {} do not multiply", shapeString(a.shape),
                        shapeString(b.shape)));
  layer.groups = 1;
  layer.m = m;
  layer.n = nn;
  layer.k = k;
  layer.conv.reset();
  layer.batch = 1;
  layer.inputShape = a.shape;
  layer.weightShape = b.shape;
  std::unique_ptr<tasd::MatrixF> temporary;
  const float* w;
  if (layer.constantWeights) {
    w = preparedWeights(layer, b, transB);
  } else {
    temporary = std::make_unique<tasd::MatrixF>(nn, k);
    if (transB)
      std::copy(b.f.begin(), b.f.end(), temporary->data());
    else
      transposeMatrix(b.f.data(), k, nn, temporary->data());
    if (hook_) hook_->prepareWeights(layer, 0, temporary->data(), nn, k);
    w = temporary->data();
  }
  scratchA_.resize(m * k);
  if (transA)
    transposeMatrix(a.f.data(), k, m, scratchA_.data());
  else
    std::copy(a.f.begin(), a.f.end(), scratchA_.begin());
  model::checkedElementCount({static_cast<int64_t>(m), static_cast<int64_t>(nn)},
                             n.describe() + " output");
  Tensor y = Tensor::floats({static_cast<int64_t>(m), static_cast<int64_t>(nn)},
                            std::vector<float>(m * nn));
  // A bias vector over the outputs (C of N values, alpha = beta = 1) may go to the backend.
  const bool biasVector = c && c->isFloat() && c->f.size() == nn && c->shape.size() <= 2 &&
                          (c->shape.empty() || c->shape.back() == static_cast<int64_t>(nn)) &&
                          alpha == 1.0f && beta == 1.0f;
  bool biasAdded = false;
  if (backend_) {
    std::vector<GemmOperands> ops{GemmOperands{scratchA_.data(), nullptr, w, y.f.data(), m, nn, k}};
    biasAdded = backend_->runLayer(
        layer, ops, LayerEpilogue{biasVector ? c->f.data() : nullptr, s.reluFollows});
  } else {
    gemmGroup(layer, 0, scratchA_.data(), w, y.f.data());
  }
  if (alpha != 1.0f) {
    for (float& v : y.f)
      v *= alpha;
  }
  if (c && beta != 0.0f && !biasAdded) {
    if (!c->isFloat()) fail(n, "C must be floating point");
    const std::vector<int64_t> shape = broadcastShapes(c->shape, y.shape, n.describe());
    if (shape != y.shape)
      fail(n, fmt::format("C {} does not broadcast to {}", shapeString(c->shape),
                          shapeString(y.shape)));
    // Broadcast C over [M x N] by index arithmetic.
    const size_t cr = c->shape.size() == 2 ? static_cast<size_t>(c->shape[0]) : 1;
    const size_t cc = c->shape.empty() ? 1 : static_cast<size_t>(c->shape.back());
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < nn; ++j)
        y.f[i * nn + j] += beta * c->f[(cr == 1 ? 0 : i) * cc + (cc == 1 ? 0 : j)];
    }
  }
  return y;
}

}  // namespace tasdsim::executor
