#pragma once
// What the blocks of one accelerator share besides their own params: the clock, and whether the
// run computes values (false: timing only). A block receives its own params struct (beside it in
// its folder) and this, never the whole AcceleratorParams.
#include <cmath>
#include <cstdint>

#include <systemc>

namespace tasdsim::hw {

struct BlockContext {
  double clockGHz = 1.0;
  bool functional = true;

  double clockPeriodNs() const { return 1.0 / clockGHz; }
  // n cycles as simulated time.
  sc_core::sc_time cycles(double n) const {
    return sc_core::sc_time(n * clockPeriodNs(), sc_core::SC_NS);
  }
  // Whole cycles from `start` to now.
  uint64_t cyclesSince(const sc_core::sc_time& start) const {
    return static_cast<uint64_t>(
        std::llround((sc_core::sc_time_stamp() - start).to_seconds() * clockGHz * 1e9));
  }
};

}  // namespace tasdsim::hw
