#include "hw/model/decoder/Decoder.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "hw/model/dataflow/Dma.h"
#include "hw/model/decoder/DecoderStats.h"

namespace tasdsim::hw {

Decoder::Decoder(sc_core::sc_module_name name, const DecoderParams& params,
                 const BlockContext& context, StatsRegistry& stats, const rtl::CosimOptions& cosim)
    : sc_module(name),
      command_port("command_port"),
      dispatch_port("dispatch_port"),
      fetch_socket("fetch_socket"),
      params_(params),
      context_(context),
      instructions_(addStat(stats, this->name(), DecoderStats::kInstructions)),
      fetchBytes_(addStat(stats, this->name(), DecoderStats::kFetchBytes)),
      fetches_(addStat(stats, this->name(), DecoderStats::kFetches)),
      programs_(addStat(stats, this->name(), DecoderStats::kPrograms)),
      errors_(addStat(stats, this->name(), DecoderStats::kErrors)) {
  if (params.impl == "rtl") rtl_ = rtl::makeDecoderRtl("rtl", params, context, cosim);
  SC_HAS_PROCESS(Decoder);
  SC_THREAD(run);
}

void Decoder::run() {
  while (true) {
    const ProgramInfo program = command_port->waitForProgram();
    execute(program);
  }
}

void Decoder::execute(const ProgramInfo& program) {
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  const sc_core::sc_time decodeTime = context_.cycles(params_.cyclesPerInstruction);
  dispatch_port->beginProgram();
  ++programs_;
  const uint64_t count = program.length / isa::kInstructionBytes;
  std::vector<uint8_t> burst;
  uint64_t burstFirst = 0, burstCount = 0, executed = 0;
  bool ended = false;
  for (uint64_t pc = 0; pc < count && !ended; ++pc) {
    if (pc >= burstFirst + burstCount) {  // fetch the next burst
      burstFirst = pc;
      burstCount = std::min<uint64_t>(count - pc, params_.fetchBytes / isa::kInstructionBytes);
      burst.resize(burstCount * isa::kInstructionBytes);
      DmaBatch dma(fetch_socket);
      if (!dma.read(program.base + pc * isa::kInstructionBytes, burst.data(), burst.size())) {
        dispatch_port->raise(ErrorCode::BusError, pc,
                             fmt::format("microcode fetch at 0x{:x} failed", dma.failedAddress()));
        break;
      }
      sc_core::wait(dma.delay());
      ++fetches_;
      fetchBytes_ += burst.size();
    }
    isa::Decoded d;
    if (rtl_) {  // one RTL cycle
      d = rtl_->decode(isa::load(burst.data() + (pc - burstFirst) * isa::kInstructionBytes));
    } else {
      d = isa::decode(isa::load(burst.data() + (pc - burstFirst) * isa::kInstructionBytes));
      sc_core::wait(decodeTime);
    }
    ++instructions_;
    ++executed;
    if (d.error != isa::DecodeError::None) {
      const isa::Word w = isa::load(burst.data() + (pc - burstFirst) * isa::kInstructionBytes);
      dispatch_port->raise(
          ErrorCode::IllegalInstruction, pc,
          fmt::format(
              "instruction {} (0x{:016x}{:016x}): {}", pc, w.hi, w.lo,
              d.error == isa::DecodeError::UnknownOpcode ? "unknown opcode" : "reserved bits set"));
      break;
    }
    if (!dispatch_port->dispatch(d.instruction, pc)) break;
    ended = d.instruction.opcode == isa::Opcode::End;
  }
  if (!ended && dispatch_port->status().error == ErrorCode::None) {
    dispatch_port->raise(ErrorCode::MissingEnd, count, "microcode ended without END");
  }
  dispatch_port->drain();
  CompletionInfo info = dispatch_port->status();
  info.instructions = executed;
  info.cycles = context_.cyclesSince(start);
  if (info.error != ErrorCode::None) ++errors_;
  command_port->complete(info);
}

}  // namespace tasdsim::hw
