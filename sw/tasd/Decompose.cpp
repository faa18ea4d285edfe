#include "sw/tasd/Decompose.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/Half.h"

namespace tasdsim::tasd {
namespace {

// Magnitude as an unsigned key with the same order as |x|: for IEEE floats the bit pattern
// without its sign bit orders like the magnitude (NaN above +Inf); zero keys are exact zeros.
inline uint32_t magnitudeKey(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u & 0x7fffffffu;
}
inline uint32_t magnitudeKey(int8_t v) {
  return static_cast<uint32_t>(v < 0 ? -static_cast<int32_t>(v) : v);
}

std::atomic<bool> selectionFault{false};  // plantSelectionFault

// The planted fault: the n smallest nonzero keys of the block (still a valid n:m selection).
inline uint32_t selectSmallest(uint32_t* key, uint32_t len, uint32_t n) {
  uint32_t chosen = 0;
  for (uint32_t s = 0; s < n; ++s) {
    uint32_t best = UINT32_MAX, bestIndex = len;
    for (uint32_t j = 0; j < len; ++j) {
      if (key[j] != 0 && !(chosen >> j & 1u) && key[j] < best) {
        best = key[j];
        bestIndex = j;
      }
    }
    if (bestIndex == len) break;
    chosen |= 1u << bestIndex;
  }
  return chosen;
}

// Mask of the positions (bit j = element j) that a term n:m keeps in one block of len <= m
// elements: the n largest keys, ties to the lower index, never a zero.
template <typename T>
inline uint32_t selectBlock(const T* block, uint32_t len, uint32_t n) {
  uint32_t key[NMPattern::kMaxM];
  uint32_t nonzero = 0;
  for (uint32_t j = 0; j < len; ++j) {
    key[j] = magnitudeKey(block[j]);
    nonzero |= static_cast<uint32_t>(key[j] != 0) << j;
  }
  if (static_cast<uint32_t>(__builtin_popcount(nonzero)) <= n) return nonzero;
  if (selectionFault.load(std::memory_order_relaxed)) return selectSmallest(key, len, n);
  uint32_t chosen = 0;
  for (uint32_t s = 0; s < n; ++s) {
    uint32_t best = 0;
    uint32_t bestIndex = 0;
    for (uint32_t j = 0; j < len; ++j) {
      if (key[j] > best) {  // strict: the lower index wins a tie
        best = key[j];
        bestIndex = j;
      }
    }
    key[bestIndex] = 0;
    chosen |= 1u << bestIndex;
  }
  return chosen;
}

// Packs metadata indices of one row, LSB first.
class BitWriter {
 public:
  explicit BitWriter(uint8_t* out) : out_(out) {}
  // bits <= 32 per call. Whole 32-bit words leave at once (fewer than 32 bits stay pending).
  void put(uint32_t value, uint32_t bits) {
    acc_ |= static_cast<uint64_t>(value) << used_;
    used_ += bits;
    if (used_ >= 32) {
      for (int b = 0; b < 4; ++b)  // the stream's next four bytes, least significant first
        out_[b] = static_cast<uint8_t>(acc_ >> (8 * b));
      out_ += 4;
      acc_ >>= 32;
      used_ -= 32;
    }
  }
  // bits <= 64 per call.
  void put64(uint64_t value, uint32_t bits) {
    if (bits > 32) {
      put(static_cast<uint32_t>(value), 32);
      put(static_cast<uint32_t>(value >> 32), bits - 32);
    } else {
      put(static_cast<uint32_t>(value), bits);
    }
  }
  void flush() {
    for (uint32_t b = 0; b < used_; b += 8)
      *out_++ = static_cast<uint8_t>(acc_ >> b);
    acc_ = 0;
    used_ = 0;
  }

 private:
  uint8_t* out_;
  uint64_t acc_ = 0;
  uint32_t used_ = 0;
};

template <typename T>
inline void storeValue(uint8_t* dst, T v, DType dtype) {
  if constexpr (std::is_same_v<T, int8_t>) {
    *dst = static_cast<uint8_t>(v);
  } else if (dtype == DType::F32) {
    std::memcpy(dst, &v, 4);
  } else {
    const uint16_t b = floatToBf16(v);  // exact: the input was rounded to bf16 already
    dst[0] = static_cast<uint8_t>(b);
    dst[1] = static_cast<uint8_t>(b >> 8);
  }
}

// Where one term of one row goes: its compressed values and packed metadata.
struct TermRowOut {
  uint8_t* values;
  BitWriter meta;
  DType dtype;
  uint32_t valueBytes;
  uint32_t indexBits;
};

// Emits one block's kept entries (mask) into out and removes them from the residual.
template <typename T>
inline void emitBlock(T* block, uint32_t mask, uint32_t n, TermRowOut& out) {
  uint32_t slot = 0;
  for (uint32_t bits = mask; bits; bits &= bits - 1, ++slot) {
    const uint32_t j = static_cast<uint32_t>(__builtin_ctz(bits));
    storeValue(out.values + slot * out.valueBytes, block[j], out.dtype);
    out.meta.put(j, out.indexBits);
    block[j] = T{};
  }
  if (slot < n) {  // empty slots: value 0, index 0
    std::memset(out.values + slot * out.valueBytes, 0, (n - slot) * out.valueBytes);
    for (; slot < n; ++slot)
      out.meta.put(0, out.indexBits);
  }
  out.values += static_cast<size_t>(n) * out.valueBytes;
}

// One term over one row from block firstBlock on, scalar: any m, any T.
template <typename T>
void termRowScalar(T* resid, size_t cols, NMPattern p, size_t firstBlock, TermRowOut* out,
                   uint32_t* masks) {
  const size_t blocks = (cols + p.m - 1) / p.m;
  for (size_t b = firstBlock; b < blocks; ++b) {
    T* block = resid + b * p.m;
    const uint32_t len = static_cast<uint32_t>(std::min<size_t>(p.m, cols - b * p.m));
    const uint32_t mask = selectBlock(block, len, p.n);
    if (masks) masks[b] = mask;
    if (out) {
      emitBlock(block, mask, p.n, *out);
    } else {
      for (uint32_t bits = mask; bits; bits &= bits - 1)
        block[__builtin_ctz(bits)] = T{};
    }
  }
}

// For blocks of m <= 8 (a power of two): entry `mask` holds the positions of the mask's set
// bits, ascending, packed LSB first at indexBits(m) bits each (a block's metadata).
const uint32_t* packedIndexTable(uint32_t m) {
  static const auto tables = [] {
    std::array<std::array<uint32_t, 256>, 4> t{};  // m = 1, 2, 4, 8
    for (uint32_t level = 0; level < 4; ++level) {
      const uint32_t blockM = 1u << level, bits = level;
      for (uint32_t mask = 0; mask < (1u << blockM); ++mask) {
        uint32_t packed = 0, rank = 0;
        for (uint32_t j = 0; j < blockM; ++j)
          if (mask >> j & 1) packed |= j << (bits * rank++);
        t[level][mask] = packed;
      }
    }
    return t;
  }();
  return tables[static_cast<size_t>(__builtin_ctz(m))].data();
}

#if defined(__x86_64__)
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own _mm512_undefined values.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
// AVX-512 path for float rows and m <= 16: 16 keys per vector hold 16/m whole blocks. An
// element's rank in its block counts the elements that beat it (larger key, or equal key at a
// lower index); it is kept when rank < n and it is not zero. m - 1 in-block rotations compute
// all ranks at once. Kept entries are zeroed in the residual with one masked store; when every
// block of the vector is full (n kept each, the common case) the values are written with one
// compress-store, already in the compressed layout (blocks ascending, positions ascending).
// Returns how many whole blocks it handled; out may be null (selection only).
// src is the row before this term (it may be resid itself); resid receives the row after it.
__attribute__((target("avx512f,avx512dq"))) size_t termRowAvx512(const float* src, float* resid,
                                                                 size_t cols, NMPattern p,
                                                                 TermRowOut* out, uint32_t* masks) {
  const uint32_t m = p.m;
  if (m > 16) return 0;
  constexpr uint32_t kLanes = 16;
  const size_t vectors = cols / kLanes;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i inBlock = _mm512_and_si512(lane, _mm512_set1_epi32(static_cast<int>(m - 1)));
  const __m512i blockBase = _mm512_andnot_si512(_mm512_set1_epi32(static_cast<int>(m - 1)), lane);
  __m512i rotation[kLanes];
  __mmask16 tieWins[kLanes];
  for (uint32_t s = 1; s < m; ++s) {
    const __m512i shifted = _mm512_add_epi32(inBlock, _mm512_set1_epi32(static_cast<int>(s)));
    rotation[s] = _mm512_or_si512(
        blockBase, _mm512_and_si512(shifted, _mm512_set1_epi32(static_cast<int>(m - 1))));
    // The rotated element has a lower in-block index exactly when the rotation wrapped.
    tieWins[s] = _mm512_cmpge_epu32_mask(shifted, _mm512_set1_epi32(static_cast<int>(m)));
  }
  const __m512i absMask = _mm512_set1_epi32(0x7fffffff);
  const __m512i limit = _mm512_set1_epi32(static_cast<int>(p.n));
  const __m512i one = _mm512_set1_epi32(1);
  const uint32_t blockMask = (1u << m) - 1;
  const uint32_t blocksPerVector = kLanes / m;
  // Small n: n rounds of a log2(m)-step maximum are cheaper than m - 1 rank rotations.
  const uint32_t butterflySteps = p.indexBits();
  const bool useMaxSearch = p.n * (2 * butterflySteps + 3) < 4 * (m - 1);
  constexpr _MM_PERM_ENUM kSwap1 = _MM_PERM_CDAB, kSwap2 = _MM_PERM_BADC;
  uint32_t fieldLowBits = 0;
  for (uint32_t b = 0; b < blocksPerVector; ++b)
    fieldLowBits |= 1u << (b * m);
  const uint32_t fullCount = p.n * blocksPerVector;
  // Bit offsets of up to 16 packed indices (k * indexBits), as two 8-lane 64-bit vectors.
  const uint32_t bits = p.indexBits();
  const __m512i shiftLo =
      _mm512_mullo_epi64(_mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), _mm512_set1_epi64(bits));
  const __m512i shiftHi = _mm512_add_epi64(shiftLo, _mm512_set1_epi64(8 * bits));
  const uint32_t* packedIndices = m <= 8 ? packedIndexTable(m) : nullptr;
  BitWriter meta = out ? out->meta : BitWriter(nullptr);  // kept in registers in the loop
  for (size_t v = 0; v < vectors; ++v) {
    float* x = resid + v * kLanes;
    const __m512i raw = _mm512_loadu_si512(src + v * kLanes);
    const __m512i keys = _mm512_and_si512(raw, absMask);
    __mmask16 kept = 0;
    if (useMaxSearch) {
      // n rounds: block maximum by an xor butterfly, keep its first occurrence, clear it.
      const __mmask16 nonzero = _mm512_test_epi32_mask(keys, keys);
      __m512i k = keys;
      for (uint32_t round = 0; round < p.n; ++round) {
        __m512i best = k;
        // Partners lane ^ 1, ^ 2, ^ 4, ^ 8 by in-lane shuffles (one-cycle, immediate-controlled)
        // rather than by a cross-lane permute each.
        if (butterflySteps > 0) best = _mm512_max_epu32(best, _mm512_shuffle_epi32(best, kSwap1));
        if (butterflySteps > 1) best = _mm512_max_epu32(best, _mm512_shuffle_epi32(best, kSwap2));
        if (butterflySteps > 2) best = _mm512_max_epu32(best, _mm512_permutex_epi64(best, 0x4e));
        if (butterflySteps > 3)
          best = _mm512_max_epu32(best, _mm512_shuffle_i64x2(best, best, 0x4e));
        const uint32_t eq = _mm512_cmpeq_epi32_mask(k, best);
        // Lowest set bit of every m-bit field (each field has one: the maximum is in it).
        const __mmask16 first = static_cast<__mmask16>(eq & ~(eq - fieldLowBits));
        kept |= first;
        k = _mm512_mask_mov_epi32(k, first, _mm512_setzero_si512());
      }
      kept &= nonzero;
    } else {
      __m512i rank = _mm512_setzero_si512();
      for (uint32_t s = 1; s < m; ++s) {
        const __m512i other = _mm512_permutexvar_epi32(rotation[s], keys);
        // Keys have no sign bit, so signed compares order them correctly.
        const __mmask16 beats = _mm512_cmpgt_epi32_mask(other, keys) |
                                (_mm512_cmpeq_epi32_mask(other, keys) & tieWins[s]);
        rank = _mm512_mask_add_epi32(rank, beats, rank, one);
      }
      kept = _mm512_cmplt_epu32_mask(rank, limit) & _mm512_test_epi32_mask(keys, keys);
    }
    if (masks) {
      for (uint32_t b = 0; b < blocksPerVector; ++b) {
        masks[v * blocksPerVector + b] = (static_cast<uint32_t>(kept) >> (b * m)) & blockMask;
      }
    }
    if (out && static_cast<uint32_t>(__builtin_popcount(kept)) == fullCount) {
      // Register-form compress plus a masked store: the memory form is microcoded and slow on
      // some cores (AMD Zen 4).
      _mm512_mask_storeu_epi32(out->values, static_cast<__mmask16>((1u << fullCount) - 1),
                               _mm512_maskz_compress_epi32(kept, raw));
      if (packedIndices) {
        // m <= 8: each block's kept positions, packed, from a table by its mask.
        uint64_t packed = 0;
        for (uint32_t b = 0; b < blocksPerVector; ++b) {
          packed |= uint64_t{packedIndices[(static_cast<uint32_t>(kept) >> (b * m)) & blockMask]}
                    << (b * p.n * bits);
        }
        meta.put64(packed, fullCount * bits);
      } else {
        // fullCount <= 16 indices of <= 4 bits: at most 64 bits, packed with shifts and an OR.
        const __m512i pos = _mm512_maskz_compress_epi32(kept, inBlock);
        const __m512i lo =
            _mm512_sllv_epi64(_mm512_cvtepu32_epi64(_mm512_castsi512_si256(pos)), shiftLo);
        const __m512i hi =
            _mm512_sllv_epi64(_mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(pos, 1)), shiftHi);
        meta.put64(static_cast<uint64_t>(_mm512_reduce_or_epi64(_mm512_or_si512(lo, hi))),
                   fullCount * bits);
      }
      out->values += static_cast<size_t>(fullCount) * 4;
    } else if (out) {
      out->meta = meta;
      _mm512_storeu_si512(x, raw);
      for (uint32_t b = 0; b < blocksPerVector; ++b) {
        // emitBlock zeroes only what it keeps; the store below does the same again.
        emitBlock(x + b * m, (static_cast<uint32_t>(kept) >> (b * m)) & blockMask, p.n, *out);
      }
      meta = out->meta;
    }
    _mm512_storeu_si512(x, _mm512_maskz_mov_epi32(static_cast<__mmask16>(~kept), raw));
  }
  if (out) out->meta = meta;
  return vectors * blocksPerVector;
}
#pragma GCC diagnostic pop

bool haveAvx512() {
  static const bool have = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  return have;
}
#endif

// One term over one row: src is the row before the term (may be resid itself); resid gets the
// row after it. Emits into out (if given); masks (if given) receives each block's kept positions.
template <typename T>
void termRow(const T* src, T* resid, size_t cols, NMPattern p, TermRowOut* out, uint32_t* masks) {
  size_t done = 0;
#if defined(__x86_64__)
  if constexpr (std::is_same_v<T, float>) {
    if (haveAvx512() && (!out || out->dtype == DType::F32) &&
        !selectionFault.load(std::memory_order_relaxed))
      done = termRowAvx512(src, resid, cols, p, out, masks);
  }
#endif
  const size_t doneCols = std::min(cols, done * p.m);
  if (src != resid && cols > doneCols)
    std::memcpy(resid + doneCols, src + doneCols, (cols - doneCols) * sizeof(T));
  termRowScalar(resid, cols, p, done, out, masks);
}

// One row of sum(T_i): an entry is kept exactly where the residual is zero (entries move from the
// residual into a term), so it is A there (bf16(A) for bf16 storage) and 0 elsewhere. out may be
// the residual row itself.
template <typename T>
void approximationRow(const T* a, const T* resid, size_t cols, DType storage, T* out) {
  for (size_t j = 0; j < cols; ++j) {
    T v = a[j];
    if constexpr (std::is_same_v<T, float>) {
      if (storage == DType::BF16) v = roundToBf16(v);
    }
    out[j] = resid[j] != T{} ? T{} : v;
  }
}

// Decomposes a into d, reusing d's buffers when their shapes already match (no page faults
// and no zero-fill on repeated calls of the same shape).
// approx (optional, rows x cols, may be d.residual's own buffer): the sum of the terms, written
// row by row while the row is in cache.
template <typename T>
void decomposeInto(const MatrixView<T>& a, const Series& series, DType storage, Decomposition<T>& d,
                   bool statistics, T* approx = nullptr) {
  const size_t rows = a.rows;
  const size_t cols = a.cols;
  d.dense = series.isDense();
  d.original = d.residualStats = TensorStats{};
  if (d.residual.rows() != rows || d.residual.cols() != cols) d.residual = Matrix<T>(rows, cols);
  if (d.dense) {
    d.terms.clear();
    d.termStats.clear();
    if constexpr (std::is_same_v<T, float>) {
      if (storage == DType::BF16) {
        std::vector<float> rounded(a.data, a.data + a.size());
        for (float& v : rounded)
          v = roundToBf16(v);
        d.original = statsOf(rounded.data(), rounded.size());
      } else {
        d.original = statsOf(a.data, a.size());
      }
    } else {
      d.original = statsOf(a.data, a.size());
    }
    std::fill(d.residual.values().begin(), d.residual.values().end(), T{});
    d.residualStats.elements = rows * cols;
    return;
  }
  const size_t order = series.terms.size();
  d.terms.resize(order);
  for (size_t t = 0; t < order; ++t) {
    const CompressedTerm& have = d.terms[t];
    if (have.pattern() != series.terms[t] || have.dtype() != storage || have.rows() != rows ||
        have.cols() != cols) {
      d.terms[t] = CompressedTerm(series.terms[t], storage, rows, cols);
    }
  }
  d.termStats.assign(order, TensorStats{});
  if (cols == 0) return;  // no elements (rows alone may be huge)
  for (size_t r = 0; r < rows; ++r) {
    T* resid = d.residual.row(r);
    const T* src = a.row(r);  // the first term reads A, later terms the residual
    if constexpr (std::is_same_v<T, float>) {
      if (storage == DType::BF16) {
        for (size_t j = 0; j < cols; ++j)
          resid[j] = roundToBf16(src[j]);
        src = resid;
      }
    }
    for (size_t t = 0; t < order; ++t) {
      CompressedTerm& term = d.terms[t];
      TermRowOut out{term.valueRow(r), BitWriter(term.metaRow(r)), storage, dtypeBytes(storage),
                     term.pattern().indexBits()};
      termRow(src, resid, cols, series.terms[t], &out, nullptr);
      src = resid;
      out.meta.flush();
      if (!statistics) continue;
      // Kept statistics from the compressed row (empty slots hold 0 and count as zeros).
      if constexpr (std::is_same_v<T, float>) {
        if (storage == DType::F32) {
          d.termStats[t] +=
              statsOf(reinterpret_cast<const float*>(term.valueRow(r)), term.slotsPerRow());
          continue;
        }
      }
      for (size_t slot = 0; slot < term.slotsPerRow(); ++slot) {
        if constexpr (std::is_same_v<T, float>) {
          d.termStats[t].add(term.valueAsFloat(r, slot));
        } else {
          d.termStats[t].add(term.valueAsInt8(r, slot));
        }
      }
    }
    if (statistics) d.residualStats += statsOf(resid, cols);
    if (approx) approximationRow(a.row(r), resid, cols, storage, approx + r * cols);
  }
  // Elements never kept count as zeros in the per-term element totals.
  for (TensorStats& s : d.termStats)
    s.elements = rows * cols;
  d.residualStats.elements = rows * cols;
  // A is the disjoint union of the terms and the residual.
  d.original = d.residualStats;
  for (const TensorStats& s : d.termStats) {
    d.original.nonzeros += s.nonzeros;
    d.original.l1 += s.l1;
    d.original.l2sq += s.l2sq;
  }
}

}  // namespace

template <typename T>
Quality Decomposition<T>::qualityAfter(size_t k) const {
  if (dense) return qualityOf(original, original, 0.0);
  TensorStats kept;
  double dropped = residualStats.l2sq;
  for (size_t i = 0; i < termStats.size(); ++i) {
    if (i < k) {
      kept += termStats[i];
    } else {
      dropped += termStats[i].l2sq;
    }
  }
  kept.elements = original.elements;
  return qualityOf(original, kept, dropped);
}

template struct Decomposition<float>;
template struct Decomposition<int8_t>;

Decomposition<float> decompose(const MatrixF& a, const Series& series, DType storage) {
  Decomposition<float> d;
  decompose(a, series, storage, d);
  return d;
}

Decomposition<int8_t> decompose(const MatrixI8& a, const Series& series) {
  Decomposition<int8_t> d;
  decompose(a, series, d);
  return d;
}

void decompose(const MatrixF& a, const Series& series, DType storage, Decomposition<float>& reuse,
               bool statistics) {
  decompose(MatrixView<float>(a), series, storage, reuse, statistics);
}

void decompose(const MatrixI8& a, const Series& series, Decomposition<int8_t>& reuse,
               bool statistics) {
  decompose(MatrixView<int8_t>(a), series, reuse, statistics);
}

void decompose(const MatrixView<float>& a, const Series& series, DType storage,
               Decomposition<float>& reuse, bool statistics, float* approximation) {
  const DType s = storage == DType::BF16 ? DType::BF16 : DType::F32;
  decomposeInto(a, series, s, reuse, statistics, approximation);
  if (approximation && series.isDense()) {  // the residual is zero: the approximation is A
    for (size_t r = 0; r < a.rows; ++r)
      approximationRow(a.row(r), reuse.residual.row(r), a.cols, s, approximation + r * a.cols);
  }
}

void decompose(const MatrixView<int8_t>& a, const Series& series, Decomposition<int8_t>& reuse,
               bool statistics, int8_t* approximation) {
  decomposeInto(a, series, DType::I8, reuse, statistics, approximation);
  if (approximation && series.isDense()) {
    for (size_t r = 0; r < a.rows; ++r)
      approximationRow(a.row(r), reuse.residual.row(r), a.cols, DType::I8,
                       approximation + r * a.cols);
  }
}

MatrixF reconstructF(const std::vector<CompressedTerm>& terms, size_t rows, size_t cols) {
  MatrixF sum(rows, cols);
  for (const CompressedTerm& t : terms) {
    const MatrixF dense = t.toDenseF();
    for (size_t i = 0; i < sum.size(); ++i)
      sum.data()[i] += dense.data()[i];
  }
  return sum;
}

MatrixI8 reconstructI8(const std::vector<CompressedTerm>& terms, size_t rows, size_t cols) {
  MatrixI8 sum(rows, cols);
  for (const CompressedTerm& t : terms) {
    const MatrixI8 dense = t.toDenseI8();
    // Supports are disjoint, so the int8 sum never overflows.
    for (size_t i = 0; i < sum.size(); ++i)
      sum.data()[i] = static_cast<int8_t>(sum.data()[i] + dense.data()[i]);
  }
  return sum;
}

void plantSelectionFault(bool planted) {
  selectionFault.store(planted);
}

TensorStats approximateInPlace(float* data, size_t rows, size_t cols, const Series& series) {
  TensorStats kept;
  if (series.isDense()) return statsOf(data, rows * cols);
  if (cols == 0) return kept;  // no elements (rows alone may be huge)
  std::vector<float> scratch(cols);
  for (size_t r = 0; r < rows; ++r) {
    float* row = data + r * cols;
    std::memcpy(scratch.data(), row, cols * sizeof(float));
    for (const NMPattern& p : series.terms)
      termRow(scratch.data(), scratch.data(), cols, p, nullptr, nullptr);
    // What is left in the scratch residual was dropped.
    for (size_t j = 0; j < cols; ++j) {
      if (scratch[j] != 0.0f) row[j] = 0.0f;
    }
    kept += statsOf(row, cols);
  }
  return kept;
}

DType decompositionStorage(bool int8Input, const std::optional<std::string>& dtype,
                           const std::string& subject, const std::string& option,
                           const std::string& int8InputName) {
  if (!dtype) return int8Input ? DType::I8 : DType::F32;
  const DType t = parseDType(*dtype);
  if (t == DType::I8 && !int8Input) {
    throw UserError(fmt::format("{}: {} int8 needs {} (quantize the tensor first)", subject, option,
                                int8InputName));
  }
  if (t != DType::I8 && int8Input) {
    throw UserError(fmt::format("{}: int8 input is decomposed exactly as int8; drop {} {}", subject,
                                option, *dtype));
  }
  return t;
}

}  // namespace tasdsim::tasd
