#pragma once
// TasdUnit: on-the-fly TASD of activation tiles (TASD instruction, TASD-A layers).
//
// Ports: ctrl_port (UnitIf). Function: values with |x| <= tau become zero (pseudo-density),
// then the tile is decomposed greedily into the layer's series, block by block along K: the
// TASD library's decomposition is this unit's reference behaviour.
// Timing: that of the RTL (hw/rtl/tasd_unit behind its adapter), cycle for cycle. Consecutive
// terms of one block size form a pass (at most kTasdTermsPerPass terms); in a pass the blocks,
// row after row, go in order to whichever of the `count` units is ready (the lowest-numbered
// first). A unit selects one element per cyclesPerElement cycles, the largest left, until the
// pass's terms are full or no nonzero is left: s = min(sum of the pass's n, nonzeros) selections,
// taking max(1, s) cycles; then it hands the block out as one beat per term while it selects
// the next block (a two-stage pipeline). A pass ends when its last beat is taken, one cycle
// later the next pass starts. The decomposed matrix is a conv input's box (one row per pixel,
// its channels) when the channel runs hold whole blocks (the units decompose every pixel once,
// before im2col repeats it), otherwise the tile's rows. A timing-only run has no values: every
// element is taken as nonzero (the units' worst case for the selections).
// The units run ahead of the PE array on the other S slot; whatever the array still waits for
// is its wait_tasd_unit stall (the exposed latency).
// Stats: tasd_unit.{busy_cycles, tiles, blocks, compare_ops, thresholded}; compare_ops counts
// the m elements the priority chain compares in each selection cycle.
// With impl: rtl the Verilated units (hw/rtl/tasd_unit) threshold and decompose the tile; their
// cycles are the tile's time and equal the model's (tests/cosim/TasdUnitCosimTest.cpp).
#include <memory>
#include <vector>

#include <systemc>

#include "hw/model/dataflow/Interfaces.h"
#include "hw/rtl/cosim/Cosim.h"
#include "sw/tasd/Series.h"

namespace tasdsim::hw {

// The most terms one pass of a unit takes (the RTL unit's TERMS parameter).
constexpr uint32_t kTasdTermsPerPass = 7;

struct TasdTileTiming {
  uint64_t cycles = 0;    // from the first block handed out to the last beat taken
  uint64_t blocks = 0;    // blocks over all passes
  uint64_t compares = 0;  // m per selection cycle
};

// The units' time for a rows x cols matrix decomposed into `series`. alive[i]: element i is
// nonzero after the threshold. terms (rows x cols, the series' terms) say which elements each
// pass kept, for the passes after it; without them the kept elements are the first alive ones
// of each block (all magnitudes equal, ties to the lower index).
TasdTileTiming tasdTileTiming(const TasdUnitParams& params, const tasd::Series& series, size_t rows,
                              size_t cols, std::vector<uint8_t> alive,
                              const std::vector<tasd::CompressedTerm>* terms = nullptr);
// The same for a matrix whose every element is nonzero (timing-only runs): every row alike, so
// one row's blocks are counted for all.
TasdTileTiming tasdTileTimingAllAlive(const TasdUnitParams& params, const tasd::Series& series,
                                      size_t rows, size_t cols);

// Cycles of a tile of `elements` elements, every one nonzero, for estimates (the tile chooser):
// per pass max(min(sum n, m), terms) cycles per m-block, the blocks spread over the units in
// rounds, plus the pass's fill and drain (one cycle and a beat per term).
double tasdTileCycles(const TasdUnitParams& params, const tasd::Series& series, double elements);

class TasdUnit : public sc_core::sc_module {
 public:
  sc_core::sc_port<UnitIf> ctrl_port;

  TasdUnit(sc_core::sc_module_name name, const TasdUnitParams& params, const BlockContext& context,
           StatsRegistry& stats, const rtl::CosimOptions& cosim = {});

 private:
  // The operation in flight: a member, not a local of the thread, so that what it holds stays
  // reachable (and is freed) when a simulation ends while the thread waits.
  Op op_;
  void run();
  bool decompose(const Op& op);
  // Forms the tile's terms from the box's; returns the box's (pixels x channels) terms.
  std::vector<tasd::CompressedTerm> decomposePixels(const LayerState& layer,
                                                    const tasd::Series& series, STile& s);
  // The functional decomposition of the tile into s.terms; returns the terms of the matrix the
  // units decompose (the box's or the tile's).
  std::vector<tasd::CompressedTerm> decomposeValues(const LayerState& layer,
                                                    const tasd::Series& series, STile& s);
  std::vector<tasd::CompressedTerm> rtlDecomposeBox(const LayerState& layer,
                                                    const tasd::Series& series, const STile& s);

  const TasdUnitParams params_;
  const BlockContext context_;
  std::vector<Counter*> stalls_;
  Counter& busyCycles_;
  Counter& tiles_;
  Counter& blocks_;
  Counter& compares_;
  Counter& thresholded_;
  std::unique_ptr<rtl::TasdUnitRtl> rtl_;  // impl: rtl
  uint64_t rtlCycles_ = 0;                 // RTL cycles of the tile being decomposed
};

}  // namespace tasdsim::hw
