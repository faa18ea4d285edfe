#include "hw/model/tasd_unit/TasdUnits.h"

#include <cmath>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "sw/common/Half.h"
#include "sw/tasd/Decompose.h"

namespace tasdsim::hw {

uint64_t tasdTileCycles(const AcceleratorParams& params, const LayerState& L, uint64_t elements, uint32_t rows,
                        uint32_t ks, bool pixelBlocks, uint64_t* blocksOut, uint64_t* comparesOut) {
  std::set<uint32_t> blockSizes;
  for (uint32_t t = 0; t < L.terms; ++t) blockSizes.insert(L.term[t].pattern.m);
  uint64_t cycles = 0, blocks = 0, compares = 0;
  const uint64_t units = params.tasd.count ? params.tasd.count : 1;
  for (uint32_t m : blockSizes) {
    const uint64_t b = pixelBlocks ? (elements + m - 1) / m : uint64_t{rows} * ((uint64_t{ks} + m - 1) / m);
    blocks += b;
    compares += b * m;
    cycles += (b + units - 1) / units * m * params.tasd.cyclesPerElement;
  }
  if (blocksOut) *blocksOut = blocks;
  if (comparesOut) *comparesOut = compares;
  return cycles;
}

TasdUnits::TasdUnits(sc_core::sc_module_name name, const AcceleratorParams& params, StatsRegistry& stats,
                     const rtl::CosimOptions& cosim)
    : sc_module(name),
      ctrl_port("ctrl_port"),
      params_(params),
      busyCycles_(stats.add(std::string(this->name()) + ".busy_cycles", "cycles", "cycles decomposing tiles")),
      tiles_(stats.add(std::string(this->name()) + ".tiles", "tiles", "activation tiles decomposed")),
      blocks_(stats.add(std::string(this->name()) + ".blocks", "blocks", "m-blocks processed")),
      compares_(stats.add(std::string(this->name()) + ".compare_ops", "compares", "element comparisons")),
      thresholded_(stats.add(std::string(this->name()) + ".thresholded", "elements",
                             "nonzeros zeroed by the pseudo-density threshold")) {
  stalls_.assign(static_cast<size_t>(StallReason::Count), nullptr);
  stalls_[static_cast<size_t>(StallReason::WaitOperands)] = &stats.add(
      std::string(this->name()) + ".stall.wait_operands", "cycles", "waiting for the dense activation tile");
  if (params.tasd.impl == "rtl" && params.tasd.count > 0) rtl_ = rtl::makeTasdUnitsRtl("rtl", params, cosim);
  SC_HAS_PROCESS(TasdUnits);
  SC_THREAD(run);
}

void TasdUnits::run() {
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
std::vector<tasd::CompressedTerm> decomposeBox(const STile& s, tasd::DType dtype, const tasd::Series& series,
                                               float tau, uint64_t& zeroed) {
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
std::vector<tasd::CompressedTerm> TasdUnits::rtlDecomposeBox(const LayerState& L, const tasd::Series& series,
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
  rtl::TasdRtlResult r = rtl_->decompose(L.dtype, pixels, s.boxChannels, reinterpret_cast<const int8_t*>(s.box.data()),
                                         values.data(), series, L.tau);
  thresholded_ += r.zeroed;
  rtlCycles_ += r.cycles;
  return std::move(r.terms);
}

void TasdUnits::decomposePixels(const LayerState& L, const tasd::Series& series, STile& s) {
  uint64_t zeroed = 0;
  const std::vector<tasd::CompressedTerm> pixelTerms =
      rtl_ ? rtlDecomposeBox(L, series, s)
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
      while (s.boxPlan.boxes[boxIndex].image != b) ++boxIndex;
      const ConvBox& box = s.boxPlan.boxes[boxIndex];
      const int64_t oh = static_cast<int64_t>(pi / wo), ow = static_cast<int64_t>(pi % wo);
      for (uint32_t rs = 0; rs < positions; ++rs) {
        const int64_t ih = oh * static_cast<int64_t>(g.strideH) + static_cast<int64_t>(rs / g.kw * g.dilationH) -
                           static_cast<int64_t>(g.padTop);
        const int64_t iw = ow * static_cast<int64_t>(g.strideW) + static_cast<int64_t>(rs % g.kw * g.dilationW) -
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
}

bool TasdUnits::decompose(const Op& op) {
  const LayerState& L = ctrl_port->layer();
  STile& s = ctrl_port->sSlot(static_cast<uint32_t>(op.instruction.field[isa::tasd_op::Slot]));
  if (!s.denseLoaded) {
    ctrl_port->raise(ErrorCode::OperandError, op.pc,
                     fmt::format("{}: no dense activation tile in the slot", isa::disassemble(op.instruction)));
    return false;
  }
  for (uint32_t t = 0; t < L.terms; ++t) {
    if (!L.term[t].configured) {
      ctrl_port->raise(ErrorCode::OperandError, op.pc, fmt::format("TASD: term {} not configured", t));
      return false;
    }
  }
  const uint32_t rows = s.rows.length, ks = s.ks.length;
  uint64_t blocks = 0, compares = 0;
  uint64_t cycles = tasdTileCycles(params_, L, s.sourceElements, rows, ks, s.pixelBlocks, &blocks, &compares);
  if (rtl_ && !params_.functional) {
    ctrl_port->raise(ErrorCode::IllegalForConfig, op.pc, "TASD: the RTL units need values (not a timing-only run)");
    return false;
  }
  rtlCycles_ = 0;
  if (params_.functional) {
    tasd::Series series;
    for (uint32_t t = 0; t < L.terms; ++t) series.terms.push_back(L.term[t].pattern);
    s.terms.resize(L.terms);
    if (!s.box.empty()) {
      decomposePixels(L, series, s);
    } else if (rtl_) {
      rtl::TasdRtlResult r = rtl_->decompose(L.dtype, rows, ks, s.denseI8.data(), s.denseF.data(), series, L.tau);
      thresholded_ += r.zeroed;
      rtlCycles_ += r.cycles;
      for (uint32_t t = 0; t < L.terms; ++t) s.terms[t] = std::move(r.terms[t]);
    } else if (L.dtype == tasd::DType::I8) {
      tasd::MatrixI8 tile(rows, ks, s.denseI8);
      thresholded_ += threshold(tile.values(), L.tau);
      tasd::Decomposition<int8_t> d;
      tasd::decompose(tile, series, d, false);
      for (uint32_t t = 0; t < L.terms; ++t) s.terms[t] = std::move(d.terms[t]);
    } else {
      tasd::MatrixF tile(rows, ks, s.denseF);
      thresholded_ += threshold(tile.values(), L.tau);
      tasd::Decomposition<float> d;
      tasd::decompose(tile, series, L.dtype, d, false);
      for (uint32_t t = 0; t < L.terms; ++t) s.terms[t] = std::move(d.terms[t]);
    }
  }
  uint64_t termBytes = 0;
  for (uint32_t t = 0; t < L.terms; ++t) {
    const tasd::NMPattern p = L.term[t].pattern;
    const uint64_t slots = (uint64_t{ks} + p.m - 1) / p.m * p.n;
    termBytes += uint64_t{rows} * (slots * L.elementBytes() + (slots * p.indexBits() + 7) / 8);
    s.termLoaded[t] = true;
  }
  if (rtl_) {
    cycles = rtlCycles_;  // the RTL's clock has advanced the time already
  } else {
    sc_core::wait(sc_core::sc_time(static_cast<double>(cycles) * params_.clockPeriodNs(), sc_core::SC_NS));
  }
  *ctrl_port->buffers().sRead += uint64_t{rows} * ks * L.elementBytes();
  *ctrl_port->buffers().sWrite += termBytes;
  busyCycles_ += cycles;
  ++tiles_;
  blocks_ += blocks;
  compares_ += compares;
  return true;
}

}  // namespace tasdsim::hw
