#pragma once
// Statistics of the accelerator's memory port (its traffic to the system), declared once
// (hw/model/common/StatDecl.h).
#include <string>
#include <vector>

#include "hw/model/common/StatDecl.h"

namespace tasdsim::hw {

struct MemoryPortStats {
  static constexpr StatDecl kReadBytes{"memory_port", "read_bytes", "bytes",
                                       "bytes read by timed requests"};
  static constexpr StatDecl kWriteBytes{"memory_port", "write_bytes", "bytes",
                                        "bytes written by timed requests"};
  static constexpr StatDecl kReadRequests{"memory_port", "read_requests", "requests",
                                          "timed read requests"};
  static constexpr StatDecl kWriteRequests{"memory_port", "write_requests", "requests",
                                           "timed write requests"};

  static std::vector<StatInfo> declarations() {
    return infosOf({kReadBytes, kWriteBytes, kReadRequests, kWriteRequests});
  }
};

}  // namespace tasdsim::hw
