#include "hw/model/bus/Bus.h"

namespace tasdsim::hw {

Bus::Bus(sc_core::sc_module_name name, uint64_t dramBytes)
    : sc_module(name), target_socket("target_socket"), init_socket("init_socket"), dramBytes_(dramBytes) {
  target_socket.register_b_transport(this, &Bus::b_transport);
  target_socket.register_transport_dbg(this, &Bus::transport_dbg);
  target_socket.register_get_direct_mem_ptr(this, &Bus::get_direct_mem_ptr);
}

bool Bus::get_direct_mem_ptr(int, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
  const uint64_t address = tx.get_address();
  uint64_t local = 0;
  const int port = route(address, 1, local);
  if (port != 0) return false;  // DMI into DRAM only, never into the registers
  tx.set_address(local);
  const bool ok = init_socket[port]->get_direct_mem_ptr(tx, dmi);
  tx.set_address(address);
  if (ok) {  // back to bus addresses (DRAM sits at 0)
    const uint64_t base = address - local;
    dmi.set_start_address(dmi.get_start_address() + base);
    dmi.set_end_address(dmi.get_end_address() + base);
  }
  return ok;
}

int Bus::route(uint64_t address, uint64_t length, uint64_t& local) const {
  if (address < dramBytes_ && length <= dramBytes_ - address) {
    local = address;
    return 0;
  }
  if (address >= kMmioBase && address - kMmioBase < kMmioSize && length <= kMmioSize - (address - kMmioBase)) {
    local = address - kMmioBase;
    return 1;
  }
  return -1;
}

void Bus::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t address = tx.get_address();
  uint64_t local = 0;
  const int port = route(address, tx.get_data_length(), local);
  if (port < 0) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  tx.set_address(local);
  init_socket[port]->b_transport(tx, delay);
  tx.set_address(address);
}

unsigned int Bus::transport_dbg(int, tlm::tlm_generic_payload& tx) {
  const uint64_t address = tx.get_address();
  uint64_t local = 0;
  const int port = route(address, tx.get_data_length(), local);
  if (port < 0) return 0;
  tx.set_address(local);
  const unsigned int n = init_socket[port]->transport_dbg(tx);
  tx.set_address(address);
  return n;
}

}  // namespace tasdsim::hw
