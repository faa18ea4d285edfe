#include "sw/executor/TasdHook.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sw/tasd/Decompose.h"
#include "sw/tasd/PseudoDensity.h"

namespace tasdsim::executor {

double WeightError::relFrobeniusError() const {
  if (original.l2sq <= 0) return 0.0;
  return std::sqrt(std::max(0.0, droppedL2sq) / original.l2sq);
}

void approximateRows(float* a, size_t rows, size_t k, const tasd::Series& series,
                     std::vector<float>& scratch) {
  // Short rows (depthwise convolutions: K = 9 or 25) cost more in per-row overhead than in
  // selection. Each row is zero-padded to a multiple of the largest block size and the rows are
  // approximated as one long row: blocks never straddle two rows and padding zeros are never
  // kept, so the result is the same as row by row.
  const size_t m = series.maxBlockSize();
  if (k >= kShortRow || m == 0 || rows < 2) {
    tasd::approximateInPlace(a, rows, k, series);
    return;
  }
  const size_t padded = (k + m - 1) / m * m;
  scratch.assign(rows * padded, 0.0f);
  for (size_t r = 0; r < rows; ++r)
    std::copy(a + r * k, a + (r + 1) * k, scratch.data() + r * padded);
  tasd::approximateInPlace(scratch.data(), 1, rows * padded, series);
  for (size_t r = 0; r < rows; ++r)
    std::copy(scratch.data() + r * padded, scratch.data() + r * padded + k, a + r * k);
}

tasd::TensorStats pruneToDensity(float* w, size_t count, double density) {
  const size_t keep =
      static_cast<size_t>(std::llround(std::clamp(density, 0.0, 1.0) * static_cast<double>(count)));
  if (keep < count) {
    std::vector<size_t> order(count);
    for (size_t i = 0; i < count; ++i)
      order[i] = i;
    std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(),
                     [w](size_t a, size_t b) {
                       const float fa = std::fabs(w[a]), fb = std::fabs(w[b]);
                       return fa > fb || (fa == fb && a < b);
                     });
    for (size_t i = keep; i < count; ++i)
      w[order[i]] = 0.0f;
  }
  return tasd::statsOf(w, count);
}

const LayerTasd* TasdHook::setting(const GemmLayer& layer) const {
  if (layer.index >= settings_.size() || settings_[layer.index].empty()) return nullptr;
  return &settings_[layer.index];
}

void TasdHook::prepareWeights(const GemmLayer& layer, size_t group, float* w, size_t n, size_t k) {
  const LayerTasd* s = setting(layer);
  if (!s || (s->weights.isDense() && s->pruneDensity >= 1.0)) return;
  (void)group;
  if (!layer.constantWeights) {  // a MatMul's second activation, decomposed as it comes
    tasd::approximateInPlace(w, n, k, s->weights);
    return;
  }
  const tasd::TensorStats before = tasd::statsOf(w, n * k);
  tasd::TensorStats kept;
  if (s->pruneDensity < 1.0) {
    kept = pruneToDensity(w, n * k, s->pruneDensity);
  } else {
    kept = tasd::approximateInPlace(w, n, k, s->weights);
  }
  WeightError& e = weightErrors_[layer.index];
  e.original += before;
  // Kept and dropped entries have disjoint supports: dropped energy = before - kept.
  e.droppedL2sq += before.l2sq - kept.l2sq;
}

bool TasdHook::wantsOperands(const GemmLayer& layer) {
  const LayerTasd* s = setting(layer);
  return s && (!s->activations.isDense() || s->tau >= 0);
}

bool TasdHook::onGemm(const GemmLayer& layer, size_t group, GemmOperands& ops) {
  (void)group;
  const LayerTasd* s = setting(layer);
  if (!s) return false;
  if (s->tau >= 0) tasd::applyThreshold(ops.a, ops.m * ops.k, s->tau);
  if (!s->activations.isDense()) approximateRows(ops.a, ops.m, ops.k, s->activations, scratch_);
  return false;
}

namespace {

void sample(const float* x, size_t count, size_t budget, std::vector<float>& out, float& mx) {
  const size_t stride = std::max<size_t>(1, (count + budget - 1) / budget);
  for (size_t i = 0; i < count; ++i)
    mx = std::max(mx, std::fabs(x[i]));
  for (size_t i = 0; i < count; i += stride)
    out.push_back(std::fabs(x[i]));
}

}  // namespace

bool RangeHook::onGemm(const GemmLayer& layer, size_t group, GemmOperands& ops) {
  (void)group;
  Samples& s = samples_[layer.name];
  sample(ops.a, ops.m * ops.k,
         std::max<size_t>(1, kSamplesPerCall / std::max<size_t>(1, layer.groups)), s.input,
         s.inputMax);
  return false;
}

void RangeHook::onOutput(const GemmLayer& layer, const model::Tensor& output) {
  Samples& s = samples_[layer.name];
  sample(output.f.data(), output.f.size(), kSamplesPerCall, s.output, s.outputMax);
}

void RangeHook::merge(const RangeHook& other) {
  for (const auto& [name, theirs] : other.samples_) {
    Samples& mine = samples_[name];
    mine.input.insert(mine.input.end(), theirs.input.begin(), theirs.input.end());
    mine.output.insert(mine.output.end(), theirs.output.begin(), theirs.output.end());
    mine.inputMax = std::max(mine.inputMax, theirs.inputMax);
    mine.outputMax = std::max(mine.outputMax, theirs.outputMax);
  }
}

std::map<std::string, ActivationRange> RangeHook::ranges(double q) const {
  std::map<std::string, ActivationRange> out;
  for (const auto& [name, s] : samples_) {
    ActivationRange& r = out[name];
    r.input = q >= 1.0 ? s.inputMax : tasd::magnitudeQuantile(s.input.data(), s.input.size(), q);
    r.output =
        q >= 1.0 ? s.outputMax : tasd::magnitudeQuantile(s.output.data(), s.output.size(), q);
  }
  return out;
}

bool CalibrationHook::wantsOperands(const GemmLayer& layer) {
  return layers_.empty() || (layer.index < layers_.size() && layers_[layer.index]);
}

bool CalibrationHook::onGemm(const GemmLayer& layer, size_t group, GemmOperands& ops) {
  (void)group;
  if (!wantsOperands(layer)) return false;
  const size_t count = ops.m * ops.k;
  if (count == 0) return false;
  // Spread the per-call budget over the layer's groups.
  const size_t budget = std::max<size_t>(1, kSamplesPerCall / std::max<size_t>(1, layer.groups));
  const size_t stride = (count + budget - 1) / budget;
  std::vector<float>& out = samples_[layer.index];
  for (size_t i = 0; i < count; i += stride)
    out.push_back(std::fabs(ops.a[i]));
  return false;
}

std::map<size_t, float> CalibrationHook::quantiles(double q) const {
  std::map<size_t, float> out;
  for (const auto& [index, values] : samples_)
    out[index] = tasd::magnitudeQuantile(values.data(), values.size(), q);
  return out;
}

float CalibrationHook::quantile(size_t layer, double q) const {
  const auto it = samples_.find(layer);
  if (it == samples_.end()) return -1.0f;
  return tasd::magnitudeQuantile(it->second.data(), it->second.size(), q);
}

void CalibrationHook::merge(const CalibrationHook& other) {
  for (const auto& [index, values] : other.samples_) {
    std::vector<float>& mine = samples_[index];
    mine.insert(mine.end(), values.begin(), values.end());
  }
}

std::vector<LayerTasd> settingsOf(const std::vector<GemmLayer>& layers,
                                  const std::vector<bool>& selected, const plan::Plan& plan,
                                  const CalibrationHook* calibration) {
  std::vector<LayerTasd> settings(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!selected.empty() && (i >= selected.size() || !selected[i])) continue;
    const plan::LayerPlan& lp = plan.forLayer(layers[i].name);
    if (lp.operand == plan::Operand::W) {
      settings[i].weights = lp.series;
      continue;
    }
    settings[i].activations = lp.series;
    if (lp.tau >= 0) settings[i].tau = static_cast<float>(lp.tau);
    if (lp.tauQuantile >= 0) {
      if (!calibration) throw std::logic_error("settingsOf: a tau quantile without calibration");
      settings[i].tau = calibration->quantile(i, lp.tauQuantile);
    }
  }
  return settings;
}

}  // namespace tasdsim::executor
