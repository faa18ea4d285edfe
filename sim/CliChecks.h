#pragma once
// Checks on command-line values shared by the subcommands. CLI11's own range check lets NaN
// through and reads "-1" into an unsigned option as 2^64 - 1; these reject both, and name the
// value and what is allowed (CLI11 prefixes the option).
#include <cmath>
#include <cstdint>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

namespace tasdsim::cli {

// Most worker threads a command starts (--threads): far more than any machine's cores, far
// fewer than a process may create.
constexpr int64_t kMaxThreads = 1024;
// Most digits per class a command may ask for (--per-class, --first, ...): far more than any
// data set holds; keeps sums of them far from overflowing.
constexpr int64_t kMaxDigitsPerClass = 1000000;

// A finite number in [lo, hi].
inline CLI::Validator finiteIn(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        double v = 0;
        if (CLI::detail::lexical_cast(text, v) && std::isfinite(v) && v >= lo && v <= hi) return "";
        return fmt::format("'{}' is not a number in [{}, {}]", text, lo, hi);
      },
      fmt::format("NUMBER in [{}, {}]", lo, hi));
}

// A whole number in [lo, hi] (no sign tricks: "-1" is -1).
inline CLI::Validator integerIn(int64_t lo, int64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        size_t used = 0;
        long long v = 0;
        try {
          v = std::stoll(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == text.size() && used > 0 && v >= lo && v <= hi) return "";
        return fmt::format("'{}' is not a whole number in [{}, {}]", text, lo, hi);
      },
      fmt::format("INT in [{}, {}]", lo, hi));
}

}  // namespace tasdsim::cli
