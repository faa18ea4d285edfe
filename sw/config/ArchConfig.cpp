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

hw::EnergyTable parseEnergy(const Node& root) {
  const Node e = root.at("energy");
  root.finish();
  hw::EnergyTable t;
  t.name = e.get<std::string>("name", "energy");
  t.source = e.get<std::string>("source", "");
  const Node mac = e.at("mac_pj");
  t.macFp32Pj = mac.get<double>("fp32", t.macFp32Pj, 0.0, 1e6);
  t.macBf16Pj = mac.get<double>("bf16", t.macBf16Pj, 0.0, 1e6);
  t.macInt8Pj = mac.get<double>("int8", t.macInt8Pj, 0.0, 1e6);
  mac.finish();
  t.indexMuxPj = e.get<double>("index_mux_pj", t.indexMuxPj, 0.0, 1e6);
  if (auto sram = e.find("sram_pj_per_byte")) {
    t.sramPjPerByte.clear();
    for (const Node& point : sram->items()) {
      t.sramPjPerByte.emplace_back(point.get<double>("kib", 0.0, 1e-3, 1e9),
                                   point.get<double>("pj", 0.0, 1e-6, 1e6));
      point.finish();
    }
  }
  t.sramWriteFactor = e.get<double>("sram_write_factor", t.sramWriteFactor, 0.0, 100.0);
  t.dramPjPerByte = e.get<double>("dram_pj_per_byte", t.dramPjPerByte, 0.0, 1e6);
  t.tasdComparePj = e.get<double>("tasd_compare_pj", t.tasdComparePj, 0.0, 1e6);
  t.requantPj = e.get<double>("requant_pj", t.requantPj, 0.0, 1e6);
  t.decoderPjPerInstruction =
      e.get<double>("decoder_pj_per_instruction", t.decoderPjPerInstruction, 0.0, 1e6);
  t.staticPowerMw = e.get<double>("static_power_mw", t.staticPowerMw, 0.0, 1e9);
  e.finish();
  const std::vector<std::string> problems = t.validate();
  if (!problems.empty()) e.fail(problems.front());
  return t;
}

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
  a.finish(kRenamedKeys);
  if (!p.tasdExtension && p.tasdUnit.count > 0) {
    a.fail("tasd_unit needs tasd_extension: true (a base engine has no TASD units)");
  }
  reportViolations(p.validate(), file);
  cfg.energyFile = resolvePath(file, energy);
  cfg.energy = parseEnergy(loadFile(cfg.energyFile, energyOverrides));
  cfg.resolved = a.resolved();
  return cfg;
}

ArchConfig loadArch(const std::string& path, const std::vector<std::string>& overrides) {
  std::vector<std::string> archOverrides, energyOverrides;
  for (const std::string& o : overrides) {
    (o.rfind("energy.", 0) == 0 ? energyOverrides : archOverrides).push_back(o);
  }
  return parseArch(loadFile(path, archOverrides), path, energyOverrides);
}

}  // namespace tasdsim::config
