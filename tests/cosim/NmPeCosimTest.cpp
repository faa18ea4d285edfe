// The Verilated N:M PE (M = 8, N = 2) against the C++ reference: random dense blocks and
// structured operands produced by the TASD library, accumulated dot products compared exactly.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "hw/rtl/pe/NmPeHarness.h"
#include "sw/tasd/Decompose.h"
#include "tests/common/RunInChild.h"

namespace tasdsim::rtl {
namespace {

// Structured operands from the TASD library: 2:8 terms of random int8 rows.
std::vector<NmPeStimulus> makeStimuli(uint32_t seed, size_t count) {
  std::mt19937 rng(seed);
  tasd::MatrixI8 a(count, kNmPeM);
  for (int8_t& v : a.values()) v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
  // Some rows with ties, zeros and extremes.
  for (size_t e = 0; e < static_cast<size_t>(kNmPeM); ++e) {
    a(0, e) = 0;
    a(1, e) = -128;
    a(2, e) = static_cast<int8_t>(e % 2 ? 3 : -3);
  }
  const auto d = tasd::decompose(a, tasd::Series::parse("2:8"));
  std::vector<NmPeStimulus> out(count);
  for (size_t i = 0; i < count; ++i) {
    for (int e = 0; e < kNmPeM; ++e) out[i].dense[e] = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
    if (i == 1) out[i].dense.fill(-128);
    for (int s = 0; s < kNmPeN; ++s) {
      out[i].values[s] = d.terms[0].valueAsInt8(i, s);
      out[i].index[s] = static_cast<uint8_t>(d.terms[0].index(i, s));
    }
    out[i].clear = i % 5 == 0;
  }
  return out;
}

std::vector<int32_t> reference(const std::vector<NmPeStimulus>& stimuli) {
  std::vector<int32_t> out;
  int32_t acc = 0;
  for (const NmPeStimulus& s : stimuli) {
    int32_t dot = 0;
    for (int k = 0; k < kNmPeN; ++k) dot += int32_t{s.values[k]} * s.dense[s.index[k]];
    acc = s.clear ? dot : acc + dot;
    out.push_back(acc);
  }
  return out;
}

TEST(NmPeCosim, RandomBlocksMatchReference) {
  const auto stimuli = makeStimuli(42, 500);
  const auto got = test::runInChildVector<int32_t>([&] { return runNmPe(stimuli); });
  ASSERT_EQ(got.size(), stimuli.size());
  EXPECT_EQ(got, reference(stimuli));
  // Extremes: -128 * -128 * 2 slots on the all -128 row.
  EXPECT_EQ(got[1] - got[0], 2 * 128 * 128);
}

TEST(NmPeCosim, WritesVcdWhenAsked) {
  const std::string path = "nm_pe_test.vcd";
  std::filesystem::remove(path);
  const auto stimuli = makeStimuli(7, 8);
  const auto got = test::runInChildVector<int32_t>([&] { return runNmPe(stimuli, path); });
  EXPECT_EQ(got, reference(stimuli));
  std::ifstream in(path);
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("$enddefinitions"), std::string::npos);
  EXPECT_NE(text.str().find("out_acc"), std::string::npos);
}

}  // namespace
}  // namespace tasdsim::rtl
