// tasdsim decompose: TASD of one tensor file; writes compressed and dense terms and metrics,
// or with --sweep compares every series an engine supports. The decomposition and the sweep are
// runtime::runDecompose (sw/runtime/DecomposeRun.h).
#include <iostream>
#include <memory>

#include "sim/Commands.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Output.h"
#include "sw/runtime/DecomposeRun.h"

namespace tasdsim::cli {
namespace {

struct DecomposeCommandOptions {
  runtime::DecomposeOptions run;
  std::string out;
  bool overwrite = false;
};

void runDecomposeCommand(const DecomposeCommandOptions& o) {
  runtime::checkDecomposeOptions(o.run);
  std::unique_ptr<StagingDir> dir;
  if (!o.out.empty())  // fails early if it exists
    dir = std::make_unique<StagingDir>(outputPathArgument(o.out, "--out"), o.overwrite);
  runtime::DecomposeOptions options = o.run;
  options.warn = [](const std::string& line) { std::cerr << "tasdsim: warning: " << line << "\n"; };
  const runtime::DecomposeReport report = runtime::runDecompose(options);
  std::cout << report.text;
  if (dir) {
    runtime::writeDecompose(report, *dir);
    dir->commit();
    std::cout << "wrote " << o.out << "/\n";
  }
}

}  // namespace

void addDecomposeCommand(CLI::App& app) {
  auto o = std::make_shared<DecomposeCommandOptions>();
  CLI::App* cmd =
      app.add_subcommand("decompose", "TASD-decompose a tensor (.npy) into a series of N:M terms");
  cmd->add_option("input", o->run.input, "Input .npy: 2-D matrix (rows x K) or 4-D conv weights")
      ->required();
  cmd->add_option("--series,-s", o->run.series, "Series to apply, e.g. 2:8+1:8 or dense");
  cmd->add_option("--out,-o", o->out,
                  "Output folder (must not exist): terms, approximation, metrics.json");
  cmd->add_flag("--overwrite", o->overwrite,
                "Replace the output folder if it is one tasdsim wrote");
  cmd->add_option("--dtype", o->run.dtype,
                  "Storage type: fp32, bf16 or int8 (default: fp32, or int8 for int8 input)");
  cmd->add_option("--layout", o->run.layout, "Layout of 4-D conv weights: OIHW, OHWI or HWIO");
  CLI::Option* sweep =
      cmd->add_flag("--sweep", o->run.sweep,
                    "Report every series an engine supports, sorted by compute fraction");
  // Without --sweep these would have no effect: an error instead.
  cmd->add_option("--patterns", o->run.patterns, "Patterns the engine supports, for --sweep")
      ->capture_default_str()
      ->needs(sweep);
  cmd->add_option("--max-terms", o->run.maxTerms, "Longest series, for --sweep")
      ->capture_default_str()
      ->needs(sweep);
  cmd->callback([o] { runDecomposeCommand(*o); });
}

}  // namespace tasdsim::cli
