#include "sw/io/TensorFile.h"

#include <array>

#include <fmt/format.h>

#include "sw/common/Error.h"

namespace tasdsim::io {

GemmOperand loadGemmOperand(const std::filesystem::path& path,
                            std::optional<tasd::ConvLayout> layout) {
  const NpyArray a = readNpy(path);
  if (a.type == NpyType::I64)
    throw UserError(fmt::format(
        "{}: an int64 array is not a GEMM operand (float32, float16 or int8)", path.string()));
  GemmOperand op;
  op.fileType = a.type;
  op.fileShape = a.shape;
  op.isInt8 = a.type == NpyType::I8;
  const std::string where = path.string();
  if (a.shape.size() == 2) {
    if (layout)
      throw UserError(
          fmt::format("{}: --layout applies to 4-D conv weights, this array is 2-D", where));
    if (op.isInt8) {
      op.i8 = tasd::MatrixI8(a.shape[0], a.shape[1], a.toInt8());
    } else {
      op.f32 = tasd::MatrixF(a.shape[0], a.shape[1], a.toFloat());
    }
  } else if (a.shape.size() == 4) {
    if (!layout) {
      throw UserError(fmt::format(
          "{}: 4-D array needs --layout OIHW, OHWI or HWIO to be lowered to a GEMM", where));
    }
    const std::array<size_t, 4> dims{a.shape[0], a.shape[1], a.shape[2], a.shape[3]};
    if (op.isInt8) {
      op.i8 = tasd::lowerConvWeights(a.toInt8().data(), dims, *layout);
    } else {
      op.f32 = tasd::lowerConvWeights(a.toFloat().data(), dims, *layout);
    }
  } else {
    throw UserError(fmt::format("{}: expected a 2-D matrix or 4-D conv weights, got {} dimensions",
                                where, a.shape.size()));
  }
  if (op.rows() == 0 || op.cols() == 0)
    throw UserError(fmt::format("{}: the array is empty", where));
  return op;
}

}  // namespace tasdsim::io
