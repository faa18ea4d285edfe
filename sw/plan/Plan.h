#pragma once
// A TASD plan: per layer, which operand is structured (W: weights, decomposed offline; A:
// activations, decomposed on the fly by the TASD units), the series, and for A the
// pseudo-density threshold (absolute tau, or a quantile of |x| calibrated per layer).
// Written by the search (tasdsim search) with its predicted cost and measured quality, read by
// tasdsim run and tasdsim accuracy. YAML form (docs/config.md):
//   plan:
//     name: resnet50-m8
//     quality_measure: rel_error     # accuracy | rel_error | kept_energy | none
//     quality_target: 0.99           # optional
//     default: {operand: W, series: dense}
//     layers:
//       - {layer: conv1, operand: W, series: "4:8+1:8", predicted_cost: 0.62, measured_quality:
//       0.03}
//       - {layer: fc, operand: A, series: "2:8", tau_quantile: 0.4}
#include <optional>
#include <string>
#include <vector>

#include "sw/config/ConfigNode.h"
#include "sw/tasd/Series.h"

namespace tasdsim::plan {

enum class Operand { W, A };
const char* operandName(Operand o);

struct LayerPlan {
  std::string layer;  // empty for the default entry
  Operand operand = Operand::W;
  tasd::Series series;      // dense by default
  double tau = -1;          // absolute threshold (A only); < 0: none
  double tauQuantile = -1;  // quantile of |x| per layer (A only); < 0: none
  std::optional<double> predictedCost;
  std::optional<double> measuredQuality;
};

struct Plan {
  std::string name = "plan";
  std::string qualityMeasure = "none";
  std::optional<double> qualityTarget;
  LayerPlan defaults;
  std::vector<LayerPlan> layers;

  // The entry for a layer, or the default.
  const LayerPlan& forLayer(const std::string& layer) const;
  // One series for every layer.
  static Plan uniform(const tasd::Series& series, Operand operand, double tauQuantile = -1);
  // Strict YAML parsing (root must hold "plan"); UserError with file/line/key on any problem.
  static Plan fromYaml(const config::Node& root);
  static Plan load(const std::string& path);
  std::string toYaml() const;
};

}  // namespace tasdsim::plan
