#include "sw/tasder/ModelSearch.h"

#include <algorithm>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/config/ConfigNode.h"

namespace tasdsim::tasder {

bool SampleHook::wantsOperands(const executor::GemmLayer& layer) {
  return layer.index < selected_.size() && selected_[layer.index];
}

bool SampleHook::onGemm(const executor::GemmLayer& layer, size_t group, executor::GemmOperands& ops) {
  if (!wantsOperands(layer)) return false;
  LayerSample& s = samples_[layer.index];
  if (s.name.empty()) {
    s.name = layer.name;
    s.macs = layer.macs();
    s.isMatMul = !layer.constantWeights;
    s.k = ops.k;
  }
  addSample(s, layer.groups, group, ops.a, ops.m, ops.k, ops.w, ops.n, options_);
  return false;
}

void SampleHook::merge(const SampleHook& other) {
  for (const auto& [index, theirs] : other.samples_) {
    LayerSample& mine = samples_[index];
    if (mine.name.empty()) {
      mine = theirs;
      continue;
    }
    mine.groups.insert(mine.groups.end(), theirs.groups.begin(), theirs.groups.end());
    mine.zeroCount += theirs.zeroCount;
    mine.elementCount += theirs.elementCount;
    mine.inputZeroFraction =
        mine.elementCount ? static_cast<double>(mine.zeroCount) / static_cast<double>(mine.elementCount) : 0.0;
  }
}

std::vector<LayerSample> SampleHook::samples() const {
  std::vector<LayerSample> out;
  for (const auto& [index, s] : samples_) out.push_back(s);
  return out;
}

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

std::string workloadYaml(const std::string& name, const std::vector<executor::GemmLayer>& layers,
                         const std::vector<bool>& selected) {
  std::string text = fmt::format("workload:\n  name: {}\n  description: \"the Conv/Gemm/MatMul layers with constant "
                                 "weights of {}, each on a synthetic input of its real shape\"\n",
                                 name, name);
  std::string body;
  std::string input;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (i >= selected.size() || !selected[i]) continue;
    const executor::GemmLayer& l = layers[i];
    std::string shape;
    if (l.conv) {
      const tasd::ConvGeometry& g = *l.conv;
      if (g.dilationH != g.dilationW) {
        throw UserError(fmt::format("layer '{}': different dilations along H and W are not supported", l.name));
      }
      shape = fmt::format("{{n: 1, h: {}, w: {}, c: {}}}", g.inH, g.inW, g.channels * l.groups);
      body += fmt::format(
          "    - {{name: \"{}\", op: conv, input: synthetic, cout: {}, kernel_h: {}, kernel_w: {}, stride_h: {}, "
          "stride_w: {}, pad_top: {}, pad_left: {}, pad_bottom: {}, pad_right: {}, dilation: {}, groups: {}, "
          "synthetic: {{act: relu, shape: {}}}}}\n",
          l.name, l.n * l.groups, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.padBottom, g.padRight,
          g.dilationH, l.groups, shape);
    } else {
      // A Gemm or MatMul with constant weights, M rows of K: the same GEMM as a 1x1 conv over
      // a 1 x M image of K channels.
      shape = fmt::format("{{n: 1, h: 1, w: {}, c: {}}}", l.m, l.k);
      body += fmt::format(
          "    - {{name: \"{}\", op: conv, input: synthetic, cout: {}, kernel: 1, synthetic: {{act: relu, shape: {}}}}}\n",
          l.name, l.n, shape);
    }
    if (input.empty()) input = shape;
  }
  if (body.empty()) throw UserError(fmt::format("{}: no layer with constant weights", name));
  return text + fmt::format("  input: {}\n  layers:\n", input) + body;
}

}  // namespace tasdsim::tasder
