#pragma once
// Bus: the address decoder between requesters (host, microcode fetch, load and store DMA) and
// targets (DRAM at address 0, the accelerator's registers at kMmioBase). Untimed: it forwards
// b_transport and transport_dbg with the target-relative address; unmapped addresses get
// TLM_ADDRESS_ERROR_RESPONSE.
#include <cstdint>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

namespace tasdsim::hw {

constexpr uint64_t kMmioBase = uint64_t{0xF0} << 32;  // above any DRAM size we allow (1 TiB)
constexpr uint64_t kMmioSize = 0x1000;

class Bus : public sc_core::sc_module {
 public:
  // Bind requesters to target_socket; bind DRAM first, then the register file, to init_socket.
  tlm_utils::multi_passthrough_target_socket<Bus> target_socket;
  tlm_utils::multi_passthrough_initiator_socket<Bus> init_socket;

  Bus(sc_core::sc_module_name name, uint64_t dramBytes);

 private:
  // Target port for an address (0 DRAM, 1 registers) and the address within it; -1 if unmapped.
  int route(uint64_t address, uint64_t length, uint64_t& local) const;
  void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned int transport_dbg(int id, tlm::tlm_generic_payload& tx);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);

  const uint64_t dramBytes_;
};

}  // namespace tasdsim::hw
