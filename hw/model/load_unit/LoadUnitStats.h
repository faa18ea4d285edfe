#pragma once
// Statistics of the load unit, declared once (hw/model/common/StatDecl.h).
#include <string>
#include <vector>

#include "hw/model/common/StatDecl.h"

namespace tasdsim::hw {

struct LoadUnitStats {
  static constexpr StatDecl kBusyCycles{"load_unit", "busy_cycles", "cycles",
                                        "cycles with a load in flight"};
  static constexpr StatDecl kRequests{"load_unit", "requests", "requests", "memory read requests"};
  static constexpr StatDecl kDramBytesS{"load_unit", "dram_bytes.s", "bytes",
                                        "bytes read for the structured operand"};
  static constexpr StatDecl kDramBytesD{"load_unit", "dram_bytes.d", "bytes",
                                        "bytes read for the dense operand"};
  static constexpr StatDecl kDramBytesC{"load_unit", "dram_bytes.c", "bytes",
                                        "bytes of partial sums read"};
  static constexpr StatDecl kStallWaitBufferFree{"load_unit", "stall.wait_buffer_free", "cycles",
                                                 "waiting for a slot's previous users"};

  static std::vector<StatInfo> declarations() {
    return infosOf(
        {kBusyCycles, kRequests, kDramBytesS, kDramBytesD, kDramBytesC, kStallWaitBufferFree});
  }
};

}  // namespace tasdsim::hw
