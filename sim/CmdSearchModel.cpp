// tasdsim search-model: TASDER on the real OCR recognition model with an accuracy target
// (docs/tasder.md). Candidates of every layer with constant weights are scored once on
// calibration digits; the greedy path of plans is then searched for the cheapest plan whose
// digit accuracy (a full pass over the search digits per check) is at least the target
// fraction of the original; the chosen plan is checked on held-out digits, compared with a
// uniform series and magnitude pruning at the same compute, and costed on the simulator.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/CliChecks.h"
#include "sim/Commands.h"
#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Output.h"
#include "sw/common/Table.h"
#include "sw/config/ArchConfig.h"
#include "sw/config/ConfigNode.h"
#include "sw/executor/DigitAccuracy.h"
#include "sw/executor/Executor.h"
#include "sw/executor/Parallel.h"
#include "sw/executor/TasdHook.h"
#include "sw/model/Onnx.h"
#include "sw/runtime/NetworkRun.h"
#include "sw/runtime/Preflight.h"
#include "sw/runtime/Report.h"
#include "sw/tasder/Scoring.h"
#include "sw/workload/Workload.h"

namespace tasdsim::cli {
namespace {

namespace fs = std::filesystem;
using executor::Executor;
using executor::GemmLayer;
using executor::LayerTasd;

struct SearchModelOptions {
  std::string arch;
  std::string denseArch = "configs/arch/dense_tc.yaml";
  std::string realdata = "realdata";
  double target = 0.99;
  std::string cost = "macs";
  std::string dtype = "int8";
  std::string operands = "W,A";
  size_t perClass = 100, first = 0, holdoutFirst = 100, calibrationFirst = 200,
         calibrationPerClass = 10;
  size_t calibrationRows = 64;
  size_t probePerClass = 1;
  size_t rounds = 4;
  size_t threads = 0;
  std::string out;
  bool overwrite = false;
  bool quiet = false;
};

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// One model, its digit sets and worker threads: the accuracy of executor settings.
class DigitBench {
 public:
  DigitBench(std::shared_ptr<const model::Graph> graph,
             std::array<size_t, executor::kDigitClasses> classIndex, size_t threads)
      : graph_(std::move(graph)), classIndex_(classIndex), threads_(threads) {}

  double accuracy(const std::vector<executor::LabelledDigit>& digits,
                  const std::vector<LayerTasd>& settings) const {
    std::vector<int> predictions(digits.size(), -1);
    executor::parallelRun<executor::TasdHook>(
        graph_, digits.size(), threads_,
        [&] { return std::make_unique<executor::TasdHook>(settings); },
        [&](Executor& ex, size_t i) {
          const std::vector<model::Tensor> out =
              ex.run({executor::ocrDigitInput(digits[i].pixels)});
          predictions[i] = executor::predictDigit(out.front(), classIndex_);
        });
    size_t correct = 0;
    for (size_t i = 0; i < digits.size(); ++i)
      correct += predictions[i] == digits[i].label;
    return digits.empty() ? 0.0 : static_cast<double>(correct) / static_cast<double>(digits.size());
  }

  // The ten digit scores the prediction is made from, for every digit image.
  std::vector<std::array<float, executor::kDigitClasses>> scores(
      const std::vector<executor::LabelledDigit>& digits,
      const std::vector<LayerTasd>& settings) const {
    std::vector<std::array<float, executor::kDigitClasses>> out(digits.size());
    executor::parallelRun<executor::TasdHook>(
        graph_, digits.size(), threads_,
        [&] { return std::make_unique<executor::TasdHook>(settings); },
        [&](Executor& ex, size_t i) {
          out[i] = executor::digitScores(
              ex.run({executor::ocrDigitInput(digits[i].pixels)}).front(), classIndex_);
        });
    return out;
  }

  template <typename Hook, typename MakeHook>
  std::vector<std::unique_ptr<Hook>> observe(const std::vector<executor::LabelledDigit>& digits,
                                             MakeHook makeHook) const {
    return executor::parallelRun<Hook>(
        graph_, digits.size(), threads_, makeHook,
        [&](Executor& ex, size_t i) { ex.run({executor::ocrDigitInput(digits[i].pixels)}); });
  }

 private:
  std::shared_ptr<const model::Graph> graph_;
  std::array<size_t, executor::kDigitClasses> classIndex_;
  size_t threads_;
};

// Network cycles and energy of one candidate per layer on an engine (timing-only simulation).
struct NetworkCost {
  double cycles = 0, energyPj = 0, seconds = 0, edp = 0;
};

// The whole network (every GEMM layer; the plan's, and the others dense) simulated timing-only,
// as `tasdsim run --timing-only` computes it.
NetworkCost simulate(const workload::Workload& w, const plan::Plan& p,
                     const config::ArchConfig& arch, tasd::DType dtype) {
  runtime::SimulationInputs in;
  in.workload = w;
  in.plan = p;
  in.params = arch.params;
  in.energy = arch.energy;
  in.options.functional = false;
  in.options.check = false;
  in.options.dtype = dtype;
  const runtime::NetworkTotals t = runtime::simulateTotalsIsolated(in);
  return NetworkCost{static_cast<double>(t.cycles), t.energyPj, t.seconds, t.edp};
}

int runSearchModel(const SearchModelOptions& o) {
  if (!(o.target > 0 && o.target <= 1))
    throw UserError(fmt::format("--target {}: must be in (0, 1]", o.target));
  if (o.perClass == 0) throw UserError("--per-class must be at least 1");
  if (o.rounds == 0) throw UserError("--rounds must be at least 1");
  if (o.probePerClass == 0 || o.probePerClass > o.calibrationPerClass)
    throw UserError(fmt::format("--probe {}: must be in [1, --calibration {}]", o.probePerClass,
                                o.calibrationPerClass));
  const tasd::DType dtype = tasd::parseDType(o.dtype);
  const config::ArchConfig arch = config::loadArch(o.arch);
  const config::ArchConfig dense = config::loadArch(o.denseArch);
  tasder::ScoringOptions so;
  so.operands.clear();
  {
    size_t start = 0;
    while (start <= o.operands.size()) {
      const size_t comma = o.operands.find(',', start);
      const std::string op =
          o.operands.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (op == "W") {
        so.operands.push_back(plan::Operand::W);
      } else if (op == "A") {
        so.operands.push_back(plan::Operand::A);
      } else {
        throw UserError(fmt::format("--operands '{}': expected W, A or W,A", o.operands));
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  so.calibrationRows = o.calibrationRows;
  so.calibrationImages = 4;
  if (o.cost != "macs" && o.cost != "cycles" && o.cost != "energy" && o.cost != "edp") {
    throw UserError(fmt::format("--cost '{}': expected macs, cycles, energy or edp", o.cost));
  }
  const fs::path modelPath = executor::realdataPath({}, o.realdata, executor::kRecModelFile);
  const fs::path keysPath = executor::realdataPath({}, o.realdata, executor::kKeysFile);
  const fs::path digitsPath = executor::realdataPath({}, o.realdata, executor::kDigitsDir);
  const std::string outDir = (o.out.empty() ? defaultOutputFolder("ocr-search-" + arch.params.name,
                                                                  "", o.arch + ": arch.name")
                                            : outputPathArgument(o.out, "--out"))
                                 .string();
  StagingDir dir(outDir, o.overwrite);
  const auto t0 = std::chrono::steady_clock::now();
  auto say = [&](const std::string& line) {
    if (!o.quiet) std::cerr << fmt::format("[{:6.1f} s] {}\n", seconds(t0), line);
  };

  const size_t threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  if (threads > 1) executor::setBlasThreads(1);
  workload::LoadOptions lo;
  lo.inputShape = {1, 3, executor::kOcrHeight, executor::kOcrWidth};
  const workload::Workload w = workload::load(modelPath.string(), lo);
  // Simulated costs run every layer on both engines: each must fit (timing only).
  for (const config::ArchConfig* engine : {&arch, &dense})
    runtime::checkRunFits(w, plan::Plan{}, engine->params, dtype, false);
  const std::shared_ptr<const model::Graph> graph = w.graph();
  const DigitBench bench(graph, executor::digitClassIndices(keysPath), threads);
  const auto searchDigits = executor::loadDigits(digitsPath, o.first, o.perClass);
  const auto holdoutDigits = executor::loadDigits(digitsPath, o.holdoutFirst, o.perClass);
  const auto calibDigits =
      executor::loadDigits(digitsPath, o.calibrationFirst, o.calibrationPerClass);

  const std::vector<GemmLayer>& gemms = w.gemms;
  std::vector<bool> selected;
  for (const GemmLayer& l : gemms)
    selected.push_back(l.constantWeights);

  // Calibration: operand samples (scoring) and |A| quantiles (tau of TASD-A).
  auto samplers = bench.observe<tasder::SampleHook>(
      calibDigits, [&] { return std::make_unique<tasder::SampleHook>(selected, so); });
  for (size_t t = 1; t < samplers.size(); ++t)
    samplers[0]->merge(*samplers[t]);
  auto calibrators = bench.observe<executor::CalibrationHook>(
      calibDigits, [&] { return std::make_unique<executor::CalibrationHook>(selected); });
  for (size_t t = 1; t < calibrators.size(); ++t)
    calibrators[0]->merge(*calibrators[t]);
  const executor::CalibrationHook& calibration = *calibrators[0];
  const std::vector<tasder::LayerSample> samples = samplers[0]->samples();
  say(fmt::format("calibrated {} layers on {} digits", samples.size(), calibDigits.size()));

  const tasder::EngineView engine = tasder::engineView(arch.params);
  std::vector<tasder::LayerChoices> layers = tasder::scoreLayers(samples, engine, so);
  // Each candidate's error at the network's output: the model run on a few digits with only
  // that layer changed; the relative change of the ten digit scores the prediction is made
  // from. Layers differ in how much of their own error reaches the output (the first
  // convolution and the classifier far more than their MACs suggest), so this ranks candidates
  // far better than the layer's own error; and the digit scores, unlike all 6625 class
  // probabilities (mostly the blank class), move when a prediction is at risk.
  std::vector<executor::LabelledDigit> probeDigits;
  for (size_t i = 0; i < calibDigits.size();
       i += std::max<size_t>(1, o.calibrationPerClass / o.probePerClass))
    probeDigits.push_back(calibDigits[i]);
  const auto reference = bench.scores(probeDigits, std::vector<LayerTasd>(gemms.size()));
  double ref2 = 0;
  for (const auto& y : reference)
    for (float v : y)
      ref2 += static_cast<double>(v) * v;
  std::vector<size_t> gemmOf;  // layers[l] is gemms[gemmOf[l]]
  for (size_t i = 0; i < gemms.size(); ++i)
    if (selected[i]) gemmOf.push_back(i);
  size_t candidates = 0, done = 0;
  for (const auto& l : layers)
    candidates += l.candidates.size() - 1;
  for (size_t l = 0; l < layers.size(); ++l) {
    for (tasder::Candidate& c : layers[l].candidates) {
      if (c.series.isDense()) continue;
      plan::Plan one;
      plan::LayerPlan lp{layers[l].name,
                         c.operand,
                         c.series,
                         -1,
                         c.operand == plan::Operand::A ? c.tauQuantile : -1,
                         std::nullopt,
                         std::nullopt};
      one.layers.push_back(lp);
      const auto y =
          bench.scores(probeDigits, executor::settingsOf(gemms, selected, one, &calibration));
      double d2 = 0;
      for (size_t i = 0; i < y.size(); ++i)
        for (size_t j = 0; j < y[i].size(); ++j) {
          const double d = static_cast<double>(y[i][j]) - reference[i][j];
          d2 += d * d;
        }
      c.error = ref2 > 0 ? std::sqrt(d2 / ref2) : 0.0;
      if (!o.quiet && isatty(STDERR_FILENO))
        std::cerr << fmt::format("\rscoring {}/{}", ++done, candidates) << std::flush;
    }
  }
  if (!o.quiet && isatty(STDERR_FILENO)) std::cerr << "\r";
  say(fmt::format("scored {} candidates of {} layers at the output ({} digits each)", candidates,
                  layers.size(), probeDigits.size()));
  if (o.cost != "macs") {
    tasder::simulatedCosts(layers, w, arch.params, arch.energy, o.cost, dtype);
    say(fmt::format("cost table: {} on {}", o.cost, arch.params.name));
  }

  // The search: each accuracy check is a pass over the search digits.
  size_t checks = 0;
  double checkSeconds = 0;
  auto accuracyOf = [&](const plan::Plan& p) {
    const auto start = std::chrono::steady_clock::now();
    const double acc =
        bench.accuracy(searchDigits, executor::settingsOf(gemms, selected, p, &calibration));
    checkSeconds += seconds(start);
    ++checks;
    say(fmt::format("accuracy check {}: {:.3f}", checks, acc));
    return acc;
  };
  tasder::SearchOptions opts;
  opts.scope = tasder::Scope::Accuracy;
  opts.target = o.target;
  opts.costName = o.cost;
  opts.qualityMeasure = "accuracy";
  opts.macWeighted = false;
  opts.accuracyRounds = o.rounds;
  const tasder::SearchResult r = tasder::search(layers, opts, accuracyOf);
  const double searchSeconds = seconds(t0);

  // The plan, checked against the engine and the model's layers like any plan.
  plan::Plan p = r.plan;
  p.name =
      fmt::format("PP-OCRv4 rec on {}: accuracy >= {} of the original", arch.params.name, o.target);
  p.qualityMeasure = "accuracy";
  p.qualityTarget = o.target;
  runtime::validatePlan(w, p, arch.params);

  // Held-out digits: the original and the plan.
  const std::vector<LayerTasd> none(gemms.size());
  const double holdBase = bench.accuracy(holdoutDigits, none);
  const double holdPlan =
      bench.accuracy(holdoutDigits, executor::settingsOf(gemms, selected, p, &calibration));
  say(fmt::format("held-out digits: original {:.3f}, plan {:.3f}", holdBase, holdPlan));

  // MACs of the plan and the baselines at the same compute.
  uint64_t macsAll = 0, macsSelected = 0;
  double macsPlan = 0;
  for (const GemmLayer& g : gemms)
    macsAll += g.macs();
  for (size_t l = 0; l < layers.size(); ++l) {
    macsSelected += layers[l].macs;
    macsPlan += layers[l].candidates[r.chosen[l]].series.computeFraction() *
                static_cast<double>(layers[l].macs);
  }
  const double planFraction = macsSelected ? macsPlan / static_cast<double>(macsSelected) : 1.0;
  // Uniform TASD-W: the cheapest series of the engine with at least the plan's compute.
  tasd::Series uniform = tasd::Series::dense();
  for (const tasd::Series& s : engine.series) {
    if (!s.isDense() && s.computeFraction() >= planFraction - 1e-9 &&
        (uniform.isDense() || s.computeFraction() < uniform.computeFraction()))
      uniform = s;
  }
  const std::vector<LayerTasd> uniformSettings = executor::settingsOf(
      gemms, selected, plan::Plan::uniform(uniform, plan::Operand::W), nullptr);
  // Magnitude pruning: every layer's weights to the density of its chosen series.
  std::vector<LayerTasd> pruneSettings(gemms.size());
  for (size_t l = 0, i = 0; i < gemms.size(); ++i) {
    if (!selected[i]) continue;
    pruneSettings[i].pruneDensity = layers[l].candidates[r.chosen[l]].series.computeFraction();
    ++l;
  }
  const double uniSearch = bench.accuracy(searchDigits, uniformSettings);
  const double uniHold = bench.accuracy(holdoutDigits, uniformSettings);
  const double pruneSearch = bench.accuracy(searchDigits, pruneSettings);
  const double pruneHold = bench.accuracy(holdoutDigits, pruneSettings);
  say(fmt::format("baselines: uniform W {} {:.3f}/{:.3f}, magnitude pruning {:.3f}/{:.3f}",
                  uniform.str(), uniSearch, uniHold, pruneSearch, pruneHold));

  // Simulated cycles, energy and EDP: the plan and dense on this engine, dense on the dense engine.
  const plan::Plan densePlan;
  const NetworkCost planCost = simulate(w, p, arch, dtype);
  const NetworkCost baseCost = simulate(w, densePlan, arch, dtype);
  const NetworkCost denseCost = simulate(w, densePlan, dense, dtype);
  say(fmt::format("simulated EDP: plan {:.4g}, this engine dense {:.4g}, {} {:.4g} J*s",
                  planCost.edp, baseCost.edp, dense.params.name, denseCost.edp));

  // Outputs.
  writeFileAtomic(dir.file("plan.yaml"), p.toYaml());
  writeFileAtomic(dir.file("experiment.yaml"),
                  fmt::format("experiment:\n  name: ppocrv4_rec_{}\n  arch: {}\n  workload: {}\n  "
                              "input_shape: [1, 3, {}, {}]\n"
                              "  plan: {{file: plan.yaml}}\n  dtype: {}\n  timing_only: true\n",
                              arch.params.name, fs::absolute(o.arch).lexically_normal().string(),
                              fs::absolute(modelPath).lexically_normal().string(),
                              executor::kOcrHeight, executor::kOcrWidth, tasd::dtypeName(dtype)));
  TextTable table({"layer", "MACs", "operand", "series", "tau_q", "cost", "error"});
  nlohmann::json jl = nlohmann::json::array();
  for (size_t l = 0; l < layers.size(); ++l) {
    const tasder::Candidate& c = layers[l].candidates[r.chosen[l]];
    table.add({layers[l].name, std::to_string(layers[l].macs), plan::operandName(c.operand),
               c.series.str(), c.tauQuantile >= 0 ? fmt::format("{:.2f}", c.tauQuantile) : "-",
               fmt::format("{:.4g}", c.cost), fmt::format("{:.4f}", c.error)});
    jl.push_back({{"name", layers[l].name},
                  {"macs", layers[l].macs},
                  {"operand", plan::operandName(c.operand)},
                  {"series", c.series.str()},
                  {"tau_quantile", c.tauQuantile},
                  {"cost", c.cost},
                  {"output_error", c.error}});
  }
  auto costJson = [](const NetworkCost& c) {
    return nlohmann::json{{"cycles", c.cycles}, {"energy_pj", c.energyPj}, {"edp_js", c.edp}};
  };
  nlohmann::json evals = nlohmann::json::array();
  for (const tasder::Evaluation& e : r.evaluations) {
    // The layers this state leaves structured, and how.
    nlohmann::json structured = nlohmann::json::object();
    for (size_t l = 0; l < layers.size(); ++l) {
      const tasder::Candidate& c = layers[l].candidates[e.chosen[l]];
      if (!c.series.isDense())
        structured[layers[l].name] =
            fmt::format("{} {}", plan::operandName(c.operand), c.series.str());
    }
    evals.push_back({{"round", e.round},
                     {"path_index", e.pathIndex},
                     {"accuracy", e.accuracy},
                     {"cost", e.cost},
                     {"structured", structured}});
  }
  const double macReduction = 1.0 - planFraction;
  const nlohmann::json summary{
      {"model", modelPath.filename().string()},
      {"arch", arch.params.name},
      {"quality", {{"measure", "accuracy"}, {"target", o.target}}},
      {"cost_unit", o.cost},
      {"dtype", tasd::dtypeName(dtype)},
      {"search_digits", {{"first", o.first}, {"per_class", o.perClass}}},
      {"holdout_digits", {{"first", o.holdoutFirst}, {"per_class", o.perClass}}},
      {"accuracy",
       {{"original", r.baselineAccuracy},
        {"plan", r.accuracy},
        {"holdout_original", holdBase},
        {"holdout_plan", holdPlan}}},
      {"mac_fraction_of_searched_layers", planFraction},
      {"mac_reduction", macReduction},
      {"macs_searched_layers", macsSelected},
      {"macs_all_layers", macsAll},
      {"baselines",
       {{"uniform_w",
         {{"series", uniform.str()},
          {"mac_fraction", uniform.computeFraction()},
          {"accuracy", uniSearch},
          {"holdout_accuracy", uniHold}}},
        {"magnitude_pruning",
         {{"mac_fraction", planFraction},
          {"accuracy", pruneSearch},
          {"holdout_accuracy", pruneHold}}}}},
      {"simulated",
       {{"plan", costJson(planCost)},
        {"engine_dense", costJson(baseCost)},
        {"dense_engine", costJson(denseCost)},
        {"dense_engine_name", dense.params.name},
        {"edp_vs_engine_dense", baseCost.edp > 0 ? planCost.edp / baseCost.edp : 0.0},
        {"edp_vs_dense_engine", denseCost.edp > 0 ? planCost.edp / denseCost.edp : 0.0}}},
      {"search",
       {{"path_length", r.pathLength},
        {"accuracy_checks", checks},
        {"evaluations", evals},
        {"seconds", searchSeconds},
        {"accuracy_check_seconds", checkSeconds}}},
      {"layers", jl}};
  writeFileAtomic(dir.file("search.json"), summary.dump(1) + "\n");
  std::ostringstream os;
  os << fmt::format("PP-OCRv4 rec on {}: digit accuracy >= {} x original, cost in {}\n",
                    arch.params.name, o.target, o.cost);
  table.print(os);
  os << fmt::format(
      "accuracy {:.3f} of original {:.3f} (held-out {:.3f} of {:.3f}); MACs {:.1f}% less in the {} "
      "layers with weights\n",
      r.accuracy, r.baselineAccuracy, holdPlan, holdBase, 100.0 * macReduction, layers.size());
  os << fmt::format(
      "same compute: uniform TASD-W {} {:.3f} (held-out {:.3f}); magnitude pruning {:.3f} "
      "(held-out "
      "{:.3f})\n",
      uniform.str(), uniSearch, uniHold, pruneSearch, pruneHold);
  os << fmt::format("simulated EDP: {:.3f} x this engine dense, {:.3f} x {}\n",
                    baseCost.edp > 0 ? planCost.edp / baseCost.edp : 0.0,
                    denseCost.edp > 0 ? planCost.edp / denseCost.edp : 0.0, dense.params.name);
  os << fmt::format(
      "search {:.1f} s: {} accuracy checks ({:.1f} s) in up to {} rounds over paths of up to {} "
      "plans\n",
      searchSeconds, checks, checkSeconds, opts.accuracyRounds, r.pathLength);
  writeFileAtomic(dir.file("summary.txt"), os.str());
  dir.commit();
  std::cout << os.str() << "wrote " << outDir << "/ (simulate it: tasdsim run " << outDir
            << "/experiment.yaml)\n";
  return 0;
}

}  // namespace

void addSearchModelCommand(CLI::App& app, int& exitCode) {
  auto o = std::make_shared<SearchModelOptions>();
  CLI::App* cmd = app.add_subcommand(
      "search-model",
      "Find a per-layer TASD plan for the real OCR model with a digit-accuracy target (TASDER)");
  cmd->add_option("--arch", o->arch, "Arch config of the engine (configs/arch/*.yaml)")->required();
  cmd->add_option("--dense-arch", o->denseArch, "The dense engine to compare with")
      ->capture_default_str();
  cmd->add_option("--target", o->target, "Keep at least this fraction of the original accuracy")
      ->capture_default_str()
      ->check(finiteIn(0, 1));
  cmd->add_option("--cost", o->cost, "What the search minimises: macs, cycles, energy or edp")
      ->capture_default_str();
  cmd->add_option("--dtype", o->dtype, "Value type of the simulated costs: int8, bf16 or fp32")
      ->capture_default_str();
  cmd->add_option("--operands", o->operands, "Structured operands to try: W, A or W,A")
      ->capture_default_str();
  cmd->add_option("--realdata", o->realdata, "Folder made by scripts/fetch_realdata.sh")
      ->capture_default_str();
  cmd->add_option("--per-class", o->perClass, "Search (and held-out) digits per class")
      ->capture_default_str()
      ->check(integerIn(1, kMaxDigitsPerClass));
  cmd->add_option("--first", o->first, "First search digit of each class")
      ->capture_default_str()
      ->check(integerIn(0, kMaxDigitsPerClass));
  cmd->add_option("--holdout-first", o->holdoutFirst, "First held-out digit of each class")
      ->capture_default_str()
      ->check(integerIn(0, kMaxDigitsPerClass));
  cmd->add_option("--calibration-first", o->calibrationFirst,
                  "First calibration digit of each class")
      ->capture_default_str()
      ->check(integerIn(0, kMaxDigitsPerClass));
  cmd->add_option("--calibration", o->calibrationPerClass, "Calibration digits per class")
      ->capture_default_str()
      ->check(integerIn(1, kMaxDigitsPerClass));
  cmd->add_option("--probe", o->probePerClass,
                  "Calibration digits per class that score each candidate at the output")
      ->capture_default_str()
      ->check(integerIn(1, kMaxDigitsPerClass));
  cmd->add_option("--rounds", o->rounds,
                  "Binary-search rounds (each holds the layer that broke the last one)")
      ->capture_default_str()
      ->check(integerIn(1, 64));
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)")
      ->check(integerIn(1, kMaxThreads));
  cmd->add_option("--out,-o", o->out,
                  "Output folder (default out/ocr-search-<engine>; must not exist)");
  cmd->add_flag("--overwrite", o->overwrite,
                "Replace the output folder if it is one tasdsim wrote");
  cmd->add_flag("--quiet,-q", o->quiet, "No progress output");
  cmd->callback([o, &exitCode] { exitCode = runSearchModel(*o); });
}

}  // namespace tasdsim::cli
