#pragma once
// TasdUnits: on-the-fly TASD of activation tiles (TASD instruction, TASD-A layers).
//
// Ports: ctrl_port (UnitIf). Function: values with |x| <= tau become zero (pseudo-density),
// then the tile is decomposed greedily into the layer's series, block by block along K: the
// TASD library's decomposition is this unit's reference behaviour. Timing: `count` units work
// on blocks in parallel; a unit selects one element per cyclesPerElement cycles, so it spends
// m * cyclesPerElement cycles on an m-block (the paper's sequential selection, worst case) and
// emits all terms of the same block size in that pass. A tile with R rows and K columns takes
// sum over the series' block sizes m of ceil(R * ceil(K/m) / count) * m * cyclesPerElement.
// The units run ahead of the PE array on the other S slot; whatever the array still waits for
// is its wait_tasd_units stall (the exposed latency).
// Stats: tasd_units.{busy_cycles, tiles, blocks, compare_ops, thresholded}.
#include <vector>

#include <systemc>

#include "hw/model/dataflow/Interfaces.h"

namespace tasdsim::hw {

// Cycles the TASD units need for a rows x ks tile of the layer's series.
uint64_t tasdTileCycles(const AcceleratorParams& params, const LayerState& layer, uint32_t rows, uint32_t ks,
                        uint64_t* blocks = nullptr, uint64_t* compares = nullptr);

class TasdUnits : public sc_core::sc_module {
 public:
  sc_core::sc_port<UnitIf> ctrl_port;

  TasdUnits(sc_core::sc_module_name name, const AcceleratorParams& params, StatsRegistry& stats);

 private:
  void run();
  bool decompose(const Op& op);

  const AcceleratorParams params_;
  std::vector<Counter*> stalls_;
  Counter& busyCycles_;
  Counter& tiles_;
  Counter& blocks_;
  Counter& compares_;
  Counter& thresholded_;
};

}  // namespace tasdsim::hw
