#include "sw/tasder/ModelSearch.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <memory>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sw/common/Error.h"
#include "sw/common/Table.h"
#include "sw/common/Text.h"
#include "sw/config/ArchConfig.h"
#include "sw/executor/Executor.h"
#include "sw/executor/Parallel.h"
#include "sw/executor/TasdHook.h"
#include "sw/io/Npy.h"
#include "sw/runtime/HostComparison.h"
#include "sw/runtime/NetworkRun.h"
#include "sw/runtime/Preflight.h"
#include "sw/runtime/Report.h"
#include "sw/tasder/Scoring.h"

namespace tasdsim::tasder {
namespace {

namespace fs = std::filesystem;
using executor::Executor;
using executor::GemmLayer;
using executor::LayerTasd;

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int bestClass(const std::vector<float>& scores) {
  int best = 0;
  for (size_t c = 1; c < scores.size(); ++c) {
    if (scores[c] > scores[static_cast<size_t>(best)]) best = static_cast<int>(c);  // ties: lower
  }
  return best;
}

// One model, its score function and worker threads: accuracy and scores of executor settings.
class Bench {
 public:
  Bench(std::shared_ptr<const model::Graph> graph, ScoreFunction scores, size_t threads)
      : graph_(std::move(graph)), scores_(std::move(scores)), threads_(threads) {}

  double accuracy(const LabelledSet& set, const std::vector<LayerTasd>& settings) const {
    std::vector<int> predictions(set.size(), -1);
    executor::parallelRun<executor::TasdHook>(
        graph_, set.size(), threads_,
        [&] { return std::make_unique<executor::TasdHook>(settings); },
        [&](Executor& ex, size_t i) {
          predictions[i] = bestClass(scores_(ex.run({set.input(i)}).front()));
        });
    size_t correct = 0;
    for (size_t i = 0; i < set.size(); ++i)
      correct += predictions[i] == set.labels[i];
    return set.size() == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(set.size());
  }

  std::vector<std::vector<float>> scores(const LabelledSet& set,
                                         const std::vector<LayerTasd>& settings) const {
    std::vector<std::vector<float>> out(set.size());
    executor::parallelRun<executor::TasdHook>(
        graph_, set.size(), threads_,
        [&] { return std::make_unique<executor::TasdHook>(settings); },
        [&](Executor& ex, size_t i) { out[i] = scores_(ex.run({set.input(i)}).front()); });
    return out;
  }

  template <typename Hook, typename MakeHook>
  std::vector<std::unique_ptr<Hook>> observe(const LabelledSet& set, MakeHook makeHook) const {
    return executor::parallelRun<Hook>(graph_, set.size(), threads_, makeHook,
                                       [&](Executor& ex, size_t i) { ex.run({set.input(i)}); });
  }

 private:
  std::shared_ptr<const model::Graph> graph_;
  ScoreFunction scores_;
  size_t threads_;
};

struct NetworkCost {
  double cycles = 0, energyPj = 0, seconds = 0, edp = 0;
};

// The whole network (every GEMM layer; the plan's, and the others dense) simulated timing-only,
// as `tasdsim run --timing-only` computes it (int8: through the requantising output path).
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
  if (dtype == tasd::DType::I8) in.options.int8Scales = runtime::outputPathScales(w, nullptr);
  const runtime::NetworkTotals t = runtime::simulateTotalsIsolated(in);
  return NetworkCost{static_cast<double>(t.cycles), t.energyPj, t.seconds, t.edp};
}

std::vector<plan::Operand> parseOperands(const std::string& text) {
  std::vector<plan::Operand> out;
  for (const std::string& op : splitCommas(text)) {
    if (op == "W") {
      out.push_back(plan::Operand::W);
    } else if (op == "A") {
      out.push_back(plan::Operand::A);
    } else {
      throw UserError(fmt::format("--operands '{}': expected W, A or W,A", text));
    }
  }
  return out;
}

// Every label of a split is a class of the model.
void checkLabels(const LabelledSet& set, size_t classes, const std::string& source) {
  for (size_t i = 0; i < set.size(); ++i) {
    if (set.labels[i] < 0 || static_cast<size_t>(set.labels[i]) >= classes) {
      throw UserError(fmt::format(
          "{}: label {} of example {} of {} is not one of the model's {} classes (0-{})", source,
          set.labels[i], i, set.description, classes, classes - 1));
    }
  }
}

}  // namespace

void checkModelSearchOptions(const ModelSearchOptions& o) {
  if (!(o.target > 0 && o.target <= 1))
    throw UserError(fmt::format("--target {}: must be in (0, 1]", o.target));
  if (o.rounds == 0) throw UserError("--rounds must be at least 1");
  if (o.cost != "macs" && o.cost != "cycles" && o.cost != "energy" && o.cost != "edp")
    throw UserError(fmt::format("--cost '{}': expected macs, cycles, energy or edp", o.cost));
  (void)tasd::parseDType(o.dtype);
  (void)parseOperands(o.operands);
}

ModelSearchReport searchModel(const ModelSearchData& data, const ModelSearchOptions& o) {
  checkModelSearchOptions(o);
  for (const LabelledSet* s : {&data.search, &data.test, &data.calibration, &data.probe}) {
    if (s->size() == 0 || !s->input)
      throw UserError(fmt::format("{}: no examples", s->description));
  }
  const tasd::DType dtype = tasd::parseDType(o.dtype);
  const config::ArchConfig arch = config::loadArch(o.arch);
  const config::ArchConfig dense = config::loadArch(o.denseArch);
  ScoringOptions so;
  so.operands = parseOperands(o.operands);
  so.calibrationRows = o.calibrationRows;
  so.calibrationImages = 4;
  const auto t0 = std::chrono::steady_clock::now();
  auto say = [&](const std::string& line) {
    if (o.say) o.say(fmt::format("[{:6.1f} s] {}", seconds(t0), line));
  };

  const size_t threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  if (threads > 1) executor::setBlasThreads(1);
  const workload::Workload& w = data.workload;
  // Simulated costs run every layer on both engines: each must fit (timing only).
  for (const config::ArchConfig* engine : {&arch, &dense})
    runtime::checkRunFits(
        w, plan::Plan{}, engine->params, dtype, false,
        runtime::MapperOptions{runtime::MapperObjective::Cycles, &engine->energy});
  const std::shared_ptr<const model::Graph> graph = w.graph();
  const Bench bench(graph, data.scores, threads);

  const std::vector<GemmLayer>& gemms = w.gemms;
  std::vector<bool> selected;
  for (const GemmLayer& l : gemms)
    selected.push_back(l.constantWeights);
  const std::vector<LayerTasd> none(gemms.size());

  // The model's classes (from one output) bound every split's labels.
  const std::vector<std::vector<float>> reference = bench.scores(data.probe, none);
  const size_t classes = reference.front().size();
  if (classes < 2)
    throw UserError(
        fmt::format("{}: the model's output gives {} class score(s); a classifier "
                    "needs at least 2",
                    data.model.string(), classes));
  for (const LabelledSet* s : {&data.search, &data.test, &data.calibration, &data.probe})
    checkLabels(*s, classes, data.labelSource);

  // Calibration: operand samples (scoring) and |A| quantiles (tau of TASD-A).
  auto samplers = bench.observe<SampleHook>(
      data.calibration, [&] { return std::make_unique<SampleHook>(selected, so); });
  for (size_t t = 1; t < samplers.size(); ++t)
    samplers[0]->merge(*samplers[t]);
  auto calibrators = bench.observe<executor::CalibrationHook>(
      data.calibration, [&] { return std::make_unique<executor::CalibrationHook>(selected); });
  for (size_t t = 1; t < calibrators.size(); ++t)
    calibrators[0]->merge(*calibrators[t]);
  const executor::CalibrationHook& calibration = *calibrators[0];
  const std::vector<LayerSample> samples = samplers[0]->samples();
  say(fmt::format("calibrated {} layers on {} examples", samples.size(), data.calibration.size()));

  const EngineView engine = engineView(arch.params);
  std::vector<LayerChoices> layers = scoreLayers(samples, engine, so);
  // Each candidate's error at the network's output: the model run on the probe examples with
  // only that layer changed; the relative change of the class scores the prediction is made
  // from. Layers differ in how much of their own error reaches the output (docs/tasder.md), so
  // this ranks candidates far better than the layer's own error.
  double ref2 = 0;
  for (const auto& y : reference)
    for (float v : y)
      ref2 += static_cast<double>(v) * v;
  size_t candidates = 0, done = 0;
  for (const auto& l : layers)
    candidates += l.candidates.size() - 1;
  for (size_t l = 0; l < layers.size(); ++l) {
    for (Candidate& c : layers[l].candidates) {
      if (c.series.isDense()) continue;
      plan::Plan one;
      one.layers.push_back(plan::LayerPlan{layers[l].name, c.operand, c.series, -1,
                                           c.operand == plan::Operand::A ? c.tauQuantile : -1,
                                           std::nullopt, std::nullopt});
      const auto y =
          bench.scores(data.probe, executor::settingsOf(gemms, selected, one, &calibration));
      double d2 = 0;
      for (size_t i = 0; i < y.size(); ++i)
        for (size_t j = 0; j < y[i].size() && j < reference[i].size(); ++j) {
          const double d = static_cast<double>(y[i][j]) - reference[i][j];
          d2 += d * d;
        }
      c.error = ref2 > 0 ? std::sqrt(d2 / ref2) : 0.0;
      if (o.scoring) o.scoring(++done, candidates);
    }
  }
  say(fmt::format("scored {} candidates of {} layers at the output ({} examples each)", candidates,
                  layers.size(), data.probe.size()));
  if (o.cost != "macs") {
    simulatedCosts(layers, w, arch.params, arch.energy, o.cost, dtype);
    say(fmt::format("cost table: {} on {}", o.cost, arch.params.name));
  }

  // The search: each accuracy check is a pass over the search split.
  size_t checks = 0;
  double checkSeconds = 0;
  auto accuracyOf = [&](const plan::Plan& p) {
    const auto start = std::chrono::steady_clock::now();
    const double acc =
        bench.accuracy(data.search, executor::settingsOf(gemms, selected, p, &calibration));
    checkSeconds += seconds(start);
    ++checks;
    say(fmt::format("accuracy check {}: {:.3f}", checks, acc));
    return acc;
  };
  SearchOptions opts;
  opts.scope = Scope::Accuracy;
  opts.target = o.target;
  opts.costName = o.cost;
  opts.qualityMeasure = "accuracy";
  opts.macWeighted = false;
  opts.accuracyRounds = o.rounds;
  const SearchResult r = search(layers, opts, accuracyOf);
  const double searchSeconds = seconds(t0);

  // The plan, checked against the engine and the model's layers like any plan.
  ModelSearchReport report;
  plan::Plan& p = report.plan;
  p = r.plan;
  p.name = fmt::format("{} on {}: accuracy >= {} of the original", data.title, arch.params.name,
                       o.target);
  p.qualityMeasure = "accuracy";
  p.qualityTarget = o.target;
  runtime::validatePlan(w, p, arch.params);

  // The test split: the original and the plan.
  const double testBase = bench.accuracy(data.test, none);
  const double testPlan =
      bench.accuracy(data.test, executor::settingsOf(gemms, selected, p, &calibration));
  say(fmt::format("{}: original {:.3f}, plan {:.3f}", data.testName, testBase, testPlan));

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
  size_t blockM = 0;
  for (const tasd::Series& s : engine.series) {
    blockM = std::max<size_t>(blockM, s.maxBlockSize());
    if (!s.isDense() && s.computeFraction() >= planFraction - 1e-9 &&
        (uniform.isDense() || s.computeFraction() < uniform.computeFraction()))
      uniform = s;
  }
  // Uniform N:M pruning (one term, any N, the engine's largest M): the smallest N with at least
  // the plan's compute; what pruning to one N:M pattern without fine-tuning keeps.
  if (blockM == 0) blockM = 8;
  size_t nmN = static_cast<size_t>(std::ceil(planFraction * static_cast<double>(blockM) - 1e-9));
  nmN = std::max<size_t>(1, nmN);
  const tasd::Series nmSeries = nmN >= blockM
                                    ? tasd::Series::dense()
                                    : tasd::Series::parse(fmt::format("{}:{}", nmN, blockM));
  const auto uniformSettings = executor::settingsOf(
      gemms, selected, plan::Plan::uniform(uniform, plan::Operand::W), nullptr);
  const auto nmSettings = executor::settingsOf(
      gemms, selected, plan::Plan::uniform(nmSeries, plan::Operand::W), nullptr);
  // Unstructured magnitude pruning: every layer's weights to the density of its chosen series.
  std::vector<LayerTasd> pruneSettings(gemms.size());
  for (size_t l = 0, i = 0; i < gemms.size(); ++i) {
    if (!selected[i]) continue;
    pruneSettings[i].pruneDensity = layers[l].candidates[r.chosen[l]].series.computeFraction();
    ++l;
  }
  const double uniSearch = bench.accuracy(data.search, uniformSettings);
  const double uniTest = bench.accuracy(data.test, uniformSettings);
  const double nmSearch = bench.accuracy(data.search, nmSettings);
  const double nmTest = bench.accuracy(data.test, nmSettings);
  const double pruneSearch = bench.accuracy(data.search, pruneSettings);
  const double pruneTest = bench.accuracy(data.test, pruneSettings);
  say(fmt::format(
      "baselines: uniform W {} {:.3f}/{:.3f}, N:M pruning {} {:.3f}/{:.3f}, "
      "magnitude pruning {:.3f}/{:.3f}",
      uniform.str(), uniSearch, uniTest, nmSeries.str(), nmSearch, nmTest, pruneSearch, pruneTest));

  // Simulated cycles, energy and EDP: the plan and dense on this engine, dense on the dense engine.
  const plan::Plan densePlan;
  const NetworkCost planCost = simulate(w, p, arch, dtype);
  const NetworkCost baseCost = simulate(w, densePlan, arch, dtype);
  const NetworkCost denseCost = simulate(w, densePlan, dense, dtype);
  say(fmt::format("simulated EDP: plan {:.4g}, this engine dense {:.4g}, {} {:.4g} J*s",
                  planCost.edp, baseCost.edp, dense.params.name, denseCost.edp));

  // Outputs.
  std::string shape;
  for (size_t i = 0; i < data.inputShape.size(); ++i)
    shape += (i ? ", " : "") + std::to_string(data.inputShape[i]);
  std::string expName = arch.params.name + "_" + data.model.stem().string();
  for (char& ch : expName)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-') ch = '_';
  report.experimentYaml = fmt::format(
      "experiment:\n  name: {}\n  arch: {}\n  workload: {}\n  input_shape: [{}]\n"
      "  plan: {{file: plan.yaml}}\n  dtype: {}\n  timing_only: true\n",
      expName, fs::absolute(fs::path(o.arch)).lexically_normal().string(),
      fs::absolute(data.model).lexically_normal().string(), shape, tasd::dtypeName(dtype));
  TextTable table({"layer", "MACs", "operand", "series", "tau_q", "cost", "error"});
  nlohmann::json jl = nlohmann::json::array();
  for (size_t l = 0; l < layers.size(); ++l) {
    const Candidate& c = layers[l].candidates[r.chosen[l]];
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
  for (const Evaluation& e : r.evaluations) {
    // The layers this state leaves structured, and how.
    nlohmann::json structured = nlohmann::json::object();
    for (size_t l = 0; l < layers.size(); ++l) {
      const Candidate& c = layers[l].candidates[e.chosen[l]];
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
  const double edpVsEngine = baseCost.edp > 0 ? planCost.edp / baseCost.edp : 0.0;
  const double edpVsDense = denseCost.edp > 0 ? planCost.edp / denseCost.edp : 0.0;
  nlohmann::json desc = data.description;
  desc["search"] = data.search.description;
  desc["test"] = data.test.description;
  desc["calibration"] = data.calibration.description;
  desc["probe"] = data.probe.description;
  desc["classes"] = classes;
  report.summary = nlohmann::json{{"model", data.model.filename().string()},
                                  {"title", data.title},
                                  {"arch", arch.params.name},
                                  {"quality", {{"measure", "accuracy"}, {"target", o.target}}},
                                  {"cost_unit", o.cost},
                                  {"dtype", tasd::dtypeName(dtype)},
                                  {"data", desc},
                                  {"accuracy",
                                   {{"original", r.baselineAccuracy},
                                    {"plan", r.accuracy},
                                    {"holdout_original", testBase},
                                    {"holdout_plan", testPlan}}},
                                  {"mac_fraction_of_searched_layers", planFraction},
                                  {"mac_reduction", macReduction},
                                  {"macs_searched_layers", macsSelected},
                                  {"macs_all_layers", macsAll},
                                  {"baselines",
                                   {{"uniform_w",
                                     {{"series", uniform.str()},
                                      {"mac_fraction", uniform.computeFraction()},
                                      {"accuracy", uniSearch},
                                      {"holdout_accuracy", uniTest}}},
                                    {"nm_pruning",
                                     {{"series", nmSeries.str()},
                                      {"mac_fraction", nmSeries.computeFraction()},
                                      {"accuracy", nmSearch},
                                      {"holdout_accuracy", nmTest}}},
                                    {"magnitude_pruning",
                                     {{"mac_fraction", planFraction},
                                      {"accuracy", pruneSearch},
                                      {"holdout_accuracy", pruneTest}}}}},
                                  {"simulated",
                                   {{"plan", costJson(planCost)},
                                    {"engine_dense", costJson(baseCost)},
                                    {"dense_engine", costJson(denseCost)},
                                    {"dense_engine_name", dense.params.name},
                                    {"edp_vs_engine_dense", edpVsEngine},
                                    {"edp_vs_dense_engine", edpVsDense}}},
                                  {"search",
                                   {{"path_length", r.pathLength},
                                    {"accuracy_checks", checks},
                                    {"evaluations", evals},
                                    {"seconds", searchSeconds},
                                    {"accuracy_check_seconds", checkSeconds}}},
                                  {"layers", jl}};
  std::ostringstream os;
  os << fmt::format("{} on {}: accuracy >= {} x original, cost in {}\n", data.title,
                    arch.params.name, o.target, o.cost);
  table.print(os);
  os << fmt::format(
      "accuracy {:.3f} of original {:.3f} ({} {:.3f} of {:.3f}); MACs {:.1f}% less in the {} "
      "layers with weights\n",
      r.accuracy, r.baselineAccuracy, data.testName, testPlan, testBase, 100.0 * macReduction,
      layers.size());
  os << fmt::format(
      "same compute: uniform TASD-W {} {:.3f} (test {:.3f}); N:M pruning {} {:.3f} (test {:.3f}); "
      "magnitude pruning {:.3f} (test {:.3f})\n",
      uniform.str(), uniSearch, uniTest, nmSeries.str(), nmSearch, nmTest, pruneSearch, pruneTest);
  os << fmt::format("simulated EDP: {:.3f} x this engine dense, {:.3f} x {}\n", edpVsEngine,
                    edpVsDense, dense.params.name);
  os << fmt::format(
      "search {:.1f} s: {} accuracy checks ({:.1f} s) in up to {} rounds over paths of up to {} "
      "plans\n",
      searchSeconds, checks, checkSeconds, opts.accuracyRounds, r.pathLength);
  report.text = os.str();
  return report;
}

void writeModelSearch(const ModelSearchReport& report, const StagingDir& dir) {
  writeFileAtomic(dir.file("plan.yaml"), report.plan.toYaml());
  writeFileAtomic(dir.file("experiment.yaml"), report.experimentYaml);
  writeFileAtomic(dir.file("search.json"), report.summary.dump(1) + "\n");
  writeFileAtomic(dir.file("summary.txt"), report.text);
}

std::shared_ptr<const ArrayLabelledData> makeLabelledData(const std::vector<size_t>& shape,
                                                          std::vector<float> values,
                                                          const std::vector<int64_t>& labels,
                                                          const std::string& inputsName,
                                                          const std::string& labelsName) {
  auto d = std::make_shared<ArrayLabelledData>();
  d->inputsName = inputsName;
  d->labelsName = labelsName;
  if (shape.size() < 2 || shape[0] == 0)
    throw UserError(
        fmt::format("{}: inputs must be N x C x H x W (one example per row), got "
                    "shape ({})",
                    inputsName, fmt::join(shape, ", ")));
  size_t per = 1;
  for (size_t i = 1; i < shape.size(); ++i) {
    if (shape[i] == 0)
      throw UserError(fmt::format("{}: an example of shape ({}) has no values", inputsName,
                                  fmt::join(shape, ", ")));
    per *= shape[i];
  }
  if (values.size() != shape[0] * per)
    throw UserError(fmt::format("{}: {} values for shape ({})", inputsName, values.size(),
                                fmt::join(shape, ", ")));
  if (labels.size() != shape[0])
    throw UserError(fmt::format("{}: {} labels for the {} examples of {}", labelsName,
                                labels.size(), shape[0], inputsName));
  d->exampleShape.push_back(1);
  for (size_t i = 1; i < shape.size(); ++i)
    d->exampleShape.push_back(static_cast<int64_t>(shape[i]));
  d->values = std::move(values);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] > 1000000)
      throw UserError(
          fmt::format("{}: label {} of example {} is not a class index", labelsName, labels[i], i));
    d->labels.push_back(static_cast<int>(labels[i]));
  }
  return d;
}

std::shared_ptr<const ArrayLabelledData> loadNpyLabelledData(const fs::path& inputs,
                                                             const fs::path& labels) {
  const io::NpyArray x = io::readNpy(inputs);
  if (x.type != io::NpyType::F32 && x.type != io::NpyType::F16)
    throw UserError(fmt::format("{}: inputs must be float32 or float16, not {}", inputs.string(),
                                io::npyTypeName(x.type)));
  const io::NpyArray y = io::readNpy(labels);
  if (y.type != io::NpyType::I64 && y.type != io::NpyType::I8)
    throw UserError(fmt::format("{}: labels must be int64 or int8, not {}", labels.string(),
                                io::npyTypeName(y.type)));
  if (y.shape.size() != 1)
    throw UserError(fmt::format("{}: labels must be one-dimensional (N), got shape ({})",
                                labels.string(), fmt::join(y.shape, ", ")));
  return makeLabelledData(x.shape, x.toFloat(), y.toInt64(), inputs.string(), labels.string());
}

LabelledSet sliceOf(const std::shared_ptr<const ArrayLabelledData>& data, size_t begin,
                    size_t end) {
  LabelledSet s;
  s.labels.assign(data->labels.begin() + static_cast<long>(begin),
                  data->labels.begin() + static_cast<long>(end));
  s.description = fmt::format("examples {}-{} of {}", begin, end - 1,
                              fs::path(data->inputsName).filename().string());
  const size_t per = data->values.size() / data->size();
  s.input = [data, per, begin](size_t i) {
    const float* p = data->values.data() + (begin + i) * per;
    return model::Tensor::floats(data->exampleShape, std::vector<float>(p, p + per));
  };
  return s;
}

ModelSearchData classifierData(const std::string& modelPath,
                               const std::shared_ptr<const ArrayLabelledData>& data,
                               const ClassifierSplits& splits) {
  if (splits.search.empty() || splits.test.empty())
    throw UserError(
        "a classifier search needs a search split and a test split "
        "(--search-split, --test-split)");
  if (splits.probe == 0) throw UserError("--probe-examples must be at least 1");
  const SplitRange search = parseSplit(splits.search, "--search-split", data->size());
  const SplitRange test = parseSplit(splits.test, "--test-split", data->size());
  SplitRange calib{search.begin, std::min(search.end, search.begin + 100)};
  if (!splits.calibration.empty())
    calib = parseSplit(splits.calibration, "--calibration-split", data->size());
  auto overlap = [](const SplitRange& a, const SplitRange& b) {
    return a.begin < b.end && b.begin < a.end;
  };
  if (overlap(search, test))
    throw UserError(
        fmt::format("--search-split {} and --test-split {} overlap: the test split "
                    "must be held out from the search",
                    splits.search, splits.test));
  if (overlap(calib, test))
    throw UserError(
        fmt::format("--calibration-split {}:{} and --test-split {} overlap: the test "
                    "split must be held out from the search",
                    calib.begin, calib.end, splits.test));
  if (!fs::exists(modelPath)) throw UserError(fmt::format("{}: not found", modelPath));
  ModelSearchData d;
  d.model = modelPath;
  d.title = d.model.stem().string();
  d.inputShape = data->exampleShape;
  workload::LoadOptions lo;
  lo.inputShape = d.inputShape;
  try {
    d.workload = workload::load(modelPath, lo);
  } catch (const UserError& e) {
    // When the model loads with its own input shape, the examples are what does not fit.
    try {
      (void)workload::load(modelPath, workload::LoadOptions{});
    } catch (const UserError&) {
      throw e;
    }
    throw UserError(fmt::format("{}: examples of shape {} do not fit the model: {}",
                                data->inputsName, model::shapeString(d.inputShape), e.what()));
  }
  d.scores = classifierScores;
  d.labelSource = data->labelsName;
  d.search = sliceOf(data, search.begin, search.end);
  d.test = sliceOf(data, test.begin, test.end);
  d.calibration = sliceOf(data, calib.begin, calib.end);
  d.probe = sliceOf(data, calib.begin, std::min(calib.end, calib.begin + splits.probe));
  d.description = {{"protocol", "labelled"},
                   {"inputs", fs::path(data->inputsName).filename().string()},
                   {"labels", fs::path(data->labelsName).filename().string()},
                   {"examples", data->size()},
                   {"search_split", {search.begin, search.end}},
                   {"test_split", {test.begin, test.end}},
                   {"calibration_split", {calib.begin, calib.end}}};
  return d;
}

SplitRange parseSplit(const std::string& text, const std::string& option, size_t examples) {
  const size_t colon = text.find(':');
  auto number = [&](const std::string& t, size_t& v) {
    if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos)
      return false;
    v = static_cast<size_t>(std::stoull(t));
    return true;
  };
  SplitRange r;
  if (colon == std::string::npos || !number(text.substr(0, colon), r.begin) ||
      !number(text.substr(colon + 1), r.end))
    throw UserError(
        fmt::format("{} '{}': expected BEGIN:END (example indices, END excluded)", option, text));
  if (r.begin >= r.end || r.end > examples)
    throw UserError(fmt::format("{} {}: must satisfy BEGIN < END <= {} (the examples there are)",
                                option, text, examples));
  return r;
}

std::vector<float> classifierScores(const model::Tensor& output) {
  if (!output.isFloat() || output.shape.empty() || output.shape.size() > 2 ||
      (output.shape.size() == 2 && output.shape[0] != 1)) {
    throw UserError(fmt::format("model output {} is not the class scores of one example ([1, K])",
                                model::shapeString(output.shape)));
  }
  return output.f;
}

}  // namespace tasdsim::tasder
