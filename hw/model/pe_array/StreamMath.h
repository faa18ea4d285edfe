#pragma once
// What one STREAM costs on the PE array and what it computes; plain functions (no SystemC),
// shared by the PeArray module, its tests and the analytical checks.
//
// Mapping: a pass puts `rows` rows of the S tile and `cols` rows of the D tile (output columns)
// on the array; PE (r, c) accumulates C[r][c]. Each cycle a PE consumes `lanes` stored values
// of its S row and, through its index mux, the matching elements of the D row's m-blocks, which
// are broadcast down the column. A term n:m stores ceil(klen/m)*n slots per row, so a pass takes
// ceil(slots/lanes) cycles for it: n/m of the dense ceil(klen/lanes). The terms of one STREAM
// run back to back in every pass without draining the accumulators (the TASD extension's
// decomposition-aware dataflow); passes are pipelined, so the array's fill and drain
// (pipelineLatencyCycles) is paid once per STREAM (withFill); with overlap_streams it is not the
// array's time at all: the stream's results follow its last pass by the latency while the next
// stream runs (PeArray).
// Buffer traffic: the S tile is read once per column group, the D tile once per row group and
// term, the accumulators are read (unless the stream clears them) and written once.
#include <array>
#include <cstdint>

#include "hw/isa/Isa.h"
#include "hw/model/buffer/BufferParams.h"
#include "hw/model/dataflow/LayerState.h"
#include "hw/model/pe_array/PeArrayParams.h"

namespace tasdsim::hw {

struct StreamShape {
  uint32_t rows = 0, cols = 0, ks = 0;    // tile extents
  uint32_t firstTerm = 0, termCount = 0;  // termCount 0: a dense stream
  bool clear = false;
};

struct StreamCost {
  uint64_t passes = 0;
  uint64_t passCycles = 0;     // the passes' cycles, without fill and drain
  uint64_t bufferCycles = 0;   // cycles the S and D buffer ports need to feed the stream
  uint64_t computeCycles = 0;  // passCycles + fill and drain, without buffer-bandwidth limits
  uint64_t cycles = 0;         // with them
  uint64_t macOps = 0;         // MAC slots issued (n/m of the dense MACs per term)
  uint64_t denseMacs = 0;      // dense-equivalent MACs of the tile (once per stream)
  std::array<uint64_t, isa::kMaxTerms> termCycles{};  // pass cycles spent per term
  uint64_t denseCycles = 0;                           // pass cycles of a dense stream
  uint64_t sReadBytes = 0, sMetadataReadBytes = 0, dReadBytes = 0, accReadBytes = 0,
           accWriteBytes = 0;
};

// Cycles of one pass over a K tile of ks elements: a term n:m stores ceil(ks/m)*n slots per row,
// consumed `lanes` per cycle; a dense pass ceil(ks/lanes). The identity streamCost charges and
// the tile chooser estimates with.
uint64_t termPassCycles(const PeArrayParams& pe, const tasd::NMPattern& p, uint64_t ks);
uint64_t densePassCycles(const PeArrayParams& pe, uint64_t ks);

// sBuffer, dBuffer: the buffers the stream reads (their port widths bound its cycles).
StreamCost streamCost(const PeArrayParams& pe, const BufferParams& sBuffer,
                      const BufferParams& dBuffer, const LayerState& layer,
                      const StreamShape& shape);

// The cost of a stream whose fill and drain exposes only `fill` cycles of the pipeline latency.
StreamCost withFill(StreamCost cost, uint64_t fill);

// C (acc) += sum over the stream's terms of S_t * D^T, or S_dense * D^T for a dense stream.
void streamCompute(const LayerState& layer, const STile& s, const DTile& d, AccTile& acc,
                   const StreamShape& shape);

}  // namespace tasdsim::hw
