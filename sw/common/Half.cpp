#include "sw/common/Half.h"

#include <cmath>
#include <cstring>

namespace tasdsim {
namespace {

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

constexpr uint32_t kF32ExpMask = 0x7f800000u;
constexpr uint32_t kF32MantMask = 0x007fffffu;

}  // namespace

float halfToFloat(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return floatOf(sign | kF32ExpMask | (mant << 13));  // Inf / NaN
  if (exp != 0) return floatOf(sign | ((exp + 112u) << 23) | (mant << 13));
  if (mant == 0) return floatOf(sign);
  // Subnormal half: normalise into an fp32 normal.
  int e = -1;
  do {
    ++e;
    mant <<= 1;
  } while ((mant & 0x400u) == 0);
  mant &= 0x3ffu;
  return floatOf(sign | (static_cast<uint32_t>(112 - e) << 23) | (mant << 13));
}

uint16_t floatToHalf(float f) {
  const uint32_t u = bitsOf(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t absu = u & 0x7fffffffu;
  if (absu >= kF32ExpMask) {  // Inf or NaN
    return static_cast<uint16_t>(sign | 0x7c00u | (absu > kF32ExpMask ? 0x200u : 0u));
  }
  if (absu >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow to Inf
  if (absu < 0x33000001u) return sign;                                    // underflow to 0
  int32_t exp = static_cast<int32_t>(absu >> 23) - 112;
  uint32_t mant = (absu & kF32MantMask) | 0x800000u;
  uint32_t shift = 13;
  if (exp <= 0) {  // subnormal half
    shift += static_cast<uint32_t>(1 - exp);
    exp = 0;
  } else {
    mant &= kF32MantMask;
  }
  const uint32_t halfBit = 1u << (shift - 1);
  const uint32_t rest = mant & ((1u << shift) - 1);
  uint32_t result = (static_cast<uint32_t>(exp) << 10) + (mant >> shift);
  if (rest > halfBit || (rest == halfBit && (result & 1u))) ++result;
  return static_cast<uint16_t>(sign | result);
}

uint16_t floatToBf16(float f) {
  const uint32_t u = bitsOf(f);
  if ((u & 0x7fffffffu) > kF32ExpMask) return static_cast<uint16_t>((u >> 16) | 0x40u);  // NaN
  const uint32_t roundingBias = 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>((u + roundingBias) >> 16);
}

float bf16ToFloat(uint16_t b) {
  return floatOf(static_cast<uint32_t>(b) << 16);
}

size_t countBf16Overflows(const float* values, size_t count) {
  size_t overflows = 0;
  for (size_t i = 0; i < count; ++i)
    overflows += std::isfinite(values[i]) && std::isinf(roundToBf16(values[i]));
  return overflows;
}

}  // namespace tasdsim
