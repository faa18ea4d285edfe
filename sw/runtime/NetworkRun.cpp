#include "sw/runtime/NetworkRun.h"

#include <fmt/format.h>

#include "hw/model/system/System.h"
#include "sw/common/Error.h"
#include "sw/executor/Executor.h"
#include "sw/runtime/AcceleratorBackend.h"

namespace tasdsim::runtime {

const char* checksName(Checks checks) {
  switch (checks) {
    case Checks::Passed:
      return "passed";
    case Checks::Failed:
      return "failed";
    case Checks::Off:
      return "off";
    case Checks::NotPerformed:
      return "not_performed";
  }
  return "?";
}

void validatePlan(const workload::Workload& w, const plan::Plan& plan,
                  const hw::AcceleratorParams& params) {
  // Every layer a plan names must exist (a typo would otherwise fall back to the default).
  for (const plan::LayerPlan& lp : plan.layers) {
    const workload::Layer* found = w.findLayer(lp.layer);
    if (!found) {
      throw UserError(fmt::format("plan '{}': layer '{}' is not in workload '{}'", plan.name,
                                  lp.layer, w.name));
    }
    if (found->gemm < 0) {
      throw UserError(fmt::format(
          "plan '{}': layer '{}' of workload '{}' is a host operation ({}), not a GEMM or conv",
          plan.name, lp.layer, w.name, found->op));
    }
  }
  for (const workload::Layer& l : w.layers) {
    if (l.gemm < 0) continue;
    const executor::GemmLayer& gemm = w.gemms[static_cast<size_t>(l.gemm)];
    const plan::LayerPlan& lp = plan.forLayer(l.name);
    const tasd::Series& s = lp.series;
    auto fail = [&](const std::string& why) {
      throw UserError(fmt::format("layer '{}': series {} ({}) cannot run on '{}': {}", l.name,
                                  s.str(), plan::operandName(lp.operand), params.name, why));
    };
    if (s.isDense()) continue;
    for (const tasd::NMPattern& p : s.terms) {
      if (!params.peArray.supports(p)) {
        std::string list = "dense";
        for (const tasd::NMPattern& q : params.peArray.patterns)
          list += ", " + q.str();
        fail(fmt::format("pattern {} is not supported (supported: {})", p.str(), list));
      }
    }
    if (s.order() > params.maxTerms)
      fail(fmt::format("{} terms, the engine runs at most {}", s.order(), params.maxTerms));
    const bool onTheFly = lp.operand == plan::Operand::A || !gemm.constantWeights;
    if (onTheFly && (params.tasdUnit.count == 0 || !params.tasdExtension)) {
      fail("structured activations need TASD units (a TASD-extended engine)");
    }
    if (onTheFly && s.order() > 1 && !params.tasdExtension)
      fail("a series of activations needs the TASD extension");
  }
}

NetworkRun::NetworkRun(const workload::Workload& workload, const plan::Plan& plan,
                       const hw::AcceleratorParams& params, const hw::EnergyTable& energy,
                       const RunOptions& options, hw::System& system, hw::StatsRegistry& stats)
    : workload_(workload),
      plan_(plan),
      params_(params),
      energy_(energy),
      options_(options),
      system_(system),
      stats_(stats) {}

NetworkRun::~NetworkRun() = default;

void NetworkRun::run(Host& host) {
  // One backend and one executor for every input set: the executor's constant folding and
  // lowered weights, and the backend's TASD-W terms, are made once.
  AcceleratorBackend backend(host, params_, energy_, plan_, options_, system_, stats_);
  if (!options_.functional) {
    result_ = runOnce(backend, nullptr, nullptr);
    return;
  }
  std::unique_ptr<executor::Executor> ex;
  try {
    ex = std::make_unique<executor::Executor>(workload_.graph());
  } catch (const std::exception& e) {
    result_.failReason = e.what();
    return;
  }
  ex->setBackend(&backend);
  const size_t sets = std::max<size_t>(1, options_.inputs.size());
  for (size_t i = 0; i < sets; ++i) {
    result_ = runOnce(backend, ex.get(),
                      options_.inputs.empty() ? &workload_.inputs : &options_.inputs[i]);
    if (options_.onRun) options_.onRun(i, outputs_, result_);
    if (!result_.failReason.empty()) return;
  }
}

RunResult NetworkRun::runOnce(AcceleratorBackend& backend, executor::Executor* ex,
                              const std::vector<model::Tensor>* inputs) {
  RunResult run;
  const size_t total = workload_.layers.size();
  std::map<std::string, size_t> layerIndex;
  for (size_t i = 0; i < total; ++i) {
    const workload::Layer& l = workload_.layers[i];
    LayerResult r;
    r.name = l.name;
    r.op = l.op;
    layerIndex[l.name] = i;
    run.layers.push_back(std::move(r));
  }
  auto progress = [&](size_t done, const std::string& layer) {
    if (options_.progress) options_.progress(done, total, layer);
  };
  // A GEMM layer's result joins the layer table's entry (host time stays the entry's own).
  auto merge = [&](std::vector<LayerResult> gemmResults) {
    for (LayerResult& g : gemmResults) {
      LayerResult& entry = run.layers.at(layerIndex.at(g.name));
      g.op = entry.op;
      g.hostWallSeconds = entry.hostWallSeconds;
      entry = std::move(g);
    }
  };
  size_t current = 0;  // the layer being run
  try {
    if (!inputs) {
      for (size_t i = 0; i < total; ++i) {
        const workload::Layer& l = workload_.layers[i];
        current = i;
        progress(i, l.name);
        if (l.gemm >= 0) backend.runTiming(workload_.gemms[static_cast<size_t>(l.gemm)]);
        merge(backend.takeResults());
      }
    } else {
      progress(0, total ? workload_.layers.front().name : "");
      ex->setStepObserver([&](const model::Node& node, int gemm, double seconds) {
        const std::string& name = node.layer.empty() ? node.name : node.layer;
        const auto it = layerIndex.find(name);
        if (it == layerIndex.end()) return;
        if (it->second != current) {
          current = it->second;
          progress(current, name);
        }
        if (gemm < 0) run.layers[it->second].hostWallSeconds += seconds;
        merge(backend.takeResults());
      });
      outputs_ = ex->run(*inputs);
    }
    merge(backend.takeResults(/*wait=*/true));
  } catch (const std::exception& e) {
    try {
      merge(backend.takeResults(/*wait=*/true));
    } catch (const std::exception&) {  // the first failure is the one reported
    }
    run.failReason = e.what();
    run.layers.resize(std::min(run.layers.size(), current + 1));  // the layers reached
    summariseChecks(run);
    return run;
  }
  progress(total, "");
  summariseChecks(run);
  return run;
}

void NetworkRun::summariseChecks(RunResult& run) const {
  if (!options_.functional) {
    run.checks = Checks::NotPerformed;
    return;
  }
  if (!options_.check) {
    run.checks = Checks::Off;
    return;
  }
  bool passed = true;
  for (const LayerResult& r : run.layers) {
    if (!r.onAccelerator) continue;
    run.layersChecked += r.check.performed;
    passed = passed && r.check.performed && r.check.passed;
  }
  run.checks = passed ? Checks::Passed : Checks::Failed;
}

}  // namespace tasdsim::runtime
