#include "hw/model/dataflow/OperandLayout.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace tasdsim::hw {
namespace {

struct ConvIndex {
  uint64_t ho, wo, perImage;
};

// Copies `bytes` bytes; one element (a depthwise tap) without a library call.
inline void copyElements(uint8_t* to, const uint8_t* from, uint64_t bytes) {
  switch (bytes) {
    case 4:
      std::memcpy(to, from, 4);
      break;
    case 2:
      std::memcpy(to, from, 2);
      break;
    case 1:
      *to = *from;
      break;
    default:
      std::memcpy(to, from, bytes);
  }
}

// The input rows (or columns) in [lo, hi] that the windows of outputs [oLo, oHi] touch, taps
// [tLo, tHi] each at stride `stride` and dilation `dil` behind `pad`: slot[i - lo] numbers them
// in order (-1: untouched). Returns how many. `every`: stride and dilation 1 touch them all.
uint32_t numberTouched(std::vector<int32_t>& slot, int64_t lo, int64_t hi, int64_t oLo, int64_t oHi,
                       int64_t stride, int64_t dil, int64_t tLo, int64_t tHi, int64_t pad,
                       bool every) {
  slot.assign(static_cast<size_t>(hi - lo + 1), every ? 0 : -1);
  for (int64_t o = oLo; o <= oHi && !every; ++o)
    for (int64_t t = tLo; t <= tHi; ++t) {
      const int64_t i = o * stride + t * dil - pad;
      if (i >= lo && i <= hi) slot[static_cast<size_t>(i - lo)] = 0;
    }
  uint32_t count = 0;
  for (int32_t& v : slot)
    if (v == 0) v = static_cast<int32_t>(count++);
  return count;
}

ConvIndex convIndex(const tasd::ConvGeometry& g) {
  const uint64_t ho = g.outH(), wo = g.outW();
  return {ho, wo, ho * wo};
}

// A run of the tile's K: channels [channel, channel + length) at kernel row fr and column fs,
// landing at position `out` of a tile row.
struct ChannelRun {
  uint32_t fr, fs;
  uint64_t channel, length, out;
};

// The K-major tile (element (r, kk) at kk * rows + r) of elements of type T: one K index at a
// time over every row, through per-row tables of where each kernel row and column starts in the
// staging buffer (-1: padding), so that an element costs two table reads.
template <typename T>
void assembleKMajor(const tasd::ConvGeometry& g, const ConvIndex& ci, TileRange rows,
                    const GatherPlan& plan, const std::vector<ChannelRun>& runs,
                    const uint8_t* staging, uint8_t* tile) {
  const size_t R = rows.length;
  std::vector<int64_t> rowByte(g.kh * R), colByte(g.kw * R);
  size_t boxIndex = 0;
  uint64_t boxC = 0, cLo = 0;
  // Output position of row r: image b, row oh, column ow (stepped, not divided, per row).
  uint64_t b = rows.begin / ci.perImage, oh = rows.begin % ci.perImage / ci.wo,
           ow = rows.begin % ci.wo;
  for (uint32_t r = 0; r < R; ++r) {
    if (r > 0 && ++ow == ci.wo) {
      ow = 0;
      if (++oh == ci.ho) {
        oh = 0;
        ++b;
      }
    }
    while (plan.boxes[boxIndex].image != b)
      ++boxIndex;
    const ConvBox& box = plan.boxes[boxIndex];
    boxC = box.cHi - box.cLo;  // the same channel range in every box of the tile
    cLo = box.cLo;
    const bool empty = box.rowSlot.empty() || box.colSlot.empty();
    const int64_t ih0 =
        static_cast<int64_t>(oh) * static_cast<int64_t>(g.strideH) - static_cast<int64_t>(g.padTop);
    const int64_t iw0 = static_cast<int64_t>(ow) * static_cast<int64_t>(g.strideW) -
                        static_cast<int64_t>(g.padLeft);
    for (uint32_t fr = 0; fr < g.kh; ++fr) {
      const int64_t ih = ih0 + int64_t{fr} * static_cast<int64_t>(g.dilationH);
      const int32_t slot = empty || ih < box.ihLo || ih > box.ihHi
                               ? -1
                               : box.rowSlot[static_cast<size_t>(ih - box.ihLo)];
      rowByte[fr * R + r] =
          slot < 0
              ? -1
              : static_cast<int64_t>(box.stagingOffset + uint64_t{static_cast<uint32_t>(slot)} *
                                                             box.gridCols * boxC * sizeof(T));
    }
    for (uint32_t fs = 0; fs < g.kw; ++fs) {
      const int64_t iw = iw0 + int64_t{fs} * static_cast<int64_t>(g.dilationW);
      const int32_t slot = empty || iw < box.iwLo || iw > box.iwHi
                               ? -1
                               : box.colSlot[static_cast<size_t>(iw - box.iwLo)];
      colByte[fs * R + r] =
          slot < 0 ? -1
                   : static_cast<int64_t>(uint64_t{static_cast<uint32_t>(slot)} * boxC * sizeof(T));
    }
  }
  T* out = reinterpret_cast<T*>(tile);
  if (plan.stagingBytes == 0) {  // every element in the padding (staging holds no pixel)
    for (const ChannelRun& run : runs)
      std::fill(out + run.out * R, out + (run.out + run.length) * R, T{0});
    return;
  }
  for (const ChannelRun& run : runs) {
    const int64_t* rb = rowByte.data() + run.fr * R;
    const int64_t* cb = colByte.data() + run.fs * R;
    for (uint64_t e = 0; e < run.length; ++e) {
      const uint8_t* src = staging + (run.channel + e - cLo) * sizeof(T);
      T* dst = out + (run.out + e) * R;
      for (size_t r = 0; r < R; ++r) {  // branch-free: padding reads src[0] and keeps 0
        const bool inside = (rb[r] | cb[r]) >= 0;
        T v;
        std::memcpy(&v, src + (inside ? rb[r] + cb[r] : 0), sizeof(T));
        dst[r] = inside ? v : T{0};
      }
    }
  }
}

}  // namespace

uint64_t operandRows(const OperandConfig& op, uint64_t matrixRows) {
  if (!op.conv) return matrixRows;
  return convIndex(op.geometry).perImage * op.batch;
}

std::string planDenseTile(const OperandConfig& op, const LayerState& L, TileRange rows, uint32_t k0,
                          uint32_t klen, uint32_t eb, GatherPlan& plan) {
  const bool countOnly = plan.countOnly, spanOnly = plan.spanOnly;
  plan = GatherPlan{};
  plan.countOnly = countOnly;
  plan.spanOnly = spanOnly;
  if (!op.configured && !op.conv) return "operand address not configured";
  if (klen == 0 || rows.length == 0) return "empty tile";
  if (!L.kRangeValid(k0, klen)) {
    return L.convK() ? fmt::format("channel range [{}, {}) beyond the {} channels", k0,
                                   uint64_t{k0} + klen, L.convChannels)
                     : fmt::format("K range [{}, {}) beyond K = {}", k0, uint64_t{k0} + klen, L.k);
  }
  const uint64_t rowElements = L.kElements(klen);
  if (!op.conv) {
    const std::vector<KSegment> segments = L.kSegments(k0, klen);
    plan.stagingBytes = uint64_t{rows.length} * rowElements * eb;
    if (countOnly) return "";
    // Span only when no row's address passes the end of the address space (the rows are
    // listed otherwise, and the span marks the run that wraps).
    const uint64_t lastRow = uint64_t{rows.end()} - 1;
    if (spanOnly && RunSpan::rowsFit(op.base, op.rowStride, lastRow)) {
      // Every row's runs alike, rowStride apart.
      RunSpan first, last;
      const uint64_t firstBase = op.base + uint64_t{rows.begin} * op.rowStride,
                     lastBase = op.base + lastRow * op.rowStride;
      for (const KSegment& seg : segments) {
        first.add(firstBase + seg.begin * eb, uint64_t{seg.length} * eb);
        last.add(lastBase + seg.begin * eb, uint64_t{seg.length} * eb);
      }
      plan.span = RunSpan::ofRows(first, last, rows.length);
      return "";
    }
    plan.runs.reserve(uint64_t{rows.length} * segments.size());
    for (uint32_t r = 0; r < rows.length; ++r) {
      const uint64_t row = rows.begin + r;
      uint64_t offset = uint64_t{r} * rowElements * eb;
      for (const KSegment& seg : segments) {
        plan.runs.push_back(
            {op.base + row * op.rowStride + seg.begin * eb, uint64_t{seg.length} * eb, offset});
        plan.span.add(plan.runs.back().address, plan.runs.back().bytes);
        offset += uint64_t{seg.length} * eb;
      }
    }
    return "";
  }
  const tasd::ConvGeometry& g = op.geometry;
  if (g.k() != L.k) return fmt::format("conv geometry gives K = {}, layer has K = {}", g.k(), L.k);
  const ConvIndex ci = convIndex(g);
  const uint64_t total = ci.perImage * op.batch;
  if (uint64_t{rows.begin} + rows.length > total) {
    return fmt::format("rows [{}, {}) beyond the {} output positions", rows.begin, rows.end(),
                       total);
  }
  const uint64_t c = g.channels;
  const uint32_t cLo = k0, cHi = k0 + klen;  // the tile's channel range, at every kernel position
  const int64_t rLo = 0, rHi = static_cast<int64_t>(g.kh) - 1, sLo = 0,
                sHi = static_cast<int64_t>(g.kw) - 1;
  const uint64_t firstImage = rows.begin / ci.perImage, lastImage = (rows.end() - 1) / ci.perImage;
  uint64_t offset = 0;
  for (uint64_t b = firstImage; b <= lastImage; ++b) {
    const uint64_t pLo = std::max<uint64_t>(rows.begin, b * ci.perImage) - b * ci.perImage;
    const uint64_t pHi =
        std::min<uint64_t>(rows.end(), (b + 1) * ci.perImage) - 1 - b * ci.perImage;
    const int64_t ohLo = static_cast<int64_t>(pLo / ci.wo),
                  ohHi = static_cast<int64_t>(pHi / ci.wo);
    const int64_t owLo = ohLo == ohHi ? static_cast<int64_t>(pLo % ci.wo) : 0;
    const int64_t owHi =
        ohLo == ohHi ? static_cast<int64_t>(pHi % ci.wo) : static_cast<int64_t>(ci.wo) - 1;
    ConvBox box;
    box.image = static_cast<uint32_t>(b);
    box.cLo = cLo;
    box.cHi = cHi;
    const int64_t sh = static_cast<int64_t>(g.strideH), sw = static_cast<int64_t>(g.strideW);
    const int64_t dh = static_cast<int64_t>(g.dilationH), dw = static_cast<int64_t>(g.dilationW);
    const int64_t pt = static_cast<int64_t>(g.padTop), pl = static_cast<int64_t>(g.padLeft);
    box.ihLo = std::max<int64_t>(0, ohLo * sh + rLo * dh - pt);
    box.ihHi = std::min<int64_t>(static_cast<int64_t>(g.inH) - 1, ohHi * sh + rHi * dh - pt);
    box.iwLo = std::max<int64_t>(0, owLo * sw + sLo * dw - pl);
    box.iwHi = std::min<int64_t>(static_cast<int64_t>(g.inW) - 1, owHi * sw + sHi * dw - pl);
    box.stagingOffset = offset;
    if (box.ihHi >= box.ihLo && box.iwHi >= box.iwLo) {
      // Mark the rows and columns some window touches; number them in order.
      // (With stride 1 and dilation 1 the windows touch every row and column of the box.)
      const bool everyRow = sh == 1 && dh == 1, everyCol = sw == 1 && dw == 1;
      if (countOnly) {  // only the staging bytes: the counts (scratch tables when strided)
        thread_local std::vector<int32_t> scratch;
        box.gridRows = everyRow ? static_cast<uint32_t>(box.ihHi - box.ihLo + 1)
                                : numberTouched(scratch, box.ihLo, box.ihHi, ohLo, ohHi, sh, dh,
                                                rLo, rHi, pt, false);
        box.gridCols = everyCol ? static_cast<uint32_t>(box.iwHi - box.iwLo + 1)
                                : numberTouched(scratch, box.iwLo, box.iwHi, owLo, owHi, sw, dw,
                                                sLo, sHi, pl, false);
        offset += box.pixels() * (cHi - cLo) * eb;
        continue;
      }
      box.gridRows = numberTouched(box.rowSlot, box.ihLo, box.ihHi, ohLo, ohHi, sh, dh, rLo, rHi,
                                   pt, everyRow);
      box.gridCols = numberTouched(box.colSlot, box.iwLo, box.iwHi, owLo, owHi, sw, dw, sLo, sHi,
                                   pl, everyCol);
      const uint64_t runElems = cHi - cLo;
      // A run per grid row (whole channel vectors of adjacent columns join) or per grid pixel.
      plan.runs.reserve(plan.runs.size() +
                        uint64_t{box.gridRows} * (cLo == 0 && cHi == c ? 2 : box.gridCols));
      for (int64_t ih = box.ihLo; ih <= box.ihHi; ++ih) {
        if (box.rowSlot[static_cast<size_t>(ih - box.ihLo)] < 0) continue;
        const uint64_t pixel0 = (b * g.inH + static_cast<uint64_t>(ih)) * g.inW;
        // Runs of consecutive grid columns; whole channel vectors join into one run.
        int64_t iw = box.iwLo;
        while (iw <= box.iwHi) {
          if (box.colSlot[static_cast<size_t>(iw - box.iwLo)] < 0) {
            ++iw;
            continue;
          }
          int64_t end = iw;
          if (cLo == 0 && cHi == c) {
            while (end + 1 <= box.iwHi && box.colSlot[static_cast<size_t>(end + 1 - box.iwLo)] >= 0)
              ++end;
          }
          const uint64_t pixels = static_cast<uint64_t>(end - iw + 1);
          plan.runs.push_back({op.base + ((pixel0 + static_cast<uint64_t>(iw)) * c + cLo) * eb,
                               pixels * runElems * eb, offset});
          plan.span.add(plan.runs.back().address, plan.runs.back().bytes);
          offset += pixels * runElems * eb;
          iw = end + 1;
        }
      }
    } else if (countOnly) {
      continue;
    }
    plan.boxes.push_back(box);
  }
  plan.stagingBytes = offset;
  return "";
}

void assembleDenseTile(const OperandConfig& op, const LayerState& L, TileRange rows, uint32_t k0,
                       uint32_t klen, uint32_t eb, const GatherPlan& plan, const uint8_t* staging,
                       uint8_t* tile, TileOrder order) {
  const uint64_t rowElements = L.kElements(klen), rowBytes = rowElements * eb;
  const bool kMajor = order == TileOrder::KMajor;
  if (!op.conv) {  // the staging buffer holds the rows in order
    if (!kMajor) {
      std::memcpy(tile, staging, rowBytes * rows.length);
      return;
    }
    for (uint32_t r = 0; r < rows.length; ++r)
      for (uint64_t kk = 0; kk < rowElements; ++kk)
        std::memcpy(tile + (kk * rows.length + r) * eb, staging + (r * rowElements + kk) * eb, eb);
    return;
  }
  const std::vector<KSegment> segments = L.kSegments(k0, klen);
  const tasd::ConvGeometry& g = op.geometry;
  const ConvIndex ci = convIndex(g);
  const uint64_t c = g.channels;
  // The tile's K as runs of channels at one kernel position each, worked out once for every
  // row: the kernel position (row fr, column fs), the first channel, the run's length and where
  // it lands in a tile row.
  std::vector<ChannelRun> runs;
  uint64_t out = 0;
  for (const KSegment& seg : segments) {
    uint64_t kk = seg.begin;
    const uint64_t end = seg.begin + seg.length;
    while (kk < end) {
      const uint64_t rs = kk / c, ch = kk % c;
      const uint64_t runEnd = std::min<uint64_t>(end, (rs + 1) * c);
      runs.push_back(ChannelRun{static_cast<uint32_t>(rs / g.kw), static_cast<uint32_t>(rs % g.kw),
                                ch, runEnd - kk, out});
      out += runEnd - kk;
      kk = runEnd;
    }
  }
  if (kMajor) {
    switch (eb) {
      case 1:
        assembleKMajor<uint8_t>(g, ci, rows, plan, runs, staging, tile);
        return;
      case 2:
        assembleKMajor<uint16_t>(g, ci, rows, plan, runs, staging, tile);
        return;
      default:
        assembleKMajor<uint32_t>(g, ci, rows, plan, runs, staging, tile);
        return;
    }
  }
  // Per output position: the grid row of each kernel row and the grid column of each kernel
  // column (-1: padding or not in the box), so that an element costs two small-table reads.
  std::vector<int64_t> gridRow(g.kh), gridCol(g.kw);
  size_t boxIndex = 0;
  for (uint32_t r = 0; r < rows.length; ++r) {
    const uint64_t p = rows.begin + r;
    const uint64_t b = p / ci.perImage, pi = p % ci.perImage;
    while (plan.boxes[boxIndex].image != b)
      ++boxIndex;
    const ConvBox& box = plan.boxes[boxIndex];
    const uint64_t boxC = box.cHi - box.cLo;
    const int64_t ih0 = static_cast<int64_t>(pi / ci.wo) * static_cast<int64_t>(g.strideH) -
                        static_cast<int64_t>(g.padTop);
    const int64_t iw0 = static_cast<int64_t>(pi % ci.wo) * static_cast<int64_t>(g.strideW) -
                        static_cast<int64_t>(g.padLeft);
    const bool boxEmpty = box.rowSlot.empty() || box.colSlot.empty();  // all in the padding
    for (uint32_t fr = 0; fr < g.kh; ++fr) {
      const int64_t ih = ih0 + int64_t{fr} * static_cast<int64_t>(g.dilationH);
      const int32_t slot = boxEmpty || ih < box.ihLo || ih > box.ihHi
                               ? -1
                               : box.rowSlot[static_cast<size_t>(ih - box.ihLo)];
      gridRow[fr] = slot < 0 ? -1 : int64_t{slot} * box.gridCols;
    }
    for (uint32_t fs = 0; fs < g.kw; ++fs) {
      const int64_t iw = iw0 + int64_t{fs} * static_cast<int64_t>(g.dilationW);
      gridCol[fs] = boxEmpty || iw < box.iwLo || iw > box.iwHi
                        ? -1
                        : box.colSlot[static_cast<size_t>(iw - box.iwLo)];
    }
    const uint8_t* base = staging + box.stagingOffset;
    uint8_t* dst = tile + r * rowBytes;
    for (const ChannelRun& run : runs) {
      const int64_t gr = gridRow[run.fr], gc = gridCol[run.fs];
      uint8_t* to = dst + run.out * eb;
      if (gr < 0 || gc < 0) {  // padding reads zero
        std::memset(to, 0, run.length * eb);
        continue;
      }
      copyElements(to,
                   base + (static_cast<uint64_t>(gr + gc) * boxC + (run.channel - box.cLo)) * eb,
                   run.length * eb);
    }
  }
}

}  // namespace tasdsim::hw
