#pragma once
// SystemC interfaces between the accelerator's components (bound in the top module).
//   CommandIf   host interface -> decoder: programs to run, completion report
//   DispatchIf  decoder -> dataflow controller: decoded instructions in program order
//   UnitIf      dataflow controller -> its units (load, TASD, PE array, store): work + buffers
#include <cstdint>
#include <string>
#include <vector>

#include <systemc>

#include "hw/isa/Isa.h"
#include "hw/model/buffer/Buffer.h"
#include "hw/model/common/BlockContext.h"
#include "hw/model/common/Stats.h"
#include "hw/model/dataflow/LayerState.h"

namespace tasdsim::hw {

struct ProgramInfo {
  uint64_t base = 0;    // microcode address
  uint64_t length = 0;  // bytes
};

struct CompletionInfo {
  ErrorCode error = ErrorCode::None;
  uint64_t errorPc = 0;  // instruction index of the failing instruction
  uint64_t instructions = 0;
  uint64_t cycles = 0;
  std::string detail;
};

class CommandIf : public virtual sc_core::sc_interface {
 public:
  // Blocks until the host rings the doorbell.
  virtual ProgramInfo waitForProgram() = 0;
  virtual void complete(const CompletionInfo& info) = 0;
};

class DispatchIf : public virtual sc_core::sc_interface {
 public:
  virtual void beginProgram() = 0;
  // Queues an instruction (blocks while the unit's queue is full). Configuration instructions
  // first wait until every unit is idle. Returns false once the program has failed.
  virtual bool dispatch(const isa::Instruction& instruction, uint64_t pc) = 0;
  // Blocks until every dispatched instruction has completed (BARRIER, END).
  virtual void drain() = 0;
  virtual void raise(ErrorCode code, uint64_t pc, const std::string& detail) = 0;
  virtual CompletionInfo status() const = 0;
};

enum class UnitKind : uint8_t { Load, Tasd, Compute, Store, Count };

// Buffer slots as scoreboard resources.
enum class Resource : uint8_t { S0, S1, D0, D1, Acc0, Acc1, Count };
constexpr size_t kResources = static_cast<size_t>(Resource::Count);

struct Op {
  isa::Instruction instruction;
  uint64_t pc = 0;
  UnitKind unit = UnitKind::Load;
  std::vector<Resource> reads, writes;
  // Completion counts each resource must reach before the op may start.
  std::vector<std::pair<Resource, uint64_t>> needWritesDone, needReadsDone;
  bool readsReleased = false;  // its reads were completed ahead of it (UnitIf::releaseReads)
};

class UnitIf : public virtual sc_core::sc_interface {
 public:
  // Blocks until the next op for this unit is queued and its dependencies are met; time spent
  // waiting on dependencies is added to the unit's stall counters. Returns false if the
  // program failed (the op must then be completed without effect).
  virtual bool next(UnitKind unit, Op& op, std::vector<Counter*>& stalls) = 0;
  virtual void done(const Op& op) = 0;
  // Completes the op's reads ahead of the op (the slots it reads may be refilled, the unit takes
  // its next op); done() then completes only its writes.
  virtual void releaseReads(Op& op) = 0;
  virtual void raise(ErrorCode code, uint64_t pc, const std::string& detail) = 0;
  virtual bool failed() const = 0;
  virtual const LayerState& layer() const = 0;
  // The buffers (hw/model/buffer/Buffer.h): the units' tiles and their access counters.
  virtual BufferSet& buffer() = 0;
  // Which unit last wrote a resource (to name a stall's reason).
  virtual UnitKind lastWriter(Resource r) const = 0;
};

}  // namespace tasdsim::hw
