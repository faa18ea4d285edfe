#pragma once
// Quality metrics of a TASD approximation (SPEC section 1). All of them compare the kept part
// K = sum of terms with the original A; K and the dropped residual R = A - K have disjoint
// supports, so each metric follows from per-tensor sums.
//   kept_nonzero_fraction  nnz(K) / nnz(A)
//   kept_l1_fraction       |K|_1 / |A|_1
//   kept_energy            |K|_2^2 / |A|_2^2
//   rel_frobenius_error    |A - K|_F / |A|_F
// An all-zero A is represented exactly: fractions 1, error 0. NaN or Inf in A propagate.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json_fwd.hpp>

namespace tasdsim::tasd {

struct TensorStats {
  uint64_t elements = 0;
  uint64_t nonzeros = 0;
  double l1 = 0;
  double l2sq = 0;

  template <typename T>
  void add(T v) {
    const double d = static_cast<double>(v);
    ++elements;
    if (d != 0.0) ++nonzeros;
    l1 += d < 0 ? -d : d;
    l2sq += d * d;
  }
  TensorStats& operator+=(const TensorStats& o);
};

// Statistics of count values, summed in double precision.
template <typename T>
TensorStats statsOf(const T* data, size_t count) {
  TensorStats s;
  for (size_t i = 0; i < count; ++i)
    s.add(data[i]);
  return s;
}
// float: vectorised (AVX-512 where the CPU has it), same sums up to rounding order.
template <>
TensorStats statsOf<float>(const float* data, size_t count);

struct Quality {
  double keptNonzeroFraction = 1;
  double keptL1Fraction = 1;
  double keptEnergy = 1;
  double relFrobeniusError = 0;
  uint64_t keptNonzeros = 0;
  uint64_t totalNonzeros = 0;
};

// kept: statistics of a part of original; droppedL2sq: squared norm of the rest (disjoint
// support). Passing the dropped energy directly avoids the cancellation of original - kept.
Quality qualityOf(const TensorStats& original, const TensorStats& kept, double droppedL2sq);

void to_json(nlohmann::json& j, const Quality& q);

}  // namespace tasdsim::tasd
