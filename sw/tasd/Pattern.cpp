#include "sw/tasd/Pattern.h"

#include <charconv>

#include <fmt/format.h>

#include "sw/common/Error.h"

namespace tasdsim::tasd {

bool isPowerOfTwo(uint32_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

namespace {

uint32_t parseCount(std::string_view text, std::string_view whole, const char* what) {
  uint32_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    throw UserError(fmt::format("pattern '{}': {} '{}' is not a whole number", whole, what, text));
  }
  return value;
}

}  // namespace

NMPattern NMPattern::make(uint32_t n, uint32_t m) {
  const std::string text = fmt::format("{}:{}", n, m);
  if (!isPowerOfTwo(m) || m < kMinM || m > kMaxM) {
    throw UserError(
        fmt::format("pattern '{}': m must be a power of two from {} to {}", text, kMinM, kMaxM));
  }
  if (n < 1 || n > m) throw UserError(fmt::format("pattern '{}': n must be in [1, m]", text));
  return NMPattern{n, m};
}

NMPattern NMPattern::parse(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
    throw UserError(fmt::format("pattern '{}': expected the form N:M, e.g. 2:4", text));
  }
  const uint32_t n = parseCount(text.substr(0, colon), text, "N");
  const uint32_t m = parseCount(text.substr(colon + 1), text, "M");
  return make(n, m);
}

std::string NMPattern::str() const {
  return fmt::format("{}:{}", n, m);
}

uint32_t NMPattern::indexBits() const {
  uint32_t bits = 0;
  while ((1u << bits) < m)
    ++bits;
  return bits;
}

}  // namespace tasdsim::tasd
