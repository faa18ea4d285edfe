// tasdsim search-model: TASDER on a real classification model with labelled data and an
// accuracy target (docs/tasder.md): the real OCR model on its digit protocol (the default), or
// any ONNX/TFLite classifier with inputs and labels as .npy and separate search,
// test and calibration splits. The data is tasder::loadModelSearchData
// (sw/tasder/SearchData.h), the search tasder::searchModel (sw/tasder/ModelSearch.h).
#include <unistd.h>

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "sim/CliChecks.h"
#include "sim/Commands.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Output.h"
#include "sw/config/ArchConfig.h"
#include "sw/tasder/ModelSearch.h"
#include "sw/tasder/SearchData.h"

namespace tasdsim::cli {
namespace {

struct SearchModelOptions {
  tasder::ModelSearchOptions search;
  tasder::ModelSearchDataOptions data;
  std::string out;
  bool overwrite = false;
  bool quiet = false;
};

int runSearchModel(const SearchModelOptions& o) {
  tasder::checkModelSearchOptions(o.search);
  const config::ArchConfig arch = config::loadArch(o.search.arch);
  tasder::checkModelSearchData(o.data);
  const std::string name = o.data.model.empty()
                               ? std::string("ocr")
                               : std::filesystem::path(o.data.model).stem().string();
  const std::string outDir =
      (o.out.empty() ? defaultOutputFolder(name + "-search-" + arch.params.name, "",
                                           o.search.arch + ": arch.name")
                     : outputPathArgument(o.out, "--out"))
          .string();
  const tasder::ModelSearchData data = tasder::loadModelSearchData(o.data);
  StagingDir dir(outDir, o.overwrite);
  tasder::ModelSearchOptions so = o.search;
  if (!o.quiet) {
    so.say = [](const std::string& line) { std::cerr << line << "\n"; };
    if (isatty(STDERR_FILENO))
      so.scoring = [](size_t done, size_t total) {
        std::cerr << fmt::format("\rscoring {}/{}", done, total) << (done == total ? "\r" : "")
                  << std::flush;
      };
  }
  const tasder::ModelSearchReport report = tasder::searchModel(data, so);
  tasder::writeModelSearch(report, dir);
  dir.commit();
  std::cout << report.text << "wrote " << outDir << "/ (simulate it: tasdsim run " << outDir
            << "/experiment.yaml)\n";
  return 0;
}

}  // namespace

void addSearchModelCommand(CLI::App& app, int& exitCode) {
  auto o = std::make_shared<SearchModelOptions>();
  CLI::App* cmd = app.add_subcommand(
      "search-model",
      "Find a per-layer TASD plan for a classification model with an accuracy target (TASDER): "
      "the real OCR model on digits, or --model with labelled .npy data");
  cmd->add_option("--arch", o->search.arch, "Arch config of the engine (configs/arch/*.yaml)")
      ->required();
  cmd->add_option("--dense-arch", o->search.denseArch, "The dense engine to compare with")
      ->capture_default_str();
  cmd->add_option("--target", o->search.target,
                  "Keep at least this fraction of the original accuracy")
      ->capture_default_str()
      ->check(finiteIn(0, 1));
  cmd->add_option("--cost", o->search.cost,
                  "What the search minimises: macs, cycles, energy or edp")
      ->capture_default_str();
  cmd->add_option("--dtype", o->search.dtype,
                  "Value type of the simulated costs: int8, bf16 or fp32")
      ->capture_default_str();
  cmd->add_option("--operands", o->search.operands, "Structured operands to try: W, A or W,A")
      ->capture_default_str();
  cmd->add_option("--model", o->data.model,
                  "A classifier (ONNX, TFLite or tasdsim import YAML) with output [1, K]; "
                  "without it, the real OCR model on digits")
      ->check(CLI::ExistingFile);
  cmd->add_option("--inputs", o->data.inputs,
                  "With --model: the examples, N x C x H x W float32 .npy");
  cmd->add_option("--labels", o->data.labels, "With --model: their classes, N int64 .npy");
  cmd->add_option("--search-split", o->data.splits.search,
                  "With --model: examples BEGIN:END of the accuracy checks");
  cmd->add_option("--test-split", o->data.splits.test,
                  "With --model: examples BEGIN:END held out for the plan and the baselines");
  cmd->add_option("--calibration-split", o->data.splits.calibration,
                  "With --model: examples BEGIN:END for calibration (default: the first 100 of "
                  "the search split)");
  cmd->add_option("--realdata", o->data.digits.realdata, "Folder made by scripts/fetch_realdata.sh")
      ->capture_default_str();
  cmd->add_option("--per-class", o->data.digits.perClass,
                  "Digits: search (and held-out) digits per class")
      ->capture_default_str()
      ->check(integerIn(1, kMaxDigitsPerClass));
  cmd->add_option("--first", o->data.digits.first, "Digits: first search digit of each class")
      ->capture_default_str()
      ->check(integerIn(0, kMaxDigitsPerClass));
  cmd->add_option("--holdout-first", o->data.digits.holdoutFirst,
                  "Digits: first held-out digit of each class")
      ->capture_default_str()
      ->check(integerIn(0, kMaxDigitsPerClass));
  cmd->add_option("--calibration-first", o->data.digits.calibrationFirst,
                  "Digits: first calibration digit of each class")
      ->capture_default_str()
      ->check(integerIn(0, kMaxDigitsPerClass));
  cmd->add_option("--calibration", o->data.digits.calibrationPerClass,
                  "Digits: calibration digits per class")
      ->capture_default_str()
      ->check(integerIn(1, kMaxDigitsPerClass));
  cmd->add_option("--probe", o->data.digits.probePerClass,
                  "Digits: calibration digits per class that score each candidate at the output")
      ->capture_default_str()
      ->check(integerIn(1, kMaxDigitsPerClass));
  cmd->add_option("--probe-examples", o->data.splits.probe,
                  "With --model: calibration examples that score each candidate at the output")
      ->capture_default_str()
      ->check(integerIn(1, kMaxDigitsPerClass));
  cmd->add_option("--rounds", o->search.rounds,
                  "Binary-search rounds (each holds the layer that broke the last one)")
      ->capture_default_str()
      ->check(integerIn(1, 64));
  cmd->add_option("--threads", o->search.threads, "Worker threads (default: all cores)")
      ->check(integerIn(1, kMaxThreads));
  cmd->add_option("--out,-o", o->out,
                  "Output folder (default out/<model>-search-<engine>; must not exist)");
  cmd->add_flag("--overwrite", o->overwrite,
                "Replace the output folder if it is one tasdsim wrote");
  cmd->add_flag("--quiet,-q", o->quiet, "No progress output");
  cmd->callback([o, &exitCode] { exitCode = runSearchModel(*o); });
}

}  // namespace tasdsim::cli
