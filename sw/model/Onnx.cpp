#include "sw/model/Onnx.h"

#include <cstring>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Half.h"
#include "sw/model/Protobuf.h"

namespace tasdsim::model {
namespace {

// Field numbers of onnx.proto (ONNX 1.x; stable since IR version 3).
namespace f {
constexpr uint32_t kModelIrVersion = 1, kModelProducerName = 2, kModelProducerVersion = 3,
                   kModelGraph = 7, kModelOpset = 8;
constexpr uint32_t kOpsetDomain = 1, kOpsetVersion = 2;
constexpr uint32_t kGraphNode = 1, kGraphName = 2, kGraphInitializer = 5, kGraphInput = 11,
                   kGraphOutput = 12;
constexpr uint32_t kNodeInput = 1, kNodeOutput = 2, kNodeName = 3, kNodeOpType = 4,
                   kNodeAttribute = 5, kNodeDomain = 7;
constexpr uint32_t kAttrName = 1, kAttrF = 2, kAttrI = 3, kAttrS = 4, kAttrT = 5, kAttrG = 6,
                   kAttrFloats = 7, kAttrInts = 8, kAttrStrings = 9, kAttrTensors = 10,
                   kAttrGraphs = 11, kAttrType = 20;
constexpr uint32_t kTensorDims = 1, kTensorDataType = 2, kTensorFloatData = 4, kTensorInt32Data = 5,
                   kTensorInt64Data = 7, kTensorName = 8, kTensorRawData = 9,
                   kTensorDoubleData = 10, kTensorUint64Data = 11, kTensorExternalData = 13,
                   kTensorDataLocation = 14;
constexpr uint32_t kValueInfoName = 1, kValueInfoType = 2;
constexpr uint32_t kTypeTensor = 1;
constexpr uint32_t kTypeTensorElemType = 1, kTypeTensorShape = 2;
constexpr uint32_t kShapeDim = 1;
constexpr uint32_t kDimValue = 1, kDimParam = 2;
}  // namespace f

constexpr int32_t kDataLocationExternal = 1;

size_t rawElementBytes(DataType t) {
  switch (t) {
    case DataType::Float:
    case DataType::Int32:
    case DataType::UInt32:
      return 4;
    case DataType::Int64:
    case DataType::UInt64:
    case DataType::Double:
      return 8;
    case DataType::Float16:
    case DataType::BFloat16:
    case DataType::Int16:
    case DataType::UInt16:
      return 2;
    case DataType::UInt8:
    case DataType::Int8:
    case DataType::Bool:
      return 1;
  }
  return 0;
}

// Decodes little-endian raw_data into the tensor's value vector.
void decodeRaw(Tensor& t, std::string_view raw, size_t count) {
  const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
  auto le = [&](size_t at, size_t n) {
    uint64_t v = 0;
    for (size_t b = 0; b < n; ++b)
      v |= static_cast<uint64_t>(p[at + b]) << (8 * b);
    return v;
  };
  const size_t w = rawElementBytes(t.type);
  if (t.isFloat())
    t.f.resize(count);
  else
    t.i.resize(count);
  for (size_t k = 0; k < count; ++k) {
    const uint64_t bits = le(k * w, w);
    switch (t.type) {
      case DataType::Float: {
        const uint32_t b32 = static_cast<uint32_t>(bits);
        std::memcpy(&t.f[k], &b32, 4);
        break;
      }
      case DataType::Double: {
        double d;
        std::memcpy(&d, &bits, 8);
        t.f[k] = static_cast<float>(d);
        break;
      }
      case DataType::Float16:
        t.f[k] = halfToFloat(static_cast<uint16_t>(bits));
        break;
      case DataType::BFloat16:
        t.f[k] = bf16ToFloat(static_cast<uint16_t>(bits));
        break;
      case DataType::Int8:
        t.i[k] = static_cast<int8_t>(bits);
        break;
      case DataType::Int16:
        t.i[k] = static_cast<int16_t>(bits);
        break;
      case DataType::Int32:
        t.i[k] = static_cast<int32_t>(bits);
        break;
      case DataType::Int64:
        t.i[k] = static_cast<int64_t>(bits);
        break;
      case DataType::Bool:
        t.i[k] = bits != 0;
        break;
      default:
        t.i[k] = static_cast<int64_t>(bits);
        break;  // unsigned types
    }
  }
}

Tensor parseTensor(ProtoReader r, std::string* nameOut) {
  Tensor t;
  int32_t dtype = 1;
  std::string name;
  std::string_view raw;
  bool haveRaw = false;
  bool external = false;
  std::vector<float> floatData;
  std::vector<double> doubleData;
  std::vector<int64_t> intData;  // int32_data, int64_data or uint64_data
  while (r.next()) {
    switch (r.field()) {
      case f::kTensorDims:
        r.appendInts(t.shape);
        break;
      case f::kTensorDataType:
        dtype = r.int32();
        break;
      case f::kTensorFloatData:
        r.appendFloats(floatData);
        break;
      case f::kTensorInt32Data:
      case f::kTensorInt64Data:
      case f::kTensorUint64Data:
        r.appendInts(intData);
        break;
      case f::kTensorDoubleData:
        r.appendDoubles(doubleData);
        break;
      case f::kTensorName:
        name = r.string();
        break;
      case f::kTensorRawData:
        raw = r.bytes();
        haveRaw = true;
        break;
      case f::kTensorExternalData:
        external = true;
        r.skip();
        break;
      case f::kTensorDataLocation:
        external = external || r.int32() == kDataLocationExternal;
        break;
      default:
        r.skip();
        break;
    }
  }
  const std::string what = fmt::format("{}: tensor '{}'", r.source(), name);
  if (external)
    throw UserError(what +
                    ": external data files are not supported (embed the weights in the .onnx)");
  if (!isKnownDataType(dtype))
    throw UserError(fmt::format("{}: unsupported data type {}", what, dtype));
  t.type = static_cast<DataType>(dtype);
  const uint64_t count = checkedElementCount(t.shape, what);
  if (haveRaw) {
    const size_t w = rawElementBytes(t.type);
    if (raw.size() != count * w) {
      throw UserError(fmt::format("{}: raw_data has {} bytes, shape {} of {} needs {}", what,
                                  raw.size(), shapeString(t.shape), dataTypeName(t.type),
                                  count * w));
    }
    decodeRaw(t, raw, count);
  } else if (t.type == DataType::Float || t.type == DataType::Float16 ||
             t.type == DataType::BFloat16) {
    if (t.type == DataType::Float) {
      t.f = std::move(floatData);
    } else {
      // float16/bfloat16 without raw_data: bit patterns in int32_data.
      for (int64_t v : intData) {
        const auto bits = static_cast<uint16_t>(v);
        t.f.push_back(t.type == DataType::Float16 ? halfToFloat(bits) : bf16ToFloat(bits));
      }
    }
  } else if (t.type == DataType::Double) {
    t.f.assign(doubleData.begin(), doubleData.end());
  } else {
    t.i = std::move(intData);
  }
  if (t.elements() != count) {
    throw UserError(fmt::format("{}: holds {} values, shape {} needs {}", what, t.elements(),
                                shapeString(t.shape), count));
  }
  if (nameOut) *nameOut = name;
  return t;
}

Attribute parseAttribute(ProtoReader r) {
  Attribute a;
  int32_t declared = -1;
  bool sawF = false, sawI = false, sawS = false, sawT = false, sawG = false;
  while (r.next()) {
    switch (r.field()) {
      case f::kAttrName:
        a.name = r.string();
        break;
      case f::kAttrF:
        a.f = r.fixedFloat();
        sawF = true;
        break;
      case f::kAttrI:
        a.i = r.int64();
        sawI = true;
        break;
      case f::kAttrS:
        a.s = r.string();
        sawS = true;
        break;
      case f::kAttrT:
        a.t = std::make_shared<Tensor>(parseTensor(r.message(), nullptr));
        sawT = true;
        break;
      case f::kAttrG:
        r.skip();
        sawG = true;
        break;
      case f::kAttrFloats:
        r.appendFloats(a.floats);
        break;
      case f::kAttrInts:
        r.appendInts(a.ints);
        break;
      case f::kAttrStrings:
        a.strings.push_back(r.string());
        break;
      case f::kAttrTensors:
      case f::kAttrGraphs:
        r.skip();
        break;
      case f::kAttrType:
        declared = r.int32();
        break;
      default:
        r.skip();
        break;
    }
  }
  if (declared >= 0 && declared <= static_cast<int32_t>(AttrType::Graphs)) {
    a.type = static_cast<AttrType>(declared);
  } else if (declared > static_cast<int32_t>(AttrType::Graphs)) {
    a.type =
        AttrType::Undefined;  // sparse tensors and type protos: not used by any supported operator
  } else {
    // IR version < 2 files may omit the type; infer it from the field present.
    a.type = sawF                 ? AttrType::Float
             : sawI               ? AttrType::Int
             : sawS               ? AttrType::String
             : sawT               ? AttrType::Tensor
             : sawG               ? AttrType::Graph
             : !a.floats.empty()  ? AttrType::Floats
             : !a.ints.empty()    ? AttrType::Ints
             : !a.strings.empty() ? AttrType::Strings
                                  : AttrType::Undefined;
  }
  if (a.type == AttrType::Tensor && !a.t) {
    throw UserError(
        fmt::format("{}: attribute '{}' is declared a tensor but holds none", r.source(), a.name));
  }
  return a;
}

Node parseNode(ProtoReader r) {
  Node n;
  while (r.next()) {
    switch (r.field()) {
      case f::kNodeInput:
        n.inputs.push_back(r.string());
        break;
      case f::kNodeOutput:
        n.outputs.push_back(r.string());
        break;
      case f::kNodeName:
        n.name = r.string();
        break;
      case f::kNodeOpType:
        n.opType = r.string();
        break;
      case f::kNodeAttribute:
        n.attributes.push_back(parseAttribute(r.message()));
        break;
      case f::kNodeDomain:
        n.domain = r.string();
        break;
      default:
        r.skip();
        break;
    }
  }
  if (n.opType.empty()) throw UserError(fmt::format("{}: a node has no op_type", r.source()));
  if (n.outputs.empty())
    throw UserError(fmt::format("{}: node '{}' ({}) has no outputs", r.source(), n.name, n.opType));
  if (n.name.empty()) n.name = n.outputs.front();
  return n;
}

ValueInfo parseValueInfo(ProtoReader r) {
  ValueInfo v;
  while (r.next()) {
    if (r.field() == f::kValueInfoName) {
      v.name = r.string();
    } else if (r.field() == f::kValueInfoType) {
      ProtoReader type = r.message();
      while (type.next()) {
        if (type.field() != f::kTypeTensor) continue;
        ProtoReader tt = type.message();
        while (tt.next()) {
          if (tt.field() == f::kTypeTensorElemType) {
            const int32_t code = tt.int32();
            if (isKnownDataType(code)) v.type = static_cast<DataType>(code);
          } else if (tt.field() == f::kTypeTensorShape) {
            ProtoReader shape = tt.message();
            while (shape.next()) {
              if (shape.field() != f::kShapeDim) continue;
              ProtoReader dim = shape.message();
              int64_t value = -1;
              std::string param;
              while (dim.next()) {
                if (dim.field() == f::kDimValue)
                  value = dim.int64();
                else if (dim.field() == f::kDimParam)
                  param = dim.string();
              }
              v.dims.push_back(value);
              v.dimParams.push_back(param);
            }
          }
        }
      }
    }
  }
  return v;
}

// value, value_float(s), value_int(s) of a Constant node as a tensor (nullptr for others).
std::shared_ptr<const Tensor> constantValue(const Node& n) {
  for (const Attribute& a : n.attributes) {
    if (a.name == "value" && a.t) return a.t;
    if (a.name == "value_float") return std::make_shared<Tensor>(Tensor::floats({}, {a.f}));
    if (a.name == "value_floats") {
      return std::make_shared<Tensor>(
          Tensor::floats({static_cast<int64_t>(a.floats.size())}, a.floats));
    }
    if (a.name == "value_int") return std::make_shared<Tensor>(Tensor::ints({}, {a.i}));
    if (a.name == "value_ints")
      return std::make_shared<Tensor>(Tensor::ints({static_cast<int64_t>(a.ints.size())}, a.ints));
  }
  return nullptr;
}

void parseGraph(ProtoReader r, Graph& g) {
  std::vector<ValueInfo> declaredInputs;
  while (r.next()) {
    switch (r.field()) {
      case f::kGraphNode:
        g.nodes.push_back(parseNode(r.message()));
        break;
      case f::kGraphInitializer: {
        std::string name;
        auto t = std::make_shared<Tensor>(parseTensor(r.message(), &name));
        g.constants[name] = std::move(t);
        break;
      }
      case f::kGraphInput:
        declaredInputs.push_back(parseValueInfo(r.message()));
        break;
      case f::kGraphOutput:
        g.outputs.push_back(parseValueInfo(r.message()));
        break;
      default:
        r.skip();
        break;
    }
  }
  for (const Node& n : g.nodes) {
    if (n.opType != "Constant" || !n.domain.empty()) continue;
    std::shared_ptr<const Tensor> v = constantValue(n);
    if (!v)
      throw UserError(
          fmt::format("{}: {} has no supported value attribute", g.source, n.describe()));
    g.constants[n.outputs.front()] = std::move(v);
  }
  // Older files list initializers among the inputs too; those are not run-time inputs.
  for (ValueInfo& v : declaredInputs) {
    if (!g.constants.count(v.name)) g.inputs.push_back(std::move(v));
  }
}

}  // namespace

Graph parseOnnx(const std::vector<uint8_t>& bytes, const std::string& source) {
  Graph g;
  g.source = source;
  g.format = "onnx";
  const std::string_view data(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  ProtoReader r(data, g.source);
  bool haveGraph = false;
  bool haveOpset = false;
  std::string producerVersion;
  while (r.next()) {
    switch (r.field()) {
      case f::kModelIrVersion:
        r.skip();
        break;
      case f::kModelProducerName:
        g.producer = r.string();
        break;
      case f::kModelProducerVersion:
        producerVersion = r.string();
        break;
      case f::kModelGraph:
        if (haveGraph) throw UserError(fmt::format("{}: more than one graph", source));
        parseGraph(r.message(), g);
        haveGraph = true;
        break;
      case f::kModelOpset: {
        ProtoReader o = r.message();
        std::string domain;
        int64_t version = 0;
        while (o.next()) {
          if (o.field() == f::kOpsetDomain)
            domain = o.string();
          else if (o.field() == f::kOpsetVersion)
            version = o.int64();
        }
        if (domain.empty() || domain == "ai.onnx") {
          g.opset = version;
          haveOpset = true;
        }
        break;
      }
      default:
        r.skip();
        break;
    }
  }
  if (!haveGraph) throw UserError(fmt::format("{}: not an ONNX model (no graph found)", source));
  if (!haveOpset)
    throw UserError(fmt::format("{}: no opset_import for the default ONNX domain", source));
  if (g.nodes.empty()) throw UserError(fmt::format("{}: the graph has no nodes", source));
  if (!producerVersion.empty()) g.producer += " " + producerVersion;
  return g;
}

Graph loadOnnx(const std::filesystem::path& path) {
  return parseOnnx(readFileBytes(path), path.string());
}

}  // namespace tasdsim::model
