// tasdsim decompose: TASD of one tensor file; writes compressed and dense terms and metrics,
// or with --sweep compares every series an engine supports.
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/Commands.h"
#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Half.h"
#include "sw/common/Output.h"
#include "sw/common/Table.h"
#include "sw/io/TensorFile.h"
#include "sw/tasd/Decompose.h"

namespace tasdsim::cli {
namespace {

struct DecomposeOptions {
  std::string input;
  std::string series;
  std::string out;
  std::string dtype;
  std::string layout;
  std::string patterns = "1:8,2:8,4:8";
  size_t maxTerms = 3;
  bool sweep = false;
  bool overwrite = false;
};

std::vector<tasd::NMPattern> parsePatternList(const std::string& text) {
  std::vector<tasd::NMPattern> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    try {
      out.push_back(tasd::NMPattern::parse(part));
    } catch (const UserError& e) {
      throw UserError(fmt::format("--patterns '{}': {}", text, e.what()));
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string fixed(double v, int digits) {
  return fmt::format("{:.{}f}", v, digits);
}

// A decomposition of either element type, seen through what the command needs.
struct Result {
  std::vector<tasd::CompressedTerm> terms;
  std::vector<tasd::Quality> cumulative;  // quality after terms 1..k
  tasd::Quality total;
  std::vector<size_t> termNonzeros;
  std::function<void(const StagingDir&)> writeDense;  // approx, residual and dense terms
};

template <typename T>
Result run(const tasd::Matrix<T>& a, const tasd::Series& series, tasd::DType storage) {
  auto d = std::make_shared<tasd::Decomposition<T>>();
  if constexpr (std::is_same_v<T, float>) {
    *d = tasd::decompose(a, series, storage);
  } else {
    *d = tasd::decompose(a, series);
  }
  Result r;
  r.terms = d->terms;
  for (size_t k = 1; k <= d->terms.size(); ++k)
    r.cumulative.push_back(d->qualityAfter(k));
  r.total = d->quality();
  for (const tasd::TensorStats& s : d->termStats)
    r.termNonzeros.push_back(s.nonzeros);
  const tasd::Matrix<T>* source = &a;
  r.writeDense = [d, source](const StagingDir& dir) {
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
  return r;
}

Result runOn(const io::GemmOperand& op, const tasd::Series& series, tasd::DType storage) {
  return op.isInt8 ? run(op.i8, series, storage) : run(op.f32, series, storage);
}

tasd::DType chooseStorage(const DecomposeOptions& o, const io::GemmOperand& op) {
  if (o.dtype.empty()) return op.isInt8 ? tasd::DType::I8 : tasd::DType::F32;
  const tasd::DType t = tasd::parseDType(o.dtype);
  if (t == tasd::DType::I8 && !op.isInt8) {
    throw UserError(
        fmt::format("{}: --dtype int8 needs an int8 .npy (quantize the tensor first)", o.input));
  }
  if (t != tasd::DType::I8 && op.isInt8) {
    throw UserError(fmt::format("{}: int8 input is decomposed exactly as int8; drop --dtype {}",
                                o.input, o.dtype));
  }
  return t;
}

void warnNonFinite(const DecomposeOptions& o, const io::GemmOperand& op, tasd::DType storage) {
  if (op.isInt8) return;
  if (storage == tasd::DType::BF16) {
    if (const size_t overflows = countBf16Overflows(op.f32.data(), op.f32.size())) {
      std::cerr << fmt::format(
          "tasdsim: warning: {}: {} finite values are too large for bf16 (|x| >= 2^128 - 2^119) "
          "and become Inf\n",
          o.input, overflows);
    }
  }
  size_t bad = 0;
  for (float v : op.f32.values())
    bad += !std::isfinite(v);
  if (bad) {
    std::cerr << fmt::format(
        "tasdsim: warning: {}: {} NaN/Inf values; they rank above every finite magnitude and make "
        "the error "
        "metrics NaN/Inf\n",
        o.input, bad);
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

void runSingle(const DecomposeOptions& o) {
  if (o.series.empty()) throw UserError("decompose: --series is required (or use --sweep)");
  const tasd::Series series = tasd::Series::parse(o.series);
  std::unique_ptr<StagingDir> dir;
  if (!o.out.empty())  // fails early if it exists
    dir = std::make_unique<StagingDir>(outputPathArgument(o.out, "--out"), o.overwrite);
  const std::optional<tasd::ConvLayout> layout =
      o.layout.empty() ? std::nullopt : std::optional(tasd::parseConvLayout(o.layout));
  const io::GemmOperand op = io::loadGemmOperand(o.input, layout);
  const tasd::DType storage = chooseStorage(o, op);
  warnNonFinite(o, op, storage);
  const Result r = runOn(op, series, storage);

  TextTable table(
      {"term", "pattern", "kept_nnz", "kept_nnz_frac", "kept_l1", "kept_energy", "rel_frob_err"});
  nlohmann::json terms = nlohmann::json::array();
  for (size_t i = 0; i < r.terms.size(); ++i) {
    const tasd::Quality& q = r.cumulative[i];
    table.add({std::to_string(i), r.terms[i].pattern().str(), std::to_string(r.termNonzeros[i]),
               fixed(q.keptNonzeroFraction, 4), fixed(q.keptL1Fraction, 4), fixed(q.keptEnergy, 4),
               fixed(q.relFrobeniusError, 4)});
    terms.push_back({{"index", i},
                     {"pattern", r.terms[i].pattern().str()},
                     {"nonzeros", r.termNonzeros[i]},
                     {"compressed_value_bytes", r.terms[i].values().size()},
                     {"compressed_meta_bytes", r.terms[i].meta().size()},
                     {"cumulative", r.cumulative[i]}});
  }
  const tasd::Quality& t = r.total;
  table.add({"total", series.str(), std::to_string(t.keptNonzeros), fixed(t.keptNonzeroFraction, 4),
             fixed(t.keptL1Fraction, 4), fixed(t.keptEnergy, 4), fixed(t.relFrobeniusError, 4)});
  std::cout << fmt::format("{}: {} x {} ({}), series {}, compute fraction {:.4f}\n", o.input,
                           op.rows(), op.cols(), tasd::dtypeName(storage), series.str(),
                           series.computeFraction(op.cols()));
  table.print(std::cout);

  if (dir) {
    const nlohmann::json metrics{{"input", inputJson(o, op, storage)},
                                 {"series", series.str()},
                                 {"compute_fraction", series.computeFraction(op.cols())},
                                 {"terms", terms},
                                 {"total", t}};
    for (size_t i = 0; i < r.terms.size(); ++i) {
      writeFileAtomic(dir->file(fmt::format("term{}_{}x{}.tasd", i, r.terms[i].pattern().n,
                                            r.terms[i].pattern().m)),
                      r.terms[i].serialize());
    }
    r.writeDense(*dir);
    writeFileAtomic(dir->file("metrics.json"), metrics.dump(2) + "\n");
    dir->commit();
    std::cout << "wrote " << o.out << "/\n";
  }
}

void runSweep(const DecomposeOptions& o) {
  if (!o.series.empty()) throw UserError("decompose: --series and --sweep exclude each other");
  if (o.maxTerms < 1 || o.maxTerms > 4) throw UserError("decompose: --max-terms must be in [1, 4]");
  const std::vector<tasd::NMPattern> patterns = parsePatternList(o.patterns);
  std::unique_ptr<StagingDir> dir;
  if (!o.out.empty())
    dir = std::make_unique<StagingDir>(outputPathArgument(o.out, "--out"), o.overwrite);
  const std::optional<tasd::ConvLayout> layout =
      o.layout.empty() ? std::nullopt : std::optional(tasd::parseConvLayout(o.layout));
  const io::GemmOperand op = io::loadGemmOperand(o.input, layout);
  const tasd::DType storage = chooseStorage(o, op);
  warnNonFinite(o, op, storage);

  TextTable table(
      {"series", "compute_frac", "kept_nnz_frac", "kept_l1", "kept_energy", "rel_frob_err"});
  nlohmann::json rows = nlohmann::json::array();
  for (const tasd::Series& s : tasd::enumerateSeries(patterns, o.maxTerms)) {
    const tasd::Quality q = runOn(op, s, storage).total;
    table.add({s.str(), fixed(s.computeFraction(op.cols()), 4), fixed(q.keptNonzeroFraction, 4),
               fixed(q.keptL1Fraction, 4), fixed(q.keptEnergy, 4), fixed(q.relFrobeniusError, 4)});
    rows.push_back(
        {{"series", s.str()}, {"compute_fraction", s.computeFraction(op.cols())}, {"quality", q}});
  }
  std::cout << fmt::format("{}: {} x {} ({}), every series of up to {} terms from {}\n", o.input,
                           op.rows(), op.cols(), tasd::dtypeName(storage), o.maxTerms, o.patterns);
  table.print(std::cout);
  if (dir) {
    const nlohmann::json j{{"input", inputJson(o, op, storage)},
                           {"patterns", o.patterns},
                           {"max_terms", o.maxTerms},
                           {"series", rows}};
    writeFileAtomic(dir->file("sweep.json"), j.dump(2) + "\n");
    dir->commit();
    std::cout << "wrote " << o.out << "/\n";
  }
}

}  // namespace

void addDecomposeCommand(CLI::App& app) {
  auto opts = std::make_shared<DecomposeOptions>();
  CLI::App* cmd =
      app.add_subcommand("decompose", "TASD-decompose a tensor (.npy) into a series of N:M terms");
  cmd->add_option("input", opts->input, "Input .npy: 2-D matrix (rows x K) or 4-D conv weights")
      ->required();
  cmd->add_option("--series,-s", opts->series, "Series to apply, e.g. 2:8+1:8 or dense");
  cmd->add_option("--out,-o", opts->out,
                  "Output folder (must not exist): terms, approximation, metrics.json");
  cmd->add_flag("--overwrite", opts->overwrite,
                "Replace the output folder if it is one tasdsim wrote");
  cmd->add_option("--dtype", opts->dtype,
                  "Storage type: fp32, bf16 or int8 (default: fp32, or int8 for int8 input)");
  cmd->add_option("--layout", opts->layout, "Layout of 4-D conv weights: OIHW, OHWI or HWIO");
  CLI::Option* sweep = cmd->add_flag(
      "--sweep", opts->sweep, "Report every series an engine supports, sorted by compute fraction");
  // Without --sweep these would have no effect: an error instead.
  cmd->add_option("--patterns", opts->patterns, "Patterns the engine supports, for --sweep")
      ->capture_default_str()
      ->needs(sweep);
  cmd->add_option("--max-terms", opts->maxTerms, "Longest series, for --sweep")
      ->capture_default_str()
      ->needs(sweep);
  cmd->callback([opts] { opts->sweep ? runSweep(*opts) : runSingle(*opts); });
}

}  // namespace tasdsim::cli
