#include "hw/model/dataflow/Dataflow.h"

#include <cstring>

#include <fmt/format.h>

#include "hw/model/dataflow/DataflowStats.h"

namespace tasdsim::hw {

using isa::Opcode;

std::vector<KSegment> LayerState::kSegments(uint32_t k0, uint32_t klen) const {
  std::vector<KSegment> out;
  if (klen == 0) return out;
  if (!convK()) {
    if (uint64_t{k0} + klen <= k) out.push_back({k0, klen});
    return out;
  }
  if (uint64_t{k0} + klen > convChannels) return out;
  out.reserve(k0 == 0 && klen == convChannels ? 1 : kernelPositions);
  for (uint64_t rs = 0; rs < kernelPositions; ++rs) {
    const uint64_t begin = rs * convChannels + k0;
    if (!out.empty() && out.back().begin + out.back().length == begin) {
      out.back().length += klen;
    } else {
      out.push_back({begin, klen});
    }
  }
  return out;
}

const char* errorCodeName(ErrorCode c) {
  switch (c) {
    case ErrorCode::None:
      return "none";
    case ErrorCode::IllegalInstruction:
      return "illegal_instruction";
    case ErrorCode::IllegalForConfig:
      return "illegal_for_config";
    case ErrorCode::OperandError:
      return "operand_error";
    case ErrorCode::BusError:
      return "bus_error";
    case ErrorCode::MissingEnd:
      return "missing_end";
  }
  return "?";
}

Dataflow::Dataflow(sc_core::sc_module_name name, const DataflowParams& params,
                   const BlockContext& context, BufferSet& buffer, StatsRegistry& stats)
    : sc_module(name), params_(params), context_(context), buffer_(buffer), stats_(stats) {
  for (Opcode op : DataflowStats::kOpcodes) {
    instructionCounters_[op] =
        &addStat(stats_, this->name(), DataflowStats::kInstructions, DataflowStats::mnemonic(op));
  }
}

void Dataflow::beginProgram() {
  status_ = CompletionInfo{};
  buffer_.invalidate();
}

void Dataflow::raise(ErrorCode code, uint64_t pc, const std::string& detail) {
  if (status_.error != ErrorCode::None) return;  // keep the first error
  status_.error = code;
  status_.errorPc = pc;
  status_.detail = detail;
  ev_progress_.notify(sc_core::SC_ZERO_TIME);
}

bool Dataflow::configure(const isa::Instruction& in, uint64_t pc) {
  const auto& f = in.field;
  auto fail = [&](ErrorCode code, const std::string& why) {
    raise(code, pc, fmt::format("{}: {}", isa::disassemble(in), why));
    return false;
  };
  // Tiles are valid only under the configuration they were loaded with (dtype, shapes, conv
  // geometry, addresses): any configuration instruction empties the buffer slots.
  buffer_.invalidate();
  switch (in.opcode) {
    case Opcode::CfgLayer: {
      namespace c = isa::cfg_layer;
      if (f[c::M] == 0 || f[c::N] == 0 || f[c::K] == 0)
        return fail(ErrorCode::OperandError, "zero GEMM dimension");
      if (f[c::DType] > static_cast<uint64_t>(tasd::DType::I8))
        return fail(ErrorCode::IllegalInstruction, "bad dtype");
      if (f[c::Terms] > params_.maxTerms) {
        return fail(ErrorCode::IllegalForConfig,
                    fmt::format("series of {} terms; this engine runs at most {}", f[c::Terms],
                                params_.maxTerms));
      }
      const auto source = static_cast<isa::SSource>(f[c::SSource]);
      if (source == isa::SSource::OnTheFly && (!params_.tasdUnits || !params_.tasdExtension)) {
        return fail(ErrorCode::IllegalForConfig, "on-the-fly TASD needs TASD units");
      }
      if (source == isa::SSource::OnTheFly && f[c::Terms] == 0) {
        return fail(ErrorCode::OperandError, "on-the-fly TASD with no terms");
      }
      layer_ = LayerState{};
      layer_.configured = true;
      layer_.m = static_cast<uint32_t>(f[c::M]);
      layer_.n = static_cast<uint32_t>(f[c::N]);
      layer_.k = static_cast<uint32_t>(f[c::K]);
      layer_.dtype = static_cast<tasd::DType>(f[c::DType]);
      layer_.source = source;
      layer_.terms = static_cast<uint32_t>(f[c::Terms]);
      layer_.s.conv = f[c::SConv] != 0;
      layer_.d.conv = f[c::DConv] != 0;
      return true;
    }
    case Opcode::CfgTerm: {
      namespace c = isa::cfg_term;
      const uint32_t index = static_cast<uint32_t>(f[c::Index]);
      const uint32_t n = static_cast<uint32_t>(f[c::N]), m = static_cast<uint32_t>(f[c::M]);
      if (!tasd::isPowerOfTwo(m) || m < tasd::NMPattern::kMinM || m > tasd::NMPattern::kMaxM ||
          n < 1 || n > m) {
        return fail(ErrorCode::IllegalInstruction,
                    fmt::format("pattern {}:{} is not a valid N:M pattern", n, m));
      }
      const tasd::NMPattern p{n, m};
      if (!params_.supports(p)) {
        return fail(ErrorCode::IllegalForConfig,
                    fmt::format("pattern {} is not supported by this PE array", p.str()));
      }
      if (!layer_.configured || index >= layer_.terms) {
        return fail(ErrorCode::OperandError, "term index beyond the layer's term count");
      }
      layer_.term[index] = TermConfig{true, p, f[c::ValuesAddr], f[c::MetaAddr]};
      return true;
    }
    case Opcode::CfgAddr: {
      namespace c = isa::cfg_addr;
      OperandConfig& o = f[c::Operand] == 0   ? layer_.s
                         : f[c::Operand] == 1 ? layer_.d
                         : f[c::Operand] == 2 ? layer_.c
                                              : layer_.p;
      o.configured = true;
      o.base = f[c::Base];
      o.rowStride = f[c::Stride];
      return true;
    }
    case Opcode::CfgConv: {
      namespace c = isa::cfg_conv;
      OperandConfig& o = f[c::Operand] == 0 ? layer_.s : layer_.d;
      tasd::ConvGeometry g;
      g.inH = f[c::InH];
      g.inW = f[c::InW];
      g.channels = f[c::Channels];
      g.kh = f[c::Kh];
      g.kw = f[c::Kw];
      g.strideH = f[c::StrideH];
      g.strideW = f[c::StrideW];
      g.padTop = f[c::PadTop];
      g.padLeft = f[c::PadLeft];
      g.padBottom = f[c::PadBottom];
      g.padRight = f[c::PadRight];
      g.dilationH = f[c::DilationH];
      g.dilationW = f[c::DilationW];
      const uint64_t batch = f[c::Batch];
      if (g.inH == 0 || g.inW == 0 || g.channels == 0 || g.kh == 0 || g.kw == 0 || g.strideH == 0 ||
          g.strideW == 0 || g.dilationH == 0 || g.dilationW == 0 || batch == 0 ||
          g.inH + g.padTop + g.padBottom < g.dilationH * (g.kh - 1) + 1 ||
          g.inW + g.padLeft + g.padRight < g.dilationW * (g.kw - 1) + 1) {
        return fail(ErrorCode::OperandError, "inconsistent convolution geometry");
      }
      if (g.k() != layer_.k) {
        return fail(
            ErrorCode::OperandError,
            fmt::format("conv geometry gives K = {}, CFG_LAYER has K = {}", g.k(), layer_.k));
      }
      if (layer_.convK() &&
          (layer_.convChannels != g.channels || layer_.kernelPositions != g.kh * g.kw)) {
        return fail(ErrorCode::OperandError, "the two operands' conv geometries disagree on K");
      }
      o.conv = true;
      o.geometry = g;
      o.batch = static_cast<uint32_t>(batch);
      layer_.convChannels = static_cast<uint32_t>(g.channels);
      layer_.kernelPositions = static_cast<uint32_t>(g.kh * g.kw);
      return true;
    }
    case Opcode::CfgTasd: {
      const uint32_t bits = static_cast<uint32_t>(f[isa::cfg_tasd::TauBits]);
      std::memcpy(&layer_.tau, &bits, sizeof bits);
      return true;
    }
    case Opcode::CfgOut: {
      namespace c = isa::cfg_out;
      if (f[c::Mode] > static_cast<uint64_t>(isa::OutputMode::RequantInt8)) {
        return fail(ErrorCode::IllegalInstruction,
                    "output mode must be 0 (accumulators) or 1 (requantise to int8)");
      }
      const auto mode = static_cast<isa::OutputMode>(f[c::Mode]);
      if (mode == isa::OutputMode::RequantInt8 &&
          (!layer_.configured || layer_.dtype != tasd::DType::I8)) {
        return fail(ErrorCode::OperandError,
                    "requantisation to int8 needs an int8 layer (CFG_LAYER dtype 2 first)");
      }
      if (mode == isa::OutputMode::Accumulators &&
          (f[c::PerRow] || f[c::Bias] || f[c::TableAddr])) {
        return fail(ErrorCode::OperandError,
                    "per_row, bias and table_addr belong to requantisation (mode 1)");
      }
      layer_.out =
          OutputConfig{mode, f[c::Relu] != 0, f[c::PerRow] != 0, f[c::Bias] != 0, f[c::TableAddr]};
      return true;
    }
    default:
      return false;
  }
}

bool Dataflow::admissible(const isa::Instruction& in, uint64_t pc) {
  const auto& f = in.field;
  auto fail = [&](ErrorCode code, const std::string& why) {
    raise(code, pc, fmt::format("{}: {}", isa::disassemble(in), why));
    return false;
  };
  const bool needsLayer = in.opcode == Opcode::LoadS || in.opcode == Opcode::LoadD ||
                          in.opcode == Opcode::LoadC || in.opcode == Opcode::Tasd ||
                          in.opcode == Opcode::Stream || in.opcode == Opcode::StoreC;
  if (needsLayer && !layer_.configured)
    return fail(ErrorCode::OperandError, "no CFG_LAYER before it");
  switch (in.opcode) {
    case Opcode::Tasd:
      if (!params_.tasdUnits || !params_.tasdExtension) {
        return fail(ErrorCode::IllegalForConfig, "this engine has no TASD units");
      }
      if (layer_.source != isa::SSource::OnTheFly)
        return fail(ErrorCode::OperandError, "layer is not on-the-fly TASD");
      return true;
    case Opcode::Stream: {
      namespace c = isa::stream;
      const uint64_t count = f[c::TermCount], first = f[c::FirstTerm];
      if (count > 1 && !params_.tasdExtension) {
        return fail(ErrorCode::IllegalForConfig,
                    "streaming several terms needs the TASD extension");
      }
      if (count > 0 && first + count > layer_.terms)
        return fail(ErrorCode::OperandError, "term beyond the series");
      return true;
    }
    case Opcode::LoadS: {
      namespace c = isa::load_s;
      if (!f[c::Dense] && f[c::Term] >= layer_.terms)
        return fail(ErrorCode::OperandError, "term beyond the series");
      return true;
    }
    default:
      return true;
  }
}

Op Dataflow::makeOp(const isa::Instruction& in, uint64_t pc) const {
  Op op;
  op.instruction = in;
  op.pc = pc;
  const auto& f = in.field;
  auto sRes = [](uint64_t slot) { return slot ? Resource::S1 : Resource::S0; };
  auto dRes = [](uint64_t slot) { return slot ? Resource::D1 : Resource::D0; };
  auto aRes = [](uint64_t slot) { return slot ? Resource::Acc1 : Resource::Acc0; };
  switch (in.opcode) {
    case Opcode::LoadS:
      op.unit = UnitKind::Load;
      op.writes = {sRes(f[isa::load_s::Slot])};
      break;
    case Opcode::LoadD:
      op.unit = UnitKind::Load;
      op.writes = {dRes(f[isa::load_d::Slot])};
      break;
    case Opcode::LoadC:
      op.unit = UnitKind::Load;
      op.writes = {aRes(f[isa::load_c::Slot])};
      break;
    case Opcode::Tasd:
      op.unit = UnitKind::Tasd;
      op.reads = {sRes(f[isa::tasd_op::Slot])};
      op.writes = {sRes(f[isa::tasd_op::Slot])};
      break;
    case Opcode::Stream:
      op.unit = UnitKind::Compute;
      op.reads = {sRes(f[isa::stream::SSlot]), dRes(f[isa::stream::DSlot])};
      op.writes = {aRes(f[isa::stream::AccSlot])};
      break;
    case Opcode::StoreC:
      op.unit = UnitKind::Store;
      op.reads = {aRes(f[isa::store_c::Slot])};
      break;
    default:
      break;
  }
  for (Resource r : op.reads)
    op.needWritesDone.emplace_back(r, writesIssued_[static_cast<size_t>(r)]);
  for (Resource r : op.writes) {
    const size_t i = static_cast<size_t>(r);
    // The PE array completes its streams in order: a stream accumulating onto the tile of the
    // streams before it waits only for the writes before them (a LOAD_C).
    const bool forwarded = op.unit == UnitKind::Compute && issuedWriter_[i] == UnitKind::Compute;
    op.needWritesDone.emplace_back(r, forwarded ? writesBeforeCompute_[i] : writesIssued_[i]);
    op.needReadsDone.emplace_back(r, readsIssued_[i]);
  }
  return op;
}

bool Dataflow::dispatch(const isa::Instruction& in, uint64_t pc) {
  if (failed()) return false;
  ++*instructionCounters_[in.opcode];
  switch (in.opcode) {
    case Opcode::CfgLayer:
    case Opcode::CfgTerm:
    case Opcode::CfgAddr:
    case Opcode::CfgConv:
    case Opcode::CfgTasd:
    case Opcode::CfgOut:
      drain();
      if (failed()) return false;
      {
        const bool ok = configure(in, pc);
        layer_.generation = ++generation_;
        return ok;
      }
    case Opcode::Barrier:
    case Opcode::End:
      drain();
      return !failed();
    default:
      break;
  }
  if (!admissible(in, pc)) return false;
  Op op = makeOp(in, pc);
  auto& queue = queues_[static_cast<size_t>(op.unit)];
  while (queue.size() >= params_.queueDepth && !failed())
    sc_core::wait(ev_progress_);
  if (failed()) return false;
  for (Resource r : op.reads)
    ++readsIssued_[static_cast<size_t>(r)];
  for (Resource r : op.writes) {
    ++writesIssued_[static_cast<size_t>(r)];
    issuedWriter_[static_cast<size_t>(r)] = op.unit;
    if (op.unit != UnitKind::Compute)
      writesBeforeCompute_[static_cast<size_t>(r)] = writesIssued_[static_cast<size_t>(r)];
  }
  queue.push_back(std::move(op));
  ++issued_;
  ev_progress_.notify(sc_core::SC_ZERO_TIME);
  return true;
}

void Dataflow::drain() {
  while (completed_ < issued_)
    sc_core::wait(ev_progress_);
}

bool Dataflow::ready(const Op& op, StallReason& reason) const {
  for (const auto& [r, need] : op.needWritesDone) {
    if (writesDone_[static_cast<size_t>(r)] < need) {
      const bool acc = r == Resource::Acc0 || r == Resource::Acc1;
      if (op.unit == UnitKind::Load) {
        reason = StallReason::WaitBufferFree;
      } else if (acc) {
        reason = StallReason::WaitAccumulator;
      } else {
        // Exposed TASD latency only while the TASD units actually work on the tile; if they
        // wait for the tile's load themselves, the array waits for operands.
        const bool tasdWorking = issuedWriter_[static_cast<size_t>(r)] == UnitKind::Tasd &&
                                 executing_[static_cast<size_t>(UnitKind::Tasd)];
        reason = tasdWorking ? StallReason::WaitTasdUnit : StallReason::WaitOperands;
      }
      return false;
    }
  }
  for (const auto& [r, need] : op.needReadsDone) {
    if (readsDone_[static_cast<size_t>(r)] < need) {
      const bool acc = r == Resource::Acc0 || r == Resource::Acc1;
      reason = acc && op.unit == UnitKind::Compute ? StallReason::WaitAccumulator
                                                   : StallReason::WaitBufferFree;
      return false;
    }
  }
  return true;
}

bool Dataflow::next(UnitKind unit, Op& op, std::vector<Counter*>& stalls) {
  auto& queue = queues_[static_cast<size_t>(unit)];
  while (queue.empty())
    sc_core::wait(ev_progress_);
  op = queue.front();
  queue.pop_front();
  ev_progress_.notify(sc_core::SC_ZERO_TIME);  // queue space for the dispatcher
  StallReason reason = StallReason::WaitOperands;
  while (!failed() && !ready(op, reason)) {
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    sc_core::wait(ev_progress_);
    Counter* c = stalls[static_cast<size_t>(reason)];
    if (c) *c += context_.cyclesSince(start);
  }
  executing_[static_cast<size_t>(unit)] = !failed();
  return !failed();
}

void Dataflow::completeReads(const Op& op) {
  for (Resource r : op.reads)
    ++readsDone_[static_cast<size_t>(r)];
}

void Dataflow::releaseReads(Op& op) {
  if (op.readsReleased) return;
  completeReads(op);
  op.readsReleased = true;
  executing_[static_cast<size_t>(op.unit)] = false;  // the unit takes its next op
  ev_progress_.notify(sc_core::SC_ZERO_TIME);
}

void Dataflow::done(const Op& op) {
  if (!op.readsReleased) {
    executing_[static_cast<size_t>(op.unit)] = false;
    completeReads(op);
  }
  for (Resource r : op.writes) {
    ++writesDone_[static_cast<size_t>(r)];
    lastWriter_[static_cast<size_t>(r)] = op.unit;
  }
  ++completed_;
  ev_progress_.notify(sc_core::SC_ZERO_TIME);
}

}  // namespace tasdsim::hw
