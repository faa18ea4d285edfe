#pragma once
// Dma: issues the memory transfers of one tile as a batch. Every run (a contiguous address
// range) of the batch is issued at the same simulated time, so the DRAM serialises them on its
// channel and the batch pays the access latency once. The caller waits for the returned delay.
#include <cstdint>
#include <functional>
#include <string>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

namespace tasdsim::hw {

class DmaBatch {
 public:
  template <typename Module>
  explicit DmaBatch(tlm_utils::simple_initiator_socket<Module>& socket) : transport_([&socket](auto& tx, auto& d) {
    socket->b_transport(tx, d);
  }) {}

  // data may be null (timing only). Returns false on a bus error.
  bool read(uint64_t address, uint8_t* data, uint64_t bytes) { return transfer(tlm::TLM_READ_COMMAND, address, data, bytes); }
  bool write(uint64_t address, const uint8_t* data, uint64_t bytes) {
    return transfer(tlm::TLM_WRITE_COMMAND, address, const_cast<uint8_t*>(data), bytes);
  }
  // Time until the last transfer completes.
  sc_core::sc_time delay() const { return latest_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t requests() const { return requests_; }
  uint64_t failedAddress() const { return failedAddress_; }

 private:
  bool transfer(tlm::tlm_command cmd, uint64_t address, uint8_t* data, uint64_t bytes) {
    if (bytes == 0) return true;
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(address);
    tx.set_data_ptr(data);
    tx.set_data_length(static_cast<unsigned int>(bytes));
    tx.set_streaming_width(static_cast<unsigned int>(bytes));
    tx.set_byte_enable_ptr(nullptr);
    tx.set_dmi_allowed(false);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    transport_(tx, d);
    if (tx.is_response_error()) {
      failedAddress_ = address;
      return false;
    }
    if (d > latest_) latest_ = d;
    bytes_ += bytes;
    ++requests_;
    return true;
  }

  std::function<void(tlm::tlm_generic_payload&, sc_core::sc_time&)> transport_;
  sc_core::sc_time latest_ = sc_core::SC_ZERO_TIME;
  uint64_t bytes_ = 0;
  uint64_t requests_ = 0;
  uint64_t failedAddress_ = 0;
};

}  // namespace tasdsim::hw
