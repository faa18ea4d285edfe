#include "sw/executor/DigitAccuracy.h"

#include <algorithm>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/io/MnistJson.h"

namespace tasdsim::executor {
namespace {
constexpr size_t kScaled = 40;               // the digit is upscaled 28 -> 40 px
constexpr size_t kPasteX = 12, kPasteY = 4;  // top-left corner in the canvas
}  // namespace

model::Tensor ocrDigitInput(const std::vector<float>& pixels) {
  if (pixels.size() != io::kMnistPixels)
    throw UserError(
        fmt::format("digit has {} pixels, expected {}", pixels.size(), io::kMnistPixels));
  const size_t h = static_cast<size_t>(kOcrHeight), w = static_cast<size_t>(kOcrWidth);
  std::vector<float> plane(h * w, 1.0f);  // white canvas
  for (size_t y = 0; y < kScaled; ++y) {
    const size_t sy = y * io::kMnistSide / kScaled;  // nearest neighbour: floor(y * 28 / 40)
    for (size_t x = 0; x < kScaled; ++x) {
      const size_t sx = x * io::kMnistSide / kScaled;
      plane[(y + kPasteY) * w + (x + kPasteX)] = 1.0f - pixels[sy * io::kMnistSide + sx];
    }
  }
  std::vector<float> data(3 * h * w);
  for (size_t c = 0; c < 3; ++c) {
    for (size_t i = 0; i < h * w; ++i)
      data[c * h * w + i] = (plane[i] - 0.5f) / 0.5f;
  }
  return model::Tensor::floats({1, 3, kOcrHeight, kOcrWidth}, std::move(data));
}

std::array<size_t, kDigitClasses> digitClassIndices(const std::filesystem::path& keysFile) {
  const std::string text = readFileText(keysFile);
  std::array<size_t, kDigitClasses> index{};
  std::array<bool, kDigitClasses> found{};
  size_t line = 0, start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string entry = text.substr(start, end - start);
    if (!entry.empty() && entry.back() == '\r') entry.pop_back();
    if (entry.size() == 1 && entry[0] >= '0' && entry[0] <= '9') {
      const size_t d = static_cast<size_t>(entry[0] - '0');
      if (!found[d]) index[d] = line + 1;  // +1: class 0 is the CTC blank
      found[d] = true;
    }
    ++line;
    if (end == text.size()) break;
    start = end + 1;
  }
  for (size_t d = 0; d < kDigitClasses; ++d) {
    if (!found[d])
      throw UserError(
          fmt::format("{}: the digit '{}' is not a line of the keys file", keysFile.string(), d));
  }
  return index;
}

std::filesystem::path realdataPath(const std::string& given, const std::string& realdata,
                                   const char* relative) {
  const std::filesystem::path p =
      given.empty() ? std::filesystem::path(realdata) / relative : std::filesystem::path(given);
  if (!std::filesystem::exists(p)) {
    throw UserError(
        fmt::format("{}: not found; fetch the real model data with scripts/fetch_realdata.sh (or "
                    "give the path)",
                    p.string()));
  }
  return p;
}

std::array<float, kDigitClasses> digitScores(const model::Tensor& p,
                                             const std::array<size_t, kDigitClasses>& classIndex) {
  if (!p.isFloat() || p.shape.size() != 3) {
    throw UserError(
        fmt::format("model output {} is not [1, T, classes]", model::shapeString(p.shape)));
  }
  const size_t steps = static_cast<size_t>(p.shape[1]), classes = static_cast<size_t>(p.shape[2]);
  std::array<float, kDigitClasses> scores{};
  for (size_t d = 0; d < kDigitClasses; ++d) {
    if (classIndex[d] >= classes)
      throw UserError(fmt::format("digit class index {} beyond the model's {} classes",
                                  classIndex[d], classes));
    float score = 0.0f;
    for (size_t t = 0; t < steps; ++t)
      score = std::max(score, p.f[t * classes + classIndex[d]]);
    scores[d] = score;
  }
  return scores;
}

int predictDigit(const model::Tensor& p, const std::array<size_t, kDigitClasses>& classIndex) {
  return bestDigit(digitScores(p, classIndex));
}

int bestDigit(const std::array<float, kDigitClasses>& scores) {
  int best = 0;
  float bestScore = -1.0f;
  for (size_t d = 0; d < kDigitClasses; ++d) {
    if (scores[d] > bestScore) {  // strict: ties go to the lower digit
      bestScore = scores[d];
      best = static_cast<int>(d);
    }
  }
  return best;
}

std::vector<LabelledDigit> loadDigits(const std::filesystem::path& digitsDir, size_t first,
                                      size_t count) {
  std::vector<LabelledDigit> out;
  for (int label = 0; label < static_cast<int>(kDigitClasses); ++label) {
    const std::filesystem::path file = digitsDir / fmt::format("{}.json", label);
    std::vector<std::vector<float>> images = io::readMnistDigits(file, first + count);
    if (images.size() < first + count) {
      throw UserError(
          fmt::format("{}: has {} images, {} needed", file.string(), images.size(), first + count));
    }
    for (size_t k = first; k < first + count; ++k)
      out.push_back({label, std::move(images[k])});
  }
  return out;
}

}  // namespace tasdsim::executor
