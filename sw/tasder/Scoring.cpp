#include "sw/tasder/Scoring.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include <cblas.h>
#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/executor/Executor.h"
#include "sw/runtime/HostComparison.h"
#include "sw/runtime/Isolated.h"
#include "sw/runtime/Simulation.h"
#include "sw/tasd/Decompose.h"
#include "sw/tasd/PseudoDensity.h"

namespace tasdsim::tasder {

EngineView engineView(const hw::AcceleratorParams& params) {
  EngineView e;
  e.series = tasd::enumerateSeries(params.peArray.patterns, params.maxTerms);
  e.structuredActivations = params.tasdExtension && params.tasdUnit.count > 0;
  return e;
}

namespace {

// Up to 16 groups are sampled; rows are taken at a fixed stride.
constexpr size_t kMaxSampledGroups = 16;

std::vector<float> sampleRows(const float* a, size_t m, size_t k, size_t rows) {
  std::vector<float> out;
  out.reserve(rows * k);
  for (size_t i = 0; i < rows; ++i) {
    const size_t r = rows >= m ? i : i * m / rows;
    out.insert(out.end(), a + r * k, a + (r + 1) * k);
  }
  return out;
}

}  // namespace

void addSample(LayerSample& s, size_t groups, size_t g, const float* act, size_t m, size_t k,
               const float* w, size_t n, const ScoringOptions& options) {
  const size_t step = std::max<size_t>(1, groups / kMaxSampledGroups);
  if (g % step == 0 &&
      s.groups.size() < kMaxSampledGroups * std::max<size_t>(1, options.calibrationImages)) {
    const size_t sampled = std::min<size_t>(groups, kMaxSampledGroups);
    const size_t rows = std::min<size_t>(m, std::max<size_t>(1, options.calibrationRows / sampled));
    LayerSample::Group grp;
    grp.a = sampleRows(act, m, k, rows);
    grp.rows = rows;
    grp.w.assign(w, w + n * k);
    grp.n = n;
    s.groups.push_back(std::move(grp));
  }
  // The input's zero fraction (of the first group's operand, all rows, over every call).
  if (g == 0) {
    size_t zeros = 0;
    for (size_t i = 0; i < m * k; ++i)
      zeros += act[i] == 0.0f;
    s.zeroCount += zeros;
    s.elementCount += m * k;
    s.inputZeroFraction =
        s.elementCount ? static_cast<double>(s.zeroCount) / static_cast<double>(s.elementCount)
                       : 0.0;
  }
}

bool SampleHook::wantsOperands(const executor::GemmLayer& layer) {
  return layer.index < selected_.size() && selected_[layer.index];
}

bool SampleHook::onGemm(const executor::GemmLayer& layer, size_t group,
                        executor::GemmOperands& ops) {
  if (!wantsOperands(layer)) return false;
  LayerSample& s = samples_[layer.index];
  if (s.name.empty()) {
    s.name = layer.name;
    s.macs = layer.macs();
    s.isMatMul = !layer.constantWeights;
    s.k = ops.k;
  }
  addSample(s, layer.groups, group, ops.a, ops.m, ops.k, ops.w, ops.n, options_);
  return false;
}

void SampleHook::merge(const SampleHook& other) {
  for (const auto& [index, theirs] : other.samples_) {
    LayerSample& mine = samples_[index];
    if (mine.name.empty()) {
      mine = theirs;
      continue;
    }
    mine.groups.insert(mine.groups.end(), theirs.groups.begin(), theirs.groups.end());
    mine.zeroCount += theirs.zeroCount;
    mine.elementCount += theirs.elementCount;
    mine.inputZeroFraction = mine.elementCount ? static_cast<double>(mine.zeroCount) /
                                                     static_cast<double>(mine.elementCount)
                                               : 0.0;
  }
}

std::vector<LayerSample> SampleHook::samples() const {
  std::vector<LayerSample> out;
  for (const auto& [index, s] : samples_)
    out.push_back(s);
  return out;
}

std::vector<LayerSample> calibrate(const workload::Workload& w, const ScoringOptions& options) {
  SampleHook hook(std::vector<bool>(w.gemms.size(), true), options);
  executor::Executor ex(w.graph());
  ex.setHook(&hook);
  size_t done = 0;
  ex.setStepObserver([&](const model::Node&, int gemm, double) {
    if (gemm >= 0 && options.progress) options.progress("calibration", ++done, w.gemms.size());
  });
  ex.run(w.inputs);
  return hook.samples();
}

double candidateError(const LayerSample& s, plan::Operand operand, const tasd::Series& series,
                      double tauQuantile) {
  double err2 = 0, ref2 = 0;
  float tau = -1.0f;
  if (operand == plan::Operand::A && tauQuantile >= 0) {
    std::vector<float> all;
    for (const auto& g : s.groups)
      all.insert(all.end(), g.a.begin(), g.a.end());
    tau = tasd::magnitudeQuantile(all.data(), all.size(), tauQuantile);
  }
  for (const auto& g : s.groups) {
    const size_t m = g.rows, n = g.n, k = s.k;
    std::vector<float> a = g.a, w = g.w;
    if (operand == plan::Operand::A) {
      if (tau >= 0) tasd::applyThreshold(a.data(), a.size(), tau);
      tasd::approximateInPlace(a.data(), m, k, series);
    } else {
      tasd::approximateInPlace(w.data(), n, k, series);
    }
    std::vector<float> y(m * n), yh(m * n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(m), int(n), int(k), 1.0f, g.a.data(),
                int(k), g.w.data(), int(k), 0.0f, y.data(), int(n));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(m), int(n), int(k), 1.0f, a.data(),
                int(k), w.data(), int(k), 0.0f, yh.data(), int(n));
    for (size_t i = 0; i < y.size(); ++i) {
      const double d = static_cast<double>(y[i]) - yh[i];
      err2 += d * d;
      ref2 += static_cast<double>(y[i]) * y[i];
    }
  }
  return ref2 > 0 ? std::sqrt(err2 / ref2) : (err2 > 0 ? 1.0 : 0.0);
}

std::vector<LayerChoices> scoreLayers(const std::vector<LayerSample>& samples,
                                      const EngineView& engine, const ScoringOptions& options) {
  std::vector<LayerChoices> out;
  size_t done = 0;
  for (const LayerSample& s : samples) {
    LayerChoices lc;
    lc.name = s.name;
    lc.macs = s.macs;
    Candidate dense;
    dense.series = tasd::Series::dense();
    dense.cost = static_cast<double>(s.macs);
    lc.candidates.push_back(dense);
    for (plan::Operand op : options.operands) {
      // Activations (and both operands of an activation x activation MatMul) need TASD units.
      const bool onTheFly = op == plan::Operand::A || s.isMatMul;
      if (onTheFly && !engine.structuredActivations) continue;
      std::vector<double> taus{-1.0};
      if (op == plan::Operand::A && s.inputZeroFraction < options.sparseInput) {
        taus.insert(taus.end(), options.tauQuantiles.begin(), options.tauQuantiles.end());
      }
      for (const tasd::Series& series : engine.series) {
        if (series.isDense()) continue;
        for (double tau : taus) {
          Candidate c;
          c.operand = op;
          c.series = series;
          c.tauQuantile = tau;
          c.cost = series.computeFraction(s.k) * static_cast<double>(s.macs);
          c.error = candidateError(s, op, series, tau);
          lc.candidates.push_back(c);
        }
      }
    }
    out.push_back(std::move(lc));
    if (options.progress) options.progress("scoring", ++done, samples.size());
  }
  return out;
}

namespace {

// Layers of one shape cost the same: the GEMM shape, convolution geometry and operand kinds.
std::string shapeKey(const executor::GemmLayer& l) {
  std::string key = fmt::format("{}|{}|{}x{}x{}x{}|b{}|{}", l.opType, l.constantWeights, l.groups,
                                l.m, l.n, l.k, l.batch, l.conv.has_value());
  if (l.conv) {
    const tasd::ConvGeometry& g = *l.conv;
    key += fmt::format("|{}x{}x{}|{}x{}|{}x{}|{},{},{},{}|{}x{}", g.inH, g.inW, g.channels, g.kh,
                       g.kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.padBottom, g.padRight,
                       g.dilationH, g.dilationW);
  }
  return key;
}

std::string candidateKey(const Candidate& c) {
  return fmt::format("{}:{}", plan::operandName(c.operand),
                     c.series.str());  // cost does not depend on tau
}

}  // namespace

std::vector<std::vector<CandidateCost>> candidateCosts(const std::vector<LayerChoices>& layers,
                                                       const workload::Workload& w,
                                                       const hw::AcceleratorParams& params,
                                                       const hw::EnergyTable& energy,
                                                       tasd::DType dtype, bool int8Output) {
  // One GEMM layer per distinct (shape, operand, series), run timing-only.
  workload::Workload table;
  table.name = w.name + "-cost-table";
  table.seed = w.seed;
  plan::Plan tablePlan;
  std::map<std::string, size_t> entryOf;  // shape key + candidate key -> table layer
  for (const LayerChoices& lc : layers) {
    const executor::GemmLayer* l = w.findGemm(lc.name);
    if (!l)
      throw std::logic_error("candidateCosts: layer '" + lc.name +
                             "' is not a GEMM layer of the workload");
    const std::string sk = shapeKey(*l);
    for (const Candidate& c : lc.candidates) {
      const std::string key = sk + "#" + candidateKey(c);
      if (entryOf.count(key)) continue;
      executor::GemmLayer copy = *l;
      copy.index = table.gemms.size();
      copy.name = fmt::format("t{}", copy.index);
      table.layers.push_back(workload::Layer{copy.name, copy.opType, static_cast<int>(copy.index)});
      plan::LayerPlan lp;
      lp.layer = copy.name;
      lp.operand = c.operand;
      lp.series = c.series;
      tablePlan.layers.push_back(lp);
      entryOf[key] = copy.index;
      table.gemms.push_back(std::move(copy));
    }
  }
  // The child returns three doubles per table layer (cycles, energy in pJ, EDP in J*s).
  const std::string bytes = runtime::runIsolated([&] {
    runtime::SimulationInputs in;
    in.workload = table;
    in.plan = tablePlan;
    in.params = params;
    in.energy = energy;
    in.options.functional = false;
    in.options.check = false;
    in.options.dtype = dtype;
    if (dtype == tasd::DType::I8 && int8Output)
      in.options.int8Scales = runtime::outputPathScales(in.workload, nullptr);
    const runtime::SimulationOutput out = runtime::simulate(in);
    if (!out.run.failReason.empty())
      throw UserError("cost table simulation: " + out.run.failReason);
    std::vector<double> values;
    for (const auto& r : out.run.layers) {
      values.push_back(static_cast<double>(r.cycles));
      values.push_back(r.energy.total());
      values.push_back(r.edp);
    }
    return std::string(reinterpret_cast<const char*>(values.data()),
                       values.size() * sizeof(double));
  });
  if (bytes.size() != table.gemms.size() * 3 * sizeof(double)) {
    throw std::logic_error(
        "candidateCosts: the cost table simulation returned the wrong number of values");
  }
  std::vector<double> values(table.gemms.size() * 3);
  std::memcpy(values.data(), bytes.data(), bytes.size());
  std::vector<std::vector<CandidateCost>> out;
  for (const LayerChoices& lc : layers) {
    const std::string sk = shapeKey(*w.findGemm(lc.name));
    std::vector<CandidateCost>& row = out.emplace_back();
    for (const Candidate& cand : lc.candidates) {
      const size_t e = entryOf.at(sk + "#" + candidateKey(cand));
      row.push_back(CandidateCost{values[3 * e], values[3 * e + 1], values[3 * e + 2]});
    }
  }
  return out;
}

void simulatedCosts(std::vector<LayerChoices>& layers, const workload::Workload& w,
                    const hw::AcceleratorParams& params, const hw::EnergyTable& energy,
                    const std::string& cost, tasd::DType dtype, bool int8Output) {
  if (cost != "cycles" && cost != "energy" && cost != "edp") {
    throw UserError(fmt::format("search cost '{}': expected macs, cycles, energy or edp", cost));
  }
  const auto costs = candidateCosts(layers, w, params, energy, dtype, int8Output);
  for (size_t l = 0; l < layers.size(); ++l) {
    for (size_t i = 0; i < layers[l].candidates.size(); ++i) {
      const CandidateCost& c = costs[l][i];
      layers[l].candidates[i].cost = cost == "cycles"   ? c.cycles
                                     : cost == "energy" ? c.energyPj
                                                        : c.edp;
    }
  }
}

}  // namespace tasdsim::tasder
