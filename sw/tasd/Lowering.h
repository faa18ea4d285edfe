#pragma once
// Convolutions as GEMMs (SPEC section 1). K = R*S*C ordered channel-innermost:
// k = (r*S + s)*C + c. Weights become a Cout x K matrix; an NHWC input image becomes the
// (Ho*Wo) x K im2col matrix. Depthwise and grouped convolutions are lowered per group.
#include <array>
#include <cstddef>
#include <string_view>

#include "sw/tasd/Matrix.h"

namespace tasdsim::tasd {

// Memory order of a 4-D conv weight tensor: OIHW (ONNX, PyTorch), OHWI (TFLite), HWIO (TF).
enum class ConvLayout { OIHW, OHWI, HWIO };
ConvLayout parseConvLayout(std::string_view text);
const char* convLayoutName(ConvLayout layout);

struct ConvWeightShape {
  size_t cout = 0, cin = 0, kh = 0, kw = 0;
};
// Reads the (cout, cin, kh, kw) sizes from a 4-D shape in the given layout.
ConvWeightShape convWeightShape(const std::array<size_t, 4>& dims, ConvLayout layout);

template <typename T>
Matrix<T> lowerConvWeights(const T* data, const std::array<size_t, 4>& dims, ConvLayout layout);

struct ConvGeometry {
  size_t inH = 1, inW = 1, channels = 1;  // input image (NHWC, one image)
  size_t kh = 1, kw = 1;
  size_t strideH = 1, strideW = 1;
  size_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  size_t dilationH = 1, dilationW = 1;

  size_t outH() const {
    return (inH + padTop + padBottom - dilationH * (kh - 1) - 1) / strideH + 1;
  }
  size_t outW() const {
    return (inW + padLeft + padRight - dilationW * (kw - 1) - 1) / strideW + 1;
  }
  size_t k() const { return kh * kw * channels; }
};

// im2col of one NHWC image: row p = oh*Wo + ow, column k = (r*kw + s)*C + c; padding reads 0.
template <typename T>
Matrix<T> im2col(const T* nhwc, const ConvGeometry& g);
// The same into out (Ho*Wo x K), the image's pixels pixelStride values apart (pixelStride >
// channels: a group's channel slice of a wider NHWC image).
template <typename T>
void im2colInto(const T* nhwc, size_t pixelStride, const ConvGeometry& g, T* out);
// Rows [rowBegin, rowEnd) of that matrix into out ((rowEnd - rowBegin) x K).
template <typename T>
void im2colRowsInto(const T* nhwc, size_t pixelStride, const ConvGeometry& g, size_t rowBegin,
                    size_t rowEnd, T* out);

}  // namespace tasdsim::tasd
