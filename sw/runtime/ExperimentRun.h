#pragma once
// One `tasdsim run` as a library call: an experiment file with its overrides, workload, input,
// plan or series, checked and prepared (prepareRun), then simulated (executeRun) into the
// results that `tasdsim run` writes. The CLI and the Python module both use it, so a bad input
// gives the same message from either.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/FileUtil.h"
#include "sw/model/Tensor.h"
#include "sw/runtime/Experiment.h"
#include "sw/runtime/Report.h"
#include "sw/runtime/Simulation.h"

namespace tasdsim::runtime {

struct RunRequest {
  std::string experiment;              // experiment YAML
  std::vector<std::string> overrides;  // "key.path=value" (Experiment::load)
  std::string workload;                // replaces experiment.workload when non-empty
  std::string inputNpy;                // the model input as a .npy file
  std::vector<model::Tensor> inputs;   // or the input set in memory (one tensor per graph input)
  bool timingOnly = false;
  bool saveOutputs = false;
  bool compareExecutor = false;
  bool trace = false;
  std::string planFile;  // replaces the experiment's plan
  std::string series;    // one series for every layer (excludes planFile)
  std::string operand = "W";
  double tauQuantile = -1;
};

struct PreparedRun {
  Experiment experiment;
  SimulationInputs inputs;
  ExperimentInfo info;
  bool compareExecutor = false;
};

// Loads and checks everything (UserError naming the file, key or option); nothing is simulated.
PreparedRun prepareRun(const RunRequest& request);

struct NamedTensor {
  std::string name;
  model::Tensor tensor;
};

struct RunReport {
  // The texts of the output files: what `tasdsim run` writes, and what a child sends back
  // unparsed (a caller that wants values parses them once, e.g. the Python module).
  std::string statsJson;             // stats.json
  std::string layersCsv;             // layers.csv
  std::string wallClockJson;         // wall_clock.json
  std::string summary;               // summary.txt
  std::vector<NamedTensor> outputs;  // the network's float outputs (functional runs)
  std::string failReason;
  Checks checks =
      Checks::NotPerformed;  // passed, failed, off (experiment.check: false), not performed
};

// Simulates the prepared run in this process: one SystemC elaboration (Simulation.h).
RunReport executeRun(const PreparedRun& run);
// The same in a child process (Isolated.h), so that a process may run any number of them.
RunReport executeRunIsolated(const PreparedRun& run);

// The files of `tasdsim run` into a staging folder: stats.json, layers.csv, wall_clock.json,
// resolved_config.yaml, summary.txt and, when the experiment saves outputs and the run did not
// fail, outputs/<name>.npy (every '/', '\\' or ':' of a name as '_').
void writeRun(const PreparedRun& run, const RunReport& report, const StagingDir& dir);

}  // namespace tasdsim::runtime
