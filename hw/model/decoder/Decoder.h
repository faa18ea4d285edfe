#pragma once
// Decoder: fetches a program from memory, decodes it and dispatches it in order.
//
// Ports: command_port (CommandIf: doorbell, completion), dispatch_port (DispatchIf: the
// dataflow controller), fetch_socket (TLM initiator for microcode reads).
// Timing: fetchBytes per burst (one memory request); each instruction takes
// cyclesPerInstruction to decode; dispatch blocks while the target unit's queue is full.
// Errors: an unknown opcode or set reserved bits (illegal_instruction), a program without END
// (missing_end) or a failed fetch (bus_error) stops the program with an error status; nothing
// crashes.
// Stats: decoder.{instructions, fetch_bytes, fetches, programs, errors}.
// With impl: rtl each instruction word is decoded by the Verilated decoder (hw/rtl/decoder), one
// cycle per instruction.
#include <memory>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>

#include "hw/model/dataflow/Interfaces.h"
#include "hw/rtl/cosim/Cosim.h"

namespace tasdsim::hw {

class Decoder : public sc_core::sc_module {
 public:
  sc_core::sc_port<CommandIf> command_port;
  sc_core::sc_port<DispatchIf> dispatch_port;
  tlm_utils::simple_initiator_socket<Decoder> fetch_socket;

  Decoder(sc_core::sc_module_name name, const DecoderParams& params, const BlockContext& context,
          StatsRegistry& stats, const rtl::CosimOptions& cosim = {});

 private:
  void run();
  void execute(const ProgramInfo& program);

  const DecoderParams params_;
  const BlockContext context_;
  Counter& instructions_;
  Counter& fetchBytes_;
  Counter& fetches_;
  Counter& programs_;
  Counter& errors_;
  std::unique_ptr<rtl::DecoderRtl> rtl_;  // impl: rtl
};

}  // namespace tasdsim::hw
