#include "sw/plan/Plan.h"

#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "sw/common/Error.h"

namespace tasdsim::plan {

const char* operandName(Operand o) {
  return o == Operand::W ? "W" : "A";
}

const LayerPlan& Plan::forLayer(const std::string& layer) const {
  for (const LayerPlan& l : layers)
    if (l.layer == layer) return l;
  return defaults;
}

Plan Plan::uniform(const tasd::Series& series, Operand operand, double tauQuantile) {
  Plan p;
  p.name = fmt::format("uniform {} {}", operandName(operand), series.str());
  p.defaults.operand = operand;
  p.defaults.series = series;
  p.defaults.tauQuantile = tauQuantile;
  return p;
}

namespace {

LayerPlan parseEntry(const config::Node& n, const LayerPlan& fallback, bool isDefault) {
  LayerPlan l = fallback;
  if (!isDefault) l.layer = n.get<std::string>("layer");
  const std::string op = n.choice("operand", operandName(fallback.operand), {"W", "A"});
  l.operand = op == "W" ? Operand::W : Operand::A;
  const std::string series = n.get<std::string>("series", fallback.series.str());
  try {
    l.series = tasd::Series::parse(series);
  } catch (const UserError& e) {
    const config::Node at = n.has("series") ? n.at("series") : n;
    at.fail(e.what());
  }
  l.tau = n.get<double>("tau", isDefault ? -1.0 : fallback.tau, -1.0, 1e30);
  l.tauQuantile = n.get<double>("tau_quantile", isDefault ? -1.0 : fallback.tauQuantile, -1.0, 1.0);
  if (l.operand == Operand::W && (l.tau >= 0 || l.tauQuantile >= 0)) {
    n.fail("tau and tau_quantile apply to operand A only");
  }
  if (n.has("predicted_cost")) l.predictedCost = n.get<double>("predicted_cost");
  if (n.has("measured_quality")) l.measuredQuality = n.get<double>("measured_quality");
  n.finish();
  return l;
}

}  // namespace

Plan Plan::fromYaml(const config::Node& root) {
  const config::Node p = root.at("plan");
  root.finish();
  Plan plan;
  plan.name = p.get<std::string>("name", "plan");
  plan.qualityMeasure =
      p.choice("quality_measure", "none", {"accuracy", "rel_error", "kept_energy", "none"});
  if (p.has("quality_target")) plan.qualityTarget = p.get<double>("quality_target", 0.0, 0.0, 1e9);
  if (auto d = p.find("default")) plan.defaults = parseEntry(*d, LayerPlan{}, true);
  std::set<std::string> seen;
  if (auto layers = p.find("layers")) {
    for (const config::Node& n : layers->items()) {
      LayerPlan l = parseEntry(n, LayerPlan{}, false);
      if (!seen.insert(l.layer).second) n.fail(fmt::format("layer '{}' appears twice", l.layer));
      plan.layers.push_back(std::move(l));
    }
  }
  p.finish();
  return plan;
}

Plan Plan::load(const std::string& path) {
  return fromYaml(config::loadFile(path));
}

std::string Plan::toYaml() const {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "plan" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << name;
  out << YAML::Key << "quality_measure" << YAML::Value << qualityMeasure;
  if (qualityTarget) out << YAML::Key << "quality_target" << YAML::Value << *qualityTarget;
  auto entry = [&](const LayerPlan& l, bool isDefault) {
    out << YAML::Flow << YAML::BeginMap;
    if (!isDefault) out << YAML::Key << "layer" << YAML::Value << l.layer;
    out << YAML::Key << "operand" << YAML::Value << operandName(l.operand);
    out << YAML::Key << "series" << YAML::Value << YAML::DoubleQuoted << l.series.str();
    if (l.tau >= 0) out << YAML::Key << "tau" << YAML::Value << l.tau;
    if (l.tauQuantile >= 0) out << YAML::Key << "tau_quantile" << YAML::Value << l.tauQuantile;
    if (l.predictedCost) out << YAML::Key << "predicted_cost" << YAML::Value << *l.predictedCost;
    if (l.measuredQuality)
      out << YAML::Key << "measured_quality" << YAML::Value << *l.measuredQuality;
    out << YAML::EndMap;
  };
  out << YAML::Key << "default" << YAML::Value;
  entry(defaults, true);
  out << YAML::Key << "layers" << YAML::Value << YAML::BeginSeq;
  for (const LayerPlan& l : layers)
    entry(l, false);
  out << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace tasdsim::plan
