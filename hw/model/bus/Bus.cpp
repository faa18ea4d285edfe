#include "hw/model/bus/Bus.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace tasdsim::hw {

Bus::Bus(sc_core::sc_module_name name, std::vector<AddressRange> map)
    : sc_module(name),
      target_socket("target_socket"),
      init_socket("init_socket"),
      map_(std::move(map)) {
  for (size_t i = 0; i < map_.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const AddressRange &a = map_[i], &b = map_[j];
      if (a.base < b.base + b.size && b.base < a.base + a.size) {
        throw std::invalid_argument(
            fmt::format("{}: address ranges {} [0x{:x}, +0x{:x}) and {} [0x{:x}, +0x{:x}) overlap",
                        this->name(), a.name, a.base, a.size, b.name, b.base, b.size));
      }
    }
  }
  target_socket.register_b_transport(this, &Bus::b_transport);
  target_socket.register_transport_dbg(this, &Bus::transport_dbg);
  target_socket.register_get_direct_mem_ptr(this, &Bus::get_direct_mem_ptr);
  init_socket.register_invalidate_direct_mem_ptr(this, &Bus::invalidate_direct_mem_ptr);
}

int Bus::route(uint64_t address, uint64_t length, uint64_t& local) const {
  for (size_t i = 0; i < map_.size(); ++i) {
    const AddressRange& r = map_[i];
    if (address >= r.base && address - r.base < r.size && length <= r.size - (address - r.base)) {
      local = address - r.base;
      return static_cast<int>(i);
    }
  }
  return -1;
}

bool Bus::get_direct_mem_ptr(int, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
  const uint64_t address = tx.get_address();
  uint64_t local = 0;
  const int port = route(address, 1, local);
  if (port < 0 || !map_[static_cast<size_t>(port)].dmi) return false;  // never into registers
  const AddressRange& r = map_[static_cast<size_t>(port)];
  tx.set_address(local);
  const bool ok = init_socket[port]->get_direct_mem_ptr(tx, dmi);
  tx.set_address(address);
  if (ok) {  // back to bus addresses, within the range
    const uint64_t start = dmi.get_start_address(),
                   end = std::min<uint64_t>(dmi.get_end_address(), r.size - 1);
    dmi.set_start_address(start + r.base);
    dmi.set_end_address(end + r.base);
  }
  return ok;
}

void Bus::invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end) {
  const AddressRange& r = map_.at(static_cast<size_t>(id));
  const uint64_t last = r.size - 1;
  const uint64_t s = r.base + std::min<uint64_t>(start, last),
                 e = r.base + std::min<uint64_t>(end, last);
  for (unsigned i = 0; i < target_socket.size(); ++i)
    target_socket[i]->invalidate_direct_mem_ptr(s, e);
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
