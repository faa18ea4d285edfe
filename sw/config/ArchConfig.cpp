#include "sw/config/ArchConfig.h"

#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "hw/rtl/cosim/RtlSupport.h"
#include "sw/common/Error.h"

namespace tasdsim::config {
namespace {

constexpr uint64_t kKiB = 1024;

// Arch keys of earlier versions, and their names now (each block has one name: docs/config.md).
const std::map<std::string, std::string> kRenamedKeys{{"tasd_units", "tasd_unit"},
                                                      {"buffers", "buffer"}};

void reportViolations(const std::vector<std::string>& problems, const std::string& file) {
  if (problems.empty()) return;
  std::string text;
  for (const std::string& p : problems)
    text += (text.empty() ? "" : "; ") + p;
  throw UserError(fmt::format("{}: arch: {}", file, text));
}

// Reads a declared parameter (hw/model/common/Params.h): its key, default and range.
template <typename T>
T read(const Node& n, const hw::Param<T>& p, const T& fallback) {
  return n.get<T>(p.key, fallback, p.lo, p.hi);
}
template <typename T>
T read(const Node& n, const hw::Param<T>& p) {
  return read(n, p, p.def);
}
bool read(const Node& n, const hw::FlagParam& p) {
  return n.get<bool>(p.key, p.def);
}
std::string read(const Node& n, const hw::ChoiceParam& p) {
  return n.choice(p.key, p.def, p.allowed());
}

hw::BufferParams parseBuffer(const Node& n, const hw::BufferParams& fallback) {
  using S = hw::BufferParams;
  hw::BufferParams s;
  s.sizeBytes = read(n, S::kSizeKib, fallback.sizeBytes / kKiB) * kKiB;
  s.banks = read(n, S::kBanks, fallback.banks);
  s.bankWidthBytes = read(n, S::kBankWidth, fallback.bankWidthBytes);
  n.finish();
  return s;
}

std::vector<tasd::NMPattern> parsePatterns(const Node& n, const std::string& key) {
  std::vector<tasd::NMPattern> out;
  if (!n.has(key)) {
    n.stringList(key, {});
    return out;
  }
  const Node list = n.at(key);
  for (const Node& item : list.items()) {
    try {
      out.push_back(tasd::NMPattern::parse(item.as<std::string>()));
    } catch (const UserError& e) {
      item.fail(e.what());
    }
  }
  n.stringList(key, {});  // records the list in the resolved tree
  return out;
}

}  // namespace

std::string resolvePath(const std::string& configFile, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute()) return path;
  return (std::filesystem::path(configFile).parent_path() / p).lexically_normal().string();
}

hw::Ert parseEnergy(const Node& root) {
  if (root.isMap() && root.raw()["energy"]) {
    root.fail(
        "a top key 'energy' is the earlier table form; energy tables are now in Accelergy's ERT "
        "form, with a top key 'ERT' or 'ERT_summary' (configs/energy/horowitz_45nm.yaml, "
        "docs/config.md)");
  }
  const bool summary = root.isMap() && root.raw()["ERT_summary"];
  const Node e = root.at(summary ? "ERT_summary" : "ERT");
  root.finish();
  hw::Ert ert;
  ert.name = std::filesystem::path(root.file()).stem().string();
  ert.name = e.get<std::string>("name", ert.name);  // tasdsim's own tables name themselves
  ert.source = e.get<std::string>("source", "");
  (void)e.get<std::string>("version", "");
  for (const Node& t : e.at(summary ? "table_summary" : "tables").items()) {
    hw::ErtTable table;
    table.name = t.get<std::string>("name");
    if (table.name.empty()) t.fail("name: must not be empty");
    for (const hw::ErtTable& other : ert.tables)
      if (other.name == table.name) t.fail(fmt::format("table '{}' is listed twice", table.name));
    (void)t.find("primitive_estimation(s)");  // Accelergy's note of its estimators
    for (const Node& a : t.at("actions").items()) {
      const std::string action = a.get<std::string>("name");
      hw::ErtEntry entry;
      if (const YAML::Node args = a.raw()["arguments"]; args && !args.IsNull()) {
        const Node an = a.at("arguments");
        if (!an.isMap()) an.fail("expected a map of argument values, or null");
        for (const std::string& k : an.keys())
          entry.arguments[k] = an.get<std::string>(k);
        an.finish();
      } else if (args) {
        a.accept("arguments");  // Accelergy's `arguments: null`
      }
      // ERT: energy; ERT_summary: energy, or average / max / min energy of an action with
      // arguments (the average is used).
      const char* key = a.raw()["energy"] ? "energy" : "average_energy";
      entry.energy = a.get<double>(key, 0.0, 0.0, 1e9);
      if (!a.raw()[key]) a.fail("needs energy (or average_energy in an ERT_summary)");
      (void)a.find("max_energy");
      (void)a.find("min_energy");
      a.finish();
      table.actions[action].push_back(std::move(entry));
    }
    t.finish();
    ert.tables.push_back(std::move(table));
  }
  e.finish();
  return ert;
}

namespace {

// arch.energy_bind: which ERT table costs each energy component (hw/model/energy/Ert.h).
// COMPONENT: {table: NAME, bytes: B, metadata_bytes: B} or COMPONENT: none.
hw::EnergyBindings parseEnergyBindings(const Node& a) {
  hw::EnergyBindings bindings = hw::defaultEnergyBindings();
  const Node b = a.section(hw::AcceleratorParams::kEnergyBind.key);
  for (size_t i = 0; i < hw::kEnergyComponents; ++i) {
    const auto& info = hw::energyComponentInfo(static_cast<hw::EnergyComponent>(i));
    const auto n = b.find(info.key);
    if (!n) continue;
    if (n->isScalar()) {
      if (n->as<std::string>() != "none") n->fail("expected {table: NAME, ...} or none");
      bindings[i].table.clear();
      continue;
    }
    bindings[i].table = n->get<std::string>("table");
    bindings[i].bytes = n->get<double>("bytes", 1.0, 1e-6, 1e9);
    bindings[i].metadataBytes = n->get<double>("metadata_bytes", 1.0, 1e-6, 1e9);
    n->finish();
  }
  b.finish();
  // The resolved config names every component's table, defaults included.
  YAML::Node resolved = b.resolved();
  for (size_t i = 0; i < hw::kEnergyComponents; ++i) {
    const char* key = hw::energyComponentInfo(static_cast<hw::EnergyComponent>(i)).key;
    const hw::ErtBinding& bind = bindings[i];
    if (bind.table.empty()) {
      resolved[key] = "none";
      continue;
    }
    YAML::Node r(YAML::NodeType::Map);
    r["table"] = bind.table;
    r["bytes"] = bind.bytes;
    r["metadata_bytes"] = bind.metadataBytes;
    resolved[key] = r;
  }
  return bindings;
}

}  // namespace

ArchConfig parseArch(const Node& root, const std::string& file,
                     const std::vector<std::string>& energyOverrides) {
  const Node a = root.at("arch");
  root.finish();
  ArchConfig cfg;
  cfg.file = file;
  hw::AcceleratorParams& p = cfg.params;
  const hw::AcceleratorParams defaults;
  using P = hw::AcceleratorParams;
  p.name = a.get<std::string>(P::kName.key);
  cfg.description = a.get<std::string>(P::kDescription.key, "");
  p.clockGHz = read(a, P::kClockGHz);
  p.tasdExtension = read(a, P::kTasdExtension);
  p.maxTerms = read(a, P::kMaxTerms);
  using Pe = hw::PeArrayParams;
  const Node pe = a.at(Pe::kSection);
  p.peArray.rows = read(pe, Pe::kRows);
  p.peArray.cols = read(pe, Pe::kCols);
  p.peArray.lanes = read(pe, Pe::kLanes);
  p.peArray.patterns = parsePatterns(pe, Pe::kPatterns.key);
  p.peArray.pipelineLatencyCycles =
      read(pe, Pe::kPipelineLatency, Pe::defaultPipelineLatency(p.peArray.rows, p.peArray.cols));
  p.peArray.overlapStreams = read(pe, Pe::kOverlapStreams);
  p.peArray.impl = read(pe, Pe::kImpl);
  pe.finish();
  if (const auto problems = rtl::peArrayProblems(p.peArray); !problems.empty())
    pe.fail(problems.front());
  const Node b = a.section(hw::BufferSetParams::kSection);
  p.buffer.s = parseBuffer(b.section("s"), defaults.buffer.s);
  p.buffer.d = parseBuffer(b.section("d"), defaults.buffer.d);
  p.buffer.acc = parseBuffer(b.section("acc"), defaults.buffer.acc);
  b.finish();
  // Without a tasd_unit section the engine has none (a base engine).
  using T = hw::TasdUnitParams;
  const Node t = a.section(T::kSection);
  p.tasdUnit.count = read(t, T::kCount, a.has(T::kSection) ? T::kCount.def : 0u);
  p.tasdUnit.cyclesPerElement = read(t, T::kCyclesPerElement);
  p.tasdUnit.impl = read(t, T::kImpl);
  t.finish();
  if (const auto problems = rtl::tasdUnitProblems(p.tasdUnit); !problems.empty())
    t.fail(problems.front());
  using D = hw::DecoderParams;
  const Node d = a.section(D::kSection);
  p.decoder.fetchBytes = read(d, D::kFetchBytes);
  p.decoder.queueDepth = read(d, D::kQueueDepth);
  p.decoder.cyclesPerInstruction = read(d, D::kCyclesPerInstruction);
  p.decoder.impl = read(d, D::kImpl);
  d.finish();
  if (const auto problems = rtl::decoderProblems(p.decoder); !problems.empty())
    d.fail(problems.front());
  using M = hw::DramParams;
  const Node m = a.section(M::kSection);
  p.dram.sizeBytes = read(m, M::kSizeMib) << 20;
  p.dram.latencyNs = read(m, M::kLatencyNs);
  p.dram.bandwidthGBps = read(m, M::kBandwidthGBps);
  m.finish();
  p.instances = read(a, P::kInstances);
  p.distribution =
      read(a, P::kDistribute) == "batch" ? hw::Distribution::Batch : hw::Distribution::Channels;
  using Map = hw::AddressMapParams;
  const Node am = a.section(Map::kSection);
  p.addressMap.dramBase = read(am, Map::kDramBase);
  p.addressMap.regBase = read(am, Map::kRegBase);
  am.finish();
  if (const auto problems = p.addressMap.validate(p.dram.sizeBytes, p.instances);
      !problems.empty()) {
    const std::string& problem =
        problems.front();  // "address_map.KEY = ...": the node names the section
    am.fail(problem.substr(problem.find('.') + 1));
  }
  if (p.instances > 1 &&
      (p.peArray.impl == "rtl" || p.tasdUnit.impl == "rtl" || p.decoder.impl == "rtl")) {
    a.fail(
        fmt::format("instances = {}: several instances run the C++ models only (every impl: model)",
                    p.instances));
  }
  const std::string energy = a.get<std::string>(P::kEnergy.key);
  const hw::EnergyBindings bindings = parseEnergyBindings(a);
  a.finish(kRenamedKeys);
  if (!p.tasdExtension && p.tasdUnit.count > 0) {
    a.fail("tasd_unit needs tasd_extension: true (a base engine has no TASD units)");
  }
  reportViolations(p.validate(), file);
  cfg.energyFile = resolvePath(file, energy);
  const hw::Ert ert = parseEnergy(loadFile(cfg.energyFile, energyOverrides));
  try {
    cfg.energy = hw::resolveEnergy(ert, bindings, p);
  } catch (const std::invalid_argument& e) {
    throw UserError(fmt::format("{} (energy table {}): {}", file, cfg.energyFile, e.what()));
  }
  cfg.resolved = a.resolved();
  return cfg;
}

ArchConfig loadArch(const std::string& path, const std::vector<std::string>& overrides) {
  std::vector<std::string> archOverrides, energyOverrides;
  for (const std::string& o : overrides) {
    // The energy file's own top key (ERT, ERT_summary) follows "energy.".
    if (o.rfind("energy.", 0) == 0) {
      energyOverrides.push_back(o.substr(7));
    } else {
      archOverrides.push_back(o);
    }
  }
  return parseArch(loadFile(path, archOverrides), path, energyOverrides);
}

}  // namespace tasdsim::config
