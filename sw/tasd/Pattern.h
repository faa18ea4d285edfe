#pragma once
// N:M structured-sparsity pattern: at most n nonzeros in every block of m consecutive elements
// along the reduction dimension K. 1 <= n <= m, m a power of two in [2, 32]; n == m is dense.
#include <cstdint>
#include <string>
#include <string_view>

namespace tasdsim::tasd {

struct NMPattern {
  static constexpr uint32_t kMinM = 2;
  static constexpr uint32_t kMaxM = 32;

  uint32_t n = 1;
  uint32_t m = 1;

  // Parses "2:4". Throws UserError naming the text and the rule it breaks.
  static NMPattern parse(std::string_view text);
  // Throws UserError if n/m violate the rules above.
  static NMPattern make(uint32_t n, uint32_t m);

  std::string str() const;
  // Structured operand work relative to dense: n / m.
  double fraction() const { return static_cast<double>(n) / m; }
  // Bits of one metadata index: log2(m).
  uint32_t indexBits() const;
  bool isDense() const { return n == m; }

  bool operator==(const NMPattern& o) const { return n == o.n && m == o.m; }
  bool operator!=(const NMPattern& o) const { return !(*this == o); }
  bool operator<(const NMPattern& o) const { return m != o.m ? m < o.m : n < o.n; }
};

bool isPowerOfTwo(uint32_t v);

}  // namespace tasdsim::tasd
