#include "sw/tasd/PseudoDensity.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tasdsim::tasd {

float magnitudeQuantile(const float* data, size_t count, double q) {
  if (count == 0) return 0.0f;
  std::vector<float> mags(data, data + count);
  // NaN sorts as +Inf so that the order stays strict-weak.
  for (float& v : mags)
    v = std::isnan(v) ? INFINITY : std::fabs(v);
  q = std::clamp(q, 0.0, 1.0);
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(count)));
  const size_t index = rank == 0 ? 0 : rank - 1;
  std::nth_element(mags.begin(), mags.begin() + static_cast<long>(index), mags.end());
  return mags[index];
}

size_t applyThreshold(float* data, size_t count, float tau) {
  if (!(tau >= 0.0f)) return 0;
  size_t zeroed = 0;
  for (size_t i = 0; i < count; ++i) {
    if (data[i] != 0.0f && std::fabs(data[i]) <= tau) {
      data[i] = 0.0f;
      ++zeroed;
    }
  }
  return zeroed;
}

}  // namespace tasdsim::tasd
