#pragma once
// One `tasdsim search` as a library call: TASDER on an experiment's workload and engine with an
// error target (the experiment's search section): every layer's candidates are calibrated and
// scored, costed in MACs or on the simulator (timing only), and the search picks a plan, which
// is checked against the engine like any plan.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/FileUtil.h"
#include "sw/plan/Plan.h"
#include "sw/runtime/Experiment.h"
#include "sw/tasder/Search.h"

namespace tasdsim::tasder {

// A stage of the search (e.g. "cost table"), its layers done and their total.
using StageProgress = std::function<void(const std::string& stage, size_t done, size_t total)>;

// Loads the experiment with its overrides and checks that it can be searched (UserError naming
// the file): a search section, an error measure (an accuracy target needs labelled data:
// ModelSearch.h), and with simulated costs a workload that fits the engine.
runtime::Experiment loadSearchExperiment(const std::string& experiment,
                                         const std::vector<std::string>& overrides);

struct ExperimentSearchReport {
  std::vector<LayerChoices> layers;  // every layer's scored candidates
  SearchResult result;
  plan::Plan plan;          // the chosen plan, named and checked against the engine
  double macReduction = 0;  // 1 - the plan's MACs / dense MACs
  double calibrationSeconds = 0, scoringSeconds = 0, costSeconds = 0, seconds = 0;
  nlohmann::json summary;  // search.json
  std::string text;        // summary.txt (what tasdsim search prints)
};

// The search of a loaded experiment; progress may be empty.
ExperimentSearchReport searchExperiment(const runtime::Experiment& experiment,
                                        const StageProgress& progress = nullptr);

// plan.yaml, search.json and summary.txt into a staging folder.
void writeExperimentSearch(const ExperimentSearchReport& report, const StagingDir& dir);

}  // namespace tasdsim::tasder
