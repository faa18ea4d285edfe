// runtime::runDecompose, the library call behind tasdsim decompose: one series (terms, quality,
// the files) and a sweep, on small .npy files written here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "sw/common/Error.h"
#include "sw/io/Npy.h"
#include "sw/runtime/DecomposeRun.h"
#include "tests/unit/ScratchFolder.h"

namespace tasdsim::runtime {
namespace {

namespace fs = std::filesystem;

class DecomposeRun : public test::ScratchFolder {
 protected:
  void SetUp() override {
    ScratchFolder::SetUp();
    values_.resize(4 * 16);
    for (size_t i = 0; i < values_.size(); ++i)
      values_[i] = static_cast<float>((i * 37) % 23) - 11.0f;
    io::writeNpy(file("a.npy"), {4, 16}, values_.data());
  }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  std::vector<float> values_;
};

TEST_F(DecomposeRun, OneSeriesGivesTermsQualityAndFilesThatSumToTheInput) {
  DecomposeOptions o;
  o.input = file("a.npy");
  o.series = "2:8+1:8";
  const DecomposeReport r = runDecompose(o);
  EXPECT_EQ(r.rows, 4u);
  EXPECT_EQ(r.cols, 16u);
  EXPECT_EQ(r.storage, tasd::DType::F32);
  ASSERT_EQ(r.terms.size(), 2u);
  EXPECT_EQ(r.terms[0].term.pattern().str(), "2:8");
  EXPECT_EQ(r.terms[1].term.pattern().str(), "1:8");
  EXPECT_EQ(r.terms[0].nonzeros, 4u * 2 * 2);  // every block has more than 3 nonzeros
  EXPECT_LT(r.terms[0].cumulative.keptEnergy, r.terms[1].cumulative.keptEnergy);
  EXPECT_EQ(r.terms[1].cumulative.relFrobeniusError, r.total.relFrobeniusError);
  EXPECT_GT(r.total.relFrobeniusError, 0.0);
  EXPECT_EQ(r.text.rfind(o.input + ": 4 x 16 (fp32), series 2:8+1:8, compute fraction 0.3750\n", 0),
            0u);
  EXPECT_EQ(r.json["terms"].size(), 2u);
  EXPECT_EQ(r.json["input"]["storage_dtype"], "fp32");
  EXPECT_TRUE(r.sweep.empty());

  const fs::path out = dir_ / "out";
  {
    StagingDir staging(out);
    writeDecompose(r, staging);
    staging.commit();
  }
  for (const char* name : {"term0_2x8.tasd", "term1_1x8.tasd", "term0.npy", "term1.npy",
                           "approx.npy", "residual.npy", "metrics.json"})
    EXPECT_TRUE(fs::exists(out / name)) << name;
  const std::vector<float> approx = io::readNpy(out / "approx.npy").toFloat();
  const std::vector<float> residual = io::readNpy(out / "residual.npy").toFloat();
  ASSERT_EQ(approx.size(), values_.size());
  for (size_t i = 0; i < values_.size(); ++i)
    EXPECT_EQ(approx[i] + residual[i], values_[i]) << i;
}

TEST_F(DecomposeRun, SweepRanksEverySeriesByComputeFraction) {
  DecomposeOptions o;
  o.input = file("a.npy");
  o.sweep = true;
  o.patterns = "1:8,2:8";
  o.maxTerms = 2;
  const DecomposeReport r = runDecompose(o);
  ASSERT_GE(r.sweep.size(), 3u);
  EXPECT_TRUE(r.terms.empty());
  EXPECT_EQ(r.json["series"].size(), r.sweep.size());
  for (size_t i = 1; i < r.sweep.size(); ++i)
    EXPECT_LE(r.sweep[i - 1].computeFraction, r.sweep[i].computeFraction);
  EXPECT_EQ(r.sweep.back().series.str(), "dense");
  EXPECT_EQ(r.sweep.back().quality.relFrobeniusError, 0.0);
  EXPECT_GT(r.sweep.front().quality.relFrobeniusError, 0.0);
  EXPECT_NE(r.text.find("every series of up to 2 terms from 1:8,2:8"), std::string::npos);
}

TEST_F(DecomposeRun, BadOptionsAreNamedBeforeAnythingIsRead) {
  DecomposeOptions o;
  o.input = file("missing.npy");
  EXPECT_THROW(checkDecomposeOptions(o), UserError);  // no series
  o.series = "2:6";
  EXPECT_THROW(checkDecomposeOptions(o), UserError);
  o.sweep = true;
  o.series = "";
  o.maxTerms = 5;
  EXPECT_THROW(checkDecomposeOptions(o), UserError);
  o.maxTerms = 2;
  o.patterns = "1:8,x";
  try {
    checkDecomposeOptions(o);
    FAIL() << "bad patterns accepted";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--patterns '1:8,x': ", 0), 0u) << e.what();
  }
  o.patterns = "1:8";
  EXPECT_NO_THROW(checkDecomposeOptions(o));
  EXPECT_THROW(runDecompose(o), UserError);  // the file is missing
}

TEST_F(DecomposeRun, Int8StorageNeedsInt8InputAndNonFiniteValuesWarn) {
  DecomposeOptions o;
  o.input = file("a.npy");
  o.series = "2:8";
  o.dtype = "int8";
  try {
    runDecompose(o);
    FAIL() << "int8 storage of a float tensor accepted";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              o.input + ": --dtype int8 needs an int8 .npy (quantize the tensor first)");
  }
  values_[3] = std::numeric_limits<float>::quiet_NaN();
  io::writeNpy(file("nan.npy"), {4, 16}, values_.data());
  o.input = file("nan.npy");
  o.dtype = "";
  std::vector<std::string> warnings;
  o.warn = [&](const std::string& w) { warnings.push_back(w); };
  runDecompose(o);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("1 NaN/Inf values"), std::string::npos) << warnings[0];
}

}  // namespace
}  // namespace tasdsim::runtime
