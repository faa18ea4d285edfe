// tasdsim run: simulates a network (a synthetic workload or a real model) on an accelerator (an
// experiment file) and writes stats.json, layers.csv, wall_clock.json, the resolved config and
// a summary into the output folder (and, with --trace, a VCD of every RTL block; with
// --save-outputs, the network's outputs as .npy).
#include <unistd.h>

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "sim/CliChecks.h"
#include "sim/Commands.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Output.h"
#include "sw/executor/Executor.h"
#include "sw/runtime/ExperimentRun.h"

namespace tasdsim::cli {
namespace {

struct RunOptions {
  runtime::RunRequest request;
  std::string out;
  bool overwrite = false;
  bool quiet = false;
};

// A progress bar on a terminal, a line per tenth of the layers otherwise.
class Progress {
 public:
  explicit Progress(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}
  void update(size_t done, size_t total, const std::string& layer) {
    if (quiet_ || total == 0) return;
    if (tty_) {
      const size_t width = 30, filled = done * width / total;
      std::cerr << fmt::format("\r[{}{}] {}/{} {:<32.32}", std::string(filled, '#'),
                               std::string(width - filled, ' '), done, total, layer)
                << (done == total ? "\n" : "") << std::flush;
    } else {
      const size_t step = std::max<size_t>(1, total / 10);
      if (done % step == 0 || done == total)
        std::cerr << fmt::format("progress: {}/{} layers\n", done, total);
    }
  }

 private:
  bool quiet_, tty_;
};

int runExperiment(const RunOptions& o) {
  // The simulation runs BLAS on one thread (runtime::simulate); OpenBLAS's idle workers, started
  // when the library loaded, would spin through the preparation.
  executor::setBlasThreads(1);
  runtime::PreparedRun run = runtime::prepareRun(o.request);
  const runtime::Experiment& x = run.experiment;
  const std::string outDir =
      (o.out.empty() ? defaultOutputFolder(x.name, "", x.file + ": experiment.name")
                     : outputPathArgument(o.out, "--out"))
          .string();
  StagingDir dir(outDir, o.overwrite);  // fails now if the folder exists
  if (o.request.trace)
    run.inputs.vcdDir = dir.path().string();  // written before the folder is committed
  Progress progress(o.quiet);
  run.inputs.options.progress = [&progress](size_t done, size_t total, const std::string& layer) {
    progress.update(done, total, layer);
  };
  const runtime::RunReport report = runtime::executeRun(run);

  runtime::writeRun(run, report, dir);
  dir.commit();
  std::cout << report.summary << "wrote " << outDir << "/\n";
  if (!report.failReason.empty()) {
    std::cerr << "tasdsim: simulation failed: " << report.failReason << '\n';
    return 1;
  }
  if (report.checks == runtime::Checks::Failed) {
    std::cerr
        << "tasdsim: some layers do not match their reference (see stats.json, layers[].check)\n";
    return 1;
  }
  return 0;
}

}  // namespace

void addRunCommand(CLI::App& app, int& exitCode) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd =
      app.add_subcommand("run", "Simulate a network on an accelerator (an experiment file)");
  cmd->add_option("experiment", o->request.experiment, "Experiment YAML (configs/experiments/...)")
      ->required();
  cmd->add_option("--set", o->request.overrides,
                  "Override a config value: key.path=value (experiment., arch., energy., "
                  "workload., plan.); repeatable");
  cmd->add_option("--workload", o->request.workload,
                  "A workload replacing the experiment's: synthetic YAML, .onnx, .tflite or the "
                  "YAML of tasdsim import");
  cmd->add_option("--input", o->request.inputNpy,
                  "The model input as a .npy file (replaces experiment.input)");
  cmd->add_flag("--save-outputs", o->request.saveOutputs,
                "Write the network's outputs as <out>/outputs/<name>.npy");
  cmd->add_flag("--compare-executor", o->request.compareExecutor,
                "Also run the workload with the same plan on the host executor and report how the "
                "outputs agree");
  cmd->add_option("--out,-o", o->out,
                  "Output folder (default out/<experiment name>; must not exist)");
  cmd->add_flag("--overwrite", o->overwrite,
                "Replace the output folder if it is one tasdsim wrote");
  cmd->add_flag("--timing-only", o->request.timingOnly,
                "Timing and energy only: no values computed or checked");
  cmd->add_option("--plan", o->request.planFile,
                  "A plan file (e.g. from tasdsim search), replacing the experiment's plan");
  CLI::Option* series =
      cmd->add_option("--series", o->request.series,
                      "One series for every layer, e.g. 4:8+1:8 (replaces the plan)");
  cmd->add_option("--operand", o->request.operand, "With --series: W (weights) or A (activations)")
      ->capture_default_str()
      ->needs(series);
  cmd->add_option("--tau-quantile", o->request.tauQuantile,
                  "With --series and --operand A: pseudo-density quantile")
      ->check(finiteIn(0, 1))
      ->needs(series);
  cmd->add_flag("--quiet,-q", o->quiet, "No progress output");
  cmd->add_flag("--trace", o->request.trace,
                "Write a VCD of every RTL block (impl: rtl) into the output folder (<block>.vcd)");
  cmd->callback([o, &exitCode] { exitCode = runExperiment(*o); });
}

}  // namespace tasdsim::cli
