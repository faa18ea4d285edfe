#pragma once
// Buffer: one on-chip SRAM buffer of the accelerator, split into two slots for double buffering
// (isa::kSlots). BufferSet: the engine's three, named as in the arch section `buffer`:
//   s    the structured operand (compressed terms, or a dense tile)
//   d    the dense operand
//   acc  the accumulators (fp32 / int32)
//
// Params: BufferParams (buffer/BufferParams.h): size, banks, bank width. Stats: BufferStats
// (buffer/BufferStats.h): buffer.<name>.{read,write,metadata_read}_bytes. The dataflow controller
// owns no tiles: it hands the set to its units (UnitIf::buffer), which hold their tiles in the
// slots and count every access here; the energy model prices the counts per buffer.
#include <array>
#include <cstdint>
#include <string>

#include "hw/isa/Isa.h"
#include "hw/model/buffer/BufferParams.h"
#include "hw/model/buffer/BufferStats.h"
#include "hw/model/common/Stats.h"
#include "hw/model/dataflow/LayerState.h"

namespace tasdsim::hw {

template <typename Tile>
class Buffer {
 public:
  // owner: the hierarchical name of the set ("accel.buffer"); name: s, d or acc.
  Buffer(const std::string& owner, const char* name, const BufferParams& params,
         StatsRegistry& stats)
      : params_(params),
        read_(&addStat(stats, owner, BufferStats::kReadBytes, name)),
        write_(&addStat(stats, owner, BufferStats::kWriteBytes, name)),
        metadataRead_(&addStat(stats, owner, BufferStats::kMetadataReadBytes, name)) {}

  Tile& slot(uint32_t index) { return slots_[index & 1]; }
  std::array<Tile, isa::kSlots>& slots() { return slots_; }
  const BufferParams& params() const { return params_; }
  // bytes: all bytes read; metadataBytes: how many of them are structured-term metadata.
  void countRead(uint64_t bytes, uint64_t metadataBytes = 0) {
    *read_ += bytes;
    *metadataRead_ += metadataBytes;
  }
  void countWrite(uint64_t bytes) { *write_ += bytes; }

 private:
  const BufferParams params_;
  std::array<Tile, isa::kSlots> slots_;
  Counter* read_;
  Counter* write_;
  Counter* metadataRead_;
};

struct BufferSet {
  // owner: the hierarchical name of the block that holds the set; the buffers are named
  // <owner>.buffer.<name>.
  BufferSet(const std::string& owner, const BufferSetParams& params, StatsRegistry& stats)
      : s(owner + ".buffer", "s", params.s, stats),
        d(owner + ".buffer", "d", params.d, stats),
        acc(owner + ".buffer", "acc", params.acc, stats) {}

  // Empties every slot: tiles are valid only under the configuration they were loaded with.
  void invalidate() {
    for (STile& t : s.slots())
      t.clear();
    for (DTile& t : d.slots()) {
      t.loaded = false;
      t.bytes = 0;
    }
    for (AccTile& t : acc.slots())
      t.valid = false;
  }

  Buffer<STile> s;
  Buffer<DTile> d;
  Buffer<AccTile> acc;
};

}  // namespace tasdsim::hw
