#pragma once
// Result files of a run: stats.json (stable keys, schema "tasdsim-stats/2", docs/outputs.md),
// layers.csv (one row per layer), wall_clock.json (the host's wall-clock times: the only output
// that is not deterministic) and the terminal summary.
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/runtime/Simulation.h"

namespace tasdsim::runtime {

struct ExperimentInfo {
  std::string name;
  std::string arch;
  std::string workload;
  std::string plan;
  std::string dtype;
  std::string input;  // where the input values came from
  bool timingOnly = false;
  uint64_t seed = 0;
  std::string energyTable;                   // the energy table's name
  std::vector<std::string> energyNotCosted;  // components its binding leaves out
};

// How far the tile chooser's cycle estimates are from the simulated cycles, over the accelerator
// layers: |estimate / cycles - 1|, its mean and its largest (with that layer's name).
struct MapperEstimate {
  size_t layers = 0;
  double meanAbsError = 0;
  double maxAbsError = 0;
  std::string maxLayer;
};
MapperEstimate mapperEstimate(const RunResult& run);

// Network totals over the layers (cycles add up: layers run one after another).
struct NetworkTotals {
  uint64_t cycles = 0;
  double seconds = 0;
  double energyPj = 0;
  double edp = 0;
  uint64_t denseMacs = 0;
  uint64_t macOps = 0;
  hw::EnergyBreakdown energy;
};
NetworkTotals networkTotals(const RunResult& run);
// The network totals of a simulation run in a child process (one SystemC elaboration per
// process, Isolated.h); UserError with the failure when the simulation fails.
NetworkTotals simulateTotalsIsolated(const SimulationInputs& inputs);

nlohmann::json statsJson(const ExperimentInfo& info, const SimulationOutput& out);
std::string layersCsv(const RunResult& run);
nlohmann::json wallClockJson(const SimulationOutput& out);
void printSummary(std::ostream& os, const ExperimentInfo& info, const SimulationOutput& out);

}  // namespace tasdsim::runtime
