#pragma once
// Post-training int8 quantisation on the host side of the output path (docs/isa.md, "The output
// path"): a layer's real requantisation scale as the device's Q31 multiplier and shift, and the
// device's int8 result computed independently of its integer shifts, as the reference that
// every requantised result is checked against.
#include <cstdint>
#include <string>
#include <utility>

namespace tasdsim::runtime {

// A positive real scale as (multiplier, shift) with scale = multiplier * 2^-(31 + shift),
// multiplier in [2^30, 2^31). Throws UserError naming the layer when the shift leaves [-31, 31].
std::pair<int32_t, int32_t> requantParameters(double scale, const std::string& layer);

// sat_int8(relu?(round_half_away((acc + bias) * multiplier / 2^(31 + shift)))), in exact
// extended-precision floating point (products below 2^64 are exact in long double) with roundl.
int8_t referenceRequant(int64_t acc, int32_t bias, int32_t multiplier, int32_t shift, bool relu);

}  // namespace tasdsim::runtime
