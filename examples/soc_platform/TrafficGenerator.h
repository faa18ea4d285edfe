#pragma once
// TrafficGenerator: a stand-in for the platform's other bus masters (a CPU cluster, a display
// controller, a network interface). It streams reads and writes of `burstBytes` through its
// initiator socket into its own memory window, at `rateGBps` on average, until stopped. Its
// traffic shares the DRAM channel with the accelerator's.
#include <cstdint>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

namespace soc_example {

class TrafficGenerator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<TrafficGenerator> init_socket;

  // base, windowBytes: where it reads and writes; rateGBps 0 issues nothing.
  TrafficGenerator(sc_core::sc_module_name name, uint64_t base, uint64_t windowBytes,
                   uint32_t burstBytes, double rateGBps)
      : sc_module(name),
        init_socket("init_socket"),
        base_(base),
        window_(windowBytes),
        burst_(burstBytes),
        rateGBps_(rateGBps),
        data_(burstBytes) {
    SC_HAS_PROCESS(TrafficGenerator);
    SC_THREAD(run);
  }

  void stop() { stopped_ = true; }
  uint64_t bytes() const { return bytes_; }
  uint64_t errors() const { return errors_; }

 private:
  void run() {
    if (rateGBps_ <= 0) return;
    const sc_core::sc_time gap(static_cast<double>(burst_) / rateGBps_,
                               sc_core::SC_NS);  // GB/s = bytes/ns
    uint64_t offset = 0;
    for (uint64_t n = 0; !stopped_; ++n) {
      tlm::tlm_generic_payload tx;
      tx.set_command(n % 2 ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
      tx.set_address(base_ + offset);
      tx.set_data_ptr(data_.data());
      tx.set_data_length(burst_);
      tx.set_streaming_width(burst_);
      tx.set_byte_enable_ptr(nullptr);
      tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      const sc_core::sc_time issued = sc_core::sc_time_stamp();
      init_socket->b_transport(tx, delay);
      if (tx.is_response_error()) ++errors_;
      bytes_ += burst_;
      offset = (offset + burst_) % window_;
      // Blocking master: the next request waits for this one and for its rate's gap.
      sc_core::wait(delay);
      const sc_core::sc_time next = issued + gap;
      if (sc_core::sc_time_stamp() < next) sc_core::wait(next - sc_core::sc_time_stamp());
    }
  }

  const uint64_t base_, window_;
  const uint32_t burst_;
  const double rateGBps_;
  std::vector<uint8_t> data_;
  bool stopped_ = false;
  uint64_t bytes_ = 0, errors_ = 0;
};

}  // namespace soc_example
