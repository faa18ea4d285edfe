// tasdsim run: simulates a network (a synthetic workload or a real model) on an accelerator (an
// experiment file) and writes stats.json, layers.csv, wall_clock.json, the resolved config and
// a summary into the output folder (and, with --trace, a VCD of every RTL block; with
// --save-outputs, the network's outputs as .npy).
#include <unistd.h>

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "hw/rtl/cosim/RtlSupport.h"
#include "sim/CliChecks.h"
#include "sim/Commands.h"
#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Output.h"
#include "sw/config/ConfigNode.h"
#include "sw/io/Npy.h"
#include "sw/runtime/HostComparison.h"
#include "sw/runtime/NetworkRun.h"
#include "sw/runtime/Experiment.h"
#include "sw/runtime/Preflight.h"
#include "sw/runtime/Report.h"
#include "sw/runtime/Simulation.h"

namespace tasdsim::cli {
namespace {

struct RunOptions {
  std::string experiment;
  std::vector<std::string> overrides;
  std::string workload;
  std::string input;
  bool saveOutputs = false;
  bool compareExecutor = false;
  std::string out;
  bool timingOnly = false;
  bool overwrite = false;
  bool quiet = false;
  bool trace = false;
  std::string planFile;
  std::string series;
  std::string operand = "W";
  double tauQuantile = -1;
};

// A progress bar on a terminal, a line per tenth of the layers otherwise.
class Progress {
 public:
  explicit Progress(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}
  void update(size_t done, size_t total, const std::string& layer) {
    if (quiet_ || total == 0) return;
    if (tty_) {
      const size_t width = 30, filled = done * width / total;
      std::cerr << fmt::format("\r[{}{}] {}/{} {:<32.32}", std::string(filled, '#'), std::string(width - filled, ' '),
                               done, total, layer)
                << (done == total ? "\n" : "") << std::flush;
    } else {
      const size_t step = std::max<size_t>(1, total / 10);
      if (done % step == 0 || done == total) std::cerr << fmt::format("progress: {}/{} layers\n", done, total);
    }
  }

 private:
  bool quiet_, tty_;
};

int runExperiment(const RunOptions& o) {
  runtime::Experiment x = runtime::Experiment::load(o.experiment, o.overrides, o.workload);
  if (o.timingOnly) x.timingOnly = true;
  if (!o.input.empty()) {
    x.input = runtime::InputSpec{};
    x.input.npy = o.input;
  }
  if (o.saveOutputs) x.saveOutputs = true;
  if (x.timingOnly && x.saveOutputs) throw UserError("--save-outputs needs values: it excludes --timing-only");
  if (x.timingOnly && o.compareExecutor) throw UserError("--compare-executor needs values: it excludes --timing-only");
  if (!o.planFile.empty()) {
    if (!o.series.empty()) throw UserError("--plan and --series exclude each other");
    x.plan = plan::Plan::load(o.planFile);
    x.resolved["plan"] = YAML::Load(x.plan.toYaml())["plan"];
  }
  if (!o.series.empty()) {
    tasd::Series s = tasd::Series::parse(o.series);
    if (o.operand != "W" && o.operand != "A") throw UserError("--operand must be W or A");
    if (o.tauQuantile >= 0 && o.operand != "A") {
      throw UserError("--tau-quantile applies to --operand A only (the threshold of activations)");
    }
    x.plan = plan::Plan::uniform(s, o.operand == "W" ? plan::Operand::W : plan::Operand::A, o.tauQuantile);
    x.resolved["plan"] = YAML::Load(x.plan.toYaml())["plan"];
  }
  runtime::validatePlan(x.workload, x.plan, x.arch.params);
  runtime::checkRunFits(x.workload, x.plan, x.arch.params, x.dtype, !x.timingOnly);
  rtl::checkRun(x.arch.params, x.dtype, !x.timingOnly, o.trace);
  const std::string outDir =
      (o.out.empty() ? defaultOutputFolder(x.name, "", x.file + ": experiment.name")
                     : outputPathArgument(o.out, "--out"))
          .string();
  StagingDir dir(outDir, o.overwrite);  // fails now if the folder exists

  runtime::SimulationInputs in;
  in.workload = x.workload;
  in.plan = x.plan;
  in.params = x.arch.params;
  in.energy = x.arch.energy;
  in.options.dtype = x.dtype;
  in.options.functional = !x.timingOnly;
  in.options.check = x.check && !x.timingOnly;
  if (!x.timingOnly) in.options.inputs.push_back(x.input.load(x.workload));
  // Compared with the host executor: both take the plan's thresholds from this input, on the host.
  if (o.compareExecutor) in.options.taus = runtime::planThresholds(x.workload, x.plan, in.options.inputs.front());
  if (o.trace) in.vcdDir = dir.path().string();  // written before the folder is committed
  Progress progress(o.quiet);
  in.options.progress = [&progress](size_t done, size_t total, const std::string& layer) {
    progress.update(done, total, layer);
  };
  const runtime::SimulationOutput out = runtime::simulate(in);

  runtime::ExperimentInfo info{x.name,
                               x.arch.params.name,
                               x.workload.name,
                               x.plan.name,
                               tasd::dtypeName(x.dtype),
                               x.timingOnly ? std::string("none (timing only)") : x.input.describe(x.workload),
                               x.timingOnly,
                               x.workload.seed};
  nlohmann::json stats = runtime::statsJson(info, out);
  std::string agreementText;
  if (o.compareExecutor && out.run.failReason.empty()) {
    const std::vector<model::Tensor> host =
        runtime::runOnHost(x.workload, x.plan, in.options.taus, in.options.inputs.front());
    nlohmann::json rows = nlohmann::json::array();
    for (const runtime::OutputAgreement& a : runtime::compareOutputs(*x.workload.graph(), out.outputs, host)) {
      rows.push_back({{"output", a.name}, {"max_abs_difference", a.maxAbsDifference},
                      {"relative_difference", a.relativeDifference}});
      agreementText += fmt::format("host executor, same plan: output '{}' differs by at most {:.3g} (relative {:.3g})\n",
                                   a.name, a.maxAbsDifference, a.relativeDifference);
    }
    stats["executor_agreement"] = rows;
  }
  writeFileAtomic(dir.file("stats.json"), stats.dump(1) + "\n");
  writeFileAtomic(dir.file("layers.csv"), runtime::layersCsv(out.run));
  writeFileAtomic(dir.file("wall_clock.json"), runtime::wallClockJson(out).dump(1) + "\n");
  writeFileAtomic(dir.file("resolved_config.yaml"), config::dump(x.resolved));
  if (x.saveOutputs && out.run.failReason.empty()) {
    const std::filesystem::path folder = dir.file("outputs");
    std::filesystem::create_directories(folder);
    for (size_t i = 0; i < out.outputs.size(); ++i) {
      const model::Tensor& t = out.outputs[i];
      if (!t.isFloat()) continue;
      std::string name = x.workload.graph()->outputs[i].name;
      for (char& c : name)
        if (c == '/' || c == '\\' || c == ':') c = '_';
      io::writeNpy(folder / (name + ".npy"), std::vector<size_t>(t.shape.begin(), t.shape.end()), t.f.data());
    }
  }
  std::ostringstream summary;
  runtime::printSummary(summary, info, out);
  summary << agreementText;
  writeFileAtomic(dir.file("summary.txt"), summary.str());
  dir.commit();
  std::cout << summary.str() << "wrote " << outDir << "/\n";
  if (!out.run.failReason.empty()) {
    std::cerr << "tasdsim: simulation failed: " << out.run.failReason << '\n';
    return 1;
  }
  if (out.run.checks == runtime::Checks::Failed && out.run.failReason.empty()) {
    std::cerr << "tasdsim: some layers do not match their reference (see stats.json, layers[].check)\n";
    return 1;
  }
  return 0;
}

}  // namespace

void addRunCommand(CLI::App& app, int& exitCode) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Simulate a network on an accelerator (an experiment file)");
  cmd->add_option("experiment", o->experiment, "Experiment YAML (configs/experiments/...)")->required();
  cmd->add_option("--set", o->overrides, "Override a config value: key.path=value (experiment., arch., energy., "
                                         "workload., plan.); repeatable");
  cmd->add_option("--workload", o->workload,
                  "A workload replacing the experiment's: synthetic YAML, .onnx, .tflite or the YAML of tasdsim import");
  cmd->add_option("--input", o->input, "The model input as a .npy file (replaces experiment.input)");
  cmd->add_flag("--save-outputs", o->saveOutputs, "Write the network's outputs as <out>/outputs/<name>.npy");
  cmd->add_flag("--compare-executor", o->compareExecutor,
                "Also run the workload with the same plan on the host executor and report how the outputs agree");
  cmd->add_option("--out,-o", o->out, "Output folder (default out/<experiment name>; must not exist)");
  cmd->add_flag("--overwrite", o->overwrite,
                "Replace the output folder if it is one tasdsim wrote");
  cmd->add_flag("--timing-only", o->timingOnly, "Timing and energy only: no values computed or checked");
  cmd->add_option("--plan", o->planFile, "A plan file (e.g. from tasdsim search), replacing the experiment's plan");
  CLI::Option* series = cmd->add_option(
      "--series", o->series, "One series for every layer, e.g. 4:8+1:8 (replaces the plan)");
  cmd->add_option("--operand", o->operand, "With --series: W (weights) or A (activations)")
      ->capture_default_str()
      ->needs(series);
  cmd->add_option("--tau-quantile", o->tauQuantile,
                  "With --series and --operand A: pseudo-density quantile")
      ->check(finiteIn(0, 1))
      ->needs(series);
  cmd->add_flag("--quiet,-q", o->quiet, "No progress output");
  cmd->add_flag("--trace", o->trace,
                "Write a VCD of every RTL block (impl: rtl) into the output folder (<block>.vcd)");
  cmd->callback([o, &exitCode] { exitCode = runExperiment(*o); });
}

}  // namespace tasdsim::cli
