#include "sw/runtime/NetworkRunner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

#include <cblas.h>
#include <fmt/format.h>

#include "hw/model/top/Accelerator.h"
#include "sw/common/Error.h"
#include "sw/common/Half.h"
#include "sw/runtime/Microcode.h"
#include "sw/tasd/Decompose.h"
#include "sw/tasd/PseudoDensity.h"
#include "sw/workload/Synthetic.h"

namespace tasdsim::runtime {

using workload::LayerOp;
using workload::LayerSpec;

void validatePlan(const workload::WorkloadSpec& w, const plan::Plan& plan, const hw::AcceleratorParams& params) {
  for (const LayerSpec& l : w.layers) {
    if (!l.isCompute()) continue;
    const plan::LayerPlan& lp = plan.forLayer(l.name);
    const tasd::Series& s = lp.series;
    auto fail = [&](const std::string& why) {
      throw UserError(fmt::format("layer '{}': series {} ({}) cannot run on '{}': {}", l.name, s.str(),
                                  plan::operandName(lp.operand), params.name, why));
    };
    if (s.isDense()) continue;
    for (const tasd::NMPattern& p : s.terms) {
      if (!params.pe.supports(p)) {
        std::string list = "dense";
        for (const tasd::NMPattern& q : params.pe.patterns) list += ", " + q.str();
        fail(fmt::format("pattern {} is not supported (supported: {})", p.str(), list));
      }
    }
    if (s.order() > params.maxTerms) fail(fmt::format("{} terms, the engine runs at most {}", s.order(), params.maxTerms));
    const bool onTheFly = lp.operand == plan::Operand::A || l.op == LayerOp::MatMul;
    if (onTheFly && (params.tasd.count == 0 || !params.tasdExtension)) {
      fail("structured activations need TASD units (a TASD-extended engine)");
    }
    if (onTheFly && s.order() > 1 && !params.tasdExtension) fail("a series of activations needs the TASD extension");
  }
}

namespace {

// Host tensor in NHWC order.
struct Tensor {
  workload::Shape shape;
  std::vector<float> data;
};

uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

// Lowered weights of one group: [cout_g x (kh*kw*cin_g)], channel innermost.
std::vector<float> groupWeights(const std::vector<float>& all, const LayerSpec& l, uint32_t g) {
  const size_t per = l.gemmN() * l.gemmK();
  return std::vector<float>(all.begin() + static_cast<long>(g * per), all.begin() + static_cast<long>((g + 1) * per));
}

// Channel slice [c0, c0 + cn) of an NHWC tensor.
std::vector<float> channelSlice(const Tensor& t, uint32_t c0, uint32_t cn) {
  if (c0 == 0 && cn == t.shape.c) return t.data;
  const uint64_t pixels = uint64_t{t.shape.n} * t.shape.h * t.shape.w;
  std::vector<float> out(pixels * cn);
  for (uint64_t p = 0; p < pixels; ++p) std::memcpy(&out[p * cn], &t.data[p * t.shape.c + c0], cn * sizeof(float));
  return out;
}

tasd::ConvGeometry geometryOf(const LayerSpec& l) {
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

// Values of one operand as device bytes of the run's value type (int8: quantised with scale).
std::vector<uint8_t> encodeValues(const std::vector<float>& v, tasd::DType t, float scale) {
  std::vector<uint8_t> out(v.size() * tasd::dtypeBytes(t));
  switch (t) {
    case tasd::DType::F32:
      std::memcpy(out.data(), v.data(), out.size());
      break;
    case tasd::DType::BF16:
      for (size_t i = 0; i < v.size(); ++i) {
        const uint16_t b = floatToBf16(v[i]);
        out[2 * i] = static_cast<uint8_t>(b);
        out[2 * i + 1] = static_cast<uint8_t>(b >> 8);
      }
      break;
    case tasd::DType::I8:
      for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<uint8_t>(static_cast<int8_t>(v[i]));
      break;
  }
  (void)scale;
  return out;
}

// Symmetric per-tensor int8 quantisation: returns the scale, rounds v in place to integers.
float quantise(std::vector<float>& v) {
  float mx = 0;
  for (float x : v) mx = std::max(mx, std::fabs(x));
  const float scale = mx > 0 ? mx / 127.0f : 1.0f;
  for (float& x : v) x = std::max(-127.0f, std::min(127.0f, std::nearbyint(x / scale)));
  return scale;
}

void roundBf16(std::vector<float>& v) {
  for (float& x : v) x = roundToBf16(x);
}

}  // namespace

struct NetworkRunner::Impl {
  const workload::WorkloadSpec& w;
  const plan::Plan& plan;
  const hw::AcceleratorParams& params;
  const hw::EnergyTable& energy;
  RunOptions options;
  hw::Accelerator& accel;
  hw::StatsRegistry& stats;
  std::map<std::string, Tensor> tensors;
  std::map<std::string, size_t> lastUse;
  DeviceMemory memory;

  Impl(const workload::WorkloadSpec& w_, const plan::Plan& p, const hw::AcceleratorParams& a, const hw::EnergyTable& e,
       const RunOptions& o, hw::Accelerator& acc, hw::StatsRegistry& s)
      : w(w_), plan(p), params(a), energy(e), options(o), accel(acc), stats(s), memory(a.dram.sizeBytes) {
    for (size_t i = 0; i < w.layers.size(); ++i) {
      lastUse[w.layers[i].input] = i;
      if (!w.layers[i].input2.empty()) lastUse[w.layers[i].input2] = i;
    }
  }

  bool functional() const { return options.functional; }

  // The input tensor named src for layer l (network input and synthetic inputs generated).
  Tensor inputOf(const LayerSpec& l, const std::string& src, const workload::Shape& shape, bool second) {
    if (src == "synthetic") {
      Tensor t{shape, workload::syntheticInput(w.seed, l.name + (second ? "#2" : ""), shape.elements())};
      // Row-wise activations (softmax) work per group of a grouped layer (per attention head).
      workload::applyActivation(l.syntheticAct, t.data.data(), t.data.size(), shape.c / l.groups);
      return t;
    }
    if (src == "input" && !tensors.count("input")) {
      Tensor t{w.input, workload::syntheticInput(w.seed, "input", w.input.elements())};
      tensors["input"] = t;
    }
    return tensors.at(src);
  }

  void release(size_t index) {
    for (auto it = tensors.begin(); it != tensors.end();) {
      auto use = lastUse.find(it->first);
      if (use != lastUse.end() && use->second <= index) {
        it = tensors.erase(it);
      } else {
        ++it;
      }
    }
  }

  // ---- host-only layers -------------------------------------------------------------------
  Tensor hostLayer(const LayerSpec& l) {
    Tensor in = inputOf(l, l.input, l.in, false);
    Tensor out{l.out, {}};
    if (l.op == LayerOp::Add) {
      const Tensor other = inputOf(l, l.input2, l.in2, true);
      out.data = in.data;
      for (size_t i = 0; i < out.data.size(); ++i) out.data[i] += other.data[i];
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
    workload::applyActivation(l.act, out.data.data(), out.data.size(), l.out.c);
    return out;
  }

  // ---- accelerator layers -----------------------------------------------------------------
  struct GroupWork {
    GemmJob job;
    // Host-side operands of the reference (functional runs): S approximation and D, dense.
    std::vector<float> sApprox, dDense;  // m x k, n x k
    bool sIsWeights = true;
    tasd::Quality quality;
    tasd::TensorStats original, kept;
  };

  void placeDense(Host& host, DenseOperand& op, const std::vector<float>& values, uint64_t rows, uint64_t cols,
                  uint64_t elements) {
    const uint32_t eb = tasd::dtypeBytes(options.dtype);
    op.address = memory.allocate(elements * eb);
    op.rowStride = cols * eb;
    (void)rows;
    if (functional()) {
      const std::vector<uint8_t> bytes = encodeValues(values, options.dtype, 1.0f);
      host.writeMemory(op.address, bytes.data(), bytes.size());
    }
  }

  void placeTerms(Host& host, GemmJob& job, const std::vector<tasd::CompressedTerm>* terms) {
    const uint32_t eb = tasd::dtypeBytes(options.dtype);
    for (size_t t = 0; t < job.series.order(); ++t) {
      const tasd::NMPattern p = job.series.terms[t];
      const uint64_t slots = ceilDiv(job.k, p.m) * p.n;
      const uint64_t valueBytes = uint64_t{job.m} * slots * eb, metaBytes = uint64_t{job.m} * ceilDiv(slots * p.indexBits(), 8);
      job.termValues.push_back(memory.allocate(valueBytes));
      job.termMeta.push_back(memory.allocate(metaBytes));
      if (terms) {
        host.writeMemory(job.termValues.back(), (*terms)[t].values().data(), valueBytes);
        host.writeMemory(job.termMeta.back(), (*terms)[t].meta().data(), metaBytes);
      }
    }
  }

  // Approximates S (m x k, dense) with the series, as the accelerator will; returns stats.
  void approximate(GroupWork& g, std::vector<float>& s, uint64_t m, uint64_t k, const tasd::Series& series, float tau) {
    g.original = tasd::statsOf(s.data(), s.size());
    if (tau >= 0) tasd::applyThreshold(s.data(), s.size(), tau);
    g.kept = series.isDense() ? tasd::statsOf(s.data(), s.size()) : tasd::approximateInPlace(s.data(), m, k, series);
    // Dropped energy: original - kept (supports are disjoint; thresholded values are dropped).
    g.quality = tasd::qualityOf(g.original, g.kept, std::max(0.0, g.original.l2sq - g.kept.l2sq));
  }

  Tensor computeLayer(Host& host, const LayerSpec& l, LayerResult& r) {
    const plan::LayerPlan& lp = plan.forLayer(l.name);
    const bool isMatMul = l.op == LayerOp::MatMul;
    const bool onTheFly = !lp.series.isDense() && (lp.operand == plan::Operand::A || isMatMul);
    const bool sIsActivations = lp.operand == plan::Operand::A;
    r.operand = plan::operandName(lp.operand);
    r.series = lp.series.str();
    r.computeFraction = lp.series.computeFraction();
    r.groups = l.groups;
    r.m = l.gemmM();
    r.n = l.gemmN();
    r.k = l.gemmK();
    const uint64_t M = r.m, N = r.n, K = r.k;
    const uint32_t G = l.groups;

    // Host operands (functional runs).
    Tensor in, in2;
    std::vector<float> weights;
    float scaleIn = 1, scaleW = 1;
    if (functional()) {
      in = inputOf(l, l.input, l.in, false);
      if (isMatMul) in2 = inputOf(l, l.input2, l.in2, true);
      if (l.op != LayerOp::MatMul) {
        const double sparsity = l.weightSparsity >= 0 ? l.weightSparsity : w.weightSparsity;
        weights = workload::syntheticWeights(w.seed, l.name, l.weightCount(), K, sparsity);
      }
      uint64_t nonzero = 0;
      for (float v : in.data) nonzero += v != 0.0f;
      r.inputDensity = in.data.empty() ? 1.0 : static_cast<double>(nonzero) / static_cast<double>(in.data.size());
      if (options.dtype == tasd::DType::BF16) {
        roundBf16(in.data);
        roundBf16(in2.data);
        roundBf16(weights);
      } else if (options.dtype == tasd::DType::I8) {
        scaleIn = quantise(in.data);
        scaleW = isMatMul ? quantise(in2.data) : quantise(weights);
      }
    }

    memory.reset();
    Program program;
    std::vector<GroupWork> groups(G);
    for (uint32_t g = 0; g < G; ++g) {
      GroupWork& gw = groups[g];
      GemmJob& job = gw.job;
      job.name = G > 1 ? fmt::format("{}[{}]", l.name, g) : l.name;
      job.dtype = options.dtype;
      job.k = static_cast<uint32_t>(K);
      // Activation operand of this group: rows = output positions (conv) or input rows.
      DenseOperand act;
      std::vector<float> actValues;  // NHWC slice (conv) or rows x K matrix
      uint64_t actElements = 0;
      if (l.op == LayerOp::Conv) {
        act.conv = true;
        act.geometry = geometryOf(l);
        act.batch = l.in.n;
        if (functional()) actValues = channelSlice(in, g * (l.in.c / G), l.in.c / G);
        actElements = uint64_t{l.in.n} * l.in.h * l.in.w * (l.in.c / G);
      } else if (l.op == LayerOp::Gemm) {
        if (functional()) actValues = in.data;
        actElements = M * K;
      } else {  // MatMul: first operand rows x (G*K), group slice
        if (functional()) {
          actValues.resize(M * K);
          for (uint64_t i = 0; i < M; ++i) std::memcpy(&actValues[i * K], &in.data[i * G * K + g * K], K * sizeof(float));
        }
        actElements = M * K;
      }
      // Second operand: weights [N x K] or, for MatMul, input2 as [N x K].
      std::vector<float> wValues;
      if (functional()) {
        if (isMatMul) {
          wValues.resize(N * K);
          for (uint64_t j = 0; j < N; ++j)
            for (uint64_t kk = 0; kk < K; ++kk) {
              wValues[j * K + kk] = l.transposeB ? in2.data[j * G * K + g * K + kk] : in2.data[kk * G * N + g * N + j];
            }
        } else {
          wValues = groupWeights(weights, l, g);
        }
      }
      const bool sActs = sIsActivations || (isMatMul && lp.operand == plan::Operand::A);
      gw.sIsWeights = !sActs;
      job.m = static_cast<uint32_t>(sActs ? M : N);
      job.n = static_cast<uint32_t>(sActs ? N : M);
      job.series = lp.series;
      // Pseudo-density threshold: absolute, or a quantile of |x| of this layer's input.
      float tau = static_cast<float>(lp.tau);
      if (onTheFly && lp.tauQuantile >= 0 && functional()) {
        const std::vector<float>& src = sActs ? actValues : wValues;
        tau = tasd::magnitudeQuantile(src.data(), src.size(), lp.tauQuantile);
      }
      r.tau = tau;
      // The dense-matrix form of the activations (reference, and TASD-A on matrices).
      std::vector<float> actMatrix;
      if (functional()) {
        if (l.op == LayerOp::Conv) {
          actMatrix = tasd::im2col(actValues.data(), act.geometry).values();
          if (act.batch > 1) {  // im2col per image, stacked
            actMatrix.clear();
            const uint64_t per = uint64_t{l.in.h} * l.in.w * (l.in.c / G);
            for (uint32_t b = 0; b < act.batch; ++b) {
              const auto part = tasd::im2col(actValues.data() + b * per, act.geometry).values();
              actMatrix.insert(actMatrix.end(), part.begin(), part.end());
            }
          }
        } else {
          actMatrix = actValues;
        }
      }
      if (sActs || isMatMul) {
        // S is an activation (or, for MatMul with operand W, the second input), decomposed on
        // the fly; D is the other operand as a plain matrix.
        const bool sIsFirst = sActs;
        if (onTheFly) {
          job.sKind = SKind::OnTheFly;
          job.tau = tau;
        } else {
          job.sKind = SKind::Dense;
        }
        if (sIsFirst) {
          job.s = act;
          placeDense(host, job.s, actValues, job.m, K, actElements);
          job.d = DenseOperand{};
          placeDense(host, job.d, wValues, job.n, K, uint64_t{job.n} * K);
          if (functional()) {
            gw.sApprox = actMatrix;
            gw.dDense = wValues;
          }
        } else {
          job.s = DenseOperand{};
          placeDense(host, job.s, wValues, job.m, K, uint64_t{job.m} * K);
          job.d = DenseOperand{};
          placeDense(host, job.d, actMatrix, job.n, K, uint64_t{job.n} * K);
          if (functional()) {
            gw.sApprox = wValues;
            gw.dDense = actMatrix;
          }
        }
        if (functional()) approximate(gw, gw.sApprox, job.m, K, onTheFly ? lp.series : tasd::Series::dense(), onTheFly ? tau : -1.0f);
      } else {
        // TASD-W: S = weights (terms decomposed offline, or dense); D = activations.
        job.d = act;
        placeDense(host, job.d, actValues, job.n, K, actElements);
        if (lp.series.isDense()) {
          job.sKind = SKind::Dense;
          placeDense(host, job.s, wValues, job.m, K, uint64_t{job.m} * K);
          if (functional()) {
            gw.sApprox = wValues;
            approximate(gw, gw.sApprox, job.m, K, tasd::Series::dense(), -1.0f);
          }
        } else {
          job.sKind = SKind::Terms;
          if (functional()) {
            tasd::MatrixF wm(job.m, K, wValues);
            if (options.dtype == tasd::DType::I8) {
              tasd::MatrixI8 wi(job.m, K);
              for (size_t i = 0; i < wm.size(); ++i) wi.data()[i] = static_cast<int8_t>(wm.data()[i]);
              auto d = tasd::decompose(wi, lp.series);
              placeTerms(host, job, &d.terms);
              gw.original = d.original;
              gw.quality = d.quality();
              const tasd::MatrixI8 approx = tasd::reconstructI8(d.terms, job.m, K);
              gw.sApprox.assign(approx.values().begin(), approx.values().end());
            } else {
              auto d = tasd::decompose(wm, lp.series, options.dtype);
              placeTerms(host, job, &d.terms);
              gw.original = d.original;
              gw.quality = d.quality();
              gw.sApprox = tasd::reconstructF(d.terms, job.m, K).values();
            }
          } else {
            placeTerms(host, job, nullptr);
          }
        }
        if (functional()) gw.dDense = actMatrix;
      }
      job.cAddress = memory.allocate(uint64_t{job.m} * job.n * 4);
      job.cRowStride = uint64_t{job.n} * 4;
      emitGemm(params, job, program);
    }
    emitEnd(program);
    r.tiling = fmt::format("{}x{}x{}", program.tiling.mt, program.tiling.nt, program.tiling.kt);
    const std::vector<uint8_t> code = program.bytes();
    const uint64_t codeAddress = memory.allocate(code.size());
    host.writeMemory(codeAddress, code.data(), code.size());

    const auto before = stats.snapshot();
    const auto wallStart = std::chrono::steady_clock::now();
    const hw::CompletionInfo done = host.runProgram(codeAddress, code.size());
    r.modelWallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
    r.stats = hw::difference(before, stats.snapshot());
    r.cycles = done.cycles;
    r.instructions = done.instructions;
    if (done.error != hw::ErrorCode::None) {
      throw std::runtime_error(fmt::format("layer '{}': accelerator stopped with {} at instruction {}: {}", l.name,
                                           hw::errorCodeName(done.error), done.errorPc,
                                           accel.host_if.lastCompletion().detail));
    }

    // Quality of the structured operand over all groups.
    tasd::TensorStats orig, kept;
    double dropped = 0;
    for (const GroupWork& gw : groups) {
      orig += gw.original;
      kept.nonzeros += gw.quality.keptNonzeros;
      kept.l1 += gw.quality.keptL1Fraction * gw.original.l1;
      kept.l2sq += gw.quality.keptEnergy * gw.original.l2sq;
      dropped += gw.original.l2sq * gw.quality.relFrobeniusError * gw.quality.relFrobeniusError;
    }
    if (functional()) {
      r.haveQuality = true;
      r.quality = tasd::qualityOf(orig, kept, dropped);
    }

    // Results back, checked, into the output tensor.
    Tensor out{l.out, {}};
    if (!functional()) return out;
    out.data.assign(l.out.elements(), 0.0f);
    const uint64_t outC = l.out.c, perGroup = outC / G;
    for (uint32_t g = 0; g < G; ++g) {
      GroupWork& gw = groups[g];
      const GemmJob& job = gw.job;
      std::vector<uint8_t> raw(uint64_t{job.m} * job.n * 4);
      host.readMemory(job.cAddress, raw.data(), raw.size());
      std::vector<float> c(uint64_t{job.m} * job.n);
      if (options.dtype == tasd::DType::I8) {
        std::vector<int32_t> ci(c.size());
        std::memcpy(ci.data(), raw.data(), raw.size());
        if (options.check) checkInt8(gw, ci, r.check);
        for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<float>(ci[i]) * scaleIn * scaleW;
      } else {
        std::memcpy(c.data(), raw.data(), raw.size());
        if (options.check) checkFloat(gw, c, r.check);
      }
      for (uint64_t i = 0; i < job.m; ++i)
        for (uint64_t j = 0; j < job.n; ++j) {
          const uint64_t pos = gw.sIsWeights ? j : i, ch = gw.sIsWeights ? i : j;
          out.data[pos * outC + g * perGroup + ch] = c[i * job.n + j];
        }
    }
    workload::applyActivation(l.act, out.data.data(), out.data.size(), l.out.c);
    return out;
  }

  void checkFloat(const GroupWork& gw, const std::vector<float>& c, CheckResult& res) {
    const GemmJob& job = gw.job;
    const uint64_t m = job.m, n = job.n, k = job.k;
    std::vector<float> ref(m * n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
                1.0f, gw.sApprox.data(), static_cast<int>(k), gw.dDense.data(), static_cast<int>(k), 0.0f, ref.data(),
                static_cast<int>(n));
    std::vector<double> rowL1(m, 0.0), colMax(n, 0.0);
    for (uint64_t i = 0; i < m; ++i)
      for (uint64_t kk = 0; kk < k; ++kk) rowL1[i] += std::fabs(gw.sApprox[i * k + kk]);
    for (uint64_t j = 0; j < n; ++j)
      for (uint64_t kk = 0; kk < k; ++kk) colMax[j] = std::max(colMax[j], static_cast<double>(std::fabs(gw.dDense[j * k + kk])));
    const double eps = std::ldexp(1.0, -24);
    double diff2 = 0, ref2 = 0;
    res.performed = true;
    for (uint64_t i = 0; i < m; ++i)
      for (uint64_t j = 0; j < n; ++j) {
        const double d = std::fabs(static_cast<double>(c[i * n + j]) - ref[i * n + j]);
        const double bound = 2.0 * static_cast<double>(k) * eps * rowL1[i] * colMax[j] + 1e-30;
        res.maxAbsError = std::max(res.maxAbsError, d);
        if (!(d <= bound)) ++res.mismatches;
        diff2 += d * d;
        ref2 += static_cast<double>(ref[i * n + j]) * ref[i * n + j];
      }
    const double rel = ref2 > 0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
    res.relFrobeniusError = std::max(res.relFrobeniusError, rel);
    if (res.mismatches || !(rel <= 1e-5)) res.passed = false;
  }

  void checkInt8(const GroupWork& gw, const std::vector<int32_t>& c, CheckResult& res) {
    const GemmJob& job = gw.job;
    const uint64_t m = job.m, n = job.n, k = job.k;
    std::vector<double> s(gw.sApprox.begin(), gw.sApprox.end()), d(gw.dDense.begin(), gw.dDense.end());
    std::vector<double> ref(m * n);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
                1.0, s.data(), static_cast<int>(k), d.data(), static_cast<int>(k), 0.0, ref.data(), static_cast<int>(n));
    res.performed = true;
    for (uint64_t i = 0; i < m * n; ++i) {
      const double diff = std::fabs(static_cast<double>(c[i]) - ref[i]);
      res.maxAbsError = std::max(res.maxAbsError, diff);
      if (diff != 0.0) ++res.mismatches;
    }
    if (res.mismatches) res.passed = false;
  }

  void finish(LayerResult& r) {
    r.seconds = static_cast<double>(r.cycles) / (params.clockGHz * 1e9);
    r.energy = hw::computeEnergy(energy, params, r.stats, accel.name(), options.dtype, r.seconds);
    r.edp = r.energy.total() * 1e-12 * r.seconds;
  }
};

NetworkRunner::NetworkRunner(const workload::WorkloadSpec& workload, const plan::Plan& plan,
                             const hw::AcceleratorParams& params, const hw::EnergyTable& energy,
                             const RunOptions& options, hw::Accelerator& accelerator, hw::StatsRegistry& stats)
    : impl_(new Impl(workload, plan, params, energy, options, accelerator, stats)) {}

NetworkRunner::~NetworkRunner() { delete impl_; }

void NetworkRunner::run(Host& host) {
  Impl& s = *impl_;
  const size_t total = s.w.layers.size();
  for (size_t i = 0; i < total; ++i) {
    const LayerSpec& l = s.w.layers[i];
    if (s.options.progress) s.options.progress(i, total, l.name);
    LayerResult r;
    r.name = l.name;
    r.op = workload::layerOpName(l.op);
    r.macs = l.macs();
    try {
      Tensor out;
      if (l.isCompute()) {
        r.onAccelerator = true;
        out = s.computeLayer(host, l, r);
        s.finish(r);
      } else if (s.functional()) {
        out = s.hostLayer(l);
      }
      if (r.check.performed && !r.check.passed) result_.checksPassed = false;
      if (s.functional()) s.tensors[l.name] = std::move(out);
      s.release(i);
    } catch (const std::exception& e) {
      result_.failReason = e.what();
      result_.layers.push_back(std::move(r));
      return;
    }
    result_.layers.push_back(std::move(r));
  }
  if (s.options.progress) s.options.progress(total, total, "");
}

}  // namespace tasdsim::runtime
