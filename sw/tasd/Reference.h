#pragma once
// An independent implementation of the greedy TASD decomposition (SPEC section 1), written for
// plainness rather than speed, sharing no code with Decompose.cpp: each block's nonzero entries
// are sorted by magnitude, descending (NaN above +Inf), with a stable sort so that a tie keeps
// the lower index, and the first n are kept. The runtime checks the accelerator's results
// against a reference GEMM of this approximation, and the unit tests check the fast
// decomposition against it, so a fault in the fast path shows in both.
#include <vector>

#include "sw/tasd/DType.h"
#include "sw/tasd/Pattern.h"
#include "sw/tasd/Series.h"

namespace tasdsim::tasd {

// One term of pattern p over one row: moves the kept entries from resid into the returned term
// (a dense row of the same length; the last block may be shorter than m).
std::vector<float> referenceTerm(std::vector<float>& resid, NMPattern p);

// The approximation sum(T_i) of a rows x cols matrix, in place: every entry the series does not
// keep becomes zero. BF16 storage rounds the values to bf16 first (as the decomposition does);
// int8 values are exact in float and order the same. The dense series keeps everything. Blocks of
// rows go to up to `threads` threads (the same values with any number).
void referenceApproximation(float* data, size_t rows, size_t cols, const Series& series,
                            DType storage, size_t threads);

}  // namespace tasdsim::tasd
