#pragma once
// Declared parameters. Each block declares its parameters once, beside its params struct: the
// YAML key, the default, the valid range, the unit and a description. The arch reader
// (sw/config/ArchConfig.cpp) takes its defaults and ranges from these declarations, the blocks'
// validate() checks the same ranges, and `tasdsim params` lists them; the arch table of
// docs/config.md is that listing (`tasdsim params --format markdown`), checked by a test.
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace tasdsim::hw {

// A numeric parameter, valid in [lo, hi].
template <typename T>
struct Param {
  const char* key;  // YAML key inside the block's section
  T def;
  T lo;
  T hi;
  const char* unit;  // "" when the value has none
  const char* description;

  bool contains(T v) const { return v >= lo && v <= hi; }
  // "<section>.<key> = <v>: must be in [lo, hi]" when v is out of range, else nothing.
  void check(std::vector<std::string>& out, const std::string& section, T v) const {
    if (!contains(v))
      out.push_back(fmt::format("{}{} = {}: must be in [{}, {}]", prefix(section), key, v, lo, hi));
  }
  static std::string prefix(const std::string& section) {
    return section.empty() ? std::string() : section + ".";
  }
};

// A flag.
struct FlagParam {
  const char* key;
  bool def;
  const char* description;
};

// One of a fixed set of words.
struct ChoiceParam {
  const char* key;
  const char* def;
  const char* options;  // ", "-separated, e.g. "model, rtl"
  const char* description;

  std::vector<std::string> allowed() const;
  bool allows(const std::string& v) const;
  // "<section>.<key> = '<v>': must be one of <options>" when v is not allowed.
  void check(std::vector<std::string>& out, const std::string& section, const std::string& v) const;
};

// A text or list parameter (no range).
struct TextParam {
  const char* key;
  const char* def;   // as written in the listing: "required", "\"\"", "[]"
  const char* kind;  // "text", "path", "N:M list"
  const char* description;
};

// One row of the listing: one key, its full path below the config's root section.
struct ParamInfo {
  std::string key;
  std::string defaultText;
  std::string range;
  std::string unit;
  std::string description;
};

std::string formatValue(double v);
std::string formatValue(uint64_t v);
std::string formatValue(uint32_t v);

template <typename T>
ParamInfo describe(const std::string& section, const Param<T>& p,
                   const std::string& defaultText = {}, const std::string& rangeNote = {}) {
  std::string range = formatValue(p.lo) + ".." + formatValue(p.hi);
  if (!rangeNote.empty()) range += ", " + rangeNote;
  return {Param<T>::prefix(section) + p.key, defaultText.empty() ? formatValue(p.def) : defaultText,
          range, p.unit, p.description};
}
ParamInfo describe(const std::string& section, const FlagParam& p);
ParamInfo describe(const std::string& section, const ChoiceParam& p);
ParamInfo describe(const std::string& section, const TextParam& p);

// The listing as aligned text, and as a Markdown table (docs/config.md).
std::string paramsText(const std::vector<ParamInfo>& params);
std::string paramsMarkdown(const std::vector<ParamInfo>& params);

}  // namespace tasdsim::hw
