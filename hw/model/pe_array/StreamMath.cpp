#include "hw/model/pe_array/StreamMath.h"

#include <algorithm>
#include <cstring>

#include <cblas.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "sw/common/Half.h"

namespace tasdsim::hw {
namespace {

uint64_t ceilDiv(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

// The nonzero slots of one compressed row: value and K index within the tile.
struct RowSlots {
  std::vector<float> f;
  std::vector<int32_t> i;
  std::vector<uint32_t> k;
  std::vector<uint8_t> meta;  // the row's metadata and 8 zero bytes
  size_t count = 0;
};

// One slot's value as the accumulator type: int8, fp32 or bf16 storage.
template <bool Integer, uint32_t Eb>
auto slotValue(const uint8_t* values, size_t slot) {
  if constexpr (Integer) {
    return static_cast<int32_t>(static_cast<int8_t>(values[slot]));
  } else if constexpr (Eb == 4) {
    float v;
    std::memcpy(&v, values + slot * 4, 4);
    return v;
  } else {
    return bf16ToFloat(static_cast<uint16_t>(values[2 * slot] | (values[2 * slot + 1] << 8)));
  }
}

// Keeps the row's nonzero slots whose index lies inside the tile (empty slots and indices into
// the zero padding contribute nothing). A slot's index bits (LSB first, at most 8 of them) come
// from one unaligned 64-bit read of the padded metadata row.
template <bool Integer, uint32_t Eb>
void decodeRowAs(const tasd::CompressedTerm& term, size_t r, size_t ks, RowSlots& out) {
  const tasd::NMPattern p = term.pattern();
  const uint32_t bits = p.indexBits();
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  const size_t slots = term.slotsPerRow(), metaBytes = term.metaBytesPerRow();
  const uint8_t* values = term.valueRow(r);
  if (out.k.size() < slots) {
    out.k.resize(slots);
    out.f.resize(slots);
    out.i.resize(slots);
  }
  out.meta.resize(metaBytes + 8);
  std::memcpy(out.meta.data(), term.metaRow(r), metaBytes);
  std::memset(out.meta.data() + metaBytes, 0, 8);
  const uint8_t* meta = out.meta.data();
  size_t n = 0, slot = 0;
  for (uint32_t blockBase = 0; slot < slots; blockBase += p.m) {
    for (uint32_t j = 0; j < p.n; ++j, ++slot) {
      const size_t pos = slot * bits;
      uint64_t word;
      std::memcpy(&word, meta + (pos >> 3), 8);
      const uint32_t k = blockBase + static_cast<uint32_t>((word >> (pos & 7)) & mask);
      const auto v = slotValue<Integer, Eb>(values, slot);
      if constexpr (Integer) {
        out.i[n] = v;
      } else {
        out.f[n] = v;
      }
      out.k[n] = k;
      n += v != 0 && k < ks;
    }
  }
  out.count = n;
}

template <bool Integer>
void decodeRow(const tasd::CompressedTerm& term, size_t r, size_t ks, RowSlots& out) {
  if constexpr (Integer) {
    decodeRowAs<true, 1>(term, r, ks, out);
  } else if (tasd::dtypeBytes(term.dtype()) == 4) {
    decodeRowAs<false, 4>(term, r, ks, out);
  } else {
    decodeRowAs<false, 2>(term, r, ks, out);
  }
}

// c[0..cols) += sum over slots of v * d[k][0..cols): the PE's index-mux MACs for one S row.
template <typename T>
void accumulateRowScalar(T* __restrict c, const T* values, const uint32_t* ks, size_t count,
                         const T* __restrict d, size_t cols) {
  for (size_t s = 0; s < count; ++s) {
    const T v = values[s];
    const T* row = d + size_t{ks[s]} * cols;
    for (size_t j = 0; j < cols; ++j)
      c[j] += v * row[j];
  }
}

#if defined(__x86_64__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
// 64 columns at a time held in four registers across all slots of the row.
__attribute__((target("avx512f"))) void accumulateRowAvx512(float* c, const float* values,
                                                            const uint32_t* ks, size_t count,
                                                            const float* d, size_t cols) {
  size_t j = 0;
  for (; j + 64 <= cols; j += 64) {
    __m512 a0 = _mm512_loadu_ps(c + j), a1 = _mm512_loadu_ps(c + j + 16),
           a2 = _mm512_loadu_ps(c + j + 32), a3 = _mm512_loadu_ps(c + j + 48);
    for (size_t s = 0; s < count; ++s) {
      const __m512 v = _mm512_set1_ps(values[s]);
      const float* row = d + size_t{ks[s]} * cols + j;
      a0 = _mm512_fmadd_ps(v, _mm512_loadu_ps(row), a0);
      a1 = _mm512_fmadd_ps(v, _mm512_loadu_ps(row + 16), a1);
      a2 = _mm512_fmadd_ps(v, _mm512_loadu_ps(row + 32), a2);
      a3 = _mm512_fmadd_ps(v, _mm512_loadu_ps(row + 48), a3);
    }
    _mm512_storeu_ps(c + j, a0);
    _mm512_storeu_ps(c + j + 16, a1);
    _mm512_storeu_ps(c + j + 32, a2);
    _mm512_storeu_ps(c + j + 48, a3);
  }
  for (; j < cols; j += 16) {
    const __mmask16 m = cols - j >= 16 ? static_cast<__mmask16>(0xffff)
                                       : static_cast<__mmask16>((1u << (cols - j)) - 1);
    __m512 a = _mm512_maskz_loadu_ps(m, c + j);
    for (size_t s = 0; s < count; ++s) {
      a = _mm512_fmadd_ps(_mm512_set1_ps(values[s]),
                          _mm512_maskz_loadu_ps(m, d + size_t{ks[s]} * cols + j), a);
    }
    _mm512_mask_storeu_ps(c + j, m, a);
  }
}

__attribute__((target("avx512f"))) void accumulateRowAvx512(int32_t* c, const int32_t* values,
                                                            const uint32_t* ks, size_t count,
                                                            const int32_t* d, size_t cols) {
  size_t j = 0;
  for (; j + 32 <= cols; j += 32) {
    __m512i a0 = _mm512_loadu_si512(c + j), a1 = _mm512_loadu_si512(c + j + 16);
    for (size_t s = 0; s < count; ++s) {
      const __m512i v = _mm512_set1_epi32(values[s]);
      const int32_t* row = d + size_t{ks[s]} * cols + j;
      a0 = _mm512_add_epi32(a0, _mm512_mullo_epi32(v, _mm512_loadu_si512(row)));
      a1 = _mm512_add_epi32(a1, _mm512_mullo_epi32(v, _mm512_loadu_si512(row + 16)));
    }
    _mm512_storeu_si512(c + j, a0);
    _mm512_storeu_si512(c + j + 16, a1);
  }
  for (; j < cols; j += 16) {
    const __mmask16 m = cols - j >= 16 ? static_cast<__mmask16>(0xffff)
                                       : static_cast<__mmask16>((1u << (cols - j)) - 1);
    __m512i a = _mm512_maskz_loadu_epi32(m, c + j);
    for (size_t s = 0; s < count; ++s) {
      a = _mm512_add_epi32(
          a, _mm512_mullo_epi32(_mm512_set1_epi32(values[s]),
                                _mm512_maskz_loadu_epi32(m, d + size_t{ks[s]} * cols + j)));
    }
    _mm512_mask_storeu_epi32(c + j, m, a);
  }
}
#pragma GCC diagnostic pop

bool haveAvx512() {
  static const bool have = __builtin_cpu_supports("avx512f");
  return have;
}
#endif

template <typename T>
void accumulateRow(T* c, const T* values, const uint32_t* ks, size_t count, const T* d,
                   size_t cols) {
#if defined(__x86_64__)
  if (haveAvx512()) return accumulateRowAvx512(c, values, ks, count, d, cols);
#endif
  accumulateRowScalar(c, values, ks, count, d, cols);
}

template <typename Acc>
void termCompute(const tasd::CompressedTerm& term, const DTile& d, Acc* acc, size_t cols,
                 size_t ks) {
  constexpr bool integer = std::is_same_v<Acc, int32_t>;
  RowSlots slots;
  for (size_t r = 0; r < term.rows(); ++r) {
    decodeRow<integer>(term, r, ks, slots);
    if constexpr (integer) {
      accumulateRow(acc + r * cols, slots.i.data(), slots.k.data(), slots.count, d.kMajorI.data(),
                    cols);
    } else {
      accumulateRow(acc + r * cols, slots.f.data(), slots.k.data(), slots.count, d.kMajorF.data(),
                    cols);
    }
  }
}

}  // namespace

uint64_t termPassCycles(const PeArrayParams& pe, const tasd::NMPattern& p, uint64_t ks) {
  return ceilDiv(ceilDiv(ks, p.m) * p.n, pe.lanes);
}

uint64_t densePassCycles(const PeArrayParams& pe, uint64_t ks) {
  return ceilDiv(ks, pe.lanes);
}

StreamCost streamCost(const PeArrayParams& pe, const BufferParams& sBuffer,
                      const BufferParams& dBuffer, const LayerState& L, const StreamShape& sh) {
  StreamCost c;
  const uint64_t rowGroups = ceilDiv(sh.rows, pe.rows), colGroups = ceilDiv(sh.cols, pe.cols);
  c.passes = rowGroups * colGroups;
  c.denseMacs = uint64_t{sh.rows} * sh.cols * sh.ks;
  const uint32_t eb = L.elementBytes();
  uint64_t passCycles = 0;
  uint64_t sTileBytes = 0, sTileMetadataBytes = 0;
  if (sh.termCount == 0) {
    c.denseCycles = c.passes * densePassCycles(pe, sh.ks);
    passCycles = c.denseCycles;
    c.macOps = c.denseMacs;
    sTileBytes = uint64_t{sh.rows} * sh.ks * eb;
  } else {
    for (uint32_t t = sh.firstTerm; t < sh.firstTerm + sh.termCount; ++t) {
      const tasd::NMPattern p = L.term[t].pattern;
      const uint64_t slots = ceilDiv(sh.ks, p.m) * p.n;
      c.termCycles[t] = c.passes * termPassCycles(pe, p, sh.ks);
      passCycles += c.termCycles[t];
      c.macOps += uint64_t{sh.rows} * sh.cols * slots;
      const uint64_t metadata = uint64_t{sh.rows} * ceilDiv(slots * p.indexBits(), 8);
      sTileBytes += uint64_t{sh.rows} * slots * eb + metadata;
      sTileMetadataBytes += metadata;
    }
  }
  const uint64_t streams = sh.termCount == 0 ? 1 : sh.termCount;
  c.sReadBytes = sTileBytes * colGroups;
  c.sMetadataReadBytes = sTileMetadataBytes * colGroups;
  c.dReadBytes = uint64_t{sh.cols} * sh.ks * eb * rowGroups * streams;
  const uint64_t accBytes = uint64_t{sh.rows} * sh.cols * L.accBytes();
  c.accReadBytes = sh.clear ? 0 : accBytes;
  c.accWriteBytes = accBytes;
  c.passCycles = passCycles;
  c.bufferCycles = std::max(ceilDiv(c.sReadBytes, sBuffer.portBytesPerCycle()),
                            ceilDiv(c.dReadBytes, dBuffer.portBytesPerCycle()));
  return withFill(c, pe.pipelineLatencyCycles);
}

StreamCost withFill(StreamCost c, uint64_t fill) {
  c.computeCycles = c.passCycles + fill;
  c.cycles = std::max(c.computeCycles, c.bufferCycles);
  return c;
}

void streamCompute(const LayerState& L, const STile& s, const DTile& d, AccTile& acc,
                   const StreamShape& sh) {
  const size_t rows = sh.rows, cols = sh.cols, ks = sh.ks;
  const bool isInt = L.dtype == tasd::DType::I8;
  if (sh.clear) {
    if (isInt) {
      acc.i.assign(rows * cols, 0);
    } else {
      acc.f.assign(rows * cols, 0.0f);
    }
  }
  if (sh.termCount == 0) {
    if (isInt) {
      std::vector<int32_t> values;
      std::vector<uint32_t> kIndex;
      for (size_t r = 0; r < rows; ++r) {
        values.clear();
        kIndex.clear();
        for (size_t k = 0; k < ks; ++k) {
          if (s.denseI8[r * ks + k] == 0) continue;
          values.push_back(s.denseI8[r * ks + k]);
          kIndex.push_back(static_cast<uint32_t>(k));
        }
        accumulateRow(acc.i.data() + r * cols, values.data(), kIndex.data(), values.size(),
                      d.kMajorI.data(), cols);
      }
    } else {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows),
                  static_cast<int>(cols), static_cast<int>(ks), 1.0f, s.denseF.data(),
                  static_cast<int>(ks), d.kMajorF.data(), static_cast<int>(cols), 1.0f,
                  acc.f.data(), static_cast<int>(cols));
    }
    return;
  }
  for (uint32_t t = sh.firstTerm; t < sh.firstTerm + sh.termCount; ++t) {
    if (isInt) {
      termCompute(s.terms[t], d, acc.i.data(), cols, ks);
    } else {
      termCompute(s.terms[t], d, acc.f.data(), cols, ks);
    }
  }
}

}  // namespace tasdsim::hw
