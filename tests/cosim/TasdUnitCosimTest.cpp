// The TASD units with impl: rtl (Verilated tasd_unit instances behind TasdUnit' SystemC
// interface) against the same module with impl: model (the TASD library): a bench controller
// feeds TASD ops over identical dense activation tiles; the compressed terms must be equal byte
// for byte and the thresholded counts equal, for every value type, every n of every block size,
// multi-term and mixed-block series, ties, zeros, all-zero rows, ragged last blocks, IEEE
// specials, thresholds, 1 to 16 units and random back-pressure on both handshakes. Cycles: the
// model times the units as the RTL runs them, so without back-pressure both take the same
// cycles for every case (patterns, n, m, series, thresholds, value types, unit counts); full
// blocks take the closed form of docs/rtl.md, sparse blocks stop early.
#include <cmath>
#include <limits>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <systemc>

#include "hw/model/tasd_unit/TasdUnit.h"
#include "hw/model/tasd_unit/TasdUnitStats.h"
#include "sw/common/Half.h"
#include "sw/tasd/Decompose.h"
#include "tests/bench/BenchUnitIf.h"
#include "tests/common/RunInChild.h"

namespace tasdsim::hw {
namespace {

enum class Data { Mixed, Full, Specials };

struct Case {
  std::string series;
  tasd::DType dtype = tasd::DType::I8;
  uint32_t rows = 12, ks = 40;
  uint32_t units = 4;
  float tau = -1.0f;
  Data data = Data::Mixed;
  uint32_t backpressure = 0;  // seed; 0: none
};

std::vector<float> tile(const Case& c, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> v(uint64_t{c.rows} * c.ks);
  for (size_t i = 0; i < v.size(); ++i) {
    const size_t row = i / c.ks;
    float x;
    if (c.data == Data::Full) {
      x = static_cast<float>(1 + rng() % 100) * (rng() % 2 ? 1.0f : -1.0f);  // no zeros
    } else if (row == 1) {
      x = 0.0f;  // an all-zero row
    } else if (row == 2) {
      x = i % 7 == 0 ? 3.0f : 0.0f;  // fewer nonzeros than the terms hold
    } else if (rng() % 4 == 0) {
      x = 0.0f;
    } else if (rng() % 3 == 0) {
      x = rng() % 2 ? 2.0f : -2.0f;  // ties
    } else {
      x = static_cast<float>(static_cast<int>(rng() % 255) - 127);
    }
    if (c.dtype != tasd::DType::I8 && c.data != Data::Full && rng() % 2)
      x *= 0.37f;  // non-integers
    v[i] = x;
  }
  if (c.data == Data::Specials && c.dtype != tasd::DType::I8) {
    const float specials[] = {std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity(),
                              std::numeric_limits<float>::quiet_NaN(),
                              -0.0f,
                              std::numeric_limits<float>::denorm_min(),
                              -std::numeric_limits<float>::max(),
                              1e-30f};
    for (size_t i = 0; i < v.size(); i += 3)
      v[i] = specials[(i / 3) % 7];
  }
  if (c.dtype == tasd::DType::I8) {
    for (float& x : v)
      x = std::max(-128.0f, std::min(127.0f, std::round(x)));
  } else if (c.dtype == tasd::DType::BF16) {
    for (float& x : v)
      x = roundToBf16(x);  // the buffer holds bf16 values
  }
  return v;
}

nlohmann::json runCase(const std::string& impl, const Case& c, uint32_t seed) {
  AcceleratorParams params;
  params.tasdUnit.count = c.units;
  params.tasdUnit.impl = impl;
  rtl::CosimOptions cosim;
  cosim.backpressureSeed = c.backpressure;
  StatsRegistry stats;
  test::BenchController ctrl("ctrl", params, stats);
  TasdUnit tu("tasd_unit", params.tasdUnit, params.context(), stats, cosim);
  tu.ctrl_port.bind(ctrl);
  const tasd::Series series = tasd::Series::parse(c.series);
  LayerState& L = ctrl.configure(c.rows, 0, c.ks, c.dtype, series);
  L.source = isa::SSource::OnTheFly;
  L.tau = c.tau;
  STile& s = ctrl.buffer().s.slot(1);
  s.rows = {0, c.rows};
  s.ks = {0, c.ks};
  s.denseLoaded = true;
  const std::vector<float> values = tile(c, seed);
  if (c.dtype == tasd::DType::I8) {
    s.denseI8.assign(values.begin(), values.end());
  } else {
    s.denseF = values;
  }
  s.sourceElements = uint64_t{c.rows} * c.ks;
  Op op;
  op.unit = UnitKind::Tasd;
  op.instruction.opcode = isa::Opcode::Tasd;
  op.instruction.field[isa::tasd_op::Slot] = 1;
  ctrl.ops.push_back(op);
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc_core::sc_start(1, sc_core::SC_MS);
  nlohmann::json out;
  out["error"] = ctrl.error;
  out["busy_cycles"] = stats.value(TasdUnitStats::kBusyCycles.path());
  out["done_ns"] = ctrl.completions.empty() ? -1.0 : ctrl.completions[0].second;
  out["thresholded"] = stats.value(TasdUnitStats::kThresholded.path());
  out["terms"] = nlohmann::json::array();
  for (const tasd::CompressedTerm& t : s.terms)
    out["terms"].push_back(nlohmann::json::binary(t.serialize()));
  return out;
}

// The RTL's passes: runs of consecutive same-m terms. Returns sum over passes of
// ceil(blocks / units) * max(m, terms) + 1 + terms: its cycles when every block is full.
uint64_t rtlBound(const Case& c) {
  const tasd::Series series = tasd::Series::parse(c.series);
  uint64_t bound = 0;
  for (size_t t = 0; t < series.order();) {
    size_t end = t;
    while (end < series.order() && series.terms[end].m == series.terms[t].m)
      ++end;
    const uint64_t m = series.terms[t].m, terms = end - t;
    const uint64_t blocks = uint64_t{c.rows} * ((c.ks + m - 1) / m);
    bound += (blocks + c.units - 1) / c.units * std::max(m, terms) + 1 + terms;
    t = end;
  }
  return bound;
}

struct Outcome {
  uint64_t model = 0, rtl = 0;
};

Outcome expectSameTerms(const Case& c, uint32_t seed = 7) {
  SCOPED_TRACE(::testing::Message() << c.series << " " << tasd::dtypeName(c.dtype) << " " << c.rows
                                    << "x" << c.ks << " units " << c.units << " tau " << c.tau
                                    << " backpressure " << c.backpressure << " seed " << seed);
  const auto run = [&](const std::string& impl) {
    return nlohmann::json::parse(
        test::runInChildBytes([&] { return runCase(impl, c, seed).dump(); }));
  };
  const nlohmann::json model = run("model"), rtl = run("rtl");
  EXPECT_EQ(model["error"], "");
  EXPECT_EQ(rtl["error"], "");
  EXPECT_EQ(rtl["terms"].size(), tasd::Series::parse(c.series).order());
  EXPECT_EQ(rtl["terms"], model["terms"]);
  EXPECT_EQ(rtl["thresholded"], model["thresholded"]);
  const Outcome o{model["busy_cycles"].get<uint64_t>(), rtl["busy_cycles"].get<uint64_t>()};
  EXPECT_DOUBLE_EQ(rtl["done_ns"].get<double>(), static_cast<double>(o.rtl));  // 1 GHz clock
  EXPECT_DOUBLE_EQ(model["done_ns"].get<double>(), static_cast<double>(o.model));
  if (c.backpressure == 0) {
    EXPECT_EQ(o.model, o.rtl);  // cycle-exact
    EXPECT_LE(o.rtl, rtlBound(c));
  } else {
    EXPECT_GE(o.rtl, o.model);  // a held handshake only delays the RTL
  }
  return o;
}

TEST(TasdUnitCosim, EveryPatternOfEveryBlockSize) {
  for (uint32_t m : {2u, 4u, 8u, 16u, 32u}) {
    for (uint32_t n : {1u, m / 2, m - 1, m}) {
      if (n == 0) continue;
      Case c;
      c.series = std::to_string(n) + ":" + std::to_string(m);
      c.ks = 3 * m + m / 2 + 1;  // a ragged last block
      expectSameTerms(c, m * 100 + n);
    }
  }
}

TEST(TasdUnitCosim, SeriesAndMixedBlockSizes) {
  for (const char* series :
       {"4:8+1:8", "2:8+2:8+2:8", "8:8+8:8", "16:32+8:32+4:32", "1:4+1:4+1:4+1:4",
        "1:8+1:8+1:8+1:8+1:8+1:8+1:8", "2:4+1:8", "1:8+2:4+1:8", "1:2+1:2+1:2"}) {
    Case c;
    c.series = series;
    expectSameTerms(c);
  }
}

TEST(TasdUnitCosim, EveryValueTypeWithAndWithoutThreshold) {
  for (tasd::DType dtype : {tasd::DType::I8, tasd::DType::F32, tasd::DType::BF16}) {
    for (float tau : {-1.0f, 2.5f, 0.0f, 200.0f}) {
      Case c;
      c.series = "4:8+1:8";
      c.dtype = dtype;
      c.tau = tau;
      expectSameTerms(c);
    }
  }
}

TEST(TasdUnitCosim, IeeeSpecials) {
  for (tasd::DType dtype : {tasd::DType::F32, tasd::DType::BF16}) {
    Case c;
    c.series = "2:8+1:8";
    c.dtype = dtype;
    c.data = Data::Specials;
    c.tau = 1e-20f;
    expectSameTerms(c);
  }
}

TEST(TasdUnitCosim, UnitCountsAndBackPressure) {
  for (uint32_t units : {1u, 3u, 16u}) {
    for (uint32_t backpressure : {0u, 99u}) {
      Case c;
      c.series = "2:4+1:4";
      c.units = units;
      c.backpressure = backpressure;
      c.rows = 9;
      c.ks = 30;
      expectSameTerms(c, units + backpressure);
    }
  }
}

TEST(TasdUnitCosim, RandomCases) {
  std::mt19937 rng(77);
  const char* choices[] = {"2:8", "4:8+1:8", "1:4+1:4", "2:16+2:16", "3:8+1:8", "2:4+1:8"};
  for (int i = 0; i < 10; ++i) {
    Case c;
    c.series = choices[rng() % 6];
    c.dtype = static_cast<tasd::DType>(rng() % 3);
    c.rows = 1 + rng() % 20;
    c.ks = 1 + rng() % 70;
    c.units = 1 + rng() % 8;
    c.tau = rng() % 2 ? -1.0f : 1.5f;
    c.backpressure = rng() % 3 == 0 ? static_cast<uint32_t>(rng()) | 1u : 0u;
    expectSameTerms(c, static_cast<uint32_t>(rng()));
  }
}

// Full blocks (no zeros, the terms hold the whole block): one selection per element, so a pass
// takes ceil(blocks / units) * max(m, terms) cycles plus its fill and drain of 1 + terms, in the
// RTL and in the model.
TEST(TasdUnitCosim, FullBlocksTakeTheClosedForm) {
  for (const auto& [series, units] : std::vector<std::pair<std::string, uint32_t>>{
           {"4:8+4:8", 1}, {"4:8+4:8", 4}, {"8:8", 16}, {"2:4+2:4", 2}, {"16:16", 3}}) {
    Case c;
    c.series = series;
    c.units = units;
    c.data = Data::Full;
    c.ks = 64;  // whole blocks of every m
    const Outcome o = expectSameTerms(c);
    EXPECT_EQ(o.rtl, rtlBound(c)) << series << " units " << units;
    EXPECT_EQ(o.model, rtlBound(c)) << series << " units " << units;
  }
}

// Sparse blocks (ReLU-like: zeros, all-zero rows) stop early: faster than full blocks, in the RTL
// and the model alike. The measured ratio is recorded in docs/rtl.md.
TEST(TasdUnitCosim, SparseBlocksStopEarly) {
  Case c;
  c.series = "4:8+1:8";
  c.rows = 64;
  c.ks = 64;
  c.units = 16;
  const Outcome o = expectSameTerms(c);
  EXPECT_LT(o.rtl, rtlBound(c));
  std::printf(
      "4:8+1:8, 64 x 64 tile, 16 units, mixed values (zeros, ties, zero rows): model %llu cycles, "
      "RTL %llu cycles, full blocks %llu cycles (%.2f)\n",
      static_cast<unsigned long long>(o.model), static_cast<unsigned long long>(o.rtl),
      static_cast<unsigned long long>(rtlBound(c)),
      static_cast<double>(o.rtl) / static_cast<double>(rtlBound(c)));
}

}  // namespace
}  // namespace tasdsim::hw
