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
  // The layer of the workload's layer table this node belongs to (reports group nodes into
  // layers by it); empty: the node is a layer of its own.
  std::string layer;

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

// Builds a graph node by node (front ends that make graphs: synthetic workloads, TFLite).
class GraphBuilder {
 public:
  GraphBuilder(std::string source, std::string format, int64_t opset);
  // Adds a constant and returns its name.
  const std::string& constant(const std::string& name, Tensor value);
  void input(const std::string& name, const std::vector<int64_t>& dims,
             DataType type = DataType::Float);
  void output(const std::string& name);
  // Adds a node (named `name`, in `layer` of the layer table) and returns it for attributes.
  Node& node(const std::string& opType, const std::string& name, std::vector<std::string> inputs,
             std::vector<std::string> outputs, const std::string& layer);
  const Graph& graph() const { return graph_; }
  Graph take() { return std::move(graph_); }

  static Attribute intAttr(const std::string& name, int64_t value);
  static Attribute floatAttr(const std::string& name, float value);
  static Attribute stringAttr(const std::string& name, const std::string& value);
  static Attribute intsAttr(const std::string& name, std::vector<int64_t> values);

 private:
  Graph graph_;
};

}  // namespace tasdsim::model
