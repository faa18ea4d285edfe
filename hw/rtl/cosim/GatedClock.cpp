#include "hw/rtl/cosim/GatedClock.h"

namespace tasdsim::rtl {

void GatedClock::begin() {
  start_ = sc_core::sc_time_stamp();
  cycles_ = 0;
}

void GatedClock::waitUntil(const sc_core::sc_time& t) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (t > now) sc_core::wait(t - now);
}

void GatedClock::tick() {
  waitUntil(start_ + sc_core::sc_time(static_cast<double>(cycles_) * periodNs_, sc_core::SC_NS));
  clk_.write(true);
  waitUntil(start_ +
            sc_core::sc_time((static_cast<double>(cycles_) + 0.5) * periodNs_, sc_core::SC_NS));
  clk_.write(false);
  ++cycles_;
}

uint64_t GatedClock::end() {
  waitUntil(start_ + sc_core::sc_time(static_cast<double>(cycles_) * periodNs_, sc_core::SC_NS));
  return cycles_;
}

void GatedClock::settle() {
  sc_core::wait(sc_core::SC_ZERO_TIME);
  sc_core::wait(sc_core::SC_ZERO_TIME);
}

void GatedClock::resetInDeltaCycles(sc_core::sc_signal<bool>& clk, sc_core::sc_signal<bool>& rstN) {
  rstN.write(false);
  clk.write(false);
  sc_core::wait(sc_core::SC_ZERO_TIME);
  clk.write(true);
  sc_core::wait(sc_core::SC_ZERO_TIME);
  clk.write(false);
  rstN.write(true);
  sc_core::wait(sc_core::SC_ZERO_TIME);
}

}  // namespace tasdsim::rtl
