#pragma once
// Statistics of the store unit, declared once (hw/model/common/StatDecl.h).
#include <string>
#include <vector>

#include "hw/model/common/StatDecl.h"

namespace tasdsim::hw {

struct StoreUnitStats {
  static constexpr StatDecl kBusyCycles{"store_unit", "busy_cycles", "cycles",
                                        "cycles with a store in flight"};
  static constexpr StatDecl kRequests{"store_unit", "requests", "requests",
                                      "memory write requests"};
  static constexpr StatDecl kDramBytes{"store_unit", "dram_bytes", "bytes",
                                       "bytes of results written"};
  static constexpr StatDecl kRequantOps{"store_unit", "requant_ops", "results",
                                        "results requantised to int8 by the output path"};
  static constexpr StatDecl kTableBytes{"store_unit", "table_bytes", "bytes",
                                        "bytes of per-channel requantisation tables read"};
  static constexpr StatDecl kStallWaitResults{"store_unit", "stall.wait_results", "cycles",
                                              "waiting for the accumulator slot to be complete"};

  static std::vector<StatInfo> declarations() {
    return infosOf(
        {kBusyCycles, kRequests, kDramBytes, kRequantOps, kTableBytes, kStallWaitResults});
  }
};

}  // namespace tasdsim::hw
