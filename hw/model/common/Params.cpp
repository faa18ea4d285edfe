#include "hw/model/common/Params.h"

#include <algorithm>

namespace tasdsim::hw {

std::vector<std::string> ChoiceParam::allowed() const {
  std::vector<std::string> out;
  const std::string text = options;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(", ", start);
    out.push_back(
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 2;
  }
  return out;
}

bool ChoiceParam::allows(const std::string& v) const {
  const std::vector<std::string> all = allowed();
  return std::find(all.begin(), all.end(), v) != all.end();
}

void ChoiceParam::check(std::vector<std::string>& out, const std::string& section,
                        const std::string& v) const {
  if (!allows(v)) {
    out.push_back(fmt::format("{}{} = '{}': must be one of {}", Param<int>::prefix(section), key, v,
                              options));
  }
}

std::string formatValue(double v) {
  return fmt::format("{}", v);
}
std::string formatValue(uint64_t v) {
  return std::to_string(v);
}
std::string formatValue(uint32_t v) {
  return std::to_string(v);
}

ParamInfo describe(const std::string& section, const FlagParam& p) {
  return {Param<int>::prefix(section) + p.key, p.def ? "true" : "false", "true, false", "",
          p.description};
}

ParamInfo describe(const std::string& section, const ChoiceParam& p) {
  return {Param<int>::prefix(section) + p.key, p.def, p.options, "", p.description};
}

ParamInfo describe(const std::string& section, const TextParam& p) {
  return {Param<int>::prefix(section) + p.key, p.def, p.kind, "", p.description};
}

std::string paramsText(const std::vector<ParamInfo>& params) {
  size_t keyWidth = 3, defaultWidth = 7, rangeWidth = 5, unitWidth = 4;
  for (const ParamInfo& p : params) {
    keyWidth = std::max(keyWidth, p.key.size());
    defaultWidth = std::max(defaultWidth, p.defaultText.size());
    rangeWidth = std::max(rangeWidth, p.range.size());
    unitWidth = std::max(unitWidth, p.unit.size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", "key", keyWidth, "default",
                                defaultWidth, "range", rangeWidth, "unit", unitWidth, "meaning");
  for (const ParamInfo& p : params) {
    std::string line =
        fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {}", p.key, keyWidth, p.defaultText,
                    defaultWidth, p.range, rangeWidth, p.unit, unitWidth, p.description);
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

std::string paramsMarkdown(const std::vector<ParamInfo>& params) {
  std::string out = "| key | default | range | unit | meaning |\n|---|---|---|---|---|\n";
  for (const ParamInfo& p : params) {
    out += fmt::format("| `{}` | {} | {} | {} | {} |\n", p.key, p.defaultText, p.range, p.unit,
                       p.description);
  }
  return out;
}

}  // namespace tasdsim::hw
