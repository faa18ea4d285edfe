// tasdsim import: reads an ONNX or TFLite model, writes its Conv/Gemm/MatMul layers as a
// workload YAML and prints, per layer, the cheapest series of each engine that approximates
// the real weights within --max-error (relative Frobenius error).
#include <cmath>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/CliChecks.h"
#include "sim/Commands.h"
#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Output.h"
#include "sw/common/Table.h"
#include "sw/model/Tflite.h"
#include "sw/tasd/Decompose.h"
#include "sw/workload/ImportYaml.h"
#include "sw/workload/Workload.h"

namespace tasdsim::cli {
namespace {

namespace fs = std::filesystem;

struct ImportOptions {
  std::string model;
  std::string out;
  double maxError = 0.01;
  size_t maxTerms = 3;
  std::string inputShape;
  std::string compare;
  std::string json;
  bool overwrite = false;
};

struct Engine {
  const char* name;
  std::vector<const char*> patterns;
};

const std::vector<Engine>& engines() {
  static const std::vector<Engine> all{{"STC", {"2:4"}},
                                       {"VEGETA", {"1:4", "2:4", "4:4"}},
                                       {"VEGETA-M8", {"1:8", "2:8", "4:8", "8:8"}}};
  return all;
}

std::vector<int64_t> parseShape(const std::string& text) {
  std::vector<int64_t> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
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
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

struct LayerWeights {
  tasd::MatrixF matrix;          // N x K, all groups stacked
  model::TfliteStorage storage;  // TFLite: how the file stores it
  bool haveStorage = false;
};

struct BestSeries {
  tasd::Series series;
  double error = 0;
};

// The cheapest series (lowest compute fraction, then fewest terms) with error <= maxError.
BestSeries cheapest(const tasd::MatrixF& w, const std::vector<tasd::Series>& candidates,
                    double maxError) {
  const tasd::TensorStats total = tasd::statsOf(w.data(), w.size());
  std::vector<float> scratch(w.size());
  for (const tasd::Series& s : candidates) {
    if (s.isDense()) return {s, 0.0};
    std::copy(w.values().begin(), w.values().end(), scratch.begin());
    const tasd::TensorStats kept = tasd::approximateInPlace(scratch.data(), w.rows(), w.cols(), s);
    const double error =
        total.l2sq > 0 ? std::sqrt(std::max(0.0, total.l2sq - kept.l2sq) / total.l2sq) : 0.0;
    if (error <= maxError) return {s, error};
  }
  return {tasd::Series::dense(), 0.0};
}

std::string fixed(double v, int digits) {
  return fmt::format("{:.{}f}", v, digits);
}

// For every layer of the first model, the twin's weight tensors of the same shape are
// candidates; the closest one (relative Frobenius difference) is reported. Names differ between
// the files (TFLite merges op names), so values decide.
void compareTwins(const workload::Workload& wa, const std::vector<LayerWeights>& weightsA,
                  const std::string& twinPath, nlohmann::json& report) {
  const workload::Workload wb = workload::load(twinPath);
  if (wb.format != "tflite") throw UserError("--compare: " + twinPath + " is not a TFLite model");
  const std::vector<tasd::MatrixF> weightsB = workload::layerWeights(wb);
  TextTable table({"#", "op", "weights", "stored", "same-shape twins", "closest twin", "rel_diff"});
  size_t withCandidate = 0, identical = 0, sparseWithCandidate = 0, sparseIdentical = 0;
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; i < wa.gemms.size(); ++i) {
    const executor::GemmLayer& la = wa.gemms[i];
    const tasd::MatrixF& x = weightsA[i].matrix;
    const double norm = std::sqrt(tasd::statsOf(x.data(), x.size()).l2sq);
    size_t candidates = 0;
    double best = INFINITY;
    size_t bestIndex = 0;
    for (size_t j = 0; j < wb.gemms.size(); ++j) {
      const tasd::MatrixF& y = weightsB[j];
      if (wb.gemms[j].weightShape != la.weightShape || y.size() != x.size()) continue;
      ++candidates;
      double d2 = 0;
      for (size_t e = 0; e < x.size(); ++e) {
        const double d = static_cast<double>(x.data()[e]) - y.data()[e];
        d2 += d * d;
      }
      const double rel = norm > 0 ? std::sqrt(d2) / norm : std::sqrt(d2);
      if (rel < best) {
        best = rel;
        bestIndex = j;
      }
    }
    const bool sparse = weightsA[i].storage.sparse;
    withCandidate += candidates > 0;
    sparseWithCandidate += sparse && candidates > 0;
    identical += candidates > 0 && best == 0;
    sparseIdentical += sparse && candidates > 0 && best == 0;
    table.add({std::to_string(i), la.opType, model::shapeString(la.weightShape),
               sparse ? "csr" : "dense", std::to_string(candidates),
               candidates ? std::to_string(bestIndex) : "-",
               candidates ? fmt::format("{:.4f}", best) : "-"});
    nlohmann::json r{{"index", i}, {"sparse", sparse}, {"same_shape_candidates", candidates}};
    if (candidates) {
      r["closest"] = bestIndex;
      r["rel_diff"] = best;
    }
    rows.push_back(r);
  }
  std::cout << fmt::format("\nweights compared with {} ({} layers there):\n", twinPath,
                           wb.gemms.size());
  table.print(std::cout);
  std::cout << fmt::format(
      "{} of {} layers have a same-shape weight tensor in the twin, {} of them identical; of the "
      "sparse-stored "
      "ones {} have a same-shape twin, {} identical\n",
      withCandidate, wa.gemms.size(), identical, sparseWithCandidate, sparseIdentical);
  report["twin"] = {{"file", twinPath},
                    {"twin_layers", wb.gemms.size()},
                    {"with_same_shape_twin", withCandidate},
                    {"identical", identical},
                    {"sparse_with_same_shape_twin", sparseWithCandidate},
                    {"sparse_identical", sparseIdentical},
                    {"layers", rows}};
}

// Long TFLite names (merged op names) are shortened for the table: their last 40 characters.
std::string shortName(const std::string& name) {
  constexpr size_t kMax = 40;
  return name.size() <= kMax ? name : "..." + name.substr(name.size() - kMax);
}

void runImport(const ImportOptions& o) {
  if (!(o.maxError >= 0)) throw UserError("--max-error must be >= 0");
  if (o.maxTerms < 1 || o.maxTerms > 4) throw UserError("--max-terms must be in [1, 4]");
  // Output paths are checked (and claimed) before the work.
  std::unique_ptr<OutputFile> yamlOut, jsonOut;
  if (!o.out.empty())
    yamlOut =
        std::make_unique<OutputFile>(outputPathArgument(o.out, "--out"), o.overwrite, "--out");
  if (!o.json.empty())
    jsonOut =
        std::make_unique<OutputFile>(outputPathArgument(o.json, "--json"), o.overwrite, "--json");
  const fs::path path = o.model;
  workload::LoadOptions lo;
  if (!o.inputShape.empty()) lo.inputShape = parseShape(o.inputShape);
  const workload::Workload workload = workload::load(path.string(), lo);
  if (workload.format == "synthetic")
    throw UserError(path.string() + ": not a model file (.onnx or .tflite)");
  if (!o.compare.empty() && workload.format != "tflite")
    throw UserError("--compare works for TFLite models only");
  std::vector<LayerWeights> weights;
  std::unique_ptr<model::TfliteModel> tflite;
  if (workload.format == "tflite")
    tflite = std::make_unique<model::TfliteModel>(model::loadTflite(path));
  std::vector<tasd::MatrixF> matrices = workload::layerWeights(workload);
  for (size_t i = 0; i < workload.gemms.size(); ++i) {
    LayerWeights lw;
    lw.matrix = std::move(matrices[i]);
    const executor::GemmLayer& l = workload.gemms[i];
    if (tflite && l.constantWeights) {
      // How the file stores the tensor behind the graph constant (a depthwise convolution's
      // weights are reordered as <name>.ohwi).
      std::string name = l.weightName;
      const std::string suffix = ".ohwi";
      if (name.size() > suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        name.resize(name.size() - suffix.size());
      for (size_t k = 0; k < tflite->tensors.size(); ++k) {
        if (tflite->tensors[k].name == name || fmt::format("tensor{}", k) == name) {
          lw.haveStorage = tflite->constantValue(static_cast<int32_t>(k), &lw.storage).has_value();
          break;
        }
      }
    }
    weights.push_back(std::move(lw));
  }

  std::vector<std::vector<tasd::Series>> candidates;
  for (const Engine& e : engines()) {
    std::vector<tasd::NMPattern> ps;
    for (const char* p : e.patterns)
      ps.push_back(tasd::NMPattern::parse(p));
    candidates.push_back(tasd::enumerateSeries(ps, o.maxTerms));
  }
  std::vector<std::string> header{"#", "layer", "op", "groups x MxNxK", "MACs", "w_density"};
  if (tflite) header.push_back("stored");
  for (const Engine& e : engines())
    header.push_back(fmt::format("{} (frac, err)", e.name));
  TextTable table(header);
  std::vector<double> weightedFraction(engines().size(), 0.0);
  uint64_t weightMacs = 0;
  uint64_t storedValues = 0, storedDense = 0, sparseLayers = 0;
  nlohmann::json layersJson = nlohmann::json::array();
  for (size_t i = 0; i < workload.gemms.size(); ++i) {
    const executor::GemmLayer& l = workload.gemms[i];
    const LayerWeights& lw = weights[i];
    const model::Node* node = nullptr;
    for (const model::Node& n : workload.graph()->nodes)
      if (n.name == l.name && !n.outputs.empty()) node = &n;
    const std::string activation =
        node ? workload::followingActivation(*workload.graph(), node->outputs.front()) : "none";
    std::vector<std::string> row{std::to_string(i), shortName(l.name), l.opType,
                                 fmt::format("{} x {}x{}x{}", l.groups, l.rowsPerGroup(), l.n, l.k),
                                 std::to_string(l.macs())};
    nlohmann::json lj{{"index", i},       {"name", l.name},     {"op", l.opType},
                      {"macs", l.macs()}, {"groups", l.groups}, {"m", l.rowsPerGroup()},
                      {"n", l.n},         {"k", l.k},           {"activation", activation}};
    if (!l.constantWeights) {
      row.push_back("-");
      if (tflite) row.push_back("-");
      for (size_t e = 0; e < engines().size(); ++e)
        row.push_back("(activations)");
      table.add(row);
      layersJson.push_back(lj);
      continue;
    }
    const tasd::TensorStats st = tasd::statsOf(lw.matrix.data(), lw.matrix.size());
    const double density =
        st.elements ? static_cast<double>(st.nonzeros) / static_cast<double>(st.elements) : 0.0;
    row.push_back(fixed(density, 3));
    lj["weight_density"] = density;
    lj["weight_elements"] = st.elements;
    lj["weight_nonzeros"] = st.nonzeros;
    if (tflite) {
      const double stored = lw.storage.denseElements
                                ? static_cast<double>(lw.storage.storedValues) /
                                      static_cast<double>(lw.storage.denseElements)
                                : 0.0;
      row.push_back(lw.storage.sparse ? fmt::format("csr {:.3f}", stored)
                                      : model::tfliteTypeName(lw.storage.type));
      lj["stored_sparse"] = lw.storage.sparse;
      lj["stored_values"] = lw.storage.storedValues;
      lj["stored_type"] = model::tfliteTypeName(lw.storage.type);
      if (lw.storage.sparse) {
        storedValues += lw.storage.storedValues;
        storedDense += lw.storage.denseElements;
        ++sparseLayers;
      }
    }
    weightMacs += l.macs();
    nlohmann::json best = nlohmann::json::object();
    for (size_t e = 0; e < engines().size(); ++e) {
      const BestSeries b = cheapest(lw.matrix, candidates[e], o.maxError);
      const double fraction = b.series.computeFraction();
      weightedFraction[e] += fraction * static_cast<double>(l.macs());
      row.push_back(fmt::format("{} ({:.3f}, {:.4f})", b.series.str(), fraction, b.error));
      best[engines()[e].name] = {
          {"series", b.series.str()}, {"compute_fraction", fraction}, {"rel_error", b.error}};
    }
    lj["best"] = best;
    table.add(row);
    layersJson.push_back(lj);
  }
  std::cout << fmt::format("{}: {} model, input {}, {} layers, {} MACs per inference\n",
                           path.string(), workload.format,
                           model::shapeString(workload.inputs.front().shape), workload.gemms.size(),
                           workload.totalMacs());
  std::cout << fmt::format(
      "cheapest series per engine with relative Frobenius error <= {} on the weights "
      "(up to {} terms; frac = compute fraction):\n",
      o.maxError, o.maxTerms);
  table.print(std::cout);
  nlohmann::json summary = nlohmann::json::object();
  for (size_t e = 0; e < engines().size(); ++e) {
    const double f = weightMacs ? weightedFraction[e] / static_cast<double>(weightMacs) : 1.0;
    std::cout << fmt::format(
        "{}: weight-operand compute fraction {:.4f} (MAC-weighted over {} layers with constant "
        "weights)\n",
        engines()[e].name, f, weightMacs ? "the" : "no");
    summary[engines()[e].name] = f;
  }
  if (storedDense) {
    std::cout << fmt::format(
        "sparse-stored (CSR) weights: {} tensors, {} values stored for {} entries (density "
        "{:.4f})\n",
        sparseLayers, storedValues, storedDense,
        static_cast<double>(storedValues) / static_cast<double>(storedDense));
  }
  nlohmann::json report{{"model", path.string()},
                        {"format", workload.format},
                        {"input_shape", workload.inputs.front().shape},
                        {"total_macs", workload.totalMacs()},
                        {"max_error", o.maxError},
                        {"max_terms", o.maxTerms},
                        {"compute_fraction", summary},
                        {"layers", layersJson}};
  if (storedDense) {
    report["sparse_stored"] = {
        {"tensors", sparseLayers}, {"values", storedValues}, {"dense_elements", storedDense}};
  }
  if (!o.compare.empty()) compareTwins(workload, weights, o.compare, report);
  if (yamlOut) {
    yamlOut->write(signedYaml(workload::importYamlText(workload, yamlOut->path()), "import"));
    std::cout << "wrote " << yamlOut->path().string() << "\n";
  }
  if (jsonOut) jsonOut->write(signedJson(report, "import"));
}

}  // namespace

void addImportCommand(CLI::App& app) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Import an ONNX or TFLite model: workload YAML and per-layer TASD analysis");
  cmd->add_option("model", o->model, "Model file (.onnx or .tflite)")->required();
  cmd->add_option("--out,-o", o->out, "Write the workload YAML here");
  cmd->add_option("--max-error", o->maxError,
                  "Largest relative Frobenius error of an acceptable series")
      ->capture_default_str()
      ->check(finiteIn(0, 1e30));
  cmd->add_option("--max-terms", o->maxTerms, "Longest series considered")->capture_default_str();
  cmd->add_option("--input-shape", o->inputShape,
                  "ONNX input shape, e.g. 1,3,48,64 (needed for dynamic dimensions)");
  cmd->add_option("--compare", o->compare,
                  "TFLite twin whose weights are compared layer by layer (e.g. the dense twin)");
  cmd->add_option("--json", o->json, "Also write the analysis as JSON");
  cmd->add_flag("--overwrite", o->overwrite,
                "Replace --out and --json files if they are ones tasdsim wrote");
  cmd->callback([o] { runImport(*o); });
}

}  // namespace tasdsim::cli
