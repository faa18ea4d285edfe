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
#include "sw/workload/HostOps.h"

namespace tasdsim::runtime {

using workload::LayerOp;
using workload::LayerSpec;

void validatePlan(const workload::WorkloadSpec& w, const plan::Plan& plan, const hw::AcceleratorParams& params) {
  // Every layer a plan names must exist (a typo would otherwise fall back to the default).
  for (const plan::LayerPlan& lp : plan.layers) {
    const LayerSpec* found = nullptr;
    for (const LayerSpec& l : w.layers) {
      if (l.name == lp.layer) found = &l;
    }
    if (!found) {
      throw UserError(fmt::format("plan '{}': layer '{}' is not in workload '{}'", plan.name, lp.layer, w.name));
    }
    if (!found->isCompute()) {
      throw UserError(fmt::format("plan '{}': layer '{}' of workload '{}' is a host operation ({}), not a GEMM or conv",
                                  plan.name, lp.layer, w.name, workload::layerOpName(found->op)));
    }
  }
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

using workload::Tensor;

uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

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
  workload::SyntheticValues values;
  std::map<std::string, Tensor> tensors;
  std::map<std::string, size_t> lastUse;
  DeviceMemory memory;

  Impl(const workload::WorkloadSpec& w_, const plan::Plan& p, const hw::AcceleratorParams& a, const hw::EnergyTable& e,
       const RunOptions& o, hw::Accelerator& acc, hw::StatsRegistry& s)
      : w(w_), plan(p), params(a), energy(e), options(o), accel(acc), stats(s), values(w_), memory(a.dram.sizeBytes) {
    for (size_t i = 0; i < w.layers.size(); ++i) {
      lastUse[w.layers[i].input] = i;
      if (!w.layers[i].input2.empty()) lastUse[w.layers[i].input2] = i;
    }
  }

  bool functional() const { return options.functional; }

  // The input tensor named src for layer l (network input and synthetic inputs generated).
  Tensor inputOf(const LayerSpec& l, const std::string& src, const workload::Shape& shape, bool second) {
    if (src == "synthetic") return values.syntheticInput(l, shape, second);
    if (src == "input" && !tensors.count("input")) tensors["input"] = values.networkInput();
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
    const Tensor in = inputOf(l, l.input, l.in, false);
    const Tensor in2 = l.input2.empty() ? Tensor{} : inputOf(l, l.input2, l.in2, true);
    return workload::hostLayer(l, in, l.input2.empty() ? nullptr : &in2);
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
      if (l.op != LayerOp::MatMul) weights = values.weights(l);
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
      // Activation operand of this group (rows = output positions for a conv, input rows
      // otherwise) and the other operand (weights [N x K], or matmul's second input).
      workload::GemmOperands ops;
      if (functional()) ops = workload::gemmOperands(l, in, isMatMul ? &in2 : nullptr, weights, g);
      DenseOperand act;
      uint64_t actElements = M * K;
      if (l.op == LayerOp::Conv) {
        act.conv = true;
        act.geometry = workload::convGeometry(l);
        act.batch = l.in.n;
        actElements = uint64_t{l.in.n} * l.in.h * l.in.w * (l.in.c / G);
      }
      const std::vector<float>& actValues = l.op == LayerOp::Conv ? ops.actNhwc : ops.act;  // what memory holds
      std::vector<float>& wValues = ops.w;
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
      const std::vector<float>& actMatrix = ops.act;
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
      workload::scatterGroup(l, g, c.data(), gw.sIsWeights, out);
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
    // Rounding differences of differently ordered sums grow like sqrt(K) (docs/architecture.md).
    const double relBound = 1e-5 * std::max(1.0, std::sqrt(static_cast<double>(k) / 1024.0));
    if (res.mismatches || !(rel <= relBound)) res.passed = false;
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
