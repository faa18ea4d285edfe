#pragma once
// Parameters of the on-chip SRAM buffers (arch section `buffer`, one subsection per buffer: s, d,
// acc), declared once: key, default, range, unit, description (hw/model/common/Params.h). The
// buffers themselves: hw/model/buffer/Buffer.h.
#include <cstdint>
#include <string>
#include <vector>

#include "hw/model/common/Params.h"

namespace tasdsim::hw {

// One SRAM buffer, split into two slots for double buffering.
struct BufferParams {
  static constexpr Param<uint64_t> kSizeKib{
      "size_kib", 0, 1, uint64_t{1} << 20, "KiB", "buffer size (two slots for double buffering)"};
  static constexpr Param<uint32_t> kBanks{"banks", 0, 1, 1024, "banks", "SRAM banks"};
  static constexpr Param<uint32_t> kBankWidth{
      "bank_width_bytes",
      0,
      1,
      1024,
      "bytes",
      "bytes per bank per cycle (port width = banks x width)"};

  uint64_t sizeBytes = 0;
  uint32_t banks = 16;
  uint32_t bankWidthBytes = 32;  // bytes per bank per cycle
  uint64_t portBytesPerCycle() const { return uint64_t{banks} * bankWidthBytes; }
  uint64_t slotBytes() const { return sizeBytes / 2; }
  // name: the buffer's key in `buffer` (s, d, acc).
  std::vector<std::string> validate(const std::string& name) const;
  // This buffer's keys with its defaults, under buffer.<name>.
  std::vector<ParamInfo> declarations(const std::string& name, const std::string& role) const;
};

// The engine's three buffers.
struct BufferSetParams {
  static constexpr const char* kSection = "buffer";
  BufferParams s{256 * 1024, 32, 64};    // structured operand: compressed terms (or dense tile)
  BufferParams d{256 * 1024, 32, 64};    // dense operand
  BufferParams acc{128 * 1024, 16, 64};  // accumulators (fp32 / int32)
  std::vector<std::string> validate() const;
  static std::vector<ParamInfo> declarations();
};

}  // namespace tasdsim::hw
