#pragma once
// A TASD series: an ordered list of N:M patterns, text form "4:8+1:8", or "dense" (no
// decomposition, empty term list). The terms are extracted greedily in this order.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sw/tasd/Pattern.h"

namespace tasdsim::tasd {

struct Series {
  std::vector<NMPattern> terms;  // empty means dense

  static Series dense() { return Series{}; }
  // Parses "2:8+1:8" or "dense". Throws UserError naming the text and the bad part.
  static Series parse(std::string_view text);

  bool isDense() const { return terms.empty(); }
  size_t order() const { return terms.size(); }
  std::string str() const;
  // Sum of n_i / m_i (1.0 for dense): the structured operand's MACs relative to dense when every
  // m_i divides K. Orders series independently of a layer.
  double computeFraction() const;
  // The same for a reduction of k elements: the MAC slots a row of the structured operand
  // occupies, sum of n_i * ceil(k / m_i), over k. A row's last, zero-padded block still takes its
  // n_i slots in the PE array, so this is what a run issues and what decompose reports.
  double computeFraction(uint64_t k) const;
  // True when all terms share one block size m.
  bool sameBlockSize() const;
  // Greatest m of the terms (0 for dense).
  uint32_t maxBlockSize() const;

  bool operator==(const Series& o) const { return terms == o.terms; }
  bool operator!=(const Series& o) const { return !(*this == o); }
};

// Every series an engine can run: ordered lists of up to maxTerms patterns drawn (with
// repetition) from supported whose compute fraction is below 1, plus dense. Same-m series with the
// same total n select the same entries (the top sum-n of each block) at the same cost, so only
// the one with the fewest terms (n non-increasing) is kept. Sorted by compute
// fraction, then by order, then by text.
std::vector<Series> enumerateSeries(const std::vector<NMPattern>& supported, size_t maxTerms,
                                    bool includeDense = true);

}  // namespace tasdsim::tasd
