#pragma once
// A tensor file as a GEMM operand: a 2-D array is used as is (rows x K); a 4-D conv weight is
// lowered to Cout x (R*S*C) channel-innermost, which needs its layout.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sw/io/Npy.h"
#include "sw/tasd/Lowering.h"
#include "sw/tasd/Matrix.h"

namespace tasdsim::io {

struct GemmOperand {
  bool isInt8 = false;
  tasd::MatrixF f32;  // when !isInt8 (float16 input converted exactly)
  tasd::MatrixI8 i8;  // when isInt8
  NpyType fileType = NpyType::F32;
  std::vector<size_t> fileShape;
  size_t rows() const { return isInt8 ? i8.rows() : f32.rows(); }
  size_t cols() const { return isInt8 ? i8.cols() : f32.cols(); }
};

GemmOperand loadGemmOperand(const std::filesystem::path& path,
                            std::optional<tasd::ConvLayout> layout);

}  // namespace tasdsim::io
