#pragma once
// TASDER on a real model run by the reference executor (docs/tasder.md): calibration samples
// of every layer with constant weights, the executor settings of a plan, and the model's layers
// as a workload of independent layers (synthetic inputs of the real shapes) for the simulator's
// cost table.
#include <map>
#include <string>
#include <vector>

#include "sw/executor/GemmHook.h"
#include "sw/executor/TasdHook.h"
#include "sw/plan/Plan.h"
#include "sw/tasder/Scoring.h"
#include "sw/workload/Workload.h"

namespace tasdsim::tasder {

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

// The executor settings of a plan over the model's layers (by name; unselected layers and
// layers the plan leaves dense are unchanged). tau_quantile entries take their threshold from
// calibration, which must then be given.
std::vector<executor::LayerTasd> settingsOf(const std::vector<executor::GemmLayer>& layers,
                                            const std::vector<bool>& selected, const plan::Plan& plan,
                                            const executor::CalibrationHook* calibration);

// The selected layers as a workload: each a conv of its real GEMM shape (a Gemm/MatMul as a 1x1
// conv) on a synthetic input, named as in the model so that a plan of the model applies to it.
// Timing does not depend on values, so the simulator's timing-only cost of a plan is that of
// the model's layers.
// As workload YAML (workload::WorkloadSpec::fromYaml(config::loadString(...)) reads it).
std::string workloadYaml(const std::string& name, const std::vector<executor::GemmLayer>& layers,
                         const std::vector<bool>& selected);

}  // namespace tasdsim::tasder
