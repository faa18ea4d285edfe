// The Verilated N:M PE (M = 8, 4 lanes) against a plain C++ reference: passes of random slot
// groups whose stored values and indices come from the TASD library's 2:8 and 1:8 terms (each
// lane with its own dense block), with idle cycles between groups, one-group passes and extremes.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "hw/rtl/pe/PeHarness.h"
#include "sw/tasd/Decompose.h"
#include "tests/common/RunInChild.h"

namespace tasdsim::rtl {
namespace {

int8_t randomInt8(std::mt19937& rng) {
  return static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
}

// Passes of 1..6 slot groups; lane l of group g takes slot 4g + l of a row of a 2:8 (or 1:8)
// term, with the dense block that slot belongs to.
std::vector<PeStimulus> makeStimuli(uint32_t seed, size_t passes) {
  std::mt19937 rng(seed);
  std::vector<PeStimulus> out;
  for (size_t p = 0; p < passes; ++p) {
    const size_t groups = 1 + rng() % 6;
    const tasd::Series series = tasd::Series::parse(p % 2 ? "1:8" : "2:8");
    const uint32_t n = series.terms[0].n;
    const size_t k = groups * kHarnessLanes / n * kHarnessM;  // K that fills the groups' slots
    tasd::MatrixI8 s(1, k), d(1, k);
    for (size_t e = 0; e < k; ++e) {
      s(0, e) = rng() % 5 == 0 ? 0 : randomInt8(rng);  // some blocks with fewer nonzeros
      d(0, e) = randomInt8(rng);
    }
    if (p == 1) {  // extremes: every product is (-128) * (-128)
      for (size_t e = 0; e < k; ++e)
        s(0, e) = d(0, e) = -128;
    }
    if (p == 2) {  // ties: the lower index wins
      for (size_t e = 0; e < k; ++e)
        s(0, e) = static_cast<int8_t>(e % 2 ? 3 : -3);
    }
    const auto dec = tasd::decompose(s, series);
    for (size_t g = 0; g < groups; ++g) {
      if (rng() % 4 == 0) out.push_back(PeStimulus{false});  // an idle cycle inside the pass
      PeStimulus st;
      st.first = g == 0;
      st.last = g + 1 == groups;
      for (int l = 0; l < kHarnessLanes; ++l) {
        const size_t slot = g * kHarnessLanes + l, block = slot / n;
        st.values[l] = dec.terms[0].valueAsInt8(0, slot);
        st.index[l] = static_cast<uint8_t>(dec.terms[0].index(0, slot));
        for (int e = 0; e < kHarnessM; ++e)
          st.dense[l][e] = d(0, block * kHarnessM + e);
      }
      out.push_back(st);
    }
  }
  return out;
}

// The pass sums and the stimulus each one ends at.
std::vector<PeResult> reference(const std::vector<PeStimulus>& stimuli) {
  std::vector<PeResult> out;
  int32_t acc = 0;
  for (size_t i = 0; i < stimuli.size(); ++i) {
    const PeStimulus& s = stimuli[i];
    if (!s.valid) continue;
    int32_t dot = 0;
    for (int l = 0; l < kHarnessLanes; ++l)
      dot += int32_t{s.values[l]} * s.dense[l][s.index[l]];
    acc = (s.first ? 0 : acc) + dot;
    if (s.last) out.push_back({i, acc});
  }
  return out;
}

std::vector<PeResult> run(const std::vector<PeStimulus>& stimuli, const std::string& vcd = "") {
  return test::runInChildVector<PeResult>([&] { return runPe(stimuli, vcd); });
}

TEST(PeCosim, PassesMatchTheReferenceValueAndCycle) {
  const auto stimuli = makeStimuli(42, 300);
  const auto got = run(stimuli);
  const auto want = reference(stimuli);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].acc, want[i].acc);
    EXPECT_EQ(got[i].cycle, want[i].cycle);  // registered by the edge that takes the last group
  }
}

TEST(PeCosim, ExtremeProductsAccumulateWithoutOverflow) {
  const auto stimuli = makeStimuli(5, 3);
  const auto got = run(stimuli);
  const auto want = reference(stimuli);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].acc, want[1].acc);
  // Pass 1 is all -128 x -128: 128 * 128 per lane and slot group.
  size_t groups = 0;
  for (size_t i = want[0].cycle + 1; i <= want[1].cycle; ++i)
    groups += stimuli[i].valid;
  EXPECT_EQ(got[1].acc, static_cast<int32_t>(groups * kHarnessLanes * 128 * 128));
}

TEST(PeCosim, WritesVcdWhenAsked) {
  const std::string path = "pe_test.vcd";
  std::filesystem::remove(path);
  const auto stimuli = makeStimuli(7, 4);
  const auto got = run(stimuli, path);
  ASSERT_EQ(got.size(), reference(stimuli).size());
  std::ifstream in(path);
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("$enddefinitions"), std::string::npos);
  EXPECT_NE(text.str().find("out_acc"), std::string::npos);
}

}  // namespace
}  // namespace tasdsim::rtl
