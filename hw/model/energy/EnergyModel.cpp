#include "hw/model/energy/EnergyModel.h"

#include <cmath>

#include <fmt/format.h>

#include "hw/isa/Isa.h"
#include "hw/model/buffer/BufferStats.h"
#include "hw/model/dataflow/DataflowStats.h"
#include "hw/model/decoder/DecoderStats.h"
#include "hw/model/memory_port/MemoryPortStats.h"
#include "hw/model/pe_array/PeArrayStats.h"
#include "hw/model/store_unit/StoreUnitStats.h"
#include "hw/model/tasd_unit/TasdUnitStats.h"

namespace tasdsim::hw {

double EnergyTable::macPj(tasd::DType t) const {
  return t == tasd::DType::F32 ? macFp32Pj : t == tasd::DType::BF16 ? macBf16Pj : macInt8Pj;
}

double EnergyTable::sramPj(uint64_t bankBytes) const {
  const double kib = static_cast<double>(bankBytes) / 1024.0;
  if (sramPjPerByte.empty()) return 0.0;
  if (kib <= sramPjPerByte.front().first) return sramPjPerByte.front().second;
  if (kib >= sramPjPerByte.back().first) return sramPjPerByte.back().second;
  for (size_t i = 1; i < sramPjPerByte.size(); ++i) {
    const auto [k0, e0] = sramPjPerByte[i - 1];
    const auto [k1, e1] = sramPjPerByte[i];
    if (kib <= k1) {
      const double t = (std::log(kib) - std::log(k0)) / (std::log(k1) - std::log(k0));
      return std::exp(std::log(e0) + t * (std::log(e1) - std::log(e0)));
    }
  }
  return sramPjPerByte.back().second;
}

std::vector<std::string> EnergyTable::validate() const {
  std::vector<std::string> out;
  for (auto [name, v] : std::vector<std::pair<const char*, double>>{
           {"mac_pj.fp32", macFp32Pj},
           {"mac_pj.bf16", macBf16Pj},
           {"mac_pj.int8", macInt8Pj},
           {"index_mux_pj", indexMuxPj},
           {"dram_pj_per_byte", dramPjPerByte},
           {"tasd_compare_pj", tasdComparePj},
           {"requant_pj", requantPj},
           {"decoder_pj_per_instruction", decoderPjPerInstruction},
           {"static_power_mw", staticPowerMw},
           {"sram_write_factor", sramWriteFactor}}) {
    if (!(v >= 0) || v > 1e6)
      out.push_back(fmt::format("energy.{} = {}: must be in [0, 1e6]", name, v));
  }
  if (sramPjPerByte.empty()) out.push_back("energy.sram_pj_per_byte: needs at least one point");
  for (size_t i = 0; i < sramPjPerByte.size(); ++i) {
    if (!(sramPjPerByte[i].first > 0) || !(sramPjPerByte[i].second > 0)) {
      out.push_back(fmt::format("energy.sram_pj_per_byte[{}]: kib and pj must be positive", i));
    }
    if (i && sramPjPerByte[i].first <= sramPjPerByte[i - 1].first) {
      out.push_back(fmt::format("energy.sram_pj_per_byte[{}]: kib must increase", i));
    }
  }
  return out;
}

std::vector<std::pair<std::string, double>> EnergyBreakdown::items() const {
  return {{"pe_macs", peMacs},      {"index_mux", indexMux},     {"s_buffer", sBuffer},
          {"d_buffer", dBuffer},    {"acc_buffer", accBuffer},   {"dram", dram},
          {"tasd_unit", tasdUnits}, {"output_path", outputPath}, {"decoder", decoder},
          {"static", staticEnergy}};
}

EnergyBreakdown computeEnergy(const EnergyTable& t, const AcceleratorParams& p,
                              const std::map<std::string, uint64_t>& stats,
                              const std::string& prefix, tasd::DType dtype, double seconds) {
  // Declared counters (hw/model/common/StatDecl.h): one that is absent is an error, never 0.
  auto get = [&](const StatDecl& decl, const std::string& index = {}) {
    return static_cast<double>(statValue(stats, prefix, decl, index));
  };
  EnergyBreakdown e;
  e.peMacs = get(PeArrayStats::kMacOps) * t.macPj(dtype);
  double structuredSlots = 0;
  for (uint32_t i = 0; i < isa::kMaxTerms; ++i)
    structuredSlots += get(PeArrayStats::kTermMacOps, std::to_string(i));
  e.indexMux = structuredSlots * t.indexMuxPj;
  auto sram = [&](const BufferParams& s, const char* which) {
    const double perByte = t.sramPj(s.sizeBytes / s.banks);
    return perByte * (get(BufferStats::kReadBytes, which) +
                      t.sramWriteFactor * get(BufferStats::kWriteBytes, which));
  };
  e.sBuffer = sram(p.buffer.s, "s");
  e.dBuffer = sram(p.buffer.d, "d");
  e.accBuffer = sram(p.buffer.acc, "acc");
  e.dram = (get(MemoryPortStats::kReadBytes) + get(MemoryPortStats::kWriteBytes)) *
           t.dramPjPerByte;  // this accelerator's traffic
  e.tasdUnits = get(TasdUnitStats::kCompareOps) * t.tasdComparePj;
  e.outputPath = get(StoreUnitStats::kRequantOps) * t.requantPj;
  e.decoder = get(DecoderStats::kInstructions) * t.decoderPjPerInstruction;
  e.staticEnergy = t.staticPowerMw * 1e-3 * seconds * 1e12;  // mW x s -> pJ
  return e;
}

}  // namespace tasdsim::hw
