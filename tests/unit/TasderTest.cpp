// The search algorithm on hand-made candidate sets, and the scoring on a real workload.
#include <gtest/gtest.h>

#include "sw/common/Error.h"
#include "sw/config/ArchConfig.h"
#include "sw/config/ConfigNode.h"
#include "sw/tasder/Scoring.h"

namespace tasdsim::tasder {
namespace {

Candidate cand(const char* series, double cost, double error, plan::Operand op = plan::Operand::W) {
  Candidate c;
  c.operand = op;
  c.series = tasd::Series::parse(series);
  c.cost = cost;
  c.error = error;
  return c;
}

TEST(Tasder, LowerHullKeepsParetoAndConvexPoints) {
  const std::vector<Candidate> c = {
      cand("dense", 8, 0),     cand("1:8", 1, 0.5), cand("2:8", 2, 0.3),     cand("4:8", 4, 0.05),
      cand("2:8+1:8", 3, 0.2), cand("1:4", 2, 0.6), cand("4:8+1:8", 5, 0.04)};
  // Pareto: 1:8 (1, .5), 2:8 (2, .3), 2:8+1:8 (3, .2), 4:8 (4, .05), 4:8+1:8 (5, .04), dense (8,
  // 0). 2:8+1:8 lies above the segment 2:8 -> 4:8 and 4:8+1:8 above 4:8 -> dense: not on the hull.
  const std::vector<size_t> hull = lowerHull(c);
  std::vector<std::string> names;
  for (size_t i : hull)
    names.push_back(c[i].series.str());
  EXPECT_EQ(names, (std::vector<std::string>{"1:8", "2:8", "4:8", "dense"}));
}

std::vector<LayerChoices> twoLayers() {
  LayerChoices a{"a", 100, {cand("dense", 100, 0), cand("2:8", 25, 0.2), cand("4:8", 50, 0.02)}};
  LayerChoices b{"b", 300, {cand("dense", 300, 0), cand("2:8", 75, 0.01), cand("4:8", 150, 0.001)}};
  return {a, b};
}

TEST(Tasder, PerLayerScopeTakesTheCheapestWithinTarget) {
  SearchOptions o;
  o.scope = Scope::PerLayer;
  o.target = 0.05;
  const SearchResult r = search(twoLayers(), o);
  EXPECT_EQ(r.plan.forLayer("a").series.str(), "4:8");
  EXPECT_EQ(r.plan.forLayer("b").series.str(), "2:8");
  EXPECT_DOUBLE_EQ(r.cost, 125);
  EXPECT_DOUBLE_EQ(r.denseCost, 400);
}

TEST(Tasder, NetworkScopeSpendsTheBudgetWhereItBuysTheMost) {
  SearchOptions o;
  o.scope = Scope::Network;
  // Start: a 2:8 (err .2, weight .25), b 2:8 (err .01, weight .75): weighted .0575.
  // Best move: a to 4:8 (removes .045 for 25 cost) before b (removes .00675 for 75).
  o.target = 0.02;
  SearchResult r = search(twoLayers(), o);
  EXPECT_EQ(r.plan.forLayer("a").series.str(), "4:8");
  EXPECT_EQ(r.plan.forLayer("b").series.str(), "2:8");
  EXPECT_NEAR(r.networkError, 0.25 * 0.02 + 0.75 * 0.01, 1e-12);
  o.target = 0.1;  // the cheapest state already meets it
  r = search(twoLayers(), o);
  EXPECT_DOUBLE_EQ(r.cost, 100);
  EXPECT_EQ(r.pathLength, 5u);  // every hull step of both layers
}

TEST(Tasder, OutputErrorsAddUpWithoutMacWeights) {
  // Errors measured at the network's output: a's .2 is not discounted by its small MAC share.
  SearchOptions o;
  o.scope = Scope::Network;
  o.macWeighted = false;
  o.target = 0.05;
  SearchResult r = search(twoLayers(), o);
  // Start .21; a to 4:8 (.18 removed for 25) first, then .03 <= .05.
  EXPECT_EQ(r.plan.forLayer("a").series.str(), "4:8");
  EXPECT_EQ(r.plan.forLayer("b").series.str(), "2:8");
  EXPECT_NEAR(r.networkError, 0.02 + 0.01, 1e-12);
  o.target = 0.015;  // next a to dense (.02 for 50) before b to 4:8 (.009 for 75)
  r = search(twoLayers(), o);
  EXPECT_TRUE(r.plan.forLayer("a").series.isDense());
  EXPECT_EQ(r.plan.forLayer("b").series.str(), "2:8");
  EXPECT_NEAR(r.networkError, 0.01, 1e-12);
}

TEST(Tasder, AccuracyScopeBinarySearchesThePath) {
  SearchOptions o;
  o.scope = Scope::Accuracy;
  o.target = 0.99;
  o.accuracyRounds = 1;
  size_t calls = 0;
  // Accuracy falls with the plan's weighted error: 0.9 * (1 - 2 x error).
  auto accuracy = [&](const plan::Plan& p) {
    ++calls;
    double err = 0;
    for (const auto& lp : p.layers)
      err += (lp.layer == "a" ? 0.25 : 0.75) * *lp.measuredQuality;
    return 0.9 * (1 - 2 * err);
  };
  const SearchResult r = search(twoLayers(), o, accuracy);
  EXPECT_DOUBLE_EQ(r.baselineAccuracy, 0.9);
  EXPECT_GE(r.accuracy, 0.99 * 0.9);
  // The answer is the first path state within 1% of 0.9, i.e. weighted error <= 0.005.
  EXPECT_LE(r.networkError, 0.005 + 1e-12);
  EXPECT_LE(calls, 2 + 3u);  // baseline, most accurate state, log2(5) steps
  EXPECT_THROW(search(twoLayers(), o), UserError);
}

TEST(Tasder, AccuracyRoundsHoldTheLayerThatBreaksTheTarget) {
  // Layer c looks harmless to the proxy (tiny error) and is expensive, so the greedy path moves
  // it last; but any structure on c ruins the accuracy. One round can only return dense (the
  // state before the last step is the first to miss); the second round holds c dense and
  // finds a and b cheap.
  std::vector<LayerChoices> layers = twoLayers();
  layers.push_back({"c", 1000, {cand("dense", 1000, 0), cand("2:8", 250, 0.001)}});
  SearchOptions o;
  o.scope = Scope::Accuracy;
  o.target = 0.99;
  o.macWeighted = false;
  auto accuracy = [&](const plan::Plan& p) {
    if (!p.forLayer("c").series.isDense()) return 0.1;
    return 0.9 * (1 - *p.forLayer("a").measuredQuality - *p.forLayer("b").measuredQuality);
  };
  o.accuracyRounds = 1;
  SearchResult r = search(layers, o, accuracy);
  EXPECT_TRUE(r.plan.forLayer("c").series.isDense());
  EXPECT_DOUBLE_EQ(r.cost, 1400);  // a b c all dense
  o.accuracyRounds = 3;
  r = search(layers, o, accuracy);
  EXPECT_TRUE(r.plan.forLayer("c").series.isDense());
  EXPECT_LT(r.cost, 1400);
  EXPECT_GE(r.accuracy, 0.99 * 0.9);
  EXPECT_LE(r.evaluations.back().round, 2u);
  for (const Evaluation& e : r.evaluations)
    EXPECT_EQ(e.chosen.size(), 3u);
}

TEST(Tasder, ScoringAWorkloadRanksSeriesByError) {
  const workload::Workload w =
      workload::load(std::string(TASDSIM_SOURCE_DIR) + "/configs/workloads/tiny_cnn.yaml");
  const config::ArchConfig arch =
      config::loadArch(std::string(TASDSIM_SOURCE_DIR) + "/configs/arch/ttc_vegeta_m8.yaml");
  ScoringOptions so;
  const auto samples = calibrate(w, so);
  ASSERT_EQ(samples.size(), 6u);  // conv1, conv2, dw, pw, down, fc
  const auto layers = scoreLayers(samples, engineView(arch.params), so);
  for (const LayerChoices& l : layers) {
    double err1 = -1, err4 = -1, errDense = -1;
    for (const Candidate& c : l.candidates) {
      if (c.operand != plan::Operand::W) continue;
      if (c.series.str() == "1:8") err1 = c.error;
      if (c.series.str() == "4:8") err4 = c.error;
      if (c.series.isDense()) errDense = c.error;
    }
    EXPECT_GT(err1, err4) << l.name;  // more kept entries, less error
    EXPECT_EQ(errDense, 0.0) << l.name;
    EXPECT_GT(err1, 0.0) << l.name;
  }
  // conv1's input is the network input (dense): A candidates with pseudo-density are offered.
  bool tau = false;
  for (const Candidate& c : layers[0].candidates)
    tau |= c.operand == plan::Operand::A && c.tauQuantile > 0;
  EXPECT_TRUE(tau);
}

}  // namespace
}  // namespace tasdsim::tasder
