#pragma once
// Strict YAML configuration reading. A config::Node is a YAML node plus where it came from
// (file, line, column, key path). Every read is checked: a missing required key, a wrong type,
// an empty value ("key:" with nothing after it), NaN or an out-of-range value is a UserError
// "file:line:col: key.path: problem (allowed ...)"; a key given twice in one map is rejected
// when the file is loaded; finish() rejects keys nobody read (typos). Every value read, defaults
// included, is also recorded into a "resolved" tree, which is written next to results as the fully
// resolved config.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace tasdsim::config {

class Node {
 public:
  Node(YAML::Node node, std::string file, std::string path, YAML::Node resolved);

  const std::string& path() const { return path_; }
  const std::string& file() const { return *file_; }
  // "file:line:col" of this node (file only when the node has no position).
  std::string where() const;
  [[noreturn]] void fail(const std::string& problem) const;

  bool isMap() const { return node_.IsMap(); }
  bool isSequence() const { return node_.IsSequence(); }
  bool isScalar() const { return node_.IsScalar(); }
  bool isNull() const { return !node_ || node_.IsNull(); }
  const YAML::Node& raw() const { return node_; }

  // Map access. has() and find() mark the key as known.
  bool has(const std::string& key) const;
  Node at(const std::string& key) const;                   // required map child
  std::optional<Node> find(const std::string& key) const;  // optional child
  // An optional map child; when absent, an empty one, so that defaults read from it still
  // appear in the resolved tree.
  Node section(const std::string& key) const;
  std::vector<std::string> keys() const;

  // Scalar map entries, typed: int64_t, uint32_t, uint64_t, double, bool, std::string.
  template <typename T>
  T get(const std::string& key) const;
  template <typename T>
  T get(const std::string& key, const T& fallback) const;
  // Numeric with an inclusive range check.
  template <typename T>
  T get(const std::string& key, const T& fallback, const T& lo, const T& hi) const;
  // One of a fixed set of strings.
  std::string choice(const std::string& key, const std::string& fallback,
                     const std::vector<std::string>& allowed) const;
  std::vector<std::string> stringList(const std::string& key,
                                      const std::vector<std::string>& fallback) const;
  // A list of finite numbers, each in [lo, hi].
  std::vector<double> numberList(const std::string& key, const std::vector<double>& fallback,
                                 double lo, double hi) const;

  // This node as a scalar.
  template <typename T>
  T as() const;
  // Sequence elements (this node must be a sequence).
  std::vector<Node> items() const;

  // Rejects keys of this map that were never read; a key in `renamed` (old -> new) is named
  // with its new name.
  void finish(const std::map<std::string, std::string>& renamed = {}) const;
  // Accepts key without reading it (a value the caller took from raw(), e.g. an explicit null).
  void accept(const std::string& key) const { known_->insert(key); }

  const YAML::Node& resolved() const { return resolved_; }

 private:
  Node child(const std::string& key, const YAML::Node& node) const;
  std::string keyPath(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  std::string keyName(const YAML::Node& key) const;  // UserError unless a scalar

  YAML::Node node_;
  std::shared_ptr<const std::string> file_;
  std::string path_;
  mutable YAML::Node resolved_;  // a handle into the shared resolved tree
  std::shared_ptr<std::set<std::string>> known_;
};

// Parses a YAML file (UserError with file:line:col on syntax errors) with "key.path=value"
// overrides applied on top. The root must be a map.
Node loadFile(const std::string& path, const std::vector<std::string>& overrides = {});
Node loadString(const std::string& text, const std::string& name,
                const std::vector<std::string>& overrides = {});

// Applies one "a.b.c=value" override to a YAML tree (creating maps as needed); value is parsed
// as YAML (so 32, 1.5, true, "2:4", [a, b] all work). Throws UserError on a malformed
// assignment, an empty value ("key=") and a value with a repeated map key.
void applyOverride(YAML::Node root, const std::string& assignment, const std::string& origin);

// Text of a resolved tree (block style, keys in the order read).
std::string dump(const YAML::Node& node);

}  // namespace tasdsim::config
