#include "sw/runtime/Experiment.h"

#include <algorithm>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/Output.h"
#include "sw/config/ConfigNode.h"
#include "sw/executor/DigitAccuracy.h"
#include "sw/io/Npy.h"

namespace tasdsim::runtime {

std::vector<model::Tensor> InputSpec::load(const workload::Workload& w) const {
  if (!npy.empty()) {
    if (w.graph()->inputs.size() != 1) {
      throw UserError(fmt::format("{}: workload '{}' has {} inputs; a .npy file gives one", npy,
                                  w.name, w.graph()->inputs.size()));
    }
    const io::NpyArray a = io::readNpy(npy);
    if (a.type == io::NpyType::I64)
      throw UserError(fmt::format("{}: an int64 array is not a model input (float32)", npy));
    std::vector<int64_t> shape(a.shape.begin(), a.shape.end());
    const std::vector<int64_t>& expected = w.inputs.front().shape;
    if (shape != expected) {
      throw UserError(fmt::format("{}: shape {} does not match the input of workload '{}', {}", npy,
                                  model::shapeString(shape), w.name, model::shapeString(expected)));
    }
    return {model::Tensor::floats(shape, a.toFloat())};
  }
  if (digit >= 0) {
    const auto digits =
        executor::loadDigits(executor::realdataPath({}, realdata, executor::kDigitsDir), index, 1);
    const model::Tensor t = executor::ocrDigitInput(digits.at(static_cast<size_t>(digit)).pixels);
    if (w.graph()->inputs.size() != 1 || t.shape != w.inputs.front().shape) {
      throw UserError(fmt::format(
          "experiment.input: the digit protocol's input {} does not fit workload '{}' ({})",
          model::shapeString(t.shape), w.name, model::shapeString(w.inputs.front().shape)));
    }
    return {t};
  }
  return w.inputs;
}

std::string InputSpec::describe(const workload::Workload& w) const {
  if (!npy.empty()) return npy;
  if (digit >= 0) return fmt::format("digit {} #{} (digit protocol)", digit, index);
  return w.inputSource;
}

Experiment Experiment::load(const std::string& path, const std::vector<std::string>& overrides,
                            const std::string& workloadOverride) {
  std::vector<std::string> mine, arch, workloadOv, planOv;
  for (const std::string& o : overrides) {
    const std::string head = o.substr(0, o.find('.'));
    if (head == "arch" || head == "energy") {
      arch.push_back(o);
    } else if (head == "workload") {
      workloadOv.push_back(o);
    } else if (head == "plan") {
      planOv.push_back(o);
    } else if (head == "experiment") {
      mine.push_back(o);
    } else {
      throw UserError(fmt::format(
          "--set {}: the key path must start with experiment., arch., energy., workload. or "
          "plan.",
          o));
    }
  }
  const config::Node root = config::loadFile(path, mine);
  const config::Node e = root.at("experiment");
  root.finish();
  Experiment x;
  x.file = path;
  x.name = e.get<std::string>("name");
  // The name picks the default output folder out/<name>: one plain name, never a path.
  if (const std::string problem = plainNameProblem(x.name); !problem.empty()) {
    e.at("name").fail(
        fmt::format("'{}' {}; it names the output folder out/<name> (no '/', '\\', '..', control "
                    "characters)",
                    x.name, problem));
  }
  const std::string archPath = config::resolvePath(path, e.get<std::string>("arch"));
  const std::string workloadKey = e.get<std::string>("workload");
  const std::string workloadPath =
      workloadOverride.empty() ? config::resolvePath(path, workloadKey) : workloadOverride;
  workload::LoadOptions lo;
  lo.overrides = workloadOv;
  lo.seed = e.get<uint64_t>("seed", 1);
  if (auto shape = e.find("input_shape")) {
    for (const config::Node& d : shape->items()) {
      const int64_t v = d.as<int64_t>();
      if (v <= 0) d.fail(fmt::format("{}: dimensions must be positive", v));
      lo.inputShape.push_back(v);
    }
  }
  if (auto in = e.find("input")) {
    if (in->isScalar()) {
      x.input.npy = config::resolvePath(path, in->as<std::string>());
    } else {
      x.input.digit = static_cast<int>(in->get<uint32_t>("digit", 0, 0, 9));
      x.input.index = in->get<uint32_t>("index", 0, 0, 1u << 20);
      // realdata/ of the working directory, as the commands' --realdata, unless the file says.
      x.input.realdata = in->has("realdata")
                             ? config::resolvePath(path, in->get<std::string>("realdata"))
                             : "realdata";
      in->finish();
    }
  }
  x.saveOutputs = e.get<bool>("save_outputs", false);
  x.dtype = tasd::parseDType(e.choice("dtype", "fp32", {"fp32", "bf16", "int8"}));
  x.check = e.get<bool>("check", true);
  x.int8Output = e.choice("int8_output", "int8", {"int8", "int32"}) == "int8";
  x.mapperObjective =
      parseMapperObjective(e.choice("mapper_objective", "cycles", {"cycles", "edp"}));
  x.timingOnly = e.get<bool>("timing_only", false);
  if (auto sn = e.find("search")) {
    x.hasSearch = true;
    SearchSpec& sp = x.search;
    sp.operands = sn->stringList("operands", sp.operands);
    if (sp.operands.empty()) sn->at("operands").fail("an empty list: give W, A or both");
    for (size_t i = 0; i < sp.operands.size(); ++i) {
      const std::string& op = sp.operands[i];
      if (op != "W" && op != "A")
        sn->at("operands").fail(fmt::format("operand '{}': expected W or A", op));
      if (std::find(sp.operands.begin(), sp.operands.begin() + static_cast<long>(i), op) !=
          sp.operands.begin() + static_cast<long>(i)) {
        sn->at("operands").fail(fmt::format("operand '{}' appears twice", op));
      }
    }
    sp.cost = sn->choice("cost", sp.cost, {"macs", "cycles", "energy", "edp"});
    const config::Node q = sn->section("quality");
    sp.measure = q.choice("measure", sp.measure, {"rel_error", "accuracy"});
    sp.scope =
        q.choice("scope", sp.measure == "accuracy" ? "accuracy" : "network",
                 sp.measure == "accuracy" ? std::vector<std::string>{"accuracy"}
                                          : std::vector<std::string>{"network", "per_layer"});
    sp.target = q.get<double>("target", sp.measure == "accuracy" ? 0.99 : 0.05, 0.0, 1.0);
    q.finish();
    sp.calibrationRows = sn->get<uint32_t>("calibration_rows", sp.calibrationRows, 1, 65536);
    sp.tauQuantiles = sn->numberList("tau_quantiles", sp.tauQuantiles, 0.0, 1.0);
    if (sp.tauQuantiles.empty())
      sn->at("tau_quantiles").fail("an empty list: give at least one quantile in [0, 1]");
    sn->finish();
  }
  const config::Node p = x.hasSearch && !e.has("plan") ? e.section("plan") : e.at("plan");
  if (p.has("file")) {
    const std::string planPath = config::resolvePath(path, p.get<std::string>("file"));
    p.finish();
    x.plan = plan::Plan::fromYaml(config::loadFile(planPath, planOv));
  } else {
    if (!planOv.empty())
      throw UserError(fmt::format("--set {}: this experiment has no plan file", planOv.front()));
    const std::string series = p.get<std::string>("series", "dense");
    const std::string operand = p.choice("operand", "W", {"W", "A"});
    const double tauQuantile = p.get<double>("tau_quantile", -1.0, -1.0, 1.0);
    p.finish();
    tasd::Series s;
    try {
      s = tasd::Series::parse(series);
    } catch (const UserError& err) {
      p.at("series").fail(err.what());
    }
    x.plan =
        plan::Plan::uniform(s, operand == "W" ? plan::Operand::W : plan::Operand::A, tauQuantile);
  }
  e.finish();
  x.arch = config::loadArch(archPath, arch);
  x.workload = workload::load(workloadPath, lo);
  x.resolved["experiment"] = e.resolved();
  if (!workloadOverride.empty()) x.resolved["experiment"]["workload"] = workloadOverride;
  x.resolved["arch"] = x.arch.resolved;
  x.resolved["workload"] = x.workload.resolved;
  x.resolved["plan"] = YAML::Load(x.plan.toYaml())["plan"];
  return x;
}

}  // namespace tasdsim::runtime
