#include "sw/runtime/Microcode.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "hw/model/dataflow/OperandLayout.h"
#include "hw/model/pe_array/StreamMath.h"
#include "hw/model/tasd_unit/TasdUnit.h"
#include "sw/common/Error.h"

namespace tasdsim::runtime {
namespace {

using isa::Instruction;
using isa::Opcode;

constexpr uint32_t kMaxTileLength = 65535;  // 16-bit tile length fields
constexpr uint32_t kMaxTileRows = 2048;     // largest S or D rows per tile considered
constexpr uint32_t kMaxTileK = 4096;        // largest K per tile considered
constexpr uint32_t kMaxEvenKSplits = 16;    // most tiles of an even K split considered

uint64_t ceilDiv(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

hw::OperandConfig operandConfig(const DenseOperand& op) {
  hw::OperandConfig c;
  c.configured = true;
  c.base = op.address;
  c.rowStride = op.rowStride;
  c.conv = op.conv;
  c.geometry = op.geometry;
  c.batch = op.batch;
  return c;
}

// Sizes of tiles and of whole passes over the operands, as the load unit will read them
// (hw/model/dataflow/OperandLayout), memoised: conv footprints depend on tile positions.
class TilePlanner {
 public:
  explicit TilePlanner(const GemmJob& job) : job_(job), eb_(tasd::dtypeBytes(job.dtype)) {
    layer_.m = job.m;
    layer_.n = job.n;
    layer_.k = job.k;
    const DenseOperand* conv =
        job.d.conv ? &job.d : (job.sKind != SKind::Terms && job.s.conv ? &job.s : nullptr);
    if (conv) {
      layer_.convChannels = static_cast<uint32_t>(conv->geometry.channels);
      layer_.kernelPositions = static_cast<uint32_t>(conv->geometry.kh * conv->geometry.kw);
    }
  }

  // The extent of the loads' K field: K, or the channel count in a conv layer.
  uint32_t kExtent() const { return layer_.convK() ? layer_.convChannels : job_.k; }
  uint64_t kElements(uint32_t kt) const { return layer_.kElements(kt); }

  // K field lengths worth trying: all of it, or lengths holding whole blocks of the largest m:
  // powers of two, and even splits into t tiles (rounded up to whole blocks), so that K = 1152
  // can run as 2 x 576 rather than 1024 + 128, whose short tile cannot hide the next load.
  std::vector<uint32_t> kCandidates() const {
    const uint32_t maxM =
        job_.sKind == SKind::Dense || job_.series.isDense() ? 1 : job_.series.maxBlockSize();
    const uint32_t extent = kExtent();
    std::vector<uint32_t> out;
    if (layer_.convK()) {  // channel ranges: all channels or divisors of the channel count
      out.push_back(extent);
      if (extent % maxM == 0) {
        for (uint32_t d = maxM; d < extent; d += maxM)
          if (extent % d == 0) out.push_back(d);
      }
    } else {
      if (extent <= kMaxTileK) out.push_back(extent);
      const uint32_t grain = std::max<uint32_t>(maxM, 8);
      for (uint32_t v = grain; v < extent && v <= kMaxTileK; v *= 2)
        out.push_back(v);
      for (uint32_t tiles = 2; tiles <= kMaxEvenKSplits; ++tiles) {
        const uint32_t v = static_cast<uint32_t>(ceilDiv(ceilDiv(extent, tiles), grain) * grain);
        if (v < extent && v <= kMaxTileK) out.push_back(v);
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  // Largest slot footprint of an S tile (mt rows) and the bytes of one pass over S.
  uint64_t sTile(uint32_t mt, uint32_t kt) { return sFootprint(mt, kt).first; }
  uint64_t sPass(uint32_t mt, uint32_t kt) { return sFootprint(mt, kt).second; }
  uint64_t dTile(uint32_t nt, uint32_t kt) { return dFootprint(nt, kt).first; }
  uint64_t dPass(uint32_t nt, uint32_t kt) { return dFootprint(nt, kt).second; }

 private:
  using Footprint = std::pair<uint64_t, uint64_t>;  // worst tile, whole pass

  // The input pixels each tile of `rows` output rows reads (the bounding box of its windows),
  // memoised per tile length: a conv tile's staging bytes are those pixels times its channel
  // range (hw::planDenseTile), so one count per row tile serves every K tile length. Empty when
  // the tile cannot be planned.
  const std::vector<uint64_t>& tilePixels(const DenseOperand& op, uint64_t totalRows,
                                          uint32_t rows) {
    auto [it, fresh] = pixelsMemo_.try_emplace(std::make_pair(&op, rows));
    if (!fresh) return it->second;
    const hw::OperandConfig cfg = operandConfig(op);
    hw::GatherPlan plan;
    for (uint64_t r0 = 0; r0 < totalRows; r0 += rows) {
      const uint32_t rl = static_cast<uint32_t>(std::min<uint64_t>(rows, totalRows - r0));
      plan.countOnly = true;
      if (!hw::planDenseTile(cfg, layer_, {static_cast<uint32_t>(r0), rl}, 0, 1, 1, plan).empty()) {
        it->second.clear();
        return it->second;
      }
      it->second.push_back(plan.stagingBytes);  // one channel of one byte per pixel
    }
    return it->second;
  }

  Footprint convFootprint(const DenseOperand& op, uint64_t totalRows, uint32_t rows, uint32_t kt) {
    if (totalRows == 0) return {0, 0};
    const std::vector<uint64_t>& pixels = tilePixels(op, totalRows, rows);
    if (pixels.empty()) return {UINT64_MAX, UINT64_MAX};
    const uint32_t widest = std::min(kt, kExtent());
    uint64_t worst = 0, total = 0;
    for (size_t t = 0; t < pixels.size(); ++t) {
      const uint64_t rl = std::min<uint64_t>(rows, totalRows - t * rows);
      worst = std::max({worst, pixels[t] * widest * eb_, rl * kElements(widest) * eb_});
      total += pixels[t] * kExtent() * eb_;
    }
    return {worst, total};
  }

  Footprint sFootprint(uint32_t mt, uint32_t kt) {
    const auto key = std::make_pair(mt, kt);
    auto it = sMemo_.find(key);
    if (it != sMemo_.end()) return it->second;
    const uint64_t ke = kElements(kt);
    Footprint dense{uint64_t{mt} * ke * eb_, uint64_t{job_.m} * job_.k * eb_};
    if (job_.sKind != SKind::Terms && job_.s.conv) dense = convFootprint(job_.s, job_.m, mt, kt);
    Footprint result = dense;
    if (job_.sKind != SKind::Dense) {
      Footprint terms{0, 0};
      for (const tasd::NMPattern& p : job_.series.terms) {
        const uint64_t slots = ceilDiv(ke, p.m) * p.n, rowSlots = ceilDiv(job_.k, p.m) * p.n;
        terms.first += uint64_t{mt} * (slots * eb_ + ceilDiv(slots * p.indexBits(), 8));
        terms.second += uint64_t{job_.m} * (rowSlots * eb_ + ceilDiv(rowSlots * p.indexBits(), 8));
      }
      // Precomputed terms are read compressed; on-the-fly tiles arrive dense and are decomposed.
      result = job_.sKind == SKind::Terms
                   ? terms
                   : Footprint{std::max(dense.first, terms.first), dense.second};
    }
    return sMemo_[key] = result;
  }

  Footprint dFootprint(uint32_t nt, uint32_t kt) {
    const auto key = std::make_pair(nt, kt);
    auto it = dMemo_.find(key);
    if (it != dMemo_.end()) return it->second;
    const Footprint f = job_.d.conv ? convFootprint(job_.d, job_.n, nt, kt)
                                    : Footprint{uint64_t{nt} * kElements(kt) * eb_,
                                                uint64_t{job_.n} * job_.k * eb_};
    return dMemo_[key] = f;
  }

  const GemmJob& job_;
  const uint32_t eb_;
  hw::LayerState layer_;
  std::map<std::pair<const DenseOperand*, uint32_t>, std::vector<uint64_t>> pixelsMemo_;
  std::map<std::pair<uint32_t, uint32_t>, Footprint> sMemo_, dMemo_;
};

// Tile lengths worth trying along a dimension: the extent itself if small enough, powers of two
// (the array dimension's neighbourhood and up), and even splits of the extent rounded up to whole
// array groups (3136 rows as 14 x 224 rather than 12 x 256 + 64).
std::vector<uint32_t> lengthCandidates(uint32_t extent, uint32_t arrayDim, uint32_t maxLength) {
  std::vector<uint32_t> out;
  if (extent <= maxLength) out.push_back(extent);
  for (uint32_t v = 1; v < extent && v <= maxLength; v *= 2) {
    if (v * 2 >= arrayDim) out.push_back(v);
  }
  // Even splits into t tiles, rounded up to whole array groups.
  for (uint32_t tiles = 2; tiles <= 64; ++tiles) {
    const uint32_t v = static_cast<uint32_t>(ceilDiv(ceilDiv(extent, tiles), arrayDim) * arrayDim);
    if (v < extent && v <= maxLength) out.push_back(v);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Memory traffic and the cycles it (or the TASD units) bound a tiling to. Without K tiling one
// operand can stay in its slot while the other streams past it; otherwise D is read once per
// row tile and S once per column tile. Results are written once. The load unit reads one tile
// at a time, each paying the DRAM latency once, and shares the channel with the stores, so its
// time is all bytes at the bandwidth plus one latency per load (one load per term for
// precomputed terms), and at least the buffers' write time (a cycle per load at least); the
// store unit pays one latency per output tile. An on-the-fly S tile is
// decomposed each time it is loaded, so S stationary also saves TASD-unit work; the order with
// the fewer bound cycles is taken (the fewer bytes on a tie).
struct Traffic {
  double bytes = 0;
  double cycles = 0;  // max(load-unit time, store-unit time, TASD-unit cycles)
  bool dStationary = false;
  bool sStationary = false;
};

struct MemoryRates {
  double bytesPerCycle = 0;   // DRAM bandwidth
  double latency = 0;         // cycles per load
  double sWritePerCycle = 0;  // S buffer port (a load takes at least its write time)
  double dWritePerCycle = 0;  // D buffer port
  // TASD units decomposing S on the fly (null otherwise), and the bytes of an element.
  const hw::TasdUnitParams* tasd = nullptr;
  const tasd::Series* series = nullptr;
  double elementBytes = 1;

  // The units' cycles for an S tile of `bytes` whose every element is nonzero (for a conv S the
  // tile is its input box, which is what the load reads); zero without on-the-fly decomposition.
  double tasdTile(double bytes) const {
    return tasd ? hw::tasdTileCycles(*tasd, *series, bytes / elementBytes) : 0;
  }
};

MemoryRates memoryRates(const hw::AcceleratorParams& params, const GemmJob& job) {
  return {params.dram.bandwidthGBps / params.clockGHz,
          params.dram.latencyNs * params.clockGHz,
          static_cast<double>(params.buffer.s.portBytesPerCycle()),
          static_cast<double>(params.buffer.d.portBytesPerCycle()),
          job.sKind == SKind::OnTheFly ? &params.tasdUnit : nullptr,
          &job.series,
          static_cast<double>(tasd::dtypeBytes(job.dtype))};
}

// Loads per S tile: one per term when the terms are precomputed, one dense tile otherwise.
double sLoadsPerTile(const GemmJob& job) {
  return job.sKind == SKind::Terms ? static_cast<double>(job.series.order()) : 1.0;
}

// stationary: whether the loops may keep an operand in its slot (not in a term-serial series).
Traffic traffic(TilePlanner& plan, const GemmJob& job, const Tiling& t, const MemoryRates& r,
                bool stationary = true) {
  const double iTiles = static_cast<double>(ceilDiv(job.m, t.mt)),
               jTiles = static_cast<double>(ceilDiv(job.n, t.nt)),
               kTiles = static_cast<double>(ceilDiv(plan.kExtent(), t.kt));
  const double s = static_cast<double>(plan.sPass(t.mt, t.kt)),
               d = static_cast<double>(plan.dPass(t.nt, t.kt));
  const double out = static_cast<double>(job.m) * job.n * job.output.resultBytes(job.dtype);
  const double sl = sLoadsPerTile(job);
  auto make = [&](double sPasses, double dPasses, double sLoads, double dLoads, bool dStay,
                  bool sStay) {
    const double loadBytes = sPasses * s + dPasses * d;
    const double bytes = loadBytes + out;
    const double loads = sLoads * sl + dLoads;
    const double writeCycles =
        std::max(sPasses * s / r.sWritePerCycle + dPasses * d / r.dWritePerCycle, loads);
    const double loadCycles = std::max(bytes / r.bytesPerCycle, writeCycles) + loads * r.latency;
    const double storeCycles = out / r.bytesPerCycle + iTiles * jTiles * r.latency;
    const double sTilesPerPass = iTiles * kTiles;
    const double tasdCycles = sPasses * sTilesPerPass * r.tasdTile(s / sTilesPerPass);
    return Traffic{bytes, std::max({loadCycles, storeCycles, tasdCycles}), dStay, sStay};
  };
  auto better = [](const Traffic& a, const Traffic& b) {
    return a.cycles < b.cycles || (a.cycles == b.cycles && a.bytes < b.bytes);
  };
  const double tiles = iTiles * jTiles * kTiles;
  Traffic tr = make(jTiles, iTiles, tiles, tiles, false, false);
  if (kTiles == 1 && stationary) {
    const Traffic dStay = make(jTiles, 1, tiles, jTiles, true, false);
    const Traffic sStay = make(1, iTiles, iTiles, tiles, false, true);
    const Traffic& stay = better(sStay, dStay) ? sStay : dStay;
    if (better(stay, tr)) tr = stay;
  }
  return tr;
}

Instruction make(Opcode op, std::initializer_list<uint64_t> fields) {
  Instruction in;
  in.opcode = op;
  size_t i = 0;
  for (uint64_t f : fields)
    in.field[i++] = f;
  return in;
}

void emitConv(Program& p, isa::Operand which, const DenseOperand& op) {
  const tasd::ConvGeometry& g = op.geometry;
  p.instructions.push_back(make(
      Opcode::CfgConv,
      {static_cast<uint64_t>(which), g.inH, g.inW, g.channels, g.kh, g.kw, g.strideH, g.strideW,
       g.padTop, g.padLeft, g.padBottom, g.padRight, g.dilationH, g.dilationW, op.batch}));
}

}  // namespace

MapperObjective parseMapperObjective(const std::string& text) {
  if (text == "cycles") return MapperObjective::Cycles;
  if (text == "edp") return MapperObjective::Edp;
  throw UserError(fmt::format("mapper objective '{}': expected cycles or edp", text));
}

const char* mapperObjectiveName(MapperObjective o) {
  return o == MapperObjective::Edp ? "edp" : "cycles";
}

namespace {

// Ranked, memory time counts kBalanceMargin more: near balance the load unit and the array,
// coupled through two slots per buffer, wait for each other (128 x 1152 x 1024 on the dense TC:
// 64 x 64 x 112 tiles, estimated 1.7% faster than 2 x 576, simulate 7% slower).
constexpr double kBalanceMargin = 1.1;
// Costs this close count as equal (chooseTiling).
constexpr double kCostTolerance = 0.01;

// The chooser's analytical model of one GEMM (or of one term's pass of a term-serial series).
// Cycles: the first tiles' load, compute (with partial row/column groups, per-pass lane
// rounding) and the array's fill and drain, each stream hiding the next K tile's load, or the
// memory traffic where it takes longer, then the last tile's store. Energy: the MAC slots, the
// buffers' reads and the DRAM traffic the tiling causes.
class TilingModel {
 public:
  struct Estimate {
    double cycles = 0, rankCycles = 0, energyPj = 0;
    double dramBytes = 0;
  };

  // A pass of a term-serial series (serial) streams both operands past each other; it reads
  // the partial sums of the pass before back (LOAD_C per output tile) unless it is the first.
  TilingModel(const hw::AcceleratorParams& params, const GemmJob& job,
              const hw::EnergyTable* energy, bool serial = false, bool partialIn = false)
      : params_(params),
        job_(job),
        plan_(job_),
        rates_(memoryRates(params, job_)),
        energy_(energy),
        serial_(serial),
        partialIn_(partialIn) {}
  // The planner and the rates refer to the model's own copy of the job: it stays in place.
  TilingModel(const TilingModel&) = delete;
  TilingModel& operator=(const TilingModel&) = delete;

  TilePlanner& plan() { return plan_; }

  Estimate estimate(const Tiling& t) {
    const hw::PeArrayParams& pe = params_.peArray;
    const uint64_t iTiles = ceilDiv(job_.m, t.mt), jTiles = ceilDiv(job_.n, t.nt);
    const uint64_t kTiles = ceilDiv(plan_.kExtent(), t.kt);
    const uint32_t kLast = plan_.kExtent() - static_cast<uint32_t>(kTiles - 1) * t.kt;
    const double rowGroups = static_cast<double>(iTiles * ceilDiv(t.mt, pe.rows));
    const double colGroups = static_cast<double>(jTiles * ceilDiv(t.nt, pe.cols));
    const double outputTiles = static_cast<double>(iTiles * jTiles);
    const double cFull = static_cast<double>(passCycles(plan_.kElements(t.kt)));
    const double cLast = static_cast<double>(passCycles(plan_.kElements(kLast)));
    const double compute =
        rowGroups * colGroups * (static_cast<double>(kTiles - 1) * cFull + cLast);
    Traffic tr = traffic(plan_, job_, t, rates_, !serial_);
    const double partial = static_cast<double>(job_.m) * job_.n * 4;
    if (partialIn_) {
      tr.bytes += partial;
      tr.cycles += partial / rates_.bytesPerCycle + outputTiles * rates_.latency;
    }
    // Each stream hides the next K tile's load (two slots per buffer); where the last K tile
    // is shorter than the others, its stream may not hide the next output tile's first load.
    const double lFull = loadCycles(t, t.kt);
    double pipeline = compute;
    if (kTiles > 1 && kLast != t.kt) {
      const double groups = rowGroups * colGroups / outputTiles;  // per output tile
      const double lLast = loadCycles(t, kLast);
      pipeline = outputTiles * (static_cast<double>(kTiles - 2) * std::max(groups * cFull, lFull) +
                                std::max(groups * cFull, lLast) + std::max(groups * cLast, lFull));
    }
    const double latency = pe.pipelineLatencyCycles;
    const uint64_t tileOutputs = uint64_t{std::min(t.mt, job_.m)} * std::min(t.nt, job_.n);
    const double store = static_cast<double>(tileOutputs * job_.output.resultBytes(job_.dtype)) /
                             rates_.bytesPerCycle +
                         rates_.latency;
    // The array's fill and drain: paid by every stream where streams do not overlap; otherwise
    // once, unless an output tile computes for less than the latency: with two accumulator
    // slots a tile's stream waits for the tile two before it to drain and be stored, so two
    // tiles take at least their compute plus the latency plus a store.
    double overhead = static_cast<double>(iTiles * jTiles * kTiles) * latency;
    if (pe.overlapStreams) {
      overhead =
          latency + outputTiles * std::max(0.0, (latency + store - compute / outputTiles) / 2);
    }
    // The first tiles' load (and decomposition) and the last tile's store are not hidden.
    const double front = lFull + pipeline + overhead;
    Estimate out;
    // Memory-bound, this counts the last store twice (the memory time ends with it). Counting it
    // once made ResNet-50's estimates closer (largest layer error 7.3% -> 5.5%) but chose
    // tilings 2% to 19% slower for the small layers of the regression networks, whose
    // estimates are off by more than a store.
    out.cycles = std::max(front, tr.cycles) + store;
    out.rankCycles = std::max(front, kBalanceMargin * tr.cycles) + store;
    out.dramBytes = tr.bytes;
    if (energy_) {
      const hw::EnergyTable& e = *energy_;
      const double eb = tasd::dtypeBytes(job_.dtype);
      const double fraction =
          job_.sKind == SKind::Dense ? 1.0 : job_.series.computeFraction(job_.k);
      const double macSlots = static_cast<double>(job_.m) * job_.n * job_.k * fraction;
      // The array reads S once per column group and D once per row group; the accumulators are
      // read and written once per K tile.
      const double sReads = static_cast<double>(plan_.sPass(t.mt, t.kt)) * colGroups;
      const double dReads = static_cast<double>(plan_.dPass(t.nt, t.kt)) * rowGroups;
      const double accBytes = partial * static_cast<double>(kTiles);
      out.energyPj = macSlots * (e.macPj(job_.dtype) + 2 * eb * e.operandPjPerByte) +
                     sReads * e.s.readPjPerByte + dReads * e.d.readPjPerByte +
                     accBytes * (e.acc.readPjPerByte + e.acc.writePjPerByte) +
                     tr.bytes * 0.5 * (e.dramReadPjPerByte + e.dramWritePjPerByte);
    }
    return out;
  }

 private:
  // Cycles of one pass over a K tile of ks elements, as the PE array charges them.
  uint64_t passCycles(uint64_t ks) const {
    if (job_.sKind == SKind::Dense || job_.series.terms.empty())
      return hw::densePassCycles(params_.peArray, ks);
    uint64_t cycles = 0;
    for (const tasd::NMPattern& p : job_.series.terms)
      cycles += hw::termPassCycles(params_.peArray, p, ks);
    return cycles;
  }

  // Load-unit (and TASD-unit) cycles for the S and D tiles of one stream of tiling t whose K
  // tile has kl of the kt elements: the tiles' average DRAM bytes (a conv tile reads its input
  // box, less than the im2col rows it forms), one latency per load.
  double loadCycles(const Tiling& t, uint32_t kl) {
    const double tiles = static_cast<double>(ceilDiv(plan_.kExtent(), t.kt)),
                 share = static_cast<double>(kl) / t.kt;
    const double s = static_cast<double>(plan_.sPass(t.mt, t.kt)) /
                     (static_cast<double>(ceilDiv(job_.m, t.mt)) * tiles) * share;
    const double d = static_cast<double>(plan_.dPass(t.nt, t.kt)) /
                     (static_cast<double>(ceilDiv(job_.n, t.nt)) * tiles) * share;
    return (s + d) / rates_.bytesPerCycle + (sLoadsPerTile(job_) + 1) * rates_.latency +
           rates_.tasdTile(s);
  }

  const hw::AcceleratorParams& params_;
  const GemmJob job_;
  TilePlanner plan_;
  const MemoryRates rates_;
  const hw::EnergyTable* energy_;
  const bool serial_, partialIn_;
};

// A series without the TASD extension runs one pass over all tiles per term, the partial sums
// through memory (emitGemm): one model per pass, each with its term alone.
std::deque<TilingModel> tilingModels(const hw::AcceleratorParams& params, const GemmJob& job,
                                     const hw::EnergyTable* energy) {
  std::deque<TilingModel> models;
  const size_t terms = job.sKind == SKind::Dense ? 0 : job.series.order();
  if (params.tasdExtension || terms <= 1) {
    models.emplace_back(params, job, energy);
    return models;
  }
  for (size_t i = 0; i < terms; ++i) {
    GemmJob pass = job;
    pass.series = tasd::Series{{job.series.terms[i]}};
    if (i + 1 < terms) pass.output.requant = false;  // partial sums leave as accumulators
    models.emplace_back(params, pass, energy, true, i > 0);
  }
  return models;
}

}  // namespace

std::vector<uint64_t> TilingMemo::key(const GemmJob& job) {
  std::vector<uint64_t> k = {job.m,
                             job.n,
                             job.k,
                             static_cast<uint64_t>(job.dtype),
                             static_cast<uint64_t>(job.sKind),
                             job.termValues.size(),
                             job.output.requant,
                             job.output.partialAddress != 0};
  for (const tasd::NMPattern& p : job.series.terms) {
    k.push_back(p.n);
    k.push_back(p.m);
  }
  for (const DenseOperand* op : {&job.s, &job.d}) {
    const tasd::ConvGeometry& g = op->geometry;
    k.insert(k.end(),
             {op->conv, op->batch, op->rowStride, g.inH, g.inW, g.channels, g.kh, g.kw, g.strideH,
              g.strideW, g.padTop, g.padLeft, g.padBottom, g.padRight, g.dilationH, g.dilationW});
  }
  return k;
}

const Tiling* TilingMemo::find(const GemmJob& job) const {
  const auto it = chosen_.find(key(job));
  return it == chosen_.end() ? nullptr : &it->second;
}

void TilingMemo::add(const GemmJob& job, const Tiling& tiling) {
  chosen_.emplace(key(job), tiling);
}

Tiling chooseTiling(const hw::AcceleratorParams& params, const GemmJob& job,
                    const MapperOptions& options) {
  if (options.memo) {
    if (const Tiling* known = options.memo->find(job)) return *known;
  }
  const hw::EnergyTable* e = options.energy;
  if (options.objective == MapperObjective::Edp && !e)
    throw std::logic_error("chooseTiling: the EDP objective needs the energy table");
  std::deque<TilingModel> models = tilingModels(params, job, e);
  // The whole job's planner (footprints are memoised: conv footprints take a while).
  std::optional<TilePlanner> own;
  if (models.size() > 1) own.emplace(job);
  TilePlanner& plan = own ? *own : models.front().plan();
  const uint64_t sSlot = params.buffer.s.slotBytes(), dSlot = params.buffer.d.slotBytes();
  const uint64_t accSlot = params.buffer.acc.slotBytes();
  const std::vector<uint32_t> ms =
      lengthCandidates(job.m, params.peArray.rows, std::min(kMaxTileRows, kMaxTileLength));
  const std::vector<uint32_t> ns =
      lengthCandidates(job.n, params.peArray.cols, std::min(kMaxTileRows, kMaxTileLength));
  // The smallest objective wins. Tilings whose costs are within kCostTolerance of each other are
  // alike to the model: of those the one with the least estimated energy wins (the fewest DRAM
  // bytes without an energy table, then the fewer estimated cycles), so that a compute-bound
  // layer does not take many small tiles for a cycle or two (128 x 1152 x 1024 on the dense TC:
  // 18 K tiles of 64 rather than 2 x 576, 0.03% fewer cycles, 41% more energy).
  struct Candidate {
    Tiling tiling;
    double cost = 0, dramBytes = 0;
    double spend() const {
      return tiling.estimatedEnergyPj > 0 ? tiling.estimatedEnergyPj : dramBytes;
    }
  };
  std::vector<Candidate> candidates;
  for (uint32_t kt : plan.kCandidates()) {
    for (uint32_t mt : ms) {
      if (plan.sTile(mt, kt) > sSlot) break;  // footprints grow with the tile
      for (uint32_t nt : ns) {
        if (uint64_t{mt} * nt * 4 > accSlot || plan.dTile(nt, kt) > dSlot) break;
        Candidate c{{mt, nt, kt}};
        double rankCycles = 0;
        for (TilingModel& model : models) {
          const TilingModel::Estimate est = model.estimate(c.tiling);
          c.tiling.estimatedCycles += est.cycles;
          c.tiling.estimatedEnergyPj += est.energyPj;
          c.dramBytes += est.dramBytes;
          rankCycles += est.rankCycles;
        }
        c.cost = options.objective == MapperObjective::Edp ? c.tiling.estimatedEnergyPj * rankCycles
                                                           : rankCycles;
        candidates.push_back(c);
      }
    }
  }
  if (candidates.empty()) {
    throw UserError(fmt::format(
        "layer '{}': no tile of the {}x{}x{} GEMM fits the buffers of '{}' (S slot {} B, D slot "
        "{} B, accumulator slot {} B: half of arch.buffer.s, d, acc.size_kib); make the buffers "
        "larger",
        job.name, job.m, job.n, job.k, params.name, sSlot, dSlot, accSlot));
  }
  double least = candidates.front().cost;
  for (const Candidate& c : candidates)
    least = std::min(least, c.cost);
  const Candidate* best = nullptr;
  for (const Candidate& c : candidates) {
    if (c.cost > least * (1 + kCostTolerance)) continue;
    if (!best || c.spend() < best->spend() ||
        (c.spend() == best->spend() && c.tiling.estimatedCycles < best->tiling.estimatedCycles)) {
      best = &c;
    }
  }
  if (options.memo) options.memo->add(job, best->tiling);
  return best->tiling;
}

void emitGemm(const hw::AcceleratorParams& params, const GemmJob& job, Program& p,
              const MapperOptions& options) {
  const Tiling t = chooseTiling(params, job, options);
  TilePlanner plan(job);
  p.tiling = t;
  p.estimatedCycles += t.estimatedCycles;
  const uint32_t terms = job.sKind == SKind::Dense ? 0 : static_cast<uint32_t>(job.series.order());
  const auto source =
      job.sKind == SKind::OnTheFly ? isa::SSource::OnTheFly : isa::SSource::Precomputed;
  const bool sConv = job.sKind != SKind::Terms && job.s.conv;
  p.instructions.push_back(
      make(Opcode::CfgLayer,
           {job.m, job.n, job.k, static_cast<uint64_t>(job.dtype), static_cast<uint64_t>(source),
            terms, sConv ? 1u : 0u, job.d.conv ? 1u : 0u}));
  for (uint32_t i = 0; i < terms; ++i) {
    const tasd::NMPattern pat = job.series.terms[i];
    const uint64_t values = job.sKind == SKind::Terms ? job.termValues[i] : 0;
    const uint64_t meta = job.sKind == SKind::Terms ? job.termMeta[i] : 0;
    p.instructions.push_back(make(Opcode::CfgTerm, {i, pat.n, pat.m, values, meta}));
  }
  if (job.sKind != SKind::Terms) {
    p.instructions.push_back(make(
        Opcode::CfgAddr, {static_cast<uint64_t>(isa::Operand::S), job.s.address, job.s.rowStride}));
    if (sConv) emitConv(p, isa::Operand::S, job.s);
  }
  p.instructions.push_back(make(
      Opcode::CfgAddr, {static_cast<uint64_t>(isa::Operand::D), job.d.address, job.d.rowStride}));
  if (job.d.conv) emitConv(p, isa::Operand::D, job.d);
  p.instructions.push_back(make(
      Opcode::CfgAddr, {static_cast<uint64_t>(isa::Operand::C), job.cAddress, job.cRowStride}));
  if (job.sKind == SKind::OnTheFly && job.tau >= 0.0f) {
    uint32_t bits;
    std::memcpy(&bits, &job.tau, sizeof bits);
    p.instructions.push_back(make(Opcode::CfgTasd, {bits}));
  }
  const OutputPath& out = job.output;
  if (out.requant) {
    p.instructions.push_back(make(
        Opcode::CfgOut, {static_cast<uint64_t>(isa::OutputMode::RequantInt8), out.relu ? 1u : 0u,
                         out.perRow ? 1u : 0u, out.bias ? 1u : 0u, out.tableAddress}));
  }

  const uint32_t kExtent = plan.kExtent();
  // Term-serial execution (no TASD extension): one pass over all tiles per term, partial sums
  // through memory. Otherwise one STREAM carries every term of a tile.
  const bool serial = !params.tasdExtension && terms > 1;
  // Partial sums of a serial series stay accumulators (P) when the results are requantised.
  const bool partialInP = serial && out.requant;
  if (partialInP) {
    p.instructions.push_back(make(Opcode::CfgAddr, {static_cast<uint64_t>(isa::Operand::P),
                                                    out.partialAddress, out.partialRowStride}));
  }
  const Traffic order = serial ? Traffic{} : traffic(plan, job, t, memoryRates(params, job));
  uint32_t sSlot = 0, dSlot = 0, accSlot = 0;

  auto loadS = [&](uint32_t i0, uint32_t il, uint32_t k0, uint32_t kl, uint32_t first,
                   uint32_t count) {
    if (job.sKind == SKind::Terms) {
      for (uint32_t term = first; term < first + count; ++term) {
        p.instructions.push_back(make(Opcode::LoadS, {sSlot, term, 0, i0, il, k0, kl}));
      }
    } else {
      p.instructions.push_back(make(Opcode::LoadS, {sSlot, 0, 1, i0, il, k0, kl}));
      if (job.sKind == SKind::OnTheFly) p.instructions.push_back(make(Opcode::Tasd, {sSlot}));
    }
  };
  auto stream = [&](bool clear, uint32_t first, uint32_t count) {
    p.instructions.push_back(
        make(Opcode::Stream, {sSlot, dSlot, accSlot, clear ? 1u : 0u, first, count}));
  };
  const uint32_t allTerms = job.sKind == SKind::Dense ? 0 : terms;

  if (order.dStationary || order.sStationary) {
    // One K tile: the stationary operand's tile is loaded once and reused by every tile of
    // the other operand.
    const bool dOuter = order.dStationary;
    const uint32_t outerExtent = dOuter ? job.n : job.m, innerExtent = dOuter ? job.m : job.n;
    const uint32_t outerLen = dOuter ? t.nt : t.mt, innerLen = dOuter ? t.mt : t.nt;
    for (uint32_t o0 = 0; o0 < outerExtent; o0 += outerLen) {
      const uint32_t ol = std::min(outerLen, outerExtent - o0);
      if (dOuter) {
        p.instructions.push_back(make(Opcode::LoadD, {dSlot, o0, ol, 0, kExtent}));
      } else {
        loadS(o0, ol, 0, kExtent, 0, allTerms);
      }
      for (uint32_t i0 = 0; i0 < innerExtent; i0 += innerLen) {
        const uint32_t il = std::min(innerLen, innerExtent - i0);
        if (dOuter) {
          loadS(i0, il, 0, kExtent, 0, allTerms);
        } else {
          p.instructions.push_back(make(Opcode::LoadD, {dSlot, i0, il, 0, kExtent}));
        }
        stream(true, 0, allTerms);
        const uint32_t rows0 = dOuter ? i0 : o0, rowsLen = dOuter ? il : ol;
        const uint32_t cols0 = dOuter ? o0 : i0, colsLen = dOuter ? ol : il;
        p.instructions.push_back(make(Opcode::StoreC, {accSlot, rows0, rowsLen, cols0, colsLen}));
        accSlot ^= 1;
        (dOuter ? sSlot : dSlot) ^= 1;
      }
      (dOuter ? dSlot : sSlot) ^= 1;
    }
    return;
  }

  const uint32_t passes = serial ? terms : 1;
  for (uint32_t pass = 0; pass < passes; ++pass) {
    for (uint32_t i0 = 0; i0 < job.m; i0 += t.mt) {
      const uint32_t il = std::min(t.mt, job.m - i0);
      for (uint32_t j0 = 0; j0 < job.n; j0 += t.nt) {
        const uint32_t jl = std::min(t.nt, job.n - j0);
        for (uint32_t k0 = 0; k0 < kExtent; k0 += t.kt) {
          const uint32_t kl = std::min(t.kt, kExtent - k0);
          const bool firstK = k0 == 0;
          p.instructions.push_back(make(Opcode::LoadD, {dSlot, j0, jl, k0, kl}));
          const uint32_t first = serial ? pass : 0, count = serial ? 1 : allTerms;
          loadS(i0, il, k0, kl, first, count);
          if (serial && pass > 0 && firstK)
            p.instructions.push_back(make(Opcode::LoadC, {accSlot, i0, il, j0, jl}));
          stream(firstK && (!serial || pass == 0), first, count);
          sSlot ^= 1;
          dSlot ^= 1;
        }
        const bool partial = partialInP && pass + 1 < passes;
        p.instructions.push_back(
            make(Opcode::StoreC, {accSlot, i0, il, j0, jl, partial ? 1u : 0u}));
        accSlot ^= 1;
      }
    }
    // Partial sums of this term must be in memory before the next term reads them back.
    if (serial && pass + 1 < passes) p.instructions.push_back(make(Opcode::Barrier, {}));
  }
}

void emitEnd(Program& p) {
  p.instructions.push_back(make(Opcode::End, {}));
}

std::vector<uint8_t> Program::bytes() const {
  std::vector<uint8_t> out(instructions.size() * isa::kInstructionBytes);
  for (size_t i = 0; i < instructions.size(); ++i) {
    isa::store(isa::encode(instructions[i]), out.data() + i * isa::kInstructionBytes);
  }
  return out;
}

}  // namespace tasdsim::runtime
