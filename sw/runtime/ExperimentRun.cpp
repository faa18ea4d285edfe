#include "sw/runtime/ExperimentRun.h"

#include <cstring>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "hw/rtl/cosim/RtlSupport.h"
#include "sw/common/Error.h"
#include "sw/config/ConfigNode.h"
#include "sw/io/Npy.h"
#include "sw/runtime/HostComparison.h"
#include "sw/runtime/Isolated.h"
#include "sw/runtime/NetworkRun.h"
#include "sw/runtime/Preflight.h"

namespace tasdsim::runtime {
namespace {

void applyPlanOptions(const RunRequest& r, Experiment& x) {
  if (!r.planFile.empty()) {
    if (!r.series.empty()) throw UserError("--plan and --series exclude each other");
    x.plan = plan::Plan::load(r.planFile);
    x.resolved["plan"] = YAML::Load(x.plan.toYaml())["plan"];
  }
  if (r.series.empty()) return;
  const tasd::Series s = tasd::Series::parse(r.series);
  if (r.operand != "W" && r.operand != "A") throw UserError("--operand must be W or A");
  if (r.tauQuantile >= 0 && r.operand != "A") {
    throw UserError("--tau-quantile applies to --operand A only (the threshold of activations)");
  }
  x.plan =
      plan::Plan::uniform(s, r.operand == "W" ? plan::Operand::W : plan::Operand::A, r.tauQuantile);
  x.resolved["plan"] = YAML::Load(x.plan.toYaml())["plan"];
}

// The caller's input set, checked against the workload's inputs.
std::vector<model::Tensor> checkedInputs(const std::vector<model::Tensor>& given,
                                         const workload::Workload& w) {
  if (given.size() != w.inputs.size()) {
    throw UserError(fmt::format("input: workload '{}' has {} inputs; {} given", w.name,
                                w.inputs.size(), given.size()));
  }
  for (size_t i = 0; i < given.size(); ++i) {
    if (given[i].shape != w.inputs[i].shape) {
      throw UserError(fmt::format(
          "input {}: shape {} does not match the input of workload '{}', {}", i,
          model::shapeString(given[i].shape), w.name, model::shapeString(w.inputs[i].shape)));
    }
  }
  return given;
}

// Report serialisation between a child and its parent: length-prefixed texts and numbers, then
// each output's name, shape and floats. The texts are the files' texts, never parsed here.
void put(std::string& out, uint64_t v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
void put(std::string& out, const std::string& text) {
  put(out, uint64_t{text.size()});
  out += text;
}

class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  uint64_t number() {
    uint64_t v = 0;
    need(sizeof v);
    std::memcpy(&v, bytes_.data() + at_, sizeof v);
    at_ += sizeof v;
    return v;
  }
  std::string text() {
    const uint64_t n = number();
    need(n);
    std::string s = bytes_.substr(at_, n);
    at_ += n;
    return s;
  }
  void floats(float* out, size_t n) {
    need(n * sizeof(float));
    std::memcpy(out, bytes_.data() + at_, n * sizeof(float));
    at_ += n * sizeof(float);
  }

 private:
  void need(uint64_t n) const {
    if (n > bytes_.size() - at_) throw std::logic_error("run report from the child is truncated");
  }
  const std::string& bytes_;
  size_t at_ = 0;
};

std::string serialize(const RunReport& r) {
  std::string bytes;
  for (const std::string* text :
       {&r.statsJson, &r.layersCsv, &r.wallClockJson, &r.summary, &r.failReason})
    put(bytes, *text);
  put(bytes, static_cast<uint64_t>(r.checks));
  put(bytes, uint64_t{r.outputs.size()});
  for (const NamedTensor& t : r.outputs) {
    put(bytes, t.name);
    put(bytes, uint64_t{t.tensor.shape.size()});
    for (int64_t d : t.tensor.shape)
      put(bytes, static_cast<uint64_t>(d));
    bytes.append(reinterpret_cast<const char*>(t.tensor.f.data()),
                 t.tensor.f.size() * sizeof(float));
  }
  return bytes;
}

RunReport deserialize(const std::string& bytes) {
  Reader in(bytes);
  RunReport r;
  for (std::string* text :
       {&r.statsJson, &r.layersCsv, &r.wallClockJson, &r.summary, &r.failReason})
    *text = in.text();
  r.checks = static_cast<Checks>(in.number());
  const uint64_t outputs = in.number();
  for (uint64_t o = 0; o < outputs; ++o) {
    std::string name = in.text();
    std::vector<int64_t> shape(in.number());
    for (int64_t& d : shape)
      d = static_cast<int64_t>(in.number());
    std::vector<float> values(model::shapeElements(shape));
    in.floats(values.data(), values.size());
    r.outputs.push_back({std::move(name), model::Tensor::floats(shape, std::move(values))});
  }
  return r;
}

}  // namespace

PreparedRun prepareRun(const RunRequest& r) {
  PreparedRun p;
  Experiment& x = p.experiment;
  x = Experiment::load(r.experiment, r.overrides, r.workload);
  if (r.timingOnly) x.timingOnly = true;
  if (!r.inputNpy.empty()) {
    x.input = InputSpec{};
    x.input.npy = r.inputNpy;
  }
  if (r.saveOutputs) x.saveOutputs = true;
  if (x.timingOnly && x.saveOutputs)
    throw UserError("--save-outputs needs values: it excludes --timing-only");
  if (x.timingOnly && r.compareExecutor)
    throw UserError("--compare-executor needs values: it excludes --timing-only");
  if (x.timingOnly && !r.inputs.empty())
    throw UserError("an input set needs values: it excludes --timing-only");
  applyPlanOptions(r, x);
  validatePlan(x.workload, x.plan, x.arch.params);
  // The preflight's tile choices are the run's (the same accelerator and objective).
  auto tilings = std::make_shared<TilingMemo>();
  checkRunFits(x.workload, x.plan, x.arch.params, x.dtype, !x.timingOnly,
               MapperOptions{x.mapperObjective, &x.arch.energy, tilings.get()});
  rtl::checkRun(x.arch.params, x.dtype, !x.timingOnly, r.trace);

  SimulationInputs& in = p.inputs;
  in.workload = x.workload;
  in.plan = x.plan;
  in.params = x.arch.params;
  in.energy = x.arch.energy;
  in.options.dtype = x.dtype;
  in.options.functional = !x.timingOnly;
  in.options.check = x.check && !x.timingOnly;
  in.options.mapperObjective = x.mapperObjective;
  in.options.tilings = tilings;
  std::string inputText =
      x.timingOnly ? std::string("none (timing only)") : x.input.describe(x.workload);
  if (!x.timingOnly) {
    if (!r.inputs.empty()) {
      in.options.inputs.push_back(checkedInputs(r.inputs, x.workload));
      inputText = "the caller's input set";
    } else {
      in.options.inputs.push_back(x.input.load(x.workload));
    }
  }
  // int8: the device's output path requantises every layer's results with static scales
  // calibrated on this input set (experiment.int8_output).
  if (x.dtype == tasd::DType::I8 && x.int8Output) {
    in.options.int8Scales =
        outputPathScales(x.workload, x.timingOnly ? nullptr : &in.options.inputs.front());
  }
  // Compared with the host executor: both take the plan's thresholds from this input, on the host.
  p.compareExecutor = r.compareExecutor;
  if (r.compareExecutor)
    in.options.taus = planThresholds(x.workload, x.plan, in.options.inputs.front());
  p.info = ExperimentInfo{
      x.name,    x.arch.params.name, x.workload.name, x.plan.name,        tasd::dtypeName(x.dtype),
      inputText, x.timingOnly,       x.workload.seed, x.arch.energy.name, x.arch.energy.notCosted};
  return p;
}

RunReport executeRun(const PreparedRun& p) {
  const Experiment& x = p.experiment;
  const SimulationOutput out = simulate(p.inputs);
  RunReport r;
  nlohmann::json stats = statsJson(p.info, out);
  r.failReason = out.run.failReason;
  r.checks = out.run.checks;
  std::string agreementText;
  if (p.compareExecutor && out.run.failReason.empty()) {
    const std::vector<model::Tensor> host =
        runOnHost(x.workload, x.plan, p.inputs.options.taus, p.inputs.options.inputs.front());
    nlohmann::json rows = nlohmann::json::array();
    for (const OutputAgreement& a : compareOutputs(*x.workload.graph(), out.outputs, host)) {
      rows.push_back({{"output", a.name},
                      {"max_abs_difference", a.maxAbsDifference},
                      {"relative_difference", a.relativeDifference}});
      agreementText += fmt::format(
          "host executor, same plan: output '{}' differs by at most {:.3g} (relative {:.3g})\n",
          a.name, a.maxAbsDifference, a.relativeDifference);
    }
    stats["executor_agreement"] = rows;
  }
  r.statsJson = stats.dump(1) + "\n";
  r.layersCsv = layersCsv(out.run);
  r.wallClockJson = wallClockJson(out).dump(1) + "\n";
  if (out.run.failReason.empty() && !x.timingOnly) {
    for (size_t i = 0; i < out.outputs.size(); ++i) {
      if (out.outputs[i].isFloat())
        r.outputs.push_back({x.workload.graph()->outputs[i].name, out.outputs[i]});
    }
  }
  std::ostringstream summary;
  printSummary(summary, p.info, out);
  summary << agreementText;
  r.summary = summary.str();
  return r;
}

RunReport executeRunIsolated(const PreparedRun& p) {
  return deserialize(runIsolated([&] { return serialize(executeRun(p)); }));
}

void writeRun(const PreparedRun& run, const RunReport& report, const StagingDir& dir) {
  writeFileAtomic(dir.file("stats.json"), report.statsJson);
  writeFileAtomic(dir.file("layers.csv"), report.layersCsv);
  writeFileAtomic(dir.file("wall_clock.json"), report.wallClockJson);
  writeFileAtomic(dir.file("resolved_config.yaml"), config::dump(run.experiment.resolved));
  if (run.experiment.saveOutputs && report.failReason.empty()) {
    const std::filesystem::path folder = dir.file("outputs");
    std::filesystem::create_directories(folder);
    for (const NamedTensor& t : report.outputs) {
      std::string name = t.name;
      for (char& c : name)
        if (c == '/' || c == '\\' || c == ':') c = '_';
      io::writeNpy(folder / (name + ".npy"),
                   std::vector<size_t>(t.tensor.shape.begin(), t.tensor.shape.end()),
                   t.tensor.f.data());
    }
  }
  writeFileAtomic(dir.file("summary.txt"), report.summary);
}

}  // namespace tasdsim::runtime
