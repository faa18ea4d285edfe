#pragma once
// TFLite import (FlatBuffer "TFL3", schema v3) by a vtable walk: subgraph 0's tensors,
// operators with their builtin codes and the options the workload needs (strides, padding,
// fused activation, depth multiplier), and buffers. Constant weights are found by following
// a tensor back through DEQUANTIZE and DENSIFY to its stored data: float32 or float16, dense or
// sparse (SparsityParameters: any traversal order, DENSE and SPARSE_CSR dimensions, int32/
// uint16/uint8 segment and index vectors; block maps are rejected as unsupported).
//
// Layouts: CONV_2D weights OHWI [cout,kh,kw,cin]; DEPTHWISE_CONV_2D [1,kh,kw,c*mult];
// FULLY_CONNECTED [out,in]. Malformed or truncated files give a UserError naming the file.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sw/model/Tensor.h"

namespace tasdsim::model {

// TFLite TensorType codes used here.
enum class TfliteType : int8_t {
  Float32 = 0,
  Float16 = 1,
  Int32 = 2,
  UInt8 = 3,
  Int64 = 4,
  Int8 = 9
};
const char* tfliteTypeName(int8_t type);

// BuiltinOperator codes used by the importer.
namespace tflite_op {
constexpr int32_t kAdd = 0, kAveragePool2d = 1, kConcatenation = 2, kConv2d = 3,
                  kDepthwiseConv2d = 4, kDepthToSpace = 5, kDequantize = 6, kFullyConnected = 9,
                  kLogistic = 14, kMaxPool2d = 17, kMul = 18, kRelu = 19, kRelu6 = 21,
                  kReshape = 22, kResizeBilinear = 23, kSoftmax = 25, kTanh = 28, kPad = 34,
                  kDensify = 124;
}
const char* tfliteOpName(int32_t builtin);

struct TfliteDimMetadata {
  bool sparse = false;  // SPARSE_CSR
  int32_t denseSize = 0;
  std::vector<int32_t> segments;
  std::vector<int32_t> indices;
};

struct TfliteSparsity {
  std::vector<int32_t> traversalOrder;
  std::vector<int32_t> blockMap;
  std::vector<TfliteDimMetadata> dims;
};

struct TfliteTensor {
  std::string name;
  std::vector<int64_t> shape;
  int8_t type = 0;
  uint32_t buffer = 0;
  std::optional<TfliteSparsity> sparsity;
};

struct TfliteOperator {
  int32_t builtin = -1;
  std::string customCode;
  std::vector<int32_t> inputs;  // -1 marks an omitted optional input
  std::vector<int32_t> outputs;
  // From the operator's options table where present (Conv2D, DepthwiseConv2D, FullyConnected,
  // Pool2D, Add, Mul, Concatenation, Reshape, ResizeBilinear, DepthToSpace, Softmax).
  int8_t fusedActivation = 0;  // 0 NONE, 1 RELU, 2 RELU_N1_TO_1, 3 RELU6, 4 TANH
  int32_t strideH = 1, strideW = 1;
  int32_t dilationH = 1, dilationW = 1;
  int8_t padding = 0;  // 0 SAME, 1 VALID
  int32_t depthMultiplier = 1;
  int32_t filterH = 0, filterW = 0;                     // pooling window
  int32_t axis = 0;                                     // concatenation
  std::vector<int32_t> newShape;                        // reshape (when not given as an input)
  bool alignCorners = false, halfPixelCenters = false;  // bilinear resize
  int32_t blockSize = 0;                                // depth to space
  float beta = 1.0f;                                    // softmax
};
const char* tfliteActivationName(int8_t fused);

// What a constant tensor holds as stored in the file.
struct TfliteStorage {
  int8_t type = 0;
  bool sparse = false;
  uint64_t storedValues = 0;  // values present in the buffer (nnz slots for sparse)
  uint64_t denseElements = 0;
};

struct TfliteModel {
  std::string source;
  uint32_t version = 0;
  std::string description;
  std::vector<TfliteTensor> tensors;
  std::vector<TfliteOperator> operators;
  std::vector<int32_t> inputs, outputs;
  // Byte spans of buffers within the file (offset, size); buffer 0 is the empty sentinel.
  std::vector<std::pair<size_t, size_t>> buffers;
  std::shared_ptr<const std::vector<uint8_t>> file;

  // Index of the operator that produces tensor t, or -1.
  int32_t producer(int32_t t) const;
  // The stored data behind tensor t, following DEQUANTIZE and DENSIFY back; nullopt if t is not
  // a constant. storage (if given) describes the stored form.
  std::optional<Tensor> constantValue(int32_t t, TfliteStorage* storage = nullptr) const;
  std::string tensorName(int32_t t) const;
};

TfliteModel parseTflite(std::shared_ptr<const std::vector<uint8_t>> bytes,
                        const std::string& source);
TfliteModel loadTflite(const std::filesystem::path& path);

// Expands a sparse tensor's stored values (in traversal order) to its dense form.
std::vector<float> densify(const TfliteSparsity& s, const std::vector<int64_t>& shape,
                           const std::vector<float>& values, const std::string& what);

}  // namespace tasdsim::model
