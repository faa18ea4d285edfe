#pragma once
// Checked 64-bit arithmetic for sizes that come from user input (shapes, element and byte
// counts, MACs). A result that does not fit is an empty optional, never a wrapped value; the
// caller turns it into a UserError that names what overflowed.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

namespace tasdsim {

inline std::optional<uint64_t> checkedMul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

inline std::optional<uint64_t> checkedAdd(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// The product of every factor, or nothing when it overflows 64 bits (a zero factor gives 0).
inline std::optional<uint64_t> checkedProduct(std::initializer_list<uint64_t> factors) {
  uint64_t r = 1;
  for (uint64_t f : factors) {
    const std::optional<uint64_t> next = checkedMul(r, f);
    if (!next) return std::nullopt;
    r = *next;
  }
  return r;
}

// a rounded up to a multiple of step (step > 0), or nothing when that overflows.
inline std::optional<uint64_t> checkedRoundUp(uint64_t a, uint64_t step) {
  const std::optional<uint64_t> padded = checkedAdd(a, step - 1);
  if (!padded) return std::nullopt;
  return *padded / step * step;
}

// "1.5 GiB", "512 B": a byte count for messages.
std::string formatBytes(uint64_t bytes);

}  // namespace tasdsim
