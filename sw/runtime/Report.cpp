#include "sw/runtime/Report.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <type_traits>

#include <fmt/format.h>

#include "hw/isa/Isa.h"
#include "hw/model/common/Stats.h"
#include "sw/common/Error.h"
#include "sw/common/Table.h"
#include "sw/runtime/Isolated.h"

namespace tasdsim::runtime {
namespace {

constexpr const char* kPrefix = "accel.";

uint64_t stat(const std::map<std::string, uint64_t>& s, const std::string& name) {
  auto it = s.find(kPrefix + name);
  return it == s.end() ? 0 : it->second;
}

nlohmann::json energyJson(const hw::EnergyBreakdown& e) {
  nlohmann::json j;
  for (const auto& [name, pj] : e.items())
    j[name] = pj;
  j["total"] = e.total();
  return j;
}

nlohmann::json stallsJson(const std::map<std::string, uint64_t>& s) {
  nlohmann::json j;
  for (hw::StallReason r : {hw::StallReason::WaitOperands, hw::StallReason::WaitTasdUnits,
                            hw::StallReason::WaitAccumulator, hw::StallReason::BufferBandwidth}) {
    j[hw::stallReasonName(r)] = stat(s, std::string("pe_array.stall.") + hw::stallReasonName(r));
  }
  return j;
}

nlohmann::json bytesJson(const std::map<std::string, uint64_t>& s) {
  return nlohmann::json{{"dram_read", stat(s, "mem.read_bytes")},
                        {"dram_write", stat(s, "mem.write_bytes")},
                        {"dram_read_s", stat(s, "load.dram_bytes.s")},
                        {"dram_read_d", stat(s, "load.dram_bytes.d")},
                        {"dram_read_c", stat(s, "load.dram_bytes.c")},
                        {"s_buffer_read", stat(s, "dataflow.s_buffer.read_bytes")},
                        {"s_buffer_write", stat(s, "dataflow.s_buffer.write_bytes")},
                        {"d_buffer_read", stat(s, "dataflow.d_buffer.read_bytes")},
                        {"d_buffer_write", stat(s, "dataflow.d_buffer.write_bytes")},
                        {"acc_buffer_read", stat(s, "dataflow.acc_buffer.read_bytes")},
                        {"acc_buffer_write", stat(s, "dataflow.acc_buffer.write_bytes")}};
}

nlohmann::json componentsJson(const std::map<std::string, uint64_t>& s) {
  return nlohmann::json{{"pe_array",
                         {{"busy_cycles", stat(s, "pe_array.busy_cycles")},
                          {"streams", stat(s, "pe_array.streams")},
                          {"passes", stat(s, "pe_array.passes")},
                          {"stalls", stallsJson(s)}}},
                        {"tasd_units",
                         {{"busy_cycles", stat(s, "tasd_units.busy_cycles")},
                          {"tiles", stat(s, "tasd_units.tiles")},
                          {"blocks", stat(s, "tasd_units.blocks")},
                          {"compare_ops", stat(s, "tasd_units.compare_ops")},
                          {"exposed_cycles", stat(s, "pe_array.stall.wait_tasd_units")}}},
                        {"load",
                         {{"busy_cycles", stat(s, "load.busy_cycles")},
                          {"requests", stat(s, "load.requests")},
                          {"stall_wait_buffer_free", stat(s, "load.stall.wait_buffer_free")}}},
                        {"store",
                         {{"busy_cycles", stat(s, "store.busy_cycles")},
                          {"requests", stat(s, "store.requests")},
                          {"requant_ops", stat(s, "store.requant_ops")},
                          {"table_bytes", stat(s, "store.table_bytes")}}},
                        {"decoder",
                         {{"instructions", stat(s, "decoder.instructions")},
                          {"fetch_bytes", stat(s, "decoder.fetch_bytes")}}}};
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
                     {"cycles", stat(l.stats, fmt::format("pe_array.term{}.cycles", index))},
                     {"mac_ops", stat(l.stats, fmt::format("pe_array.term{}.mac_ops", index))}});
    ++index;
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  return terms;
}

}  // namespace

NetworkTotals networkTotals(const RunResult& run) {
  NetworkTotals t;
  for (const LayerResult& l : run.layers) {
    t.cycles += l.cycles;
    t.seconds += l.seconds;
    t.denseMacs += l.macs;
    t.macOps += stat(l.stats, "pe_array.mac_ops");
    t.energy.peMacs += l.energy.peMacs;
    t.energy.indexMux += l.energy.indexMux;
    t.energy.sBuffer += l.energy.sBuffer;
    t.energy.dBuffer += l.energy.dBuffer;
    t.energy.accBuffer += l.energy.accBuffer;
    t.energy.dram += l.energy.dram;
    t.energy.tasdUnits += l.energy.tasdUnits;
    t.energy.decoder += l.energy.decoder;
    t.energy.staticEnergy += l.energy.staticEnergy;
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
      const uint64_t macOps = stat(l.stats, "pe_array.mac_ops");
      j.update({{"operand", l.operand},
                {"series", l.series},
                {"compute_fraction", l.computeFraction},
                {"groups", l.groups},
                {"gemm", {{"m", l.m}, {"n", l.n}, {"k", l.k}}},
                {"tiling", l.tiling},
                {"cycles", l.cycles},
                {"seconds", l.seconds},
                {"instructions", l.instructions},
                {"mac_ops", macOps},
                {"mac_skipped", l.macs > macOps ? l.macs - macOps : 0},
                {"terms", termsJson(l)},
                {"stalls", stallsJson(l.stats)},
                {"bytes", bytesJson(l.stats)},
                {"components", componentsJson(l.stats)},
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
      {"schema", "tasdsim-stats/1"},
      {"experiment",
       {{"name", info.name},
        {"arch", info.arch},
        {"workload", info.workload},
        {"plan", info.plan},
        {"dtype", info.dtype},
        {"input", info.input},
        {"timing_only", info.timingOnly},
        {"seed", info.seed}}},
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
        {"stalls", stallsJson(sum)},
        {"bytes", bytesJson(sum)},
        {"components", componentsJson(sum)},
        {"layers", run.layers.size()}}},
      {"layers", layers},
      {"counters", counters}};
}

std::string layersCsv(const RunResult& run) {
  std::ostringstream os;
  os << "name,op,operand,series,compute_fraction,groups,m,n,k,macs_dense,mac_ops,cycles,seconds,"
        "energy_pj,edp_js,"
        "dram_read_bytes,dram_write_bytes,stall_wait_operands,stall_wait_tasd_units,stall_wait_"
        "accumulator,"
        "stall_buffer_bandwidth,rel_error,check_passed\n";
  for (const LayerResult& l : run.layers) {
    // Reals in full precision (the shortest text that reads back to the same double).
    os << l.name << ',' << l.op << ',' << l.operand << ',' << l.series << ','
       << fmt::format("{}", l.computeFraction) << ',' << l.groups << ',' << l.m << ',' << l.n << ','
       << l.k << ',' << l.macs << ',' << stat(l.stats, "pe_array.mac_ops") << ',' << l.cycles << ','
       << fmt::format("{}", l.seconds) << ',' << fmt::format("{}", l.energy.total()) << ','
       << fmt::format("{}", l.edp) << ',' << stat(l.stats, "mem.read_bytes") << ','
       << stat(l.stats, "mem.write_bytes") << ',' << stat(l.stats, "pe_array.stall.wait_operands")
       << ',' << stat(l.stats, "pe_array.stall.wait_tasd_units") << ','
       << stat(l.stats, "pe_array.stall.wait_accumulator") << ','
       << stat(l.stats, "pe_array.stall.buffer_bandwidth") << ','
       << (l.haveQuality ? fmt::format("{}", l.quality.relFrobeniusError) : "") << ','
       << (l.check.performed ? (l.check.passed ? "true" : "false") : "") << '\n';
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
    const uint64_t ops = stat(l.stats, "pe_array.mac_ops");
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
