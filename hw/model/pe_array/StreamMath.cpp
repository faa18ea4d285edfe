#include "hw/model/pe_array/StreamMath.h"

#include <algorithm>
#include <cstring>

#include <cblas.h>

#include "sw/common/Half.h"

namespace tasdsim::hw {
namespace {

uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

// c[0..n) += v * d[0..n)
inline void axpy(float* __restrict c, float v, const float* __restrict d, size_t n) {
  for (size_t j = 0; j < n; ++j) c[j] += v * d[j];
}
inline void axpy(int32_t* __restrict c, int32_t v, const int32_t* __restrict d, size_t n) {
  for (size_t j = 0; j < n; ++j) c[j] += v * d[j];
}

template <typename Acc>
void termCompute(const tasd::CompressedTerm& term, const DTile& d, Acc* acc, size_t cols, size_t ks) {
  const tasd::NMPattern p = term.pattern();
  const uint32_t bits = p.indexBits();
  const size_t slots = term.slotsPerRow();
  const uint32_t eb = tasd::dtypeBytes(term.dtype());
  for (size_t r = 0; r < term.rows(); ++r) {
    Acc* c = acc + r * cols;
    const uint8_t* values = term.valueRow(r);
    const uint8_t* meta = term.metaRow(r);
    uint64_t bitBuffer = 0;
    uint32_t bitCount = 0;
    size_t metaByte = 0;
    for (size_t slot = 0; slot < slots; ++slot) {
      while (bitCount < bits) {
        bitBuffer |= static_cast<uint64_t>(meta[metaByte++]) << bitCount;
        bitCount += 8;
      }
      const uint32_t index = static_cast<uint32_t>(bitBuffer & ((1u << bits) - 1));
      bitBuffer >>= bits;
      bitCount -= bits;
      const size_t k = (slot / p.n) * p.m + index;
      if (k >= ks) continue;  // an index into the zero padding reads zero
      if constexpr (std::is_same_v<Acc, int32_t>) {
        const int32_t v = static_cast<int8_t>(values[slot]);
        if (v != 0) axpy(c, v, d.kMajorI.data() + k * cols, cols);
      } else {
        float v;
        if (eb == 4) {
          std::memcpy(&v, values + slot * 4, 4);
        } else {
          v = bf16ToFloat(static_cast<uint16_t>(values[2 * slot] | (values[2 * slot + 1] << 8)));
        }
        if (v != 0.0f) axpy(c, v, d.kMajorF.data() + k * cols, cols);
      }
    }
  }
}

}  // namespace

StreamCost streamCost(const AcceleratorParams& params, const LayerState& L, const StreamShape& sh) {
  const PeArrayParams& pe = params.pe;
  StreamCost c;
  const uint64_t rowGroups = ceilDiv(sh.rows, pe.rows), colGroups = ceilDiv(sh.cols, pe.cols);
  c.passes = rowGroups * colGroups;
  c.denseMacs = uint64_t{sh.rows} * sh.cols * sh.ks;
  const uint32_t eb = L.elementBytes();
  uint64_t passCycles = 0;
  uint64_t sTileBytes = 0;
  if (sh.termCount == 0) {
    c.denseCycles = c.passes * ceilDiv(sh.ks, pe.lanes);
    passCycles = c.denseCycles;
    c.macOps = c.denseMacs;
    sTileBytes = uint64_t{sh.rows} * sh.ks * eb;
  } else {
    for (uint32_t t = sh.firstTerm; t < sh.firstTerm + sh.termCount; ++t) {
      const tasd::NMPattern p = L.term[t].pattern;
      const uint64_t slots = ceilDiv(sh.ks, p.m) * p.n;
      c.termCycles[t] = c.passes * ceilDiv(slots, pe.lanes);
      passCycles += c.termCycles[t];
      c.macOps += uint64_t{sh.rows} * sh.cols * slots;
      sTileBytes += uint64_t{sh.rows} * (slots * eb + ceilDiv(slots * p.indexBits(), 8));
    }
  }
  const uint64_t streams = sh.termCount == 0 ? 1 : sh.termCount;
  c.sReadBytes = sTileBytes * colGroups;
  c.dReadBytes = uint64_t{sh.cols} * sh.ks * eb * rowGroups * streams;
  const uint64_t accBytes = uint64_t{sh.rows} * sh.cols * L.accBytes();
  c.accReadBytes = sh.clear ? 0 : accBytes;
  c.accWriteBytes = accBytes;
  c.computeCycles = passCycles + pe.pipelineLatencyCycles;
  const uint64_t bwCycles = std::max(ceilDiv(c.sReadBytes, params.buffers.s.portBytesPerCycle()),
                                     ceilDiv(c.dReadBytes, params.buffers.d.portBytesPerCycle()));
  c.cycles = std::max(c.computeCycles, bwCycles);
  return c;
}

void streamCompute(const LayerState& L, const STile& s, const DTile& d, AccTile& acc, const StreamShape& sh) {
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
      for (size_t r = 0; r < rows; ++r)
        for (size_t k = 0; k < ks; ++k) {
          const int32_t v = s.denseI8[r * ks + k];
          if (v != 0) axpy(acc.i.data() + r * cols, v, d.kMajorI.data() + k * cols, cols);
        }
    } else {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(cols),
                  static_cast<int>(ks), 1.0f, s.denseF.data(), static_cast<int>(ks), d.kMajorF.data(),
                  static_cast<int>(cols), 1.0f, acc.f.data(), static_cast<int>(cols));
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
