#pragma once
// One `tasdsim decompose` as a library call: the TASD of one tensor file (.npy: a matrix rows x
// K, or 4-D conv weights lowered to a GEMM operand by their layout) with one series, giving its
// compressed terms, their quality term by term and the dense terms, approximation and residual;
// or, as a sweep, the quality of every series of up to maxTerms terms an engine's patterns make,
// sorted by compute fraction.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sw/common/FileUtil.h"
#include "sw/tasd/CompressedTerm.h"
#include "sw/tasd/DType.h"
#include "sw/tasd/Metrics.h"
#include "sw/tasd/Series.h"

namespace tasdsim::runtime {

struct DecomposeOptions {
  std::string input;   // the .npy file
  std::string series;  // one series, e.g. 2:8+1:8 or dense (excludes sweep)
  std::string dtype;   // storage: fp32, bf16 or int8; empty: int8 for int8 input, else fp32
  std::string layout;  // of 4-D conv weights: OIHW, OHWI or HWIO
  bool sweep = false;
  std::string patterns = "1:8,2:8,4:8";  // sweep: the patterns the engine supports
  size_t maxTerms = 3;                   // sweep: the longest series
  // Warnings about the input's values (finite values bf16 turns into Inf, NaN/Inf values), each
  // one line without its newline; may be empty.
  std::function<void(const std::string&)> warn;
};

struct DecomposedTerm {
  tasd::CompressedTerm term;
  size_t nonzeros = 0;
  tasd::Quality cumulative;  // the quality of this term and the ones before it
};

struct SweepRow {
  tasd::Series series;
  double computeFraction = 1;
  tasd::Quality quality;
};

struct DecomposeArrays;  // the dense arrays writeDecompose writes

struct DecomposeReport {
  size_t rows = 0, cols = 0;  // the GEMM operand
  tasd::DType storage = tasd::DType::F32;
  std::vector<DecomposedTerm> terms;  // one series
  tasd::Quality total;                // one series: the quality of all its terms
  std::vector<SweepRow> sweep;        // a sweep
  std::string text;                   // what tasdsim decompose prints (header line and table)
  nlohmann::json json;                // metrics.json, or for a sweep sweep.json
  std::shared_ptr<const DecomposeArrays> arrays;
};

// Checks the options (UserError naming the option, the series or the patterns) before anything
// is read.
void checkDecomposeOptions(const DecomposeOptions& options);

// The decomposition or the sweep (UserError for a bad file, layout or dtype).
DecomposeReport runDecompose(const DecomposeOptions& options);

// Into a staging folder: one series, term<i>_<n>x<m>.tasd, term<i>.npy, approx.npy,
// residual.npy and metrics.json; a sweep, sweep.json.
void writeDecompose(const DecomposeReport& report, const StagingDir& dir);

}  // namespace tasdsim::runtime
