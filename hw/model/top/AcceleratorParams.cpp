#include "hw/model/top/AcceleratorParams.h"

#include <fmt/format.h>

#include "hw/isa/Isa.h"

namespace tasdsim::hw {

static_assert(AcceleratorParams::kMaxTerms.hi == isa::kMaxTerms,
              "max_terms reaches the microcode's longest series");

const char* distributionName(Distribution d) {
  return d == Distribution::Batch ? "batch" : "channels";
}

std::vector<std::string> AcceleratorParams::validate() const {
  std::vector<std::string> out;
  kClockGHz.check(out, "", clockGHz);
  kMaxTerms.check(out, "", maxTerms);
  for (const auto& more : {peArray.validate(), buffer.validate(), tasdUnit.validate(),
                           decoder.validate(), dram.validate()})
    out.insert(out.end(), more.begin(), more.end());
  kInstances.check(out, "", instances);
  const auto more = addressMap.validate(dram.sizeBytes, instances);
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

std::vector<ParamInfo> archDeclarations() {
  using P = AcceleratorParams;
  std::vector<ParamInfo> out{describe("", P::kName), describe("", P::kDescription),
                             describe("", P::kClockGHz), describe("", P::kTasdExtension),
                             describe("", P::kMaxTerms)};
  for (const auto& block :
       {PeArrayParams::declarations(), BufferSetParams::declarations(),
        TasdUnitParams::declarations(), DecoderParams::declarations(), DramParams::declarations()})
    out.insert(out.end(), block.begin(), block.end());
  out.push_back(describe("", P::kInstances));
  out.push_back(describe("", P::kDistribute));
  const auto map = AddressMapParams::declarations();
  out.insert(out.end(), map.begin(), map.end());
  out.push_back(describe("", P::kEnergy));
  out.push_back(describe("", P::kEnergyBind));
  return out;
}

}  // namespace tasdsim::hw
