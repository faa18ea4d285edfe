#pragma once
// Value types of operands and compressed terms. Accumulation is fp32 for F32/BF16 and int32 for
// I8 (int8 x int8 -> int32 is bit-exact).
#include <cstdint>
#include <string>
#include <string_view>

namespace tasdsim::tasd {

enum class DType : uint8_t { F32 = 0, BF16 = 1, I8 = 2 };

inline uint32_t dtypeBytes(DType t) {
  return t == DType::F32 ? 4 : t == DType::BF16 ? 2 : 1;
}
inline const char* dtypeName(DType t) {
  return t == DType::F32 ? "fp32" : t == DType::BF16 ? "bf16" : "int8";
}
// Parses "fp32", "bf16" or "int8"; throws UserError otherwise.
DType parseDType(std::string_view text);

}  // namespace tasdsim::tasd
