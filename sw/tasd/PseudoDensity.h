#pragma once
// Pseudo-density (SPEC section 1): activations after GELU, Swish, hard-swish or no activation
// are dense, so values with |x| <= tau are treated as zero before TASD-A. tau is chosen per
// layer from calibration data, as a quantile of |x|.
#include <cstddef>

namespace tasdsim::tasd {

// The q-quantile (q in [0, 1]) of |x| over data (nearest-rank). Returns 0 for empty data.
float magnitudeQuantile(const float* data, size_t count, double q);

// Sets every x with |x| <= tau to 0 (tau < 0 leaves data unchanged). Returns how many nonzeros
// were zeroed.
size_t applyThreshold(float* data, size_t count, float tau);

}  // namespace tasdsim::tasd
