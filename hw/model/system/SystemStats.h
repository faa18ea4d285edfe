#pragma once
// Every declared counter of the default system: the accelerator's blocks (below `accel.`, the
// keys of `counters` in stats.json) and the DRAM's (below the system). `tasdsim counters` lists
// them; docs/outputs.md's table is that listing.
#include <vector>

#include "hw/model/dram/DramStats.h"
#include "hw/model/top/AcceleratorStats.h"

namespace tasdsim::hw {

inline std::vector<StatInfo> systemStatDeclarations() {
  std::vector<StatInfo> out = acceleratorStatDeclarations();
  for (const StatInfo& s : DramStats::declarations())
    out.push_back(s);
  return out;
}

}  // namespace tasdsim::hw
