#include "hw/model/tasd_unit/TasdUnit.h"

#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "hw/model/tasd_unit/TasdUnitStats.h"
#include "sw/common/Half.h"
#include "sw/tasd/Decompose.h"

namespace tasdsim::hw {

namespace {

// A pass: consecutive terms [first, first + count) of one block size.
struct Pass {
  uint32_t m = 0;
  size_t first = 0, count = 0;
  uint32_t n = 0;  // sum of the terms' n: the most selections a block takes
};

std::vector<Pass> passesOf(const tasd::Series& series) {
  std::vector<Pass> passes;
  for (size_t t = 0; t < series.order(); ++t) {
    const tasd::NMPattern p = series.terms[t];
    if (passes.empty() || passes.back().m != p.m || passes.back().count == kTasdTermsPerPass)
      passes.push_back({p.m, t, 0, 0});
    ++passes.back().count;
    passes.back().n += p.n;
  }
  return passes;
}

// Marks the elements the pass's terms kept as no longer alive: from the terms when known (a kept
// value is never zero), otherwise the first `s` alive elements of each block.
void removeKept(const Pass& pass, size_t rows, size_t cols, std::vector<uint8_t>& alive,
                const std::vector<tasd::CompressedTerm>* terms) {
  const size_t blocksPerRow = (cols + pass.m - 1) / pass.m;
  if (terms) {
    for (size_t t = pass.first; t < pass.first + pass.count; ++t) {
      const tasd::CompressedTerm& term = (*terms)[t];
      const uint32_t n = term.pattern().n;
      for (size_t r = 0; r < rows; ++r)
        for (size_t slot = 0; slot < term.slotsPerRow(); ++slot) {
          const float v = term.valueAsFloat(r, slot);
          if (v != 0.0f || std::isnan(v))
            alive[r * cols + slot / n * pass.m + term.index(r, slot)] = 0;
        }
    }
    return;
  }
  for (size_t r = 0; r < rows; ++r)
    for (size_t b = 0; b < blocksPerRow; ++b) {
      uint32_t left = pass.n;
      for (size_t c = b * pass.m; c < std::min(cols, (b + 1) * pass.m) && left; ++c) {
        uint8_t& a = alive[r * cols + c];
        if (a) {
          a = 0;
          --left;
        }
      }
    }
}

// tasdTileTiming over alive, which holds aliveRows rows: every row, or one row that stands for
// every row (each row's blocks then take the same selections).
TasdTileTiming tileTiming(const TasdUnitParams& params, const tasd::Series& series, size_t rows,
                          size_t cols, std::vector<uint8_t> alive, size_t aliveRows,
                          const std::vector<tasd::CompressedTerm>* terms) {
  TasdTileTiming out;
  const uint32_t units = std::max<uint32_t>(1, params.count);
  const int64_t perSelection = params.cyclesPerElement;
  const std::vector<Pass> passes = passesOf(series);
  for (size_t p = 0; p < passes.size(); ++p) {
    const Pass& pass = passes[p];
    const int64_t beats = static_cast<int64_t>(pass.count);
    const size_t blocksPerRow = (cols + pass.m - 1) / pass.m;
    if (rows * blocksPerRow == 0) continue;  // nothing handed out: no cycle
    // Selections per block: its nonzeros, at most the pass's n, at least one.
    const size_t blocks = rows * blocksPerRow;
    std::vector<int64_t> selections(blocks);
    bool uniform = true;
    for (size_t r = 0; r < aliveRows; ++r) {
      const uint8_t* row = alive.data() + r * cols;
      for (size_t b = 0; b < blocksPerRow; ++b) {
        uint32_t nonzeros = 0;
        for (size_t c = b * pass.m; c < std::min(cols, (b + 1) * pass.m); ++c)
          nonzeros += row[c];
        const int64_t sel = std::max<int64_t>(1, std::min(pass.n, nonzeros));
        selections[r * blocksPerRow + b] = sel;
        uniform = uniform && sel == selections[0];
        out.compares += static_cast<uint64_t>(sel) * pass.m * (rows / aliveRows);
      }
    }
    for (size_t i = aliveRows * blocksPerRow; i < blocks; ++i)  // rows alike: repeat the row
      selections[i] = selections[i % blocksPerRow];
    int64_t lastBeat = 0;
    if (uniform && perSelection > 0) {
      // Every block alike: block i goes to unit i mod units in round i / units, and a unit's
      // blocks move on every max(selection time, beats) cycles after its first.
      const int64_t first = selections[0] * perSelection;
      const int64_t period = std::max(first, beats);
      lastBeat = first + static_cast<int64_t>((blocks - 1) / units) * period + beats;
    } else {
      // Per unit: the cycle it can take a block (in_ready), and the edge its last block moved
      // to its output stage; blocks go to the ready unit first, the lowest-numbered on a tie.
      // The ready cycle and the unit are one key (cycle << shift | unit), so that the next unit
      // is the smallest key: a branch-free scan over a few units.
      int shift = 0;
      while ((uint64_t{1} << shift) < units)
        ++shift;
      const int64_t unitMask = (int64_t{1} << shift) - 1;
      std::vector<int64_t> ready(units), moved(units, -beats);
      for (uint32_t u = 0; u < units; ++u)
        ready[u] = u;
      for (size_t i = 0; i < blocks; ++i) {
        int64_t even = ready[0], odd = ready[units > 1 ? 1 : 0];
        for (uint32_t u = 2; u + 1 < units; u += 2) {
          even = ready[u] < even ? ready[u] : even;
          odd = ready[u + 1] < odd ? ready[u + 1] : odd;
        }
        if (units > 2 && units % 2) even = ready[units - 1] < even ? ready[units - 1] : even;
        const int64_t key = std::min(even, odd);
        const int64_t accepted = key >> shift;
        const size_t u = static_cast<size_t>(key & unitMask);
        // Selections end, and the block moves on once the output stage handed out the last one.
        const int64_t move = std::max(accepted + selections[i] * perSelection, moved[u] + beats);
        moved[u] = move;
        lastBeat = std::max(lastBeat, move + beats);
        ready[u] = move * (unitMask + 1) + static_cast<int64_t>(u);
      }
    }
    out.blocks += uint64_t{rows} * blocksPerRow;
    out.cycles += static_cast<uint64_t>(lastBeat) + 1;
    if (p + 1 < passes.size()) removeKept(pass, aliveRows, cols, alive, terms);
  }
  return out;
}

}  // namespace

TasdTileTiming tasdTileTiming(const TasdUnitParams& params, const tasd::Series& series, size_t rows,
                              size_t cols, std::vector<uint8_t> alive,
                              const std::vector<tasd::CompressedTerm>* terms) {
  return tileTiming(params, series, rows, cols, std::move(alive), rows, terms);
}

TasdTileTiming tasdTileTimingAllAlive(const TasdUnitParams& params, const tasd::Series& series,
                                      size_t rows, size_t cols) {
  if (rows == 0) return tileTiming(params, series, 0, cols, {}, 0, nullptr);
  return tileTiming(params, series, rows, cols, std::vector<uint8_t>(cols, 1), 1, nullptr);
}

double tasdTileCycles(const TasdUnitParams& params, const tasd::Series& series, double elements) {
  const double units = std::max<uint32_t>(1, params.count);
  double cycles = 0;
  for (const Pass& pass : passesOf(series)) {
    const double perBlock =
        std::max<double>(std::min(pass.n, pass.m) * params.cyclesPerElement, pass.count);
    cycles += std::ceil(std::ceil(elements / pass.m) / units) * perBlock + 1 + pass.count;
  }
  return cycles;
}

TasdUnit::TasdUnit(sc_core::sc_module_name name, const TasdUnitParams& params,
                   const BlockContext& context, StatsRegistry& stats,
                   const rtl::CosimOptions& cosim)
    : sc_module(name),
      ctrl_port("ctrl_port"),
      params_(params),
      context_(context),
      busyCycles_(addStat(stats, this->name(), TasdUnitStats::kBusyCycles)),
      tiles_(addStat(stats, this->name(), TasdUnitStats::kTiles)),
      blocks_(addStat(stats, this->name(), TasdUnitStats::kBlocks)),
      compares_(addStat(stats, this->name(), TasdUnitStats::kCompareOps)),
      thresholded_(addStat(stats, this->name(), TasdUnitStats::kThresholded)) {
  stalls_.assign(static_cast<size_t>(StallReason::Count), nullptr);
  stalls_[static_cast<size_t>(StallReason::WaitOperands)] =
      &addStat(stats, this->name(), TasdUnitStats::kStallWaitOperands);
  stalls_[static_cast<size_t>(StallReason::WaitBufferFree)] =
      &addStat(stats, this->name(), TasdUnitStats::kStallWaitBufferFree);
  if (params.impl == "rtl" && params.count > 0)
    rtl_ = rtl::makeTasdUnitRtl("rtl", params, context, cosim);
  SC_HAS_PROCESS(TasdUnit);
  SC_THREAD(run);
}

void TasdUnit::run() {
  Op& op = op_;
  while (true) {
    if (ctrl_port->next(UnitKind::Tasd, op, stalls_)) decompose(op);
    ctrl_port->done(op);
  }
}

namespace {

// Pseudo-density: |x| <= tau becomes zero. Returns how many nonzeros it zeroed.
template <typename T>
uint64_t threshold(std::vector<T>& values, float tau) {
  if (tau < 0.0f) return 0;
  uint64_t zeroed = 0;
  for (T& v : values) {
    if (v != T{} && std::fabs(static_cast<float>(v)) <= tau) {
      v = T{};
      ++zeroed;
    }
  }
  return zeroed;
}

// Decomposes a box matrix (one row per input pixel, boxChannels channels) into the series.
template <typename T>
std::vector<tasd::CompressedTerm> decomposeBox(const STile& s, tasd::DType dtype,
                                               const tasd::Series& series, float tau,
                                               uint64_t& zeroed) {
  const size_t eb = tasd::dtypeBytes(dtype);
  const size_t pixels = s.box.size() / (s.boxChannels * eb);
  std::vector<T> values(pixels * s.boxChannels);
  if constexpr (std::is_same_v<T, int8_t>) {
    std::memcpy(values.data(), s.box.data(), values.size());
  } else if (dtype == tasd::DType::F32) {
    std::memcpy(values.data(), s.box.data(), values.size() * 4);
  } else {
    for (size_t i = 0; i < values.size(); ++i) {
      values[i] = bf16ToFloat(static_cast<uint16_t>(s.box[2 * i] | (s.box[2 * i + 1] << 8)));
    }
  }
  zeroed += threshold(values, tau);
  tasd::Matrix<T> m(pixels, s.boxChannels, std::move(values));
  tasd::Decomposition<T> d;  // the terms only: the units keep no statistics
  if constexpr (std::is_same_v<T, int8_t>) {
    tasd::decompose(m, series, d, false);
  } else {
    tasd::decompose(m, series, dtype, d, false);
  }
  return std::move(d.terms);
}

}  // namespace

// A conv input whose channel runs hold whole blocks: each pixel's channels are decomposed once
// and the tile's terms (one row per output position, the kernel positions one after another)
// are formed from the pixels' compressed blocks; positions in the padding stay empty. This
// equals decomposing every im2col row, since no block spans two pixels.
// The box through the RTL units: the same pixels x channels matrix decomposeBox builds.
std::vector<tasd::CompressedTerm> TasdUnit::rtlDecomposeBox(const LayerState& L,
                                                            const tasd::Series& series,
                                                            const STile& s) {
  const size_t eb = tasd::dtypeBytes(L.dtype);
  const size_t pixels = s.box.size() / (s.boxChannels * eb);
  std::vector<float> values;
  if (L.dtype != tasd::DType::I8) {
    values.resize(pixels * s.boxChannels);
    for (size_t i = 0; i < values.size(); ++i) {
      if (L.dtype == tasd::DType::F32) {
        std::memcpy(&values[i], s.box.data() + 4 * i, 4);
      } else {
        values[i] = bf16ToFloat(static_cast<uint16_t>(s.box[2 * i] | (s.box[2 * i + 1] << 8)));
      }
    }
  }
  rtl::TasdRtlResult r =
      rtl_->decompose(L.dtype, pixels, s.boxChannels, reinterpret_cast<const int8_t*>(s.box.data()),
                      values.data(), series, L.tau);
  thresholded_ += r.zeroed;
  rtlCycles_ += r.cycles;
  return std::move(r.terms);
}

std::vector<tasd::CompressedTerm> TasdUnit::decomposePixels(const LayerState& L,
                                                            const tasd::Series& series, STile& s) {
  uint64_t zeroed = 0;
  const std::vector<tasd::CompressedTerm> pixelTerms =
      rtl_                         ? rtlDecomposeBox(L, series, s)
      : L.dtype == tasd::DType::I8 ? decomposeBox<int8_t>(s, L.dtype, series, L.tau, zeroed)
                                   : decomposeBox<float>(s, L.dtype, series, L.tau, zeroed);
  thresholded_ += zeroed;
  const tasd::ConvGeometry& g = L.s.geometry;
  const uint64_t ho = g.outH(), wo = g.outW(), perImage = ho * wo;
  const uint32_t positions = L.kernelPositions;
  const uint64_t pixelRowBytes = uint64_t{s.boxChannels} * L.elementBytes();
  for (uint32_t t = 0; t < L.terms; ++t) {
    const tasd::CompressedTerm& src = pixelTerms[t];
    const tasd::NMPattern p = src.pattern();
    const size_t slots = src.slotsPerRow();  // per pixel
    const size_t valueBytes = slots * tasd::dtypeBytes(L.dtype), metaBits = slots * p.indexBits();
    tasd::CompressedTerm dst(p, L.dtype, s.rows.length, s.ks.length);
    size_t boxIndex = 0;
    for (uint32_t r = 0; r < s.rows.length; ++r) {
      const uint64_t pos = s.rows.begin + r, b = pos / perImage, pi = pos % perImage;
      while (s.boxPlan.boxes[boxIndex].image != b)
        ++boxIndex;
      const ConvBox& box = s.boxPlan.boxes[boxIndex];
      const int64_t oh = static_cast<int64_t>(pi / wo), ow = static_cast<int64_t>(pi % wo);
      for (uint32_t rs = 0; rs < positions; ++rs) {
        const int64_t ih = oh * static_cast<int64_t>(g.strideH) +
                           static_cast<int64_t>(rs / g.kw * g.dilationH) -
                           static_cast<int64_t>(g.padTop);
        const int64_t iw = ow * static_cast<int64_t>(g.strideW) +
                           static_cast<int64_t>(rs % g.kw * g.dilationW) -
                           static_cast<int64_t>(g.padLeft);
        const int64_t inGrid = box.pixel(ih, iw);
        if (inGrid < 0) continue;  // padding: an empty block
        const uint64_t pixel = box.stagingOffset / pixelRowBytes + static_cast<uint64_t>(inGrid);
        std::memcpy(dst.valueRow(r) + rs * valueBytes, src.valueRow(pixel), valueBytes);
        tasd::copyBits(dst.metaRow(r), rs * metaBits, src.metaRow(pixel), 0, metaBits);
      }
    }
    s.terms[t] = std::move(dst);
  }
  return pixelTerms;
}

namespace {

// alive[i] = value i is nonzero after the threshold (tau < 0: no threshold), for `count`
// values load(i); one simple loop per case, so that it vectorises.
template <typename Load>
void markAlive(size_t count, float tau, Load load, uint8_t* alive) {
  if (tau >= 0.0f) {
    for (size_t i = 0; i < count; ++i) {
      const float v = load(i);
      alive[i] = static_cast<uint8_t>((v != 0.0f) & !(std::fabs(v) <= tau));
    }
  } else {
    for (size_t i = 0; i < count; ++i)
      alive[i] = static_cast<uint8_t>(load(i) != 0.0f);
  }
}

// The elements of the matrix the units decompose that are nonzero after the threshold.
std::vector<uint8_t> aliveElements(const LayerState& L, const STile& s) {
  std::vector<uint8_t> alive;
  if (!s.box.empty()) {
    const uint8_t* box = s.box.data();
    const size_t eb = tasd::dtypeBytes(L.dtype), count = s.box.size() / eb;
    alive.resize(count);
    if (L.dtype == tasd::DType::I8) {
      markAlive(
          count, L.tau, [&](size_t i) { return static_cast<float>(static_cast<int8_t>(box[i])); },
          alive.data());
    } else if (L.dtype == tasd::DType::F32) {
      markAlive(
          count, L.tau,
          [&](size_t i) {
            float v;
            std::memcpy(&v, box + 4 * i, 4);
            return v;
          },
          alive.data());
    } else {
      markAlive(
          count, L.tau,
          [&](size_t i) {
            return bf16ToFloat(static_cast<uint16_t>(box[2 * i] | (box[2 * i + 1] << 8)));
          },
          alive.data());
    }
  } else if (L.dtype == tasd::DType::I8) {
    alive.resize(s.denseI8.size());
    const int8_t* v = s.denseI8.data();
    markAlive(
        alive.size(), L.tau, [&](size_t i) { return static_cast<float>(v[i]); }, alive.data());
  } else {
    alive.resize(s.denseF.size());
    const float* v = s.denseF.data();
    markAlive(
        alive.size(), L.tau, [&](size_t i) { return v[i]; }, alive.data());
  }
  return alive;
}

}  // namespace

std::vector<tasd::CompressedTerm> TasdUnit::decomposeValues(const LayerState& L,
                                                            const tasd::Series& series, STile& s) {
  const uint32_t rows = s.rows.length, ks = s.ks.length;
  s.terms.resize(L.terms);
  if (!s.box.empty()) return decomposePixels(L, series, s);
  if (rtl_) {
    rtl::TasdRtlResult r =
        rtl_->decompose(L.dtype, rows, ks, s.denseI8.data(), s.denseF.data(), series, L.tau);
    thresholded_ += r.zeroed;
    rtlCycles_ += r.cycles;
    for (uint32_t t = 0; t < L.terms; ++t)
      s.terms[t] = std::move(r.terms[t]);
  } else if (L.dtype == tasd::DType::I8) {
    tasd::MatrixI8 tile(rows, ks, s.denseI8);
    thresholded_ += threshold(tile.values(), L.tau);
    tasd::Decomposition<int8_t> d;
    tasd::decompose(tile, series, d, false);
    for (uint32_t t = 0; t < L.terms; ++t)
      s.terms[t] = std::move(d.terms[t]);
  } else {
    tasd::MatrixF tile(rows, ks, s.denseF);
    thresholded_ += threshold(tile.values(), L.tau);
    tasd::Decomposition<float> d;
    tasd::decompose(tile, series, L.dtype, d, false);
    for (uint32_t t = 0; t < L.terms; ++t)
      s.terms[t] = std::move(d.terms[t]);
  }
  return s.terms;
}

bool TasdUnit::decompose(const Op& op) {
  const LayerState& L = ctrl_port->layer();
  STile& s =
      ctrl_port->buffer().s.slot(static_cast<uint32_t>(op.instruction.field[isa::tasd_op::Slot]));
  if (!s.denseLoaded) {
    ctrl_port->raise(
        ErrorCode::OperandError, op.pc,
        fmt::format("{}: no dense activation tile in the slot", isa::disassemble(op.instruction)));
    return false;
  }
  for (uint32_t t = 0; t < L.terms; ++t) {
    if (!L.term[t].configured) {
      ctrl_port->raise(ErrorCode::OperandError, op.pc,
                       fmt::format("TASD: term {} not configured", t));
      return false;
    }
  }
  if (rtl_ && !context_.functional) {
    ctrl_port->raise(ErrorCode::IllegalForConfig, op.pc,
                     "TASD: the RTL units need values (not a timing-only run)");
    return false;
  }
  const uint32_t rows = s.rows.length, ks = s.ks.length;
  tasd::Series series;
  for (uint32_t t = 0; t < L.terms; ++t)
    series.terms.push_back(L.term[t].pattern);
  // The matrix the units decompose: a conv box (pixels x channels) or the tile (rows x ks).
  const bool box = context_.functional ? !s.box.empty() : s.pixelBlocks && s.sourceElements > 0;
  const size_t cols = box ? (context_.functional ? s.boxChannels : ks) : ks;
  const size_t matrixRows = box ? s.sourceElements / cols : rows;
  TasdTileTiming timing;
  rtlCycles_ = 0;
  if (context_.functional) {
    std::vector<uint8_t> alive = aliveElements(L, s);
    const std::vector<tasd::CompressedTerm> matrixTerms = decomposeValues(L, series, s);
    timing = tasdTileTiming(params_, series, matrixRows, cols, std::move(alive), &matrixTerms);
  } else {
    timing = tasdTileTimingAllAlive(params_, series, matrixRows, cols);
  }
  uint64_t termBytes = 0;
  for (uint32_t t = 0; t < L.terms; ++t) {
    const tasd::NMPattern p = L.term[t].pattern;
    const uint64_t slots = (uint64_t{ks} + p.m - 1) / p.m * p.n;
    termBytes += uint64_t{rows} * (slots * L.elementBytes() + (slots * p.indexBits() + 7) / 8);
    s.termLoaded[t] = true;
  }
  uint64_t cycles = timing.cycles;
  if (rtl_) {
    cycles = rtlCycles_;  // the RTL's clock has advanced the time already
  } else {
    sc_core::wait(context_.cycles(static_cast<double>(cycles)));
  }
  ctrl_port->buffer().s.countRead(uint64_t{rows} * ks * L.elementBytes());
  ctrl_port->buffer().s.countWrite(termBytes);
  busyCycles_ += cycles;
  ++tiles_;
  blocks_ += timing.blocks;
  compares_ += timing.compares;
  return true;
}

}  // namespace tasdsim::hw
