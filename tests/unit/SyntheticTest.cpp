// The synthetic values' generator: the batched normals are the scalar ones, bit for bit.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "sw/workload/Synthetic.h"

namespace tasdsim::workload {
namespace {

uint32_t bits(float x) {
  uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

// Draws `count` values both ways from generators in the same state (with or without a spare
// value pending) and compares the values and the generators' next draws.
void expectBatchEqualsScalar(size_t count, bool spareFirst, float scale) {
  Rng scalar(7, "weights:layer");
  Rng batch(7, "weights:layer");
  if (spareFirst) {
    ASSERT_EQ(bits(scalar.normal()), bits(batch.normal()));
  }
  std::vector<float> got(count);
  batch.normals(got.data(), count, scale);
  for (size_t i = 0; i < count; ++i) {
    const float want = scalar.normal() * scale;
    ASSERT_EQ(bits(want), bits(got[i])) << "value " << i << " of " << count;
  }
  // The same state afterwards: a pending spare and the raw stream.
  EXPECT_EQ(bits(scalar.normal()), bits(batch.normal())) << count;
  EXPECT_EQ(scalar.next(), batch.next()) << count;
}

TEST(Synthetic, BatchedNormalsAreTheScalarOnesBitForBit) {
  for (size_t count : {0, 1, 2, 3, 255, 256, 257, 511, 512, 513, 1000, 100001})
    for (bool spareFirst : {false, true})
      for (float scale : {1.0f, 0.0589f})
        expectBatchEqualsScalar(count, spareFirst, scale);
}

TEST(Synthetic, WeightsAreSeededByLayerAndScaledByFanIn) {
  const std::vector<float> a = syntheticWeights(1, "conv", 4096, 64, 0.0);
  const std::vector<float> b = syntheticWeights(1, "conv", 4096, 64, 0.0);
  const std::vector<float> c = syntheticWeights(1, "conv2", 4096, 64, 0.0);
  ASSERT_EQ(a.size(), 4096u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  Rng rng(1, "weights:conv");
  const float scale = 0.17677669f;  // sqrt(2 / 64)
  for (size_t i = 0; i < a.size(); ++i)
    ASSERT_EQ(bits(rng.normal() * scale), bits(a[i])) << i;
  double sumSq = 0;
  for (float w : a)
    sumSq += double{w} * w;
  EXPECT_NEAR(sumSq / a.size(), 2.0 / 64, 0.004);
}

}  // namespace
}  // namespace tasdsim::workload
