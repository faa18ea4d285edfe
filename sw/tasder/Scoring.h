#pragma once
// Scoring the candidates of every layer once: quality from calibration rows, cost in MACs or
// from the simulator's timing-only mode.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hw/model/energy/EnergyModel.h"
#include "hw/model/top/AcceleratorParams.h"
#include "sw/tasder/Search.h"
#include "sw/workload/Workload.h"

namespace tasdsim::tasder {

struct ScoringOptions {
  std::vector<plan::Operand> operands{plan::Operand::W, plan::Operand::A};
  size_t calibrationRows = 64;                // sampled GEMM rows per layer
  std::vector<double> tauQuantiles{0.25, 0.5};  // tried for A when the input is not sparse
  double sparseInput = 0.3;                   // inputs with at least this fraction of zeros get no tau
  std::function<void(const std::string& stage, size_t done, size_t total)> progress;
};

// What the engine can run (from its arch).
struct EngineView {
  std::vector<tasd::Series> series;  // every runnable series, dense included
  bool structuredActivations = false;  // TASD units (and the TASD extension)
};
EngineView engineView(const hw::AcceleratorParams& params);

// Calibration samples of one layer: some GEMM rows of some groups and their weights.
struct LayerSample {
  std::string name;
  uint64_t macs = 0;
  bool isMatMul = false;
  double inputZeroFraction = 0;
  size_t k = 0;
  struct Group {
    std::vector<float> a;  // rows x k
    std::vector<float> w;  // n x k
    size_t rows = 0, n = 0;
  };
  std::vector<Group> groups;
};

// Runs the workload on the host (dense, fp32, synthetic values) and samples every compute layer.
std::vector<LayerSample> calibrate(const workload::WorkloadSpec& w, const ScoringOptions& options);

// The relative output error of a candidate on the layer's samples.
double candidateError(const LayerSample& sample, plan::Operand operand, const tasd::Series& series,
                      double tauQuantile);

// Candidates with errors and MAC costs for every layer.
std::vector<LayerChoices> scoreLayers(const std::vector<LayerSample>& samples, const EngineView& engine,
                                      const ScoringOptions& options);

// Replaces every candidate's cost by the simulator's estimate of it ("cycles", "energy" in pJ
// or "edp" in J*s), from one timing-only simulation (in a child process) that runs every
// distinct layer shape with every candidate.
void simulatedCosts(std::vector<LayerChoices>& layers, const workload::WorkloadSpec& w,
                    const hw::AcceleratorParams& params, const hw::EnergyTable& energy, const std::string& cost);

}  // namespace tasdsim::tasder
