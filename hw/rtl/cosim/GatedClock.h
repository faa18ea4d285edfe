#pragma once
// The clock of a Verilated block, driven by the SC_THREAD that uses the block and only while it
// works, so that the rest of the simulation pays nothing for it. A run's cycle k has its rising
// edge at start + k * period and its falling edge half a period later; edge times are computed
// from the run's start (not accumulated), so a run of N cycles lasts exactly the SystemC time of
// N clock periods, as the C++ model's waits do. Internal to the co-simulation adapters.
#include <cstdint>

#include <systemc>

namespace tasdsim::rtl {

class GatedClock {
 public:
  GatedClock(sc_core::sc_signal<bool>& clk, double periodNs) : clk_(clk), periodNs_(periodNs) {}

  // A run starts now: the next tick() is its cycle 0.
  void begin();
  // One cycle: the rising edge (inputs written before it are sampled by it), then a wait until
  // the falling edge. The block's registered outputs now show the state after the edge.
  void tick();
  // Waits until the end of the run's last cycle; returns the run's cycles.
  uint64_t end();
  uint64_t cycles() const { return cycles_; }

  // Lets the blocks' combinational outputs follow inputs written just now, without time passing:
  // one delta cycle for the Verilated model to evaluate and one for its outputs to update (the
  // model's evaluation may run in the same delta as the caller).
  static void settle();

  // Synchronous reset in zero simulated time: one clock pulse in delta cycles with rst_n low.
  static void resetInDeltaCycles(sc_core::sc_signal<bool>& clk, sc_core::sc_signal<bool>& rstN);

 private:
  void waitUntil(const sc_core::sc_time& t);

  sc_core::sc_signal<bool>& clk_;
  double periodNs_;
  sc_core::sc_time start_;
  uint64_t cycles_ = 0;
};

}  // namespace tasdsim::rtl
