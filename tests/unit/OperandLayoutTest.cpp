// Implicit im2col: tiles gathered from the memory runs the load unit plans equal the matching
// rows and K runs of tasd::im2col, for strides, dilation, padding, channel-range K tiles and
// batches; strided convs read only the input pixels some window touches.
#include <random>

#include <gtest/gtest.h>

#include "hw/model/dataflow/OperandLayout.h"
#include "sw/tasd/Lowering.h"

namespace tasdsim::hw {
namespace {

TEST(OperandLayout, ConvTilesEqualIm2col) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    tasd::ConvGeometry g;
    g.channels = 1 + rng() % 12;
    g.kh = 1 + rng() % 3;
    g.kw = 1 + rng() % 3;
    g.strideH = 1 + rng() % 3;
    g.strideW = 1 + rng() % 3;
    g.dilationH = 1 + rng() % 2;
    g.dilationW = 1 + rng() % 2;
    g.padTop = rng() % 2;
    g.padLeft = rng() % 2;
    g.padBottom = rng() % 3;
    g.padRight = rng() % 2;
    g.inH = g.dilationH * (g.kh - 1) + 1 + rng() % 6;
    g.inW = g.dilationW * (g.kw - 1) + 1 + rng() % 6;
    const uint32_t batch = 1 + rng() % 2;
    const uint64_t perImage = g.inH * g.inW * g.channels, positions = g.outH() * g.outW();
    std::vector<float> input(perImage * batch);
    for (float& v : input)
      v = static_cast<float>(rng() % 1000);
    // Memory image: the NHWC tensor at address 64.
    std::vector<uint8_t> memory(64 + input.size() * 4);
    std::memcpy(memory.data() + 64, input.data(), input.size() * 4);
    OperandConfig op;
    op.configured = op.conv = true;
    op.base = 64;
    op.geometry = g;
    op.batch = batch;
    LayerState L;
    L.k = static_cast<uint32_t>(g.k());
    L.convChannels = static_cast<uint32_t>(g.channels);
    L.kernelPositions = static_cast<uint32_t>(g.kh * g.kw);
    // Reference: im2col per image, stacked.
    std::vector<float> ref;
    for (uint32_t b = 0; b < batch; ++b) {
      const auto part = tasd::im2col(input.data() + b * perImage, g).values();
      ref.insert(ref.end(), part.begin(), part.end());
    }
    const uint32_t rowsTotal = static_cast<uint32_t>(positions * batch);
    const uint32_t rowTile = 1 + rng() % rowsTotal;
    const uint32_t c0 = rng() % g.channels, cl = 1 + rng() % (g.channels - c0);
    SCOPED_TRACE(testing::Message()
                 << "trial " << trial << " C=" << g.channels << " k=" << g.kh << "x" << g.kw
                 << " s=" << g.strideH << "x" << g.strideW << " rows " << rowTile << " ch [" << c0
                 << "," << c0 + cl << ")");
    for (uint32_t r0 = 0; r0 < rowsTotal; r0 += rowTile) {
      const TileRange rows{r0, std::min(rowTile, rowsTotal - r0)};
      GatherPlan plan;
      ASSERT_EQ(planDenseTile(op, L, rows, c0, cl, 4, plan), "");
      std::vector<uint8_t> staging(plan.stagingBytes);
      for (const MemoryRun& run : plan.runs) {
        ASSERT_LE(run.address + run.bytes, memory.size());
        std::memcpy(staging.data() + run.stagingOffset, memory.data() + run.address, run.bytes);
      }
      const uint64_t kElems = L.kElements(cl);
      // Every element is written, padding included (the buffers are not cleared first).
      std::vector<float> tile(rows.length * kElems, -777.0f), kMajor(tile.size(), -777.0f);
      assembleDenseTile(op, L, rows, c0, cl, 4, plan, staging.data(),
                        reinterpret_cast<uint8_t*>(tile.data()));
      assembleDenseTile(op, L, rows, c0, cl, 4, plan, staging.data(),
                        reinterpret_cast<uint8_t*>(kMajor.data()), TileOrder::KMajor);
      const std::vector<KSegment> segs = L.kSegments(c0, cl);
      for (uint32_t r = 0; r < rows.length; ++r) {
        uint64_t col = 0;
        for (const KSegment& seg : segs)
          for (uint64_t k = seg.begin; k < seg.begin + seg.length; ++k, ++col) {
            ASSERT_EQ(tile[r * kElems + col], ref[(rows.begin + r) * g.k() + k])
                << "row " << r << " k " << k;
            ASSERT_EQ(kMajor[col * rows.length + r], tile[r * kElems + col])
                << "K-major row " << r << " k " << k;
          }
      }
      // Counting only gives the same size.
      GatherPlan count;
      count.countOnly = true;
      ASSERT_EQ(planDenseTile(op, L, rows, c0, cl, 4, count), "");
      EXPECT_EQ(count.stagingBytes, plan.stagingBytes);
    }
  }
}

TEST(OperandLayout, StridedOneByOneConvReadsOnlyTheWindowsPixels) {
  tasd::ConvGeometry g;
  g.inH = g.inW = 8;
  g.channels = 16;
  g.strideH = g.strideW = 2;  // 1x1 stride 2: a quarter of the pixels
  OperandConfig op;
  op.configured = op.conv = true;
  op.geometry = g;
  LayerState L;
  L.k = 16;
  L.convChannels = 16;
  L.kernelPositions = 1;
  GatherPlan plan;
  ASSERT_EQ(planDenseTile(op, L, {0, 16}, 0, 16, 4, plan), "");
  EXPECT_EQ(plan.stagingBytes, 16u * 16 * 4);  // 16 output positions x 16 channels
  // A 3x3 stride-1 tile reads its whole bounding box (every pixel is used).
  g.kh = g.kw = 3;
  g.strideH = g.strideW = 1;
  g.padTop = g.padLeft = g.padBottom = g.padRight = 1;
  op.geometry = g;
  L.k = 144;
  L.kernelPositions = 9;
  ASSERT_EQ(planDenseTile(op, L, {0, 64}, 0, 16, 4, plan), "");
  EXPECT_EQ(plan.stagingBytes, 64u * 16 * 4);
}

TEST(OperandLayout, TilesOutsideTheOperandAreRefused) {
  OperandConfig op;
  op.configured = true;
  op.rowStride = 64;
  LayerState L;
  L.k = 16;
  GatherPlan plan;
  EXPECT_NE(planDenseTile(op, L, {0, 4}, 8, 16, 4, plan), "");
  op.conv = true;
  op.geometry.inH = op.geometry.inW = 4;
  op.geometry.channels = 16;
  L.convChannels = 16;
  L.kernelPositions = 1;
  EXPECT_NE(planDenseTile(op, L, {10, 10}, 0, 16, 4, plan), "");  // 16 positions only
  EXPECT_NE(planDenseTile(op, L, {0, 4}, 8, 9, 4, plan), "");     // channels 8..17 of 16
}

// A timing-only load counts a matrix tile's runs from their span: the same first address, range,
// bytes and run count as the listed runs, for plain K tiles and for a conv layer's weights,
// whose channel-range K tiles are one run per kernel position.
TEST(OperandLayout, SpanOnlyPlansSummariseTheRunsTheyDoNotList) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    const bool convK = trial % 2;
    LayerState L;
    OperandConfig op;
    op.configured = true;
    op.base = 4096 + 64 * (rng() % 8);
    uint32_t k0 = 0, klen = 0;
    if (convK) {
      L.convChannels = 8 * (1 + rng() % 4);
      L.kernelPositions = 1 + rng() % 9;
      L.k = L.convChannels * L.kernelPositions;
      k0 = 8 * (rng() % (L.convChannels / 8));
      klen = 8 * (1 + rng() % ((L.convChannels - k0) / 8));
    } else {
      L.k = 1 + rng() % 300;
      k0 = rng() % L.k;
      klen = 1 + rng() % (L.k - k0);
    }
    const uint32_t eb = trial % 3 == 0 ? 1 : 4;
    op.rowStride = uint64_t{L.k} * eb + 64 * (rng() % 3);  // rows may leave gaps
    const TileRange rows{static_cast<uint32_t>(rng() % 50), 1 + static_cast<uint32_t>(rng() % 40)};
    GatherPlan listed, span;
    span.spanOnly = true;
    ASSERT_EQ(planDenseTile(op, L, rows, k0, klen, eb, listed), "");
    ASSERT_EQ(planDenseTile(op, L, rows, k0, klen, eb, span), "");
    RunSpan want;
    for (const MemoryRun& run : listed.runs)
      want.add(run.address, run.bytes);
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    EXPECT_TRUE(span.runs.empty());
    EXPECT_EQ(span.stagingBytes, listed.stagingBytes);
    EXPECT_EQ(span.span.first, want.first);
    EXPECT_EQ(span.span.lo, want.lo);
    EXPECT_EQ(span.span.hi, want.hi);
    EXPECT_EQ(span.span.bytes, want.bytes);
    EXPECT_EQ(span.span.runs, want.runs);
    EXPECT_EQ(listed.span.bytes, want.bytes);
    EXPECT_EQ(listed.span.runs, want.runs);
    EXPECT_FALSE(span.span.wraps);
  }
  // Rows that pass the end of the address space have no span: the load reads them one by one
  // (and fails where they leave memory).
  LayerState L;
  L.k = 64;
  OperandConfig op;
  op.configured = true;
  op.base = UINT64_MAX - 1000;
  op.rowStride = 256;
  for (const bool spanOnly : {false, true}) {
    GatherPlan plan;
    plan.spanOnly = spanOnly;
    ASSERT_EQ(planDenseTile(op, L, {0, 8}, 0, 64, 4, plan), "");
    EXPECT_TRUE(plan.span.wraps) << spanOnly;
    EXPECT_FALSE(plan.runs.empty()) << spanOnly;
  }
}

}  // namespace
}  // namespace tasdsim::hw
