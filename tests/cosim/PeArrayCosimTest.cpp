// The PE array with impl: rtl (the Verilated pe_array behind PeArray's SystemC interface)
// against the same PeArray with impl: model: a bench controller feeds identical STREAM ops over
// identical buffer slots; the accumulator tiles must be equal element for element, and the
// stream's cycles (busy cycles and completion time) equal, for every pattern the RTL PE
// supports, multi-term series, term subsets, partial row/column groups, accumulation onto an
// earlier stream, extreme values, both Verilated sizes and a timing-only run. The model's
// pipeline latency is set to rows + cols (its default), which the RTL array has, and streams do
// not overlap (the RTL array drains each stream before it takes the next).
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <systemc>

#include "hw/model/pe_array/PeArray.h"
#include "hw/model/pe_array/PeArrayStats.h"
#include "sw/tasd/Decompose.h"
#include "tests/bench/BenchUnitIf.h"
#include "tests/common/RunInChild.h"

namespace tasdsim::hw {
namespace {

struct Case {
  std::string series = "dense";  // "dense" or a series
  uint32_t rows = 32, cols = 48, ks = 64;
  uint32_t firstTerm = 0, termCount = 0;  // termCount 0: every term of the series (or dense)
  bool accumulate = false;                // a second stream adds onto the first one's accumulators
  bool extremes = false;                  // every value -128
  bool functional = true;
};

AcceleratorParams engine(uint32_t size, const std::string& impl) {
  AcceleratorParams p;
  p.peArray.rows = size;
  p.peArray.cols = size;
  p.peArray.lanes = 4;
  p.peArray.pipelineLatencyCycles = 2 * size;
  p.peArray.patterns = {
      tasd::NMPattern::parse("1:8"), tasd::NMPattern::parse("2:8"), tasd::NMPattern::parse("4:8"),
      tasd::NMPattern::parse("8:8"), tasd::NMPattern::parse("1:4"), tasd::NMPattern::parse("2:4"),
      tasd::NMPattern::parse("4:4"), tasd::NMPattern::parse("1:2"), tasd::NMPattern::parse("2:2")};
  p.peArray.impl = impl;
  p.peArray.overlapStreams = false;  // the RTL array drains every stream before the next
  return p;
}

// Runs the case's stream(s); returns the accumulator tile, errors and timing.
nlohmann::json runCase(AcceleratorParams params, const Case& c, uint32_t seed) {
  params.functional = c.functional;
  StatsRegistry stats;
  test::BenchController ctrl("ctrl", params, stats);
  PeArray pe("pe_array", params.peArray, params.context(), stats);
  pe.ctrl_port.bind(ctrl);
  const tasd::Series series = tasd::Series::parse(c.series);
  LayerState& L = ctrl.configure(c.rows, c.cols, c.ks, tasd::DType::I8, series);
  std::mt19937 rng(seed);
  auto value = [&]() { return static_cast<int8_t>(static_cast<int>(rng() % 256) - 128); };
  // S with zeros and ties (small magnitudes repeat), D over the whole int8 range.
  tasd::MatrixI8 s(c.rows, c.ks);
  for (int8_t& v : s.values())
    v = c.extremes ? int8_t{-128} : rng() % 4 == 0 ? int8_t{0} : static_cast<int8_t>(value() % 6);
  STile& st = ctrl.buffer().s.slot(0);
  st.rows = {0, c.rows};
  st.ks = {0, c.ks};
  if (c.functional) {
    if (series.isDense()) {
      st.denseLoaded = true;
      st.denseI8 = s.values();
    } else {
      st.terms = tasd::decompose(s, series).terms;
    }
  } else {
    st.denseLoaded = series.isDense();
  }
  for (uint32_t t = 0; t < L.terms; ++t)
    st.termLoaded[t] = true;
  DTile& dt = ctrl.buffer().d.slot(0);
  dt.cols = {0, c.cols};
  dt.ks = {0, c.ks};
  dt.loaded = true;
  if (c.functional) {
    dt.kMajorI.resize(uint64_t{c.cols} * c.ks);
    for (int32_t& v : dt.kMajorI)
      v = c.extremes ? -128 : value();
  }
  const uint32_t count = c.termCount ? c.termCount : L.terms;
  for (int i = 0; i < (c.accumulate ? 2 : 1); ++i) {
    Op op;
    op.pc = static_cast<uint64_t>(i);
    op.unit = UnitKind::Compute;
    op.instruction.opcode = isa::Opcode::Stream;
    op.instruction.field[isa::stream::Clear] = i == 0;
    op.instruction.field[isa::stream::FirstTerm] = i == 0 ? c.firstTerm : 0;
    op.instruction.field[isa::stream::TermCount] = i == 0 ? count : L.terms;
    ctrl.ops.push_back(op);
  }
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc_core::sc_start(1, sc_core::SC_MS);
  nlohmann::json out;
  out["error"] = ctrl.error;
  out["done_ns"] = nlohmann::json::array();
  for (const auto& done : ctrl.completions)
    out["done_ns"].push_back(done.second);
  out["busy_cycles"] = stats.value(PeArrayStats::kBusyCycles.path());
  out["acc"] = ctrl.buffer().acc.slot(0).i;
  return out;
}

void expectSameAsModel(uint32_t size, const Case& c, uint32_t seed = 3) {
  SCOPED_TRACE(::testing::Message()
               << size << "x" << size << " " << c.series << " " << c.rows << "x" << c.cols << "x"
               << c.ks << " terms " << c.firstTerm << "+" << c.termCount << " seed " << seed);
  const auto run = [&](const std::string& impl) {
    return nlohmann::json::parse(
        test::runInChildBytes([&] { return runCase(engine(size, impl), c, seed).dump(); }));
  };
  const nlohmann::json model = run("model"), rtl = run("rtl");
  EXPECT_EQ(model["error"], "");
  EXPECT_EQ(rtl["error"], "");
  EXPECT_EQ(rtl["done_ns"].size(), c.accumulate ? 2u : 1u);
  EXPECT_EQ(rtl["done_ns"], model["done_ns"]);
  EXPECT_EQ(rtl["busy_cycles"], model["busy_cycles"]);
  if (c.functional) {
    ASSERT_EQ(rtl["acc"].size(), uint64_t{c.rows} * c.cols);
    EXPECT_EQ(rtl["acc"], model["acc"]);
  }
}

TEST(PeArrayCosim, EveryPatternOnBothSizes) {
  for (uint32_t size : {4u, 8u}) {
    for (const char* series :
         {"dense", "1:8", "2:8", "4:8", "8:8", "1:4", "2:4", "4:4", "1:2", "2:2"}) {
      Case c;
      c.series = series;
      c.rows = 13;
      c.cols = 21;
      c.ks = 37;  // partial groups and a partial last block
      expectSameAsModel(size, c);
    }
  }
}

TEST(PeArrayCosim, SeriesRunBackToBackInAPass) {
  for (const char* series : {"4:8+1:8", "1:8+1:8+1:8", "2:4+1:8", "2:8+2:8+2:8+2:8"}) {
    Case c;
    c.series = series;
    expectSameAsModel(8, c, 11);
  }
}

TEST(PeArrayCosim, TermSubsetsAndAccumulation) {
  Case c;
  c.series = "2:8+1:8+1:4";
  c.firstTerm = 1;
  c.termCount = 2;
  expectSameAsModel(8, c);
  c.firstTerm = 0;
  c.termCount = 1;
  c.accumulate = true;  // stream term 0 with clear, then all three terms onto it
  expectSameAsModel(4, c);
}

TEST(PeArrayCosim, EdgeShapesAndExtremes) {
  for (const auto& [rows, cols, ks] :
       std::vector<std::array<uint32_t, 3>>{{1, 1, 1}, {8, 8, 8}, {9, 1, 200}, {1, 17, 3}}) {
    Case c;
    c.series = "4:8+1:8";
    c.rows = rows;
    c.cols = cols;
    c.ks = ks;
    expectSameAsModel(8, c, rows * 31 + ks);
  }
  Case c;
  c.series = "8:8";
  c.extremes = true;  // -128 * -128 over K = 64: 2^20 per output
  c.ks = 64;
  expectSameAsModel(8, c);
}

TEST(PeArrayCosim, RandomShapes) {
  std::mt19937 rng(2024);
  const char* choices[] = {"dense", "2:8", "4:8+1:8", "1:4+1:4", "2:4+1:8"};
  for (int i = 0; i < 8; ++i) {
    Case c;
    c.series = choices[rng() % 5];
    c.rows = 1 + rng() % 40;
    c.cols = 1 + rng() % 40;
    c.ks = 1 + rng() % 90;
    expectSameAsModel(rng() % 2 ? 8 : 4, c, static_cast<uint32_t>(rng()));
  }
}

TEST(PeArrayCosim, TimingOnlyRunTakesTheSameCycles) {
  Case c;
  c.series = "4:8+1:8";
  c.functional = false;
  expectSameAsModel(8, c);
}

// The model's pipeline latency is a parameter; the RTL's is rows + cols. A different setting
// moves every stream by the difference, and nothing else.
TEST(PeArrayCosim, ModelLatencyOtherThanRowsPlusColsIsAConstantOffset) {
  Case c;
  c.series = "4:8+1:8";
  c.accumulate = true;
  const auto run = [&](AcceleratorParams p) {
    return nlohmann::json::parse(test::runInChildBytes([&] { return runCase(p, c, 5).dump(); }));
  };
  AcceleratorParams model = engine(8, "model");
  model.peArray.pipelineLatencyCycles = 32;
  const nlohmann::json m = run(model), r = run(engine(8, "rtl"));
  EXPECT_EQ(m["acc"], r["acc"]);
  EXPECT_EQ(m["busy_cycles"].get<uint64_t>() - r["busy_cycles"].get<uint64_t>(), 2 * (32 - 16));
}

}  // namespace
}  // namespace tasdsim::hw
