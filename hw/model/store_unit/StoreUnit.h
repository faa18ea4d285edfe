#pragma once
// StoreUnit: writes accumulator slots to memory (STORE_C), through the output path (CFG_OUT):
// as accumulators (fp32/int32), or requantised to int8 with per-channel scales and bias
// (Requant, LayerState.h) and an optional ReLU. Partial sums (STORE_C partial) go to P as
// accumulators.
//
// Ports: ctrl_port (UnitIf), dma_socket (TLM initiator). Timing: the channels' table entries are
// read, then one batch of row writes; the store takes the longer of the DRAM transfers and the
// accumulator-buffer read time (the requantiser is pipelined at the buffer's port rate).
// Stats: store_unit.busy_cycles, store_unit.requests, store_unit.dram_bytes,
// store_unit.requant_ops, store_unit.table_bytes, store_unit.stall.wait_results;
// accumulator reads in buffer.acc.read_bytes.
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>

#include "hw/model/dataflow/Interfaces.h"

namespace tasdsim::hw {

class StoreUnit : public sc_core::sc_module {
 public:
  sc_core::sc_port<UnitIf> ctrl_port;
  tlm_utils::simple_initiator_socket<StoreUnit> dma_socket;

  StoreUnit(sc_core::sc_module_name name, const BlockContext& context, StatsRegistry& stats);

 private:
  // The operation in flight: a member, not a local of the thread, so that what it holds stays
  // reachable (and is freed) when a simulation ends while the thread waits.
  Op op_;
  void run();
  bool store(const Op& op);

  const BlockContext context_;
  std::vector<Counter*> stalls_;
  Counter& busyCycles_;
  Counter& requests_;
  Counter& dramBytes_;
  Counter& requantOps_;
  Counter& tableBytes_;
};

}  // namespace tasdsim::hw
