// TASD unit bench: dense activation tiles in, compressed terms out. The terms must equal the
// TASD library's decomposition of the thresholded tile, and the time must be
// ceil(blocks / units) * m cycles per block size.
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <systemc>

#include "hw/model/tasd_unit/TasdUnits.h"
#include "sw/tasd/Decompose.h"
#include "tests/bench/BenchUnitIf.h"
#include "tests/common/RunInChild.h"

namespace tasdsim::hw {
namespace {

nlohmann::json runTasd(uint32_t units, const std::string& seriesText, float tau, uint32_t rows, uint32_t ks) {
  AcceleratorParams params;
  params.tasd.count = units;
  StatsRegistry stats;
  test::BenchController ctrl("ctrl", params, stats);
  TasdUnits tu("tasd_units", params, stats);
  tu.ctrl_port.bind(ctrl);
  const tasd::Series series = tasd::Series::parse(seriesText);
  LayerState& L = ctrl.configure(rows, 0, ks, LayerState{}.dtype, series);
  L.source = isa::SSource::OnTheFly;
  L.tau = tau;
  std::mt19937 rng(11);
  std::normal_distribution<float> nd;
  STile& s = ctrl.sSlot(1);
  s.rows = {0, rows};
  s.ks = {0, ks};
  s.denseLoaded = true;
  s.denseF.resize(uint64_t{rows} * ks);
  for (float& v : s.denseF) v = rng() % 3 == 0 ? 0.0f : (rng() % 5 == 0 ? 1.0f : nd(rng));  // zeros and ties
  s.sourceElements = uint64_t{rows} * ks;
  std::vector<float> input = s.denseF;
  Op op;
  op.unit = UnitKind::Tasd;
  op.instruction.opcode = isa::Opcode::Tasd;
  op.instruction.field[isa::tasd_op::Slot] = 1;
  ctrl.ops.push_back(op);
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  sc_core::sc_start(1, sc_core::SC_MS);
  // Reference: threshold, then the library's decomposition.
  tasd::MatrixF ref(rows, ks, input);
  for (float& v : ref.values())
    if (std::fabs(v) <= tau) v = 0.0f;
  const auto dec = tasd::decompose(ref, series);
  nlohmann::json out;
  out["error"] = ctrl.error;
  out["done_ns"] = ctrl.completions.empty() ? -1.0 : ctrl.completions[0].second;
  bool same = s.terms.size() == dec.terms.size();
  for (size_t t = 0; same && t < dec.terms.size(); ++t) same = s.terms[t] == dec.terms[t] && s.termLoaded[t];
  out["same"] = same;
  out["blocks"] = stats.value("tasd_units.blocks");
  return out;
}

TEST(TasdUnitBench, TermsEqualTheLibraryAndTimeFollowsTheUnitCount) {
  for (uint32_t units : {1u, 4u, 16u}) {
    const auto r =
        nlohmann::json::parse(test::runInChildBytes([&] { return runTasd(units, "2:8+1:8", 0.25f, 24, 40).dump(); }));
    SCOPED_TRACE(units);
    EXPECT_EQ(r["error"], "");
    EXPECT_TRUE(r["same"].get<bool>());
    const uint64_t blocks = 24 * 5;  // 40 columns = 5 blocks of 8 per row
    EXPECT_EQ(r["blocks"].get<uint64_t>(), blocks);
    EXPECT_DOUBLE_EQ(r["done_ns"].get<double>(), static_cast<double>((blocks + units - 1) / units * 8));
  }
}

TEST(TasdUnitBench, MixedBlockSizesTakeOnePassPerSize) {
  const auto r = nlohmann::json::parse(test::runInChildBytes([] { return runTasd(2, "2:4+1:8", -1.0f, 6, 16).dump(); }));
  EXPECT_TRUE(r["same"].get<bool>());
  // m = 4: 6*4 = 24 blocks -> 12 x 4 cycles; m = 8: 12 blocks -> 6 x 8 cycles.
  EXPECT_DOUBLE_EQ(r["done_ns"].get<double>(), 12.0 * 4 + 6.0 * 8);
}

}  // namespace
}  // namespace tasdsim::hw
