#pragma once
// PeArray: rows x cols VEGETA-style PEs with `lanes` MAC units each (STREAM instructions).
//
// Ports: ctrl_port (UnitIf). Timing and mapping: see StreamMath.h; a stream takes the longer of
// its compute cycles and the cycles the S and D buffer ports need to feed it (the excess is
// counted as the buffer_bandwidth stall). With overlap_streams (the default) the array takes the
// next stream as soon as the last pass of the current one has entered it: the stream occupies
// the array for its passes (busy cycles), releases its S and D slots then, and completes (its
// accumulator tile written) pipeline_latency_cycles later, while the next stream runs. A stream
// accumulating onto the tile of the stream before it follows it directly (the partial sums
// leave the pipeline in the order the passes enter it). Without it, each stream holds the array
// for its fill and drain as well (the RTL array's behaviour). Function: accumulates the stream's
// terms into the accumulator slot (int8 x int8 -> int32 exactly; fp32/bf16 values with fp32
// accumulation). Stats: pe_array.{busy_cycles, streams, passes, mac_ops, dense_macs, dense_cycles},
// pe_array.term<t>.{cycles, mac_ops}, pe_array.stall.<reason>, buffer reads/writes.
// With impl: rtl the Verilated array (hw/rtl/pe_array) computes the values and its cycles are the
// stream's compute cycles; the buffer ports' limit applies on top as in the model.
#include <array>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include <systemc>

#include "hw/model/dataflow/Interfaces.h"
#include "hw/rtl/cosim/Cosim.h"

namespace tasdsim::hw {

class PeArray : public sc_core::sc_module {
 public:
  sc_core::sc_port<UnitIf> ctrl_port;

  PeArray(sc_core::sc_module_name name, const PeArrayParams& params, const BlockContext& context,
          StatsRegistry& stats, const rtl::CosimOptions& cosim = {});

 private:
  // The operation in flight: a member, not a local of the thread, so that what it holds stays
  // reachable (and is freed) when a simulation ends while the thread waits.
  Op op_;
  void run();
  bool stream(const Op& op);
  // Completes the streams in the pipeline, in order, when their results have drained.
  void drain();
  std::deque<std::pair<Op, sc_core::sc_time>> draining_;  // op, when its results are written
  sc_core::sc_event ev_draining_;

  const PeArrayParams params_;
  const BlockContext context_;
  std::vector<Counter*> stalls_;
  Counter& busyCycles_;
  Counter& streams_;
  Counter& passes_;
  Counter& macOps_;
  Counter& denseMacs_;
  Counter& denseCycles_;
  std::array<Counter*, isa::kMaxTerms> termCycles_{};
  std::array<Counter*, isa::kMaxTerms> termMacOps_{};
  std::unique_ptr<rtl::PeArrayRtl> rtl_;  // impl: rtl
};

}  // namespace tasdsim::hw
