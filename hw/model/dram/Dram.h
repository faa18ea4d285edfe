#pragma once
// Dram: a TLM-2.0 target memory with a latency + bandwidth timing model.
//
// Ports: target_socket (b_transport for timed accesses, transport_dbg for untimed debug/host
// loading). Timing: requests are served in arrival order on one channel of bandwidthGBps;
// a request arriving at t starts at max(t, channel free), occupies the channel for
// bytes / bandwidth and completes latencyNs later; the annotated delay returned is the time to
// completion. Overlapping requests therefore pay the latency once and share the bandwidth.
// Storage is allocated in 1 MiB pages on first use (reads of untouched memory give zeros);
// initiators may copy data through DMI pointers (one page per region) and charge the time with
// one timed request per batch that carries a DmaBurst extension (total bytes and runs). A timed
// request without a data pointer moves no data; only its time counts.
// Base protocol: byte enables are honoured (disabled lanes are neither read nor written), a
// streaming width below the data length is refused (TLM_BURST_ERROR_RESPONSE), the ignore
// command is accepted and does nothing; responses carry the DMI hint.
// Stats: dram.read_bytes, dram.write_bytes, dram.read_requests, dram.write_requests.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <unordered_map>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "hw/model/common/Stats.h"
#include "hw/model/top/AcceleratorParams.h"

namespace tasdsim::hw {

class Dram : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Dram> target_socket;

  Dram(sc_core::sc_module_name name, const DramParams& params, StatsRegistry& stats);

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& tx);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
  // Copies between the payload and storage (honouring its byte enables when byteEnables);
  // false on an out-of-range address.
  bool access(tlm::tlm_generic_payload& tx, bool byteEnables);
  uint8_t* page(uint64_t index, bool create);

  static constexpr uint64_t kPageBytes = uint64_t{1} << 20;
  struct FreePage {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  const DramParams params_;
  sc_core::sc_time channelFree_;
  std::unordered_map<uint64_t, std::unique_ptr<uint8_t, FreePage>> pages_;
  uint64_t lastPageIndex_ = UINT64_MAX;  // one-entry cache in front of pages_
  uint8_t* lastPage_ = nullptr;
  Counter& readBytes_;
  Counter& writeBytes_;
  Counter& readRequests_;
  Counter& writeRequests_;
};

}  // namespace tasdsim::hw
