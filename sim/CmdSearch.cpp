// tasdsim search: finds a per-layer TASD plan for an experiment's workload and engine (TASDER)
// and writes the plan, the scored candidates and a summary.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/Commands.h"
#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Output.h"
#include "sw/common/Table.h"
#include "sw/executor/Executor.h"
#include "sw/runtime/Experiment.h"
#include "sw/runtime/NetworkRun.h"
#include "sw/runtime/Preflight.h"
#include "sw/tasder/Scoring.h"

namespace tasdsim::cli {
namespace {

struct SearchOptionsCli {
  std::string experiment;
  std::vector<std::string> overrides;
  std::string out;
  bool overwrite = false;
  bool quiet = false;
};

class StageProgress {
 public:
  explicit StageProgress(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}
  void operator()(const std::string& stage, size_t done, size_t total) {
    if (quiet_ || total == 0) return;
    if (tty_) {
      std::cerr << fmt::format("\r{:<12} {}/{}", stage, done, total) << (done == total ? "\n" : "")
                << std::flush;
    } else if (done == total) {
      std::cerr << fmt::format("{}: {} layers\n", stage, total);
    }
  }

 private:
  bool quiet_, tty_;
};

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

nlohmann::json candidateJson(const tasder::Candidate& c) {
  nlohmann::json j{{"operand", plan::operandName(c.operand)},
                   {"series", c.series.str()},
                   {"cost", c.cost},
                   {"error", c.error}};
  if (c.tauQuantile >= 0) j["tau_quantile"] = c.tauQuantile;
  return j;
}

int runSearch(const SearchOptionsCli& o) {
  runtime::Experiment x = runtime::Experiment::load(o.experiment, o.overrides);
  if (!x.hasSearch)
    throw UserError(fmt::format("{}: the experiment has no search section", o.experiment));
  const runtime::SearchSpec& sp = x.search;
  if (sp.measure == "accuracy") {
    throw UserError(fmt::format(
        "{}: an accuracy target needs a model with labelled data (tasdsim search-model); "
        "synthetic workloads take quality.measure: rel_error",
        o.experiment));
  }
  // Simulated costs run every layer on the engine: it must fit (timing only).
  if (sp.cost != "macs") runtime::checkRunFits(x.workload, x.plan, x.arch.params, x.dtype, false);
  const std::string outDir =
      (o.out.empty() ? defaultOutputFolder(x.name, "-search", x.file + ": experiment.name")
                     : outputPathArgument(o.out, "--out"))
          .string();
  StagingDir dir(outDir, o.overwrite);
  const auto t0 = std::chrono::steady_clock::now();
  StageProgress progress(o.quiet);
  // Scoring multiplies many small matrices: BLAS threads only wait on each other (and, on a
  // loaded machine, on other programs).
  executor::setBlasThreads(1);

  tasder::ScoringOptions so;
  so.operands.clear();
  for (const std::string& op : sp.operands)
    so.operands.push_back(op == "W" ? plan::Operand::W : plan::Operand::A);
  so.calibrationRows = sp.calibrationRows;
  so.tauQuantiles = sp.tauQuantiles;
  so.progress = [&progress](const std::string& stage, size_t done, size_t total) {
    progress(stage, done, total);
  };
  const tasder::EngineView engine = tasder::engineView(x.arch.params);
  const std::vector<tasder::LayerSample> samples = tasder::calibrate(x.workload, so);
  const double tCalibrate = seconds(t0);
  std::vector<tasder::LayerChoices> layers = tasder::scoreLayers(samples, engine, so);
  const double tScore = seconds(t0) - tCalibrate;
  if (sp.cost != "macs") {
    progress("cost table", 0, 1);
    tasder::simulatedCosts(layers, x.workload, x.arch.params, x.arch.energy, sp.cost, x.dtype);
    progress("cost table", 1, 1);
  }
  const double tCost = seconds(t0) - tCalibrate - tScore;
  tasder::SearchOptions opts;
  opts.scope = sp.scope == "per_layer" ? tasder::Scope::PerLayer : tasder::Scope::Network;
  opts.target = sp.target;
  opts.costName = sp.cost;
  opts.qualityMeasure = sp.measure;
  const tasder::SearchResult r = tasder::search(layers, opts);
  const double total = seconds(t0);

  // The plan, checked against the engine like any plan.
  plan::Plan p = r.plan;
  p.name = fmt::format("{} on {}: {} {} <= {}", x.workload.name, x.arch.params.name, sp.scope,
                       sp.measure, sp.target);
  runtime::validatePlan(x.workload, p, x.arch.params);
  writeFileAtomic(dir.file("plan.yaml"), p.toYaml());

  nlohmann::json jl = nlohmann::json::array();
  TextTable table({"layer", "operand", "series", "tau_q", "cost", "dense_cost", "error"});
  uint64_t macsDense = 0;
  double macsChosen = 0;
  for (size_t l = 0; l < layers.size(); ++l) {
    const tasder::Candidate& c = layers[l].candidates[r.chosen[l]];
    nlohmann::json cands = nlohmann::json::array();
    for (const tasder::Candidate& cc : layers[l].candidates)
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
  const double macReduction = macsDense ? 1.0 - macsChosen / static_cast<double>(macsDense) : 0.0;
  const nlohmann::json summary{
      {"experiment", x.name},
      {"arch", x.arch.params.name},
      {"workload", x.workload.name},
      {"quality", {{"measure", sp.measure}, {"scope", sp.scope}, {"target", sp.target}}},
      {"cost_unit", sp.cost},
      {"dtype", tasd::dtypeName(x.dtype)},
      {"cost", r.cost},
      {"dense_cost", r.denseCost},
      {"cost_reduction", r.denseCost > 0 ? 1.0 - r.cost / r.denseCost : 0.0},
      {"mac_reduction", macReduction},
      {"network_error", r.networkError},
      {"greedy_path_length", r.pathLength},
      {"layers", jl}};
  writeFileAtomic(dir.file("search.json"), summary.dump(1) + "\n");
  std::ostringstream os;
  os << fmt::format("{} on {}: {} error <= {} ({} scope), cost in {}\n", x.workload.name,
                    x.arch.params.name, sp.measure, sp.target, sp.scope, sp.cost);
  table.print(os);
  os << fmt::format(
      "cost {:.4g} of {:.4g} dense ({:.1f}% less); MACs {:.1f}% less; MAC-weighted error {:.4f}\n",
      r.cost, r.denseCost, 100.0 * (r.denseCost > 0 ? 1.0 - r.cost / r.denseCost : 0.0),
      100.0 * macReduction, r.networkError);
  os << fmt::format(
      "searched {} layers in {:.2f} s (calibration {:.2f} s, scoring {:.2f} s, costs {:.2f} s)\n",
      layers.size(), total, tCalibrate, tScore, tCost);
  writeFileAtomic(dir.file("summary.txt"), os.str());
  dir.commit();
  std::cout << os.str() << "wrote " << outDir << "/ (run it: tasdsim run " << o.experiment
            << " --plan " << outDir << "/plan.yaml)\n";
  return 0;
}

}  // namespace

void addSearchCommand(CLI::App& app, int& exitCode) {
  auto o = std::make_shared<SearchOptionsCli>();
  CLI::App* cmd =
      app.add_subcommand("search", "Find a per-layer TASD plan (TASDER) for an experiment");
  cmd->add_option("experiment", o->experiment, "Experiment YAML with a search section")->required();
  cmd->add_option("--set", o->overrides, "Override a config value: key.path=value; repeatable");
  cmd->add_option("--out,-o", o->out,
                  "Output folder (default out/<experiment name>-search; must not exist)");
  cmd->add_flag("--overwrite", o->overwrite,
                "Replace the output folder if it is one tasdsim wrote");
  cmd->add_flag("--quiet,-q", o->quiet, "No progress output");
  cmd->callback([o, &exitCode] { exitCode = runSearch(*o); });
}

}  // namespace tasdsim::cli
