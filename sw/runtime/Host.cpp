#include "sw/runtime/Host.h"

#include <fmt/format.h>

#include "hw/model/bus/Bus.h"
#include "hw/model/host_if/HostIf.h"
#include "sw/common/Error.h"

namespace tasdsim::runtime {

Host::Host(sc_core::sc_module_name name, Body body, std::vector<uint64_t> regBases)
    : sc_module(name),
      bus_socket("bus_socket"),
      irq_in("irq_in", regBases.size()),
      body_(std::move(body)),
      regBases_(std::move(regBases)) {
  SC_HAS_PROCESS(Host);
  SC_THREAD(run);
}

void Host::run() {
  try {
    body_(*this);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  sc_core::sc_stop();
}

namespace {

void debugTransfer(tlm_utils::simple_initiator_socket<Host>& socket, tlm::tlm_command cmd,
                   uint64_t address, void* data, uint64_t bytes) {
  constexpr uint64_t kChunk = uint64_t{1} << 30;  // TLM lengths are 32-bit
  uint64_t done = 0;
  while (done < bytes) {
    const uint64_t n = std::min(kChunk, bytes - done);
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(address + done);
    tx.set_data_ptr(static_cast<unsigned char*>(data) + done);
    tx.set_data_length(static_cast<unsigned int>(n));
    if (socket->transport_dbg(tx) != n) {
      throw UserError(
          fmt::format("device memory access at 0x{:x} ({} bytes) failed: beyond the DRAM size?",
                      address + done, n));
    }
    done += n;
  }
}

}  // namespace

void Host::writeMemory(uint64_t address, const void* data, uint64_t bytes) {
  debugTransfer(bus_socket, tlm::TLM_WRITE_COMMAND, address, const_cast<void*>(data), bytes);
}

void Host::readMemory(uint64_t address, void* data, uint64_t bytes) {
  debugTransfer(bus_socket, tlm::TLM_READ_COMMAND, address, data, bytes);
}

void Host::registerAccess(tlm::tlm_command cmd, uint64_t offset, uint64_t& value,
                          uint32_t instance) {
  tlm::tlm_generic_payload tx;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  tx.set_command(cmd);
  tx.set_address(regBases_.at(instance) + offset);
  tx.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
  tx.set_data_length(8);
  tx.set_streaming_width(8);
  tx.set_byte_enable_ptr(nullptr);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  bus_socket->b_transport(tx, delay);
  if (tx.is_response_error())
    throw std::runtime_error(fmt::format("register access at 0x{:x} failed", offset));
  sc_core::wait(delay);
}

uint64_t Host::readRegister(uint64_t offset, uint32_t instance) {
  uint64_t v = 0;
  registerAccess(tlm::TLM_READ_COMMAND, offset, v, instance);
  return v;
}

void Host::writeRegister(uint64_t offset, uint64_t value, uint32_t instance) {
  registerAccess(tlm::TLM_WRITE_COMMAND, offset, value, instance);
}

void Host::startProgram(uint64_t address, uint64_t bytes, uint32_t instance) {
  writeRegister(hw::reg::kMcBase, address, instance);
  writeRegister(hw::reg::kMcLength, bytes, instance);
  writeRegister(hw::reg::kDoorbell, 1, instance);
}

hw::CompletionInfo Host::waitProgram(uint32_t instance) {
  sc_core::sc_in<bool>& irq = irq_in[instance];
  while (!irq.read())
    sc_core::wait(irq.posedge_event());
  hw::CompletionInfo info;
  info.error = static_cast<hw::ErrorCode>(readRegister(hw::reg::kErrorCode, instance));
  info.errorPc = readRegister(hw::reg::kErrorPc, instance);
  info.cycles = readRegister(hw::reg::kCycles, instance);
  info.instructions = readRegister(hw::reg::kInstructions, instance);
  writeRegister(hw::reg::kIrqAck, 1, instance);
  while (irq.read())
    sc_core::wait(irq.negedge_event());
  return info;
}

hw::CompletionInfo Host::runProgram(uint64_t address, uint64_t bytes, uint32_t instance) {
  startProgram(address, bytes, instance);
  return waitProgram(instance);
}

uint64_t DeviceMemory::allocate(uint64_t bytes) {
  constexpr uint64_t kAlign = 256;
  const uint64_t at = (next_ + kAlign - 1) / kAlign * kAlign;
  if (at + bytes > size_ || at + bytes < at) {
    throw UserError(
        fmt::format("device memory full: {} bytes needed at 0x{:x}, DRAM has {} bytes (raise "
                    "arch.dram.size_mib)",
                    bytes, at, size_));
  }
  next_ = at + bytes;
  return base_ + at;
}

}  // namespace tasdsim::runtime
