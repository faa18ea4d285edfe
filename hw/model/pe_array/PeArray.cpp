#include "hw/model/pe_array/PeArray.h"

#include <algorithm>

#include <fmt/format.h>

#include "hw/model/pe_array/PeArrayStats.h"
#include "hw/model/pe_array/StreamMath.h"

namespace tasdsim::hw {

PeArray::PeArray(sc_core::sc_module_name name, const PeArrayParams& params,
                 const BlockContext& context, StatsRegistry& stats, const rtl::CosimOptions& cosim)
    : sc_module(name),
      ctrl_port("ctrl_port"),
      params_(params),
      context_(context),
      busyCycles_(addStat(stats, this->name(), PeArrayStats::kBusyCycles)),
      streams_(addStat(stats, this->name(), PeArrayStats::kStreams)),
      passes_(addStat(stats, this->name(), PeArrayStats::kPasses)),
      macOps_(addStat(stats, this->name(), PeArrayStats::kMacOps)),
      denseMacs_(addStat(stats, this->name(), PeArrayStats::kDenseMacs)),
      denseCycles_(addStat(stats, this->name(), PeArrayStats::kDenseCycles)) {
  stalls_.assign(static_cast<size_t>(StallReason::Count), nullptr);
  for (StallReason r : PeArrayStats::kStallReasons)
    stalls_[static_cast<size_t>(r)] =
        &addStat(stats, this->name(), PeArrayStats::kStall, stallReasonName(r));
  for (uint32_t t = 0; t < isa::kMaxTerms; ++t) {
    termCycles_[t] = &addStat(stats, this->name(), PeArrayStats::kTermCycles, t);
    termMacOps_[t] = &addStat(stats, this->name(), PeArrayStats::kTermMacOps, t);
  }
  if (params.impl == "rtl") rtl_ = rtl::makePeArrayRtl("rtl", params, context, cosim);
  SC_HAS_PROCESS(PeArray);
  SC_THREAD(run);
  SC_THREAD(drain);
}

void PeArray::run() {
  Op& op = op_;
  while (true) {
    const bool ran = ctrl_port->next(UnitKind::Compute, op, stalls_) && stream(op);
    if (!ran || !params_.overlapStreams) {
      ctrl_port->done(op);
      continue;
    }
    // The last pass has entered the array: the operand slots are free, the results follow.
    ctrl_port->releaseReads(op);
    draining_.emplace_back(
        op, sc_core::sc_time_stamp() + context_.cycles(params_.pipelineLatencyCycles));
    ev_draining_.notify(sc_core::SC_ZERO_TIME);
  }
}

void PeArray::drain() {
  while (true) {
    while (draining_.empty())
      sc_core::wait(ev_draining_);
    const sc_core::sc_time now = sc_core::sc_time_stamp(), at = draining_.front().second;
    if (at > now) sc_core::wait(at - now);
    ctrl_port->done(draining_.front().first);
    draining_.pop_front();
  }
}

bool PeArray::stream(const Op& op) {
  namespace f = isa::stream;
  const auto& in = op.instruction.field;
  const LayerState& L = ctrl_port->layer();
  auto fail = [&](const std::string& why) {
    ctrl_port->raise(ErrorCode::OperandError, op.pc,
                     fmt::format("{}: {}", isa::disassemble(op.instruction), why));
    return false;
  };
  const STile& s = ctrl_port->buffer().s.slot(static_cast<uint32_t>(in[f::SSlot]));
  const DTile& d = ctrl_port->buffer().d.slot(static_cast<uint32_t>(in[f::DSlot]));
  AccTile& acc = ctrl_port->buffer().acc.slot(static_cast<uint32_t>(in[f::AccSlot]));
  StreamShape shape;
  shape.firstTerm = static_cast<uint32_t>(in[f::FirstTerm]);
  shape.termCount = static_cast<uint32_t>(in[f::TermCount]);
  shape.clear = in[f::Clear] != 0;
  if (shape.termCount == 0) {
    if (!s.denseLoaded || L.terms > 0)
      return fail("dense stream needs a dense S tile in a dense layer");
  } else {
    for (uint32_t t = shape.firstTerm; t < shape.firstTerm + shape.termCount; ++t) {
      if (!s.termLoaded[t]) return fail(fmt::format("term {} is not in the S slot", t));
    }
  }
  if (!d.loaded) return fail("D slot is empty");
  if (s.ks != d.ks) return fail("S and D tiles cover different K ranges");
  if (shape.clear) {
    acc.rows = s.rows;
    acc.cols = d.cols;
    acc.valid = true;
  } else if (!acc.valid || acc.rows != s.rows || acc.cols != d.cols) {
    return fail("accumulator slot holds a different output tile");
  }
  shape.rows = s.rows.length;
  shape.cols = d.cols.length;
  shape.ks = s.ks.length;
  const uint64_t bytes = uint64_t{shape.rows} * shape.cols * L.accBytes();
  BufferSet& buffer = ctrl_port->buffer();
  if (bytes > buffer.acc.params().slotBytes()) {
    return fail(fmt::format("output tile needs {} bytes, accumulator slot holds {}", bytes,
                            buffer.acc.params().slotBytes()));
  }
  // With overlapping streams the fill and drain is not the array's time (run()).
  StreamCost cost = streamCost(params_, buffer.s.params(), buffer.d.params(), L, shape);
  if (params_.overlapStreams) cost = withFill(cost, 0);
  uint64_t cycles = cost.cycles, computeCycles = cost.computeCycles;
  if (rtl_) {
    if (L.dtype != tasd::DType::I8) return fail("the RTL PE array computes int8 values only");
    // The RTL takes its own cycles (SystemC time advances with its clock); a buffer-port limit
    // of the model still stretches the stream.
    computeCycles = rtl_->stream(L, s, d, acc, shape);
    cycles = std::max(computeCycles, cost.cycles > cost.computeCycles ? cost.cycles : 0);
    if (cycles > computeCycles) {
      sc_core::wait(context_.cycles(static_cast<double>(cycles - computeCycles)));
    }
  } else {
    if (context_.functional) streamCompute(L, s, d, acc, shape);
    sc_core::wait(context_.cycles(static_cast<double>(cost.cycles)));
  }
  busyCycles_ += cycles;
  *stalls_[static_cast<size_t>(StallReason::BufferBandwidth)] += cycles - computeCycles;
  ++streams_;
  passes_ += cost.passes;
  macOps_ += cost.macOps;
  denseMacs_ += cost.denseMacs;
  denseCycles_ += cost.denseCycles;
  for (uint32_t t = shape.firstTerm; t < shape.firstTerm + shape.termCount; ++t) {
    *termCycles_[t] += cost.termCycles[t];
    const tasd::NMPattern p = L.term[t].pattern;
    *termMacOps_[t] += uint64_t{shape.rows} * shape.cols * ((shape.ks + p.m - 1) / p.m) * p.n;
  }
  buffer.s.countRead(cost.sReadBytes, cost.sMetadataReadBytes);
  buffer.d.countRead(cost.dReadBytes);
  buffer.acc.countRead(cost.accReadBytes);
  buffer.acc.countWrite(cost.accWriteBytes);
  return true;
}

}  // namespace tasdsim::hw
