#pragma once
// Bus: the system interconnect, an address decoder between initiators (hosts, the accelerators'
// memory sockets, other bus masters) and targets (DRAM, each accelerator's register window).
//
// Ports: target_socket (initiators bind here, any number), init_socket (targets, bound in the
// order of the address map given to the constructor: init_socket[i] serves map[i]).
// Behaviour: b_transport, transport_dbg and get_direct_mem_ptr are forwarded with the
// target-relative address and the payload's address is restored afterwards; an address (or
// access) that no range holds whole gets TLM_ADDRESS_ERROR_RESPONSE (0 bytes for debug). DMI is
// offered only for ranges marked dmi, translated back to bus addresses and clipped to the
// range; a target's invalidate_direct_mem_ptr is translated and passed to every initiator.
// Timing: untimed (the annotated delay passes through unchanged); contention is modelled by the
// targets (the DRAM channel).
#include <cstdint>
#include <string>
#include <vector>

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <systemc>
#include <tlm>

#include "hw/model/top/AcceleratorParams.h"

namespace tasdsim::hw {

// The default register window (instance 0), kept for tools that talk to one accelerator.
constexpr uint64_t kMmioBase = kDefaultRegBase;
constexpr uint64_t kMmioSize = kRegWindowBytes;

struct AddressRange {
  std::string name;  // for messages
  uint64_t base = 0;
  uint64_t size = 0;
  bool dmi = false;  // DMI may be granted into this range
};

class Bus : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Bus> target_socket;
  tlm_utils::multi_passthrough_initiator_socket<Bus> init_socket;

  // Ranges must not overlap (checked: std::invalid_argument).
  Bus(sc_core::sc_module_name name, std::vector<AddressRange> map);

  const std::vector<AddressRange>& addressMap() const { return map_; }

 private:
  // Target port holding [address, address + length) and the address within it; -1 if none.
  int route(uint64_t address, uint64_t length, uint64_t& local) const;
  void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned int transport_dbg(int id, tlm::tlm_generic_payload& tx);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
  void invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end);

  const std::vector<AddressRange> map_;
};

}  // namespace tasdsim::hw
