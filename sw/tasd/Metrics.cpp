#include "sw/tasd/Metrics.h"

#include <cmath>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <nlohmann/json.hpp>

namespace tasdsim::tasd {

TensorStats& TensorStats::operator+=(const TensorStats& o) {
  elements += o.elements;
  nonzeros += o.nonzeros;
  l1 += o.l1;
  l2sq += o.l2sq;
  return *this;
}

namespace {

TensorStats statsScalar(const float* data, size_t count) {
  TensorStats s;
  for (size_t i = 0; i < count; ++i)
    s.add(data[i]);
  return s;
}

#if defined(__x86_64__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
__attribute__((target("avx512f"))) TensorStats statsAvx512(const float* data, size_t count) {
  constexpr size_t kLanes = 16;
  __m512d l1a = _mm512_setzero_pd(), l1b = _mm512_setzero_pd();
  __m512d l2a = _mm512_setzero_pd(), l2b = _mm512_setzero_pd();
  const __m512i absMask = _mm512_set1_epi32(0x7fffffff);
  uint64_t nonzeros = 0;
  size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    const __m512 x = _mm512_castsi512_ps(_mm512_and_si512(_mm512_loadu_si512(data + i), absMask));
    nonzeros +=
        static_cast<uint64_t>(__builtin_popcount(_mm512_cmpneq_ps_mask(x, _mm512_setzero_ps())));
    const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(x));
    const __m512d hi =
        _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
    l1a = _mm512_add_pd(l1a, lo);
    l1b = _mm512_add_pd(l1b, hi);
    l2a = _mm512_fmadd_pd(lo, lo, l2a);
    l2b = _mm512_fmadd_pd(hi, hi, l2b);
  }
  TensorStats s = statsScalar(data + i, count - i);
  s.elements = count;
  s.nonzeros += nonzeros;
  s.l1 += _mm512_reduce_add_pd(_mm512_add_pd(l1a, l1b));
  s.l2sq += _mm512_reduce_add_pd(_mm512_add_pd(l2a, l2b));
  return s;
}
#pragma GCC diagnostic pop
#endif

}  // namespace

template <>
TensorStats statsOf<float>(const float* data, size_t count) {
#if defined(__x86_64__)
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512) return statsAvx512(data, count);
#endif
  return statsScalar(data, count);
}

Quality qualityOf(const TensorStats& original, const TensorStats& kept, double droppedL2sq) {
  Quality q;
  q.keptNonzeros = kept.nonzeros;
  q.totalNonzeros = original.nonzeros;
  q.keptNonzeroFraction =
      original.nonzeros ? static_cast<double>(kept.nonzeros) / original.nonzeros : 1.0;
  q.keptL1Fraction = original.l1 > 0 ? kept.l1 / original.l1 : 1.0;
  q.keptEnergy = original.l2sq > 0 ? kept.l2sq / original.l2sq : 1.0;
  q.relFrobeniusError = original.l2sq > 0 ? std::sqrt(droppedL2sq / original.l2sq) : 0.0;
  if (std::isnan(original.l2sq)) q.relFrobeniusError = original.l2sq;
  return q;
}

void to_json(nlohmann::json& j, const Quality& q) {
  j = nlohmann::json{{"kept_nonzero_fraction", q.keptNonzeroFraction},
                     {"kept_l1_fraction", q.keptL1Fraction},
                     {"kept_energy", q.keptEnergy},
                     {"rel_frobenius_error", q.relFrobeniusError},
                     {"kept_nonzeros", q.keptNonzeros},
                     {"total_nonzeros", q.totalNonzeros}};
}

}  // namespace tasdsim::tasd
