#include "hw/model/pe_array/PeArrayParams.h"

namespace tasdsim::hw {

bool supportsPattern(const std::vector<tasd::NMPattern>& patterns, const tasd::NMPattern& p) {
  if (p.isDense()) return true;
  for (const tasd::NMPattern& q : patterns)
    if (q == p) return true;
  return false;
}

std::vector<std::string> PeArrayParams::validate() const {
  std::vector<std::string> out;
  kRows.check(out, kSection, rows);
  kCols.check(out, kSection, cols);
  kLanes.check(out, kSection, lanes);
  kPipelineLatency.check(out, kSection, pipelineLatencyCycles);
  kImpl.check(out, kSection, impl);
  return out;
}

std::vector<ParamInfo> PeArrayParams::declarations() {
  return {describe(kSection, kRows),
          describe(kSection, kCols),
          describe(kSection, kLanes),
          describe(kSection, kPatterns),
          describe(kSection, kPipelineLatency, "rows + cols"),
          describe(kSection, kOverlapStreams),
          describe(kSection, kImpl)};
}

}  // namespace tasdsim::hw
