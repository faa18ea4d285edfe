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
void im2colRowsInto(const T* nhwc, size_t pixelStride, const ConvGeometry& g, size_t rowBegin,
                    size_t rowEnd, T* out) {
  const size_t wo = g.outW(), k = g.k(), c = g.channels;
  const int64_t inH = static_cast<int64_t>(g.inH), inW = static_cast<int64_t>(g.inW);
  for (size_t p = rowBegin; p < rowEnd; ++p) {
    const size_t oh = p / wo, ow = p % wo;
    T* dst = out + (p - rowBegin) * k;
    const int64_t ih0 = static_cast<int64_t>(oh * g.strideH) - static_cast<int64_t>(g.padTop);
    const int64_t iw0 = static_cast<int64_t>(ow * g.strideW) - static_cast<int64_t>(g.padLeft);
    for (size_t r = 0; r < g.kh; ++r) {
      const int64_t ih = ih0 + static_cast<int64_t>(r * g.dilationH);
      T* run = dst + r * g.kw * c;
      if (ih < 0 || ih >= inH) {
        std::fill(run, run + g.kw * c, T{0});
        continue;
      }
      const T* srcRow = nhwc + static_cast<size_t>(ih) * g.inW * pixelStride;
      for (size_t q = 0; q < g.kw; ++q, run += c) {
        const int64_t iw = iw0 + static_cast<int64_t>(q * g.dilationW);
        if (iw < 0 || iw >= inW) {
          std::fill(run, run + c, T{0});
        } else if (c == 1) {
          *run = srcRow[static_cast<size_t>(iw) * pixelStride];  // depthwise: one value
        } else {
          std::memcpy(run, srcRow + static_cast<size_t>(iw) * pixelStride, c * sizeof(T));
        }
      }
    }
  }
}

template <typename T>
void im2colInto(const T* nhwc, size_t pixelStride, const ConvGeometry& g, T* out) {
  im2colRowsInto(nhwc, pixelStride, g, 0, g.outH() * g.outW(), out);
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
template void im2colRowsInto(const float*, size_t, const ConvGeometry&, size_t, size_t, float*);
template void im2colRowsInto(const int8_t*, size_t, const ConvGeometry&, size_t, size_t, int8_t*);

}  // namespace tasdsim::tasd
