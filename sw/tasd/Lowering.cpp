#include "sw/tasd/Lowering.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "sw/common/Error.h"

namespace tasdsim::tasd {

ConvLayout parseConvLayout(std::string_view text) {
  if (text == "OIHW") return ConvLayout::OIHW;
  if (text == "OHWI") return ConvLayout::OHWI;
  if (text == "HWIO") return ConvLayout::HWIO;
  throw UserError(fmt::format("conv weight layout '{}': expected OIHW, OHWI or HWIO", text));
}

const char* convLayoutName(ConvLayout layout) {
  switch (layout) {
    case ConvLayout::OIHW:
      return "OIHW";
    case ConvLayout::OHWI:
      return "OHWI";
    case ConvLayout::HWIO:
      return "HWIO";
  }
  return "?";
}

ConvWeightShape convWeightShape(const std::array<size_t, 4>& d, ConvLayout layout) {
  switch (layout) {
    case ConvLayout::OIHW:
      return {d[0], d[1], d[2], d[3]};
    case ConvLayout::OHWI:
      return {d[0], d[3], d[1], d[2]};
    case ConvLayout::HWIO:
      return {d[3], d[2], d[0], d[1]};
  }
  return {};
}

template <typename T>
Matrix<T> lowerConvWeights(const T* data, const std::array<size_t, 4>& dims, ConvLayout layout) {
  const ConvWeightShape s = convWeightShape(dims, layout);
  const size_t k = s.kh * s.kw * s.cin;
  Matrix<T> out(s.cout, k);
  for (size_t o = 0; o < s.cout; ++o) {
    for (size_t r = 0; r < s.kh; ++r) {
      for (size_t q = 0; q < s.kw; ++q) {
        for (size_t c = 0; c < s.cin; ++c) {
          size_t src = 0;
          switch (layout) {
            case ConvLayout::OIHW:
              src = ((o * s.cin + c) * s.kh + r) * s.kw + q;
              break;
            case ConvLayout::OHWI:
              src = ((o * s.kh + r) * s.kw + q) * s.cin + c;
              break;
            case ConvLayout::HWIO:
              src = ((r * s.kw + q) * s.cin + c) * s.cout + o;
              break;
          }
          out(o, (r * s.kw + q) * s.cin + c) = data[src];
        }
      }
    }
  }
  return out;
}

template <typename T>
void im2colInto(const T* nhwc, size_t pixelStride, const ConvGeometry& g, T* out) {
  const size_t ho = g.outH(), wo = g.outW(), k = g.k(), c = g.channels;
  for (size_t oh = 0; oh < ho; ++oh) {
    for (size_t ow = 0; ow < wo; ++ow) {
      T* dst = out + (oh * wo + ow) * k;
      for (size_t r = 0; r < g.kh; ++r) {
        const int64_t ih =
            static_cast<int64_t>(oh * g.strideH + r * g.dilationH) - static_cast<int64_t>(g.padTop);
        const bool rowInside = ih >= 0 && ih < static_cast<int64_t>(g.inH);
        for (size_t q = 0; q < g.kw; ++q) {
          const int64_t iw = static_cast<int64_t>(ow * g.strideW + q * g.dilationW) -
                             static_cast<int64_t>(g.padLeft);
          T* run = dst + (r * g.kw + q) * c;
          if (!rowInside || iw < 0 || iw >= static_cast<int64_t>(g.inW)) {
            std::fill(run, run + c, T{0});
            continue;
          }
          const T* src =
              nhwc + (static_cast<size_t>(ih) * g.inW + static_cast<size_t>(iw)) * pixelStride;
          if (c == 1) {
            *run = *src;  // depthwise: one value per kernel position
          } else {
            std::memcpy(run, src, c * sizeof(T));
          }
        }
      }
    }
  }
}

template <typename T>
Matrix<T> im2col(const T* nhwc, const ConvGeometry& g) {
  Matrix<T> out(g.outH() * g.outW(), g.k());
  im2colInto(nhwc, g.channels, g, out.data());
  return out;
}

template Matrix<float> lowerConvWeights(const float*, const std::array<size_t, 4>&, ConvLayout);
template Matrix<int8_t> lowerConvWeights(const int8_t*, const std::array<size_t, 4>&, ConvLayout);
template Matrix<float> im2col(const float*, const ConvGeometry&);
template Matrix<int8_t> im2col(const int8_t*, const ConvGeometry&);
template void im2colInto(const float*, size_t, const ConvGeometry&, float*);
template void im2colInto(const int8_t*, size_t, const ConvGeometry&, int8_t*);

}  // namespace tasdsim::tasd
