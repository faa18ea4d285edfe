#include "hw/model/buffer/BufferParams.h"

namespace tasdsim::hw {

std::vector<std::string> BufferParams::validate(const std::string& name) const {
  std::vector<std::string> out;
  const std::string section = std::string(BufferSetParams::kSection) + "." + name;
  kSizeKib.check(out, section, sizeBytes / 1024);
  kBanks.check(out, section, banks);
  kBankWidth.check(out, section, bankWidthBytes);
  return out;
}

std::vector<ParamInfo> BufferParams::declarations(const std::string& name,
                                                  const std::string& role) const {
  const std::string section = std::string(BufferSetParams::kSection) + "." + name;
  std::vector<ParamInfo> out{describe(section, kSizeKib, formatValue(sizeBytes / 1024)),
                             describe(section, kBanks, formatValue(banks)),
                             describe(section, kBankWidth, formatValue(bankWidthBytes))};
  out.front().description = role + ": " + out.front().description;
  return out;
}

std::vector<std::string> BufferSetParams::validate() const {
  std::vector<std::string> out = s.validate("s");
  for (const auto& more : {d.validate("d"), acc.validate("acc")})
    out.insert(out.end(), more.begin(), more.end());
  return out;
}

std::vector<ParamInfo> BufferSetParams::declarations() {
  const BufferSetParams defaults;
  std::vector<ParamInfo> out =
      defaults.s.declarations("s", "structured operand (compressed terms)");
  for (const auto& more : {defaults.d.declarations("d", "dense operand"),
                           defaults.acc.declarations("acc", "accumulators (fp32 / int32)")})
    out.insert(out.end(), more.begin(), more.end());
  return out;
}

}  // namespace tasdsim::hw
