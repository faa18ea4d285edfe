#pragma once
// One GEMM for the accelerator, C[m x n] = S[m x k] * D[n x k]^T, in host terms: what the
// structured operand S is (precomputed TASD terms, a dense matrix, or dense activations the
// TASD units decompose on the fly), what the dense operand D is, and where everything goes in
// device memory. A convolution's activation operand is an NHWC tensor read through implicit
// im2col (rows = output positions, K = (r*S + s)*C + c).
#include <cstdint>
#include <string>
#include <vector>

#include "sw/tasd/CompressedTerm.h"
#include "sw/tasd/DType.h"
#include "sw/tasd/Lowering.h"
#include "sw/tasd/Series.h"

namespace tasdsim::runtime {

enum class SKind { Terms, Dense, OnTheFly };

struct DenseOperand {
  bool conv = false;
  tasd::ConvGeometry geometry;  // conv only
  uint32_t batch = 1;           // conv only
  uint64_t address = 0;         // device address
  uint64_t rowStride = 0;       // bytes between rows (matrix only)
};

// The output path of a job (CFG_OUT): accumulators as they are, or requantised to int8 with a
// per-channel table (docs/isa.md). Partial sums of a term-serial series go to `partialAddress`.
struct OutputPath {
  bool requant = false;
  bool relu = false;
  bool perRow = false;  // channels are the result's rows (S = weights) rather than its columns
  bool bias = false;
  uint64_t tableAddress = 0;
  uint64_t partialAddress = 0, partialRowStride = 0;  // 0: none (partial sums in C)
  uint32_t resultBytes(tasd::DType) const { return requant ? 1 : 4; }
};

struct GemmJob {
  std::string name;
  uint32_t m = 0, n = 0, k = 0;
  tasd::DType dtype = tasd::DType::F32;
  SKind sKind = SKind::Dense;
  tasd::Series series;                         // Terms / OnTheFly
  float tau = -1.0f;                           // OnTheFly pseudo-density threshold
  std::vector<uint64_t> termValues, termMeta;  // Terms: device addresses per term
  DenseOperand s;                              // Dense / OnTheFly
  DenseOperand d;
  uint64_t cAddress = 0;
  uint64_t cRowStride = 0;  // bytes
  OutputPath output;
};

}  // namespace tasdsim::runtime
