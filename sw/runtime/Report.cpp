#include "sw/runtime/Report.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <type_traits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "hw/isa/Isa.h"
#include "hw/model/buffer/BufferStats.h"
#include "hw/model/common/Stats.h"
#include "hw/model/dataflow/DataflowStats.h"
#include "hw/model/decoder/DecoderStats.h"
#include "hw/model/load_unit/LoadUnitStats.h"
#include "hw/model/memory_port/MemoryPortStats.h"
#include "hw/model/pe_array/PeArrayStats.h"
#include "hw/model/store_unit/StoreUnitStats.h"
#include "hw/model/tasd_unit/TasdUnitStats.h"
#include "hw/model/top/AcceleratorStats.h"
#include "sw/common/Error.h"
#include "sw/common/Table.h"
#include "sw/runtime/Isolated.h"

namespace tasdsim::runtime {
namespace {

using hw::DataflowStats;
using hw::DecoderStats;
using hw::LoadUnitStats;
using hw::MemoryPortStats;
using hw::PeArrayStats;
using hw::StoreUnitStats;
using hw::TasdUnitStats;

constexpr const char* kPrefix = "accel";

// A declared counter of a layer's (or the run's) counters (hw/model/common/StatDecl.h): absent is
// an error, never 0. A layer that ran on the host has no counters at all and reads 0.
uint64_t stat(const std::map<std::string, uint64_t>& s, const hw::StatDecl& decl,
              const std::string& index = {}) {
  return s.empty() ? 0 : hw::statValue(s, kPrefix, decl, index);
}

uint64_t stall(const std::map<std::string, uint64_t>& s, hw::StallReason r) {
  return stat(s, PeArrayStats::kStall, hw::stallReasonName(r));
}

nlohmann::json energyJson(const hw::EnergyBreakdown& e) {
  nlohmann::json j;
  for (const auto& [name, pj] : e.items())
    j[name] = pj;
  j["total"] = e.total();
  return j;
}

// Every declared counter of the accelerator (hw/model/top/AcceleratorStats.h) under its own
// name below the accelerator ("pe_array.stall.wait_operands"), so a key of stats.json is the
// counter's name (docs/outputs.md). A layer that ran on the host has none and reads 0.
nlohmann::json countersJson(const std::map<std::string, uint64_t>& s) {
  nlohmann::json j = nlohmann::json::object();
  for (const std::string& path : hw::acceleratorStatPaths()) {
    uint64_t value = 0;
    if (!s.empty()) {
      const std::string name = std::string(kPrefix) + "." + path;
      const auto it = s.find(name);
      if (it == s.end()) throw std::logic_error("statistic " + name + " is not registered");
      value = it->second;
    }
    j[path] = value;
  }
  return j;
}

nlohmann::json termsJson(const LayerResult& l) {
  nlohmann::json terms = nlohmann::json::array();
  if (l.series == "dense") return terms;
  size_t start = 0;
  uint32_t index = 0;
  while (start <= l.series.size()) {
    const size_t plus = l.series.find('+', start);
    const std::string pattern =
        l.series.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
    terms.push_back({{"index", index},
                     {"pattern", pattern},
                     {"cycles", stat(l.stats, PeArrayStats::kTermCycles, std::to_string(index))},
                     {"mac_ops", stat(l.stats, PeArrayStats::kTermMacOps, std::to_string(index))}});
    ++index;
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  return terms;
}

}  // namespace

MapperEstimate mapperEstimate(const RunResult& run) {
  MapperEstimate m;
  double sum = 0;
  for (const LayerResult& l : run.layers) {
    if (!l.onAccelerator || l.cycles == 0) continue;
    const double error = std::abs(l.estimatedCycles / static_cast<double>(l.cycles) - 1.0);
    sum += error;
    ++m.layers;
    if (m.layers == 1 || error > m.maxAbsError) {
      m.maxAbsError = error;
      m.maxLayer = l.name;
    }
  }
  if (m.layers) m.meanAbsError = sum / static_cast<double>(m.layers);
  return m;
}

NetworkTotals networkTotals(const RunResult& run) {
  NetworkTotals t;
  for (const LayerResult& l : run.layers) {
    t.cycles += l.cycles;
    t.seconds += l.seconds;
    t.denseMacs += l.macs;
    t.macOps += stat(l.stats, PeArrayStats::kMacOps);
    t.energy += l.energy;
  }
  t.energyPj = t.energy.total();
  t.edp = t.energyPj * 1e-12 * t.seconds;
  return t;
}

NetworkTotals simulateTotalsIsolated(const SimulationInputs& inputs) {
  static_assert(std::is_trivially_copyable_v<NetworkTotals>, "sent through a pipe as bytes");
  const std::string bytes = runIsolated([&] {
    const SimulationOutput out = simulate(inputs);
    if (!out.run.failReason.empty()) throw UserError("simulation: " + out.run.failReason);
    const NetworkTotals t = networkTotals(out.run);
    return std::string(reinterpret_cast<const char*>(&t), sizeof t);
  });
  if (bytes.size() != sizeof(NetworkTotals))
    throw std::logic_error("simulateTotalsIsolated: wrong result size");
  NetworkTotals t;
  std::memcpy(&t, bytes.data(), sizeof t);
  return t;
}

nlohmann::json statsJson(const ExperimentInfo& info, const SimulationOutput& out) {
  const RunResult& run = out.run;
  const NetworkTotals t = networkTotals(run);
  const MapperEstimate estimate = mapperEstimate(run);
  nlohmann::json layers = nlohmann::json::array();
  std::map<std::string, uint64_t> sum;
  for (const LayerResult& l : run.layers) {
    for (const auto& [k, v] : l.stats)
      sum[k] += v;
    nlohmann::json j{{"name", l.name},
                     {"op", l.op},
                     {"on_accelerator", l.onAccelerator},
                     {"macs_dense", l.macs}};
    if (l.onAccelerator) {
      const uint64_t macOps = stat(l.stats, PeArrayStats::kMacOps);
      j.update({{"operand", l.operand},
                {"series", l.series},
                {"compute_fraction", l.computeFraction},
                {"groups", l.groups},
                {"gemm", {{"m", l.m}, {"n", l.n}, {"k", l.k}}},
                {"tiling", l.tiling},
                {"estimated_cycles", l.estimatedCycles},
                {"cycles", l.cycles},
                {"seconds", l.seconds},
                {"instructions", l.instructions},
                {"mac_ops", macOps},
                {"mac_skipped", l.macs > macOps ? l.macs - macOps : 0},
                {"terms", termsJson(l)},
                {"counters", countersJson(l.stats)},
                {"energy_pj", energyJson(l.energy)},
                {"edp_js", l.edp},
                {"input_density", l.inputDensity}});
      if (l.tau >= 0) j["tau"] = l.tau;
      if (l.haveQuality) j["quality"] = l.quality;
      if (l.check.performed) {
        j["check"] = {{"passed", l.check.passed},
                      {"max_abs_error", l.check.maxAbsError},
                      {"rel_frobenius_error", l.check.relFrobeniusError},
                      {"mismatches", l.check.mismatches}};
      }
    }
    layers.push_back(std::move(j));
  }
  nlohmann::json counters;
  for (const auto& [name, value] : out.counters)
    counters[name] = value;
  return nlohmann::json{
      {"schema", "tasdsim-stats/2"},
      {"experiment",
       {{"name", info.name},
        {"arch", info.arch},
        {"workload", info.workload},
        {"plan", info.plan},
        {"dtype", info.dtype},
        {"input", info.input},
        {"timing_only", info.timingOnly},
        {"seed", info.seed},
        {"energy_table", info.energyTable},
        {"energy_not_costed", info.energyNotCosted}}},
      {"status",
       {{"ok", run.failReason.empty()},
        {"fail_reason", run.failReason},
        {"checks", checksName(run.checks)},
        {"layers_checked", run.layersChecked},
        // null when nothing was compared (checks off, timing only): never "passed" unchecked
        {"checks_passed",
         run.checksPerformed() ? nlohmann::json(run.checksPassed()) : nlohmann::json()}}},
      {"network",
       {{"cycles", t.cycles},
        {"seconds", t.seconds},
        {"macs_dense", t.denseMacs},
        {"mac_ops", t.macOps},
        {"mac_skipped", t.denseMacs > t.macOps ? t.denseMacs - t.macOps : 0},
        {"compute_fraction",
         t.denseMacs ? static_cast<double>(t.macOps) / static_cast<double>(t.denseMacs) : 1.0},
        {"energy_pj", energyJson(t.energy)},
        {"edp_js", t.edp},
        {"counters", countersJson(sum)},
        {"layers", run.layers.size()},
        {"mapper_estimate",
         {{"layers", estimate.layers},
          {"mean_abs_error", estimate.meanAbsError},
          {"max_abs_error", estimate.maxAbsError},
          {"max_layer", estimate.maxLayer}}}}},
      {"layers", layers},
      {"counters", counters}};
}

std::string layersCsv(const RunResult& run) {
  std::ostringstream os;
  os << "name,op,operand,series,compute_fraction,groups,m,n,k,macs_dense,mac_ops,cycles,seconds,"
        "energy_pj,edp_js,"
        "dram_read_bytes,dram_write_bytes,stall_wait_operands,stall_wait_tasd_unit,stall_wait_"
        "accumulator,"
        "stall_buffer_bandwidth,rel_error,check_passed,estimated_cycles\n";
  for (const LayerResult& l : run.layers) {
    // Reals in full precision (the shortest text that reads back to the same double).
    os << l.name << ',' << l.op << ',' << l.operand << ',' << l.series << ','
       << fmt::format("{}", l.computeFraction) << ',' << l.groups << ',' << l.m << ',' << l.n << ','
       << l.k << ',' << l.macs << ',' << stat(l.stats, PeArrayStats::kMacOps) << ',' << l.cycles
       << ',' << fmt::format("{}", l.seconds) << ',' << fmt::format("{}", l.energy.total()) << ','
       << fmt::format("{}", l.edp) << ',' << stat(l.stats, MemoryPortStats::kReadBytes) << ','
       << stat(l.stats, MemoryPortStats::kWriteBytes) << ','
       << stall(l.stats, hw::StallReason::WaitOperands) << ','
       << stall(l.stats, hw::StallReason::WaitTasdUnit) << ','
       << stall(l.stats, hw::StallReason::WaitAccumulator) << ','
       << stall(l.stats, hw::StallReason::BufferBandwidth) << ','
       << (l.haveQuality ? fmt::format("{}", l.quality.relFrobeniusError) : "") << ','
       << (l.check.performed ? (l.check.passed ? "true" : "false") : "") << ','
       << (l.onAccelerator ? fmt::format("{}", l.estimatedCycles) : "") << '\n';
  }
  return os.str();
}

nlohmann::json wallClockJson(const SimulationOutput& out) {
  nlohmann::json layers = nlohmann::json::array();
  double host = 0, model = 0;
  for (const LayerResult& l : out.run.layers) {
    host += l.hostWallSeconds;
    model += l.modelWallSeconds;
    layers.push_back({{"name", l.name},
                      {"host_seconds", l.hostWallSeconds},
                      {"model_seconds", l.modelWallSeconds}});
  }
  return nlohmann::json{
      {"schema", "tasdsim-wall-clock/1"},
      {"note", "host wall-clock seconds of this run: not deterministic, never compared"},
      {"simulation_seconds", out.wallSeconds},
      {"host_operators_seconds", host},
      {"accelerator_model_seconds", model},
      {"layers", layers}};
}

void printSummary(std::ostream& os, const ExperimentInfo& info, const SimulationOutput& out) {
  const RunResult& run = out.run;
  const NetworkTotals t = networkTotals(run);
  os << fmt::format("{}: {} on {} ({}, plan {}{})\n", info.name, info.workload, info.arch,
                    info.dtype, info.plan, info.timingOnly ? ", timing only" : "");
  std::vector<const LayerResult*> top;
  for (const LayerResult& l : run.layers)
    if (l.onAccelerator) top.push_back(&l);
  std::stable_sort(top.begin(), top.end(), [](const LayerResult* a, const LayerResult* b) {
    return a->cycles > b->cycles;
  });
  const size_t shown = std::min<size_t>(top.size(), 8);
  TextTable table(
      {"layer", "series", "operand", "cycles", "energy_uJ", "mac_frac", "rel_err", "check"});
  for (size_t i = 0; i < shown; ++i) {
    const LayerResult& l = *top[i];
    const uint64_t ops = stat(l.stats, PeArrayStats::kMacOps);
    table.add({l.name, l.series, l.operand, std::to_string(l.cycles),
               fmt::format("{:.2f}", l.energy.total() * 1e-6),
               fmt::format("{:.3f}", l.macs ? static_cast<double>(ops) / l.macs : 1.0),
               l.haveQuality ? fmt::format("{:.4f}", l.quality.relFrobeniusError) : "-",
               l.check.performed ? (l.check.passed ? "ok" : "FAIL") : "-"});
  }
  if (shown) {
    os << fmt::format("slowest {} of {} accelerator layers:\n", shown, top.size());
    table.print(os);
  }
  os << fmt::format(
      "network: {} cycles ({:.3f} ms at the arch clock), energy {:.1f} uJ, EDP {:.4g} J*s\n",
      t.cycles, t.seconds * 1e3, t.energyPj * 1e-6, t.edp);
  os << fmt::format("         MACs {} of {} dense ({:.1f}%), ", t.macOps, t.denseMacs,
                    t.denseMacs ? 100.0 * static_cast<double>(t.macOps) / t.denseMacs : 100.0);
  std::string parts;
  for (const auto& [name, pj] : t.energy.items()) {
    if (pj > 0)
      parts +=
          fmt::format("{}{} {:.0f}%", parts.empty() ? "" : ", ", name, 100.0 * pj / t.energyPj);
  }
  os << "energy: " << parts << '\n';
  if (!info.energyNotCosted.empty()) {
    os << fmt::format("         not costed by energy table {}: {}\n", info.energyTable,
                      fmt::join(info.energyNotCosted, ", "));
  }
  if (const MapperEstimate m = mapperEstimate(run); m.layers) {
    os << fmt::format(
        "mapper: the tile chooser's cycle estimates are {:.1f}% off the simulated cycles on "
        "average over {} layers ({:.1f}% at most, {})\n",
        100.0 * m.meanAbsError, m.layers, 100.0 * m.maxAbsError, m.maxLayer);
  }
  if (!run.failReason.empty()) {
    os << "FAILED: " << run.failReason << '\n';
  }
  switch (run.checks) {
    case Checks::Passed:
      os << fmt::format("every layer matches its reference ({} accelerator layers checked)\n",
                        run.layersChecked);
      break;
    case Checks::Failed:
      if (run.failReason.empty()) os << "SOME LAYERS DO NOT MATCH THEIR REFERENCE\n";
      break;
    case Checks::Off:
      os << "checks off (experiment.check: false): no layer was compared with its reference\n";
      break;
    case Checks::NotPerformed:
      os << "checks not performed (timing only): no values were computed or compared\n";
      break;
  }
  double host = 0;
  size_t hostLayers = 0;
  for (const LayerResult& l : run.layers) {
    host += l.hostWallSeconds;
    hostLayers += !l.onAccelerator;
  }
  if (!info.timingOnly) {
    os << fmt::format(
        "host: {} layers and the other operators of the accelerator layers ran on the host in "
        "{:.1f} ms "
        "wall (not in the accelerator's cycles)\n",
        hostLayers, host * 1e3);
  }
  os << fmt::format("simulated in {:.2f} s wall\n", out.wallSeconds);
}

}  // namespace tasdsim::runtime
