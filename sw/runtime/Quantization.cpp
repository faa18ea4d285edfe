#include "sw/runtime/Quantization.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sw/common/Error.h"

namespace tasdsim::runtime {

std::pair<int32_t, int32_t> requantParameters(double scale, const std::string& layer) {
  int exponent = 0;
  const double fraction =
      std::frexp(scale, &exponent);  // scale = fraction * 2^exponent, fraction in [0.5, 1)
  int64_t multiplier = std::llround(fraction * 2147483648.0);
  if (multiplier == (int64_t{1} << 31)) {
    multiplier >>= 1;
    ++exponent;
  }
  const int shift = -exponent;
  if (!(scale > 0) || !std::isfinite(scale) || shift < -31 || shift > 31) {
    throw UserError(
        fmt::format("layer '{}': int8 requantisation scale {} is outside what the output path "
                    "represents (2^-62 .. 2^31)",
                    layer, scale));
  }
  return {static_cast<int32_t>(multiplier), shift};
}

int8_t referenceRequant(int64_t acc, int32_t bias, int32_t multiplier, int32_t shift, bool relu) {
  const long double value =
      std::ldexp(static_cast<long double>(acc + bias) * multiplier, -(31 + shift));
  long double q = std::roundl(value);  // halves away from zero
  if (relu) q = std::max<long double>(q, 0);
  return static_cast<int8_t>(std::clamp<long double>(q, -128, 127));
}

}  // namespace tasdsim::runtime
