// PE array bench: a bench controller (source/sink) feeds STREAM ops over prepared buffer slots;
// the accumulated values must equal a plain reference GEMM of the same operands, and the
// cycles must follow the documented identities: a dense tile takes MACs / MAC units cycles on the
// array and completes the fill/drain latency later, an n:m term n/m of that, a series the sum of
// its terms; streams back to back pay the fill and drain once (overlap_streams).
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <systemc>

#include "hw/model/pe_array/PeArray.h"
#include "hw/model/pe_array/PeArrayStats.h"
#include "hw/model/pe_array/StreamMath.h"
#include "sw/tasd/Decompose.h"
#include "tests/bench/BenchUnitIf.h"
#include "tests/common/RunInChild.h"

namespace tasdsim::hw {
namespace {

struct Case {
  std::string series;  // "dense" or a series
  tasd::DType dtype = tasd::DType::I8;
  uint32_t rows = 32, cols = 48, ks = 64;
  uint32_t streams = 1;  // identical streams, back to back
};

nlohmann::json runStream(const AcceleratorParams& params, const Case& c, uint32_t seed) {
  StatsRegistry stats;
  test::BenchController ctrl("ctrl", params, stats);
  PeArray pe("pe_array", params.peArray, params.context(), stats);
  pe.ctrl_port.bind(ctrl);
  const tasd::Series series = tasd::Series::parse(c.series);
  LayerState& L = ctrl.configure(c.rows, c.cols, c.ks, c.dtype, series);
  std::mt19937 rng(seed);
  auto value = [&]() { return static_cast<int>(rng() % 255) - 127; };
  // S (rows x ks) with ties and zeros, D (cols x ks).
  std::vector<float> s(c.rows * c.ks), d(c.cols * c.ks);
  for (float& v : s)
    v = rng() % 4 == 0 ? 0.0f : static_cast<float>(value() % 5);
  for (float& v : d)
    v = static_cast<float>(value());
  STile& st = ctrl.buffer().s.slot(0);
  st.rows = {0, c.rows};
  st.ks = {0, c.ks};
  std::vector<float> approx = s;
  if (series.isDense()) {
    st.denseLoaded = true;
    if (c.dtype == tasd::DType::I8) {
      st.denseI8.assign(s.begin(), s.end());
    } else {
      st.denseF = s;
    }
  } else {
    if (c.dtype == tasd::DType::I8) {
      tasd::MatrixI8 si(c.rows, c.ks);
      for (size_t i = 0; i < s.size(); ++i)
        si.data()[i] = static_cast<int8_t>(s[i]);
      auto dec = tasd::decompose(si, series);
      st.terms = dec.terms;
      const tasd::MatrixI8 sum = tasd::reconstructI8(dec.terms, c.rows, c.ks);
      for (size_t i = 0; i < s.size(); ++i)
        approx[i] = sum.data()[i];
    } else {
      auto dec = tasd::decompose(tasd::MatrixF(c.rows, c.ks, s), series, c.dtype);
      st.terms = dec.terms;
      approx = tasd::reconstructF(dec.terms, c.rows, c.ks).values();
    }
    for (uint32_t t = 0; t < L.terms; ++t)
      st.termLoaded[t] = true;
  }
  DTile& dt = ctrl.buffer().d.slot(0);
  dt.cols = {0, c.cols};
  dt.ks = {0, c.ks};
  dt.loaded = true;
  dt.kMajorI.resize(c.cols * c.ks);
  dt.kMajorF.resize(c.cols * c.ks);
  for (uint32_t j = 0; j < c.cols; ++j)
    for (uint32_t k = 0; k < c.ks; ++k) {
      dt.kMajorI[k * c.cols + j] = static_cast<int32_t>(d[j * c.ks + k]);
      dt.kMajorF[k * c.cols + j] = d[j * c.ks + k];
    }
  Op op;
  op.unit = UnitKind::Compute;
  op.instruction.opcode = isa::Opcode::Stream;
  op.instruction.field[isa::stream::Clear] = 1;
  op.instruction.field[isa::stream::TermCount] = L.terms;
  for (uint32_t i = 0; i < c.streams; ++i)
    ctrl.ops.push_back(op);
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc_core::sc_start(1, sc_core::SC_MS);
  nlohmann::json out;
  out["error"] = ctrl.error;
  out["done_ns"] = ctrl.completions.empty() ? -1.0 : ctrl.completions[0].second;
  out["last_done_ns"] = ctrl.completions.empty() ? -1.0 : ctrl.completions.back().second;
  out["busy_cycles"] = stats.value(PeArrayStats::kBusyCycles.path());
  out["mac_ops"] = stats.value(PeArrayStats::kMacOps.path());
  // Values against the reference on the approximated operand.
  const AccTile& acc = ctrl.buffer().acc.slot(0);
  uint64_t wrong = 0;
  for (uint32_t i = 0; i < c.rows; ++i)
    for (uint32_t j = 0; j < c.cols; ++j) {
      double ref = 0;
      for (uint32_t k = 0; k < c.ks; ++k)
        ref += static_cast<double>(approx[i * c.ks + k]) * d[j * c.ks + k];
      const double got = c.dtype == tasd::DType::I8 ? acc.i[i * c.cols + j] : acc.f[i * c.cols + j];
      wrong += got != ref;
    }
  out["wrong"] = wrong;
  return out;
}

AcceleratorParams engine() {
  AcceleratorParams p;
  p.peArray.rows = 8;
  p.peArray.cols = 8;
  p.peArray.lanes = 4;
  p.peArray.pipelineLatencyCycles = 16;
  p.peArray.patterns = {tasd::NMPattern::parse("1:8"), tasd::NMPattern::parse("2:8"),
                        tasd::NMPattern::parse("4:8"), tasd::NMPattern::parse("2:4")};
  p.clockGHz = 1.0;
  return p;
}

TEST(PeArrayBench, ValuesMatchTheReferenceAndCyclesFollowTheIdentities) {
  const AcceleratorParams params = engine();
  // 32 x 48 x 64 tile on 8 x 8 x 4: dense = 32*48*64 / 256 = 384 cycles on the array, results
  // written 16 cycles (the latency) later.
  const uint64_t dense = 32ull * 48 * 64 / params.peArray.macUnits();
  const std::vector<std::pair<std::string, uint64_t>> cases = {
      {"dense", dense},           {"2:8", dense / 4},
      {"4:8+1:8", dense * 5 / 8}, {"1:8+1:8+1:8", dense * 3 / 8},
      {"2:4", dense / 2},         {"2:4+1:8", dense / 2 + dense / 8}};
  for (const auto& [series, expect] : cases) {
    const auto r = nlohmann::json::parse(
        test::runInChildBytes([&] { return runStream(params, {series}, 3).dump(); }));
    SCOPED_TRACE(series);
    EXPECT_EQ(r["error"], "");
    EXPECT_EQ(r["wrong"].get<uint64_t>(), 0u);
    EXPECT_EQ(r["busy_cycles"].get<uint64_t>(), expect);
    EXPECT_DOUBLE_EQ(r["done_ns"].get<double>(),
                     static_cast<double>(expect + params.peArray.pipelineLatencyCycles));
  }
}

TEST(PeArrayBench, PartialGroupsAndFloatValues) {
  const AcceleratorParams params = engine();
  Case c{"4:8+1:8", tasd::DType::F32, 13, 21, 37};
  // Analytical: 2 row groups x 3 column groups; slots per row ceil(37/8)*n -> 20 and 5.
  const uint64_t passes = 2 * 3, cycles = passes * (5 + 2);
  const auto r =
      nlohmann::json::parse(test::runInChildBytes([&] { return runStream(params, c, 9).dump(); }));
  EXPECT_EQ(r["wrong"].get<uint64_t>(), 0u);
  EXPECT_EQ(r["busy_cycles"].get<uint64_t>(), cycles);
  EXPECT_EQ(r["mac_ops"].get<uint64_t>(), 13ull * 21 * (20 + 5));
}

TEST(PeArrayBench, BackToBackStreamsOverlapTheirFillAndDrain) {
  AcceleratorParams params = engine();
  Case c{"4:8+1:8"};
  c.streams = 3;
  const uint64_t stream = 32ull * 48 * 64 / params.peArray.macUnits() * 5 / 8;  // 240
  const uint64_t latency = params.peArray.pipelineLatencyCycles;
  for (const bool overlap : {true, false}) {
    SCOPED_TRACE(overlap);
    params.peArray.overlapStreams = overlap;
    const auto r = nlohmann::json::parse(
        test::runInChildBytes([&] { return runStream(params, c, 5).dump(); }));
    EXPECT_EQ(r["wrong"].get<uint64_t>(), 0u);
    // Operands ready from the start: with overlap each stream holds the array for its passes
    // and the last one's results arrive one latency after its passes; without, every stream
    // holds it for its fill and drain as well.
    EXPECT_EQ(r["busy_cycles"].get<uint64_t>(), 3 * stream + (overlap ? 0 : 3 * latency));
    EXPECT_DOUBLE_EQ(r["done_ns"].get<double>(), static_cast<double>(stream + latency));
    EXPECT_DOUBLE_EQ(r["last_done_ns"].get<double>(),
                     static_cast<double>(3 * stream + (overlap ? 1 : 3) * latency));
  }
}

TEST(PeArrayBench, BufferPortsCanLimitTheRate) {
  AcceleratorParams params = engine();
  params.buffer.d.banks = 1;
  params.buffer.d.bankWidthBytes = 8;  // 8 B/cycle for the dense operand
  const auto r = nlohmann::json::parse(
      test::runInChildBytes([&] { return runStream(params, {"2:8"}, 4).dump(); }));
  // D tile 48 x 64 int8 read once per row group (4): 12288 B / 8 B per cycle.
  EXPECT_EQ(r["busy_cycles"].get<uint64_t>(), 48ull * 64 * 4 / 8);
  EXPECT_EQ(r["wrong"].get<uint64_t>(), 0u);
}

}  // namespace
}  // namespace tasdsim::hw
