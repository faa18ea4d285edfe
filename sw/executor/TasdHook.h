#pragma once
// GemmHooks that apply TASD inside the reference executor.
//
// TasdHook: per layer, magnitude pruning (a baseline), TASD-W (the N x K weights replaced by their
// series approximation, once, cached by the executor) or TASD-A (each A_g row-blocked along K:
// values with |x| <= tau are zeroed first (pseudo-density), then the series approximation is kept).
// Layers without a setting run unchanged. The hook records, per layer, the weight error it caused.
//
// CalibrationHook: collects |A| samples per layer (deterministically strided, at most
// kSamplesPerCall per call) so that tau can be chosen as a quantile on calibration images.
#include <map>
#include <string>
#include <vector>

#include "sw/executor/GemmHook.h"
#include "sw/plan/Plan.h"
#include "sw/tasd/Metrics.h"
#include "sw/tasd/Series.h"

namespace tasdsim::executor {

struct LayerTasd {
  tasd::Series weights;      // TASD-W series (dense: unchanged)
  tasd::Series activations;  // TASD-A series (dense: unchanged)
  float tau = -1.0f;         // pseudo-density threshold for TASD-A (< 0: none)
  // Baseline, not TASD: unstructured magnitude pruning of the weights to this density (the
  // largest |w| of each group kept; ties to the lower index); >= 1: none.
  double pruneDensity = 1.0;
  bool empty() const {
    return weights.isDense() && activations.isDense() && tau < 0 && pruneDensity >= 1.0;
  }
};

// Weight statistics accumulated over a layer's groups.
struct WeightError {
  tasd::TensorStats original;
  double droppedL2sq = 0;
  double relFrobeniusError() const;
};

// The series approximation of each row of a (rows x k, blocks along k), as
// tasd::approximateInPlace row by row; short rows are processed together (scratch is reused).
void approximateRows(float* a, size_t rows, size_t k, const tasd::Series& series,
                     std::vector<float>& scratch);
constexpr size_t kShortRow = 64;

// Zeroes all but the round(density x count) entries of largest magnitude; returns the kept
// statistics.
tasd::TensorStats pruneToDensity(float* w, size_t count, double density);

class TasdHook : public GemmHook {
 public:
  // settings by layer index; layers beyond the vector (or with an empty setting) are untouched.
  explicit TasdHook(std::vector<LayerTasd> settings) : settings_(std::move(settings)) {}

  void prepareWeights(const GemmLayer& layer, size_t group, float* w, size_t n, size_t k) override;
  bool wantsOperands(const GemmLayer& layer) override;
  bool onGemm(const GemmLayer& layer, size_t group, GemmOperands& ops) override;

  // Per layer index, the error of the weights that TASD-W changed (only constant weights).
  const std::map<size_t, WeightError>& weightErrors() const { return weightErrors_; }

 private:
  const LayerTasd* setting(const GemmLayer& layer) const;
  std::vector<LayerTasd> settings_;
  std::map<size_t, WeightError> weightErrors_;
  std::vector<float> scratch_;
};

// RangeHook: the magnitudes of every layer's input activations (A_g) and of its output (bias
// included) over the runs it sees (deterministically strided samples, at most kSamplesPerCall
// per call, and the exact maximum): the calibration of static int8 quantisation.
struct ActivationRange {
  float input = 0;
  float output = 0;
};

class RangeHook : public GemmHook {
 public:
  static constexpr size_t kSamplesPerCall = 8192;
  bool wantsOperands(const GemmLayer&) override { return true; }
  bool onGemm(const GemmLayer& layer, size_t group, GemmOperands& ops) override;
  void onOutput(const GemmLayer& layer, const model::Tensor& output) override;
  void merge(const RangeHook& other);
  // By layer name: the q-quantile of the sampled |x| (q = 1: the largest |x| seen).
  std::map<std::string, ActivationRange> ranges(double q = 1.0) const;

 private:
  struct Samples {
    std::vector<float> input, output;
    float inputMax = 0, outputMax = 0;
  };
  std::map<std::string, Samples> samples_;
};

class CalibrationHook : public GemmHook {
 public:
  static constexpr size_t kSamplesPerCall = 4096;
  // Only layers whose index is in `layers` are sampled (empty: all).
  explicit CalibrationHook(std::vector<bool> layers = {}) : layers_(std::move(layers)) {}
  bool wantsOperands(const GemmLayer& layer) override;
  bool onGemm(const GemmLayer& layer, size_t group, GemmOperands& ops) override;
  // The q-quantile of the sampled |A| of each layer (index -> tau); layers never seen are absent.
  std::map<size_t, float> quantiles(double q) const;
  // The q-quantile for one layer, or -1 if it was never sampled.
  float quantile(size_t layer, double q) const;
  // Merges another hook's samples (for per-thread calibration).
  void merge(const CalibrationHook& other);

 private:
  std::vector<bool> layers_;
  std::map<size_t, std::vector<float>> samples_;
};

// The executor settings of a plan over a model's layers (by name; unselected layers and layers
// the plan leaves dense are unchanged; an empty `selected` selects every layer): the same
// approximations the simulated accelerator makes. tau_quantile entries take their threshold
// from calibration, which must then be given.
std::vector<LayerTasd> settingsOf(const std::vector<GemmLayer>& layers,
                                  const std::vector<bool>& selected, const plan::Plan& plan,
                                  const CalibrationHook* calibration);

}  // namespace tasdsim::executor
