#include "sw/model/Graph.h"

#include <stdexcept>

#include <fmt/format.h>

#include "sw/common/Error.h"

namespace tasdsim::model {

const char* attrTypeName(AttrType t) {
  switch (t) {
    case AttrType::Undefined:
      return "undefined";
    case AttrType::Float:
      return "float";
    case AttrType::Int:
      return "int";
    case AttrType::String:
      return "string";
    case AttrType::Tensor:
      return "tensor";
    case AttrType::Graph:
      return "graph";
    case AttrType::Floats:
      return "floats";
    case AttrType::Ints:
      return "ints";
    case AttrType::Strings:
      return "strings";
    case AttrType::Tensors:
      return "tensors";
    case AttrType::Graphs:
      return "graphs";
  }
  return "unknown";
}

const Attribute* Node::attribute(const std::string& attrName) const {
  for (const Attribute& a : attributes) {
    if (a.name == attrName) return &a;
  }
  return nullptr;
}

std::string Node::describe() const {
  return fmt::format("{} '{}'", opType, name);
}

namespace {
[[noreturn]] void wrongType(const Node& n, const Attribute& a, const char* expected) {
  throw UserError(fmt::format("{}: attribute '{}' is {}, expected {}", n.describe(), a.name,
                              attrTypeName(a.type), expected));
}
}  // namespace

int64_t Node::intAttr(const std::string& attrName, int64_t fallback) const {
  const Attribute* a = attribute(attrName);
  if (!a) return fallback;
  if (a->type != AttrType::Int) wrongType(*this, *a, "int");
  return a->i;
}

float Node::floatAttr(const std::string& attrName, float fallback) const {
  const Attribute* a = attribute(attrName);
  if (!a) return fallback;
  if (a->type == AttrType::Int) return static_cast<float>(a->i);
  if (a->type != AttrType::Float) wrongType(*this, *a, "float");
  return a->f;
}

std::string Node::stringAttr(const std::string& attrName, const std::string& fallback) const {
  const Attribute* a = attribute(attrName);
  if (!a) return fallback;
  if (a->type != AttrType::String) wrongType(*this, *a, "string");
  return a->s;
}

std::vector<int64_t> Node::intsAttr(const std::string& attrName,
                                    const std::vector<int64_t>& fallback) const {
  const std::optional<std::vector<int64_t>> v = optionalInts(attrName);
  return v ? *v : fallback;
}

std::optional<std::vector<int64_t>> Node::optionalInts(const std::string& attrName) const {
  const Attribute* a = attribute(attrName);
  if (!a) return std::nullopt;
  if (a->type == AttrType::Int) return std::vector<int64_t>{a->i};
  if (a->type != AttrType::Ints) wrongType(*this, *a, "ints");
  return a->ints;
}

const std::string& Node::input(size_t i) const {
  static const std::string kNone;
  return i < inputs.size() ? inputs[i] : kNone;
}

const Tensor* Graph::constant(const std::string& name) const {
  const auto it = constants.find(name);
  return it == constants.end() ? nullptr : it->second.get();
}

GraphBuilder::GraphBuilder(std::string source, std::string format, int64_t opset) {
  graph_.source = std::move(source);
  graph_.format = std::move(format);
  graph_.opset = opset;
}

const std::string& GraphBuilder::constant(const std::string& name, Tensor value) {
  const auto [it, added] =
      graph_.constants.emplace(name, std::make_shared<const Tensor>(std::move(value)));
  if (!added) throw std::logic_error("GraphBuilder: constant '" + name + "' defined twice");
  return it->first;
}

void GraphBuilder::input(const std::string& name, const std::vector<int64_t>& dims, DataType type) {
  ValueInfo v;
  v.name = name;
  v.type = type;
  v.dims = dims;
  v.dimParams.assign(dims.size(), "");
  graph_.inputs.push_back(std::move(v));
}

void GraphBuilder::output(const std::string& name) {
  ValueInfo v;
  v.name = name;
  graph_.outputs.push_back(std::move(v));
}

Node& GraphBuilder::node(const std::string& opType, const std::string& name,
                         std::vector<std::string> inputs, std::vector<std::string> outputs,
                         const std::string& layer) {
  Node n;
  n.name = name;
  n.opType = opType;
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.layer = layer;
  graph_.nodes.push_back(std::move(n));
  return graph_.nodes.back();
}

Attribute GraphBuilder::intAttr(const std::string& name, int64_t value) {
  Attribute a;
  a.name = name;
  a.type = AttrType::Int;
  a.i = value;
  return a;
}

Attribute GraphBuilder::floatAttr(const std::string& name, float value) {
  Attribute a;
  a.name = name;
  a.type = AttrType::Float;
  a.f = value;
  return a;
}

Attribute GraphBuilder::stringAttr(const std::string& name, const std::string& value) {
  Attribute a;
  a.name = name;
  a.type = AttrType::String;
  a.s = value;
  return a;
}

Attribute GraphBuilder::intsAttr(const std::string& name, std::vector<int64_t> values) {
  Attribute a;
  a.name = name;
  a.type = AttrType::Ints;
  a.ints = std::move(values);
  return a;
}

}  // namespace tasdsim::model
