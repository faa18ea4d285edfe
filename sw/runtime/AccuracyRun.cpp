#include "sw/runtime/AccuracyRun.h"
#include "sw/runtime/HostComparison.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
// GCC 12 reports false maybe-uninitialized errors inside <regex> in sanitizer builds.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/Table.h"
#include "sw/config/ArchConfig.h"
#include "sw/executor/Executor.h"
#include "sw/executor/Parallel.h"
#include "sw/executor/TasdHook.h"
#include "sw/plan/Plan.h"
#include "sw/runtime/BatchRun.h"
#include "sw/runtime/NetworkRun.h"
#include "sw/runtime/Preflight.h"
#include "sw/workload/Workload.h"

namespace tasdsim::runtime {
namespace {

namespace fs = std::filesystem;
using executor::Executor;
using executor::GemmLayer;
using executor::LabelledDigit;
using executor::LayerTasd;

// The digits through the simulated accelerator: every GEMM layer on the device, the plan's
// settings on the layers it names (the others dense), thresholds as calibrated.
std::vector<DeviceImage> runOnAccelerator(
    const AccuracyOptions& o, const workload::Workload& w, const plan::Plan& plan,
    const std::map<std::string, float>& taus,
    const std::map<std::string, ActivationScales>& int8Scales,
    const std::vector<LabelledDigit>& digits,
    const std::array<size_t, executor::kDigitClasses>& classIndex, size_t processes) {
  const config::ArchConfig arch = config::loadArch(o.arch);
  validatePlan(w, plan, arch.params);
  checkRunFits(w, plan, arch.params, tasd::parseDType(o.dtype), true,
               MapperOptions{MapperObjective::Cycles, &arch.energy});
  SimulationInputs in;
  in.workload = w;
  in.plan = plan;
  in.params = arch.params;
  in.energy = arch.energy;
  in.options.dtype = tasd::parseDType(o.dtype);
  in.options.check = !o.noCheck;
  in.options.taus = taus;
  in.options.int8Scales = int8Scales;
  std::vector<std::vector<model::Tensor>> sets;
  for (const LabelledDigit& d : digits)
    sets.push_back({executor::ocrDigitInput(d.pixels)});
  const auto results = simulateSets(
      in, sets, processes,
      [&](const std::vector<model::Tensor>& outputs) {
        const DigitScores s = executor::digitScores(outputs.front(), classIndex);
        return std::vector<float>(s.begin(), s.end());
      },
      [&](size_t done, size_t total) {
        if (o.progress) o.progress(arch.params.name, done, total);
      });
  if (o.progressDone) o.progressDone();
  std::vector<DeviceImage> out;
  for (size_t i = 0; i < results.size(); ++i) {
    const SetResult& r = results[i];
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

struct ProtocolFiles {
  fs::path model, keys, digits;
};
ProtocolFiles filesOf(const AccuracyOptions& o) {
  return {executor::realdataPath(o.model, o.realdata, executor::kRecModelFile),
          executor::realdataPath(o.keys, o.realdata, executor::kKeysFile),
          executor::realdataPath(o.digits, o.realdata, executor::kDigitsDir)};
}

// The layers a uniform series or plan may change: constant weights, name not excluded.
std::vector<bool> selectLayers(const std::vector<GemmLayer>& layers, const std::string& exclude) {
  std::vector<bool> selected;
  std::regex re;
  if (!exclude.empty()) {
    try {
      re = std::regex(exclude);
    } catch (const std::regex_error& e) {
      throw UserError(
          fmt::format("--exclude '{}': not a valid regular expression ({})", exclude, e.what()));
    }
  }
  for (const GemmLayer& l : layers)
    selected.push_back(l.constantWeights && (exclude.empty() || !std::regex_search(l.name, re)));
  return selected;
}

bool uniformW(const AccuracyOptions& o) {
  return !o.wSeries.empty();
}
bool uniformA(const AccuracyOptions& o) {
  return !o.aSeries.empty() || o.aQuantile >= 0;
}

plan::Plan planOf(const AccuracyOptions& o) {
  if (!o.plan.empty()) return plan::Plan::load(o.plan);
  if (uniformW(o)) return plan::Plan::uniform(tasd::Series::parse(o.wSeries), plan::Operand::W);
  if (uniformA(o))
    return plan::Plan::uniform(
        o.aSeries.empty() ? tasd::Series::dense() : tasd::Series::parse(o.aSeries),
        plan::Operand::A, o.aQuantile);
  return {};
}

// Every layer the plan names is a layer of the model, and only layers with constant weights
// take a series.
void checkPlanLayers(const AccuracyOptions& o, const plan::Plan& plan,
                     const std::vector<GemmLayer>& layers, const fs::path& modelPath) {
  for (const plan::LayerPlan& lp : plan.layers) {
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
}

// Hooks of type H (made by make) run over the calibration digits, merged into one.
template <typename H, typename Make>
std::unique_ptr<H> calibrate(const AccuracyOptions& o, const fs::path& digitsPath,
                             const std::shared_ptr<const model::Graph>& graph, size_t threads,
                             Make make) {
  const std::vector<LabelledDigit> calib =
      executor::loadDigits(digitsPath, o.first + o.perClass, o.calibrationPerClass);
  auto hooks = executor::parallelRun<H>(
      graph, calib.size(), threads, make,
      [&](Executor& ex, size_t i) { ex.run({executor::ocrDigitInput(calib[i].pixels)}); });
  for (size_t t = 1; t < hooks.size(); ++t)
    hooks[0]->merge(*hooks[t]);
  return std::move(hooks[0]);
}

std::string variantOf(const AccuracyOptions& o, const plan::Plan& plan) {
  if (!o.plan.empty()) return fmt::format("plan {} ('{}')", o.plan, plan.name);
  if (uniformA(o))
    return fmt::format("TASD-A {}{}",
                       o.aSeries.empty() ? "dense" : tasd::Series::parse(o.aSeries).str(),
                       o.aQuantile >= 0 ? fmt::format(" with tau = q{} of |A|", o.aQuantile) : "");
  if (uniformW(o)) return fmt::format("TASD-W {}", tasd::Series::parse(o.wSeries).str());
  return "unmodified";
}

std::string layerTable(const std::vector<AccuracyLayer>& layers) {
  TextTable table(
      {"layer", "name", "op", "groups", "M", "N", "K", "MACs", "tasd", "tau", "w_rel_err"});
  for (size_t i = 0; i < layers.size(); ++i) {
    const AccuracyLayer& a = layers[i];
    const GemmLayer& l = a.layer;
    table.add({std::to_string(i), l.name, l.opType, std::to_string(l.groups), std::to_string(l.m),
               std::to_string(l.n), std::to_string(l.k), std::to_string(l.macs()), a.tasd,
               a.tau >= 0 ? fmt::format("{:.4g}", a.tau) : "-",
               a.weightError ? fmt::format("{:.4f}", *a.weightError) : "-"});
  }
  std::ostringstream out;
  table.print(out);
  return out.str();
}

// The accelerator's lines of the summary and its part of the JSON.
nlohmann::json deviceSummary(const AccuracyOptions& o, const AccuracyReport& r, std::string& text) {
  NetworkTotals total;
  size_t checked = 0;
  std::vector<double> cycles, energy, edp;
  for (const DeviceImage& d : r.device) {
    total.cycles += d.totals.cycles;
    total.seconds += d.totals.seconds;
    total.energyPj += d.totals.energyPj;
    total.edp += d.totals.edp;
    checked += d.checksPassed;
    cycles.push_back(static_cast<double>(d.totals.cycles));
    energy.push_back(d.totals.energyPj);
    edp.push_back(d.totals.edp);
  }
  const double n = static_cast<double>(r.device.size());
  text += fmt::format(
      "on {} ({}): {:.0f} cycles, {:.1f} uJ, EDP {:.4g} J*s per image (mean); total {} cycles, "
      "{:.1f} uJ\n",
      r.device.empty() ? "-" : o.arch, o.dtype, static_cast<double>(total.cycles) / n,
      total.energyPj * 1e-6 / n, total.edp / n, total.cycles, total.energyPj * 1e-6);
  text += o.noCheck ? std::string("reference checks: off\n")
                    : fmt::format("reference checks: {} of {} images match in every layer\n",
                                  checked, r.device.size());
  nlohmann::json j = {
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
    text += fmt::format(
        "host executor, same plan: {} of {} predictions identical, scores differ by at most "
        "{:.3g}\n",
        r.identicalPredictions, r.device.size(), r.maxScoreDifference);
    j["executor_agreement"] = {{"identical_predictions", r.identicalPredictions},
                               {"max_abs_score_difference", r.maxScoreDifference}};
  }
  return j;
}

// The summary lines and the JSON of a finished evaluation.
void summarise(const AccuracyOptions& o, AccuracyReport& r) {
  const bool onDevice = !o.arch.empty();
  const size_t images = r.predictions.size();
  std::string& text = r.text;
  text = fmt::format("model {}: {} ({} of {} layers changed)\n", r.model.filename().string(),
                     r.variant, r.changedLayers, r.layers.size());
  text += fmt::format("accuracy {:.3f} ({}/{} digits, {} of each class from #{})\n", r.accuracy,
                      r.correct, images, o.perClass, o.first);
  text += fmt::format(
      "structured-operand MACs relative to dense {:.4f} (reduction {:.1f}%) of {} MACs per image\n",
      r.macFraction, 100.0 * (1.0 - r.macFraction), r.totalMacs);
  text += fmt::format("mean relative weight error {:.4f} over {} changed weight tensors\n",
                      r.meanWeightError, r.changedWeightTensors);
  nlohmann::json deviceJson;
  if (onDevice) deviceJson = deviceSummary(o, r, text);
  text += fmt::format("time {:.2f} s ({:.2f} ms per image, {} {})\n", r.seconds,
                      1000.0 * r.seconds / static_cast<double>(images), r.threads,
                      onDevice ? "processes" : "threads");
  r.json = {{"model", r.model.string()},
            {"variant", r.variant},
            {"w_series", o.wSeries},
            {"a_series", o.aSeries},
            {"a_quantile", o.aQuantile},
            {"plan", o.plan},
            {"images", images},
            {"first", o.first},
            {"correct", r.correct},
            {"accuracy", r.accuracy},
            {"correct_per_digit", r.correctPerDigit},
            {"mac_fraction", r.macFraction},
            {"total_macs_per_image", r.totalMacs},
            {"mean_rel_weight_error", r.meanWeightError},
            {"changed_layers", r.changedLayers},
            {"predictions", r.predictions}};
  if (onDevice) r.json["accelerator"] = deviceJson;
  r.layerTable = layerTable(r.layers);
}

}  // namespace

void checkAccuracyOptions(const AccuracyOptions& o) {
  filesOf(o);
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
  if (uniformW(o) && uniformA(o)) {
    throw UserError(
        "--w-series and --a-series/--a-quantile exclude each other: one structured operand per "
        "layer");
  }
  if (!o.plan.empty() && (uniformW(o) || uniformA(o)))
    throw UserError("--plan excludes --w-series/--a-series/--a-quantile");
  if (o.aQuantile > 1)
    throw UserError(fmt::format("--a-quantile {}: must be in [0, 1]", o.aQuantile));
  if (!o.exclude.empty() && o.plan.empty() && !uniformW(o) && !uniformA(o))
    throw UserError(
        "--exclude has no effect without --plan, --w-series, --a-series or --a-quantile");
}

AccuracyReport runAccuracy(const AccuracyOptions& o) {
  checkAccuracyOptions(o);
  const ProtocolFiles files = filesOf(o);
  const fs::path& modelPath = files.model;
  const fs::path& keysPath = files.keys;
  const fs::path& digitsPath = files.digits;
  const plan::Plan thePlan = planOf(o);
  AccuracyReport report;
  report.model = modelPath;
  const size_t threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  report.threads = threads;
  if (threads > 1) executor::setBlasThreads(1);

  const auto start = std::chrono::steady_clock::now();
  workload::LoadOptions lo;
  lo.inputShape = {1, 3, executor::kOcrHeight, executor::kOcrWidth};
  const workload::Workload w = workload::load(modelPath.string(), lo);
  const std::shared_ptr<const model::Graph> graph = w.graph();
  const auto classIndex = executor::digitClassIndices(keysPath);
  const std::vector<LabelledDigit> eval = executor::loadDigits(digitsPath, o.first, o.perClass);
  const std::vector<GemmLayer>& layers = w.gemms;
  const std::vector<bool> selected = selectLayers(layers, o.exclude);
  checkPlanLayers(o, thePlan, layers, modelPath);

  // Per selected layer: its plan entry; calibration where a tau quantile is asked for.
  std::vector<const plan::LayerPlan*> entries(layers.size(), nullptr);
  std::vector<bool> calibrated(layers.size(), false);
  bool anyCalibration = false;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!selected[i]) continue;
    entries[i] = &thePlan.forLayer(layers[i].name);
    calibrated[i] = entries[i]->operand == plan::Operand::A && entries[i]->tauQuantile >= 0;
    anyCalibration = anyCalibration || calibrated[i];
  }
  std::unique_ptr<executor::CalibrationHook> calibration;
  if (anyCalibration)
    calibration = calibrate<executor::CalibrationHook>(o, digitsPath, graph, threads, [&] {
      return std::make_unique<executor::CalibrationHook>(calibrated);
    });
  std::vector<LayerTasd> settings(layers.size());
  std::vector<double> fractions(layers.size(), 1.0);
  for (size_t i = 0; i < layers.size(); ++i) {
    AccuracyLayer a;
    a.layer = layers[i];
    const plan::LayerPlan* lp = entries[i];
    if (lp) {
      if (lp->operand == plan::Operand::W) {
        settings[i].weights = lp->series;
      } else {
        settings[i].activations = lp->series;
        if (lp->tau >= 0) settings[i].tau = static_cast<float>(lp->tau);
        if (calibrated[i]) settings[i].tau = calibration->quantile(i, lp->tauQuantile);
      }
      if (!settings[i].empty()) {
        ++report.changedLayers;
        fractions[i] = lp->series.computeFraction();
        a.tasd = fmt::format("{} {}", plan::operandName(lp->operand), lp->series.str());
      }
    }
    a.tau = settings[i].tau;
    report.layers.push_back(a);
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
  // On the accelerator: the same settings as a plan over the layers they change.
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
    std::map<std::string, ActivationScales> int8Scales;
    if (o.dtype == "int8") {
      const auto ranges = calibrate<executor::RangeHook>(
          o, digitsPath, graph, threads, [] { return std::make_unique<executor::RangeHook>(); });
      int8Scales = int8ScalesOf(ranges->ranges(o.int8Quantile));
    }
    report.device = runOnAccelerator(o, w, devicePlan, taus, int8Scales, eval, classIndex, threads);
  }
  for (size_t i = 0; i < eval.size(); ++i)
    report.predictions.push_back(
        executor::bestDigit(onDevice ? report.device[i].scores : hostScores[i]));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  for (size_t i = 0; i < eval.size(); ++i) {
    if (report.predictions[i] == eval[i].label) {
      ++report.correct;
      ++report.correctPerDigit[static_cast<size_t>(eval[i].label)];
    }
  }
  if (onDevice && o.compareExecutor) {
    for (size_t i = 0; i < report.device.size(); ++i) {
      report.identicalPredictions += executor::bestDigit(hostScores[i]) == report.predictions[i];
      for (size_t d = 0; d < executor::kDigitClasses; ++d)
        report.maxScoreDifference =
            std::max(report.maxScoreDifference,
                     static_cast<double>(std::fabs(hostScores[i][d] - report.device[i].scores[d])));
    }
  }
  // Structured-operand MACs relative to dense, weighted by layer MACs.
  double structuredMacs = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    report.totalMacs += layers[i].macs();
    structuredMacs += fractions[i] * static_cast<double>(layers[i].macs());
  }
  report.macFraction =
      report.totalMacs ? structuredMacs / static_cast<double>(report.totalMacs) : 1.0;
  // The weight errors of the plan (the host hook measures them as it prepares the weights; on the
  // accelerator alone, one host image does).
  if (hooks.empty()) {
    hooks = executor::parallelRun<executor::TasdHook>(
        graph, 1, 1, [&] { return std::make_unique<executor::TasdHook>(settings); },
        [&](Executor& ex, size_t) { ex.run({executor::ocrDigitInput(eval.front().pixels)}); });
  }
  double errorSum = 0;
  for (const auto& [index, e] : hooks.front()->weightErrors()) {
    report.layers[index].weightError = e.relFrobeniusError();
    errorSum += e.relFrobeniusError();
  }
  report.changedWeightTensors = hooks.front()->weightErrors().size();
  report.meanWeightError = report.changedWeightTensors
                               ? errorSum / static_cast<double>(report.changedWeightTensors)
                               : 0.0;
  report.accuracy = static_cast<double>(report.correct) / static_cast<double>(eval.size());
  report.variant = variantOf(o, thePlan);
  summarise(o, report);
  return report;
}

}  // namespace tasdsim::runtime
