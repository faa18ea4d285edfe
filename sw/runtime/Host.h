#pragma once
// Host: the CPU side of the simulated system. A SystemC module with a TLM initiator socket to
// the accelerator's bus and the completion signal as input. It places data in device memory
// (debug transport: loading memory is not part of the accelerator's time), programs the
// registers, rings the doorbell and waits for completion; its thread runs a user function
// (the network runner) and then stops the simulation.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "hw/model/dataflow/Interfaces.h"

namespace tasdsim::runtime {

class Host : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Host> bus_socket;
  sc_core::sc_in<bool> irq_in;

  using Body = std::function<void(Host&)>;
  Host(sc_core::sc_module_name name, Body body);

  void writeMemory(uint64_t address, const void* data, uint64_t bytes);
  void readMemory(uint64_t address, void* data, uint64_t bytes);
  uint64_t readRegister(uint64_t offset);
  void writeRegister(uint64_t offset, uint64_t value);

  // Runs the program at address (bytes long) and waits for its completion.
  hw::CompletionInfo runProgram(uint64_t address, uint64_t bytes);

  // Set by the body when it fails; the simulation then reports it.
  std::string failure;

 private:
  void run();
  void registerAccess(tlm::tlm_command cmd, uint64_t offset, uint64_t& value);

  Body body_;
};

// Bump allocator for device memory: 256-byte aligned regions, reset per layer.
class DeviceMemory {
 public:
  explicit DeviceMemory(uint64_t size) : size_(size) {}
  uint64_t allocate(uint64_t bytes);  // throws UserError when the device memory is full
  void reset() { next_ = 0; }
  uint64_t used() const { return next_; }

 private:
  uint64_t size_;
  uint64_t next_ = 0;
};

}  // namespace tasdsim::runtime
