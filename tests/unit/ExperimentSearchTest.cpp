// The library calls behind tasdsim search (tasder::searchExperiment) and the data of tasdsim
// search-model (tasder::loadModelSearchData): an experiment written here on the tiny CNN, and the
// option checks of the labelled data.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sw/common/Error.h"
#include "sw/tasder/ExperimentSearch.h"
#include "sw/tasder/SearchData.h"
#include "tests/unit/ScratchFolder.h"

namespace tasdsim::tasder {
namespace {

namespace fs = std::filesystem;

class ExperimentSearch : public test::ScratchFolder {
 protected:
  // An experiment on the tiny CNN with the given search section (none when empty).
  std::string experiment(const std::string& search) const {
    const std::string configs = std::string(TASDSIM_SOURCE_DIR) + "/configs";
    const fs::path path = dir_ / "exp.yaml";
    std::ofstream(path) << "experiment:\n  name: tiny_search\n  arch: " << configs
                        << "/arch/ttc_vegeta_m8.yaml\n  workload: " << configs
                        << "/workloads/tiny_cnn.yaml\n  plan: {series: dense}\n"
                        << search;
    return path.string();
  }
};

TEST_F(ExperimentSearch, AnExperimentWithoutAnErrorSearchIsRefused) {
  EXPECT_THROW(loadSearchExperiment(experiment(""), {}), UserError);
  const std::string accuracy =
      experiment("  search:\n    quality: {measure: accuracy, scope: accuracy, target: 0.99}\n");
  try {
    loadSearchExperiment(accuracy, {});
    FAIL() << "accuracy target accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("tasdsim search-model"), std::string::npos) << e.what();
  }
}

TEST_F(ExperimentSearch, PerLayerScopeKeepsEveryLayerWithinTheTarget) {
  const runtime::Experiment x = loadSearchExperiment(
      experiment("  search:\n    operands: [W]\n    cost: macs\n"
                 "    quality: {measure: rel_error, scope: per_layer, target: 0.2}\n"),
      {});
  size_t finished = 0;
  const ExperimentSearchReport r = searchExperiment(
      x, [&](const std::string&, size_t done, size_t total) { finished += done == total; });
  EXPECT_GT(finished, 0u);
  ASSERT_EQ(r.layers.size(), 6u);  // conv1, conv2, dw, pw, down, fc
  ASSERT_EQ(r.result.chosen.size(), 6u);
  for (size_t l = 0; l < r.layers.size(); ++l) {
    const Candidate& c = r.layers[l].candidates[r.result.chosen[l]];
    EXPECT_LE(c.error, 0.2) << r.layers[l].name;
    EXPECT_EQ(c.operand, plan::Operand::W);
  }
  EXPECT_LT(r.result.cost, r.result.denseCost);
  EXPECT_GT(r.macReduction, 0.0);
  EXPECT_EQ(r.plan.name.rfind("tiny_cnn on ", 0), 0u) << r.plan.name;
  EXPECT_EQ(r.summary["layers"].size(), 6u);
  EXPECT_EQ(r.summary["cost_unit"], "macs");
  EXPECT_NE(r.text.find("searched 6 layers in "), std::string::npos) << r.text;

  const fs::path out = dir_ / "out";
  {
    StagingDir staging(out);
    writeExperimentSearch(r, staging);
    staging.commit();
  }
  for (const char* name : {"plan.yaml", "search.json", "summary.txt"})
    EXPECT_TRUE(fs::exists(out / name)) << name;
}

TEST(SearchData, ClassifierOptionsNeedAModelAndItsData) {
  ModelSearchDataOptions o;
  EXPECT_NO_THROW(checkModelSearchData(o));
  o.splits.test = "0:10";
  EXPECT_THROW(checkModelSearchData(o), UserError);
  o.splits.test.clear();
  o.model = "model.onnx";
  o.inputs = "x.npy";
  try {
    loadModelSearchData(o);
    FAIL() << "a model without labels accepted";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "--model needs --inputs and --labels (and --search-split, --test-split)");
  }
}

TEST(SearchData, DigitProtocolChecksItsCounts) {
  DigitProtocol p;
  p.probePerClass = 11;  // more than the 10 calibration digits
  EXPECT_THROW(digitData(p), UserError);
  p.probePerClass = 1;
  p.perClass = 0;
  EXPECT_THROW(digitData(p), UserError);
}

TEST(SearchData, DigitProtocolSplitsTheRealDigits) {
  DigitProtocol p;
  p.realdata = std::string(TASDSIM_SOURCE_DIR) + "/realdata";
  p.perClass = 2;
  p.calibrationPerClass = 4;
  p.probePerClass = 2;
  const ModelSearchData d = digitData(p);
  EXPECT_EQ(d.search.size(), 20u);
  EXPECT_EQ(d.test.size(), 20u);
  EXPECT_EQ(d.calibration.size(), 40u);
  EXPECT_EQ(d.probe.size(), 20u);  // every second calibration digit
  EXPECT_EQ(d.test.description, "digits 100-101 of each class");
  EXPECT_EQ(d.probe.description, "every 2th of digits 200-203 of each class");
  EXPECT_FALSE(d.workload.gemms.empty());
  EXPECT_TRUE(d.scores);
}

}  // namespace
}  // namespace tasdsim::tasder
