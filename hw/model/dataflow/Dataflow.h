#pragma once
// Dataflow: executes decoded microcode on the accelerator's units.
//
// Models: the configuration registers (CFG_* instructions) and a scoreboard over the buffer slots
// (hw/model/buffer/Buffer.h: S, D and accumulator, two slots each for double buffering) that lets
// the load, TASD, PE-array and store units run ahead of each other. Each unit takes its
// instructions in program order from its own queue; an instruction starts when the instructions
// dispatched before it that write what it reads (RAW), or read or write what it writes (WAR, WAW),
// have completed. With alternating slots this overlaps the loads of the next tile with the current
// tile's compute, and the decomposition-aware dataflow follows from the microcode: the D slot and
// the accumulator slot stay in place while the terms of an S slot stream through. Configuration
// instructions wait until every unit is idle.
//
// Ports: none of its own; it implements DispatchIf (for the decoder) and UnitIf (for its units).
// Timing: dispatch and bookkeeping take no time; the units own all latencies.
// Stats: <name>.instructions.<mnemonic>.
#include <array>
#include <deque>
#include <map>

#include <systemc>

#include "hw/model/dataflow/DataflowParams.h"
#include "hw/model/dataflow/Interfaces.h"

namespace tasdsim::hw {

class Dataflow : public sc_core::sc_module, public DispatchIf, public UnitIf {
 public:
  // buffer: the accelerator's buffers, handed to the units.
  Dataflow(sc_core::sc_module_name name, const DataflowParams& params, const BlockContext& context,
           BufferSet& buffer, StatsRegistry& stats);

  // DispatchIf
  void beginProgram() override;
  bool dispatch(const isa::Instruction& instruction, uint64_t pc) override;
  void drain() override;
  void raise(ErrorCode code, uint64_t pc, const std::string& detail) override;
  CompletionInfo status() const override { return status_; }

  // UnitIf
  bool next(UnitKind unit, Op& op, std::vector<Counter*>& stalls) override;
  void done(const Op& op) override;
  void releaseReads(Op& op) override;
  bool failed() const override { return status_.error != ErrorCode::None; }
  const LayerState& layer() const override { return layer_; }
  BufferSet& buffer() override { return buffer_; }
  UnitKind lastWriter(Resource r) const override { return lastWriter_[static_cast<size_t>(r)]; }

 private:
  // Applies a CFG_* instruction; false (after raise) if it is not acceptable.
  bool configure(const isa::Instruction& in, uint64_t pc);
  // Checks what can be checked before execution; false (after raise) if illegal.
  bool admissible(const isa::Instruction& in, uint64_t pc);
  Op makeOp(const isa::Instruction& in, uint64_t pc) const;
  bool ready(const Op& op, StallReason& reason) const;
  void completeReads(const Op& op);

  const DataflowParams params_;
  const BlockContext context_;
  LayerState layer_;
  BufferSet& buffer_;

  static constexpr size_t kUnits = static_cast<size_t>(UnitKind::Count);
  std::array<std::deque<Op>, kUnits> queues_;
  sc_core::sc_event ev_progress_;  // an op was queued or completed
  std::array<uint64_t, kResources> writesIssued_{}, writesDone_{}, readsIssued_{}, readsDone_{};
  std::array<UnitKind, kResources> lastWriter_{};    // unit of the last completed write
  std::array<UnitKind, kResources> issuedWriter_{};  // unit of the last dispatched write
  // Writes dispatched before the current run of PE-array writes to each resource.
  std::array<uint64_t, kResources> writesBeforeCompute_{};
  std::array<bool, kUnits> executing_{};  // a unit is running an op (not waiting)
  uint64_t generation_ = 0;               // of layer_ (LayerState::generation)
  uint64_t issued_ = 0;
  uint64_t completed_ = 0;
  CompletionInfo status_;

  StatsRegistry& stats_;
  std::map<isa::Opcode, Counter*> instructionCounters_;
};

}  // namespace tasdsim::hw
