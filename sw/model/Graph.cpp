#include "sw/model/Graph.h"

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

}  // namespace tasdsim::model
