#pragma once
// Energy from per-action costs and the simulator's access counts. The costs come from an energy
// reference table in Accelergy's ERT form (hw/model/energy/Ert.h, configs/energy/*.yaml), resolved
// for one accelerator. Computed outside the components, from a stats delta (a layer or a run):
//   PE MACs           mac_ops x MAC energy of the value type (int8 MACs accumulate in int32)
//   operand delivery  mac_ops x 2 operands x bytes per value x per-byte operand register read
//   index mux         MAC slots of structured terms x mux energy (dense streams have none)
//   S / D / acc SRAM  data bytes read and written, metadata bytes read, x per-byte energies
//   DRAM              bytes read and written x per-byte energies
//   TASD units        element comparisons x compare energy
//   output path       results requantised to int8 x requantisation energy
//   decoder           instructions x per-instruction energy
//   static            cycles x idle (leakage) energy per cycle
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "hw/model/top/AcceleratorParams.h"
#include "sw/tasd/DType.h"

namespace tasdsim::hw {

// Per-action costs for one accelerator, pJ. The defaults are the shipped 45 nm table
// (configs/energy/horowitz_45nm.yaml) at the shipped buffer sizes.
struct EnergyTable {
  std::string name = "default";
  std::string source;
  double macFp32Pj = 4.6;
  double macBf16Pj = 2.0;
  double macInt8Pj = 0.3;
  double operandPjPerByte = 0.15;
  double indexMuxPj = 0.1;
  struct Sram {
    double readPjPerByte = 2.5, writePjPerByte = 2.5, metadataReadPjPerByte = 2.5;
  };
  Sram s, d, acc;
  double dramReadPjPerByte = 160.0, dramWritePjPerByte = 160.0;
  double tasdComparePj = 0.1;
  double requantPj = 3.3;  // per result requantised to int8 (multiply, round, bias, clamp)
  double decoderPjPerInstruction = 2.0;
  double idlePjPerCycle = 0.0;
  std::vector<std::string> notCosted;  // components bound to no table (energy_bind: none)

  double macPj(tasd::DType t) const;
};

struct EnergyBreakdown {
  double peMacs = 0, operandDelivery = 0, indexMux = 0, sBuffer = 0, dBuffer = 0, accBuffer = 0,
         dram = 0, tasdUnits = 0, outputPath = 0, decoder = 0, staticEnergy = 0;  // all in pJ
  double total() const {
    return peMacs + operandDelivery + indexMux + sBuffer + dBuffer + accBuffer + dram + tasdUnits +
           outputPath + decoder + staticEnergy;
  }
  std::vector<std::pair<std::string, double>> items() const;  // name -> pJ
  EnergyBreakdown& operator+=(const EnergyBreakdown& o) {
    peMacs += o.peMacs;
    operandDelivery += o.operandDelivery;
    indexMux += o.indexMux;
    sBuffer += o.sBuffer;
    dBuffer += o.dBuffer;
    accBuffer += o.accBuffer;
    dram += o.dram;
    tasdUnits += o.tasdUnits;
    outputPath += o.outputPath;
    decoder += o.decoder;
    staticEnergy += o.staticEnergy;
    return *this;
  }
};

// stats: counter name -> value (a delta), names under `prefix` (the accelerator's instance name).
EnergyBreakdown computeEnergy(const EnergyTable& table, const AcceleratorParams& params,
                              const std::map<std::string, uint64_t>& stats,
                              const std::string& prefix, tasd::DType dtype, double seconds);

}  // namespace tasdsim::hw
