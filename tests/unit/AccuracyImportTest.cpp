// The library calls behind tasdsim accuracy and tasdsim import on the real model data
// (scripts/fetch_realdata.sh; the tests fail without it): a few digits of the digit protocol on
// the host and on the simulated accelerator, and the import of the OCR model and of the sparse
// TFLite face detector.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sw/common/Error.h"
#include "sw/runtime/AccuracyRun.h"
#include "sw/workload/ModelImport.h"

namespace tasdsim {
namespace {

const std::string kRealdata = std::string(TASDSIM_SOURCE_DIR) + "/realdata";
const std::string kRec = kRealdata + "/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx";
const std::string kSparseFace =
    kRealdata + "/face_detection/face_detection_full_range_sparse.tflite";

runtime::AccuracyOptions digits(size_t perClass) {
  runtime::AccuracyOptions o;
  o.realdata = kRealdata;
  o.perClass = perClass;
  o.threads = 2;
  return o;
}

size_t constantWeightLayers(const runtime::AccuracyReport& r) {
  size_t n = 0;
  for (const runtime::AccuracyLayer& l : r.layers)
    n += l.layer.constantWeights;
  return n;
}

TEST(AccuracyRun, UnmodifiedModelOnTheHost) {
  const runtime::AccuracyReport r = runtime::runAccuracy(digits(2));
  ASSERT_EQ(r.predictions.size(), 20u);
  EXPECT_EQ(r.variant, "unmodified");
  EXPECT_EQ(r.changedLayers, 0u);
  EXPECT_EQ(r.macFraction, 1.0);
  EXPECT_EQ(r.meanWeightError, 0.0);
  EXPECT_TRUE(r.device.empty());
  size_t perDigit = 0;
  for (size_t c : r.correctPerDigit)
    perDigit += c;
  EXPECT_EQ(perDigit, r.correct);
  EXPECT_DOUBLE_EQ(r.accuracy, static_cast<double>(r.correct) / 20.0);
  EXPECT_GE(r.accuracy, 0.5);  // the model reads digits (853 of the first 1000)
  EXPECT_EQ(r.json["predictions"].size(), 20u);
  EXPECT_NE(r.text.find("accuracy "), std::string::npos);
}

TEST(AccuracyRun, TasdWChangesEveryLayerWithConstantWeights) {
  runtime::AccuracyOptions o = digits(1);
  o.wSeries = "4:8";
  const runtime::AccuracyReport r = runtime::runAccuracy(o);
  const size_t weighted = constantWeightLayers(r);
  ASSERT_GT(weighted, 0u);
  EXPECT_EQ(r.changedLayers, weighted);
  EXPECT_EQ(r.changedWeightTensors, weighted);
  EXPECT_EQ(r.variant, "TASD-W 4:8");
  // Half of every weighted layer's MACs, none of the activation-only ones.
  uint64_t weightedMacs = 0;
  for (const runtime::AccuracyLayer& l : r.layers) {
    if (!l.layer.constantWeights) continue;
    weightedMacs += l.layer.macs();
    EXPECT_EQ(l.tasd, "W 4:8");
    ASSERT_TRUE(l.weightError.has_value());
    EXPECT_GT(*l.weightError, 0.0);
  }
  EXPECT_NEAR(r.macFraction,
              (static_cast<double>(r.totalMacs) - 0.5 * static_cast<double>(weightedMacs)) /
                  static_cast<double>(r.totalMacs),
              1e-12);
  EXPECT_GT(r.meanWeightError, 0.05);
  EXPECT_LT(r.meanWeightError, 0.6);
}

TEST(AccuracyRun, LosslessSeriesAndExcludedLayersKeepEveryPrediction) {
  const runtime::AccuracyReport base = runtime::runAccuracy(digits(1));
  runtime::AccuracyOptions lossless = digits(1);
  lossless.wSeries = "4:8+4:8";  // 8 of 8 kept: exact
  const runtime::AccuracyReport same = runtime::runAccuracy(lossless);
  EXPECT_LT(same.meanWeightError, 1e-6);
  EXPECT_EQ(same.predictions, base.predictions);
  runtime::AccuracyOptions excluded = digits(1);
  excluded.wSeries = "1:8";
  excluded.exclude = ".";  // every name
  const runtime::AccuracyReport none = runtime::runAccuracy(excluded);
  EXPECT_EQ(none.changedLayers, 0u);
  EXPECT_EQ(none.macFraction, 1.0);
  EXPECT_EQ(none.predictions, base.predictions);
}

TEST(AccuracyRun, BadOptionsNameTheOption) {
  runtime::AccuracyOptions o = digits(1);
  o.wSeries = "4:8";
  o.aSeries = "2:8";
  EXPECT_THROW(runtime::checkAccuracyOptions(o), UserError);
  o = digits(1);
  o.compareExecutor = true;  // needs an arch
  EXPECT_THROW(runtime::checkAccuracyOptions(o), UserError);
  o = digits(1);
  o.wSeries = "4:8";
  o.exclude = "(";
  try {
    runtime::runAccuracy(o);
    FAIL() << "an invalid --exclude was accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--exclude"), std::string::npos);
  }
  o = digits(1);
  o.realdata = kRealdata + "/nowhere";
  EXPECT_THROW(runtime::checkAccuracyOptions(o), UserError);
}

TEST(AccuracyRun, DigitsOnTheAcceleratorEqualTheExecutor) {
  runtime::AccuracyOptions o = digits(1);
  o.arch = std::string(TASDSIM_SOURCE_DIR) + "/configs/arch/ttc_vegeta_m8.yaml";
  o.wSeries = "4:8+2:8+1:8";
  o.compareExecutor = true;
  size_t reported = 0;
  o.progress = [&](const std::string&, size_t done, size_t total) {
    EXPECT_LE(done, total);
    ++reported;
  };
  const runtime::AccuracyReport r = runtime::runAccuracy(o);
  ASSERT_EQ(r.device.size(), 10u);
  EXPECT_GT(reported, 0u);
  EXPECT_EQ(r.identicalPredictions, 10u);
  EXPECT_LT(r.maxScoreDifference, 1e-4);
  std::set<uint64_t> cycles;
  for (const runtime::DeviceImage& d : r.device) {
    EXPECT_TRUE(d.checksPassed);
    cycles.insert(d.totals.cycles);
  }
  EXPECT_EQ(cycles.size(), 1u);  // timing does not depend on the digit
  EXPECT_GT(*cycles.begin(), 0u);
  EXPECT_EQ(r.json["accelerator"]["images_matching_reference"], 10);
}

workload::ImportOptions recImport(double maxError) {
  workload::ImportOptions o;
  o.model = kRec;
  o.inputShape = {1, 3, 48, 64};
  o.maxError = maxError;
  return o;
}

TEST(ModelImport, AnyErrorTakesEachEnginesCheapestSeries) {
  const workload::ImportReport r = workload::importModel(recImport(1e30));
  ASSERT_EQ(r.layers.size(), r.workload.gemms.size());
  ASSERT_GT(r.layers.size(), 0u);
  EXPECT_FALSE(r.tflite);
  // STC 2:4, VEGETA 1:4, VEGETA-M8 1:8 on every layer with constant weights.
  ASSERT_EQ(r.computeFractions.size(), 3u);
  EXPECT_DOUBLE_EQ(r.computeFractions[0], 0.5);
  EXPECT_DOUBLE_EQ(r.computeFractions[1], 0.25);
  EXPECT_DOUBLE_EQ(r.computeFractions[2], 0.125);
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const executor::GemmLayer& l = r.workload.gemms[i];
    EXPECT_EQ(r.layers[i].best.size(), l.constantWeights ? 3u : 0u) << l.name;
  }
  EXPECT_EQ(r.json["layers"].size(), r.layers.size());
  EXPECT_NE(r.text.find("VEGETA-M8: weight-operand compute fraction 0.1250"), std::string::npos);
}

TEST(ModelImport, ZeroErrorKeepsTheWeightsExact) {
  const workload::ImportReport r = workload::importModel(recImport(0));
  for (const workload::ImportedLayer& l : r.layers)
    for (const workload::EngineChoice& c : l.best)
      EXPECT_EQ(c.error, 0.0) << c.series.str();
  EXPECT_THROW(workload::checkImportOptions(recImport(-1)), UserError);
  workload::ImportOptions twin = recImport(0.01);
  twin.compare = kSparseFace;  // only TFLite models have twins
  EXPECT_THROW(workload::importModel(twin), UserError);
}

TEST(ModelImport, SparseTfliteStoresCsrAndIsItsOwnTwin) {
  workload::ImportOptions o;
  o.model = kSparseFace;
  const workload::ImportReport r = workload::importModel(o);
  EXPECT_TRUE(r.tflite);
  size_t sparse = 0;
  for (const workload::ImportedLayer& l : r.layers)
    sparse += l.storage.sparse;
  EXPECT_GT(sparse, 0u);
  EXPECT_TRUE(r.json.contains("sparse_stored"));
  const workload::TwinComparison self = workload::compareTwin(r, kSparseFace);
  EXPECT_EQ(self.withSameShapeTwin, r.layers.size());
  EXPECT_EQ(self.identical, r.layers.size());
}

}  // namespace
}  // namespace tasdsim
