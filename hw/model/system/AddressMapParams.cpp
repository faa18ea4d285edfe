#include "hw/model/system/AddressMapParams.h"

namespace tasdsim::hw {
namespace {

void check(std::vector<std::string>& out, bool ok, std::string message) {
  if (!ok) out.push_back(std::move(message));
}

}  // namespace

std::vector<std::string> AddressMapParams::validate(uint64_t dramBytes, uint32_t instances) const {
  std::vector<std::string> out;
  const uint64_t regBytes = uint64_t{instances} * kRegWindowBytes;
  check(out, dramBase % kRegWindowBytes == 0,
        fmt::format("address_map.dram_base = 0x{:x}: must be a multiple of 0x{:x}", dramBase,
                    kRegWindowBytes));
  check(out, regBase % kRegWindowBytes == 0,
        fmt::format("address_map.reg_base = 0x{:x}: must be a multiple of 0x{:x}", regBase,
                    kRegWindowBytes));
  check(out, dramBase < kAddressLimit && dramBytes <= kAddressLimit - dramBase,
        fmt::format("address_map.dram_base = 0x{:x}: the DRAM (0x{:x} bytes) must end below 0x{:x}",
                    dramBase, dramBytes, kAddressLimit));
  check(out, regBase < kAddressLimit && regBytes <= kAddressLimit - regBase,
        fmt::format("address_map.reg_base = 0x{:x}: the register windows (0x{:x} bytes) must end "
                    "below 0x{:x}",
                    regBase, regBytes, kAddressLimit));
  const bool disjoint = regBase >= dramBase + dramBytes || dramBase >= regBase + regBytes;
  check(out, disjoint,
        fmt::format("address_map.reg_base = 0x{:x}: the register windows overlap the DRAM at "
                    "[0x{:x}, 0x{:x})",
                    regBase, dramBase, dramBase + dramBytes));
  return out;
}

std::vector<ParamInfo> AddressMapParams::declarations() {
  // Addresses in hex: below 2^40, on a register-window boundary.
  const std::string range = fmt::format("0..2^40-1, multiple of 0x{:X}", kRegWindowBytes);
  std::vector<ParamInfo> out{describe(kSection, kDramBase, "0"),
                             describe(kSection, kRegBase, fmt::format("0x{:X}", kDefaultRegBase))};
  for (ParamInfo& p : out)
    p.range = range;
  return out;
}

}  // namespace tasdsim::hw
