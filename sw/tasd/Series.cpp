#include "sw/tasd/Series.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "sw/common/Error.h"

namespace tasdsim::tasd {

Series Series::parse(std::string_view text) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
      s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
      s.remove_suffix(1);
    return s;
  };
  text = trim(text);
  if (text == "dense") return Series::dense();
  if (text.empty()) throw UserError("series '': empty; expected e.g. 4:8+1:8 or dense");
  Series s;
  size_t start = 0;
  while (true) {
    const size_t plus = text.find('+', start);
    const std::string_view part =
        trim(text.substr(start, plus == std::string_view::npos ? plus : plus - start));
    if (part.empty()) {
      throw UserError(fmt::format(
          "series '{}': empty term; expected patterns joined by '+', e.g. 4:8+1:8", text));
    }
    try {
      s.terms.push_back(NMPattern::parse(part));
    } catch (const UserError& e) {
      throw UserError(fmt::format("series '{}': {}", text, e.what()));
    }
    if (plus == std::string_view::npos) break;
    start = plus + 1;
  }
  return s;
}

std::string Series::str() const {
  if (terms.empty()) return "dense";
  std::string out;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (i) out += '+';
    out += terms[i].str();
  }
  return out;
}

double Series::computeFraction() const {
  if (terms.empty()) return 1.0;
  double f = 0;
  for (const NMPattern& p : terms)
    f += p.fraction();
  return f;
}

double Series::computeFraction(uint64_t k) const {
  if (terms.empty() || k == 0) return 1.0;
  uint64_t slots = 0;
  for (const NMPattern& p : terms)
    slots += (k + p.m - 1) / p.m * p.n;
  return static_cast<double>(slots) / static_cast<double>(k);
}

bool Series::sameBlockSize() const {
  return std::all_of(terms.begin(), terms.end(),
                     [&](const NMPattern& p) { return p.m == terms.front().m; });
}

uint32_t Series::maxBlockSize() const {
  uint32_t m = 0;
  for (const NMPattern& p : terms)
    m = std::max(m, p.m);
  return m;
}

namespace {

// Canonical form: within each maximal run of equal-m terms, n in non-increasing order. Two
// series with equal canonical forms select the same entries.
Series canonical(Series s) {
  size_t i = 0;
  while (i < s.terms.size()) {
    size_t j = i;
    while (j < s.terms.size() && s.terms[j].m == s.terms[i].m)
      ++j;
    std::sort(s.terms.begin() + static_cast<long>(i), s.terms.begin() + static_cast<long>(j),
              [](const NMPattern& a, const NMPattern& b) { return a.n > b.n; });
    i = j;
  }
  return s;
}

void extend(const std::vector<NMPattern>& supported, size_t maxTerms, Series& current,
            std::map<std::string, size_t>& seen, std::vector<Series>& out) {
  // A series costing as much as dense or more is never worth running: dense stands for it.
  // Same-m series with the same total n keep the same entries at the same cost: the one with
  // the fewest terms stands for all of them.
  if (!current.terms.empty() && current.computeFraction() < 1.0) {
    Series c = canonical(current);
    std::string key = c.str();
    if (c.sameBlockSize()) {
      uint32_t sumN = 0;
      for (const NMPattern& p : c.terms)
        sumN += p.n;
      key = fmt::format("{}/{}", sumN, c.terms[0].m);
    }
    auto it = seen.find(key);
    if (it == seen.end()) {
      seen[key] = out.size();
      out.push_back(c);
    } else if (c.order() < out[it->second].order()) {
      out[it->second] = c;
    }
  }
  if (current.terms.size() == maxTerms) return;
  for (const NMPattern& p : supported) {
    current.terms.push_back(p);
    extend(supported, maxTerms, current, seen, out);
    current.terms.pop_back();
  }
}

}  // namespace

std::vector<Series> enumerateSeries(const std::vector<NMPattern>& supported, size_t maxTerms,
                                    bool includeDense) {
  std::vector<Series> out;
  std::map<std::string, size_t> seen;
  Series current;
  extend(supported, maxTerms, current, seen, out);
  if (includeDense) out.push_back(Series::dense());
  std::stable_sort(out.begin(), out.end(), [](const Series& a, const Series& b) {
    if (a.computeFraction() != b.computeFraction())
      return a.computeFraction() < b.computeFraction();
    if (a.order() != b.order()) return a.order() < b.order();
    return a.str() < b.str();
  });
  return out;
}

}  // namespace tasdsim::tasd
