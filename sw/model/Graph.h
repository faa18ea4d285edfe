#pragma once
// The model IR shared by the importers and the reference executor: an ONNX-style graph of
// nodes (operator type, named inputs and outputs, attributes) in topological order, its
// constant tensors (ONNX initializers and the `value` of Constant nodes, where Paddle2ONNX puts
// every weight) and its declared inputs and outputs. Names of values are strings, as in ONNX.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sw/model/Tensor.h"

namespace tasdsim::model {

// ONNX AttributeProto.AttributeType numbering.
enum class AttrType : int32_t {
  Undefined = 0,
  Float = 1,
  Int = 2,
  String = 3,
  Tensor = 4,
  Graph = 5,
  Floats = 6,
  Ints = 7,
  Strings = 8,
  Tensors = 9,
  Graphs = 10,
};
const char* attrTypeName(AttrType t);

struct Attribute {
  std::string name;
  AttrType type = AttrType::Undefined;
  float f = 0;
  int64_t i = 0;
  std::string s;
  std::shared_ptr<const Tensor> t;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
};

struct Node {
  std::string name;  // may be empty in a file; the importer fills it from the first output
  std::string opType;
  std::string domain;
  std::vector<std::string> inputs;  // "" marks an omitted optional input
  std::vector<std::string> outputs;
  std::vector<Attribute> attributes;

  const Attribute* attribute(const std::string& attrName) const;
  // Typed getters: the default when absent; UserError naming node and attribute when the type
  // is wrong.
  int64_t intAttr(const std::string& attrName, int64_t fallback) const;
  float floatAttr(const std::string& attrName, float fallback) const;
  std::string stringAttr(const std::string& attrName, const std::string& fallback) const;
  std::vector<int64_t> intsAttr(const std::string& attrName,
                                const std::vector<int64_t>& fallback) const;
  std::optional<std::vector<int64_t>> optionalInts(const std::string& attrName) const;
  // "OpType 'name'" for error messages.
  std::string describe() const;
  // Input i if present and not "", else "".
  const std::string& input(size_t i) const;
};

struct ValueInfo {
  std::string name;
  DataType type = DataType::Float;
  std::vector<int64_t> dims;           // -1 where the dimension is symbolic or unknown
  std::vector<std::string> dimParams;  // symbolic names ("" where fixed)
};

struct Graph {
  std::string source;    // file the graph came from
  std::string format;    // "onnx" or "tflite"
  int64_t opset = 0;     // default-domain operator set version (ONNX)
  std::string producer;  // producer name and version, informative
  std::vector<Node> nodes;
  std::map<std::string, std::shared_ptr<const Tensor>> constants;
  std::vector<ValueInfo> inputs;  // graph inputs that are not constants
  std::vector<ValueInfo> outputs;

  const Tensor* constant(const std::string& name) const;
  bool isConstant(const std::string& name) const { return constants.count(name) != 0; }
};

}  // namespace tasdsim::model
