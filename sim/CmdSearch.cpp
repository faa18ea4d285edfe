// tasdsim search: finds a per-layer TASD plan for an experiment's workload and engine (TASDER)
// and writes the plan, the scored candidates and a summary. The search is
// tasder::searchExperiment (sw/tasder/ExperimentSearch.h).
#include <unistd.h>

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "sim/Commands.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Output.h"
#include "sw/tasder/ExperimentSearch.h"

namespace tasdsim::cli {
namespace {

struct SearchOptionsCli {
  std::string experiment;
  std::vector<std::string> overrides;
  std::string out;
  bool overwrite = false;
  bool quiet = false;
};

// A stage's count on a terminal, a line per finished stage otherwise.
class StageProgress {
 public:
  explicit StageProgress(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}
  void operator()(const std::string& stage, size_t done, size_t total) const {
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

int runSearch(const SearchOptionsCli& o) {
  const runtime::Experiment x = tasder::loadSearchExperiment(o.experiment, o.overrides);
  const std::string outDir =
      (o.out.empty() ? defaultOutputFolder(x.name, "-search", x.file + ": experiment.name")
                     : outputPathArgument(o.out, "--out"))
          .string();
  StagingDir dir(outDir, o.overwrite);
  const tasder::ExperimentSearchReport report = tasder::searchExperiment(x, StageProgress(o.quiet));
  tasder::writeExperimentSearch(report, dir);
  dir.commit();
  std::cout << report.text << "wrote " << outDir << "/ (run it: tasdsim run " << o.experiment
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
