#pragma once
// Seeded synthetic values for workloads described by shape only. They are NOT trained values:
// weights are He-normal (std sqrt(2 / fan_in)) and, at sparsity s, magnitude-pruned (the
// smallest |w| set to zero, as unstructured pruning does); inputs are standard normal passed
// through the stated activation, so that post-ReLU inputs are about half zeros.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tasdsim::workload {

// Deterministic stream of pseudo-random numbers (xoshiro256+), seeded by (seed, name).
class Rng {
 public:
  Rng(uint64_t seed, const std::string& stream);
  uint64_t next();
  double uniform();  // [0, 1)
  float normal();
  // out[i] = normal() * scale for i < count: the same values and the same state afterwards as
  // count calls of normal(), several times faster (the draws and the logarithms are batched).
  void normals(float* out, size_t count, float scale);

 private:
  uint64_t s_[4];
  bool haveSpare_ = false;
  float spare_ = 0;
};

// count weights of one layer with fan-in fanIn, pruned to `sparsity` (fraction of zeros).
std::vector<float> syntheticWeights(uint64_t seed, const std::string& layer, size_t count,
                                    uint64_t fanIn, double sparsity);
// Sets the smallest-magnitude fraction `sparsity` of values to zero.
void magnitudePrune(std::vector<float>& values, double sparsity);
// count standard-normal values (before any activation).
std::vector<float> syntheticInput(uint64_t seed, const std::string& name, size_t count);

}  // namespace tasdsim::workload
