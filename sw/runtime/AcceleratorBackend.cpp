#include "sw/runtime/AcceleratorBackend.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <tuple>
#include <utility>

#include <cblas.h>
#include <fmt/format.h>

#include "hw/model/system/System.h"
#include "sw/common/Error.h"
#include "sw/common/Half.h"
#include "sw/common/ParallelFor.h"
#include "sw/common/SerialWorker.h"
#include "sw/runtime/Distribute.h"
#include "sw/runtime/Microcode.h"
#include "sw/runtime/Quantization.h"
#include "sw/tasd/Decompose.h"
#include "sw/tasd/PseudoDensity.h"
#include "sw/tasd/Reference.h"

namespace tasdsim::runtime {

using executor::GemmLayer;
using executor::GemmOperands;
using executor::LayerEpilogue;

namespace {

uint64_t ceilDiv(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

// Values of one operand as device bytes of the run's value type (int8: already integers).
std::vector<uint8_t> encodeValues(const float* v, size_t count, tasd::DType t) {
  std::vector<uint8_t> out(count * tasd::dtypeBytes(t));
  switch (t) {
    case tasd::DType::F32:
      std::memcpy(out.data(), v, out.size());
      break;
    case tasd::DType::BF16:
      for (size_t i = 0; i < count; ++i) {
        const uint16_t b = floatToBf16(v[i]);
        out[2 * i] = static_cast<uint8_t>(b);
        out[2 * i + 1] = static_cast<uint8_t>(b >> 8);
      }
      break;
    case tasd::DType::I8:
      for (size_t i = 0; i < count; ++i)
        out[i] = static_cast<uint8_t>(static_cast<int8_t>(v[i]));
      break;
  }
  return out;
}

float maxAbs(const float* v, size_t count) {
  float mx = 0;
  for (size_t i = 0; i < count; ++i)
    mx = std::max(mx, std::fabs(v[i]));
  return mx;
}

// Symmetric int8 scale of a tensor whose largest magnitude is mx.
float int8Scale(float mx) {
  return mx > 0 ? mx / 127.0f : 1.0f;
}

// The run's value type applied to host values: bf16 rounding, or int8 rounding with `scale`.
void toValueType(std::vector<float>& v, tasd::DType t, float scale) {
  if (t == tasd::DType::BF16) {
    for (float& x : v)
      x = roundToBf16(x);
  } else if (t == tasd::DType::I8) {
    for (float& x : v)
      x = std::max(-127.0f, std::min(127.0f, std::nearbyint(x / scale)));
  }
}

}  // namespace

struct AcceleratorBackend::Impl {
  Host& host;
  const hw::AcceleratorParams& params;
  const hw::EnergyTable& energy;
  const plan::Plan& plan;
  const RunOptions& options;
  hw::System& system;
  hw::StatsRegistry& stats;
  DeviceMemory memory;

  // Values of one operand on the host: the executor's own (fp32: a view, no copy) or a copy in
  // the run's value type.
  struct Values {
    std::vector<float> store;
    const float* data = nullptr;
    size_t size = 0;
    void view(const float* p, size_t n) {
      store.clear();
      data = p;
      size = n;
    }
    void copy(const float* p, size_t n) {
      store.assign(p, p + n);
      data = store.data();
      size = n;
    }
    std::vector<float> vector() const { return std::vector<float>(data, data + size); }
    // A view becomes a copy (for work that outlives the executor's tensor).
    void own() {
      if (store.empty() && data) copy(data, size);
    }
  };

  // What the reference thread still forms of a group's approximated S: nothing (ready, or
  // shared from the TASD-W cache); from the activations (S = A) or the weights (S = W) with the
  // group's quality (dense, or decomposed on the fly); or TASD-W's reference approximation only
  // (its quality is the decomposition's).
  enum class RefS { Ready, Activations, Weights, WeightsReferenceOnly };
  enum class RefD { None, Activations, Weights };  // the reference's D operand

  // One group of a layer on the device, with its host-side operands (functional runs).
  struct Group {
    GemmJob job;
    bool sIsWeights = true;  // S = W_g: the device computes C_g^T
    Values act;              // the activation operand as the device reads it (image or matrix)
    Values w;                // W_g [n x k]
    // reference: S as approximated [job.m x k], formed on the reference thread (refS, with
    // refSeries and refTau); shared with the TASD-W cache.
    std::shared_ptr<std::vector<float>> sApprox = std::make_shared<std::vector<float>>();
    RefS refS = RefS::Ready;
    tasd::Series refSeries;
    float refTau = -1;
    RefD dFrom = RefD::None;  // reference: D [job.n x k] (act or w), unless dConv
    // reference: D as the im2col rows of `act` (a convolution with S = W), formed block by block
    // where the checks use them rather than as an n x k copy.
    const tasd::ConvGeometry* dConv = nullptr;
    std::vector<tasd::CompressedTerm> terms;  // TASD-W
    tasd::Quality quality;
    tasd::TensorStats original;
    // Static int8: the output path's table, channel j of this group.
    std::vector<int32_t> multiplier, shift, bias;
    // The results read back from the device: fp32 values, or the bytes of int8 / int32 results
    // in float storage.
    std::vector<float> raw;
    // The first `count` results read back as type T (int8 requantised or int32 accumulators).
    template <typename T>
    std::vector<T> resultsAs(size_t count) const {
      std::vector<T> out(count);
      std::memcpy(out.data(), raw.data(), count * sizeof(T));
      return out;
    }
  };

  // TASD-W terms of a layer with constant weights, the same for every input set: kept between
  // sets (when there are several) and lent to the layer's groups while it runs.
  struct WeightTerms {
    std::vector<tasd::CompressedTerm> terms;
    std::shared_ptr<std::vector<float>> sApprox;
    tasd::Quality quality;
    tasd::TensorStats original;
  };
  struct CachedWeights {
    float scale = 1;                   // int8, per tensor
    std::vector<float> channelScales;  // static int8, per output channel
    std::vector<WeightTerms> groups;
  };
  std::map<size_t, CachedWeights> weightCache;
  struct CachedProgram {
    std::vector<std::vector<uint8_t>> code;  // per instance (empty: no work for it)
    std::string tiling;
    double estimatedCycles = 0;  // the chooser's, the largest over the instances
  };
  std::map<size_t, CachedProgram> programCache;
  bool cacheWeights() const { return options.inputs.size() > 1; }

  struct LayerWork {
    const GemmLayer* layer = nullptr;
    const plan::LayerPlan* lp = nullptr;
    bool sIsActivations = false;               // plan operand A
    bool onTheFly = false;                     // S decomposed by the TASD units
    bool terms = false;                        // S as precomputed TASD-W terms
    float scaleAct = 1, scaleW = 1;            // int8 (dynamic: per tensor)
    const ActivationScales* scales = nullptr;  // static int8 (RunOptions::int8Scales)
    std::vector<float> channelScales;          // static int8: W's scale per output channel
    LayerEpilogue epilogue;
    CachedWeights* cached = nullptr;  // the layer's TASD-W terms from an earlier set
    std::vector<Group> groups;
    std::vector<Program> programs;                 // per instance
    std::vector<uint64_t> codeAddress, codeBytes;  // per instance (0 bytes: not started)
    LayerResult r;
  };

  Impl(Host& h, const hw::AcceleratorParams& p, const hw::EnergyTable& e, const plan::Plan& pl,
       const RunOptions& o, hw::System& a, hw::StatsRegistry& s)
      : host(h),
        params(p),
        energy(e),
        plan(pl),
        options(o),
        system(a),
        stats(s),
        memory(p.dram.sizeBytes, p.addressMap.dramBase) {}

  bool functional() const { return options.functional; }

  // ---- stage 1: the jobs -------------------------------------------------------------------
  LayerWork planLayer(const GemmLayer& layer, const LayerEpilogue& epilogue = {}) {
    LayerWork work;
    work.layer = &layer;
    work.epilogue = epilogue;
    if (options.dtype == tasd::DType::I8) {
      const auto it = options.int8Scales.find(layer.name);
      if (it != options.int8Scales.end()) work.scales = &it->second;
    }
    work.lp = &plan.forLayer(layer.name);
    const plan::LayerPlan& lp = *work.lp;
    work.sIsActivations = lp.operand == plan::Operand::A;
    work.onTheFly = !lp.series.isDense() && (work.sIsActivations || !layer.constantWeights);
    work.terms = !lp.series.isDense() && !work.onTheFly;
    if (work.terms && layer.constantWeights) {
      const auto it = weightCache.find(layer.index);
      if (it != weightCache.end()) work.cached = &it->second;
    }
    LayerResult& r = work.r;
    r.name = layer.name;
    r.onAccelerator = true;
    r.operand = plan::operandName(lp.operand);
    r.series = lp.series.str();
    r.computeFraction = lp.series.computeFraction(layer.k);
    r.groups = static_cast<uint32_t>(layer.groups);
    r.m = layer.rowsPerGroup();
    r.n = layer.n;
    r.k = layer.k;
    r.macs = layer.macs();
    work.groups.resize(layer.groups);
    for (size_t g = 0; g < layer.groups; ++g) {
      Group& grp = work.groups[g];
      GemmJob& job = grp.job;
      job.name = layer.groups > 1 ? fmt::format("{}[{}]", layer.name, g) : layer.name;
      job.dtype = options.dtype;
      job.k = static_cast<uint32_t>(layer.k);
      job.series = lp.series;
      grp.sIsWeights = !work.sIsActivations;
      job.m = static_cast<uint32_t>(grp.sIsWeights ? layer.n : layer.rowsPerGroup());
      job.n = static_cast<uint32_t>(grp.sIsWeights ? layer.rowsPerGroup() : layer.n);
      job.sKind = work.onTheFly ? SKind::OnTheFly : work.terms ? SKind::Terms : SKind::Dense;
      if (work.scales) {
        job.output.requant = true;
        job.output.relu = epilogue.reluFollows;
        job.output.perRow = grp.sIsWeights;  // the output channels are C^T's rows
        job.output.bias = epilogue.bias != nullptr;
      }
    }
    return work;
  }

  // The activation operand as the device reads it: a convolution's NHWC images through implicit
  // im2col, or a row-major matrix.
  DenseOperand activationOperand(const GemmLayer& layer) const {
    DenseOperand act;
    if (layer.conv) {
      act.conv = true;
      act.geometry = *layer.conv;
      act.batch = static_cast<uint32_t>(layer.batch);
    }
    return act;
  }
  uint64_t activationElements(const GemmLayer& layer) const {
    if (!layer.conv) return layer.rowsPerGroup() * layer.k;
    return uint64_t{layer.batch} * layer.conv->inH * layer.conv->inW * layer.conv->channels;
  }

  // ---- stage 2: operands into device memory -------------------------------------------------
  void placeDense(DenseOperand& op, const Values* values, uint64_t cols, uint64_t elements) {
    const uint32_t eb = tasd::dtypeBytes(options.dtype);
    op.address = memory.allocate(elements * eb);
    op.rowStride = cols * eb;
    if (!values) return;
    if (options.dtype == tasd::DType::F32) {  // fp32 bytes are the values themselves
      host.writeMemory(op.address, values->data, values->size * sizeof(float));
      return;
    }
    const std::vector<uint8_t> bytes = encodeValues(values->data, values->size, options.dtype);
    host.writeMemory(op.address, bytes.data(), bytes.size());
  }

  void placeTerms(GemmJob& job, const std::vector<tasd::CompressedTerm>* terms) {
    const uint32_t eb = tasd::dtypeBytes(options.dtype);
    for (size_t t = 0; t < job.series.order(); ++t) {
      const tasd::NMPattern p = job.series.terms[t];
      const uint64_t slots = ceilDiv(job.k, p.m) * p.n;
      const uint64_t valueBytes = uint64_t{job.m} * slots * eb,
                     metaBytes = uint64_t{job.m} * ceilDiv(slots * p.indexBits(), 8);
      job.termValues.push_back(memory.allocate(valueBytes));
      job.termMeta.push_back(memory.allocate(metaBytes));
      if (terms) {
        host.writeMemory(job.termValues.back(), (*terms)[t].values().data(), valueBytes);
        host.writeMemory(job.termMeta.back(), (*terms)[t].meta().data(), metaBytes);
      }
    }
  }

  // Host copies of every group's operands in the run's value type. int8 scales are per tensor:
  // the largest magnitude over every group of the operand.
  void gatherValues(LayerWork& work, const std::vector<GemmOperands>& ops) {
    const GemmLayer& layer = *work.layer;
    const uint64_t actCount = activationElements(layer), wCount = uint64_t{layer.n} * layer.k;
    float actMax = 0, wMax = 0;
    uint64_t nonzero = 0, total = 0;
    for (size_t g = 0; g < layer.groups; ++g) {
      Group& grp = work.groups[g];
      const float* act = ops[g].image ? ops[g].image : ops[g].a;
      // fp32 values are used where the executor keeps them; other types are converted copies.
      const bool convert = options.dtype != tasd::DType::F32;
      if (convert) {
        grp.act.copy(act, actCount);
        grp.w.copy(ops[g].w, wCount);
      } else {
        grp.act.view(act, actCount);
        grp.w.view(ops[g].w, wCount);
      }
      for (size_t i = 0; i < actCount; ++i)
        nonzero += act[i] != 0.0f;
      total += actCount;
      if (options.dtype == tasd::DType::I8) {  // per-tensor scales
        actMax = std::max(actMax, maxAbs(act, actCount));
        wMax = std::max(wMax, maxAbs(ops[g].w, wCount));
      }
    }
    work.r.inputDensity = total ? static_cast<double>(nonzero) / static_cast<double>(total) : 1.0;
    if (work.scales) {
      quantiseStatic(work);
      return;
    }
    if (options.dtype == tasd::DType::I8) {
      work.scaleAct = int8Scale(actMax);
      work.scaleW = work.cached ? work.cached->scale : int8Scale(wMax);
    }
    for (Group& grp : work.groups) {
      toValueType(grp.act.store, options.dtype, work.scaleAct);
      toValueType(grp.w.store, options.dtype, work.scaleW);
    }
  }

  // Static int8: activations with the calibrated input scale, weights with a scale per output
  // channel (row of W_g), and each channel's requantisation entry (input scale x weight scale /
  // output scale, and the bias in accumulator units).
  void quantiseStatic(LayerWork& work) {
    const GemmLayer& layer = *work.layer;
    const float sIn = work.scales->input, sOut = work.scales->output;
    if (!(sIn > 0) || !(sOut > 0)) {
      throw UserError(fmt::format("layer '{}': int8 scales must be positive (input {}, output {})",
                                  layer.name, sIn, sOut));
    }
    work.scaleAct = sIn;
    if (work.cached) work.channelScales = work.cached->channelScales;
    if (work.channelScales.empty()) {
      work.channelScales.resize(layer.groups * layer.n);
      float largest = 0;
      for (size_t g = 0; g < layer.groups; ++g)
        for (size_t j = 0; j < layer.n; ++j) {
          const float mx = maxAbs(work.groups[g].w.data + j * layer.k, layer.k);
          work.channelScales[g * layer.n + j] = mx / 127.0f;
          largest = std::max(largest, mx / 127.0f);
        }
      // A channel of (near) zero weights gets a scale of 2^-20 of the layer's largest (its int8
      // weights are zero; its output is its bias), so that its requantisation scale stays
      // representable.
      const float floor = largest > 0 ? std::ldexp(largest, -20) : 1.0f;
      for (float& sc : work.channelScales)
        sc = std::max(sc, floor);
    }
    for (size_t g = 0; g < layer.groups; ++g) {
      Group& grp = work.groups[g];
      toValueType(grp.act.store, tasd::DType::I8, sIn);
      for (size_t j = 0; j < layer.n && !work.cached; ++j) {
        float* row = grp.w.store.data() + j * layer.k;
        const float s = work.channelScales[g * layer.n + j];
        for (size_t q = 0; q < layer.k; ++q)
          row[q] = std::max(-127.0f, std::min(127.0f, std::nearbyint(row[q] / s)));
      }
      grp.multiplier.resize(layer.n);
      grp.shift.resize(layer.n);
      grp.bias.assign(layer.n, 0);
      for (size_t j = 0; j < layer.n; ++j) {
        const double accUnit = static_cast<double>(sIn) * work.channelScales[g * layer.n + j];
        std::tie(grp.multiplier[j], grp.shift[j]) = requantParameters(accUnit / sOut, layer.name);
        if (work.epilogue.bias) {
          const double b = std::nearbyint(work.epilogue.bias[g * layer.n + j] / accUnit);
          grp.bias[j] = static_cast<int32_t>(std::clamp(b, -2147483648.0, 2147483647.0));
        }
      }
    }
  }

  // The output path's per-channel table of a static int8 group, in device memory.
  void placeOutputTable(Group& grp) {
    const bool withBias = grp.job.output.bias;
    const uint32_t entry = withBias ? isa::kOutTableBiasEntryBytes : isa::kOutTableEntryBytes;
    std::vector<uint8_t> table(grp.multiplier.size() * entry);
    for (size_t j = 0; j < grp.multiplier.size(); ++j) {
      std::memcpy(table.data() + j * entry, &grp.multiplier[j], 4);
      std::memcpy(table.data() + j * entry + 4, &grp.shift[j], 4);
      if (withBias) std::memcpy(table.data() + j * entry + 8, &grp.bias[j], 4);
    }
    grp.job.output.tableAddress = memory.allocate(table.size());
    host.writeMemory(grp.job.output.tableAddress, table.data(), table.size());
  }

  // The reference's view of the activation operand: im2col rows for a convolution.
  std::vector<float> activationMatrix(const GemmLayer& layer, const Values& act) const {
    if (!layer.conv) return act.vector();
    const tasd::ConvGeometry& geo = *layer.conv;
    const uint64_t perImage = uint64_t{geo.inH} * geo.inW * geo.channels,
                   rowsPerImage = geo.outH() * geo.outW();
    std::vector<float> rows(layer.rowsPerGroup() * layer.k);
    for (size_t b = 0; b < layer.batch; ++b)
      tasd::im2colInto(act.data + b * perImage, geo.channels, geo,
                       rows.data() + b * rowsPerImage * layer.k);
    return rows;
  }

  // The pseudo-density threshold of an on-the-fly layer: calibrated (options.taus), absolute
  // (the plan's tau) or a quantile of this group's S source.
  float tauOf(const LayerWork& work, const Values* source) const {
    const auto it = options.taus.find(work.layer->name);
    if (it != options.taus.end()) return it->second;
    float tau = static_cast<float>(work.lp->tau);
    if (work.lp->tauQuantile >= 0 && source)
      tau = tasd::magnitudeQuantile(source->data, source->size, work.lp->tauQuantile);
    return tau;
  }

  // Approximates S (m x k, dense) with the series as the reference: the independent decomposer
  // (tasd/Reference.h), never the code the accelerator's TASD units use; keeps statistics.
  void approximate(Group& g, uint64_t m, uint64_t k, const tasd::Series& series, float tau) const {
    std::vector<float>& s = *g.sApprox;
    g.original = tasd::statsOf(s.data(), s.size());
    if (tau >= 0) tasd::applyThreshold(s.data(), s.size(), tau);
    tasd::referenceApproximation(s.data(), m, k, series, referenceStorage(), referenceThreads());
    const tasd::TensorStats kept = tasd::statsOf(s.data(), s.size());
    // Dropped energy: original - kept (supports are disjoint; thresholded values are dropped).
    g.quality = tasd::qualityOf(g.original, kept, std::max(0.0, g.original.l2sq - kept.l2sq));
  }

  // Threads for one reference approximation. On the reference thread it runs beside the
  // simulation, which keeps one core busy; in line, the run's processes already fill the cores.
  size_t referenceThreads() const {
    return options.referenceThread && hostThreads() > 2 ? hostThreads() - 1 : 1;
  }

  // The storage the reference decomposes in: bf16 values are rounded first, int8 values are exact
  // in float.
  tasd::DType referenceStorage() const {
    return options.dtype == tasd::DType::BF16 ? tasd::DType::BF16 : tasd::DType::F32;
  }

  // TASD-W: the terms of W_g the device reads. The reference approximates W_g with the
  // independent decomposer on its own thread (not a reconstruction of these terms, so that a
  // fault in the decomposition fails the check).
  void decomposeWeights(Group& g) {
    const GemmJob& job = g.job;
    const tasd::MatrixF wm(job.m, job.k, g.w.vector());
    if (options.dtype == tasd::DType::I8) {
      tasd::MatrixI8 wi(job.m, job.k);
      for (size_t i = 0; i < wm.size(); ++i)
        wi.data()[i] = static_cast<int8_t>(wm.data()[i]);
      auto d = tasd::decompose(wi, job.series);
      g.original = d.original;
      g.quality = d.quality();
      g.terms = std::move(d.terms);
    } else {
      auto d = tasd::decompose(wm, job.series, options.dtype);
      g.original = d.original;
      g.quality = d.quality();
      g.terms = std::move(d.terms);
    }
    g.refS = RefS::WeightsReferenceOnly;
    g.refSeries = job.series;
  }

  // On the reference thread: S as the reference approximates it, and the group's quality.
  void formReference(Group& g, const GemmLayer& layer) const {
    const uint64_t m = g.job.m, k = g.job.k;
    switch (g.refS) {
      case RefS::Ready:
        return;
      case RefS::Activations:
        *g.sApprox = activationMatrix(layer, g.act);
        approximate(g, m, k, g.refSeries, g.refTau);
        return;
      case RefS::Weights:
        *g.sApprox = g.w.vector();
        approximate(g, m, k, g.refSeries, g.refTau);
        return;
      case RefS::WeightsReferenceOnly:
        *g.sApprox = g.w.vector();
        tasd::referenceApproximation(g.sApprox->data(), m, k, g.refSeries, referenceStorage(),
                                     referenceThreads());
        return;
    }
  }

  void placeOperands(LayerWork& work, const std::vector<GemmOperands>* ops) {
    const GemmLayer& layer = *work.layer;
    const uint64_t K = layer.k;
    memory.reset();
    // With several input sets, a layer's program is the same every time (the same jobs at the
    // same addresses) unless a threshold comes from each input (tau_quantile without calibration).
    const bool dynamicTau =
        work.onTheFly && work.lp->tauQuantile >= 0 && !options.taus.count(layer.name);
    const bool reuseProgram = cacheWeights() && !dynamicTau;
    const auto cached = reuseProgram ? programCache.find(layer.index) : programCache.end();
    const CachedProgram* cachedProgram = cached == programCache.end() ? nullptr : &cached->second;
    if (ops) gatherValues(work, *ops);
    for (size_t g = 0; g < layer.groups; ++g) {
      Group& grp = work.groups[g];
      GemmJob& job = grp.job;
      const bool values = ops != nullptr;
      DenseOperand act = activationOperand(layer);
      const uint64_t actElements = activationElements(layer);
      if (work.sIsActivations) {
        // S = A (dense, or decomposed on the fly), D = W.
        job.s = act;
        placeDense(job.s, values ? &grp.act : nullptr, K, actElements);
        placeDense(job.d, values ? &grp.w : nullptr, K, uint64_t{job.n} * K);
        if (work.onTheFly) job.tau = tauOf(work, values ? &grp.act : nullptr);
        if (values) {
          grp.refS = RefS::Activations;
          grp.refSeries = work.onTheFly ? job.series : tasd::Series::dense();
          grp.refTau = work.onTheFly ? job.tau : -1.0f;
          if (options.check) grp.dFrom = RefD::Weights;
        }
      } else {
        // S = W (terms, dense, or decomposed on the fly), D = A.
        job.d = act;
        placeDense(job.d, values ? &grp.act : nullptr, K, actElements);
        if (work.terms) {
          if (values && work.cached) {
            WeightTerms& t = work.cached->groups[g];
            grp.terms = std::move(t.terms);
            grp.sApprox = t.sApprox;  // approximated by an earlier set's reference work
            grp.quality = t.quality;
            grp.original = t.original;
          } else if (values) {
            decomposeWeights(grp);
          }
          placeTerms(job, values ? &grp.terms : nullptr);
        } else {
          placeDense(job.s, values ? &grp.w : nullptr, K, uint64_t{job.m} * K);
          if (work.onTheFly) job.tau = tauOf(work, values ? &grp.w : nullptr);
          if (values) {
            grp.refS = RefS::Weights;
            grp.refSeries = work.onTheFly ? job.series : tasd::Series::dense();
            grp.refTau = work.onTheFly ? job.tau : -1.0f;
          }
        }
        if (values && options.check) {  // the reference's D
          if (layer.conv) {
            grp.dConv = &*layer.conv;
          } else {
            grp.dFrom = RefD::Activations;
          }
        }
      }
      if (work.onTheFly) work.r.tau = job.tau;
      const uint32_t resultBytes = job.output.resultBytes(options.dtype);
      job.cAddress = memory.allocate(uint64_t{job.m} * job.n * resultBytes);
      job.cRowStride = uint64_t{job.n} * resultBytes;
      if (job.output.requant) {
        if (values) {
          placeOutputTable(grp);
        } else {  // timing only: the table's place and size
          job.output.tableAddress =
              memory.allocate(uint64_t{layer.n} * (job.output.bias ? isa::kOutTableBiasEntryBytes
                                                                   : isa::kOutTableEntryBytes));
        }
        // A term-serial series keeps its partial sums as accumulators in P.
        if (!params.tasdExtension && job.sKind != SKind::Dense && job.series.order() > 1) {
          job.output.partialAddress = memory.allocate(uint64_t{job.m} * job.n * 4);
          job.output.partialRowStride = uint64_t{job.n} * 4;
        }
      }
      if (!cachedProgram) emitJob(work, g);
    }
    if (cachedProgram) {
      writeProgram(work, *cachedProgram);
      return;
    }
    CachedProgram program;
    for (Program& p : work.programs) {
      if (!p.instructions.empty()) emitEnd(p);
      program.code.push_back(p.instructions.empty() ? std::vector<uint8_t>{} : p.bytes());
      program.estimatedCycles = std::max(program.estimatedCycles, p.estimatedCycles);
    }
    const Tiling& tiling =
        work.programs.front().tiling;  // the first instance's (all when there is one)
    program.tiling = fmt::format("{}x{}x{}", tiling.mt, tiling.nt, tiling.kt);
    writeProgram(work, program);
    if (reuseProgram) programCache[layer.index] = std::move(program);
  }

  void writeProgram(LayerWork& work, const CachedProgram& program) {
    const std::vector<std::vector<uint8_t>>& code = program.code;
    work.r.tiling = program.tiling;
    work.r.estimatedCycles = program.estimatedCycles;
    work.codeBytes.assign(code.size(), 0);
    work.codeAddress.assign(code.size(), 0);
    for (size_t i = 0; i < code.size(); ++i) {
      if (code[i].empty()) continue;
      work.codeBytes[i] = code[i].size();
      work.codeAddress[i] = memory.allocate(code[i].size());
      host.writeMemory(work.codeAddress[i], code[i].data(), code[i].size());
    }
  }

  // The run's tile choices (the preflight's when it made them): repeated layers (the same job but
  // for names and addresses) are tiled once.
  mutable TilingMemo tilingMemo;
  MapperOptions mapper() const {
    return MapperOptions{options.mapperObjective, &energy,
                         options.tilings ? options.tilings.get() : &tilingMemo};
  }

  // A group's job into the instances' programs (arch.instances, arch.distribute; Distribute.h).
  void emitJob(LayerWork& work, size_t g) {
    const uint32_t instances = params.instances;
    if (work.programs.empty()) work.programs.resize(instances);
    const Group& grp = work.groups[g];
    const size_t groups = work.groups.size();
    if (instances > 1 && params.distribution == hw::Distribution::Channels && groups >= instances) {
      emitGemm(params, grp.job, work.programs[g * instances / groups], mapper());  // whole groups
      return;
    }
    const auto perInstance = distributeJob(grp.job, grp.sIsWeights, params.distribution, instances);
    for (uint32_t i = 0; i < instances; ++i)
      for (const GemmJob& job : perInstance[i])
        emitGemm(params, job, work.programs[i], mapper());
  }

  // The instances' counters folded into one set under "accel." (sums over the instances), so
  // that reports read a layer the same way whatever the number of instances.
  std::map<std::string, uint64_t> foldInstances(
      const std::map<std::string, uint64_t>& delta) const {
    if (params.instances == 1) return delta;
    std::map<std::string, uint64_t> out;
    for (const auto& [name, value] : delta) {
      bool folded = false;
      for (uint32_t i = 0; i < params.instances && !folded; ++i) {
        const std::string prefix = hw::System::instanceName(i, params.instances) + ".";
        if (name.compare(0, prefix.size(), prefix) == 0) {
          out["accel." + name.substr(prefix.size())] += value;
          folded = true;
        }
      }
      if (!folded) out[name] += value;
    }
    return out;
  }

  // ---- stage 3: the device runs the layer -------------------------------------------------
  void runOnDevice(LayerWork& work) {
    LayerResult& r = work.r;
    const auto before = stats.snapshot();
    const auto wallStart = std::chrono::steady_clock::now();
    // Every instance with work starts before any is waited for, so they run at once; the layer
    // takes from the first doorbell to the last completion.
    const sc_core::sc_time clock(1.0 / params.clockGHz, sc_core::SC_NS);
    std::vector<uint64_t> startCycle(work.codeBytes.size(), 0);
    const sc_core::sc_time first = sc_core::sc_time_stamp();
    for (uint32_t i = 0; i < work.codeBytes.size(); ++i) {
      if (!work.codeBytes[i]) continue;
      startCycle[i] = static_cast<uint64_t>((sc_core::sc_time_stamp() - first) / clock);
      host.startProgram(work.codeAddress[i], work.codeBytes[i], i);
    }
    r.cycles = 0;
    r.instructions = 0;
    std::string failure;
    for (uint32_t i = 0; i < work.codeBytes.size(); ++i) {
      if (!work.codeBytes[i]) continue;
      const hw::CompletionInfo done = host.waitProgram(i);
      r.cycles = std::max(r.cycles, startCycle[i] + done.cycles);
      r.instructions += done.instructions;
      if (done.error != hw::ErrorCode::None && failure.empty()) {
        const std::string who =
            params.instances > 1 ? fmt::format(" {}", hw::System::instanceName(i, params.instances))
                                 : "";
        failure = fmt::format("layer '{}': accelerator{} stopped with {} at instruction {}: {}",
                              r.name, who, hw::errorCodeName(done.error), done.errorPc,
                              system.accelerator(i).host_if.lastCompletion().detail);
      }
    }
    r.modelWallSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
    r.stats = foldInstances(hw::difference(before, stats.snapshot()));
    if (!failure.empty()) throw std::runtime_error(failure);
    r.seconds = static_cast<double>(r.cycles) / (params.clockGHz * 1e9);
    // Counters are summed over the instances; every instance leaks for the layer's whole time.
    r.energy = hw::computeEnergy(energy, params, r.stats, "accel", options.dtype,
                                 r.seconds * params.instances);
    r.edp = r.energy.total() * 1e-12 * r.seconds;
  }

  // Keeps (or returns) the layer's TASD-W terms for the next input set; the reference's
  // approximation is shared (the reference thread forms it before a later set reads it: it runs
  // the layers' reference work in order).
  void keepWeights(LayerWork& work) {
    if (!work.terms || !work.layer->constantWeights || !cacheWeights()) return;
    CachedWeights& c = weightCache[work.layer->index];
    c.scale = work.scaleW;
    c.channelScales = work.channelScales;
    c.groups.resize(work.groups.size());
    for (size_t g = 0; g < work.groups.size(); ++g) {
      Group& grp = work.groups[g];
      c.groups[g] = WeightTerms{std::move(grp.terms), grp.sApprox, grp.quality, grp.original};
    }
  }

  // ---- stage 4: results back to the executor -----------------------------------------------
  void collect(LayerWork& work, std::vector<GemmOperands>& ops) {
    for (size_t g = 0; g < work.groups.size(); ++g) {
      Group& grp = work.groups[g];
      const GemmJob& job = grp.job;
      const uint64_t count = uint64_t{job.m} * job.n;
      const uint64_t bytes = count * job.output.resultBytes(options.dtype);
      grp.raw.resize(ceilDiv(bytes, sizeof(float)));
      host.readMemory(job.cAddress, reinterpret_cast<uint8_t*>(grp.raw.data()), bytes);
      std::vector<float> converted;
      const float* c = grp.raw.data();
      if (job.output.requant) {
        const std::vector<int8_t> y = grp.resultsAs<int8_t>(count);
        converted.resize(count);
        const float sOut = work.scales->output;
        for (size_t i = 0; i < count; ++i)
          converted[i] = static_cast<float>(y[i]) * sOut;
        c = converted.data();
      } else if (options.dtype == tasd::DType::I8) {
        const std::vector<int32_t> ci = grp.resultsAs<int32_t>(count);
        converted.resize(count);
        const float scale = work.scaleAct * work.scaleW;
        for (size_t i = 0; i < count; ++i)
          converted[i] = static_cast<float>(ci[i]) * scale;
        c = converted.data();
      }
      // C_g [M x N]; the device computed C_g^T when S was the weights.
      GemmOperands& o = ops[g];
      if (grp.sIsWeights) {
        for (uint64_t i = 0; i < o.m; ++i)
          for (uint64_t j = 0; j < o.n; ++j)
            o.c[i * o.n + j] = c[j * o.m + i];
      } else {
        std::memcpy(o.c, c, count * sizeof(float));
      }
    }
  }

  // ---- stage 5: the reference (on the reference thread) ------------------------------------
  // The operands the reference reads, as copies where they are the executor's tensors: the
  // reference work runs while the executor goes on.
  void detachReference(LayerWork& work) const {
    for (Group& g : work.groups) {
      const bool needsAct = g.refS == RefS::Activations || g.dConv || g.dFrom == RefD::Activations;
      const bool needsW = g.refS == RefS::Weights || g.refS == RefS::WeightsReferenceOnly ||
                          g.dFrom == RefD::Weights;
      if (needsAct) g.act.own();
      if (needsW && !work.layer->constantWeights) g.w.own();  // constant: the executor's, kept
    }
  }

  // S's approximation and the layer's quality, then the checks of the results read back against
  // the reference GEMM on the same approximated operands.
  void reference(LayerWork& work) const {
    for (Group& g : work.groups)
      formReference(g, *work.layer);
    LayerResult& r = work.r;
    tasd::TensorStats orig, kept;
    double dropped = 0;
    for (const Group& g : work.groups) {
      orig += g.original;
      kept.nonzeros += g.quality.keptNonzeros;
      kept.l1 += g.quality.keptL1Fraction * g.original.l1;
      kept.l2sq += g.quality.keptEnergy * g.original.l2sq;
      dropped += g.original.l2sq * g.quality.relFrobeniusError * g.quality.relFrobeniusError;
    }
    r.haveQuality = true;
    r.quality = tasd::qualityOf(orig, kept, dropped);
    if (!options.check) return;
    for (const Group& g : work.groups) {
      const uint64_t count = uint64_t{g.job.m} * g.job.n;
      if (g.job.output.requant) {
        checkRequant(g, g.resultsAs<int8_t>(count), r.check);
      } else if (options.dtype == tasd::DType::I8) {
        checkInt8(g, g.resultsAs<int32_t>(count), r.check);
      } else {
        checkFloat(g, g.raw, r.check);
      }
    }
  }

  // A layer whose reference work may still run, in run order.
  struct Pending {
    LayerWork work;
    std::future<void> done;  // not valid: nothing to wait for
  };
  std::deque<std::unique_ptr<Pending>> pending;
  SerialWorker referenceThread;  // last member: joined before the rest goes

  // At most this many layers' reference work queued: the simulation waits for the oldest rather
  // than holding the operand copies of a whole network when the reference falls behind.
  static constexpr size_t kMaxQueuedReferences = 16;

  void submitReference(LayerWork&& work) {
    if (pending.size() >= kMaxQueuedReferences) {
      std::future<void>& older = pending[pending.size() - kMaxQueuedReferences]->done;
      if (older.valid()) older.wait();
    }
    auto p = std::make_unique<Pending>();
    p->work = std::move(work);
    if (functional() && options.referenceThread) {
      detachReference(p->work);
      LayerWork* w = &p->work;
      p->done = referenceThread.submit([this, w] { reference(*w); });
    } else if (functional()) {
      reference(p->work);
    }
    pending.push_back(std::move(p));
  }

  std::vector<LayerResult> takeResults(bool wait) {
    std::vector<LayerResult> out;
    while (!pending.empty()) {
      Pending& p = *pending.front();
      if (p.done.valid()) {
        if (!wait && p.done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) break;
        p.done.get();  // rethrows the reference work's failure
      }
      out.push_back(std::move(p.work.r));
      pending.pop_front();
    }
    return out;
  }

  // Calls f(d, j0, count) for D's rows [j0, j0 + count) ([count x k], row-major): the whole
  // matrix at once, or for a convolution im2col blocks of at most kDBlockRows rows that stay in
  // cache (never crossing an image).
  template <typename F>
  void forEachDBlock(const Group& g, F&& f) const {
    const uint64_t n = g.job.n, k = g.job.k;
    if (!g.dConv) {
      f(g.dFrom == RefD::Weights ? g.w.data : g.act.data, uint64_t{0}, n);
      return;
    }
    constexpr uint64_t kDBlockRows = 256;
    const tasd::ConvGeometry& geo = *g.dConv;
    const uint64_t rowsPerImage = geo.outH() * geo.outW(),
                   perImage = uint64_t{geo.inH} * geo.inW * geo.channels;
    std::vector<float> block(std::min(n, kDBlockRows) * k);
    for (uint64_t j0 = 0; j0 < n;) {
      const uint64_t b = j0 / rowsPerImage, p0 = j0 % rowsPerImage;
      const uint64_t count = std::min({kDBlockRows, n - j0, rowsPerImage - p0});
      tasd::im2colRowsInto(g.act.data + b * perImage, geo.channels, geo, p0, p0 + count,
                           block.data());
      f(static_cast<const float*>(block.data()), j0, count);
      j0 += count;
    }
  }

  // A convolution with one input channel per group (depthwise): S x D^T and D's row maxima
  // straight from the image, a kernel tap at a time over a row of outputs (no im2col rows).
  void depthwiseReference(const Group& g, std::vector<float>& ref,
                          std::vector<double>& colMax) const {
    const tasd::ConvGeometry& geo = *g.dConv;
    const uint64_t m = g.job.m, n = g.job.n, k = g.job.k;
    const uint64_t ho = geo.outH(), wo = geo.outW(), perImage = uint64_t{geo.inH} * geo.inW;
    const float* s = g.sApprox->data();
    std::vector<float> rowMax(wo);
    for (uint64_t j0 = 0; j0 < n; j0 += wo) {  // one output row of one image
      const uint64_t b = j0 / (ho * wo), oh = j0 % (ho * wo) / wo;
      const float* x = g.act.data + b * perImage;
      std::fill(rowMax.begin(), rowMax.end(), 0.0f);
      for (uint64_t r = 0; r < geo.kh; ++r) {
        const int64_t ih = static_cast<int64_t>(oh * geo.strideH + r * geo.dilationH) -
                           static_cast<int64_t>(geo.padTop);
        if (ih < 0 || ih >= static_cast<int64_t>(geo.inH)) continue;  // padding: zeros
        const float* xr = x + static_cast<uint64_t>(ih) * geo.inW;
        for (uint64_t q = 0; q < geo.kw; ++q) {
          // The outputs whose tap (r, q) reads inside the row: iw = ow*sw + q*dw - pl.
          const int64_t off = static_cast<int64_t>(q * geo.dilationW) -
                              static_cast<int64_t>(geo.padLeft),
                        sw = static_cast<int64_t>(geo.strideW);
          int64_t owLo = off >= 0 ? 0 : (-off + sw - 1) / sw;
          int64_t owHi = (static_cast<int64_t>(geo.inW) - 1 - off) / sw;  // floor for >= 0
          if (static_cast<int64_t>(geo.inW) - 1 - off < 0) continue;
          owHi = std::min<int64_t>(owHi, static_cast<int64_t>(wo) - 1);
          const uint64_t tap = r * geo.kw + q;
          for (int64_t ow = owLo; ow <= owHi; ++ow)
            rowMax[static_cast<size_t>(ow)] =
                std::max(rowMax[static_cast<size_t>(ow)], std::fabs(xr[ow * sw + off]));
          for (uint64_t i = 0; i < m; ++i) {
            const float w = s[i * k + tap];
            float* out = ref.data() + i * n + j0;
            for (int64_t ow = owLo; ow <= owHi; ++ow)
              out[ow] += w * xr[ow * sw + off];
          }
        }
      }
      for (uint64_t ow = 0; ow < wo; ++ow)
        colMax[j0 + ow] = rowMax[ow];
    }
  }

  // The largest |x| of x[0..count) (NaNs ignored; 0 when empty), in independent lanes: the
  // maximum of a set does not depend on the order.
  static float maxMagnitude(const float* x, uint64_t count) {
    constexpr uint64_t kLanes = 16;
    float lane[kLanes] = {};
    uint64_t i = 0;
    for (; i + kLanes <= count; i += kLanes)
      for (uint64_t l = 0; l < kLanes; ++l)
        lane[l] = std::max(lane[l], std::fabs(x[i + l]));
    float mx = 0;
    for (; i < count; ++i)
      mx = std::max(mx, std::fabs(x[i]));
    for (float v : lane)
      mx = std::max(mx, v);
    return mx;
  }

  // sums[i] = sum over kk of |s[i][kk]| in doubles, in kk order for every row (the same sums as
  // one row at a time); eight rows advance together so that their additions overlap.
  static void rowMagnitudeSums(const float* s, uint64_t m, uint64_t k, double* sums) {
    constexpr uint64_t kRows = 8;
    uint64_t i = 0;
    for (; i + kRows <= m; i += kRows) {
      double acc[kRows] = {};
      for (uint64_t kk = 0; kk < k; ++kk)
        for (uint64_t r = 0; r < kRows; ++r)
          acc[r] += std::fabs(s[(i + r) * k + kk]);
      std::copy(acc, acc + kRows, sums + i);
    }
    for (; i < m; ++i) {
      double acc = 0;
      for (uint64_t kk = 0; kk < k; ++kk)
        acc += std::fabs(s[i * k + kk]);
      sums[i] = acc;
    }
  }

  void checkFloat(const Group& g, const std::vector<float>& c, CheckResult& res) const {
    const GemmJob& job = g.job;
    const uint64_t m = job.m, n = job.n, k = job.k;
    std::vector<float> ref(m * n);
    std::vector<double> rowL1(m, 0.0), colMax(n, 0.0);
    if (g.dConv && g.dConv->channels == 1) {
      depthwiseReference(g, ref, colMax);
    } else {
      forEachDBlock(g, [&](const float* d, uint64_t j0, uint64_t count) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m),
                    static_cast<int>(count), static_cast<int>(k), 1.0f, g.sApprox->data(),
                    static_cast<int>(k), d, static_cast<int>(k), 0.0f, ref.data() + j0,
                    static_cast<int>(n));
        for (uint64_t j = 0; j < count; ++j)
          colMax[j0 + j] = maxMagnitude(d + j * k, k);
      });
    }
    rowMagnitudeSums(g.sApprox->data(), m, k, rowL1.data());
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

  // The exact integer GEMM S x D^T of a group's int8 operands, in doubles (|acc| < 2^53).
  std::vector<double> exactProduct(const Group& g) const {
    const uint64_t m = g.job.m, n = g.job.n, k = g.job.k;
    const std::vector<double> s(g.sApprox->begin(), g.sApprox->end());
    std::vector<double> acc(m * n), d;
    forEachDBlock(g, [&](const float* block, uint64_t j0, uint64_t count) {
      d.assign(block, block + count * k);
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m),
                  static_cast<int>(count), static_cast<int>(k), 1.0, s.data(), static_cast<int>(k),
                  d.data(), static_cast<int>(k), 0.0, acc.data() + j0, static_cast<int>(n));
    });
    return acc;
  }

  // Static int8 results: the exact integer GEMM of the same operands, requantised independently
  // of the device (referenceRequant), must equal every int8 result.
  void checkRequant(const Group& g, const std::vector<int8_t>& y, CheckResult& res) const {
    const GemmJob& job = g.job;
    const uint64_t m = job.m, n = job.n;
    const std::vector<double> acc = exactProduct(g);
    res.performed = true;
    for (uint64_t i = 0; i < m; ++i)
      for (uint64_t j = 0; j < n; ++j) {
        const size_t ch = job.output.perRow ? i : j;
        const int8_t ref = referenceRequant(static_cast<int64_t>(acc[i * n + j]), g.bias[ch],
                                            g.multiplier[ch], g.shift[ch], job.output.relu);
        const double diff = std::fabs(static_cast<double>(y[i * n + j]) - ref);
        res.maxAbsError = std::max(res.maxAbsError, diff);
        if (diff != 0.0) ++res.mismatches;
      }
    if (res.mismatches) res.passed = false;
  }

  void checkInt8(const Group& g, const std::vector<int32_t>& c, CheckResult& res) const {
    const uint64_t m = g.job.m, n = g.job.n;
    const std::vector<double> ref = exactProduct(g);
    res.performed = true;
    for (uint64_t i = 0; i < m * n; ++i) {
      const double diff = std::fabs(static_cast<double>(c[i]) - ref[i]);
      res.maxAbsError = std::max(res.maxAbsError, diff);
      if (diff != 0.0) ++res.mismatches;
    }
    if (res.mismatches) res.passed = false;
  }
};

AcceleratorBackend::AcceleratorBackend(Host& host, const hw::AcceleratorParams& params,
                                       const hw::EnergyTable& energy, const plan::Plan& plan,
                                       const RunOptions& options, hw::System& system,
                                       hw::StatsRegistry& stats)
    : impl_(std::make_unique<Impl>(host, params, energy, plan, options, system, stats)) {}

AcceleratorBackend::~AcceleratorBackend() = default;

bool AcceleratorBackend::runLayer(const GemmLayer& layer, std::vector<GemmOperands>& groups,
                                  const executor::LayerEpilogue& epilogue) {
  Impl::LayerWork work = impl_->planLayer(layer, epilogue);
  const bool biasApplied = work.scales && epilogue.bias;
  impl_->placeOperands(work, &groups);
  impl_->runOnDevice(work);
  impl_->collect(work, groups);
  impl_->keepWeights(work);
  impl_->submitReference(std::move(work));
  return biasApplied;
}

void AcceleratorBackend::runTiming(const GemmLayer& layer) {
  Impl::LayerWork work = impl_->planLayer(layer);
  impl_->placeOperands(work, nullptr);
  impl_->runOnDevice(work);
  impl_->submitReference(std::move(work));
}

std::vector<LayerResult> AcceleratorBackend::takeResults(bool wait) {
  return impl_->takeResults(wait);
}

}  // namespace tasdsim::runtime
