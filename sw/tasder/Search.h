#pragma once
// TASDER: choosing a series per layer (SPEC section 3, docs/tasder.md).
//
// Every layer's candidates (operand W or A, series, pseudo-density quantile for A) are scored
// once: a quality proxy (the relative error of the layer's output on calibration rows) and a
// cost (MACs, or cycles / energy / EDP from the simulator's timing-only mode). Then the search
// spends the quality budget where it buys the most cost:
//  - per-layer scope: every layer takes its cheapest candidate within the error target;
//  - network scope: starting from every layer's cheapest candidate, repeatedly move the layer
//    whose next step on its cost/error lower convex hull removes the most MAC-weighted error
//    per unit of added cost, until the network's MAC-weighted mean error is within target;
//  - accuracy (models with labelled data): the same greedy order gives a path of plans from
//    cheapest to dense; a binary search over that path finds the cheapest plan whose measured
//    accuracy is at least target x the original accuracy, with O(log path) evaluations. The
//    layer whose step crosses the target is then held at its accurate point and the search
//    repeats on the new path (accuracyRounds); the cheapest plan found wins.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sw/plan/Plan.h"
#include "sw/tasd/Series.h"

namespace tasdsim::tasder {

struct Candidate {
  plan::Operand operand = plan::Operand::W;
  tasd::Series series;      // dense: the layer unchanged
  double tauQuantile = -1;  // A only
  double cost = 0;          // in the search's cost unit
  double error = 0;         // relative output error on calibration rows
};

struct LayerChoices {
  std::string name;
  uint64_t macs = 0;
  std::vector<Candidate> candidates;  // includes dense
};

enum class Scope { PerLayer, Network, Accuracy };

struct SearchOptions {
  Scope scope = Scope::Network;
  double target = 0.05;  // error (per-layer or network) or accuracy fraction (0.99)
  std::string costName = "macs";
  std::string qualityMeasure = "rel_error";
  // How layer errors add up to the network's: weighted by the layers' MACs (errors of each
  // layer's own output), or plainly summed (errors already measured at the network's output).
  bool macWeighted = true;
  // Accuracy: rounds of binary search. After each, the layer whose step crosses the target is
  // held where it meets it, and a new path is searched (see docs/tasder.md).
  size_t accuracyRounds = 4;
};

struct Evaluation {
  size_t round = 0;
  size_t pathIndex = 0;
  double accuracy = 0;
  double cost = 0;
  std::vector<size_t> chosen;  // candidate per layer
};

struct SearchResult {
  std::vector<size_t> chosen;  // candidate index per layer
  double cost = 0, denseCost = 0;
  double networkError = 0;  // MAC-weighted mean relative error
  double accuracy = -1, baselineAccuracy = -1;
  std::vector<Evaluation> evaluations;
  size_t pathLength = 0;
  plan::Plan plan;
};

// accuracy: measures a plan's accuracy (Scope::Accuracy only); may be called O(log n) times.
SearchResult search(const std::vector<LayerChoices>& layers, const SearchOptions& options,
                    const std::function<double(const plan::Plan&)>& accuracy = nullptr);

// The plan of a choice of candidates.
plan::Plan planOf(const std::vector<LayerChoices>& layers, const std::vector<size_t>& chosen,
                  const SearchOptions& options);

// Indices of a layer's candidates on the lower convex hull of (cost, error), by cost.
std::vector<size_t> lowerHull(const std::vector<Candidate>& candidates);

}  // namespace tasdsim::tasder
