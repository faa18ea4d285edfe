#include "hw/model/dram/DramParams.h"

namespace tasdsim::hw {

std::vector<std::string> DramParams::validate() const {
  std::vector<std::string> out;
  kSizeMib.check(out, kSection, sizeBytes >> 20);
  kLatencyNs.check(out, kSection, latencyNs);
  kBandwidthGBps.check(out, kSection, bandwidthGBps);
  return out;
}

std::vector<ParamInfo> DramParams::declarations() {
  return {describe(kSection, kSizeMib), describe(kSection, kLatencyNs),
          describe(kSection, kBandwidthGBps)};
}

}  // namespace tasdsim::hw
