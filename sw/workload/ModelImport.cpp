#include "sw/workload/ModelImport.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/Table.h"
#include "sw/tasd/Decompose.h"
#include "sw/tasd/Metrics.h"
#include "sw/workload/ImportYaml.h"

namespace tasdsim::workload {
namespace {

// The cheapest series (lowest compute fraction, then fewest terms) with error <= maxError.
EngineChoice cheapest(const tasd::MatrixF& w, const std::vector<tasd::Series>& candidates,
                      double maxError) {
  const tasd::TensorStats total = tasd::statsOf(w.data(), w.size());
  std::vector<float> scratch(w.size());
  for (const tasd::Series& s : candidates) {
    if (s.isDense()) return {s, s.computeFraction(), 0.0};
    std::copy(w.values().begin(), w.values().end(), scratch.begin());
    const tasd::TensorStats kept = tasd::approximateInPlace(scratch.data(), w.rows(), w.cols(), s);
    const double error =
        total.l2sq > 0 ? std::sqrt(std::max(0.0, total.l2sq - kept.l2sq) / total.l2sq) : 0.0;
    if (error <= maxError) return {s, s.computeFraction(), error};
  }
  const tasd::Series dense = tasd::Series::dense();
  return {dense, dense.computeFraction(), 0.0};
}

// How a TFLite file stores the tensor behind a layer's graph constant (a depthwise
// convolution's weights are reordered as <name>.ohwi).
model::TfliteStorage storageOf(const model::TfliteModel& tflite, std::string name) {
  model::TfliteStorage storage;
  const std::string suffix = ".ohwi";
  if (name.size() > suffix.size() &&
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    name.resize(name.size() - suffix.size());
  for (size_t k = 0; k < tflite.tensors.size(); ++k) {
    if (tflite.tensors[k].name == name || fmt::format("tensor{}", k) == name) {
      (void)tflite.constantValue(static_cast<int32_t>(k), &storage);
      break;
    }
  }
  return storage;
}

// Long TFLite names (merged op names) are shortened for the table: their last 40 characters.
std::string shortName(const std::string& name) {
  constexpr size_t kMax = 40;
  return name.size() <= kMax ? name : "..." + name.substr(name.size() - kMax);
}

// The activation function that follows a layer ("none" when none does).
std::string activationOf(const Workload& w, const executor::GemmLayer& l) {
  const model::Node* node = nullptr;
  for (const model::Node& n : w.graph()->nodes)
    if (n.name == l.name && !n.outputs.empty()) node = &n;
  return node ? followingActivation(*w.graph(), node->outputs.front()) : "none";
}

}  // namespace

const std::vector<ImportEngine>& importEngines() {
  static const std::vector<ImportEngine> all{{"STC", {"2:4"}},
                                             {"VEGETA", {"1:4", "2:4", "4:4"}},
                                             {"VEGETA-M8", {"1:8", "2:8", "4:8", "8:8"}}};
  return all;
}

void checkImportOptions(const ImportOptions& o) {
  if (!(o.maxError >= 0)) throw UserError("--max-error must be >= 0");
  if (o.maxTerms < 1 || o.maxTerms > 4) throw UserError("--max-terms must be in [1, 4]");
}

ImportReport importModel(const ImportOptions& o) {
  checkImportOptions(o);
  ImportReport r;
  r.model = o.model;
  const std::string path = r.model.string();
  LoadOptions lo;
  lo.inputShape = o.inputShape;
  r.workload = load(path, lo);
  const Workload& workload = r.workload;
  if (workload.format == "synthetic")
    throw UserError(path + ": not a model file (.onnx or .tflite)");
  if (!o.compare.empty() && workload.format != "tflite")
    throw UserError("--compare works for TFLite models only");
  r.tflite = workload.format == "tflite";
  std::unique_ptr<model::TfliteModel> tflite;
  if (r.tflite) tflite = std::make_unique<model::TfliteModel>(model::loadTflite(r.model));
  std::vector<tasd::MatrixF> matrices = layerWeights(workload);
  for (size_t i = 0; i < workload.gemms.size(); ++i) {
    ImportedLayer il;
    il.weights = std::move(matrices[i]);
    const executor::GemmLayer& l = workload.gemms[i];
    if (tflite && l.constantWeights) il.storage = storageOf(*tflite, l.weightName);
    r.layers.push_back(std::move(il));
  }

  const std::vector<ImportEngine>& engines = importEngines();
  std::vector<std::vector<tasd::Series>> candidates;
  for (const ImportEngine& e : engines) {
    std::vector<tasd::NMPattern> ps;
    for (const char* p : e.patterns)
      ps.push_back(tasd::NMPattern::parse(p));
    candidates.push_back(tasd::enumerateSeries(ps, o.maxTerms));
  }
  std::vector<std::string> header{"#", "layer", "op", "groups x MxNxK", "MACs", "w_density"};
  if (tflite) header.push_back("stored");
  for (const ImportEngine& e : engines)
    header.push_back(fmt::format("{} (frac, err)", e.name));
  TextTable table(header);
  std::vector<double> weightedFraction(engines.size(), 0.0);
  uint64_t weightMacs = 0;
  uint64_t storedValues = 0, storedDense = 0, sparseLayers = 0;
  nlohmann::json layersJson = nlohmann::json::array();
  for (size_t i = 0; i < workload.gemms.size(); ++i) {
    const executor::GemmLayer& l = workload.gemms[i];
    ImportedLayer& il = r.layers[i];
    std::vector<std::string> row{std::to_string(i), shortName(l.name), l.opType,
                                 fmt::format("{} x {}x{}x{}", l.groups, l.rowsPerGroup(), l.n, l.k),
                                 std::to_string(l.macs())};
    nlohmann::json lj{
        {"index", i},       {"name", l.name},     {"op", l.opType},
        {"macs", l.macs()}, {"groups", l.groups}, {"m", l.rowsPerGroup()},
        {"n", l.n},         {"k", l.k},           {"activation", activationOf(workload, l)}};
    if (!l.constantWeights) {
      row.push_back("-");
      if (tflite) row.push_back("-");
      for (size_t e = 0; e < engines.size(); ++e)
        row.push_back("(activations)");
      table.add(row);
      layersJson.push_back(lj);
      continue;
    }
    const tasd::TensorStats st = tasd::statsOf(il.weights.data(), il.weights.size());
    const double density =
        st.elements ? static_cast<double>(st.nonzeros) / static_cast<double>(st.elements) : 0.0;
    row.push_back(fmt::format("{:.3f}", density));
    lj["weight_density"] = density;
    lj["weight_elements"] = st.elements;
    lj["weight_nonzeros"] = st.nonzeros;
    if (tflite) {
      const model::TfliteStorage& s = il.storage;
      const double stored = s.denseElements ? static_cast<double>(s.storedValues) /
                                                  static_cast<double>(s.denseElements)
                                            : 0.0;
      row.push_back(s.sparse ? fmt::format("csr {:.3f}", stored) : model::tfliteTypeName(s.type));
      lj["stored_sparse"] = s.sparse;
      lj["stored_values"] = s.storedValues;
      lj["stored_type"] = model::tfliteTypeName(s.type);
      if (s.sparse) {
        storedValues += s.storedValues;
        storedDense += s.denseElements;
        ++sparseLayers;
      }
    }
    weightMacs += l.macs();
    nlohmann::json best = nlohmann::json::object();
    for (size_t e = 0; e < engines.size(); ++e) {
      const EngineChoice b = cheapest(il.weights, candidates[e], o.maxError);
      weightedFraction[e] += b.computeFraction * static_cast<double>(l.macs());
      row.push_back(fmt::format("{} ({:.3f}, {:.4f})", b.series.str(), b.computeFraction, b.error));
      best[engines[e].name] = {{"series", b.series.str()},
                               {"compute_fraction", b.computeFraction},
                               {"rel_error", b.error}};
      il.best.push_back(b);
    }
    lj["best"] = best;
    table.add(row);
    layersJson.push_back(lj);
  }
  std::ostringstream text;
  text << fmt::format("{}: {} model, input {}, {} layers, {} MACs per inference\n", path,
                      workload.format, model::shapeString(workload.inputs.front().shape),
                      workload.gemms.size(), workload.totalMacs());
  text << fmt::format(
      "cheapest series per engine with relative Frobenius error <= {} on the weights "
      "(up to {} terms; frac = compute fraction):\n",
      o.maxError, o.maxTerms);
  table.print(text);
  nlohmann::json summary = nlohmann::json::object();
  for (size_t e = 0; e < engines.size(); ++e) {
    const double f = weightMacs ? weightedFraction[e] / static_cast<double>(weightMacs) : 1.0;
    text << fmt::format(
        "{}: weight-operand compute fraction {:.4f} (MAC-weighted over {} layers with constant "
        "weights)\n",
        engines[e].name, f, weightMacs ? "the" : "no");
    summary[engines[e].name] = f;
    r.computeFractions.push_back(f);
  }
  if (storedDense) {
    text << fmt::format(
        "sparse-stored (CSR) weights: {} tensors, {} values stored for {} entries (density "
        "{:.4f})\n",
        sparseLayers, storedValues, storedDense,
        static_cast<double>(storedValues) / static_cast<double>(storedDense));
  }
  r.text = text.str();
  r.json = {{"model", path},
            {"format", workload.format},
            {"input_shape", workload.inputs.front().shape},
            {"total_macs", workload.totalMacs()},
            {"max_error", o.maxError},
            {"max_terms", o.maxTerms},
            {"compute_fraction", summary},
            {"layers", layersJson}};
  if (storedDense) {
    r.json["sparse_stored"] = {
        {"tensors", sparseLayers}, {"values", storedValues}, {"dense_elements", storedDense}};
  }
  return r;
}

// For every layer of the imported model, the twin's weight tensors of the same shape are
// candidates; the closest one (relative Frobenius difference) is reported.
TwinComparison compareTwin(const ImportReport& report, const std::string& twinPath) {
  const Workload& wa = report.workload;
  const Workload wb = load(twinPath);
  if (wb.format != "tflite") throw UserError("--compare: " + twinPath + " is not a TFLite model");
  const std::vector<tasd::MatrixF> weightsB = layerWeights(wb);
  TextTable table({"#", "op", "weights", "stored", "same-shape twins", "closest twin", "rel_diff"});
  TwinComparison c;
  size_t sparseWithCandidate = 0, sparseIdentical = 0;
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; i < wa.gemms.size(); ++i) {
    const executor::GemmLayer& la = wa.gemms[i];
    const tasd::MatrixF& x = report.layers[i].weights;
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
    const bool sparse = report.layers[i].storage.sparse;
    c.withSameShapeTwin += candidates > 0;
    sparseWithCandidate += sparse && candidates > 0;
    c.identical += candidates > 0 && best == 0;
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
  std::ostringstream text;
  text << fmt::format("\nweights compared with {} ({} layers there):\n", twinPath, wb.gemms.size());
  table.print(text);
  text << fmt::format(
      "{} of {} layers have a same-shape weight tensor in the twin, {} of them identical; of the "
      "sparse-stored "
      "ones {} have a same-shape twin, {} identical\n",
      c.withSameShapeTwin, wa.gemms.size(), c.identical, sparseWithCandidate, sparseIdentical);
  c.text = text.str();
  c.json = {{"file", twinPath},
            {"twin_layers", wb.gemms.size()},
            {"with_same_shape_twin", c.withSameShapeTwin},
            {"identical", c.identical},
            {"sparse_with_same_shape_twin", sparseWithCandidate},
            {"sparse_identical", sparseIdentical},
            {"layers", rows}};
  return c;
}

}  // namespace tasdsim::workload
