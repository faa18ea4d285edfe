#include "sw/tasder/ModelSearch.h"

#include <algorithm>

#include <fmt/format.h>

#include "sw/common/Error.h"

namespace tasdsim::tasder {

std::vector<executor::LayerTasd> settingsOf(const std::vector<executor::GemmLayer>& layers,
                                            const std::vector<bool>& selected, const plan::Plan& plan,
                                            const executor::CalibrationHook* calibration) {
  std::vector<executor::LayerTasd> settings(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    if (i >= selected.size() || !selected[i]) continue;
    const plan::LayerPlan& lp = plan.forLayer(layers[i].name);
    if (lp.operand == plan::Operand::W) {
      settings[i].weights = lp.series;
      continue;
    }
    settings[i].activations = lp.series;
    if (lp.tau >= 0) settings[i].tau = static_cast<float>(lp.tau);
    if (lp.tauQuantile >= 0) {
      if (!calibration) throw std::logic_error("settingsOf: a tau quantile without calibration");
      settings[i].tau = calibration->quantile(i, lp.tauQuantile);
    }
  }
  return settings;
}

}  // namespace tasdsim::tasder
