#include "hw/model/tasd_unit/TasdUnitParams.h"

namespace tasdsim::hw {

std::vector<std::string> TasdUnitParams::validate() const {
  std::vector<std::string> out;
  kCount.check(out, kSection, count);
  kCyclesPerElement.check(out, kSection, cyclesPerElement);
  kImpl.check(out, kSection, impl);
  return out;
}

std::vector<ParamInfo> TasdUnitParams::declarations() {
  return {describe(kSection, kCount, "16 if the section exists, else 0"),
          describe(kSection, kCyclesPerElement), describe(kSection, kImpl)};
}

}  // namespace tasdsim::hw
