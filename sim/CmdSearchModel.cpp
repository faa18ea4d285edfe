// tasdsim search-model: TASDER on a real classification model with labelled data and an
// accuracy target (docs/tasder.md): the real OCR model on its digit protocol (the default), or
// any ONNX/TFLite classifier with inputs and labels as .npy and separate search, test and
// calibration splits. The search itself is tasder::searchModel (sw/tasder/ModelSearch.h).
#include <unistd.h>

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "sim/CliChecks.h"
#include "sim/Commands.h"
#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Output.h"
#include "sw/config/ArchConfig.h"
#include "sw/executor/DigitAccuracy.h"
#include "sw/tasder/ModelSearch.h"
#include "sw/workload/Workload.h"

namespace tasdsim::cli {
namespace {

namespace fs = std::filesystem;

struct SearchModelOptions {
  tasder::ModelSearchOptions search;
  std::string realdata = "realdata";
  // The digit protocol (no --model).
  size_t perClass = 100, first = 0, holdoutFirst = 100, calibrationFirst = 200,
         calibrationPerClass = 10;
  size_t probePerClass = 1;
  // Any classifier with labelled data.
  std::string model, inputs, labels, searchSplit, testSplit, calibrationSplit;
  size_t probe = 10;
  std::string out;
  bool overwrite = false;
  bool quiet = false;
};

// The OCR model on its digit protocol (docs/ACCURACY.md).
tasder::ModelSearchData digitData(const SearchModelOptions& o) {
  if (o.perClass == 0) throw UserError("--per-class must be at least 1");
  if (o.probePerClass == 0 || o.probePerClass > o.calibrationPerClass)
    throw UserError(fmt::format("--probe {}: must be in [1, --calibration {}]", o.probePerClass,
                                o.calibrationPerClass));
  tasder::ModelSearchData d;
  d.model = executor::realdataPath({}, o.realdata, executor::kRecModelFile);
  const fs::path keysPath = executor::realdataPath({}, o.realdata, executor::kKeysFile);
  const fs::path digitsPath = executor::realdataPath({}, o.realdata, executor::kDigitsDir);
  d.title = "PP-OCRv4 rec";
  d.inputShape = {1, 3, executor::kOcrHeight, executor::kOcrWidth};
  workload::LoadOptions lo;
  lo.inputShape = d.inputShape;
  d.workload = workload::load(d.model.string(), lo);
  const auto classIndex = executor::digitClassIndices(keysPath);
  d.scores = [classIndex](const model::Tensor& out) {
    const auto s = executor::digitScores(out, classIndex);
    return std::vector<float>(s.begin(), s.end());
  };
  d.labelSource = digitsPath.string();
  auto digits = [&](size_t first, size_t perClass, size_t stride) {
    auto all = std::make_shared<std::vector<executor::LabelledDigit>>(
        executor::loadDigits(digitsPath, first, perClass));
    tasder::LabelledSet s;
    std::vector<size_t> index;
    for (size_t i = 0; i < all->size(); i += stride) {
      index.push_back(i);
      s.labels.push_back((*all)[i].label);
    }
    s.input = [all, index](size_t i) { return executor::ocrDigitInput((*all)[index[i]].pixels); };
    s.description = stride == 1
                        ? fmt::format("digits {}-{} of each class", first, first + perClass - 1)
                        : fmt::format("every {}th of digits {}-{} of each class", stride, first,
                                      first + perClass - 1);
    return s;
  };
  d.search = digits(o.first, o.perClass, 1);
  d.test = digits(o.holdoutFirst, o.perClass, 1);
  d.testName = "held-out digits";
  d.calibration = digits(o.calibrationFirst, o.calibrationPerClass, 1);
  // Every (calibration / probe)-th calibration digit: probe digits of each class.
  d.probe = digits(o.calibrationFirst, o.calibrationPerClass,
                   std::max<size_t>(1, o.calibrationPerClass / o.probePerClass));
  d.description = {{"protocol", "digits"},
                   {"search_digits", {{"first", o.first}, {"per_class", o.perClass}}},
                   {"holdout_digits", {{"first", o.holdoutFirst}, {"per_class", o.perClass}}}};
  return d;
}

int runSearchModel(const SearchModelOptions& o) {
  tasder::checkModelSearchOptions(o.search);
  const config::ArchConfig arch = config::loadArch(o.search.arch);
  const bool digits = o.model.empty();
  if (digits && !(o.inputs.empty() && o.labels.empty() && o.searchSplit.empty() &&
                  o.testSplit.empty() && o.calibrationSplit.empty()))
    throw UserError("--inputs, --labels and the splits need --model (the classifier they label)");
  const std::string outDir =
      (o.out.empty()
           ? defaultOutputFolder((digits ? std::string("ocr") : fs::path(o.model).stem().string()) +
                                     "-search-" + arch.params.name,
                                 "", o.search.arch + ": arch.name")
           : outputPathArgument(o.out, "--out"))
          .string();
  tasder::ModelSearchData data;
  if (digits) {
    data = digitData(o);
  } else {
    if (o.inputs.empty() || o.labels.empty())
      throw UserError("--model needs --inputs and --labels (and --search-split, --test-split)");
    data = tasder::classifierData(o.model, tasder::loadNpyLabelledData(o.inputs, o.labels),
                                  {o.searchSplit, o.testSplit, o.calibrationSplit, o.probe});
  }
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
  cmd->add_option("--model", o->model,
                  "A classifier (ONNX, TFLite or tasdsim import YAML) with output [1, K]; "
                  "without it, the real OCR model on digits")
      ->check(CLI::ExistingFile);
  cmd->add_option("--inputs", o->inputs, "With --model: the examples, N x C x H x W float32 .npy");
  cmd->add_option("--labels", o->labels, "With --model: their classes, N int64 .npy");
  cmd->add_option("--search-split", o->searchSplit,
                  "With --model: examples BEGIN:END of the accuracy checks");
  cmd->add_option("--test-split", o->testSplit,
                  "With --model: examples BEGIN:END held out for the plan and the baselines");
  cmd->add_option("--calibration-split", o->calibrationSplit,
                  "With --model: examples BEGIN:END for calibration (default: the first 100 of "
                  "the search split)");
  cmd->add_option("--realdata", o->realdata, "Folder made by scripts/fetch_realdata.sh")
      ->capture_default_str();
  cmd->add_option("--per-class", o->perClass, "Digits: search (and held-out) digits per class")
      ->capture_default_str()
      ->check(integerIn(1, kMaxDigitsPerClass));
  cmd->add_option("--first", o->first, "Digits: first search digit of each class")
      ->capture_default_str()
      ->check(integerIn(0, kMaxDigitsPerClass));
  cmd->add_option("--holdout-first", o->holdoutFirst, "Digits: first held-out digit of each class")
      ->capture_default_str()
      ->check(integerIn(0, kMaxDigitsPerClass));
  cmd->add_option("--calibration-first", o->calibrationFirst,
                  "Digits: first calibration digit of each class")
      ->capture_default_str()
      ->check(integerIn(0, kMaxDigitsPerClass));
  cmd->add_option("--calibration", o->calibrationPerClass, "Digits: calibration digits per class")
      ->capture_default_str()
      ->check(integerIn(1, kMaxDigitsPerClass));
  cmd->add_option("--probe", o->probePerClass,
                  "Digits: calibration digits per class that score each candidate at the output")
      ->capture_default_str()
      ->check(integerIn(1, kMaxDigitsPerClass));
  cmd->add_option("--probe-examples", o->probe,
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
