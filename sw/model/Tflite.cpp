#include "sw/model/Tflite.h"

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Half.h"
#include "sw/model/FlatBuffer.h"

namespace tasdsim::model {
namespace {

// Field ids of TensorFlow Lite's schema.fbs (schema version 3).
namespace f {
constexpr int kModelVersion = 0, kModelOperatorCodes = 1, kModelSubgraphs = 2,
              kModelDescription = 3, kModelBuffers = 4;
constexpr int kCodeDeprecatedBuiltin = 0, kCodeCustom = 1, kCodeBuiltin = 3;
constexpr int kSubgraphTensors = 0, kSubgraphInputs = 1, kSubgraphOutputs = 2,
              kSubgraphOperators = 3;
constexpr int kTensorShape = 0, kTensorType = 1, kTensorBuffer = 2, kTensorName = 3,
              kTensorSparsity = 6;
constexpr int kBufferData = 0, kBufferOffset = 1, kBufferSize = 2;
constexpr int kOpOpcodeIndex = 0, kOpInputs = 1, kOpOutputs = 2, kOpOptions = 4;
constexpr int kSparsityTraversal = 0, kSparsityBlockMap = 1, kSparsityDims = 2;
constexpr int kDimFormat = 0, kDimDenseSize = 1, kDimSegmentsType = 2, kDimSegments = 3,
              kDimIndicesType = 4, kDimIndices = 5;
constexpr int kIndexVectorValues = 0;
// Conv2DOptions / DepthwiseConv2DOptions / FullyConnectedOptions.
constexpr int kConvPadding = 0, kConvStrideW = 1, kConvStrideH = 2, kConvActivation = 3,
              kConvDilationW = 4, kConvDilationH = 5;
constexpr int kDwPadding = 0, kDwStrideW = 1, kDwStrideH = 2, kDwMultiplier = 3, kDwActivation = 4,
              kDwDilationW = 5, kDwDilationH = 6;
constexpr int kFcActivation = 0;
constexpr int kPoolPadding = 0, kPoolStrideW = 1, kPoolStrideH = 2, kPoolFilterW = 3,
              kPoolFilterH = 4, kPoolActivation = 5;
constexpr int kAddMulActivation = 0;
constexpr int kConcatAxis = 0, kConcatActivation = 1;
constexpr int kReshapeNewShape = 0;
constexpr int kResizeAlignCorners = 2, kResizeHalfPixel = 3;
constexpr int kDepthToSpaceBlock = 0;
constexpr int kSoftmaxBeta = 0;
}  // namespace f

// SparseIndexVector union member codes.
constexpr uint8_t kInt32Vector = 1, kUint16Vector = 2, kUint8Vector = 3;
constexpr size_t kMaxRank = 8;

std::vector<int32_t> int32s(const FbTable& t, int field) {
  std::vector<int32_t> out;
  if (const auto v = t.vector(field, 4)) {
    out.reserve(v->size());
    for (uint32_t k = 0; k < v->size(); ++k)
      out.push_back(v->at<int32_t>(k));
  }
  return out;
}

std::vector<int32_t> indexVector(const FbTable& dim, int typeField, int valueField,
                                 const std::string& what) {
  const uint8_t type = dim.scalar<uint8_t>(typeField, 0);
  const std::optional<FbTable> holder = dim.table(valueField);
  if (type == 0 || !holder) return {};
  std::vector<int32_t> out;
  const size_t width = type == kInt32Vector    ? 4
                       : type == kUint16Vector ? 2
                       : type == kUint8Vector  ? 1
                                               : 0;
  if (width == 0)
    throw UserError(fmt::format("{}: unknown sparse index vector type {}", what, type));
  if (const auto v = holder->vector(f::kIndexVectorValues, width)) {
    out.reserve(v->size());
    for (uint32_t k = 0; k < v->size(); ++k) {
      out.push_back(width == 4   ? v->at<int32_t>(k)
                    : width == 2 ? v->at<uint16_t>(k)
                                 : v->at<uint8_t>(k));
    }
  }
  return out;
}

TfliteSparsity parseSparsity(const FbTable& s, const std::string& what) {
  TfliteSparsity out;
  out.traversalOrder = int32s(s, f::kSparsityTraversal);
  out.blockMap = int32s(s, f::kSparsityBlockMap);
  if (const auto dims = s.vector(f::kSparsityDims, 4)) {
    for (uint32_t k = 0; k < dims->size(); ++k) {
      const FbTable d = dims->tableAt(k);
      TfliteDimMetadata m;
      m.sparse = d.scalar<int8_t>(f::kDimFormat, 0) == 1;
      m.denseSize = d.scalar<int32_t>(f::kDimDenseSize, 0);
      m.segments = indexVector(d, f::kDimSegmentsType, f::kDimSegments, what);
      m.indices = indexVector(d, f::kDimIndicesType, f::kDimIndices, what);
      out.dims.push_back(std::move(m));
    }
  }
  return out;
}

void parseOptions(const FbTable& op, TfliteOperator& o) {
  // Each builtin operator has its own options table; its fields are read by the operator code.
  const std::optional<FbTable> opt = op.table(f::kOpOptions);
  if (!opt) return;
  switch (o.builtin) {
    case tflite_op::kConv2d:
      o.padding = opt->scalar<int8_t>(f::kConvPadding, 0);
      o.strideW = opt->scalar<int32_t>(f::kConvStrideW, 1);
      o.strideH = opt->scalar<int32_t>(f::kConvStrideH, 1);
      o.fusedActivation = opt->scalar<int8_t>(f::kConvActivation, 0);
      o.dilationW = opt->scalar<int32_t>(f::kConvDilationW, 1);
      o.dilationH = opt->scalar<int32_t>(f::kConvDilationH, 1);
      break;
    case tflite_op::kDepthwiseConv2d:
      o.padding = opt->scalar<int8_t>(f::kDwPadding, 0);
      o.strideW = opt->scalar<int32_t>(f::kDwStrideW, 1);
      o.strideH = opt->scalar<int32_t>(f::kDwStrideH, 1);
      o.depthMultiplier = opt->scalar<int32_t>(f::kDwMultiplier, 1);
      o.fusedActivation = opt->scalar<int8_t>(f::kDwActivation, 0);
      o.dilationW = opt->scalar<int32_t>(f::kDwDilationW, 1);
      o.dilationH = opt->scalar<int32_t>(f::kDwDilationH, 1);
      break;
    case tflite_op::kFullyConnected:
      o.fusedActivation = opt->scalar<int8_t>(f::kFcActivation, 0);
      break;
    case tflite_op::kMaxPool2d:
    case tflite_op::kAveragePool2d:
      o.padding = opt->scalar<int8_t>(f::kPoolPadding, 0);
      o.strideW = opt->scalar<int32_t>(f::kPoolStrideW, 1);
      o.strideH = opt->scalar<int32_t>(f::kPoolStrideH, 1);
      o.filterW = opt->scalar<int32_t>(f::kPoolFilterW, 0);
      o.filterH = opt->scalar<int32_t>(f::kPoolFilterH, 0);
      o.fusedActivation = opt->scalar<int8_t>(f::kPoolActivation, 0);
      break;
    case tflite_op::kAdd:
    case tflite_op::kMul:
      o.fusedActivation = opt->scalar<int8_t>(f::kAddMulActivation, 0);
      break;
    case tflite_op::kConcatenation:
      o.axis = opt->scalar<int32_t>(f::kConcatAxis, 0);
      o.fusedActivation = opt->scalar<int8_t>(f::kConcatActivation, 0);
      break;
    case tflite_op::kReshape:
      o.newShape = int32s(*opt, f::kReshapeNewShape);
      break;
    case tflite_op::kResizeBilinear:
      o.alignCorners = opt->scalar<uint8_t>(f::kResizeAlignCorners, 0) != 0;
      o.halfPixelCenters = opt->scalar<uint8_t>(f::kResizeHalfPixel, 0) != 0;
      break;
    case tflite_op::kDepthToSpace:
      o.blockSize = opt->scalar<int32_t>(f::kDepthToSpaceBlock, 0);
      break;
    case tflite_op::kSoftmax:
      o.beta = opt->scalar<float>(f::kSoftmaxBeta, 1.0f);
      break;
    default:
      break;
  }
}

void checkTensorIndices(const std::vector<int32_t>& ids, size_t tensors, const std::string& what) {
  for (int32_t id : ids) {
    if (id < -1 || id >= static_cast<int32_t>(tensors)) {
      throw UserError(fmt::format("{}: tensor index {} out of range (the subgraph has {} tensors)",
                                  what, id, tensors));
    }
  }
}

size_t typeBytes(int8_t type) {
  switch (type) {
    case 0:
    case 2:
      return 4;  // float32, int32
    case 1:
      return 2;  // float16
    case 3:
    case 9:
      return 1;  // uint8, int8
    case 4:
      return 8;  // int64
    default:
      return 0;
  }
}

}  // namespace

const char* tfliteTypeName(int8_t type) {
  switch (type) {
    case 0:
      return "float32";
    case 1:
      return "float16";
    case 2:
      return "int32";
    case 3:
      return "uint8";
    case 4:
      return "int64";
    case 9:
      return "int8";
    default:
      return "other";
  }
}

const char* tfliteOpName(int32_t builtin) {
  switch (builtin) {
    case tflite_op::kAdd:
      return "ADD";
    case tflite_op::kAveragePool2d:
      return "AVERAGE_POOL_2D";
    case tflite_op::kConcatenation:
      return "CONCATENATION";
    case tflite_op::kConv2d:
      return "CONV_2D";
    case tflite_op::kDepthwiseConv2d:
      return "DEPTHWISE_CONV_2D";
    case tflite_op::kDequantize:
      return "DEQUANTIZE";
    case tflite_op::kFullyConnected:
      return "FULLY_CONNECTED";
    case tflite_op::kMaxPool2d:
      return "MAX_POOL_2D";
    case tflite_op::kMul:
      return "MUL";
    case tflite_op::kRelu:
      return "RELU";
    case tflite_op::kReshape:
      return "RESHAPE";
    case tflite_op::kDepthToSpace:
      return "DEPTH_TO_SPACE";
    case tflite_op::kLogistic:
      return "LOGISTIC";
    case tflite_op::kRelu6:
      return "RELU6";
    case tflite_op::kResizeBilinear:
      return "RESIZE_BILINEAR";
    case tflite_op::kSoftmax:
      return "SOFTMAX";
    case tflite_op::kTanh:
      return "TANH";
    case tflite_op::kPad:
      return "PAD";
    case tflite_op::kDensify:
      return "DENSIFY";
    default:
      return "OTHER";
  }
}

const char* tfliteActivationName(int8_t fused) {
  switch (fused) {
    case 0:
      return "none";
    case 1:
      return "relu";
    case 2:
      return "relu_n1_to_1";
    case 3:
      return "relu6";
    case 4:
      return "tanh";
    default:
      return "other";
  }
}

int32_t TfliteModel::producer(int32_t t) const {
  for (size_t k = 0; k < operators.size(); ++k) {
    for (int32_t out : operators[k].outputs) {
      if (out == t) return static_cast<int32_t>(k);
    }
  }
  return -1;
}

std::string TfliteModel::tensorName(int32_t t) const {
  return t >= 0 && static_cast<size_t>(t) < tensors.size() ? tensors[static_cast<size_t>(t)].name
                                                           : "?";
}

std::vector<float> densify(const TfliteSparsity& s, const std::vector<int64_t>& shape,
                           const std::vector<float>& values, const std::string& what) {
  const size_t rank = shape.size();
  if (!s.blockMap.empty())
    throw UserError(what + ": sparse tensors with a block map are not supported");
  if (s.traversalOrder.size() != rank || s.dims.size() != rank) {
    throw UserError(
        fmt::format("{}: sparsity describes {} dimensions ({} metadata), the tensor has {}", what,
                    s.traversalOrder.size(), s.dims.size(), rank));
  }
  std::vector<bool> seen(rank, false);
  for (int32_t d : s.traversalOrder) {
    if (d < 0 || static_cast<size_t>(d) >= rank || seen[static_cast<size_t>(d)]) {
      throw UserError(
          fmt::format("{}: traversal order is not a permutation of 0..{}", what, rank - 1));
    }
    seen[static_cast<size_t>(d)] = true;
  }
  for (size_t l = 0; l < rank; ++l) {
    const TfliteDimMetadata& m = s.dims[l];
    if (!m.sparse && m.denseSize != shape[static_cast<size_t>(s.traversalOrder[l])]) {
      throw UserError(fmt::format("{}: dense dimension {} has size {}, the shape says {}", what, l,
                                  m.denseSize, shape[static_cast<size_t>(s.traversalOrder[l])]));
    }
  }
  const uint64_t total = checkedElementCount(shape, what);
  std::vector<float> dense(static_cast<size_t>(total), 0.0f);
  std::vector<size_t> stride(rank, 1);
  for (size_t d = rank; d-- > 1;)
    stride[d - 1] = stride[d] * static_cast<size_t>(shape[d]);
  // Depth-first walk over the dimensions in traversal order (recursion depth = rank <= 8). pos
  // is the position within the current level: for a dense level child = pos * size + i, for a
  // CSR level the segment [segments[pos], segments[pos + 1]) lists the children; at the last
  // level the child position indexes the stored values.
  struct Walker {
    const TfliteSparsity& s;
    const std::vector<int64_t>& shape;
    const std::vector<float>& values;
    const std::string& what;
    const std::vector<size_t>& stride;
    std::vector<float>& dense;

    void visit(size_t level, size_t child, int64_t coordinate, size_t offset) {
      const size_t d = static_cast<size_t>(s.traversalOrder[level]);
      if (coordinate < 0 || coordinate >= shape[d]) {
        throw UserError(fmt::format("{}: sparse index {} out of range for dimension {} of size {}",
                                    what, coordinate, d, shape[d]));
      }
      offset += static_cast<size_t>(coordinate) * stride[d];
      if (level + 1 == shape.size()) {
        if (child >= values.size()) {
          throw UserError(
              fmt::format("{}: needs value {} but only {} are stored", what, child, values.size()));
        }
        dense[offset] = values[child];
      } else {
        walk(level + 1, child, offset);
      }
    }

    void walk(size_t level, size_t pos, size_t offset) {
      const TfliteDimMetadata& m = s.dims[level];
      if (!m.sparse) {
        const size_t size = static_cast<size_t>(m.denseSize);
        for (size_t i = 0; i < size; ++i)
          visit(level, pos * size + i, static_cast<int64_t>(i), offset);
        return;
      }
      if (pos + 1 >= m.segments.size()) {
        throw UserError(fmt::format("{}: CSR segments of level {} too short ({} entries)", what,
                                    level, m.segments.size()));
      }
      const int64_t begin = m.segments[pos], end = m.segments[pos + 1];
      if (begin < 0 || end < begin || static_cast<size_t>(end) > m.indices.size()) {
        throw UserError(fmt::format("{}: CSR segment [{}, {}) invalid for {} indices", what, begin,
                                    end, m.indices.size()));
      }
      for (int64_t j = begin; j < end; ++j)
        visit(level, static_cast<size_t>(j), m.indices[static_cast<size_t>(j)], offset);
    }
  };
  if (rank == 0) {
    if (values.empty()) throw UserError(what + ": scalar has no stored value");
    dense[0] = values[0];
    return dense;
  }
  Walker{s, shape, values, what, stride, dense}.walk(0, 0, 0);
  return dense;
}

std::optional<Tensor> TfliteModel::constantValue(int32_t t, TfliteStorage* storage) const {
  constexpr int kMaxChain =
      8;  // DENSIFY -> DEQUANTIZE -> consumer at most; anything longer is not a weight chain
  for (int step = 0; step < kMaxChain; ++step) {
    if (t < 0 || static_cast<size_t>(t) >= tensors.size()) return std::nullopt;
    const TfliteTensor& tensor = tensors[static_cast<size_t>(t)];
    const auto [offset, size] =
        tensor.buffer < buffers.size() ? buffers[tensor.buffer] : std::pair<size_t, size_t>{0, 0};
    if (size > 0) {
      const std::string what = fmt::format("{}: tensor {} '{}'", source, t, tensor.name);
      const size_t width = typeBytes(tensor.type);
      if (tensor.type != 0 && tensor.type != 1) {
        throw UserError(
            fmt::format("{}: weights of type {} are not supported (float32 or float16 only)", what,
                        tfliteTypeName(tensor.type)));
      }
      if (size % width)
        throw UserError(
            fmt::format("{}: buffer of {} bytes is not a whole number of values", what, size));
      const size_t count = size / width;
      std::vector<float> values(count);
      const uint8_t* p = file->data() + offset;
      for (size_t k = 0; k < count; ++k) {
        if (tensor.type == 0) {
          std::memcpy(&values[k], p + 4 * k, 4);
        } else {
          values[k] = halfToFloat(static_cast<uint16_t>(p[2 * k] | (p[2 * k + 1] << 8)));
        }
      }
      const uint64_t denseCount = checkedElementCount(tensor.shape, what);
      Tensor out;
      out.type = DataType::Float;
      out.shape = tensor.shape;
      if (tensor.sparsity) {
        out.f = densify(*tensor.sparsity, tensor.shape, values, what);
      } else {
        if (count != denseCount) {
          throw UserError(fmt::format("{}: buffer holds {} values, shape {} needs {}", what, count,
                                      shapeString(tensor.shape), denseCount));
        }
        out.f = std::move(values);
      }
      if (storage) *storage = {tensor.type, tensor.sparsity.has_value(), count, denseCount};
      return out;
    }
    const int32_t p = producer(t);
    if (p < 0) return std::nullopt;
    const TfliteOperator& op = operators[static_cast<size_t>(p)];
    if ((op.builtin != tflite_op::kDequantize && op.builtin != tflite_op::kDensify) ||
        op.inputs.empty()) {
      return std::nullopt;
    }
    t = op.inputs.front();
  }
  return std::nullopt;
}

TfliteModel parseTflite(std::shared_ptr<const std::vector<uint8_t>> bytes,
                        const std::string& source) {
  TfliteModel m;
  m.source = source;
  m.file = bytes;
  const FbBuffer buf(bytes->data(), bytes->size(), m.source);
  const FbTable root = FbTable::root(buf, "TFL3");
  m.version = root.scalar<uint32_t>(f::kModelVersion, 0);
  m.description = root.string(f::kModelDescription);

  std::vector<int32_t> opcodes;
  std::vector<std::string> customCodes;
  if (const auto codes = root.vector(f::kModelOperatorCodes, 4)) {
    for (uint32_t k = 0; k < codes->size(); ++k) {
      const FbTable c = codes->tableAt(k);
      const int32_t deprecated = c.scalar<int8_t>(f::kCodeDeprecatedBuiltin, 0);
      const int32_t builtin = c.scalar<int32_t>(f::kCodeBuiltin, 0);
      opcodes.push_back(std::max(deprecated, builtin));
      customCodes.push_back(c.string(f::kCodeCustom));
    }
  }
  if (const auto bufs = root.vector(f::kModelBuffers, 4)) {
    for (uint32_t k = 0; k < bufs->size(); ++k) {
      const FbTable b = bufs->tableAt(k);
      const uint64_t offset = b.scalar<uint64_t>(f::kBufferOffset, 0);
      if (offset > 1) {  // data stored after the flatbuffer (models over 2 GB)
        const uint64_t size = b.scalar<uint64_t>(f::kBufferSize, 0);
        if (offset > buf.size() || size > buf.size() - offset)
          buf.fail(b.position(), "buffer offset/size outside the file");
        m.buffers.emplace_back(static_cast<size_t>(offset), static_cast<size_t>(size));
      } else if (const auto data = b.vector(f::kBufferData, 1)) {
        m.buffers.emplace_back(
            static_cast<size_t>(data->bytes().data() - reinterpret_cast<const char*>(buf.data())),
            data->size());
      } else {
        m.buffers.emplace_back(0, 0);
      }
    }
  }
  const auto subgraphs = root.vector(f::kModelSubgraphs, 4);
  if (!subgraphs || subgraphs->size() == 0) throw UserError(source + ": the model has no subgraph");
  const FbTable sg = subgraphs->tableAt(0);
  if (const auto ts = sg.vector(f::kSubgraphTensors, 4)) {
    for (uint32_t k = 0; k < ts->size(); ++k) {
      const FbTable t = ts->tableAt(k);
      TfliteTensor tensor;
      tensor.name = t.string(f::kTensorName);
      for (int32_t d : int32s(t, f::kTensorShape))
        tensor.shape.push_back(d);
      if (tensor.shape.size() > kMaxRank)
        throw UserError(fmt::format("{}: tensor '{}' has rank {} > {}", source, tensor.name,
                                    tensor.shape.size(), kMaxRank));
      tensor.type = t.scalar<int8_t>(f::kTensorType, 0);
      tensor.buffer = t.scalar<uint32_t>(f::kTensorBuffer, 0);
      if (tensor.buffer >= m.buffers.size() && tensor.buffer != 0) {
        throw UserError(fmt::format("{}: tensor '{}' refers to buffer {} of {}", source,
                                    tensor.name, tensor.buffer, m.buffers.size()));
      }
      if (const auto sp = t.table(f::kTensorSparsity))
        tensor.sparsity = parseSparsity(*sp, source + ": tensor '" + tensor.name + "'");
      m.tensors.push_back(std::move(tensor));
    }
  }
  m.inputs = int32s(sg, f::kSubgraphInputs);
  m.outputs = int32s(sg, f::kSubgraphOutputs);
  checkTensorIndices(m.inputs, m.tensors.size(), source + ": subgraph inputs");
  checkTensorIndices(m.outputs, m.tensors.size(), source + ": subgraph outputs");
  if (const auto ops = sg.vector(f::kSubgraphOperators, 4)) {
    for (uint32_t k = 0; k < ops->size(); ++k) {
      const FbTable op = ops->tableAt(k);
      TfliteOperator o;
      const uint32_t code = op.scalar<uint32_t>(f::kOpOpcodeIndex, 0);
      if (code >= opcodes.size()) {
        throw UserError(
            fmt::format("{}: operator {} uses opcode {} of {}", source, k, code, opcodes.size()));
      }
      o.builtin = opcodes[code];
      o.customCode = customCodes[code];
      o.inputs = int32s(op, f::kOpInputs);
      o.outputs = int32s(op, f::kOpOutputs);
      checkTensorIndices(o.inputs, m.tensors.size(), fmt::format("{}: operator {}", source, k));
      checkTensorIndices(o.outputs, m.tensors.size(), fmt::format("{}: operator {}", source, k));
      parseOptions(op, o);
      m.operators.push_back(std::move(o));
    }
  }
  return m;
}

TfliteModel loadTflite(const std::filesystem::path& path) {
  auto bytes = std::make_shared<const std::vector<uint8_t>>(readFileBytes(path));
  return parseTflite(bytes, path.string());
}

}  // namespace tasdsim::model
