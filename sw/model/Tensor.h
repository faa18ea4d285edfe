#pragma once
// A host tensor of the model IR and the executor: a shape and either float or integer values.
// Every floating type (f32, f16, f64) is held as float; every integer type and bool as int64
// (the declared element type is kept so that Cast and Shape report what the model says).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tasdsim::model {

// ONNX TensorProto.DataType numbering, used by both importers.
enum class DataType : int32_t {
  Float = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  Bool = 9,
  Float16 = 10,
  Double = 11,
  UInt32 = 12,
  UInt64 = 13,
  BFloat16 = 16,
};
const char* dataTypeName(DataType t);
bool isFloatType(DataType t);
// True for the types this project can hold (the enumerators above).
bool isKnownDataType(int32_t code);

// Upper bound on the elements of one tensor (2^28, 1 GiB of float): a file that claims more is
// rejected before anything is allocated.
constexpr uint64_t kMaxTensorElements = uint64_t{1} << 28;

// Product of dims; throws UserError (naming what) if a dim is negative or the product exceeds
// kMaxTensorElements.
uint64_t checkedElementCount(const std::vector<int64_t>& dims, const std::string& what);

struct Tensor {
  DataType type = DataType::Float;
  std::vector<int64_t> shape;
  std::vector<float> f;    // when isFloat()
  std::vector<int64_t> i;  // otherwise

  Tensor() = default;
  static Tensor floats(std::vector<int64_t> shape, std::vector<float> values);
  static Tensor ints(std::vector<int64_t> shape, std::vector<int64_t> values,
                     DataType type = DataType::Int64);

  bool isFloat() const { return isFloatType(type); }
  size_t elements() const { return isFloat() ? f.size() : i.size(); }
  size_t rank() const { return shape.size(); }
  // Values as int64 (float values truncated toward zero): for shape-like inputs.
  std::vector<int64_t> asInts() const;
  // Values as float (integers converted).
  std::vector<float> asFloats() const;
};

// Number of elements a shape describes (no checks; shapes of live tensors are valid).
size_t shapeElements(const std::vector<int64_t>& shape);
std::string shapeString(const std::vector<int64_t>& shape);

}  // namespace tasdsim::model
