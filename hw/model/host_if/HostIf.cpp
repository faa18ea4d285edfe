#include "hw/model/host_if/HostIf.h"

#include <cstring>

namespace tasdsim::hw {

HostIf::HostIf(sc_core::sc_module_name name, double clockPeriodNs)
    : sc_module(name),
      target_socket("target_socket"),
      irq_out("irq_out"),
      accessTime_(clockPeriodNs, sc_core::SC_NS) {
  target_socket.register_b_transport(this, &HostIf::b_transport);
  target_socket.register_transport_dbg(this, &HostIf::transport_dbg);
  target_socket.register_get_direct_mem_ptr(this, &HostIf::get_direct_mem_ptr);
  SC_HAS_PROCESS(HostIf);
  SC_METHOD(irqDriver);
  sensitive << ev_irq_;
}

void HostIf::irqDriver() {
  irq_out.write(irq_);
}

ProgramInfo HostIf::waitForProgram() {
  while (!pending_)
    sc_core::wait(ev_doorbell_);
  pending_ = false;
  return ProgramInfo{mcBase_, mcLength_};
}

void HostIf::complete(const CompletionInfo& info) {
  last_ = info;
  status_ = info.error == ErrorCode::None ? reg::kDone : reg::kError;
  irq_ = true;
  ev_irq_.notify(sc_core::SC_ZERO_TIME);
}

bool HostIf::readValue(uint64_t offset, uint64_t& value) const {
  switch (offset) {
    case reg::kId:
      value = reg::kIdValue;
      break;
    case reg::kMcBase:
      value = mcBase_;
      break;
    case reg::kMcLength:
      value = mcLength_;
      break;
    case reg::kStatus:
      value = status_;
      break;
    case reg::kErrorCode:
      value = static_cast<uint64_t>(last_.error);
      break;
    case reg::kErrorPc:
      value = last_.errorPc;
      break;
    case reg::kCycles:
      value = last_.cycles;
      break;
    case reg::kInstructions:
      value = last_.instructions;
      break;
    case reg::kDoorbell:
    case reg::kIrqAck:
      value = 0;
      break;
    default:
      return false;
  }
  return true;
}

// Base protocol: byte enables are refused (TLM_BYTE_ENABLE_ERROR_RESPONSE), accesses other
// than 4 or 8 bytes or streaming ones are refused (TLM_BURST_ERROR_RESPONSE), a misaligned or
// unmapped register is TLM_ADDRESS_ERROR_RESPONSE; the ignore command succeeds without effect.
// Only the response status is written (and the data array on a read).
void HostIf::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t addr = tx.get_address();
  const unsigned len = tx.get_data_length();
  if (tx.get_byte_enable_ptr()) {
    tx.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if ((len != 4 && len != 8) || tx.get_streaming_width() < len) {
    tx.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  if (addr % len != 0 || addr >= kRegWindowBytes) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  const uint64_t offset = addr & ~uint64_t{7};
  const unsigned shift = static_cast<unsigned>(addr - offset) * 8;
  delay += accessTime_;
  if (tx.get_command() == tlm::TLM_IGNORE_COMMAND) {
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  if (tx.is_read()) {
    uint64_t value = 0;
    if (!readValue(offset, value)) {
      tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    value >>= shift;
    std::memcpy(tx.get_data_ptr(), &value, len);
  } else {
    uint64_t value = 0;
    std::memcpy(&value, tx.get_data_ptr(), len);
    switch (offset) {
      case reg::kMcBase:
        mcBase_ =
            len == 8 ? value : (mcBase_ & ~(uint64_t{0xffffffff} << shift)) | (value << shift);
        break;
      case reg::kMcLength:
        mcLength_ =
            len == 8 ? value : (mcLength_ & ~(uint64_t{0xffffffff} << shift)) | (value << shift);
        break;
      case reg::kDoorbell:
        if ((value & 1) && status_ != reg::kBusy) {
          status_ = reg::kBusy;
          pending_ = true;
          ev_doorbell_.notify(sc_core::SC_ZERO_TIME);
        }
        break;
      case reg::kIrqAck:
        irq_ = false;
        if (status_ == reg::kDone || status_ == reg::kError) status_ = reg::kIdle;
        ev_irq_.notify(sc_core::SC_ZERO_TIME);
        break;
      default:
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
  }
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

// Debug reads see the registers without side effects; debug writes are not supported.
unsigned int HostIf::transport_dbg(tlm::tlm_generic_payload& tx) {
  const uint64_t addr = tx.get_address();
  const unsigned len = tx.get_data_length();
  if (!tx.is_read() || (len != 4 && len != 8) || addr % len != 0 || addr >= kRegWindowBytes)
    return 0;
  const uint64_t offset = addr & ~uint64_t{7};
  uint64_t value = 0;
  if (!readValue(offset, value)) return 0;
  value >>= static_cast<unsigned>(addr - offset) * 8;
  std::memcpy(tx.get_data_ptr(), &value, len);
  return len;
}

// Registers are never granted DMI; the denial covers the whole register window.
bool HostIf::get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
  dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
  dmi.set_start_address(0);
  dmi.set_end_address(kRegWindowBytes - 1);
  return false;
}

}  // namespace tasdsim::hw
