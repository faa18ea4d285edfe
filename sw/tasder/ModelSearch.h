#pragma once
// TASDER on a real classification model with labelled data and an accuracy target
// (docs/tasder.md, `tasdsim search-model`): candidates of every layer with constant weights are
// scored once at the network's output on a few calibration examples; the greedy path of plans
// is binary-searched for the cheapest plan whose accuracy on the search split is at least the
// target fraction of the original; the plan is then checked on the test split, compared with a
// uniform TASD-W series, uniform N:M pruning and unstructured magnitude pruning at the same
// compute, and costed on the simulator (timing only).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/FileUtil.h"
#include "sw/model/Tensor.h"
#include "sw/plan/Plan.h"
#include "sw/workload/Workload.h"

namespace tasdsim::tasder {

// Labelled examples: the model input of example i (called from worker threads) and its label.
struct LabelledSet {
  std::function<model::Tensor(size_t)> input;
  std::vector<int> labels;
  std::string description;  // e.g. "examples 0-999 of x.npy"
  size_t size() const { return labels.size(); }
};

// The class scores of one model output; the prediction is the highest (ties: lower class).
using ScoreFunction = std::function<std::vector<float>(const model::Tensor& output)>;

// A model with its labelled data.
struct ModelSearchData {
  std::string title;            // e.g. "PP-OCRv4 rec" (plan name, summary)
  std::filesystem::path model;  // the model file (experiment.yaml names it)
  std::vector<int64_t> inputShape;
  workload::Workload workload;  // loaded from `model` with inputShape
  LabelledSet search;           // accuracy checks of the search
  LabelledSet test;             // the chosen plan and the baselines, held out from the search
  std::string testName = "test split";  // how progress and summary name it
  LabelledSet calibration;              // operand samples and |A| quantiles
  LabelledSet probe;                    // score every candidate at the output
  ScoreFunction scores;
  std::string labelSource;     // where labels come from, for errors (e.g. the labels file)
  nlohmann::json description;  // what the data is (search.json "data")
};

struct ModelSearchOptions {
  std::string arch;
  std::string denseArch = "configs/arch/dense_tc.yaml";
  double target = 0.99;
  std::string cost = "macs";  // macs | cycles | energy | edp
  std::string dtype = "int8";
  std::string operands = "W,A";
  size_t calibrationRows = 64;
  size_t rounds = 4;
  size_t threads = 0;  // 0: all cores
  // Progress lines (stage done) and the scoring count (done, total); either may be empty.
  std::function<void(const std::string&)> say;
  std::function<void(size_t, size_t)> scoring;
};

struct ModelSearchReport {
  plan::Plan plan;
  nlohmann::json summary;      // search.json
  std::string text;            // summary.txt
  std::string experimentYaml;  // simulates the plan: tasdsim run OUT/experiment.yaml
};

// Checks the options (UserError naming the option) before anything runs.
void checkModelSearchOptions(const ModelSearchOptions& options);

// The search (UserError for bad data: labels outside the model's classes, empty splits).
ModelSearchReport searchModel(const ModelSearchData& data, const ModelSearchOptions& options);

// plan.yaml, search.json, summary.txt and experiment.yaml into a staging folder.
void writeModelSearch(const ModelSearchReport& report, const StagingDir& dir);

// Labelled examples held in memory: inputs N x C x H x W (every example one model input
// [1, C, H, W]) and labels N.
struct ArrayLabelledData {
  std::string inputsName, labelsName;  // for errors and descriptions (file names)
  std::vector<int64_t> exampleShape;   // [1, C, H, W]
  std::vector<float> values;           // N x C*H*W
  std::vector<int> labels;
  size_t size() const { return labels.size(); }
};
// UserError naming inputsName or labelsName for a wrong shape, a count mismatch or a negative
// label.
std::shared_ptr<const ArrayLabelledData> makeLabelledData(const std::vector<size_t>& inputShape,
                                                          std::vector<float> values,
                                                          const std::vector<int64_t>& labels,
                                                          const std::string& inputsName,
                                                          const std::string& labelsName);
// From two .npy files: inputs float32 or float16, labels int64 or int8.
std::shared_ptr<const ArrayLabelledData> loadNpyLabelledData(const std::filesystem::path& inputs,
                                                             const std::filesystem::path& labels);
// Examples [begin, end) (end <= size()); the set keeps the data alive.
LabelledSet sliceOf(const std::shared_ptr<const ArrayLabelledData>& data, size_t begin, size_t end);

// A split "BEGIN:END" of N examples (0 <= BEGIN < END <= N); UserError naming the option.
struct SplitRange {
  size_t begin = 0, end = 0;
};
SplitRange parseSplit(const std::string& text, const std::string& option, size_t examples);

// Any classifier (ONNX, TFLite or tasdsim import YAML; output [1, K]) with labelled examples
// split by index ranges: the search split for the accuracy checks, the test split held out
// (must not overlap the search or calibration split), calibration (default: the first 100 of
// the search split), whose first `probe` examples score the candidates.
struct ClassifierSplits {
  std::string search, test, calibration;  // "BEGIN:END"; calibration may be empty
  size_t probe = 10;
};
ModelSearchData classifierData(const std::string& model,
                               const std::shared_ptr<const ArrayLabelledData>& data,
                               const ClassifierSplits& splits);

// The class scores of a classifier's output [1, K] (or [K]): the K values.
std::vector<float> classifierScores(const model::Tensor& output);

}  // namespace tasdsim::tasder
