#include <gtest/gtest.h>

#include "sw/common/Error.h"
#include "sw/common/Text.h"
#include "sw/tasd/Series.h"

namespace tasdsim::tasd {
namespace {

TEST(Text, SplitCommasKeepsEmptyParts) {
  using V = std::vector<std::string>;
  EXPECT_EQ(splitCommas("1:8,2:8,4:8"), (V{"1:8", "2:8", "4:8"}));
  EXPECT_EQ(splitCommas("W"), (V{"W"}));
  EXPECT_EQ(splitCommas(""), (V{""}));
  EXPECT_EQ(splitCommas("a,"), (V{"a", ""}));
  EXPECT_EQ(splitCommas(",,"), (V{"", "", ""}));
}

TEST(NMPattern, ParsesAndPrints) {
  const NMPattern p = NMPattern::parse("2:4");
  EXPECT_EQ(p.n, 2u);
  EXPECT_EQ(p.m, 4u);
  EXPECT_EQ(p.str(), "2:4");
  EXPECT_DOUBLE_EQ(p.fraction(), 0.5);
  EXPECT_EQ(p.indexBits(), 2u);
  EXPECT_EQ(NMPattern::parse("1:32").indexBits(), 5u);
  EXPECT_EQ(NMPattern::parse("1:2").indexBits(), 1u);
  EXPECT_TRUE(NMPattern::parse("8:8").isDense());
}

TEST(NMPattern, RejectsBadText) {
  for (const char* bad : {"", "2", "2:", ":4", "a:4", "2:b", "2:4:8", "3:6", "5:4", "0:4", "1:1",
                          "1:64", "-1:4", "2 :4x"}) {
    EXPECT_THROW(NMPattern::parse(bad), UserError) << bad;
  }
}

TEST(NMPattern, ErrorNamesTheRule) {
  try {
    NMPattern::parse("3:6");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("power of two"), std::string::npos) << e.what();
  }
  try {
    NMPattern::parse("9:8");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("n must be in [1, m]"), std::string::npos) << e.what();
  }
}

TEST(Series, ParsesPrintsAndCosts) {
  const Series s = Series::parse("4:8+1:8");
  ASSERT_EQ(s.order(), 2u);
  EXPECT_EQ(s.str(), "4:8+1:8");
  EXPECT_DOUBLE_EQ(s.computeFraction(), 5.0 / 8);
  EXPECT_TRUE(s.sameBlockSize());
  const Series mixed = Series::parse(" 2:4 + 1:8 ");
  EXPECT_EQ(mixed.str(), "2:4+1:8");
  EXPECT_DOUBLE_EQ(mixed.computeFraction(), 0.5 + 0.125);
  EXPECT_FALSE(mixed.sameBlockSize());
  EXPECT_EQ(mixed.maxBlockSize(), 8u);
  EXPECT_TRUE(Series::parse("dense").isDense());
  EXPECT_DOUBLE_EQ(Series::parse("dense").computeFraction(), 1.0);
  EXPECT_EQ(Series::dense().str(), "dense");
}

TEST(Series, ComputeFractionOfAReductionCountsThePaddedLastBlock) {
  // K = 37 at 2:4: ten blocks of 4 (the last holds one element) take 2 slots each.
  EXPECT_DOUBLE_EQ(Series::parse("2:4").computeFraction(37), 20.0 / 37);
  // Mixed block sizes: 4:8 takes ceil(37/8) * 4 = 20 slots, 1:4 ten more.
  EXPECT_DOUBLE_EQ(Series::parse("4:8+1:4").computeFraction(37), 30.0 / 37);
  // When every m divides K it is the sum of n/m; dense is 1 at any K.
  EXPECT_DOUBLE_EQ(Series::parse("4:8+1:8").computeFraction(64), 5.0 / 8);
  EXPECT_DOUBLE_EQ(Series::dense().computeFraction(37), 1.0);
  // Never below the whole-block fraction.
  for (uint64_t k = 1; k < 100; ++k)
    EXPECT_GE(Series::parse("1:8+2:4").computeFraction(k),
              Series::parse("1:8+2:4").computeFraction())
        << k;
}

TEST(Series, RejectsBadText) {
  for (const char* bad : {"", "+", "2:4+", "+2:4", "2:4++1:4", "dense+2:4", "2:4+x", "2:3"}) {
    EXPECT_THROW(Series::parse(bad), UserError) << bad;
  }
}

TEST(Series, EnumeratesEngineSeries) {
  const std::vector<NMPattern> m8{NMPattern::parse("1:8"), NMPattern::parse("2:8"),
                                  NMPattern::parse("4:8")};
  const std::vector<Series> all = enumerateSeries(m8, 3);
  // Same-m series keep the top sum-n entries of each block: one series per total n in 1..7
  // (the shortest: 1, 2, 2+1, 4, 4+1, 4+2, 4+2+1), plus dense.
  EXPECT_EQ(all.size(), 8u);
  for (size_t i = 1; i < all.size(); ++i)
    EXPECT_LE(all[i - 1].computeFraction(), all[i].computeFraction());
  EXPECT_EQ(all.front().str(), "1:8");
  EXPECT_EQ(all.back().str(), "dense");
  bool sawCanonical = false;
  for (const Series& s : all) {
    EXPECT_NE(s.str(), "1:8+4:8");  // duplicate of 4:8+1:8
    EXPECT_NE(s.str(), "2:8+2:8");  // same entries as 4:8, one term more
    EXPECT_NE(s.str(), "2:8+1:8+1:8");
    sawCanonical |= s.str() == "4:8+1:8";
  }
  EXPECT_TRUE(sawCanonical);
}

TEST(Series, MixedBlockSizesKeepOrder) {
  const std::vector<NMPattern> p{NMPattern::parse("2:4"), NMPattern::parse("1:8")};
  const std::vector<Series> all = enumerateSeries(p, 2, false);
  bool a = false, b = false;
  for (const Series& s : all) {
    a |= s.str() == "2:4+1:8";
    b |= s.str() == "1:8+2:4";
  }
  EXPECT_TRUE(a && b);
}

}  // namespace
}  // namespace tasdsim::tasd
