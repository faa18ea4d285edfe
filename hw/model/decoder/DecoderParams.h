#pragma once
// Parameters of the microcode decoder (arch section `decoder`), declared once: key, default,
// range, unit, description (hw/model/common/Params.h).
#include <cstdint>
#include <string>
#include <vector>

#include "hw/model/common/Params.h"

namespace tasdsim::hw {

struct DecoderParams {
  static constexpr const char* kSection = "decoder";
  static constexpr uint32_t kFetchGranule = 16;  // fetch bursts are whole instructions
  static constexpr Param<uint32_t> kFetchBytes{"fetch_bytes", 1024,    16,
                                               65536,         "bytes", "microcode fetch burst"};
  static constexpr Param<uint32_t> kQueueDepth{
      "queue_depth", 16, 1, 1024, "instructions", "decoded instructions queued per unit"};
  static constexpr Param<uint32_t> kCyclesPerInstruction{
      "cycles_per_instruction", 1, 1, 1000, "cycles", "decode time"};
  static constexpr ChoiceParam kImpl{"impl", "model", "model, rtl",
                                     "C++ model or Verilated RTL (hw/rtl/decoder)"};

  uint32_t fetchBytes = kFetchBytes.def;                      // microcode bytes per fetch burst
  uint32_t queueDepth = kQueueDepth.def;                      // per unit queue
  uint32_t cyclesPerInstruction = kCyclesPerInstruction.def;  // decode time
  std::string impl = kImpl.def;
  std::vector<std::string> validate() const;
  static std::vector<ParamInfo> declarations();
};

}  // namespace tasdsim::hw
