#include "sw/runtime/Experiment.h"

#include <cstdlib>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/config/ConfigNode.h"

namespace tasdsim::runtime {

Experiment Experiment::load(const std::string& path, const std::vector<std::string>& overrides) {
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
      throw UserError(fmt::format("--set {}: the key path must start with experiment., arch., energy., workload. or "
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
  const std::string archPath = config::resolvePath(path, e.get<std::string>("arch"));
  const std::string workloadPath = config::resolvePath(path, e.get<std::string>("workload"));
  x.dtype = tasd::parseDType(e.choice("dtype", "fp32", {"fp32", "bf16", "int8"}));
  x.check = e.get<bool>("check", true);
  x.timingOnly = e.get<bool>("timing_only", false);
  if (auto sn = e.find("search")) {
    x.hasSearch = true;
    SearchSpec& sp = x.search;
    sp.operands = sn->stringList("operands", sp.operands);
    for (const std::string& op : sp.operands) {
      if (op != "W" && op != "A") sn->at("operands").fail(fmt::format("operand '{}': expected W or A", op));
    }
    sp.cost = sn->choice("cost", sp.cost, {"macs", "cycles", "energy", "edp"});
    const config::Node q = sn->section("quality");
    sp.measure = q.choice("measure", sp.measure, {"rel_error", "accuracy"});
    sp.scope = q.choice("scope", sp.measure == "accuracy" ? "accuracy" : "network",
                        sp.measure == "accuracy" ? std::vector<std::string>{"accuracy"}
                                                 : std::vector<std::string>{"network", "per_layer"});
    sp.target = q.get<double>("target", sp.measure == "accuracy" ? 0.99 : 0.05, 0.0, 1.0);
    q.finish();
    sp.calibrationRows = sn->get<uint32_t>("calibration_rows", sp.calibrationRows, 1, 65536);
    sp.tauQuantiles.clear();
    for (const std::string& t : sn->stringList("tau_quantiles", {"0.25", "0.5"})) {
      char* end = nullptr;
      const double v = std::strtod(t.c_str(), &end);
      if (end == t.c_str() || *end || v < 0 || v > 1) {
        sn->at("tau_quantiles").fail(fmt::format("'{}' is not a quantile in [0, 1]", t));
      }
      sp.tauQuantiles.push_back(v);
    }
    sn->finish();
  }
  const config::Node p = x.hasSearch && !e.has("plan") ? e.section("plan") : e.at("plan");
  if (p.has("file")) {
    const std::string planPath = config::resolvePath(path, p.get<std::string>("file"));
    p.finish();
    x.plan = plan::Plan::fromYaml(config::loadFile(planPath, planOv));
  } else {
    if (!planOv.empty()) throw UserError(fmt::format("--set {}: this experiment has no plan file", planOv.front()));
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
    x.plan = plan::Plan::uniform(s, operand == "W" ? plan::Operand::W : plan::Operand::A, tauQuantile);
  }
  e.finish();
  x.arch = config::loadArch(archPath, arch);
  const config::Node wroot = config::loadFile(workloadPath, workloadOv);
  x.workload = workload::WorkloadSpec::fromYaml(wroot);
  x.resolved["experiment"] = e.resolved();
  x.resolved["arch"] = x.arch.resolved;
  x.resolved["workload"] = wroot.resolved()["workload"];
  x.resolved["plan"] = YAML::Load(x.plan.toYaml())["plan"];
  return x;
}

}  // namespace tasdsim::runtime
