#include "sw/tasder/Search.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "sw/common/Error.h"

namespace tasdsim::tasder {

std::vector<size_t> lowerHull(const std::vector<Candidate>& c) {
  std::vector<size_t> order(c.size());
  for (size_t i = 0; i < c.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return c[a].cost != c[b].cost ? c[a].cost < c[b].cost : c[a].error < c[b].error;
  });
  // Keep the Pareto points (each strictly lower error than everything cheaper).
  std::vector<size_t> pareto;
  double best = std::numeric_limits<double>::infinity();
  for (size_t i : order) {
    if (c[i].error < best) {
      pareto.push_back(i);
      best = c[i].error;
    }
  }
  // Lower convex hull of the Pareto points: error decreases at a decreasing rate per cost.
  std::vector<size_t> hull;
  for (size_t i : pareto) {
    while (hull.size() >= 2) {
      const Candidate& a = c[hull[hull.size() - 2]];
      const Candidate& b = c[hull.back()];
      const Candidate& p = c[i];
      // b is above the segment a-p: drop it.
      const double cross =
          (b.cost - a.cost) * (p.error - a.error) - (b.error - a.error) * (p.cost - a.cost);
      if (cross <= 0) {
        hull.pop_back();
      } else {
        break;
      }
    }
    hull.push_back(i);
  }
  return hull;
}

plan::Plan planOf(const std::vector<LayerChoices>& layers, const std::vector<size_t>& chosen,
                  const SearchOptions& options) {
  plan::Plan p;
  p.name = fmt::format("tasder {} <= {}", options.qualityMeasure, options.target);
  p.qualityMeasure = options.qualityMeasure;
  p.qualityTarget = options.target;
  for (size_t l = 0; l < layers.size(); ++l) {
    const Candidate& c = layers[l].candidates[chosen[l]];
    plan::LayerPlan lp;
    lp.layer = layers[l].name;
    lp.operand = c.operand;
    lp.series = c.series;
    lp.tauQuantile = c.operand == plan::Operand::A ? c.tauQuantile : -1;
    lp.predictedCost = c.cost;
    lp.measuredQuality = c.error;
    p.layers.push_back(lp);
  }
  return p;
}

namespace {

struct State {
  std::vector<size_t> hullPos;  // position on each layer's hull
};

}  // namespace

SearchResult search(const std::vector<LayerChoices>& layers, const SearchOptions& options,
                    const std::function<double(const plan::Plan&)>& accuracy) {
  SearchResult r;
  uint64_t totalMacs = 0;
  for (const LayerChoices& l : layers) {
    if (l.candidates.empty()) throw std::logic_error("tasder: a layer without candidates");
    totalMacs += l.macs;
  }
  const double weightSum = totalMacs ? static_cast<double>(totalMacs) : 1.0;
  std::vector<std::vector<size_t>> hulls;
  for (const LayerChoices& l : layers)
    hulls.push_back(lowerHull(l.candidates));
  auto weight = [&](size_t l) {
    return options.macWeighted ? static_cast<double>(layers[l].macs) / weightSum : 1.0;
  };
  auto evaluate = [&](const std::vector<size_t>& chosen) {
    double cost = 0, err = 0;
    for (size_t l = 0; l < layers.size(); ++l) {
      cost += layers[l].candidates[chosen[l]].cost;
      err += weight(l) * layers[l].candidates[chosen[l]].error;
    }
    return std::make_pair(cost, err);
  };
  // The dense reference: the cheapest zero-error candidate of every layer.
  for (const LayerChoices& l : layers) {
    double dense = std::numeric_limits<double>::infinity();
    for (const Candidate& c : l.candidates)
      if (c.series.isDense()) dense = std::min(dense, c.cost);
    r.denseCost += std::isfinite(dense) ? dense : 0.0;
  }

  if (options.scope == Scope::PerLayer) {
    r.chosen.resize(layers.size());
    for (size_t l = 0; l < layers.size(); ++l) {
      size_t best = SIZE_MAX;
      for (size_t i = 0; i < layers[l].candidates.size(); ++i) {
        const Candidate& c = layers[l].candidates[i];
        if (c.error > options.target) continue;
        if (best == SIZE_MAX || c.cost < layers[l].candidates[best].cost) best = i;
      }
      if (best == SIZE_MAX) best = hulls[l].back();  // nothing within target: the most accurate
      r.chosen[l] = best;
    }
  } else {
    // Greedy path along the hulls, from every layer's floor (its cheapest allowed point) to
    // every layer's last.
    auto greedyPath = [&](const std::vector<size_t>& floor) {
      std::vector<size_t> pos = floor;
      std::vector<std::vector<size_t>> path;
      auto chosenOf = [&](const std::vector<size_t>& p) {
        std::vector<size_t> c(layers.size());
        for (size_t l = 0; l < layers.size(); ++l)
          c[l] = hulls[l][p[l]];
        return c;
      };
      path.push_back(chosenOf(pos));
      while (true) {
        size_t bestLayer = SIZE_MAX;
        double bestGain = -1;
        for (size_t l = 0; l < layers.size(); ++l) {
          if (pos[l] + 1 >= hulls[l].size()) continue;
          const Candidate& now = layers[l].candidates[hulls[l][pos[l]]];
          const Candidate& next = layers[l].candidates[hulls[l][pos[l] + 1]];
          const double dErr = weight(l) * (now.error - next.error);
          const double dCost = std::max(next.cost - now.cost, 1e-12);
          const double gain = dErr / dCost;
          if (gain > bestGain) {
            bestGain = gain;
            bestLayer = l;
          }
        }
        if (bestLayer == SIZE_MAX) break;
        ++pos[bestLayer];
        path.push_back(chosenOf(pos));
      }
      return path;
    };
    std::vector<size_t> floor(layers.size(), 0);
    std::vector<std::vector<size_t>> path = greedyPath(floor);
    r.pathLength = path.size();
    if (options.scope == Scope::Network) {
      size_t i = 0;
      while (i + 1 < path.size() && evaluate(path[i]).second > options.target)
        ++i;
      r.chosen = path[i];
    } else {
      if (!accuracy) throw UserError("an accuracy target needs a model with labelled data");
      // The original accuracy: every layer dense.
      std::vector<size_t> dense(layers.size());
      for (size_t l = 0; l < layers.size(); ++l) {
        dense[l] = hulls[l].back();
        for (size_t i = 0; i < layers[l].candidates.size(); ++i)
          if (layers[l].candidates[i].series.isDense()) dense[l] = i;
      }
      r.baselineAccuracy = accuracy(planOf(layers, dense, options));
      const double needed = options.target * r.baselineAccuracy;
      r.chosen = dense;
      r.accuracy = r.baselineAccuracy;
      double bestCost = evaluate(dense).first;
      for (size_t round = 0; round < std::max<size_t>(1, options.accuracyRounds); ++round) {
        auto measure = [&](size_t index) {
          const double acc = accuracy(planOf(layers, path[index], options));
          r.evaluations.push_back({round, index, acc, evaluate(path[index]).first, path[index]});
          return acc;
        };
        size_t lo = 0, hi = path.size() - 1;
        double accHi = measure(hi);
        if (accHi < needed) break;  // even the most accurate state of this path misses
        while (lo < hi) {           // invariant: path[hi] meets the target
          const size_t mid = lo + (hi - lo) / 2;
          const double acc = measure(mid);
          if (acc >= needed) {
            hi = mid;
            accHi = acc;
          } else {
            lo = mid + 1;
          }
        }
        const double cost = evaluate(path[hi]).first;
        if (cost < bestCost) {
          bestCost = cost;
          r.chosen = path[hi];
          r.accuracy = accHi;
        }
        if (hi == 0) break;  // the cheapest state allowed meets the target
        // The state just cheaper (measured: the binary search ends next to a miss) misses: the
        // layer that step moves breaks the accuracy there. Keep it at least where it is in
        // path[hi] and search a new path with that floor.
        size_t culprit = SIZE_MAX;
        for (size_t l = 0; l < layers.size(); ++l)
          if (path[hi][l] != path[hi - 1][l]) culprit = l;
        if (culprit == SIZE_MAX) break;
        const auto& h = hulls[culprit];
        floor[culprit] =
            static_cast<size_t>(std::find(h.begin(), h.end(), path[hi][culprit]) - h.begin());
        path = greedyPath(floor);
      }
    }
  }
  const auto [cost, err] = evaluate(r.chosen);
  r.cost = cost;
  r.networkError = err;
  r.plan = planOf(layers, r.chosen, options);
  return r;
}

}  // namespace tasdsim::tasder
