#include "sw/tasder/ExperimentSearch.h"

#include <chrono>
#include <sstream>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/Table.h"
#include "sw/executor/Executor.h"
#include "sw/runtime/NetworkRun.h"
#include "sw/runtime/Preflight.h"
#include "sw/tasder/Scoring.h"

namespace tasdsim::tasder {
namespace {

double secondsSince(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

nlohmann::json candidateJson(const Candidate& c) {
  nlohmann::json j{{"operand", plan::operandName(c.operand)},
                   {"series", c.series.str()},
                   {"cost", c.cost},
                   {"error", c.error}};
  if (c.tauQuantile >= 0) j["tau_quantile"] = c.tauQuantile;
  return j;
}

// The summary JSON and text of a finished search.
void summarise(const runtime::Experiment& x, ExperimentSearchReport& report) {
  const runtime::SearchSpec& sp = x.search;
  const std::vector<LayerChoices>& layers = report.layers;
  const SearchResult& r = report.result;
  nlohmann::json jl = nlohmann::json::array();
  TextTable table({"layer", "operand", "series", "tau_q", "cost", "dense_cost", "error"});
  uint64_t macsDense = 0;
  double macsChosen = 0;
  for (size_t l = 0; l < layers.size(); ++l) {
    const Candidate& c = layers[l].candidates[r.chosen[l]];
    nlohmann::json cands = nlohmann::json::array();
    for (const Candidate& cc : layers[l].candidates)
      cands.push_back(candidateJson(cc));
    jl.push_back({{"name", layers[l].name},
                  {"macs", layers[l].macs},
                  {"chosen", r.chosen[l]},
                  {"candidates", cands}});
    macsDense += layers[l].macs;
    macsChosen += c.series.computeFraction() * static_cast<double>(layers[l].macs);
    table.add({layers[l].name, plan::operandName(c.operand), c.series.str(),
               c.tauQuantile >= 0 ? fmt::format("{:.2f}", c.tauQuantile) : "-",
               fmt::format("{:.4g}", c.cost), fmt::format("{:.4g}", layers[l].candidates[0].cost),
               fmt::format("{:.4f}", c.error)});
  }
  report.macReduction = macsDense ? 1.0 - macsChosen / static_cast<double>(macsDense) : 0.0;
  const double costReduction = r.denseCost > 0 ? 1.0 - r.cost / r.denseCost : 0.0;
  report.summary = {
      {"experiment", x.name},
      {"arch", x.arch.params.name},
      {"workload", x.workload.name},
      {"quality", {{"measure", sp.measure}, {"scope", sp.scope}, {"target", sp.target}}},
      {"cost_unit", sp.cost},
      {"dtype", tasd::dtypeName(x.dtype)},
      {"cost", r.cost},
      {"dense_cost", r.denseCost},
      {"cost_reduction", costReduction},
      {"mac_reduction", report.macReduction},
      {"network_error", r.networkError},
      {"greedy_path_length", r.pathLength},
      {"layers", jl}};
  std::ostringstream os;
  os << fmt::format("{} on {}: {} error <= {} ({} scope), cost in {}\n", x.workload.name,
                    x.arch.params.name, sp.measure, sp.target, sp.scope, sp.cost);
  table.print(os);
  os << fmt::format(
      "cost {:.4g} of {:.4g} dense ({:.1f}% less); MACs {:.1f}% less; MAC-weighted error {:.4f}\n",
      r.cost, r.denseCost, 100.0 * costReduction, 100.0 * report.macReduction, r.networkError);
  os << fmt::format(
      "searched {} layers in {:.2f} s (calibration {:.2f} s, scoring {:.2f} s, costs {:.2f} s)\n",
      layers.size(), report.seconds, report.calibrationSeconds, report.scoringSeconds,
      report.costSeconds);
  report.text = os.str();
}

}  // namespace

runtime::Experiment loadSearchExperiment(const std::string& experiment,
                                         const std::vector<std::string>& overrides) {
  runtime::Experiment x = runtime::Experiment::load(experiment, overrides);
  if (!x.hasSearch)
    throw UserError(fmt::format("{}: the experiment has no search section", experiment));
  const runtime::SearchSpec& sp = x.search;
  if (sp.measure == "accuracy") {
    throw UserError(fmt::format(
        "{}: an accuracy target needs a model with labelled data (tasdsim search-model); "
        "synthetic workloads take quality.measure: rel_error",
        experiment));
  }
  // Simulated costs run every layer on the engine: it must fit (timing only).
  if (sp.cost != "macs") {
    runtime::checkRunFits(x.workload, x.plan, x.arch.params, x.dtype, false,
                          runtime::MapperOptions{runtime::MapperObjective::Cycles, &x.arch.energy});
  }
  return x;
}

ExperimentSearchReport searchExperiment(const runtime::Experiment& x,
                                        const StageProgress& progress) {
  const runtime::SearchSpec& sp = x.search;
  auto say = [&progress](const std::string& stage, size_t done, size_t total) {
    if (progress) progress(stage, done, total);
  };
  const auto t0 = std::chrono::steady_clock::now();
  // Scoring multiplies many small matrices: BLAS threads only wait on each other (and, on a
  // loaded machine, on other programs).
  executor::setBlasThreads(1);

  ScoringOptions so;
  so.operands.clear();
  for (const std::string& op : sp.operands)
    so.operands.push_back(op == "W" ? plan::Operand::W : plan::Operand::A);
  so.calibrationRows = sp.calibrationRows;
  so.tauQuantiles = sp.tauQuantiles;
  so.progress = say;
  ExperimentSearchReport report;
  const EngineView engine = engineView(x.arch.params);
  const std::vector<LayerSample> samples = calibrate(x.workload, so);
  report.calibrationSeconds = secondsSince(t0);
  report.layers = scoreLayers(samples, engine, so);
  report.scoringSeconds = secondsSince(t0) - report.calibrationSeconds;
  if (sp.cost != "macs") {
    say("cost table", 0, 1);
    simulatedCosts(report.layers, x.workload, x.arch.params, x.arch.energy, sp.cost, x.dtype,
                   x.int8Output);
    say("cost table", 1, 1);
  }
  report.costSeconds = secondsSince(t0) - report.calibrationSeconds - report.scoringSeconds;
  SearchOptions opts;
  opts.scope = sp.scope == "per_layer" ? Scope::PerLayer : Scope::Network;
  opts.target = sp.target;
  opts.costName = sp.cost;
  opts.qualityMeasure = sp.measure;
  report.result = search(report.layers, opts);
  report.seconds = secondsSince(t0);

  // The plan, checked against the engine like any plan.
  report.plan = report.result.plan;
  report.plan.name = fmt::format("{} on {}: {} {} <= {}", x.workload.name, x.arch.params.name,
                                 sp.scope, sp.measure, sp.target);
  runtime::validatePlan(x.workload, report.plan, x.arch.params);
  summarise(x, report);
  return report;
}

void writeExperimentSearch(const ExperimentSearchReport& report, const StagingDir& dir) {
  writeFileAtomic(dir.file("plan.yaml"), report.plan.toYaml());
  writeFileAtomic(dir.file("search.json"), report.summary.dump(1) + "\n");
  writeFileAtomic(dir.file("summary.txt"), report.text);
}

}  // namespace tasdsim::tasder
