#pragma once
// Text helpers shared by the parsers of option values.
#include <string>
#include <vector>

namespace tasdsim {

// The parts of text between commas, empty parts included: "" is one empty part, "a," two.
inline std::vector<std::string> splitCommas(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    parts.push_back(
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

}  // namespace tasdsim
