#include "sw/runtime/HostComparison.h"

#include <algorithm>
#include <cmath>

#include "sw/executor/Executor.h"
#include "sw/executor/TasdHook.h"

namespace tasdsim::runtime {

std::map<std::string, float> planThresholds(const workload::Workload& w, const plan::Plan& plan,
                                            const std::vector<model::Tensor>& inputs) {
  std::vector<bool> wanted(w.gemms.size(), false);
  bool any = false;
  for (const executor::GemmLayer& l : w.gemms) {
    const plan::LayerPlan& lp = plan.forLayer(l.name);
    wanted[l.index] = lp.operand == plan::Operand::A && lp.tauQuantile >= 0 && !lp.series.isDense();
    any = any || wanted[l.index];
  }
  std::map<std::string, float> taus;
  if (!any) return taus;
  executor::CalibrationHook calibration(wanted);
  executor::Executor ex(w.graph());
  ex.setHook(&calibration);
  ex.run(inputs);
  for (const executor::GemmLayer& l : w.gemms) {
    if (wanted[l.index])
      taus[l.name] = calibration.quantile(l.index, plan.forLayer(l.name).tauQuantile);
  }
  return taus;
}

std::map<std::string, ActivationScales> outputPathScales(const workload::Workload& w,
                                                         const std::vector<model::Tensor>* inputs) {
  std::map<std::string, ActivationScales> scales;
  if (!inputs) {
    for (const executor::GemmLayer& l : w.gemms)
      scales[l.name] = ActivationScales{1.0f, 1.0f};
    return scales;
  }
  executor::RangeHook ranges;
  executor::Executor ex(w.graph());
  ex.setHook(&ranges);
  ex.run(*inputs);
  return int8ScalesOf(ranges.ranges(1.0));
}

std::map<std::string, ActivationScales> int8ScalesOf(
    const std::map<std::string, executor::ActivationRange>& ranges) {
  std::map<std::string, ActivationScales> scales;
  for (const auto& [name, r] : ranges)
    scales[name] = ActivationScales{r.input > 0 ? r.input / 127.0f : 1.0f,
                                    r.output > 0 ? r.output / 127.0f : 1.0f};
  return scales;
}

std::vector<model::Tensor> runOnHost(const workload::Workload& w, const plan::Plan& plan,
                                     const std::map<std::string, float>& taus,
                                     const std::vector<model::Tensor>& inputs) {
  std::vector<executor::LayerTasd> settings(w.gemms.size());
  for (const executor::GemmLayer& l : w.gemms) {
    const plan::LayerPlan& lp = plan.forLayer(l.name);
    executor::LayerTasd& s = settings[l.index];
    if (lp.series.isDense()) continue;
    if (lp.operand == plan::Operand::W) {
      s.weights = lp.series;
    } else {
      s.activations = lp.series;
      const auto it = taus.find(l.name);
      if (it != taus.end()) {
        s.tau = it->second;
      } else if (lp.tau >= 0) {
        s.tau = static_cast<float>(lp.tau);
      }
    }
  }
  executor::TasdHook hook(std::move(settings));
  executor::Executor ex(w.graph());
  ex.setHook(&hook);
  return ex.run(inputs);
}

std::vector<OutputAgreement> compareOutputs(const model::Graph& g,
                                            const std::vector<model::Tensor>& device,
                                            const std::vector<model::Tensor>& host) {
  std::vector<OutputAgreement> out;
  for (size_t i = 0; i < std::min(device.size(), host.size()); ++i) {
    const model::Tensor &a = device[i], &b = host[i];
    if (!a.isFloat() || !b.isFloat() || a.f.size() != b.f.size()) continue;
    OutputAgreement r;
    r.name = i < g.outputs.size() ? g.outputs[i].name : "output" + std::to_string(i);
    double diff2 = 0, ref2 = 0;
    for (size_t k = 0; k < a.f.size(); ++k) {
      const double d = static_cast<double>(a.f[k]) - b.f[k];
      r.maxAbsDifference = std::max(r.maxAbsDifference, std::fabs(d));
      diff2 += d * d;
      ref2 += static_cast<double>(b.f[k]) * b.f[k];
    }
    r.relativeDifference = ref2 > 0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
    out.push_back(r);
  }
  return out;
}

}  // namespace tasdsim::runtime
