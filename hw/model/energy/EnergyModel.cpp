#include "hw/model/energy/EnergyModel.h"

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

std::vector<std::pair<std::string, double>> EnergyBreakdown::items() const {
  return {{"pe_macs", peMacs},
          {"operand_delivery", operandDelivery},
          {"index_mux", indexMux},
          {"s_buffer", sBuffer},
          {"d_buffer", dBuffer},
          {"acc_buffer", accBuffer},
          {"dram", dram},
          {"tasd_unit", tasdUnits},
          {"output_path", outputPath},
          {"decoder", decoder},
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
  const double macOps = get(PeArrayStats::kMacOps);
  e.peMacs = macOps * t.macPj(dtype);
  e.operandDelivery = macOps * 2.0 * tasd::dtypeBytes(dtype) * t.operandPjPerByte;
  double structuredSlots = 0;
  for (uint32_t i = 0; i < isa::kMaxTerms; ++i)
    structuredSlots += get(PeArrayStats::kTermMacOps, std::to_string(i));
  e.indexMux = structuredSlots * t.indexMuxPj;
  auto sram = [&](const EnergyTable::Sram& s, const char* which) {
    const double metadata = get(BufferStats::kMetadataReadBytes, which);
    return (get(BufferStats::kReadBytes, which) - metadata) * s.readPjPerByte +
           metadata * s.metadataReadPjPerByte +
           get(BufferStats::kWriteBytes, which) * s.writePjPerByte;
  };
  e.sBuffer = sram(t.s, "s");
  e.dBuffer = sram(t.d, "d");
  e.accBuffer = sram(t.acc, "acc");
  e.dram = get(MemoryPortStats::kReadBytes) * t.dramReadPjPerByte +
           get(MemoryPortStats::kWriteBytes) * t.dramWritePjPerByte;  // this accelerator's traffic
  e.tasdUnits = get(TasdUnitStats::kCompareOps) * t.tasdComparePj;
  e.outputPath = get(StoreUnitStats::kRequantOps) * t.requantPj;
  e.decoder = get(DecoderStats::kInstructions) * t.decoderPjPerInstruction;
  e.staticEnergy = t.idlePjPerCycle * seconds * p.clockGHz * 1e9;  // cycles x pJ per cycle
  return e;
}

}  // namespace tasdsim::hw
