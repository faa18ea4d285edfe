#include "sw/tasder/SearchData.h"

#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/executor/DigitAccuracy.h"

namespace tasdsim::tasder {

namespace fs = std::filesystem;

ModelSearchData digitData(const DigitProtocol& o) {
  if (o.perClass == 0) throw UserError("--per-class must be at least 1");
  if (o.probePerClass == 0 || o.probePerClass > o.calibrationPerClass)
    throw UserError(fmt::format("--probe {}: must be in [1, --calibration {}]", o.probePerClass,
                                o.calibrationPerClass));
  ModelSearchData d;
  d.model = executor::realdataPath({}, o.realdata, executor::kRecModelFile);
  const fs::path keysPath = executor::realdataPath({}, o.realdata, executor::kKeysFile);
  const fs::path digitsPath = executor::realdataPath({}, o.realdata, executor::kDigitsDir);
  d.title = "PP-OCRv4 rec";
  d.inputShape = {1, 3, executor::kOcrHeight, executor::kOcrWidth};
  workload::LoadOptions lo;
  lo.inputShape = d.inputShape;
  d.workload = workload::load(d.model.string(), lo);
  const auto classIndex = executor::digitClassIndices(keysPath);
  d.scores = [classIndex](const model::Tensor& out) {
    const auto s = executor::digitScores(out, classIndex);
    return std::vector<float>(s.begin(), s.end());
  };
  d.labelSource = digitsPath.string();
  auto digits = [&](size_t first, size_t perClass, size_t stride) {
    auto all = std::make_shared<std::vector<executor::LabelledDigit>>(
        executor::loadDigits(digitsPath, first, perClass));
    LabelledSet s;
    std::vector<size_t> index;
    for (size_t i = 0; i < all->size(); i += stride) {
      index.push_back(i);
      s.labels.push_back((*all)[i].label);
    }
    s.input = [all, index](size_t i) { return executor::ocrDigitInput((*all)[index[i]].pixels); };
    s.description = stride == 1
                        ? fmt::format("digits {}-{} of each class", first, first + perClass - 1)
                        : fmt::format("every {}th of digits {}-{} of each class", stride, first,
                                      first + perClass - 1);
    return s;
  };
  d.search = digits(o.first, o.perClass, 1);
  d.test = digits(o.holdoutFirst, o.perClass, 1);
  d.testName = "held-out digits";
  d.calibration = digits(o.calibrationFirst, o.calibrationPerClass, 1);
  // Every (calibration / probe)-th calibration digit: probe digits of each class.
  d.probe = digits(o.calibrationFirst, o.calibrationPerClass,
                   std::max<size_t>(1, o.calibrationPerClass / o.probePerClass));
  d.description = {{"protocol", "digits"},
                   {"search_digits", {{"first", o.first}, {"per_class", o.perClass}}},
                   {"holdout_digits", {{"first", o.holdoutFirst}, {"per_class", o.perClass}}}};
  return d;
}

void checkModelSearchData(const ModelSearchDataOptions& o) {
  const ClassifierSplits& s = o.splits;
  if (o.model.empty() && !(o.inputs.empty() && o.labels.empty() && s.search.empty() &&
                           s.test.empty() && s.calibration.empty()))
    throw UserError("--inputs, --labels and the splits need --model (the classifier they label)");
}

ModelSearchData loadModelSearchData(const ModelSearchDataOptions& o) {
  checkModelSearchData(o);
  if (o.model.empty()) return digitData(o.digits);
  if (o.inputs.empty() || o.labels.empty())
    throw UserError("--model needs --inputs and --labels (and --search-split, --test-split)");
  return classifierData(o.model, loadNpyLabelledData(o.inputs, o.labels), o.splits);
}

}  // namespace tasdsim::tasder
