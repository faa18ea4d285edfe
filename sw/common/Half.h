#pragma once
// IEEE binary16 and bfloat16 conversions to and from binary32.
//
// bf16 keeps the fp32 exponent and the top 7 mantissa bits; fromFloat rounds to nearest, ties
// to even, and keeps NaN a NaN. fp16 decoding is exact (every fp16 value is an fp32 value).
#include <cstddef>
#include <cstdint>

namespace tasdsim {

float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f);

uint16_t floatToBf16(float f);
float bf16ToFloat(uint16_t b);
// Rounds f to the nearest bf16-representable value.
inline float roundToBf16(float f) {
  return bf16ToFloat(floatToBf16(f));
}
// How many of the values are finite but round to +-Inf in bf16 (|v| at or above 2^128 - 2^119,
// the midpoint between bf16's largest finite value and the next power of two).
size_t countBf16Overflows(const float* values, size_t count);

}  // namespace tasdsim
