#include "sw/workload/HostOps.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <cblas.h>

#include "sw/workload/Synthetic.h"

namespace tasdsim::workload {

tasd::ConvGeometry convGeometry(const LayerSpec& l) {
  tasd::ConvGeometry g;
  g.inH = l.in.h;
  g.inW = l.in.w;
  g.channels = l.in.c / l.groups;
  g.kh = l.kh;
  g.kw = l.kw;
  g.strideH = l.strideH;
  g.strideW = l.strideW;
  g.padTop = l.padTop;
  g.padLeft = l.padLeft;
  g.padBottom = l.padBottom;
  g.padRight = l.padRight;
  g.dilationH = g.dilationW = l.dilation;
  return g;
}

std::vector<float> SyntheticValues::weights(const LayerSpec& l) const {
  const double sparsity = l.weightSparsity >= 0 ? l.weightSparsity : w_.weightSparsity;
  return syntheticWeights(w_.seed, l.name, l.weightCount(), l.gemmK(), sparsity);
}

Tensor SyntheticValues::networkInput() const {
  return Tensor{w_.input, workload::syntheticInput(w_.seed, "input", w_.input.elements())};
}

Tensor SyntheticValues::syntheticInput(const LayerSpec& l, const Shape& shape, bool second) const {
  Tensor t{shape, workload::syntheticInput(w_.seed, l.name + (second ? "#2" : ""), shape.elements())};
  // Row-wise activations (softmax) work per group of a grouped layer (per attention head).
  applyActivation(l.syntheticAct, t.data.data(), t.data.size(), shape.c / l.groups);
  return t;
}

namespace {

std::vector<float> channelSlice(const Tensor& t, uint32_t c0, uint32_t cn) {
  if (c0 == 0 && cn == t.shape.c) return t.data;
  const uint64_t pixels = uint64_t{t.shape.n} * t.shape.h * t.shape.w;
  std::vector<float> out(pixels * cn);
  for (uint64_t p = 0; p < pixels; ++p) std::memcpy(&out[p * cn], &t.data[p * t.shape.c + c0], cn * sizeof(float));
  return out;
}

}  // namespace

GemmOperands gemmOperands(const LayerSpec& l, const Tensor& in, const Tensor* in2, const std::vector<float>& weights,
                          uint32_t g) {
  GemmOperands ops;
  ops.m = l.gemmM();
  ops.n = l.gemmN();
  ops.k = l.gemmK();
  const uint64_t M = ops.m, N = ops.n, K = ops.k, G = l.groups;
  if (l.op == LayerOp::Conv) {
    ops.actNhwc = channelSlice(in, g * (l.in.c / l.groups), l.in.c / l.groups);
    const tasd::ConvGeometry geo = convGeometry(l);
    const uint64_t perImage = uint64_t{l.in.h} * l.in.w * (l.in.c / l.groups);
    for (uint32_t b = 0; b < l.in.n; ++b) {
      const auto part = tasd::im2col(ops.actNhwc.data() + b * perImage, geo).values();
      ops.act.insert(ops.act.end(), part.begin(), part.end());
    }
  } else if (l.op == LayerOp::Gemm) {
    ops.act = in.data;
  } else {  // MatMul: rows x (G*K), group slice
    ops.act.resize(M * K);
    for (uint64_t i = 0; i < M; ++i) std::memcpy(&ops.act[i * K], &in.data[(i * G + g) * K], K * sizeof(float));
  }
  if (l.op == LayerOp::MatMul) {
    ops.w.resize(N * K);
    for (uint64_t j = 0; j < N; ++j)
      for (uint64_t kk = 0; kk < K; ++kk) {
        ops.w[j * K + kk] = l.transposeB ? in2->data[(j * G + g) * K + kk] : in2->data[(kk * G + g) * N + j];
      }
  } else {
    const uint64_t per = N * K;
    ops.w.assign(weights.begin() + static_cast<long>(g * per), weights.begin() + static_cast<long>((g + 1) * per));
  }
  return ops;
}

Tensor hostLayer(const LayerSpec& l, const Tensor& in, const Tensor* in2) {
  Tensor out{l.out, {}};
  if (l.op == LayerOp::Add) {
    out.data = in.data;
    for (size_t i = 0; i < out.data.size(); ++i) out.data[i] += in2->data[i];
  } else if (l.op == LayerOp::GlobalAvgPool) {
    out.data.assign(l.out.elements(), 0.0f);
    const uint64_t hw = uint64_t{l.in.h} * l.in.w;
    for (uint32_t b = 0; b < l.in.n; ++b)
      for (uint64_t p = 0; p < hw; ++p)
        for (uint32_t c = 0; c < l.in.c; ++c) out.data[uint64_t{b} * l.in.c + c] += in.data[(b * hw + p) * l.in.c + c];
    for (float& v : out.data) v /= static_cast<float>(hw);
  } else {  // max / average pooling
    const bool isMax = l.op == LayerOp::MaxPool;
    out.data.assign(l.out.elements(), 0.0f);
    for (uint32_t b = 0; b < l.out.n; ++b)
      for (uint32_t oh = 0; oh < l.out.h; ++oh)
        for (uint32_t ow = 0; ow < l.out.w; ++ow)
          for (uint32_t c = 0; c < l.out.c; ++c) {
            float acc = isMax ? -std::numeric_limits<float>::infinity() : 0.0f;
            uint32_t count = 0;
            for (uint32_t r = 0; r < l.kh; ++r)
              for (uint32_t s = 0; s < l.kw; ++s) {
                const int64_t ih = int64_t{oh} * l.strideH + r - l.padTop;
                const int64_t iw = int64_t{ow} * l.strideW + s - l.padLeft;
                if (ih < 0 || iw < 0 || ih >= l.in.h || iw >= l.in.w) continue;
                const float v = in.data[((uint64_t{b} * l.in.h + ih) * l.in.w + iw) * l.in.c + c];
                acc = isMax ? std::max(acc, v) : acc + v;
                ++count;
              }
            out.data[((uint64_t{b} * l.out.h + oh) * l.out.w + ow) * l.out.c + c] =
                isMax ? acc : (count ? acc / static_cast<float>(count) : 0.0f);
          }
  }
  applyActivation(l.act, out.data.data(), out.data.size(), l.out.c);
  return out;
}

void scatterGroup(const LayerSpec& l, uint32_t g, const float* c, bool transposed, Tensor& out) {
  const uint64_t m = l.gemmM(), n = l.gemmN(), outC = l.out.c, perGroup = outC / l.groups;
  for (uint64_t i = 0; i < m; ++i)
    for (uint64_t j = 0; j < n; ++j) out.data[i * outC + g * perGroup + j] = transposed ? c[j * m + i] : c[i * n + j];
}

void hostForward(const WorkloadSpec& w, const LayerHook& onLayer) {
  const SyntheticValues values(w);
  std::map<std::string, Tensor> tensors;
  std::map<std::string, size_t> lastUse;
  for (size_t i = 0; i < w.layers.size(); ++i) {
    lastUse[w.layers[i].input] = i;
    if (!w.layers[i].input2.empty()) lastUse[w.layers[i].input2] = i;
  }
  auto get = [&](const LayerSpec& l, const std::string& src, const Shape& shape, bool second) {
    if (src == "synthetic") return values.syntheticInput(l, shape, second);
    if (src == "input" && !tensors.count("input")) tensors["input"] = values.networkInput();
    return tensors.at(src);
  };
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const LayerSpec& l = w.layers[i];
    const Tensor in = get(l, l.input, l.in, false);
    const bool two = !l.input2.empty();
    const Tensor in2 = two ? get(l, l.input2, l.in2, true) : Tensor{};
    Tensor out;
    if (!l.isCompute()) {
      out = hostLayer(l, in, two ? &in2 : nullptr);
    } else {
      const std::vector<float> weights = l.op == LayerOp::MatMul ? std::vector<float>{} : values.weights(l);
      out = Tensor{l.out, std::vector<float>(l.out.elements(), 0.0f)};
      for (uint32_t g = 0; g < l.groups; ++g) {
        GemmOperands ops = gemmOperands(l, in, two ? &in2 : nullptr, weights, g);
        if (onLayer) onLayer(l, g, ops);
        std::vector<float> c(ops.m * ops.n);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(ops.m), static_cast<int>(ops.n),
                    static_cast<int>(ops.k), 1.0f, ops.act.data(), static_cast<int>(ops.k), ops.w.data(),
                    static_cast<int>(ops.k), 0.0f, c.data(), static_cast<int>(ops.n));
        scatterGroup(l, g, c.data(), false, out);
      }
      applyActivation(l.act, out.data.data(), out.data.size(), l.out.c);
    }
    tensors[l.name] = std::move(out);
    for (auto it = tensors.begin(); it != tensors.end();) {
      auto use = lastUse.find(it->first);
      it = use != lastUse.end() && use->second <= i ? tensors.erase(it) : std::next(it);
    }
  }
}

}  // namespace tasdsim::workload
