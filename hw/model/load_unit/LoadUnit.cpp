#include "hw/model/load_unit/LoadUnit.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "hw/model/dataflow/DataflowStats.h"
#include "hw/model/dataflow/OperandLayout.h"
#include "hw/model/load_unit/LoadUnitStats.h"
#include "sw/common/Half.h"

namespace tasdsim::hw {

LoadUnit::LoadUnit(sc_core::sc_module_name name, const BlockContext& context, StatsRegistry& stats)
    : sc_module(name),
      ctrl_port("ctrl_port"),
      dma_socket("dma_socket"),
      context_(context),
      busyCycles_(addStat(stats, this->name(), LoadUnitStats::kBusyCycles)),
      requests_(addStat(stats, this->name(), LoadUnitStats::kRequests)),
      dramS_(addStat(stats, this->name(), LoadUnitStats::kDramBytesS)),
      dramD_(addStat(stats, this->name(), LoadUnitStats::kDramBytesD)),
      dramC_(addStat(stats, this->name(), LoadUnitStats::kDramBytesC)) {
  stalls_.assign(static_cast<size_t>(StallReason::Count), nullptr);
  stalls_[static_cast<size_t>(StallReason::WaitBufferFree)] =
      &addStat(stats, this->name(), LoadUnitStats::kStallWaitBufferFree);
  SC_HAS_PROCESS(LoadUnit);
  SC_THREAD(run);
}

bool LoadUnit::fail(const Op& op, ErrorCode code, const std::string& why) {
  ctrl_port->raise(code, op.pc, fmt::format("{}: {}", isa::disassemble(op.instruction), why));
  return false;
}

void LoadUnit::run() {
  Op& op = op_;
  while (true) {
    if (!ctrl_port->next(UnitKind::Load, op, stalls_)) {
      ctrl_port->done(op);
      continue;
    }
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    DmaBatch dma(dma_socket);
    uint64_t sramBytes = 0;
    bool ok = false;
    BufferSet& buffer = ctrl_port->buffer();
    BufferParams port = buffer.s.params();
    switch (op.instruction.opcode) {
      case isa::Opcode::LoadS:
        ok = op.instruction.field[isa::load_s::Dense] ? loadDenseS(op, dma, sramBytes)
                                                      : loadStructured(op, dma, sramBytes);
        break;
      case isa::Opcode::LoadD:
        port = buffer.d.params();
        ok = loadD(op, dma, sramBytes);
        break;
      default:
        port = buffer.acc.params();
        ok = loadC(op, dma, sramBytes);
        break;
    }
    if (ok) {
      const sc_core::sc_time sram =
          context_.cycles(std::ceil(static_cast<double>(sramBytes) / port.portBytesPerCycle()));
      sc_core::wait(std::max(dma.delay(), sram));
      requests_ += dma.requests();
      busyCycles_ += context_.cyclesSince(start);
    }
    ctrl_port->done(op);
  }
}

bool LoadUnit::loadStructured(const Op& op, DmaBatch& dma, uint64_t& sramBytes) {
  namespace f = isa::load_s;
  const auto& in = op.instruction.field;
  const LayerState& L = ctrl_port->layer();
  const uint32_t t = static_cast<uint32_t>(in[f::Term]);
  if (L.source != isa::SSource::Precomputed)
    return fail(op, ErrorCode::OperandError, "layer's S operand is not precomputed");
  const TermConfig& tc = L.term[t];
  if (!tc.configured)
    return fail(op, ErrorCode::OperandError, fmt::format("term {} not configured", t));
  const TileRange rows{static_cast<uint32_t>(in[f::I0]), static_cast<uint32_t>(in[f::ILen])};
  const uint32_t k0 = static_cast<uint32_t>(in[f::K0]), klen = static_cast<uint32_t>(in[f::KLen]);
  const std::vector<KSegment> segments = L.kSegments(k0, klen);
  if (rows.length == 0 || segments.empty() || uint64_t{rows.begin} + rows.length > L.m) {
    return fail(op, ErrorCode::OperandError, "tile outside the GEMM");
  }
  const tasd::NMPattern p = tc.pattern;
  const uint32_t bits = p.indexBits(), eb = L.elementBytes();
  if (!L.wholeBlocks(segments, p.m)) {
    return fail(op, ErrorCode::OperandError,
                fmt::format("K tile does not hold whole blocks of {}", p.m));
  }
  const TileRange ks{k0, static_cast<uint32_t>(L.kElements(klen))};
  const uint64_t rowBlocks = (uint64_t{L.k} + p.m - 1) / p.m;
  const uint64_t valueRow = rowBlocks * p.n * eb, metaRow = (rowBlocks * p.n * bits + 7) / 8;
  const uint64_t tileSlots = (uint64_t{ks.length} + p.m - 1) / p.m * p.n;
  const uint64_t tileBytes = uint64_t{rows.length} * (tileSlots * eb + (tileSlots * bits + 7) / 8);
  STile& s = ctrl_port->buffer().s.slot(static_cast<uint32_t>(in[f::Slot]));
  if (s.rows != rows || s.ks != ks || s.denseLoaded) {
    s.clear();
    s.rows = rows;
    s.ks = ks;
  }
  s.termBytes[t] = tileBytes;  // a term loaded again replaces itself
  s.bytes = 0;
  for (uint64_t b : s.termBytes)
    s.bytes += b;
  if (s.bytes > ctrl_port->buffer().s.params().slotBytes()) {
    return fail(op, ErrorCode::OperandError,
                fmt::format("tile needs {} bytes, S buffer slot holds {}", s.bytes,
                            ctrl_port->buffer().s.params().slotBytes()));
  }
  const bool functional = context_.functional;
  if (functional) {
    if (s.terms.size() < L.terms) s.terms.resize(L.terms);
    s.terms[t] = tasd::CompressedTerm(p, L.dtype, rows.length, ks.length);
  }
  std::vector<uint8_t> metaBytes;
  for (uint32_t r = 0; r < rows.length; ++r) {
    const uint64_t row = rows.begin + r;
    uint64_t slot = 0;  // slot position within the tile row
    for (const KSegment& seg : segments) {
      const uint64_t b0 = seg.begin / p.m, nb = (uint64_t{seg.length} + p.m - 1) / p.m;
      // Values: a contiguous run of slots.
      uint8_t* v = functional ? s.terms[t].valueRow(r) + slot * eb : nullptr;
      // Metadata: the bytes covering this run's bits, realigned into the tile's bit stream.
      const uint64_t bitBegin = b0 * p.n * bits, bitCount = nb * p.n * bits;
      const uint64_t byteBegin = bitBegin / 8, byteEnd = (bitBegin + bitCount + 7) / 8;
      if (functional) metaBytes.assign(byteEnd - byteBegin, 0);
      if (!dma.read(tc.valuesAddr + row * valueRow + b0 * p.n * eb, v, nb * p.n * eb) ||
          !dma.read(tc.metaAddr + row * metaRow + byteBegin,
                    functional ? metaBytes.data() : nullptr, byteEnd - byteBegin)) {
        return fail(op, ErrorCode::BusError,
                    fmt::format("read at 0x{:x} failed", dma.failedAddress()));
      }
      if (functional) {
        uint8_t* m = s.terms[t].metaRow(r);
        tasd::copyBits(m, slot * bits, metaBytes.data(), bitBegin - byteBegin * 8, bitCount);
      }
      slot += nb * p.n;
    }
  }
  s.termLoaded[t] = true;
  dramS_ += dma.bytes();
  sramBytes = tileBytes;
  ctrl_port->buffer().s.countWrite(sramBytes);
  return true;
}

namespace {

// Conv tiles with fewer channels than this are assembled K-major element by element; wider ones
// row-major and transposed in blocks (long runs scattered one element at a time miss the cache).
constexpr uint64_t kShortChannelRun = 16;

// out[k * rows + r] = in[r * cols + k], in cache-sized blocks.
template <typename In, typename Out>
void transpose(const In* in, size_t rows, size_t cols, Out* out) {
  constexpr size_t kBlock = 32;
  for (size_t r0 = 0; r0 < rows; r0 += kBlock)
    for (size_t k0 = 0; k0 < cols; k0 += kBlock) {
      const size_t r1 = std::min(rows, r0 + kBlock), k1 = std::min(cols, k0 + kBlock);
      for (size_t k = k0; k < k1; ++k)
        for (size_t r = r0; r < r1; ++r)
          out[k * rows + r] = static_cast<Out>(in[r * cols + k]);
    }
}

// Converts raw elements to the slot's value arrays.
void toFloat(const uint8_t* raw, size_t count, tasd::DType dtype, std::vector<float>& out) {
  out.resize(count);
  if (dtype == tasd::DType::F32) {
    std::memcpy(out.data(), raw, count * 4);
  } else {
    for (size_t i = 0; i < count; ++i)
      out[i] = bf16ToFloat(static_cast<uint16_t>(raw[2 * i] | (raw[2 * i + 1] << 8)));
  }
}

}  // namespace

bool LoadUnit::loadDenseS(const Op& op, DmaBatch& dma, uint64_t& sramBytes) {
  namespace f = isa::load_s;
  const auto& in = op.instruction.field;
  const LayerState& L = ctrl_port->layer();
  if (L.source == isa::SSource::Precomputed && L.terms > 0) {
    return fail(op, ErrorCode::OperandError, "dense S load in a layer with precomputed terms");
  }
  const TileRange rows{static_cast<uint32_t>(in[f::I0]), static_cast<uint32_t>(in[f::ILen])};
  const uint32_t k0 = static_cast<uint32_t>(in[f::K0]), klen = static_cast<uint32_t>(in[f::KLen]);
  const TileRange ks{k0, static_cast<uint32_t>(L.kElements(klen))};
  if (uint64_t{rows.begin} + rows.length > L.m)
    return fail(op, ErrorCode::OperandError, "tile outside the GEMM");
  const GatherPlan* cached = densePlan(op, true, rows, k0, klen);
  if (!cached) return false;
  const GatherPlan& plan = *cached;
  for (uint32_t t = 0; L.source == isa::SSource::OnTheFly && t < L.terms; ++t) {
    if (!L.wholeBlocks(L.kSegments(k0, klen), L.term[t].pattern.m)) {
      return fail(op, ErrorCode::OperandError,
                  fmt::format("K tile does not hold whole blocks of {}", L.term[t].pattern.m));
    }
  }
  const uint64_t tileBytes = uint64_t{rows.length} * ks.length * L.elementBytes();
  const uint64_t need = L.s.conv ? std::max(tileBytes, plan.stagingBytes) : tileBytes;
  if (need > ctrl_port->buffer().s.params().slotBytes()) {
    return fail(op, ErrorCode::OperandError,
                fmt::format("tile needs {} bytes, S buffer slot holds {}", need,
                            ctrl_port->buffer().s.params().slotBytes()));
  }
  STile& s = ctrl_port->buffer().s.slot(static_cast<uint32_t>(in[f::Slot]));
  s.clear();
  s.rows = rows;
  s.ks = ks;
  s.bytes = need;
  const bool functional = context_.functional;
  if (functional) staging_.resize(plan.stagingBytes);
  if (!readPlan(op, dma, plan, true, rows, k0, klen)) return false;
  s.denseLoaded = true;
  s.sourceElements =
      L.s.conv ? plan.stagingBytes / L.elementBytes() : uint64_t{rows.length} * ks.length;
  s.pixelBlocks = L.s.conv;
  for (uint32_t t = 0; t < L.terms; ++t) {
    const uint32_t m = L.term[t].pattern.m;
    s.pixelBlocks = s.pixelBlocks && L.convChannels % m == 0 && k0 % m == 0 && klen % m == 0;
  }
  if (functional && s.pixelBlocks && L.source == isa::SSource::OnTheFly && !staging_.empty()) {
    // The TASD units decompose the box per pixel and form the tile's terms from it (a box
    // entirely in the padding reads nothing and takes the plain path: a zero tile).
    s.box.swap(staging_);
    s.boxPlan = plan;
    s.boxChannels = klen;
  } else if (functional) {
    std::vector<uint8_t> tile(tileBytes);
    assembleDenseTile(L.s, L, rows, k0, klen, L.elementBytes(), plan, staging_.data(), tile.data());
    if (L.dtype == tasd::DType::I8) {
      s.denseI8.assign(reinterpret_cast<const int8_t*>(tile.data()),
                       reinterpret_cast<const int8_t*>(tile.data()) + tile.size());
    } else {
      toFloat(tile.data(), uint64_t{rows.length} * ks.length, L.dtype, s.denseF);
    }
  }
  dramS_ += dma.bytes();
  sramBytes = plan.stagingBytes;
  ctrl_port->buffer().s.countWrite(sramBytes);
  return true;
}

const GatherPlan* LoadUnit::densePlan(const Op& op, bool isS, TileRange rows, uint32_t k0,
                                      uint32_t klen) {
  const LayerState& L = ctrl_port->layer();
  constexpr size_t kMaxPlans = 4096;  // bounds the memory a layer with many tiles holds
  if (planGeneration_ != L.generation || plans_.size() >= kMaxPlans) {
    plans_.clear();
    planGeneration_ = L.generation;
  }
  const auto key = std::make_tuple(isS, rows.begin, rows.length, k0, klen);
  const auto it = plans_.find(key);
  if (it != plans_.end()) return &it->second;
  GatherPlan plan;
  plan.spanOnly = !context_.functional;  // timing only: a matrix tile's runs in their span
  const std::string problem =
      planDenseTile(isS ? L.s : L.d, L, rows, k0, klen, L.elementBytes(), plan);
  if (!problem.empty()) {
    fail(op, ErrorCode::OperandError, problem);
    return nullptr;
  }
  return &plans_.emplace(key, std::move(plan)).first->second;
}

bool LoadUnit::readPlan(const Op& op, DmaBatch& dma, const GatherPlan& plan, bool isS,
                        TileRange rows, uint32_t k0, uint32_t klen) {
  const bool functional = context_.functional;
  const RunSpan& span = plan.span;
  if (!functional && !span.wraps &&
      dma.readSpan(span.first, span.lo, span.hi, span.bytes, span.runs)) {
    return true;
  }
  const GatherPlan* listed = &plan;
  GatherPlan all;  // a span-only plan's runs, one by one
  if (plan.runs.empty() && span.runs > 0) {
    const LayerState& L = ctrl_port->layer();
    planDenseTile(isS ? L.s : L.d, L, rows, k0, klen, L.elementBytes(), all);
    listed = &all;
  }
  for (const MemoryRun& run : listed->runs) {
    if (!dma.read(run.address, functional ? staging_.data() + run.stagingOffset : nullptr,
                  run.bytes)) {
      return fail(op, ErrorCode::BusError,
                  fmt::format("read at 0x{:x} failed", dma.failedAddress()));
    }
  }
  return true;
}

bool LoadUnit::loadD(const Op& op, DmaBatch& dma, uint64_t& sramBytes) {
  namespace f = isa::load_d;
  const auto& in = op.instruction.field;
  const LayerState& L = ctrl_port->layer();
  const TileRange cols{static_cast<uint32_t>(in[f::J0]), static_cast<uint32_t>(in[f::JLen])};
  const uint32_t k0 = static_cast<uint32_t>(in[f::K0]), klen = static_cast<uint32_t>(in[f::KLen]);
  const TileRange ks{k0, static_cast<uint32_t>(L.kElements(klen))};
  if (uint64_t{cols.begin} + cols.length > L.n)
    return fail(op, ErrorCode::OperandError, "tile outside the GEMM");
  const GatherPlan* cached = densePlan(op, false, cols, k0, klen);
  if (!cached) return false;
  const GatherPlan& plan = *cached;
  const uint64_t tileBytes = uint64_t{cols.length} * ks.length * L.elementBytes();
  const uint64_t need = L.d.conv ? std::max(tileBytes, plan.stagingBytes) : tileBytes;
  if (need > ctrl_port->buffer().d.params().slotBytes()) {
    return fail(op, ErrorCode::OperandError,
                fmt::format("tile needs {} bytes, D buffer slot holds {}", need,
                            ctrl_port->buffer().d.params().slotBytes()));
  }
  DTile& d = ctrl_port->buffer().d.slot(static_cast<uint32_t>(in[f::Slot]));
  d.cols = cols;
  d.ks = ks;
  d.bytes = need;
  const bool functional = context_.functional;
  if (functional) staging_.resize(plan.stagingBytes);
  if (!readPlan(op, dma, plan, false, cols, k0, klen)) return false;
  if (functional) {
    // Stored K-major (klen x cols) so that the PE array reads a contiguous row per K index: fp32
    // as float, int8 widened to int32, bf16 converted to float. A conv tile whose runs of
    // channels are short (depthwise, few channels) is assembled K-major at once; other tiles are
    // formed row-major (a plain matrix tile is the staging buffer itself) and transposed in
    // cache-sized blocks.
    const size_t nc = cols.length, nk = ks.length;
    const bool direct = L.d.conv && L.d.geometry.channels < kShortChannelRun;
    const uint8_t* tile = staging_.data();
    if (L.d.conv) {
      tile_.resize(tileBytes);
      assembleDenseTile(L.d, L, cols, k0, klen, L.elementBytes(), plan, staging_.data(),
                        tile_.data(), direct ? TileOrder::KMajor : TileOrder::RowMajor);
      tile = tile_.data();
    }
    if (L.dtype == tasd::DType::I8) {
      d.kMajorI.resize(nc * nk);
      const int8_t* t = reinterpret_cast<const int8_t*>(tile);
      if (direct) {
        std::copy(t, t + nc * nk, d.kMajorI.begin());
      } else {
        transpose(t, nc, nk, d.kMajorI.data());
      }
    } else {
      const float* t = reinterpret_cast<const float*>(tile);
      if (L.dtype == tasd::DType::BF16) {
        toFloat(tile, nc * nk, L.dtype, rowMajor_);
        t = rowMajor_.data();
      }
      d.kMajorF.resize(nc * nk);
      if (direct) {
        std::copy(t, t + nc * nk, d.kMajorF.begin());
      } else {
        transpose(t, nc, nk, d.kMajorF.data());
      }
    }
  }
  d.loaded = true;
  dramD_ += dma.bytes();
  sramBytes = plan.stagingBytes;
  ctrl_port->buffer().d.countWrite(sramBytes);
  return true;
}

bool LoadUnit::loadC(const Op& op, DmaBatch& dma, uint64_t& sramBytes) {
  namespace f = isa::load_c;
  const auto& in = op.instruction.field;
  const LayerState& L = ctrl_port->layer();
  const TileRange rows{static_cast<uint32_t>(in[f::I0]), static_cast<uint32_t>(in[f::ILen])};
  const TileRange cols{static_cast<uint32_t>(in[f::J0]), static_cast<uint32_t>(in[f::JLen])};
  const OperandConfig& src = L.partialSums();
  if (!src.configured)
    return fail(op, ErrorCode::OperandError, "partial sums address (P or C) not configured");
  if (rows.length == 0 || cols.length == 0 || uint64_t{rows.begin} + rows.length > L.m ||
      uint64_t{cols.begin} + cols.length > L.n) {
    return fail(op, ErrorCode::OperandError, "tile outside the GEMM");
  }
  const uint64_t bytes = uint64_t{rows.length} * cols.length * L.accBytes();
  if (bytes > ctrl_port->buffer().acc.params().slotBytes()) {
    return fail(op, ErrorCode::OperandError,
                fmt::format("tile needs {} bytes, accumulator slot holds {}", bytes,
                            ctrl_port->buffer().acc.params().slotBytes()));
  }
  AccTile& a = ctrl_port->buffer().acc.slot(static_cast<uint32_t>(in[f::Slot]));
  a.rows = rows;
  a.cols = cols;
  a.valid = true;
  const bool functional = context_.functional;
  const bool isInt = L.dtype == tasd::DType::I8;
  if (functional) {
    if (isInt) {
      a.i.resize(uint64_t{rows.length} * cols.length);
    } else {
      a.f.resize(uint64_t{rows.length} * cols.length);
    }
  }
  for (uint32_t r = 0; r < rows.length; ++r) {
    uint8_t* dst = nullptr;
    if (functional) {
      dst = isInt ? reinterpret_cast<uint8_t*>(a.i.data() + uint64_t{r} * cols.length)
                  : reinterpret_cast<uint8_t*>(a.f.data() + uint64_t{r} * cols.length);
    }
    const uint64_t addr =
        src.base + (uint64_t{rows.begin} + r) * src.rowStride + uint64_t{cols.begin} * L.accBytes();
    if (!dma.read(addr, dst, uint64_t{cols.length} * L.accBytes())) {
      return fail(op, ErrorCode::BusError,
                  fmt::format("read at 0x{:x} failed", dma.failedAddress()));
    }
  }
  dramC_ += dma.bytes();
  sramBytes = bytes;
  ctrl_port->buffer().acc.countWrite(bytes);
  return true;
}

}  // namespace tasdsim::hw
