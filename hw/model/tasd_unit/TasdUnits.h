#pragma once
// TasdUnits: on-the-fly TASD of activation tiles (TASD instruction, TASD-A layers).
//
// Ports: ctrl_port (UnitIf). Function: values with |x| <= tau become zero (pseudo-density),
// then the tile is decomposed greedily into the layer's series, block by block along K: the
// TASD library's decomposition is this unit's reference behaviour. Timing: `count` units work
// on blocks in parallel; a unit selects one element per cyclesPerElement cycles, so it spends
// m * cyclesPerElement cycles on an m-block (the paper's sequential selection, worst case) and
// emits all terms of the same block size in that pass. A tile of E elements takes
// sum over the series' block sizes m of ceil(E/m / count) * m * cyclesPerElement. For a conv
// input whose channel runs hold whole blocks, E counts each input element once (the units
// decompose every pixel's channels once, before im2col repeats them); otherwise E counts the
// im2col rows' elements (blocks may span pixels).
// The units run ahead of the PE array on the other S slot; whatever the array still waits for
// is its wait_tasd_units stall (the exposed latency).
// Stats: tasd_units.{busy_cycles, tiles, blocks, compare_ops, thresholded}.
// With impl: rtl the Verilated units (hw/rtl/tasd_unit) threshold and decompose the tile; their
// cycles are the tile's time (blocks and compare_ops still count the model's m per block).
#include <memory>
#include <vector>

#include <systemc>

#include "hw/model/dataflow/Interfaces.h"
#include "hw/rtl/cosim/Cosim.h"
#include "sw/tasd/Series.h"

namespace tasdsim::hw {

// Cycles the TASD units need for a tile of `elements` elements per block size, rows of ks
// elements (for the partial last block of each row when not decomposing per pixel).
uint64_t tasdTileCycles(const AcceleratorParams& params, const LayerState& layer, uint64_t elements, uint32_t rows,
                        uint32_t ks, bool pixelBlocks, uint64_t* blocks = nullptr, uint64_t* compares = nullptr);

class TasdUnits : public sc_core::sc_module {
 public:
  sc_core::sc_port<UnitIf> ctrl_port;

  TasdUnits(sc_core::sc_module_name name, const AcceleratorParams& params, StatsRegistry& stats,
            const rtl::CosimOptions& cosim = {});

 private:
  // The operation in flight: a member, not a local of the thread, so that what it holds stays
  // reachable (and is freed) when a simulation ends while the thread waits.
  Op op_;
  void run();
  bool decompose(const Op& op);
  void decomposePixels(const LayerState& layer, const tasd::Series& series, STile& s);
  std::vector<tasd::CompressedTerm> rtlDecomposeBox(const LayerState& layer, const tasd::Series& series,
                                                    const STile& s);

  const AcceleratorParams params_;
  std::vector<Counter*> stalls_;
  Counter& busyCycles_;
  Counter& tiles_;
  Counter& blocks_;
  Counter& compares_;
  Counter& thresholded_;
  std::unique_ptr<rtl::TasdUnitsRtl> rtl_;  // impl: rtl
  uint64_t rtlCycles_ = 0;                  // RTL cycles of the tile being decomposed
};

}  // namespace tasdsim::hw
