#include <random>

#include <gtest/gtest.h>

#include "sw/common/Error.h"
#include "sw/tasd/CompressedTerm.h"
#include "sw/tasd/Lowering.h"

namespace tasdsim::tasd {
namespace {

TEST(Lowering, AllLayoutsGiveTheSameChannelInnermostMatrix) {
  const size_t co = 3, ci = 5, kh = 2, kw = 3;
  std::vector<float> oihw(co * ci * kh * kw), ohwi(oihw.size()), hwio(oihw.size());
  std::mt19937 rng(1);
  for (size_t o = 0; o < co; ++o)
    for (size_t c = 0; c < ci; ++c)
      for (size_t r = 0; r < kh; ++r)
        for (size_t s = 0; s < kw; ++s) {
          const float v = static_cast<float>(rng() % 1000);
          oihw[((o * ci + c) * kh + r) * kw + s] = v;
          ohwi[((o * kh + r) * kw + s) * ci + c] = v;
          hwio[((r * kw + s) * ci + c) * co + o] = v;
        }
  const MatrixF a = lowerConvWeights(oihw.data(), {co, ci, kh, kw}, ConvLayout::OIHW);
  EXPECT_EQ(a, lowerConvWeights(ohwi.data(), {co, kh, kw, ci}, ConvLayout::OHWI));
  EXPECT_EQ(a, lowerConvWeights(hwio.data(), {kh, kw, ci, co}, ConvLayout::HWIO));
  ASSERT_EQ(a.rows(), co);
  ASSERT_EQ(a.cols(), kh * kw * ci);
  // k = (r*S + s)*C + c
  EXPECT_EQ(a(2, (1 * kw + 2) * ci + 4), oihw[((2 * ci + 4) * kh + 1) * kw + 2]);
  EXPECT_THROW(parseConvLayout("NCHW"), UserError);
}

TEST(Lowering, Im2colTimesWeightsIsTheConvolution) {
  ConvGeometry g;
  g.inH = 5;
  g.inW = 4;
  g.channels = 3;
  g.kh = g.kw = 3;
  g.strideH = 2;
  g.strideW = 1;
  g.padTop = g.padLeft = g.padBottom = g.padRight = 1;
  const size_t co = 2;
  std::mt19937 rng(2);
  std::vector<float> x(g.inH * g.inW * g.channels), w(co * g.channels * 9);
  for (float& v : x)
    v = static_cast<float>(static_cast<int>(rng() % 7) - 3);
  for (float& v : w)
    v = static_cast<float>(static_cast<int>(rng() % 5) - 2);
  const MatrixF cols = im2col(x.data(), g);
  const MatrixF wm = lowerConvWeights(w.data(), {co, g.channels, 3, 3}, ConvLayout::OIHW);
  ASSERT_EQ(g.outH(), 3u);
  ASSERT_EQ(g.outW(), 4u);
  for (size_t oh = 0; oh < g.outH(); ++oh)
    for (size_t ow = 0; ow < g.outW(); ++ow)
      for (size_t o = 0; o < co; ++o) {
        float direct = 0;
        for (size_t c = 0; c < g.channels; ++c)
          for (size_t r = 0; r < 3; ++r)
            for (size_t s = 0; s < 3; ++s) {
              const long ih = static_cast<long>(oh * 2 + r) - 1, iw = static_cast<long>(ow + s) - 1;
              if (ih < 0 || iw < 0 || ih >= 5 || iw >= 4) continue;
              direct += x[(static_cast<size_t>(ih) * 4 + static_cast<size_t>(iw)) * 3 + c] *
                        w[((o * 3 + c) * 3 + r) * 3 + s];
            }
        float gemm = 0;
        for (size_t k = 0; k < g.k(); ++k)
          gemm += cols(oh * g.outW() + ow, k) * wm(o, k);
        EXPECT_EQ(direct, gemm);
      }
}

TEST(Lowering, Im2colRowRangesAndChannelSlicesEqualTheWholeMatrix) {
  // A depthwise-like slice (one channel of four, pixels 4 apart) and a plain image, with dilation
  // and uneven padding; any row range equals those rows of the whole im2col matrix.
  std::mt19937 rng(7);
  for (const size_t channels : {size_t{1}, size_t{3}}) {
    ConvGeometry g;
    g.inH = 6;
    g.inW = 7;
    g.channels = channels;
    g.kh = 3;
    g.kw = 2;
    g.strideH = 1;
    g.strideW = 2;
    g.dilationH = 2;
    g.padTop = 2;
    g.padLeft = 1;
    g.padBottom = 1;
    g.padRight = 0;
    const size_t stride = channels == 1 ? 4 : channels;
    std::vector<float> wide(g.inH * g.inW * stride), compact(g.inH * g.inW * channels);
    for (float& v : wide)
      v = static_cast<float>(rng() % 100) - 50.0f;
    for (size_t p = 0; p < g.inH * g.inW; ++p)
      for (size_t c = 0; c < channels; ++c)
        compact[p * channels + c] = wide[p * stride + c];
    const MatrixF whole = im2col(compact.data(), g);
    const size_t rows = g.outH() * g.outW(), k = g.k();
    ASSERT_EQ(whole.rows(), rows);
    for (size_t begin = 0; begin < rows; begin += 3)
      for (const size_t end : {begin + 1, std::min(rows, begin + 5), rows}) {
        std::vector<float> part((end - begin) * k, -1.0f);
        im2colRowsInto(wide.data(), stride, g, begin, end, part.data());
        for (size_t r = begin; r < end; ++r)
          for (size_t q = 0; q < k; ++q)
            ASSERT_EQ(part[(r - begin) * k + q], whole(r, q)) << "C " << channels << " row " << r;
      }
  }
}

TEST(Lowering, CopyBitsEqualsBitByBitCopy) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<uint8_t> src(24), dst(24), expect;
    for (uint8_t& b : src)
      b = static_cast<uint8_t>(rng());
    for (uint8_t& b : dst)
      b = static_cast<uint8_t>(rng());
    expect = dst;
    // Byte-aligned offsets half the time (the whole-byte path), any offsets otherwise.
    const bool aligned = trial % 2 == 0;
    const size_t srcBit = aligned ? 8 * (rng() % 4) : rng() % 32;
    const size_t dstBit = aligned ? 8 * (rng() % 4) : rng() % 32;
    const size_t count = rng() % 150;
    for (size_t i = 0; i < count; ++i) {
      const uint32_t bit = (src[(srcBit + i) / 8] >> ((srcBit + i) % 8)) & 1u;
      uint8_t& d = expect[(dstBit + i) / 8];
      d = static_cast<uint8_t>((d & ~(1u << ((dstBit + i) % 8))) | (bit << ((dstBit + i) % 8)));
    }
    copyBits(dst.data(), dstBit, src.data(), srcBit, count);
    ASSERT_EQ(dst, expect) << "src bit " << srcBit << " dst bit " << dstBit << " count " << count;
  }
}

}  // namespace
}  // namespace tasdsim::tasd
