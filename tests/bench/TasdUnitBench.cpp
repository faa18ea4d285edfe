// TASD unit bench: dense activation tiles in, compressed terms out. The terms must equal the
// TASD library's decomposition of the thresholded tile. Time: with one unit the blocks of a pass
// (a run of terms of one block size) go one after another, each taking max(selections, terms)
// cycles, selections = max(1, min(sum n, nonzeros)), plus 1 + terms cycles of fill and drain;
// more units share the blocks (the exact schedule is checked against the RTL in
// tests/cosim/TasdUnitCosimTest.cpp).
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <systemc>

#include "hw/model/tasd_unit/TasdUnit.h"
#include "hw/model/tasd_unit/TasdUnitStats.h"
#include "sw/tasd/Decompose.h"
#include "tests/bench/BenchUnitIf.h"
#include "tests/common/RunInChild.h"

namespace tasdsim::hw {
namespace {

nlohmann::json runTasd(uint32_t units, const std::string& seriesText, float tau, uint32_t rows,
                       uint32_t ks) {
  AcceleratorParams params;
  params.tasdUnit.count = units;
  StatsRegistry stats;
  test::BenchController ctrl("ctrl", params, stats);
  TasdUnit tu("tasd_unit", params.tasdUnit, params.context(), stats);
  tu.ctrl_port.bind(ctrl);
  const tasd::Series series = tasd::Series::parse(seriesText);
  LayerState& L = ctrl.configure(rows, 0, ks, LayerState{}.dtype, series);
  L.source = isa::SSource::OnTheFly;
  L.tau = tau;
  std::mt19937 rng(11);
  std::normal_distribution<float> nd;
  STile& s = ctrl.buffer().s.slot(1);
  s.rows = {0, rows};
  s.ks = {0, ks};
  s.denseLoaded = true;
  s.denseF.resize(uint64_t{rows} * ks);
  for (float& v : s.denseF)
    v = rng() % 3 == 0 ? 0.0f : (rng() % 5 == 0 ? 1.0f : nd(rng));  // zeros and ties
  s.sourceElements = uint64_t{rows} * ks;
  std::vector<float> input = s.denseF;
  Op op;
  op.unit = UnitKind::Tasd;
  op.instruction.opcode = isa::Opcode::Tasd;
  op.instruction.field[isa::tasd_op::Slot] = 1;
  ctrl.ops.push_back(op);
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc_core::sc_start(1, sc_core::SC_MS);
  // Reference: threshold, then the library's decomposition.
  tasd::MatrixF ref(rows, ks, input);
  for (float& v : ref.values())
    if (std::fabs(v) <= tau) v = 0.0f;
  const auto dec = tasd::decompose(ref, series);
  // One unit's closed form, pass by pass over what the earlier passes left.
  uint64_t oneUnit = 0, fill = 0;
  tasd::MatrixF left = ref;
  for (size_t t = 0; t < series.order();) {
    size_t end = t;
    uint32_t sumN = 0;
    while (end < series.order() && series.terms[end].m == series.terms[t].m)
      sumN += series.terms[end++].n;
    const uint32_t m = series.terms[t].m;
    const uint64_t beats = end - t;
    for (uint32_t r = 0; r < rows; ++r)
      for (uint32_t b = 0; b * m < ks; ++b) {
        uint32_t nonzeros = 0;
        for (uint32_t c = b * m; c < std::min(ks, (b + 1) * m); ++c)
          nonzeros += left(r, c) != 0.0f;
        oneUnit += std::max<uint64_t>(std::max<uint32_t>(1, std::min(sumN, nonzeros)), beats);
      }
    oneUnit += 1 + beats;
    fill += 1 + beats;
    for (size_t k = t; k < end; ++k) {
      const tasd::MatrixF kept = dec.terms[k].toDenseF();
      for (size_t i = 0; i < kept.size(); ++i)
        if (kept.data()[i] != 0.0f) left.data()[i] = 0.0f;
    }
    t = end;
  }
  nlohmann::json out;
  out["one_unit_cycles"] = oneUnit;
  out["fill_cycles"] = fill;
  out["error"] = ctrl.error;
  out["done_ns"] = ctrl.completions.empty() ? -1.0 : ctrl.completions[0].second;
  bool same = s.terms.size() == dec.terms.size();
  for (size_t t = 0; same && t < dec.terms.size(); ++t)
    same = s.terms[t] == dec.terms[t] && s.termLoaded[t];
  out["same"] = same;
  out["blocks"] = stats.value(TasdUnitStats::kBlocks.path());
  return out;
}

TEST(TasdUnitBench, TermsEqualTheLibraryAndTimeFollowsTheUnitCount) {
  for (uint32_t units : {1u, 4u, 16u}) {
    const auto r = nlohmann::json::parse(
        test::runInChildBytes([&] { return runTasd(units, "2:8+1:8", 0.25f, 24, 40).dump(); }));
    SCOPED_TRACE(units);
    EXPECT_EQ(r["error"], "");
    EXPECT_TRUE(r["same"].get<bool>());
    const uint64_t blocks = 24 * 5;  // 40 columns = 5 blocks of 8 per row
    EXPECT_EQ(r["blocks"].get<uint64_t>(), blocks);
    const double done = r["done_ns"].get<double>();  // 1 GHz: cycles
    const double oneUnit = r["one_unit_cycles"].get<double>(),
                 fill = r["fill_cycles"].get<double>();
    if (units == 1) {
      EXPECT_DOUBLE_EQ(done, oneUnit);
    } else {  // the blocks' work spread over the units, never worse than one unit
      EXPECT_LT(done, oneUnit);
      EXPECT_GE(done, (oneUnit - fill) / units + fill);
    }
  }
}

TEST(TasdUnitBench, MixedBlockSizesTakeOnePassPerSize) {
  const auto r = nlohmann::json::parse(
      test::runInChildBytes([] { return runTasd(2, "2:4+1:8", -1.0f, 6, 16).dump(); }));
  EXPECT_TRUE(r["same"].get<bool>());
  // Two passes (m = 4, then m = 8 on what 2:4 left), each with its own fill and drain.
  EXPECT_EQ(r["fill_cycles"].get<uint64_t>(), 2u * (1 + 1));
  const double done = r["done_ns"].get<double>(), oneUnit = r["one_unit_cycles"].get<double>();
  EXPECT_LT(done, oneUnit);
  EXPECT_GE(done, (oneUnit - 4) / 2 + 4);
  const auto one = nlohmann::json::parse(
      test::runInChildBytes([] { return runTasd(1, "2:4+1:8", -1.0f, 6, 16).dump(); }));
  EXPECT_DOUBLE_EQ(one["done_ns"].get<double>(), one["one_unit_cycles"].get<double>());
}

// A timing-only tile (every element nonzero) counts one row for all rows: the same time, blocks
// and compares as the element-by-element schedule, for ragged rows, several passes and units.
TEST(TasdUnitBench, AllAliveTimingEqualsTheElementwiseSchedule) {
  for (uint32_t units : {1u, 2u, 3u, 8u})
    for (const char* seriesText : {"4:8", "2:8+1:8", "2:4+4:8+1:8", "1:16"})
      for (size_t rows : {1u, 5u, 64u})
        for (size_t cols : {3u, 8u, 10u, 13u, 100u, 256u}) {
          TasdUnitParams params;
          params.count = units;
          const tasd::Series series = tasd::Series::parse(seriesText);
          const TasdTileTiming want =
              tasdTileTiming(params, series, rows, cols, std::vector<uint8_t>(rows * cols, 1));
          const TasdTileTiming got = tasdTileTimingAllAlive(params, series, rows, cols);
          SCOPED_TRACE(testing::Message()
                       << units << " units, " << seriesText << ", " << rows << " x " << cols);
          EXPECT_EQ(got.cycles, want.cycles);
          EXPECT_EQ(got.blocks, want.blocks);
          EXPECT_EQ(got.compares, want.compares);
        }
}

}  // namespace
}  // namespace tasdsim::hw
