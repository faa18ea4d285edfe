#include "hw/model/decoder/DecoderParams.h"

namespace tasdsim::hw {

std::vector<std::string> DecoderParams::validate() const {
  std::vector<std::string> out;
  if (!kFetchBytes.contains(fetchBytes) || fetchBytes % kFetchGranule != 0) {
    out.push_back(fmt::format("{}.{} = {}: must be a multiple of {} in [{}, {}]", kSection,
                              kFetchBytes.key, fetchBytes, kFetchGranule, kFetchBytes.lo,
                              kFetchBytes.hi));
  }
  kQueueDepth.check(out, kSection, queueDepth);
  kCyclesPerInstruction.check(out, kSection, cyclesPerInstruction);
  kImpl.check(out, kSection, impl);
  return out;
}

std::vector<ParamInfo> DecoderParams::declarations() {
  return {describe(kSection, kFetchBytes, {}, fmt::format("multiple of {}", kFetchGranule)),
          describe(kSection, kQueueDepth), describe(kSection, kCyclesPerInstruction),
          describe(kSection, kImpl)};
}

}  // namespace tasdsim::hw
