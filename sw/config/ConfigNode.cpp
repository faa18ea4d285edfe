#include "sw/config/ConfigNode.h"

#include <charconv>
#include <cmath>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"

namespace tasdsim::config {
namespace {

const char* typeName(const YAML::Node& n) {
  if (!n || n.IsNull()) return "nothing";
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  return "a scalar";
}

constexpr int kMaxNesting = 64;

// yaml-cpp keeps every entry of a map with a repeated key and lookups find the first: a second
// "rows:" further down would be ignored. Repeated keys are an error at every level.
void rejectDuplicateKeys(const YAML::Node& node, const std::string& file, const std::string& path,
                         int depth) {
  if (depth > kMaxNesting) {
    throw UserError(fmt::format("{}: {}: nested more than {} levels deep", file,
                                path.empty() ? "(top level)" : path, kMaxNesting));
  }
  if (node.IsMap()) {
    std::map<std::string, YAML::Mark> seen;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) continue;  // reported by keyName() when read
      const std::string key = kv.first.Scalar();
      const std::string keyPath = path.empty() ? key : path + "." + key;
      const YAML::Mark m = kv.first.Mark();
      const auto [first, isNew] = seen.emplace(key, m);
      if (!isNew) {
        throw UserError(fmt::format(
            "{}:{}:{}: {}: duplicate key (first given on line {}); each key appears once", file,
            m.line + 1, m.column + 1, keyPath, first->second.line + 1));
      }
      rejectDuplicateKeys(kv.second, file, keyPath, depth + 1);
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      rejectDuplicateKeys(node[i], file, fmt::format("{}[{}]", path, i), depth + 1);
    }
  }
}

template <typename I>
bool parseInteger(const std::string& text, I& out) {
  const char* b = text.data();
  const char* e = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && ptr == e && !text.empty();
}

}  // namespace

Node::Node(YAML::Node node, std::string file, std::string path, YAML::Node resolved)
    : node_(node),
      file_(std::make_shared<const std::string>(std::move(file))),
      path_(std::move(path)),
      resolved_(resolved),
      known_(std::make_shared<std::set<std::string>>()) {}

std::string Node::where() const {
  const YAML::Mark m = node_ ? node_.Mark() : YAML::Mark::null_mark();
  if (m.is_null()) return *file_;
  return fmt::format("{}:{}:{}", *file_, m.line + 1, m.column + 1);
}

void Node::fail(const std::string& problem) const {
  throw UserError(fmt::format("{}: {}{}{}", where(), path_, path_.empty() ? "" : ": ", problem));
}

Node Node::child(const std::string& key, const YAML::Node& node) const {
  Node c(node, "", keyPath(key), YAML::Node());
  c.file_ = file_;
  if (node.IsMap()) {
    resolved_[key] = YAML::Node(YAML::NodeType::Map);
  } else if (node.IsSequence()) {
    resolved_[key] = YAML::Node(YAML::NodeType::Sequence);
  }
  c.resolved_ = resolved_[key];
  return c;
}

bool Node::has(const std::string& key) const {
  known_->insert(key);
  if (!node_.IsMap() || !node_[key]) return false;
  if (!node_[key].IsNull()) return true;
  // "key:" with nothing after it would silently mean the default: say so instead, at the key.
  YAML::Mark m = node_.Mark();
  for (const auto& kv : node_) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) m = kv.first.Mark();
  }
  throw UserError(
      fmt::format("{}:{}:{}: {}: empty value (give a value, or leave the key out for "
                  "the default)",
                  *file_, m.line + 1, m.column + 1, keyPath(key)));
}

Node Node::at(const std::string& key) const {
  if (!node_.IsMap()) fail(fmt::format("expected a map, got {}", typeName(node_)));
  if (!has(key)) fail(fmt::format("missing required key '{}'", key));
  return child(key, node_[key]);
}

std::optional<Node> Node::find(const std::string& key) const {
  if (isNull()) {  // an absent optional section
    known_->insert(key);
    return std::nullopt;
  }
  if (!node_.IsMap()) fail(fmt::format("expected a map, got {}", typeName(node_)));
  if (!has(key)) return std::nullopt;
  return child(key, node_[key]);
}

Node Node::section(const std::string& key) const {
  if (auto c = find(key)) {
    if (!c->isMap()) c->fail(fmt::format("expected a map, got {}", typeName(c->raw())));
    return *c;
  }
  Node c(YAML::Node(), "", keyPath(key), YAML::Node());
  c.file_ = file_;
  resolved_[key] = YAML::Node(YAML::NodeType::Map);
  c.resolved_ = resolved_[key];
  return c;
}

std::string Node::keyName(const YAML::Node& key) const {
  if (key.IsScalar()) return key.Scalar();
  const YAML::Mark m = key.Mark();
  throw UserError(fmt::format("{}:{}:{}: {}: a key must be a plain name, got {}", *file_,
                              m.line + 1, m.column + 1, path_.empty() ? "(top level)" : path_,
                              typeName(key)));
}

std::vector<std::string> Node::keys() const {
  std::vector<std::string> out;
  if (!node_.IsMap()) return out;
  for (const auto& kv : node_)
    out.push_back(keyName(kv.first));
  return out;
}

template <>
std::string Node::as<std::string>() const {
  if (!node_.IsScalar()) fail(fmt::format("expected a string, got {}", typeName(node_)));
  return node_.Scalar();
}

template <>
bool Node::as<bool>() const {
  const std::string s = as<std::string>();
  if (s == "true" || s == "True" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "False" || s == "no" || s == "off") return false;
  fail(fmt::format("expected true or false, got '{}'", s));
}

template <>
int64_t Node::as<int64_t>() const {
  const std::string s = node_.IsScalar() ? node_.Scalar() : "";
  int64_t v = 0;
  if (!node_.IsScalar() || !parseInteger(s, v))
    fail(fmt::format("expected an integer, got '{}'", s));
  return v;
}

template <>
uint64_t Node::as<uint64_t>() const {
  const std::string s = node_.IsScalar() ? node_.Scalar() : "";
  uint64_t v = 0;
  if (!node_.IsScalar() || s.empty() || s[0] == '-' || !parseInteger(s, v)) {
    fail(fmt::format("expected a non-negative integer, got '{}'", s));
  }
  return v;
}

template <>
uint32_t Node::as<uint32_t>() const {
  const uint64_t v = as<uint64_t>();
  if (v > UINT32_MAX) fail(fmt::format("value {} is too large (at most {})", v, UINT32_MAX));
  return static_cast<uint32_t>(v);
}

template <>
double Node::as<double>() const {
  const std::string s = node_.IsScalar() ? node_.Scalar() : "";
  char* end = nullptr;
  const double v = node_.IsScalar() ? std::strtod(s.c_str(), &end) : 0.0;
  if (!node_.IsScalar() || s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) {
    fail(fmt::format("expected a finite number, got '{}'", s));
  }
  return v;
}

template <typename T>
T Node::get(const std::string& key) const {
  const Node c = at(key);
  const T v = c.as<T>();
  resolved_[key] = v;
  return v;
}

template <typename T>
T Node::get(const std::string& key, const T& fallback) const {
  if (!node_.IsMap() && !isNull()) fail(fmt::format("expected a map, got {}", typeName(node_)));
  if (!has(key)) {
    resolved_[key] = fallback;
    return fallback;
  }
  return get<T>(key);
}

template <typename T>
T Node::get(const std::string& key, const T& fallback, const T& lo, const T& hi) const {
  const T v = get<T>(key, fallback);
  if (v < lo || v > hi) {
    const Node c = has(key) ? at(key) : *this;
    throw UserError(fmt::format("{}: {}: value {} is out of range [{}, {}]", c.where(),
                                keyPath(key), v, lo, hi));
  }
  return v;
}

std::string Node::choice(const std::string& key, const std::string& fallback,
                         const std::vector<std::string>& allowed) const {
  const std::string v = get<std::string>(key, fallback);
  for (const std::string& a : allowed)
    if (a == v) return v;
  const Node c = has(key) ? at(key) : *this;
  std::string list;
  for (const std::string& a : allowed)
    list += (list.empty() ? "" : ", ") + a;
  throw UserError(fmt::format("{}: {}: '{}' is not one of: {}", c.where(), keyPath(key), v, list));
}

std::vector<std::string> Node::stringList(const std::string& key,
                                          const std::vector<std::string>& fallback) const {
  if (!has(key)) {
    YAML::Node seq(YAML::NodeType::Sequence);
    for (const std::string& s : fallback)
      seq.push_back(s);
    resolved_[key] = seq;
    return fallback;
  }
  const Node c = at(key);
  if (!c.isSequence()) c.fail(fmt::format("expected a list, got {}", typeName(c.raw())));
  std::vector<std::string> out;
  YAML::Node seq(YAML::NodeType::Sequence);
  for (const Node& item : c.items()) {
    out.push_back(item.as<std::string>());
    seq.push_back(out.back());
  }
  resolved_[key] = seq;
  return out;
}

std::vector<double> Node::numberList(const std::string& key, const std::vector<double>& fallback,
                                     double lo, double hi) const {
  YAML::Node seq(YAML::NodeType::Sequence);
  if (!has(key)) {
    for (double v : fallback)
      seq.push_back(v);
    resolved_[key] = seq;
    return fallback;
  }
  const Node c = at(key);
  if (!c.isSequence()) c.fail(fmt::format("expected a list, got {}", typeName(c.raw())));
  std::vector<double> out;
  for (const Node& item : c.items()) {
    const double v = item.as<double>();  // finite numbers only
    if (v < lo || v > hi) item.fail(fmt::format("value {} is out of range [{}, {}]", v, lo, hi));
    out.push_back(v);
    seq.push_back(v);
  }
  resolved_[key] = seq;
  return out;
}

std::vector<Node> Node::items() const {
  if (!node_.IsSequence()) fail(fmt::format("expected a list, got {}", typeName(node_)));
  std::vector<Node> out;
  for (size_t i = 0; i < node_.size(); ++i) {
    Node c(node_[i], "", fmt::format("{}[{}]", path_, i), YAML::Node());
    c.file_ = file_;
    if (node_[i].IsMap()) {
      YAML::Node m(YAML::NodeType::Map);
      resolved_.push_back(m);
      c.resolved_ = resolved_[resolved_.size() - 1];
    } else {
      c.resolved_ = YAML::Node();
    }
    out.push_back(c);
  }
  return out;
}

void Node::finish(const std::map<std::string, std::string>& renamed) const {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) {
    const std::string key = keyName(kv.first);
    if (known_->count(key)) continue;
    const YAML::Mark mark = kv.first.Mark();
    if (const auto r = renamed.find(key); r != renamed.end()) {
      throw UserError(fmt::format("{}:{}:{}: {}: renamed to {} (docs/config.md)", *file_,
                                  mark.line + 1, mark.column + 1, keyPath(key),
                                  keyPath(r->second)));
    }
    std::string allowed;
    for (const std::string& k : *known_)
      allowed += (allowed.empty() ? "" : ", ") + k;
    const YAML::Mark m = kv.first.Mark();
    throw UserError(fmt::format("{}:{}:{}: {}: unknown key (allowed here: {})", *file_, m.line + 1,
                                m.column + 1, keyPath(key), allowed.empty() ? "none" : allowed));
  }
}

template int64_t Node::get<int64_t>(const std::string&) const;
template uint32_t Node::get<uint32_t>(const std::string&) const;
template uint64_t Node::get<uint64_t>(const std::string&) const;
template double Node::get<double>(const std::string&) const;
template bool Node::get<bool>(const std::string&) const;
template std::string Node::get<std::string>(const std::string&) const;
template int64_t Node::get<int64_t>(const std::string&, const int64_t&) const;
template uint32_t Node::get<uint32_t>(const std::string&, const uint32_t&) const;
template uint64_t Node::get<uint64_t>(const std::string&, const uint64_t&) const;
template double Node::get<double>(const std::string&, const double&) const;
template bool Node::get<bool>(const std::string&, const bool&) const;
template std::string Node::get<std::string>(const std::string&, const std::string&) const;
template int64_t Node::get<int64_t>(const std::string&, const int64_t&, const int64_t&,
                                    const int64_t&) const;
template uint32_t Node::get<uint32_t>(const std::string&, const uint32_t&, const uint32_t&,
                                      const uint32_t&) const;
template uint64_t Node::get<uint64_t>(const std::string&, const uint64_t&, const uint64_t&,
                                      const uint64_t&) const;
template double Node::get<double>(const std::string&, const double&, const double&,
                                  const double&) const;

void applyOverride(YAML::Node root, const std::string& assignment, const std::string& origin) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw UserError(
        fmt::format("{}: override '{}' must look like key.path=value", origin, assignment));
  }
  const std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw UserError(
        fmt::format("{}: override '{}': value is not valid YAML: {}", origin, assignment, e.msg));
  }
  // An empty (or null) value would silently mean the default.
  if (!value || value.IsNull()) {
    throw UserError(fmt::format(
        "{}: override '{}': empty value (give a value, or leave the override out for the "
        "default)",
        origin, assignment));
  }
  rejectDuplicateKeys(value, fmt::format("{} {}", origin, path), path, 0);
  std::vector<std::string> keys;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    keys.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (keys.back().empty())
      throw UserError(fmt::format("{}: override '{}': empty key in path", origin, assignment));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  // yaml-cpp nodes are handles: walk with reset() so that we never overwrite a parent.
  YAML::Node cur;
  cur.reset(root);
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    if (cur[keys[i]] && !cur[keys[i]].IsMap()) {
      throw UserError(
          fmt::format("{}: override '{}': '{}' is not a map", origin, assignment, keys[i]));
    }
    if (!cur[keys[i]]) cur[keys[i]] = YAML::Node(YAML::NodeType::Map);
    YAML::Node next = cur[keys[i]];
    cur.reset(next);
  }
  cur[keys.back()] = value;
}

namespace {

Node fromText(const std::string& text, const std::string& name,
              const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw UserError(fmt::format("{}:{}:{}: YAML syntax error: {}", name, e.mark.line + 1,
                                e.mark.column + 1, e.msg));
  } catch (const YAML::Exception& e) {
    throw UserError(fmt::format("{}: cannot parse YAML: {}", name, e.msg));
  }
  if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) throw UserError(fmt::format("{}: the top level must be a map of keys", name));
  rejectDuplicateKeys(root, name, "", 0);
  for (const std::string& o : overrides)
    applyOverride(root, o, "--set");
  return Node(root, name, "", YAML::Node(YAML::NodeType::Map));
}

}  // namespace

Node loadFile(const std::string& path, const std::vector<std::string>& overrides) {
  return fromText(readFileText(path), path, overrides);
}

Node loadString(const std::string& text, const std::string& name,
                const std::vector<std::string>& overrides) {
  return fromText(text, name, overrides);
}

std::string dump(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return std::string(out.c_str()) + "\n";
}

}  // namespace tasdsim::config
