// How a job is cut into per-instance slices (sw/runtime/Distribute.h): near-equal contiguous
// shares, and every slice's addresses pointing into the whole job's operands and results.
#include <gtest/gtest.h>

#include "hw/isa/Isa.h"
#include "sw/runtime/Distribute.h"

namespace tasdsim::runtime {
namespace {

using Shares = std::vector<std::pair<uint32_t, uint32_t>>;

TEST(Distribute, SharesAreContiguousNearEqualAndNeverEmpty) {
  EXPECT_EQ(shares(10, 3), (Shares{{0, 4}, {4, 3}, {7, 3}}));
  EXPECT_EQ(shares(8, 4), (Shares{{0, 2}, {2, 2}, {4, 2}, {6, 2}}));
  EXPECT_EQ(shares(2, 4), (Shares{{0, 1}, {1, 1}}));  // fewer items than parts
  EXPECT_EQ(shares(5, 1), (Shares{{0, 5}}));
}

GemmJob termsJob() {
  GemmJob j;
  j.m = 64;  // S = weights: 64 output channels
  j.n = 100;
  j.k = 40;  // 5 blocks of 8
  j.dtype = tasd::DType::F32;
  j.sKind = SKind::Terms;
  j.series = tasd::Series::parse("4:8+1:8");
  j.termValues = {0x10000, 0x20000};
  j.termMeta = {0x30000, 0x40000};
  j.d.address = 0x50000;
  j.d.rowStride = 40 * 4;
  j.cAddress = 0x60000;
  j.cRowStride = 100 * 4;
  j.output.requant = true;
  j.output.perRow = true;
  j.output.tableAddress = 0x70000;
  return j;
}

TEST(Distribute, RowsOfSOffsetTermsResultsAndPerRowTable) {
  const GemmJob s = sliceRowsOfS(termsJob(), 16, 8);
  EXPECT_EQ(s.m, 8u);
  EXPECT_EQ(s.n, 100u);
  // 4:8 on K = 40: 5 blocks x 4 slots = 20 fp32 values and 20 x 3-bit indices (8 bytes) per row.
  EXPECT_EQ(s.termValues[0], 0x10000u + 16 * 20 * 4);
  EXPECT_EQ(s.termMeta[0], 0x30000u + 16 * 8);
  // 1:8: 5 values and 15 bits (2 bytes) per row.
  EXPECT_EQ(s.termValues[1], 0x20000u + 16 * 5 * 4);
  EXPECT_EQ(s.termMeta[1], 0x40000u + 16 * 2);
  EXPECT_EQ(s.cAddress, 0x60000u + 16 * 100 * 4);
  EXPECT_EQ(s.cRowStride, 100u * 4);
  EXPECT_EQ(s.output.tableAddress, 0x70000u + 16 * isa::kOutTableEntryBytes);
  EXPECT_EQ(s.d.address, 0x50000u);  // D is shared
}

TEST(Distribute, RowsOfDOffsetResultColumnsAndKeepTheRowStride) {
  GemmJob j = termsJob();
  j.output.requant = false;
  const GemmJob s = sliceRowsOfD(j, 30, 20);
  EXPECT_EQ(s.n, 20u);
  EXPECT_EQ(s.m, 64u);
  EXPECT_EQ(s.d.address, 0x50000u + 30 * 40 * 4);
  EXPECT_EQ(s.cAddress, 0x60000u + 30 * 4);  // columns 30..49 of every result row
  EXPECT_EQ(s.cRowStride, 100u * 4);
  EXPECT_EQ(s.termValues, j.termValues);  // S is shared
}

TEST(Distribute, ConvolutionsSplitIntoWholeImages) {
  GemmJob j = termsJob();
  j.output.requant = false;
  j.d = DenseOperand{};
  j.d.conv = true;
  j.d.geometry.inH = j.d.geometry.inW = 6;
  j.d.geometry.channels = 5;
  j.d.geometry.kh = j.d.geometry.kw = 3;
  j.d.geometry.padTop = j.d.geometry.padLeft = j.d.geometry.padBottom = j.d.geometry.padRight = 1;
  j.d.batch = 3;
  j.d.address = 0x80000;
  j.n = 3 * 36;  // output positions of three 6x6 images
  const auto perInstance = distributeJob(j, /*sIsWeights=*/true, hw::Distribution::Batch, 2);
  ASSERT_EQ(perInstance.size(), 2u);
  ASSERT_EQ(perInstance[0].size(), 1u);
  ASSERT_EQ(perInstance[1].size(), 1u);
  const GemmJob& a = perInstance[0][0];
  const GemmJob& b = perInstance[1][0];
  EXPECT_EQ(a.d.batch, 2u);
  EXPECT_EQ(a.n, 72u);
  EXPECT_EQ(a.d.address, 0x80000u);
  EXPECT_EQ(b.d.batch, 1u);
  EXPECT_EQ(b.n, 36u);
  EXPECT_EQ(b.d.address, 0x80000u + 2 * 6 * 6 * 5 * 4);  // after two NHWC images
  EXPECT_EQ(b.cAddress, 0x60000u + 72 * 4);              // result columns of the third image
  // Channels mode slices the weights instead (S rows), every image on every instance.
  const auto byChannel = distributeJob(j, true, hw::Distribution::Channels, 4);
  for (const auto& jobs : byChannel) {
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].m, 16u);
    EXPECT_EQ(jobs[0].d.batch, 3u);
  }
}

}  // namespace
}  // namespace tasdsim::runtime
