#include <random>

#include <gtest/gtest.h>

#include "sw/common/Error.h"
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

}  // namespace
}  // namespace tasdsim::tasd
