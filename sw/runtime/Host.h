#pragma once
// Host: the CPU side of the simulated system. A SystemC module with a TLM initiator socket to
// the system bus and one completion signal per accelerator instance. It places data in device
// memory (debug transport: loading memory is not part of the accelerator's time), programs an
// instance's registers (at its register base), rings its doorbell and waits for its completion;
// its thread runs a user function (the network runner) and then stops the simulation.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>

#include "hw/model/dataflow/Interfaces.h"
#include "hw/model/top/AcceleratorParams.h"

namespace tasdsim::runtime {

class Host : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Host> bus_socket;
  sc_core::sc_vector<sc_core::sc_in<bool>> irq_in;  // one per instance

  using Body = std::function<void(Host&)>;
  // regBases: each instance's register base (default: one instance at the default base).
  Host(sc_core::sc_module_name name, Body body,
       std::vector<uint64_t> regBases = {hw::kDefaultRegBase});

  uint32_t instances() const { return static_cast<uint32_t>(regBases_.size()); }
  void writeMemory(uint64_t address, const void* data, uint64_t bytes);
  void readMemory(uint64_t address, void* data, uint64_t bytes);
  uint64_t readRegister(uint64_t offset, uint32_t instance = 0);
  void writeRegister(uint64_t offset, uint64_t value, uint32_t instance = 0);

  // Runs the program at address (bytes long) on an instance and waits for its completion.
  hw::CompletionInfo runProgram(uint64_t address, uint64_t bytes, uint32_t instance = 0);
  // The same in two steps, so that several instances run at once: start rings the doorbell,
  // wait blocks until that instance completes, reads its registers and acknowledges.
  void startProgram(uint64_t address, uint64_t bytes, uint32_t instance);
  hw::CompletionInfo waitProgram(uint32_t instance);

  // Set by the body when it fails; the simulation then reports it.
  std::string failure;

 private:
  void run();
  void registerAccess(tlm::tlm_command cmd, uint64_t offset, uint64_t& value, uint32_t instance);

  Body body_;
  std::vector<uint64_t> regBases_;
};

// Bump allocator for device memory (the DRAM at `base` in the system's address map): 256-byte
// aligned regions, reset per layer. Returns system addresses.
class DeviceMemory {
 public:
  explicit DeviceMemory(uint64_t size, uint64_t base = 0) : size_(size), base_(base) {}
  uint64_t allocate(uint64_t bytes);  // throws UserError when the device memory is full
  void reset() { next_ = 0; }
  uint64_t used() const { return next_; }

 private:
  uint64_t size_;
  uint64_t base_;
  uint64_t next_ = 0;
};

}  // namespace tasdsim::runtime
