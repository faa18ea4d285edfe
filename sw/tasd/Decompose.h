#pragma once
// Greedy TASD decomposition (SPEC section 1). R0 = A; for term i, in every m_i-block of R_{i-1}
// keep the n_i entries of largest magnitude (ties: lower index first; exact zeros are never
// kept) as T_i, and R_i = R_{i-1} - T_i. Entries move from the residual into a term, so
// sum(T_i) + R = A holds exactly in any arithmetic. For BF16 storage A is first rounded to bf16
// and the identity holds for bf16(A). Magnitude order is that of |x| with NaN above +Inf.
#include <optional>
#include <string>
#include <vector>

#include "sw/tasd/CompressedTerm.h"
#include "sw/tasd/DType.h"
#include "sw/tasd/Matrix.h"
#include "sw/tasd/Metrics.h"
#include "sw/tasd/Series.h"

namespace tasdsim::tasd {

// For the dense series there are no terms: the approximation is A itself and R is zero.
template <typename T>
struct Decomposition {
  bool dense = false;
  std::vector<CompressedTerm> terms;
  Matrix<T> residual;                  // the dropped part R
  TensorStats original;                // statistics of A (bf16(A) for BF16)
  std::vector<TensorStats> termStats;  // statistics of each T_i
  TensorStats residualStats;           // statistics of R

  // Quality of the first k terms (k = number of terms for the whole series).
  Quality qualityAfter(size_t k) const;
  Quality quality() const { return qualityAfter(terms.size()); }
};

// storage: F32 or BF16.
Decomposition<float> decompose(const MatrixF& a, const Series& series, DType storage = DType::F32);
Decomposition<int8_t> decompose(const MatrixI8& a, const Series& series);
// The same into an existing result whose buffers are reused when the shapes match: the form
// for decomposing many tensors of one shape (no allocation, page faults or zero-fill). With
// statistics = false the statistics (and so the quality) are left empty: the terms only.
void decompose(const MatrixF& a, const Series& series, DType storage, Decomposition<float>& reuse,
               bool statistics = true);
void decompose(const MatrixI8& a, const Series& series, Decomposition<int8_t>& reuse,
               bool statistics = true);
// The same on values the caller owns (row-major, rows x cols), read in place: no copy of A.
// approximation (optional, rows x cols): also sum(T_i) (A itself for dense), written row by row
// while the row is in cache; it may be reuse.residual's own buffer, which then holds the
// approximation instead of R.
void decompose(const MatrixView<float>& a, const Series& series, DType storage,
               Decomposition<float>& reuse, bool statistics = true, float* approximation = nullptr);
void decompose(const MatrixView<int8_t>& a, const Series& series, Decomposition<int8_t>& reuse,
               bool statistics = true, int8_t* approximation = nullptr);

// The storage type of a decomposition: dtype as asked for, by default int8 for int8 input and
// fp32 otherwise. int8 input is decomposed exactly as int8 only, and int8 storage needs int8
// input; the UserError reads "<subject>: <option> int8 needs <int8InputName> (...)" or
// "<subject>: int8 input is decomposed exactly as int8; drop <option> <dtype>".
DType decompositionStorage(bool int8Input, const std::optional<std::string>& dtype,
                           const std::string& subject, const std::string& option,
                           const std::string& int8InputName);

// Sum of the dense forms of terms (each rows x cols); the TASD approximation of A.
MatrixF reconstructF(const std::vector<CompressedTerm>& terms, size_t rows, size_t cols);
MatrixI8 reconstructI8(const std::vector<CompressedTerm>& terms, size_t rows, size_t cols);

// A fault for the tests of the run's checks (never planted otherwise): while planted, every
// block keeps its n smallest nonzero magnitudes instead of the largest, in decompose(),
// approximateInPlace() and so in the TASD units' model: valid n:m terms, but the wrong ones. The
// independent reference (Reference.h) is not affected.
void plantSelectionFault(bool planted);

// Only the approximation sum(T_i), without building compressed terms: the fast path used by
// executors that replace a tensor by its TASD approximation. Returns the kept statistics.
TensorStats approximateInPlace(float* data, size_t rows, size_t cols, const Series& series);

}  // namespace tasdsim::tasd
