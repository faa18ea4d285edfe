#pragma once
// Energy from per-action costs (configs/energy/*.yaml) and the simulator's access counts.
// Computed outside the components, from a stats delta (a layer or a whole run):
//   PE MACs          mac_ops x MAC energy of the value type (int8 MACs accumulate in int32)
//   index mux        MAC slots of structured terms x mux energy (dense streams have none)
//   S / D / acc SRAM bytes read and written x per-byte energy of an SRAM of that bank size
//   DRAM             bytes read and written x per-byte energy
//   TASD units       element comparisons x compare energy
//   output path      results requantised to int8 x requantisation energy
//   decoder          instructions x per-instruction energy
//   static           leakage power x time
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "hw/model/top/AcceleratorParams.h"
#include "sw/tasd/DType.h"

namespace tasdsim::hw {

struct EnergyTable {
  std::string name = "default";
  std::string source;
  double macFp32Pj = 4.6;
  double macBf16Pj = 1.5;
  double macInt8Pj = 0.3;
  double indexMuxPj = 0.1;
  // SRAM energy per byte by bank size (KiB -> pJ/byte), interpolated log-log, clamped at the ends.
  std::vector<std::pair<double, double>> sramPjPerByte{{8, 1.25}, {32, 2.5}, {1024, 12.5}};
  double sramWriteFactor = 1.0;  // write energy relative to read
  double dramPjPerByte = 160.0;
  double tasdComparePj = 0.1;
  double requantPj = 3.3;  // per result requantised to int8 (multiply, round, bias, clamp)
  double decoderPjPerInstruction = 2.0;
  double staticPowerMw = 0.0;

  double macPj(tasd::DType t) const;
  double sramPj(uint64_t bankBytes) const;
  std::vector<std::string> validate() const;
};

struct EnergyBreakdown {
  double peMacs = 0, indexMux = 0, sBuffer = 0, dBuffer = 0, accBuffer = 0, dram = 0, tasdUnits = 0,
         outputPath = 0, decoder = 0, staticEnergy = 0;  // all in pJ
  double total() const {
    return peMacs + indexMux + sBuffer + dBuffer + accBuffer + dram + tasdUnits + outputPath +
           decoder + staticEnergy;
  }
  std::vector<std::pair<std::string, double>> items() const;  // name -> pJ
  EnergyBreakdown& operator+=(const EnergyBreakdown& o) {
    peMacs += o.peMacs;
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
