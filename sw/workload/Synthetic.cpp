#include "sw/workload/Synthetic.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "sw/common/HostMemory.h"

namespace tasdsim::workload {
namespace {

uint64_t splitmix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

Rng::Rng(uint64_t seed, const std::string& stream) {
  uint64_t h = 1469598103934665603ull ^ seed;  // FNV-1a over the stream name
  for (char c : stream)
    h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  for (uint64_t& s : s_)
    s = splitmix(h);
}

uint64_t Rng::next() {
  const uint64_t result = s_[0] + s_[3];
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() {
  return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
}

// Marsaglia's polar method: exact normal pairs without trigonometric functions.
float Rng::normal() {
  if (haveSpare_) {
    haveSpare_ = false;
    return spare_;
  }
  double u, v, s;
  do {
    u = 2.0 * uniform() - 1.0;
    v = 2.0 * uniform() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * std::log(s) / s);
  spare_ = static_cast<float>(v * f);
  haveSpare_ = true;
  return static_cast<float>(u * f);
}

void magnitudePrune(std::vector<float>& values, double sparsity) {
  if (sparsity <= 0.0 || values.empty()) return;
  const size_t zeros =
      std::min(values.size(), static_cast<size_t>(std::llround(sparsity * values.size())));
  if (zeros == 0) return;
  std::vector<float> mags(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    mags[i] = std::fabs(values[i]);
  std::nth_element(mags.begin(), mags.begin() + static_cast<long>(zeros - 1), mags.end());
  const float threshold = mags[zeros - 1];
  size_t removed = 0;
  // Strictly below the threshold first, then ties in index order, so exactly `zeros` go.
  for (float& v : values) {
    if (std::fabs(v) < threshold) {
      v = 0.0f;
      ++removed;
    }
  }
  for (float& v : values) {
    if (removed >= zeros) break;
    if (v != 0.0f && std::fabs(v) == threshold) {
      v = 0.0f;
      ++removed;
    }
  }
}

std::vector<float> syntheticWeights(uint64_t seed, const std::string& layer, size_t count,
                                    uint64_t fanIn, double sparsity) {
  Rng rng(seed, "weights:" + layer);
  const float scale = static_cast<float>(std::sqrt(2.0 / static_cast<double>(fanIn ? fanIn : 1)));
  // Filled as drawn (no zero fill first), in huge pages where the kernel offers them: a large
  // network's weights are hundreds of MB, and faulting them in 4 KiB at a time is slow.
  std::vector<float> w;
  w.reserve(count);
  adviseHugePages(w.data(), count * sizeof(float));
  constexpr size_t kChunk = 256;
  float chunk[kChunk];
  for (size_t i = 0; i < count; i += kChunk) {
    const size_t n = std::min(kChunk, count - i);
    for (size_t j = 0; j < n; ++j)
      chunk[j] = rng.normal() * scale;
    w.insert(w.end(), chunk, chunk + n);
  }
  magnitudePrune(w, sparsity);
  return w;
}

std::vector<float> syntheticInput(uint64_t seed, const std::string& name, size_t count) {
  Rng rng(seed, "input:" + name);
  std::vector<float> x(count);
  for (float& v : x)
    v = rng.normal();
  return x;
}

}  // namespace tasdsim::workload
