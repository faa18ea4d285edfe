#include "sw/config/ArchConfig.h"

#include <filesystem>

#include <fmt/format.h>

#include "hw/isa/Isa.h"
#include "hw/rtl/cosim/RtlSupport.h"
#include "sw/common/Error.h"

namespace tasdsim::config {
namespace {

constexpr uint64_t kKiB = 1024;

void reportViolations(const std::vector<std::string>& problems, const std::string& file) {
  if (problems.empty()) return;
  std::string text;
  for (const std::string& p : problems)
    text += (text.empty() ? "" : "; ") + p;
  throw UserError(fmt::format("{}: arch: {}", file, text));
}

hw::SramParams parseSram(const Node& n, const hw::SramParams& fallback) {
  hw::SramParams s;
  s.sizeBytes = n.get<uint64_t>("size_kib", fallback.sizeBytes / kKiB, 1, 1u << 20) * kKiB;
  s.banks = n.get<uint32_t>("banks", fallback.banks, 1, 1024);
  s.bankWidthBytes = n.get<uint32_t>("bank_width_bytes", fallback.bankWidthBytes, 1, 1024);
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
  p.name = a.get<std::string>("name");
  cfg.description = a.get<std::string>("description", "");
  p.clockGHz = a.get<double>("clock_ghz", defaults.clockGHz, 0.001, 10.0);
  p.tasdExtension = a.get<bool>("tasd_extension", defaults.tasdExtension);
  p.maxTerms = a.get<uint32_t>("max_terms", defaults.maxTerms, 1, isa::kMaxTerms);
  const Node pe = a.at("pe_array");
  p.pe.rows = pe.get<uint32_t>("rows", defaults.pe.rows, 1, 256);
  p.pe.cols = pe.get<uint32_t>("cols", defaults.pe.cols, 1, 256);
  p.pe.lanes = pe.get<uint32_t>("lanes", defaults.pe.lanes, 1, 64);
  p.pe.patterns = parsePatterns(pe, "patterns");
  p.pe.pipelineLatencyCycles =
      pe.get<uint32_t>("pipeline_latency_cycles", p.pe.rows + p.pe.cols, 0, 4096);
  p.pe.impl = pe.choice("impl", "model", {"model", "rtl"});
  pe.finish();
  if (const auto problems = rtl::peArrayProblems(p.pe); !problems.empty())
    pe.fail(problems.front());
  const Node b = a.section("buffers");
  p.buffers.s = parseSram(b.section("s"), defaults.buffers.s);
  p.buffers.d = parseSram(b.section("d"), defaults.buffers.d);
  p.buffers.acc = parseSram(b.section("acc"), defaults.buffers.acc);
  b.finish();
  // Without a tasd_units section the engine has none (a base engine).
  const Node t = a.section("tasd_units");
  p.tasd.count = t.get<uint32_t>("count", a.has("tasd_units") ? defaults.tasd.count : 0, 0, 1024);
  p.tasd.cyclesPerElement =
      t.get<uint32_t>("cycles_per_element", defaults.tasd.cyclesPerElement, 1, 64);
  p.tasd.impl = t.choice("impl", "model", {"model", "rtl"});
  t.finish();
  if (const auto problems = rtl::tasdUnitProblems(p.tasd); !problems.empty())
    t.fail(problems.front());
  const Node d = a.section("decoder");
  p.decoder.fetchBytes = d.get<uint32_t>("fetch_bytes", defaults.decoder.fetchBytes, 16, 65536);
  p.decoder.queueDepth = d.get<uint32_t>("queue_depth", defaults.decoder.queueDepth, 1, 1024);
  p.decoder.cyclesPerInstruction =
      d.get<uint32_t>("cycles_per_instruction", defaults.decoder.cyclesPerInstruction, 1, 1000);
  p.decoder.impl = d.choice("impl", "model", {"model", "rtl"});
  d.finish();
  if (const auto problems = rtl::decoderProblems(p.decoder); !problems.empty())
    d.fail(problems.front());
  const Node m = a.section("dram");
  p.dram.sizeBytes = m.get<uint64_t>("size_mib", defaults.dram.sizeBytes >> 20, 1, 1u << 20) << 20;
  p.dram.latencyNs = m.get<double>("latency_ns", defaults.dram.latencyNs, 0.0, 1e6);
  p.dram.bandwidthGBps = m.get<double>("bandwidth_gbps", defaults.dram.bandwidthGBps, 1e-3, 1e5);
  m.finish();
  p.instances = a.get<uint32_t>("instances", defaults.instances, 1, hw::kMaxInstances);
  p.distribution = a.choice("distribute", hw::distributionName(defaults.distribution),
                            {"batch", "channels"}) == "batch"
                       ? hw::Distribution::Batch
                       : hw::Distribution::Channels;
  const Node am = a.section("address_map");
  p.addressMap.dramBase =
      am.get<uint64_t>("dram_base", defaults.addressMap.dramBase, 0, hw::kAddressLimit - 1);
  p.addressMap.regBase =
      am.get<uint64_t>("reg_base", defaults.addressMap.regBase, 0, hw::kAddressLimit - 1);
  am.finish();
  if (const auto problems = p.addressMap.validate(p.dram.sizeBytes, p.instances);
      !problems.empty()) {
    const std::string& problem =
        problems.front();  // "address_map.KEY = ...": the node names the section
    am.fail(problem.substr(problem.find('.') + 1));
  }
  if (p.instances > 1 && (p.pe.impl == "rtl" || p.tasd.impl == "rtl" || p.decoder.impl == "rtl")) {
    a.fail(
        fmt::format("instances = {}: several instances run the C++ models only (every impl: model)",
                    p.instances));
  }
  const std::string energy = a.get<std::string>("energy");
  a.finish();
  if (!p.tasdExtension && p.tasd.count > 0) {
    a.fail("tasd_units need tasd_extension: true (a base engine has no TASD units)");
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
