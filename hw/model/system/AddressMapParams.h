#pragma once
// The system address map around the accelerators (arch section `address_map`): one DRAM and one
// register window per instance, all on one interconnect (docs/integration.md). Addresses are the
// microcode's 40-bit device addresses. Declared once: key, default, range, unit, description
// (hw/model/common/Params.h).
#include <cstdint>
#include <string>
#include <vector>

#include "hw/model/common/Params.h"

namespace tasdsim::hw {

constexpr uint64_t kDefaultRegBase = uint64_t{0xF0} << 32;  // above any DRAM size we allow (1 TiB)
constexpr uint64_t kRegWindowBytes = 0x1000;                // one instance's register window
constexpr uint64_t kAddressLimit = uint64_t{1} << 40;       // microcode address fields are 40 bits
constexpr uint32_t kMaxInstances = 16;

struct AddressMapParams {
  static constexpr const char* kSection = "address_map";
  static constexpr Param<uint64_t> kDramBase{
      "dram_base", 0, 0, kAddressLimit - 1, "address", "the DRAM's base address"};
  static constexpr Param<uint64_t> kRegBase{
      "reg_base",
      kDefaultRegBase,
      0,
      kAddressLimit - 1,
      "address",
      "instance i's registers at `reg_base + i * 0x1000`; must not overlap the DRAM; both end "
      "below 2^40"};

  uint64_t dramBase = kDramBase.def;  // device memory at [dramBase, dramBase + dram.sizeBytes)
  uint64_t regBase = kRegBase.def;    // instance i's registers at regBase + i * kRegWindowBytes
  uint64_t regBaseOf(uint32_t instance) const {
    return regBase + uint64_t{instance} * kRegWindowBytes;
  }
  std::vector<std::string> validate(uint64_t dramBytes, uint32_t instances) const;
  static std::vector<ParamInfo> declarations();
};

}  // namespace tasdsim::hw
