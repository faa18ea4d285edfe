#include "hw/model/dram/Dram.h"

#include "hw/model/dataflow/Dma.h"
#include "hw/model/dram/DramStats.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace tasdsim::hw {

using sc_core::SC_NS;
using sc_core::sc_time;

Dram::Dram(sc_core::sc_module_name name, const DramParams& params, StatsRegistry& stats)
    : sc_module(name),
      target_socket("target_socket"),
      params_(params),
      channelFree_(sc_core::SC_ZERO_TIME),
      readBytes_(addStat(stats, this->name(), DramStats::kReadBytes)),
      writeBytes_(addStat(stats, this->name(), DramStats::kWriteBytes)),
      readRequests_(addStat(stats, this->name(), DramStats::kReadRequests)),
      writeRequests_(addStat(stats, this->name(), DramStats::kWriteRequests)) {
  target_socket.register_b_transport(this, &Dram::b_transport);
  target_socket.register_transport_dbg(this, &Dram::transport_dbg);
  target_socket.register_get_direct_mem_ptr(this, &Dram::get_direct_mem_ptr);
}

bool Dram::get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
  const uint64_t addr = tx.get_address();
  if (addr >= params_.sizeBytes) return false;
  const uint64_t index = addr / kPageBytes;
  dmi.set_dmi_ptr(page(index, true));
  dmi.set_start_address(index * kPageBytes);
  dmi.set_end_address(std::min(params_.sizeBytes, (index + 1) * kPageBytes) - 1);
  dmi.allow_read_write();
  dmi.set_read_latency(sc_core::SC_ZERO_TIME);  // time is charged by the timed requests
  dmi.set_write_latency(sc_core::SC_ZERO_TIME);
  return true;
}

uint8_t* Dram::page(uint64_t index, bool create) {
  if (index == lastPageIndex_) return lastPage_;
  auto it = pages_.find(index);
  if (it == pages_.end()) {
    if (!create) return nullptr;
    // calloc of a large block maps zero pages from the OS: zeros without touching memory.
    uint8_t* mem = static_cast<uint8_t*>(std::calloc(1, kPageBytes));
    if (!mem) throw std::bad_alloc();
    it = pages_.emplace(index, std::unique_ptr<uint8_t, FreePage>(mem)).first;
  }
  lastPageIndex_ = index;
  lastPage_ = it->second.get();
  return lastPage_;
}

bool Dram::access(tlm::tlm_generic_payload& tx, bool byteEnables) {
  const uint64_t addr = tx.get_address();
  const uint64_t len = tx.get_data_length();
  if (addr > params_.sizeBytes || len > params_.sizeBytes - addr) return false;
  if (tx.get_data_ptr() == nullptr) return true;
  uint8_t* data = tx.get_data_ptr();
  uint64_t done = 0;
  while (done < len) {
    const uint64_t a = addr + done;
    const uint64_t offset = a % kPageBytes;
    const uint64_t chunk = std::min(len - done, kPageBytes - offset);
    const unsigned char* enables = byteEnables ? tx.get_byte_enable_ptr() : nullptr;
    if (enables) {  // byte lanes: enable pattern repeats every byte_enable_length bytes
      const unsigned enableLength = tx.get_byte_enable_length();
      uint8_t* p = page(a / kPageBytes, true) + offset;
      for (uint64_t i = 0; i < chunk; ++i) {
        if (enables[(done + i) % enableLength] == TLM_BYTE_DISABLED) continue;
        if (tx.is_write()) {
          p[i] = data[done + i];
        } else {
          data[done + i] = p[i];
        }
      }
    } else if (tx.is_write()) {
      std::memcpy(page(a / kPageBytes, true) + offset, data + done, chunk);
    } else {
      const uint8_t* p = page(a / kPageBytes, false);
      if (p) {
        std::memcpy(data + done, p + offset, chunk);
      } else {
        std::memset(data + done, 0, chunk);
      }
    }
    done += chunk;
  }
  return true;
}

void Dram::b_transport(tlm::tlm_generic_payload& tx, sc_time& delay) {
  // Base protocol: a streaming burst is refused, an empty byte-enable array is an error, and
  // the ignore command is accepted without an access.
  if (tx.get_streaming_width() < tx.get_data_length()) {
    tx.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  if (tx.get_byte_enable_ptr() && tx.get_byte_enable_length() == 0) {
    tx.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  tx.set_dmi_allowed(true);
  if (tx.get_command() == tlm::TLM_IGNORE_COMMAND) {
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  if (!access(tx, true)) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  const DmaBurst* burst = tx.get_extension<DmaBurst>();
  const uint64_t len = burst ? burst->bytes : tx.get_data_length();
  const uint64_t requests = burst ? burst->runs : 1;
  if (tx.is_write()) {
    writeBytes_ += len;
    writeRequests_ += requests;
  } else {
    readBytes_ += len;
    readRequests_ += requests;
  }
  const sc_time now = sc_core::sc_time_stamp();
  const sc_time arrival = now + delay;
  const sc_time start = std::max(arrival, channelFree_);
  const sc_time transfer(static_cast<double>(len) / params_.bandwidthGBps,
                         SC_NS);  // GB/s = bytes/ns
  channelFree_ = start + transfer;
  delay = start + transfer + sc_time(params_.latencyNs, SC_NS) - now;
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int Dram::transport_dbg(tlm::tlm_generic_payload& tx) {
  // Debug transport has no byte enables (the base protocol ignores them there).
  if (tx.get_command() == tlm::TLM_IGNORE_COMMAND || !access(tx, false)) return 0;
  return tx.get_data_length();
}

}  // namespace tasdsim::hw
