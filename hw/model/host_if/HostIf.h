#pragma once
// HostIf: the accelerator's memory-mapped registers and its completion signal.
//
// Ports: target_socket (TLM target, 8-byte registers, 4- or 8-byte aligned accesses),
// irq_out (high from completion until the host writes IRQ_ACK). Implements CommandIf for the
// decoder. Register map (offsets from the register base, docs/isa.md):
//   0x00 ID (ro)         0x08 MC_BASE        0x10 MC_LENGTH (bytes)   0x18 DOORBELL (wo, 1 = run)
//   0x20 STATUS (ro: 0 idle, 1 busy, 2 done, 3 error)   0x28 ERROR_CODE (ro)   0x30 ERROR_PC (ro)
//   0x38 CYCLES (ro, of the last program)   0x40 INSTRUCTIONS (ro)   0x48 IRQ_ACK (wo)
// Timing: register accesses take one clock cycle. Ringing the doorbell while busy is ignored.
// Protocol: 4- or 8-byte accesses without byte enables; debug transport reads registers without
// side effects; DMI is always refused (docs/integration.md).
#include <cstdint>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "hw/model/dataflow/Interfaces.h"
#include "hw/model/top/AcceleratorParams.h"

namespace tasdsim::hw {

namespace reg {
constexpr uint64_t kId = 0x00, kMcBase = 0x08, kMcLength = 0x10, kDoorbell = 0x18, kStatus = 0x20,
                   kErrorCode = 0x28, kErrorPc = 0x30, kCycles = 0x38, kInstructions = 0x40,
                   kIrqAck = 0x48;
constexpr uint64_t kIdValue = 0x7A5D0001;
enum Status : uint64_t { kIdle = 0, kBusy = 1, kDone = 2, kError = 3 };
}  // namespace reg

class HostIf : public sc_core::sc_module, public CommandIf {
 public:
  tlm_utils::simple_target_socket<HostIf> target_socket;
  sc_core::sc_out<bool> irq_out;

  HostIf(sc_core::sc_module_name name, double clockPeriodNs);

  ProgramInfo waitForProgram() override;
  void complete(const CompletionInfo& info) override;
  // The last completion, with the error text the registers cannot hold.
  const CompletionInfo& lastCompletion() const { return last_; }

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& tx);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
  bool readValue(uint64_t offset, uint64_t& value) const;
  void irqDriver();

  const sc_core::sc_time accessTime_;
  uint64_t mcBase_ = 0, mcLength_ = 0, status_ = reg::kIdle;
  bool pending_ = false;
  bool irq_ = false;
  CompletionInfo last_;
  sc_core::sc_event ev_doorbell_, ev_irq_;
};

}  // namespace tasdsim::hw
