#pragma once
// Scoring the candidates of every layer once: quality from calibration rows, cost in MACs or
// from the simulator's timing-only mode.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <map>

#include "hw/model/energy/EnergyModel.h"
#include "hw/model/top/AcceleratorParams.h"
#include "sw/executor/GemmHook.h"
#include "sw/tasder/Search.h"
#include "sw/workload/Workload.h"

namespace tasdsim::tasder {

struct ScoringOptions {
  std::vector<plan::Operand> operands{plan::Operand::W, plan::Operand::A};
  size_t calibrationRows = 64;                  // sampled GEMM rows per layer
  std::vector<double> tauQuantiles{0.25, 0.5};  // tried for A when the input is not sparse
  double sparseInput = 0.3;      // inputs with at least this fraction of zeros get no tau
  size_t calibrationImages = 1;  // inputs whose samples add up (real models)
  std::function<void(const std::string& stage, size_t done, size_t total)> progress;
};

// What the engine can run (from its arch).
struct EngineView {
  std::vector<tasd::Series> series;    // every runnable series, dense included
  bool structuredActivations = false;  // TASD units (and the TASD extension)
};
EngineView engineView(const hw::AcceleratorParams& params);

// Calibration samples of one layer: some GEMM rows of some groups and their weights.
struct LayerSample {
  std::string name;
  uint64_t macs = 0;
  bool isMatMul = false;
  double inputZeroFraction = 0;
  uint64_t zeroCount = 0, elementCount = 0;  // behind inputZeroFraction
  size_t k = 0;
  struct Group {
    std::vector<float> a;  // rows x k
    std::vector<float> w;  // n x k
    size_t rows = 0, n = 0;
  };
  std::vector<Group> groups;
};

// Adds one call's operands of group g (of `groups`) to a layer's samples: rows of act (m x k) at
// a fixed stride, the weights w (n x k), the input's zero fraction. Up to 16 groups per call
// are kept, and calibrationImages calls' worth.
void addSample(LayerSample& s, size_t groups, size_t g, const float* act, size_t m, size_t k,
               const float* w, size_t n, const ScoringOptions& options);

// Collects LayerSamples (rows of A and the weights) of the selected layers over the runs it
// sees; merge() joins the hooks of several threads.
class SampleHook : public executor::GemmHook {
 public:
  SampleHook(std::vector<bool> selected, ScoringOptions options)
      : selected_(std::move(selected)), options_(std::move(options)) {}
  bool wantsOperands(const executor::GemmLayer& layer) override;
  bool onGemm(const executor::GemmLayer& layer, size_t group, executor::GemmOperands& ops) override;
  void merge(const SampleHook& other);
  // In layer order.
  std::vector<LayerSample> samples() const;

 private:
  std::vector<bool> selected_;
  ScoringOptions options_;
  std::map<size_t, LayerSample> samples_;
};

// Runs the workload on its default inputs in the graph executor (dense, fp32, on the host) and
// samples every GEMM layer.
std::vector<LayerSample> calibrate(const workload::Workload& w, const ScoringOptions& options);

// The relative output error of a candidate on the layer's samples.
double candidateError(const LayerSample& sample, plan::Operand operand, const tasd::Series& series,
                      double tauQuantile);

// Candidates with errors and MAC costs for every layer.
std::vector<LayerChoices> scoreLayers(const std::vector<LayerSample>& samples,
                                      const EngineView& engine, const ScoringOptions& options);

// The simulator's cost of every candidate of every layer (per layer, per candidate): one
// timing-only simulation (in a child process) runs every distinct GEMM layer shape of the
// workload with every candidate in the given value type (int8: through the device's
// requantising output path unless int8Output is false, as `tasdsim run` by default). Every layer
// must be a GEMM layer of the workload.
struct CandidateCost {
  double cycles = 0, energyPj = 0, edp = 0;  // edp in J*s
};
std::vector<std::vector<CandidateCost>> candidateCosts(const std::vector<LayerChoices>& layers,
                                                       const workload::Workload& w,
                                                       const hw::AcceleratorParams& params,
                                                       const hw::EnergyTable& energy,
                                                       tasd::DType dtype, bool int8Output = true);

// Replaces every candidate's cost by its "cycles", "energy" (pJ) or "edp" (J*s) from
// candidateCosts.
void simulatedCosts(std::vector<LayerChoices>& layers, const workload::Workload& w,
                    const hw::AcceleratorParams& params, const hw::EnergyTable& energy,
                    const std::string& cost, tasd::DType dtype, bool int8Output = true);

}  // namespace tasdsim::tasder
