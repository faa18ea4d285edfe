#include "sw/model/Tensor.h"

#include <fmt/format.h>

#include "sw/common/Error.h"

namespace tasdsim::model {

const char* dataTypeName(DataType t) {
  switch (t) {
    case DataType::Float:
      return "float32";
    case DataType::UInt8:
      return "uint8";
    case DataType::Int8:
      return "int8";
    case DataType::UInt16:
      return "uint16";
    case DataType::Int16:
      return "int16";
    case DataType::Int32:
      return "int32";
    case DataType::Int64:
      return "int64";
    case DataType::Bool:
      return "bool";
    case DataType::Float16:
      return "float16";
    case DataType::Double:
      return "float64";
    case DataType::UInt32:
      return "uint32";
    case DataType::UInt64:
      return "uint64";
    case DataType::BFloat16:
      return "bfloat16";
  }
  return "unknown";
}

bool isFloatType(DataType t) {
  return t == DataType::Float || t == DataType::Float16 || t == DataType::Double ||
         t == DataType::BFloat16;
}

bool isKnownDataType(int32_t code) {
  switch (code) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
    case 9:
    case 10:
    case 11:
    case 12:
    case 13:
    case 16:
      return true;
    default:
      return false;
  }
}

uint64_t checkedElementCount(const std::vector<int64_t>& dims, const std::string& what) {
  uint64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0)
      throw UserError(
          fmt::format("{}: negative dimension {} in shape {}", what, d, shapeString(dims)));
    if (d != 0 && n > kMaxTensorElements / static_cast<uint64_t>(d)) {
      throw UserError(fmt::format("{}: shape {} has more than {} elements", what, shapeString(dims),
                                  kMaxTensorElements));
    }
    n *= static_cast<uint64_t>(d);
  }
  if (n > kMaxTensorElements) {
    throw UserError(fmt::format("{}: shape {} has more than {} elements", what, shapeString(dims),
                                kMaxTensorElements));
  }
  return n;
}

Tensor Tensor::floats(std::vector<int64_t> shape, std::vector<float> values) {
  Tensor t;
  t.type = DataType::Float;
  t.shape = std::move(shape);
  t.f = std::move(values);
  return t;
}

Tensor Tensor::ints(std::vector<int64_t> shape, std::vector<int64_t> values, DataType type) {
  Tensor t;
  t.type = type;
  t.shape = std::move(shape);
  t.i = std::move(values);
  return t;
}

std::vector<int64_t> Tensor::asInts() const {
  if (!isFloat()) return i;
  std::vector<int64_t> out(f.size());
  for (size_t k = 0; k < f.size(); ++k)
    out[k] = static_cast<int64_t>(f[k]);
  return out;
}

std::vector<float> Tensor::asFloats() const {
  if (isFloat()) return f;
  std::vector<float> out(i.size());
  for (size_t k = 0; k < i.size(); ++k)
    out[k] = static_cast<float>(i[k]);
  return out;
}

size_t shapeElements(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape)
    n *= static_cast<size_t>(d);
  return n;
}

std::string shapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t k = 0; k < shape.size(); ++k)
    s += (k ? "," : "") + std::to_string(shape[k]);
  return s + "]";
}

}  // namespace tasdsim::model
