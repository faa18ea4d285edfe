#include "hw/model/memory_port/MemoryPort.h"

#include <string>

#include "hw/model/dataflow/Dma.h"
#include "hw/model/memory_port/MemoryPortStats.h"

namespace tasdsim::hw {

MemoryPort::MemoryPort(sc_core::sc_module_name name, StatsRegistry& stats)
    : sc_module(name),
      unit_socket("unit_socket"),
      init_socket("init_socket"),
      readBytes_(addStat(stats, this->name(), MemoryPortStats::kReadBytes)),
      writeBytes_(addStat(stats, this->name(), MemoryPortStats::kWriteBytes)),
      readRequests_(addStat(stats, this->name(), MemoryPortStats::kReadRequests)),
      writeRequests_(addStat(stats, this->name(), MemoryPortStats::kWriteRequests)) {
  unit_socket.register_b_transport(this, &MemoryPort::b_transport);
  unit_socket.register_transport_dbg(this, &MemoryPort::transport_dbg);
  unit_socket.register_get_direct_mem_ptr(this, &MemoryPort::get_direct_mem_ptr);
  init_socket.register_invalidate_direct_mem_ptr(this, &MemoryPort::invalidate_direct_mem_ptr);
}

void MemoryPort::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  init_socket->b_transport(tx, delay);
  if (tx.get_response_status() != tlm::TLM_OK_RESPONSE ||
      tx.get_command() == tlm::TLM_IGNORE_COMMAND)
    return;
  const DmaBurst* burst = tx.get_extension<DmaBurst>();
  const uint64_t bytes = burst ? burst->bytes : tx.get_data_length();
  const uint64_t requests = burst ? burst->runs : 1;
  if (tx.is_write()) {
    writeBytes_ += bytes;
    writeRequests_ += requests;
  } else {
    readBytes_ += bytes;
    readRequests_ += requests;
  }
}

unsigned int MemoryPort::transport_dbg(int, tlm::tlm_generic_payload& tx) {
  return init_socket->transport_dbg(tx);
}

bool MemoryPort::get_direct_mem_ptr(int, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
  return init_socket->get_direct_mem_ptr(tx, dmi);
}

void MemoryPort::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
  DmaBatch::invalidate(start, end);
}

}  // namespace tasdsim::hw
