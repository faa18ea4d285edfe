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

namespace {

// One xoshiro256+ step and its [0, 1) double; Rng::next and the batched draws share them.
inline uint64_t step(uint64_t (&s)[4]) {
  const uint64_t result = s[0] + s[3];
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

inline double unit(uint64_t bits) {
  return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);
}

// The polar method's scale factor of an accepted pair.
inline double polarFactor(double s) {
  return std::sqrt(-2.0 * std::log(s) / s);
}

}  // namespace

uint64_t Rng::next() {
  return step(s_);
}

double Rng::uniform() {
  return unit(next());
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
  const double f = polarFactor(s);
  spare_ = static_cast<float>(v * f);
  haveSpare_ = true;
  return static_cast<float>(u * f);
}

// normal() in batches: first the candidate pairs of a batch, drawn in order and kept without
// branches (exactly as many as the values need, so the generator ends where normal() would),
// then the accepted pairs' factors, whose logarithms are independent of each other.
void Rng::normals(float* out, size_t count, float scale) {
  size_t i = 0;
  if (count > 0 && haveSpare_) {
    haveSpare_ = false;
    out[i++] = spare_ * scale;
  }
  constexpr size_t kBatch = 256;
  double us[kBatch], vs[kBatch], ss[kBatch];
  uint64_t state[4] = {s_[0], s_[1], s_[2], s_[3]};
  while (i < count) {
    const size_t pairs = std::min(kBatch, (count - i + 1) / 2);
    size_t kept = 0;
    while (kept < pairs) {
      const double u = 2.0 * unit(step(state)) - 1.0;
      const double v = 2.0 * unit(step(state)) - 1.0;
      const double s = u * u + v * v;
      us[kept] = u;
      vs[kept] = v;
      ss[kept] = s;
      kept += (s < 1.0) & (s != 0.0);
    }
    for (size_t p = 0; p < pairs; ++p) {
      const double f = polarFactor(ss[p]);
      out[i++] = static_cast<float>(us[p] * f) * scale;
      if (i < count) {
        out[i++] = static_cast<float>(vs[p] * f) * scale;
      } else {
        spare_ = static_cast<float>(vs[p] * f);
        haveSpare_ = true;
      }
    }
  }
  for (int k = 0; k < 4; ++k)
    s_[k] = state[k];
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
  constexpr size_t kChunk = 1024;
  float chunk[kChunk];
  for (size_t i = 0; i < count; i += kChunk) {
    const size_t n = std::min(kChunk, count - i);
    rng.normals(chunk, n, scale);
    w.insert(w.end(), chunk, chunk + n);
  }
  magnitudePrune(w, sparsity);
  return w;
}

std::vector<float> syntheticInput(uint64_t seed, const std::string& name, size_t count) {
  Rng rng(seed, "input:" + name);
  std::vector<float> x(count);
  rng.normals(x.data(), count, 1.0f);
  return x;
}

}  // namespace tasdsim::workload
