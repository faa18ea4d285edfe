#pragma once
// Every declared statistic of the accelerator's blocks (hw/model/common/StatDecl.h), as paths
// below the accelerator's instance name. The accelerator checks at construction that its blocks
// registered each of them.
#include <string>
#include <vector>

#include "hw/model/buffer/BufferStats.h"
#include "hw/model/dataflow/DataflowStats.h"
#include "hw/model/decoder/DecoderStats.h"
#include "hw/model/load_unit/LoadUnitStats.h"
#include "hw/model/memory_port/MemoryPortStats.h"
#include "hw/model/pe_array/PeArrayStats.h"
#include "hw/model/store_unit/StoreUnitStats.h"
#include "hw/model/tasd_unit/TasdUnitStats.h"

namespace tasdsim::hw {

// In the order of the blocks in docs/outputs.md (`tasdsim counters`).
inline std::vector<StatInfo> acceleratorStatDeclarations() {
  std::vector<StatInfo> out;
  for (const auto& block :
       {PeArrayStats::declarations(), TasdUnitStats::declarations(), BufferStats::declarations(),
        DecoderStats::declarations(), DataflowStats::declarations(), LoadUnitStats::declarations(),
        StoreUnitStats::declarations(), MemoryPortStats::declarations()})
    out.insert(out.end(), block.begin(), block.end());
  return out;
}

inline std::vector<std::string> acceleratorStatPaths() {
  std::vector<std::string> out;
  for (const StatInfo& s : acceleratorStatDeclarations())
    out.push_back(s.path);
  return out;
}

}  // namespace tasdsim::hw
