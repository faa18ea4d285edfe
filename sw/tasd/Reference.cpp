#include "sw/tasd/Reference.h"

#include <algorithm>
#include <cmath>

#include "sw/common/Half.h"
#include "sw/common/ParallelFor.h"

namespace tasdsim::tasd {
namespace {

// True when x ranks above y by magnitude: NaN above everything else, then |x|.
bool ranksAbove(float x, float y) {
  if (std::isnan(x)) return !std::isnan(y);
  if (std::isnan(y)) return false;
  return std::fabs(x) > std::fabs(y);
}

// Moves the top n of every block of m from resid[0..cols) to kept (the same index): the block's
// nonzeros by rank, ties in index order, by a stable insertion sort (a block holds at most m
// values; exact zeros are never kept).
void takeTerm(float* resid, size_t cols, NMPattern p, float* kept, std::vector<size_t>& order) {
  for (size_t begin = 0; begin < cols; begin += p.m) {
    const size_t end = std::min(cols, begin + p.m);
    order.clear();
    for (size_t j = begin; j < end; ++j) {
      if (resid[j] == 0.0f) continue;
      size_t at = order.size();
      order.push_back(j);
      while (at > 0 && ranksAbove(resid[j], resid[order[at - 1]])) {
        order[at] = order[at - 1];
        --at;
      }
      order[at] = j;
    }
    for (size_t i = 0; i < order.size() && i < p.n; ++i) {
      kept[order[i]] = resid[order[i]];
      resid[order[i]] = 0.0f;
    }
  }
}

}  // namespace

std::vector<float> referenceTerm(std::vector<float>& resid, NMPattern p) {
  std::vector<float> term(resid.size(), 0.0f);
  std::vector<size_t> order;
  takeTerm(resid.data(), resid.size(), p, term.data(), order);
  return term;
}

void referenceApproximation(float* data, size_t rows, size_t cols, const Series& series,
                            DType storage, size_t threads) {
  // Rows are independent: blocks of rows on the threads (the same values in any order).
  constexpr size_t kBlockElements = size_t{1} << 16;
  const size_t blockRows = std::max<size_t>(1, kBlockElements / std::max<size_t>(1, cols));
  const size_t blocks = (rows + blockRows - 1) / blockRows;
  parallelFor(blocks, blocks > 1 ? threads : 1, [&](size_t b) {
    std::vector<float> resid(cols);
    std::vector<size_t> order;
    for (size_t r = b * blockRows; r < std::min(rows, (b + 1) * blockRows); ++r) {
      float* row = data + r * cols;
      if (storage == DType::BF16)
        for (size_t j = 0; j < cols; ++j)
          row[j] = roundToBf16(row[j]);
      if (series.isDense()) continue;
      // The terms' supports are disjoint: each takes its entries out of the residual into the
      // row, which starts empty.
      std::copy(row, row + cols, resid.begin());
      std::fill(row, row + cols, 0.0f);
      for (const NMPattern& p : series.terms)
        takeTerm(resid.data(), cols, p, row, order);
    }
  });
}

}  // namespace tasdsim::tasd
