#pragma once
// StoreUnit: writes accumulator slots to memory (STORE_C).
//
// Ports: ctrl_port (UnitIf), dma_socket (TLM initiator). Timing: one batch of row writes; the
// store takes the longer of the DRAM transfer and the accumulator-buffer read time.
// Stats: store.busy_cycles, store.requests, store.dram_bytes, store.stall.<reason>.
#include <vector>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "hw/model/dataflow/Interfaces.h"

namespace tasdsim::hw {

class StoreUnit : public sc_core::sc_module {
 public:
  sc_core::sc_port<UnitIf> ctrl_port;
  tlm_utils::simple_initiator_socket<StoreUnit> dma_socket;

  StoreUnit(sc_core::sc_module_name name, const AcceleratorParams& params, StatsRegistry& stats);

 private:
  // The operation in flight: a member, not a local of the thread, so that what it holds stays
  // reachable (and is freed) when a simulation ends while the thread waits.
  Op op_;
  void run();
  bool store(const Op& op);

  const AcceleratorParams params_;
  std::vector<Counter*> stalls_;
  Counter& busyCycles_;
  Counter& requests_;
  Counter& dramBytes_;
};

}  // namespace tasdsim::hw
