#pragma once
// One `tasdsim import` as a library call: an ONNX or TFLite model as a workload, and per
// Conv/Gemm/MatMul layer with constant weights the cheapest series of each engine (STC,
// VEGETA, VEGETA-M8) that approximates the real weights within a relative Frobenius error;
// for TFLite also how the file stores the weights (dense or CSR), and optionally how they
// compare with a twin model's (e.g. the dense twin of a sparse file).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/model/Tflite.h"
#include "sw/tasd/Matrix.h"
#include "sw/tasd/Series.h"
#include "sw/workload/Workload.h"

namespace tasdsim::workload {

struct ImportOptions {
  std::string model;                // .onnx or .tflite
  double maxError = 0.01;           // largest relative Frobenius error of an acceptable series
  size_t maxTerms = 3;              // longest series considered
  std::vector<int64_t> inputShape;  // ONNX input shape; empty: the model's
  std::string compare;              // the TFLite twin compareTwin is asked for (checked here)
};

// An engine and the N:M patterns its series are made of.
struct ImportEngine {
  const char* name;
  std::vector<const char*> patterns;
};
const std::vector<ImportEngine>& importEngines();

// An engine's cheapest acceptable series of one layer.
struct EngineChoice {
  tasd::Series series;
  double computeFraction = 1;
  double error = 0;
};

struct ImportedLayer {
  tasd::MatrixF weights;           // N x K, all groups stacked
  model::TfliteStorage storage;    // TFLite: how the file stores them
  std::vector<EngineChoice> best;  // per importEngines(); empty for two activations
};

struct ImportReport {
  std::filesystem::path model;
  Workload workload;
  bool tflite = false;
  std::vector<ImportedLayer> layers;     // per workload.gemms
  std::vector<double> computeFractions;  // per engine, MAC-weighted over constant weights
  std::string text;                      // what tasdsim import prints (before any twin)
  nlohmann::json json;                   // what tasdsim import --json writes (before any twin)
};

// Checks the options (UserError naming the option) before anything runs.
void checkImportOptions(const ImportOptions& options);

// The import and the per-layer analysis (UserError for bad files).
ImportReport importModel(const ImportOptions& options);

// The weights of every layer against the closest same-shape weight tensor of a TFLite twin
// (names differ between the files, so values decide).
struct TwinComparison {
  size_t withSameShapeTwin = 0;
  size_t identical = 0;
  std::string text;     // the table and its summary line
  nlohmann::json json;  // the "twin" part of the JSON
};
TwinComparison compareTwin(const ImportReport& report, const std::string& twinPath);

}  // namespace tasdsim::workload
