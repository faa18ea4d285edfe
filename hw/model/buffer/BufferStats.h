#pragma once
// Statistics of the buffers, declared once (hw/model/common/StatDecl.h), indexed by the buffer's
// name: buffer.s.read_bytes, buffer.acc.write_bytes.
#include <string>
#include <vector>

#include "hw/model/common/StatDecl.h"

namespace tasdsim::hw {

struct BufferStats {
  static constexpr StatDecl kReadBytes{"buffer", "{}.read_bytes", "bytes",
                                       "bytes read from the buffer"};
  static constexpr StatDecl kWriteBytes{"buffer", "{}.write_bytes", "bytes",
                                        "bytes written to the buffer"};
  static constexpr StatDecl kMetadataReadBytes{
      "buffer", "{}.metadata_read_bytes", "bytes",
      "of the bytes read, those of structured-term metadata (indices)"};
  static constexpr const char* kNames[] = {"s", "d", "acc"};

  static std::vector<StatInfo> declarations() {
    std::vector<StatInfo> out;
    for (const char* b : kNames) {
      out.push_back(infoOf(kReadBytes, b));
      out.push_back(infoOf(kWriteBytes, b));
      out.push_back(infoOf(kMetadataReadBytes, b));
    }
    return out;
  }
};

}  // namespace tasdsim::hw
