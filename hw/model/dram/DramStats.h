#pragma once
// Statistics of the DRAM (all requesters' traffic), declared once (hw/model/common/StatDecl.h).
#include <string>
#include <vector>

#include "hw/model/common/StatDecl.h"

namespace tasdsim::hw {

struct DramStats {
  static constexpr StatDecl kReadBytes{"dram", "read_bytes", "bytes",
                                       "bytes read by timed requests"};
  static constexpr StatDecl kWriteBytes{"dram", "write_bytes", "bytes",
                                        "bytes written by timed requests"};
  static constexpr StatDecl kReadRequests{"dram", "read_requests", "requests",
                                          "timed read requests"};
  static constexpr StatDecl kWriteRequests{"dram", "write_requests", "requests",
                                           "timed write requests"};

  static std::vector<StatInfo> declarations() {
    return infosOf({kReadBytes, kWriteBytes, kReadRequests, kWriteRequests});
  }
};

}  // namespace tasdsim::hw
