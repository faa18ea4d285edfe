#pragma once
// MemoryPort: where all of an accelerator's memory traffic leaves it. The microcode fetch and
// the load and store DMA bind to unit_socket; init_socket goes out through the accelerator's
// mem_socket to whatever the system puts there (an interconnect, a memory).
//
// Ports: unit_socket (multi-passthrough target, the units), init_socket (initiator).
// Behaviour: b_transport, transport_dbg and get_direct_mem_ptr pass through unchanged (device
// addresses are system addresses); an invalidate_direct_mem_ptr from the system drops the
// units' cached DMI regions in that range. Timing: none of its own.
// Stats: memory_port.read_bytes, memory_port.write_bytes, memory_port.read_requests,
// memory_port.write_requests: the bytes and requests of this accelerator's timed accesses that
// completed (a batch's DmaBurst totals).
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "hw/model/common/Stats.h"

namespace tasdsim::hw {

class MemoryPort : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<MemoryPort> unit_socket;
  tlm_utils::simple_initiator_socket<MemoryPort> init_socket;

  MemoryPort(sc_core::sc_module_name name, StatsRegistry& stats);

 private:
  void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned int transport_dbg(int id, tlm::tlm_generic_payload& tx);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);

  Counter& readBytes_;
  Counter& writeBytes_;
  Counter& readRequests_;
  Counter& writeRequests_;
};

}  // namespace tasdsim::hw
