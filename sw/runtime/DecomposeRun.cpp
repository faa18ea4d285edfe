#include "sw/runtime/DecomposeRun.h"

#include <cmath>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/Half.h"
#include "sw/common/Table.h"
#include "sw/common/Text.h"
#include "sw/io/Npy.h"
#include "sw/io/TensorFile.h"
#include "sw/tasd/Decompose.h"
#include "sw/tasd/Lowering.h"

namespace tasdsim::runtime {

struct DecomposeArrays {
  std::function<void(const StagingDir&)> write;  // term<i>.npy, approx.npy, residual.npy
};

namespace {

std::vector<tasd::NMPattern> parsePatternList(const std::string& text) {
  std::vector<tasd::NMPattern> out;
  for (const std::string& part : splitCommas(text)) {
    try {
      out.push_back(tasd::NMPattern::parse(part));
    } catch (const UserError& e) {
      throw UserError(fmt::format("--patterns '{}': {}", text, e.what()));
    }
  }
  return out;
}

std::string fixed(double v, int digits) {
  return fmt::format("{:.{}f}", v, digits);
}

using Operand = std::shared_ptr<const io::GemmOperand>;

// The decomposition of either element type, its terms and quality into the report; the dense
// arrays (which keep the decomposition and the operand alive) into report.arrays.
template <typename T>
void decomposeInto(const Operand& op, const tasd::Matrix<T>& a, const tasd::Series& series,
                   tasd::DType storage, DecomposeReport& report) {
  auto d = std::make_shared<tasd::Decomposition<T>>();
  if constexpr (std::is_same_v<T, float>) {
    *d = tasd::decompose(a, series, storage);
  } else {
    *d = tasd::decompose(a, series);
  }
  for (size_t i = 0; i < d->terms.size(); ++i)
    report.terms.push_back({d->terms[i], d->termStats[i].nonzeros, d->qualityAfter(i + 1)});
  report.total = d->quality();
  const tasd::Matrix<T>* source = &a;
  auto arrays = std::make_shared<DecomposeArrays>();
  arrays->write = [d, op, source](const StagingDir& dir) {
    const size_t rows = d->residual.rows(), cols = d->residual.cols();
    const std::vector<size_t> shape{rows, cols};
    for (size_t i = 0; i < d->terms.size(); ++i) {
      if constexpr (std::is_same_v<T, float>) {
        io::writeNpy(dir.file(fmt::format("term{}.npy", i)), shape, d->terms[i].toDenseF().data());
      } else {
        io::writeNpy(dir.file(fmt::format("term{}.npy", i)), shape, d->terms[i].toDenseI8().data());
      }
    }
    if constexpr (std::is_same_v<T, float>) {
      const tasd::MatrixF approx = d->dense ? *source : tasd::reconstructF(d->terms, rows, cols);
      io::writeNpy(dir.file("approx.npy"), shape, approx.data());
    } else {
      const tasd::MatrixI8 approx = d->dense ? *source : tasd::reconstructI8(d->terms, rows, cols);
      io::writeNpy(dir.file("approx.npy"), shape, approx.data());
    }
    io::writeNpy(dir.file("residual.npy"), shape, d->residual.data());
  };
  report.arrays = arrays;
}

// The quality of a whole series only.
tasd::Quality qualityOf(const io::GemmOperand& op, const tasd::Series& series,
                        tasd::DType storage) {
  return op.isInt8 ? tasd::decompose(op.i8, series).quality()
                   : tasd::decompose(op.f32, series, storage).quality();
}

void warnNonFinite(const DecomposeOptions& o, const io::GemmOperand& op, tasd::DType storage) {
  if (op.isInt8 || !o.warn) return;
  if (storage == tasd::DType::BF16) {
    if (const size_t overflows = countBf16Overflows(op.f32.data(), op.f32.size())) {
      o.warn(fmt::format(
          "{}: {} finite values are too large for bf16 (|x| >= 2^128 - 2^119) and become Inf",
          o.input, overflows));
    }
  }
  size_t bad = 0;
  for (float v : op.f32.values())
    bad += !std::isfinite(v);
  if (bad) {
    o.warn(fmt::format(
        "{}: {} NaN/Inf values; they rank above every finite magnitude and make the error metrics "
        "NaN/Inf",
        o.input, bad));
  }
}

nlohmann::json inputJson(const DecomposeOptions& o, const io::GemmOperand& op,
                         tasd::DType storage) {
  nlohmann::json j{{"file", o.input},
                   {"file_dtype", io::npyTypeName(op.fileType)},
                   {"file_shape", op.fileShape},
                   {"gemm_rows", op.rows()},
                   {"gemm_k", op.cols()},
                   {"storage_dtype", tasd::dtypeName(storage)}};
  if (!o.layout.empty()) j["layout"] = o.layout;
  return j;
}

void runSingle(const DecomposeOptions& o, const Operand& op, DecomposeReport& r) {
  const tasd::Series series = tasd::Series::parse(o.series);
  if (op->isInt8) {
    decomposeInto(op, op->i8, series, r.storage, r);
  } else {
    decomposeInto(op, op->f32, series, r.storage, r);
  }
  TextTable table(
      {"term", "pattern", "kept_nnz", "kept_nnz_frac", "kept_l1", "kept_energy", "rel_frob_err"});
  nlohmann::json terms = nlohmann::json::array();
  for (size_t i = 0; i < r.terms.size(); ++i) {
    const DecomposedTerm& t = r.terms[i];
    const tasd::Quality& q = t.cumulative;
    table.add({std::to_string(i), t.term.pattern().str(), std::to_string(t.nonzeros),
               fixed(q.keptNonzeroFraction, 4), fixed(q.keptL1Fraction, 4), fixed(q.keptEnergy, 4),
               fixed(q.relFrobeniusError, 4)});
    terms.push_back({{"index", i},
                     {"pattern", t.term.pattern().str()},
                     {"nonzeros", t.nonzeros},
                     {"compressed_value_bytes", t.term.values().size()},
                     {"compressed_meta_bytes", t.term.meta().size()},
                     {"cumulative", q}});
  }
  const tasd::Quality& t = r.total;
  table.add({"total", series.str(), std::to_string(t.keptNonzeros), fixed(t.keptNonzeroFraction, 4),
             fixed(t.keptL1Fraction, 4), fixed(t.keptEnergy, 4), fixed(t.relFrobeniusError, 4)});
  std::ostringstream text;
  text << fmt::format("{}: {} x {} ({}), series {}, compute fraction {:.4f}\n", o.input, r.rows,
                      r.cols, tasd::dtypeName(r.storage), series.str(),
                      series.computeFraction(r.cols));
  table.print(text);
  r.text = text.str();
  r.json = {{"input", inputJson(o, *op, r.storage)},
            {"series", series.str()},
            {"compute_fraction", series.computeFraction(r.cols)},
            {"terms", terms},
            {"total", t}};
}

void runSweep(const DecomposeOptions& o, const io::GemmOperand& op, DecomposeReport& r) {
  TextTable table(
      {"series", "compute_frac", "kept_nnz_frac", "kept_l1", "kept_energy", "rel_frob_err"});
  nlohmann::json rows = nlohmann::json::array();
  for (const tasd::Series& s : tasd::enumerateSeries(parsePatternList(o.patterns), o.maxTerms)) {
    const SweepRow row{s, s.computeFraction(op.cols()), qualityOf(op, s, r.storage)};
    const tasd::Quality& q = row.quality;
    table.add({s.str(), fixed(row.computeFraction, 4), fixed(q.keptNonzeroFraction, 4),
               fixed(q.keptL1Fraction, 4), fixed(q.keptEnergy, 4), fixed(q.relFrobeniusError, 4)});
    rows.push_back(
        {{"series", s.str()}, {"compute_fraction", row.computeFraction}, {"quality", q}});
    r.sweep.push_back(row);
  }
  std::ostringstream text;
  text << fmt::format("{}: {} x {} ({}), every series of up to {} terms from {}\n", o.input, r.rows,
                      r.cols, tasd::dtypeName(r.storage), o.maxTerms, o.patterns);
  table.print(text);
  r.text = text.str();
  r.json = {{"input", inputJson(o, op, r.storage)},
            {"patterns", o.patterns},
            {"max_terms", o.maxTerms},
            {"series", rows}};
}

}  // namespace

void checkDecomposeOptions(const DecomposeOptions& o) {
  if (!o.sweep) {
    if (o.series.empty()) throw UserError("decompose: --series is required (or use --sweep)");
    tasd::Series::parse(o.series);
    return;
  }
  if (!o.series.empty()) throw UserError("decompose: --series and --sweep exclude each other");
  if (o.maxTerms < 1 || o.maxTerms > 4) throw UserError("decompose: --max-terms must be in [1, 4]");
  parsePatternList(o.patterns);
}

DecomposeReport runDecompose(const DecomposeOptions& o) {
  checkDecomposeOptions(o);
  const std::optional<tasd::ConvLayout> layout =
      o.layout.empty() ? std::nullopt : std::optional(tasd::parseConvLayout(o.layout));
  const Operand op = std::make_shared<const io::GemmOperand>(io::loadGemmOperand(o.input, layout));
  DecomposeReport r;
  r.rows = op->rows();
  r.cols = op->cols();
  r.storage = tasd::decompositionStorage(op->isInt8,
                                         o.dtype.empty() ? std::nullopt : std::optional(o.dtype),
                                         o.input, "--dtype", "an int8 .npy");
  warnNonFinite(o, *op, r.storage);
  if (o.sweep) {
    runSweep(o, *op, r);
  } else {
    runSingle(o, op, r);
  }
  return r;
}

void writeDecompose(const DecomposeReport& r, const StagingDir& dir) {
  if (!r.arrays) {
    writeFileAtomic(dir.file("sweep.json"), r.json.dump(2) + "\n");
    return;
  }
  for (size_t i = 0; i < r.terms.size(); ++i) {
    const tasd::CompressedTerm& t = r.terms[i].term;
    writeFileAtomic(dir.file(fmt::format("term{}_{}x{}.tasd", i, t.pattern().n, t.pattern().m)),
                    t.serialize());
  }
  r.arrays->write(dir);
  writeFileAtomic(dir.file("metrics.json"), r.json.dump(2) + "\n");
}

}  // namespace tasdsim::runtime
