// tasdsim import: reads an ONNX or TFLite model, writes its Conv/Gemm/MatMul layers as a
// workload YAML and prints, per layer, the cheapest series of each engine that approximates
// the real weights within --max-error (relative Frobenius error). The import and the analysis
// are workload::importModel (sw/workload/ModelImport.h).
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "sim/CliChecks.h"
#include "sim/Commands.h"
#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Output.h"
#include "sw/common/Text.h"
#include "sw/workload/ImportYaml.h"
#include "sw/workload/ModelImport.h"

namespace tasdsim::cli {
namespace {

struct ImportCommandOptions {
  workload::ImportOptions import;
  std::string out;
  std::string inputShape;
  std::string json;
  bool overwrite = false;
};

std::vector<int64_t> parseShape(const std::string& text) {
  std::vector<int64_t> out;
  for (const std::string& part : splitCommas(text)) {
    try {
      size_t used = 0;
      const long long v = std::stoll(part, &used);
      if (used != part.size() || v <= 0) throw std::invalid_argument(part);
      out.push_back(v);
    } catch (const std::exception&) {
      throw UserError(fmt::format(
          "--input-shape '{}': expected positive integers separated by commas, e.g. 1,3,48,64",
          text));
    }
  }
  return out;
}

void runImport(const ImportCommandOptions& o) {
  workload::checkImportOptions(o.import);
  // Output paths are checked (and claimed) before the work.
  std::unique_ptr<OutputFile> yamlOut, jsonOut;
  if (!o.out.empty())
    yamlOut =
        std::make_unique<OutputFile>(outputPathArgument(o.out, "--out"), o.overwrite, "--out");
  if (!o.json.empty())
    jsonOut =
        std::make_unique<OutputFile>(outputPathArgument(o.json, "--json"), o.overwrite, "--json");
  workload::ImportOptions options = o.import;
  if (!o.inputShape.empty()) options.inputShape = parseShape(o.inputShape);
  workload::ImportReport report = workload::importModel(options);
  std::cout << report.text;
  if (!o.import.compare.empty()) {
    const workload::TwinComparison twin = workload::compareTwin(report, o.import.compare);
    std::cout << twin.text;
    report.json["twin"] = twin.json;
  }
  if (yamlOut) {
    yamlOut->write(
        signedYaml(workload::importYamlText(report.workload, yamlOut->path()), "import"));
    std::cout << "wrote " << yamlOut->path().string() << "\n";
  }
  if (jsonOut) jsonOut->write(signedJson(report.json, "import"));
}

}  // namespace

void addImportCommand(CLI::App& app) {
  auto o = std::make_shared<ImportCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Import an ONNX or TFLite model: workload YAML and per-layer TASD analysis");
  cmd->add_option("model", o->import.model, "Model file (.onnx or .tflite)")->required();
  cmd->add_option("--out,-o", o->out, "Write the workload YAML here");
  cmd->add_option("--max-error", o->import.maxError,
                  "Largest relative Frobenius error of an acceptable series")
      ->capture_default_str()
      ->check(finiteIn(0, 1e30));
  cmd->add_option("--max-terms", o->import.maxTerms, "Longest series considered")
      ->capture_default_str();
  cmd->add_option("--input-shape", o->inputShape,
                  "ONNX input shape, e.g. 1,3,48,64 (needed for dynamic dimensions)");
  cmd->add_option("--compare", o->import.compare,
                  "TFLite twin whose weights are compared layer by layer (e.g. the dense twin)");
  cmd->add_option("--json", o->json, "Also write the analysis as JSON");
  cmd->add_flag("--overwrite", o->overwrite,
                "Replace --out and --json files if they are ones tasdsim wrote");
  cmd->callback([o] { runImport(*o); });
}

}  // namespace tasdsim::cli
