// The int8 output path: the device's requantiser (hw Requant::apply, integer shifts) and the
// host's independent reference (runtime::referenceRequant, extended-precision floating point)
// agree on every result, including exact halves, saturation, ReLU and negative shifts; a scale
// becomes a multiplier and shift that reproduce it; and the encoder emits CFG_OUT and keeps a
// term-serial series' partial sums in P.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "hw/model/dataflow/LayerState.h"
#include "sw/common/Error.h"
#include "sw/runtime/Microcode.h"
#include "sw/runtime/Quantization.h"
#include "sw/runtime/Report.h"

namespace tasdsim::runtime {
namespace {

TEST(OutputPath, HandComputedResults) {
  // multiplier 2^30 with shift 0 is a scale of 1/2: 3 * 1/2 = 1.5 rounds away from zero to 2.
  const hw::Requant half{1 << 30, 0, 0};
  EXPECT_EQ(half.apply(3, false), 2);
  EXPECT_EQ(half.apply(-3, false), -2);
  EXPECT_EQ(half.apply(-3, true), 0);       // ReLU
  EXPECT_EQ(half.apply(1000, false), 127);  // saturation
  EXPECT_EQ(half.apply(-1000, false), -128);
  const hw::Requant biased{1 << 30, 0, 7};   // (acc + 7) / 2
  EXPECT_EQ(biased.apply(-2, false), 3);     // 2.5 -> 3
  const hw::Requant times8{1 << 30, -4, 0};  // 2^30 * 2^-(31 - 4) = 8
  EXPECT_EQ(times8.apply(5, false), 40);
  EXPECT_EQ(times8.apply(16, false), 127);
  EXPECT_EQ(referenceRequant(3, 0, 1 << 30, 0, false), 2);
  EXPECT_EQ(referenceRequant(5, 0, 1 << 30, -4, false), 40);
}

TEST(OutputPath, DeviceAndReferenceAgree) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int32_t> acc(-(1 << 26), 1 << 26), bias(-(1 << 20), 1 << 20);
  std::uniform_int_distribution<int32_t> mult(1 << 30, std::numeric_limits<int32_t>::max()),
      shift(-8, 31);
  size_t nonzero = 0;
  for (int i = 0; i < 200000; ++i) {
    const hw::Requant r{mult(rng), shift(rng), bias(rng)};
    const int32_t a = acc(rng);
    const bool relu = i % 3 == 0;
    const int8_t device = r.apply(a, relu);
    ASSERT_EQ(device, referenceRequant(a, r.bias, r.multiplier, r.shift, relu))
        << a << " " << r.bias << " " << r.multiplier << " " << r.shift;
    nonzero += device != 0 && device != 127 && device != -128;
  }
  EXPECT_GT(nonzero, 10000u);  // the cases were not all saturated or zero
  // Exact halves: (acc + bias) * m / 2^(31 + s) = k + 1/2.
  for (int32_t k = -130; k <= 130; ++k) {
    const hw::Requant r{1 << 30, 1, 0};  // scale 1/4
    const int32_t a = 4 * k + 2;         // k + 1/2
    EXPECT_EQ(r.apply(a, false), referenceRequant(a, 0, 1 << 30, 1, false)) << k;
  }
}

TEST(OutputPath, ParametersReproduceTheScale) {
  for (double scale : {1.0, 0.5, 0.3, 1e-3, 7.25e-9, 3.0, 1000.0}) {
    const auto [m, s] = requantParameters(scale, "l");
    EXPECT_GE(m, 1 << 30);
    EXPECT_NEAR(std::ldexp(static_cast<double>(m), -(31 + s)), scale, scale * 1e-9) << scale;
  }
  EXPECT_THROW(requantParameters(1e-30, "l"), UserError);
  EXPECT_THROW(requantParameters(0.0, "l"), UserError);
  EXPECT_THROW(requantParameters(NAN, "l"), UserError);
}

TEST(OutputPath, EncoderEmitsCfgOutAndPartialSumsInP) {
  hw::AcceleratorParams params;  // defaults: no TASD extension needed for the serial case
  params.tasdExtension = false;
  params.peArray.patterns = {tasd::NMPattern{4, 8}, tasd::NMPattern{1, 8}};
  params.maxTerms = 3;
  GemmJob job;
  job.name = "l";
  job.m = 16;
  job.n = 16;
  job.k = 64;
  job.dtype = tasd::DType::I8;
  job.sKind = SKind::Terms;
  job.series = tasd::Series::parse("4:8+1:8");
  job.termValues = {0x1000, 0x3000};
  job.termMeta = {0x2000, 0x4000};
  job.d.address = 0x5000;
  job.d.rowStride = 64;
  job.cAddress = 0x6000;
  job.cRowStride = 16;
  job.output.requant = true;
  job.output.perRow = true;
  job.output.relu = true;
  job.output.tableAddress = 0x7000;
  job.output.partialAddress = 0x8000;
  job.output.partialRowStride = 64;
  Program p;
  emitGemm(params, job, p);
  size_t cfgOut = 0, partialStores = 0, finalStores = 0, loadC = 0, cfgP = 0;
  for (const isa::Instruction& in : p.instructions) {
    if (in.opcode == isa::Opcode::CfgOut) {
      ++cfgOut;
      EXPECT_EQ(in.field[isa::cfg_out::Mode], 1u);
      EXPECT_EQ(in.field[isa::cfg_out::Relu], 1u);
      EXPECT_EQ(in.field[isa::cfg_out::PerRow], 1u);
      EXPECT_EQ(in.field[isa::cfg_out::TableAddr], 0x7000u);
    }
    if (in.opcode == isa::Opcode::CfgAddr && in.field[isa::cfg_addr::Operand] == 3) ++cfgP;
    if (in.opcode == isa::Opcode::StoreC)
      (in.field[isa::store_c::Partial] ? partialStores : finalStores)++;
    if (in.opcode == isa::Opcode::LoadC) ++loadC;
  }
  EXPECT_EQ(cfgOut, 1u);
  EXPECT_EQ(cfgP, 1u);
  EXPECT_GT(partialStores, 0u);           // the first term's pass
  EXPECT_EQ(partialStores, finalStores);  // two passes over the same tiles
  EXPECT_EQ(loadC, finalStores);          // the second pass reloads the first's partial sums
}

// The network's energy is the sum of its layers' in every component, the output path included.
TEST(OutputPath, NetworkTotalsAddEveryEnergyComponent) {
  RunResult run;
  for (int layer = 0; layer < 2; ++layer) {
    LayerResult l;
    double v = 1 + layer;
    for (double* c : {&l.energy.peMacs, &l.energy.indexMux, &l.energy.sBuffer, &l.energy.dBuffer,
                      &l.energy.accBuffer, &l.energy.dram, &l.energy.tasdUnits,
                      &l.energy.outputPath, &l.energy.decoder, &l.energy.staticEnergy}) {
      *c = v;
      v *= 2;
    }
    run.layers.push_back(l);
  }
  const NetworkTotals t = networkTotals(run);
  EXPECT_EQ(t.energy.outputPath, run.layers[0].energy.outputPath + run.layers[1].energy.outputPath);
  EXPECT_EQ(t.energyPj, run.layers[0].energy.total() + run.layers[1].energy.total());
}
}  // namespace
}  // namespace tasdsim::runtime
