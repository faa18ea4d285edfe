// Tiling and microcode emission: every output element is stored exactly once with its whole K
// accumulated exactly once, tiles fit the buffer slots, for matrices and convs, every series
// kind and both dataflows (TASD extension on and off).
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "hw/model/dataflow/OperandLayout.h"
#include "sw/common/Error.h"
#include "sw/config/ArchConfig.h"
#include "sw/runtime/Microcode.h"

namespace tasdsim::runtime {
namespace {

using isa::Opcode;

struct TileState {
  bool valid = false;
  uint64_t a0 = 0, alen = 0, k0 = 0, klen = 0;
};

// Walks the program like the accelerator's scoreboard would see it and checks coverage.
void checkCoverage(const Program& p, const GemmJob& job, uint32_t kExtent, bool serial) {
  TileState s[2], d[2];
  struct Acc {
    bool valid = false;
    uint64_t i0 = 0, il = 0, j0 = 0, jl = 0;
    std::vector<int> k;
  } acc[2];
  std::vector<int> stores(uint64_t{job.m} * job.n, 0);
  uint32_t layers = 0;
  for (const isa::Instruction& in : p.instructions) {
    const auto& f = in.field;
    switch (in.opcode) {
      case Opcode::CfgLayer:
        ++layers;
        break;
      case Opcode::LoadS:
        s[f[isa::load_s::Slot]] = {true, f[isa::load_s::I0], f[isa::load_s::ILen],
                                   f[isa::load_s::K0], f[isa::load_s::KLen]};
        break;
      case Opcode::LoadD:
        d[f[isa::load_d::Slot]] = {true, f[isa::load_d::J0], f[isa::load_d::JLen],
                                   f[isa::load_d::K0], f[isa::load_d::KLen]};
        break;
      case Opcode::LoadC: {
        Acc& a = acc[f[isa::load_c::Slot]];
        a.valid = true;
        a.i0 = f[isa::load_c::I0];
        a.il = f[isa::load_c::ILen];
        a.j0 = f[isa::load_c::J0];
        a.jl = f[isa::load_c::JLen];
        a.k.assign(kExtent, 0);
        break;
      }
      case Opcode::Stream: {
        const TileState& st = s[f[isa::stream::SSlot]];
        const TileState& dt = d[f[isa::stream::DSlot]];
        ASSERT_TRUE(st.valid && dt.valid);
        ASSERT_EQ(st.k0, dt.k0);
        ASSERT_EQ(st.klen, dt.klen);
        Acc& a = acc[f[isa::stream::AccSlot]];
        if (f[isa::stream::Clear]) {
          a = Acc{true, st.a0, st.alen, dt.a0, dt.alen, std::vector<int>(kExtent, 0)};
        }
        ASSERT_TRUE(a.valid);
        ASSERT_EQ(a.i0, st.a0);
        ASSERT_EQ(a.il, st.alen);
        ASSERT_EQ(a.j0, dt.a0);
        ASSERT_EQ(a.jl, dt.alen);
        for (uint64_t k = st.k0; k < st.k0 + st.klen; ++k)
          ++a.k[k];
        break;
      }
      case Opcode::StoreC: {
        const Acc& a = acc[f[isa::store_c::Slot]];
        ASSERT_TRUE(a.valid);
        ASSERT_EQ(a.i0, f[isa::store_c::I0]);
        ASSERT_EQ(a.jl, f[isa::store_c::JLen]);
        for (uint32_t k = 0; k < kExtent; ++k)
          ASSERT_EQ(a.k[k], 1) << "K index " << k;
        for (uint64_t i = a.i0; i < a.i0 + a.il; ++i)
          for (uint64_t j = a.j0; j < a.j0 + a.jl; ++j)
            ++stores[i * job.n + j];
        break;
      }
      default:
        break;
    }
  }
  ASSERT_EQ(layers, 1u);
  ASSERT_EQ(p.instructions.back().opcode, Opcode::End);
  const int expected = serial ? static_cast<int>(job.series.order()) : 1;
  for (size_t i = 0; i < stores.size(); ++i)
    ASSERT_EQ(stores[i], expected) << "output " << i;
}

hw::AcceleratorParams smallEngine(bool tasdExtension) {
  hw::AcceleratorParams p;
  p.peArray.rows = 4;
  p.peArray.cols = 4;
  p.peArray.lanes = 2;
  p.peArray.patterns = {tasd::NMPattern::parse("1:4"), tasd::NMPattern::parse("2:4"),
                        tasd::NMPattern::parse("1:8"), tasd::NMPattern::parse("2:8"),
                        tasd::NMPattern::parse("4:8")};
  p.buffer.s.sizeBytes = p.buffer.d.sizeBytes = 8 * 1024;  // small: forces tiling
  p.buffer.acc.sizeBytes = 4 * 1024;
  p.tasdExtension = tasdExtension;
  return p;
}

TEST(Tiling, MatrixGemmsAreCoveredExactlyOnce) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 60; ++trial) {
    const bool ext = trial % 2 == 0;
    const hw::AcceleratorParams params = smallEngine(ext);
    GemmJob job;
    job.name = "t";
    job.m = 1 + rng() % 150;
    job.n = 1 + rng() % 150;
    job.k = 1 + rng() % 300;
    const int kind = trial % 3;
    job.sKind = kind == 0 ? SKind::Dense : kind == 1 ? SKind::Terms : SKind::OnTheFly;
    if (!ext && job.sKind == SKind::OnTheFly) job.sKind = SKind::Terms;
    job.series = job.sKind == SKind::Dense ? tasd::Series::dense()
                                           : tasd::Series::parse(trial % 4 ? "2:8+1:8" : "2:4");
    job.termValues.assign(job.series.order(), 0);
    job.termMeta.assign(job.series.order(), 0);
    job.d.rowStride = job.k * 4;
    job.s.rowStride = job.k * 4;
    Program p;
    emitGemm(params, job, p);
    emitEnd(p);
    SCOPED_TRACE(testing::Message()
                 << job.m << "x" << job.n << "x" << job.k << " " << job.series.str() << " tiles "
                 << p.tiling.mt << "x" << p.tiling.nt << "x" << p.tiling.kt);
    checkCoverage(p, job, job.k, !ext && job.series.order() > 1);
    EXPECT_LE(uint64_t{p.tiling.mt} * p.tiling.nt * 4, params.buffer.acc.slotBytes());
    // K tiles hold whole blocks of every term.
    if (p.tiling.kt < job.k) {
      for (const tasd::NMPattern& pat : job.series.terms)
        EXPECT_EQ(p.tiling.kt % pat.m, 0u);
    }
  }
}

TEST(Tiling, ConvLayersTileChannelRangesAtEveryKernelPosition) {
  const hw::AcceleratorParams params = smallEngine(true);
  for (uint32_t channels : {8u, 16u, 24u, 3u}) {
    GemmJob job;
    job.name = "conv";
    job.d.conv = true;
    job.d.geometry.inH = 9;
    job.d.geometry.inW = 7;
    job.d.geometry.channels = channels;
    job.d.geometry.kh = job.d.geometry.kw = 3;
    job.d.geometry.padTop = job.d.geometry.padLeft = job.d.geometry.padBottom =
        job.d.geometry.padRight = 1;
    job.d.batch = 2;
    job.m = 12;  // output channels (TASD-W: S = weights)
    job.n = static_cast<uint32_t>(job.d.geometry.outH() * job.d.geometry.outW() * 2);
    job.k = static_cast<uint32_t>(job.d.geometry.k());
    job.sKind = SKind::Terms;
    job.series = tasd::Series::parse("2:8");
    job.termValues = {0};
    job.termMeta = {0};
    Program p;
    emitGemm(params, job, p);
    emitEnd(p);
    SCOPED_TRACE(testing::Message() << "C=" << channels << " tiles " << p.tiling.mt << "x"
                                    << p.tiling.nt << "x" << p.tiling.kt);
    checkCoverage(p, job, channels, false);
    EXPECT_TRUE(p.tiling.kt == channels || (channels % p.tiling.kt == 0 && p.tiling.kt % 8 == 0));
  }
}

TEST(Tiling, ImpossibleBuffersAreAClearError) {
  hw::AcceleratorParams params = smallEngine(true);
  params.buffer.acc.sizeBytes = 4;  // not even one accumulator per slot
  GemmJob job;
  job.name = "big";
  job.m = job.n = job.k = 64;
  job.sKind = SKind::Dense;
  Program p;
  EXPECT_THROW(emitGemm(params, job, p), UserError);
}

// The chooser minimises what it is asked to: on the STC with 2:4 weights, a 128-row input x
// 1152 x 1024 GEMM (int8, results requantised) can save DRAM traffic at a few more cycles.
TEST(Tiling, TheObjectiveChoosesBetweenCyclesAndEnergyTimesCycles) {
  const config::ArchConfig stc =
      config::loadArch(std::string(TASDSIM_SOURCE_DIR) + "/configs/arch/stc.yaml");
  GemmJob job;
  job.name = "fc";
  job.m = 1024;  // the weights' rows (TASD-W: S = weights)
  job.n = 128;
  job.k = 1152;
  job.dtype = tasd::DType::I8;
  job.sKind = SKind::Terms;
  job.series = tasd::Series::parse("2:4");
  job.termValues = {0};
  job.termMeta = {0};
  job.d.rowStride = job.k;
  job.output.requant = true;
  const Tiling cycles = chooseTiling(stc.params, job, {MapperObjective::Cycles, &stc.energy});
  const Tiling edp = chooseTiling(stc.params, job, {MapperObjective::Edp, &stc.energy});
  SCOPED_TRACE(testing::Message() << cycles.mt << "x" << cycles.nt << "x" << cycles.kt << " vs "
                                  << edp.mt << "x" << edp.nt << "x" << edp.kt);
  EXPECT_TRUE(cycles.mt != edp.mt || cycles.nt != edp.nt || cycles.kt != edp.kt);
  EXPECT_LE(cycles.estimatedCycles, edp.estimatedCycles);
  EXPECT_LT(edp.estimatedEnergyPj * edp.estimatedCycles,
            cycles.estimatedEnergyPj * cycles.estimatedCycles);
  // Without an energy table the estimate has no energy, and EDP cannot be asked for.
  EXPECT_EQ(chooseTiling(stc.params, job).estimatedEnergyPj, 0.0);
  EXPECT_THROW(chooseTiling(stc.params, job, {MapperObjective::Edp, nullptr}), std::logic_error);
  EXPECT_THROW(parseMapperObjective("energy"), UserError);
}

// A memo serves jobs that differ only in names and addresses and nothing else: each of the
// fields the chooser reads makes a different job, and a memoised choice is the computed one.
TEST(Tiling, TheMemoServesOnlyTheSameJob) {
  const config::ArchConfig ttc =
      config::loadArch(std::string(TASDSIM_SOURCE_DIR) + "/configs/arch/ttc_vegeta_m8.yaml");
  GemmJob base;
  base.name = "conv";
  base.m = 64;
  base.k = 3 * 3 * 32;
  base.sKind = SKind::OnTheFly;
  base.series = tasd::Series::parse("4:8");
  base.s.conv = true;
  base.s.geometry.inH = base.s.geometry.inW = 14;
  base.s.geometry.channels = 32;
  base.s.geometry.kh = base.s.geometry.kw = 3;
  base.s.geometry.padTop = base.s.geometry.padLeft = base.s.geometry.padBottom =
      base.s.geometry.padRight = 1;
  base.m = static_cast<uint32_t>(base.s.geometry.outH() * base.s.geometry.outW());
  base.n = 96;
  base.d.rowStride = base.k * 4;
  TilingMemo memo;
  const MapperOptions plain{MapperObjective::Cycles, &ttc.energy};
  MapperOptions memoised = plain;
  memoised.memo = &memo;
  const Tiling first = chooseTiling(ttc.params, base, memoised);
  ASSERT_NE(memo.find(base), nullptr);

  GemmJob renamed = base;
  renamed.name = "other";
  renamed.s.address = 1 << 20;
  renamed.d.address = 2 << 20;
  renamed.cAddress = 3 << 20;
  EXPECT_NE(memo.find(renamed), nullptr);

  std::vector<GemmJob> different(7, base);
  different[0].n = 128;
  different[1].series = tasd::Series::parse("2:8");
  different[2].sKind = SKind::Dense;
  different[3].s.geometry.inH = different[3].s.geometry.inW = 16;  // unpadded: the same rows
  different[3].s.geometry.padTop = different[3].s.geometry.padLeft =
      different[3].s.geometry.padBottom = different[3].s.geometry.padRight = 0;
  different[4].dtype = tasd::DType::BF16;
  different[5].output.requant = true;
  different[6].s.batch = 2;
  different[6].m *= 2;  // rows: the output positions of both images
  for (size_t i = 0; i < different.size(); ++i) {
    EXPECT_EQ(memo.find(different[i]), nullptr) << i;
    const Tiling want = chooseTiling(ttc.params, different[i], plain);
    const Tiling got = chooseTiling(ttc.params, different[i], memoised);
    EXPECT_TRUE(got.mt == want.mt && got.nt == want.nt && got.kt == want.kt) << i;
    EXPECT_EQ(got.estimatedCycles, want.estimatedCycles) << i;
  }
  const Tiling again = chooseTiling(ttc.params, renamed, memoised);
  EXPECT_TRUE(again.mt == first.mt && again.nt == first.nt && again.kt == first.kt);
}

}  // namespace
}  // namespace tasdsim::runtime
