#include "hw/model/top/AcceleratorParams.h"

#include <fmt/format.h>

namespace tasdsim::hw {
namespace {

void check(std::vector<std::string>& out, bool ok, std::string message) {
  if (!ok) out.push_back(std::move(message));
}

void append(std::vector<std::string>& out, const std::vector<std::string>& more) {
  out.insert(out.end(), more.begin(), more.end());
}

bool validImpl(const std::string& impl) {
  return impl == "model" || impl == "rtl";
}

}  // namespace

bool PeArrayParams::supports(const tasd::NMPattern& p) const {
  if (p.isDense()) return true;
  for (const tasd::NMPattern& q : patterns)
    if (q == p) return true;
  return false;
}

std::vector<std::string> PeArrayParams::validate() const {
  std::vector<std::string> out;
  check(out, rows >= 1 && rows <= 256,
        fmt::format("pe_array.rows = {}: must be in [1, 256]", rows));
  check(out, cols >= 1 && cols <= 256,
        fmt::format("pe_array.cols = {}: must be in [1, 256]", cols));
  check(out, lanes >= 1 && lanes <= 64,
        fmt::format("pe_array.lanes = {}: must be in [1, 64]", lanes));
  check(out, pipelineLatencyCycles <= 4096,
        fmt::format("pe_array.pipeline_latency_cycles = {}: must be at most 4096",
                    pipelineLatencyCycles));
  check(out, validImpl(impl), fmt::format("pe_array.impl = '{}': must be model or rtl", impl));
  return out;
}

std::vector<std::string> SramParams::validate(const std::string& name) const {
  std::vector<std::string> out;
  check(out, sizeBytes >= 1024 && sizeBytes <= (uint64_t{1} << 30),
        fmt::format("buffers.{}.size_kib = {}: must be in [1, 1048576]", name, sizeBytes / 1024));
  check(out, banks >= 1 && banks <= 1024,
        fmt::format("buffers.{}.banks = {}: must be in [1, 1024]", name, banks));
  check(
      out, bankWidthBytes >= 1 && bankWidthBytes <= 1024,
      fmt::format("buffers.{}.bank_width_bytes = {}: must be in [1, 1024]", name, bankWidthBytes));
  return out;
}

std::vector<std::string> BufferParams::validate() const {
  std::vector<std::string> out = s.validate("s");
  append(out, d.validate("d"));
  append(out, acc.validate("acc"));
  return out;
}

std::vector<std::string> TasdUnitParams::validate() const {
  std::vector<std::string> out;
  check(out, count <= 1024, fmt::format("tasd_units.count = {}: must be at most 1024", count));
  check(out, cyclesPerElement >= 1 && cyclesPerElement <= 64,
        fmt::format("tasd_units.cycles_per_element = {}: must be in [1, 64]", cyclesPerElement));
  check(out, validImpl(impl), fmt::format("tasd_units.impl = '{}': must be model or rtl", impl));
  return out;
}

std::vector<std::string> DecoderParams::validate() const {
  std::vector<std::string> out;
  check(
      out, fetchBytes >= 16 && fetchBytes % 16 == 0 && fetchBytes <= 65536,
      fmt::format("decoder.fetch_bytes = {}: must be a multiple of 16 in [16, 65536]", fetchBytes));
  check(out, queueDepth >= 1 && queueDepth <= 1024,
        fmt::format("decoder.queue_depth = {}: must be in [1, 1024]", queueDepth));
  check(out, cyclesPerInstruction >= 1 && cyclesPerInstruction <= 1000,
        fmt::format("decoder.cycles_per_instruction = {}: must be in [1, 1000]",
                    cyclesPerInstruction));
  check(out, validImpl(impl), fmt::format("decoder.impl = '{}': must be model or rtl", impl));
  return out;
}

std::vector<std::string> DramParams::validate() const {
  std::vector<std::string> out;
  check(out, sizeBytes >= (uint64_t{1} << 20) && sizeBytes <= (uint64_t{1} << 40),
        fmt::format("dram.size_mib = {}: must be in [1, 1048576]", sizeBytes >> 20));
  check(out, latencyNs >= 0 && latencyNs <= 1e6,
        fmt::format("dram.latency_ns = {}: must be in [0, 1e6]", latencyNs));
  check(out, bandwidthGBps > 0 && bandwidthGBps <= 1e5,
        fmt::format("dram.bandwidth_gbps = {}: must be in (0, 1e5]", bandwidthGBps));
  return out;
}

const char* distributionName(Distribution d) {
  return d == Distribution::Batch ? "batch" : "channels";
}

std::vector<std::string> AddressMapParams::validate(uint64_t dramBytes, uint32_t instances) const {
  std::vector<std::string> out;
  const uint64_t regBytes = uint64_t{instances} * kRegWindowBytes;
  check(out, dramBase % kRegWindowBytes == 0,
        fmt::format("address_map.dram_base = 0x{:x}: must be a multiple of 0x{:x}", dramBase,
                    kRegWindowBytes));
  check(out, regBase % kRegWindowBytes == 0,
        fmt::format("address_map.reg_base = 0x{:x}: must be a multiple of 0x{:x}", regBase,
                    kRegWindowBytes));
  check(out, dramBase < kAddressLimit && dramBytes <= kAddressLimit - dramBase,
        fmt::format("address_map.dram_base = 0x{:x}: the DRAM (0x{:x} bytes) must end below 0x{:x}",
                    dramBase, dramBytes, kAddressLimit));
  check(out, regBase < kAddressLimit && regBytes <= kAddressLimit - regBase,
        fmt::format("address_map.reg_base = 0x{:x}: the register windows (0x{:x} bytes) must end "
                    "below 0x{:x}",
                    regBase, regBytes, kAddressLimit));
  const bool disjoint = regBase >= dramBase + dramBytes || dramBase >= regBase + regBytes;
  check(out, disjoint,
        fmt::format("address_map.reg_base = 0x{:x}: the register windows overlap the DRAM at "
                    "[0x{:x}, 0x{:x})",
                    regBase, dramBase, dramBase + dramBytes));
  return out;
}

std::vector<std::string> AcceleratorParams::validate() const {
  std::vector<std::string> out;
  check(out, clockGHz > 0 && clockGHz <= 10,
        fmt::format("clock_ghz = {}: must be in (0, 10]", clockGHz));
  check(out, maxTerms >= 1 && maxTerms <= 7,
        fmt::format("max_terms = {}: must be in [1, 7]", maxTerms));
  append(out, pe.validate());
  append(out, buffers.validate());
  append(out, tasd.validate());
  append(out, decoder.validate());
  append(out, dram.validate());
  check(out, instances >= 1 && instances <= kMaxInstances,
        fmt::format("instances = {}: must be in [1, {}]", instances, kMaxInstances));
  append(out, addressMap.validate(dram.sizeBytes, instances));
  return out;
}

}  // namespace tasdsim::hw
