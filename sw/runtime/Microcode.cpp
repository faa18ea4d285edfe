#include "sw/runtime/Microcode.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "sw/common/Error.h"

namespace tasdsim::runtime {
namespace {

using isa::Instruction;
using isa::Opcode;

constexpr uint32_t kMaxTileLength = 65535;  // 16-bit tile length fields
constexpr uint32_t kMaxTileRows = 1024;     // first guess for S rows and D rows per tile
constexpr uint32_t kMaxTileK = 4096;        // first guess for K per tile

uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

uint32_t kAlignment(const GemmJob& job) {
  const uint32_t maxM = job.series.isDense() || job.sKind == SKind::Dense ? 1 : job.series.maxBlockSize();
  return 8 * std::max<uint32_t>(maxM, 1);
}

// Bytes a conv operand's tile of `rows` output positions may read into a slot: the input rows
// that rows/Wo + 2 output rows touch, whole width and all channels (a bound, not exact).
uint64_t convTileBound(const DenseOperand& op, uint64_t rows, uint32_t eb) {
  const tasd::ConvGeometry& g = op.geometry;
  const uint64_t outRows = ceilDiv(rows, g.outW()) + 1;
  const uint64_t inRows = std::min<uint64_t>(g.inH, outRows * g.strideH + (g.kh - 1) * g.dilationH + 1);
  const uint64_t images = std::min<uint64_t>(op.batch, ceilDiv(rows, uint64_t{g.outH()} * g.outW()) + 1);
  return images * inRows * g.inW * g.channels * eb;
}

uint64_t sTileBytes(const GemmJob& job, uint64_t mt, uint64_t kt) {
  const uint32_t eb = tasd::dtypeBytes(job.dtype);
  uint64_t dense = mt * kt * eb;
  if (job.sKind != SKind::Terms && job.s.conv) dense = std::max(dense, convTileBound(job.s, mt, eb));
  if (job.sKind == SKind::Dense) return dense;
  uint64_t terms = 0;
  for (const tasd::NMPattern& p : job.series.terms) {
    const uint64_t slots = ceilDiv(kt, p.m) * p.n;
    terms += mt * (slots * eb + ceilDiv(slots * p.indexBits(), 8));
  }
  return job.sKind == SKind::Terms ? terms : std::max(dense, terms);
}

uint64_t dTileBytes(const GemmJob& job, uint64_t nt, uint64_t kt) {
  const uint32_t eb = tasd::dtypeBytes(job.dtype);
  const uint64_t dense = nt * kt * eb;
  return job.d.conv ? std::max(dense, convTileBound(job.d, nt, eb)) : dense;
}

Instruction make(Opcode op, std::initializer_list<uint64_t> fields) {
  Instruction in;
  in.opcode = op;
  size_t i = 0;
  for (uint64_t f : fields) in.field[i++] = f;
  return in;
}

void emitConv(Program& p, isa::Operand which, const DenseOperand& op) {
  const tasd::ConvGeometry& g = op.geometry;
  p.instructions.push_back(make(Opcode::CfgConv,
                                {static_cast<uint64_t>(which), g.inH, g.inW, g.channels, g.kh, g.kw, g.strideH,
                                 g.strideW, g.padTop, g.padLeft, g.padBottom, g.padRight, g.dilationH, g.dilationW,
                                 op.batch}));
}

}  // namespace

Tiling chooseTiling(const hw::AcceleratorParams& params, const GemmJob& job) {
  const uint32_t align = kAlignment(job);
  Tiling t;
  t.mt = std::min<uint32_t>({job.m, kMaxTileRows, kMaxTileLength});
  t.nt = std::min<uint32_t>({job.n, kMaxTileRows, kMaxTileLength});
  t.kt = std::min<uint32_t>(job.k, kMaxTileK);
  if (t.kt < job.k) t.kt = std::max(align, t.kt / align * align);
  const uint64_t sSlot = params.buffers.s.slotBytes(), dSlot = params.buffers.d.slotBytes();
  const uint64_t accSlot = params.buffers.acc.slotBytes();
  auto halve = [](uint32_t v, uint32_t unit) {
    const uint32_t h = std::max<uint32_t>(1, v / 2);
    return h >= unit ? h / unit * unit : h;
  };
  for (int guard = 0; guard < 256; ++guard) {
    const bool accOk = uint64_t{t.mt} * t.nt * 4 <= accSlot;
    const bool sOk = sTileBytes(job, t.mt, t.kt) <= sSlot;
    const bool dOk = dTileBytes(job, t.nt, t.kt) <= dSlot;
    if (accOk && sOk && dOk) return t;
    if (!accOk) {
      if (t.mt >= t.nt && t.mt > 1) {
        t.mt = halve(t.mt, params.pe.rows);
      } else if (t.nt > 1) {
        t.nt = halve(t.nt, params.pe.cols);
      }
      continue;
    }
    if (t.kt > align) {
      t.kt = std::max(align, t.kt / 2 / align * align);
      continue;
    }
    if (!sOk && t.mt > 1) {
      t.mt = halve(t.mt, params.pe.rows);
      continue;
    }
    if (!dOk && t.nt > 1) {
      t.nt = halve(t.nt, params.pe.cols);
      continue;
    }
    break;
  }
  throw UserError(fmt::format("layer '{}': no tile of the {}x{}x{} GEMM fits the buffers of '{}' (S slot {} B, D slot "
                              "{} B, accumulator slot {} B)",
                              job.name, job.m, job.n, job.k, params.name, sSlot, dSlot, accSlot));
}

void emitGemm(const hw::AcceleratorParams& params, const GemmJob& job, Program& p) {
  const Tiling t = chooseTiling(params, job);
  p.tiling = t;
  const uint32_t terms = job.sKind == SKind::Dense ? 0 : static_cast<uint32_t>(job.series.order());
  const auto source = job.sKind == SKind::OnTheFly ? isa::SSource::OnTheFly : isa::SSource::Precomputed;
  const bool sConv = job.sKind != SKind::Terms && job.s.conv;
  p.instructions.push_back(make(Opcode::CfgLayer, {job.m, job.n, job.k, static_cast<uint64_t>(job.dtype),
                                                   static_cast<uint64_t>(source), terms, sConv ? 1u : 0u,
                                                   job.d.conv ? 1u : 0u}));
  for (uint32_t i = 0; i < terms; ++i) {
    const tasd::NMPattern pat = job.series.terms[i];
    const uint64_t values = job.sKind == SKind::Terms ? job.termValues[i] : 0;
    const uint64_t meta = job.sKind == SKind::Terms ? job.termMeta[i] : 0;
    p.instructions.push_back(make(Opcode::CfgTerm, {i, pat.n, pat.m, values, meta}));
  }
  if (job.sKind != SKind::Terms) {
    p.instructions.push_back(make(Opcode::CfgAddr, {static_cast<uint64_t>(isa::Operand::S), job.s.address,
                                                    job.s.rowStride}));
    if (sConv) emitConv(p, isa::Operand::S, job.s);
  }
  p.instructions.push_back(make(Opcode::CfgAddr, {static_cast<uint64_t>(isa::Operand::D), job.d.address,
                                                  job.d.rowStride}));
  if (job.d.conv) emitConv(p, isa::Operand::D, job.d);
  p.instructions.push_back(make(Opcode::CfgAddr, {static_cast<uint64_t>(isa::Operand::C), job.cAddress,
                                                  job.cRowStride}));
  if (job.sKind == SKind::OnTheFly && job.tau >= 0.0f) {
    uint32_t bits;
    std::memcpy(&bits, &job.tau, sizeof bits);
    p.instructions.push_back(make(Opcode::CfgTasd, {bits}));
  }

  uint32_t sSlot = 0, dSlot = 0, accSlot = 0;
  // Term-serial execution (no TASD extension): one pass over all tiles per term.
  const bool serial = !params.tasdExtension && terms > 1;
  const uint32_t passes = serial ? terms : 1;
  for (uint32_t pass = 0; pass < passes; ++pass) {
    for (uint32_t i0 = 0; i0 < job.m; i0 += t.mt) {
      const uint32_t il = std::min(t.mt, job.m - i0);
      for (uint32_t j0 = 0; j0 < job.n; j0 += t.nt) {
        const uint32_t jl = std::min(t.nt, job.n - j0);
        for (uint32_t k0 = 0; k0 < job.k; k0 += t.kt) {
          const uint32_t kl = std::min(t.kt, job.k - k0);
          const bool firstK = k0 == 0;
          p.instructions.push_back(make(Opcode::LoadD, {dSlot, j0, jl, k0, kl}));
          if (job.sKind == SKind::Terms) {
            const uint32_t first = serial ? pass : 0, count = serial ? 1 : terms;
            for (uint32_t term = first; term < first + count; ++term) {
              p.instructions.push_back(make(Opcode::LoadS, {sSlot, term, 0, i0, il, k0, kl}));
            }
            if (serial && pass > 0 && firstK) p.instructions.push_back(make(Opcode::LoadC, {accSlot, i0, il, j0, jl}));
            const bool clear = firstK && (!serial || pass == 0);
            p.instructions.push_back(make(Opcode::Stream, {sSlot, dSlot, accSlot, clear ? 1u : 0u, first, count}));
          } else {
            p.instructions.push_back(make(Opcode::LoadS, {sSlot, 0, 1, i0, il, k0, kl}));
            if (job.sKind == SKind::OnTheFly) p.instructions.push_back(make(Opcode::Tasd, {sSlot}));
            p.instructions.push_back(make(Opcode::Stream, {sSlot, dSlot, accSlot, firstK ? 1u : 0u, 0,
                                                           job.sKind == SKind::OnTheFly ? terms : 0}));
          }
          sSlot ^= 1;
          dSlot ^= 1;
        }
        p.instructions.push_back(make(Opcode::StoreC, {accSlot, i0, il, j0, jl}));
        accSlot ^= 1;
      }
    }
    // Partial sums of this term must be in memory before the next term reads them back.
    if (serial && pass + 1 < passes) p.instructions.push_back(make(Opcode::Barrier, {}));
  }
}

void emitEnd(Program& p) { p.instructions.push_back(make(Opcode::End, {})); }

std::vector<uint8_t> Program::bytes() const {
  std::vector<uint8_t> out(instructions.size() * isa::kInstructionBytes);
  for (size_t i = 0; i < instructions.size(); ++i) {
    isa::store(isa::encode(instructions[i]), out.data() + i * isa::kInstructionBytes);
  }
  return out;
}

}  // namespace tasdsim::runtime
