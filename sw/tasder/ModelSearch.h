#pragma once
// TASDER on a real model run by the graph executor (docs/tasder.md): the executor settings of
// a plan (calibration samples come from SampleHook, Scoring.h; costs from the model's own GEMM
// layers, candidateCosts).
#include <string>
#include <vector>

#include "sw/executor/GemmHook.h"
#include "sw/executor/TasdHook.h"
#include "sw/plan/Plan.h"
#include "sw/tasder/Scoring.h"

namespace tasdsim::tasder {

// The executor settings of a plan over the model's layers (by name; unselected layers and
// layers the plan leaves dense are unchanged). tau_quantile entries take their threshold from
// calibration, which must then be given.
std::vector<executor::LayerTasd> settingsOf(const std::vector<executor::GemmLayer>& layers,
                                            const std::vector<bool>& selected, const plan::Plan& plan,
                                            const executor::CalibrationHook* calibration);

}  // namespace tasdsim::tasder
