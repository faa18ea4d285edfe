#pragma once
// A stand-in dataflow controller for component benches: it feeds one unit a list of ops (the
// source), owns the buffers whose slots the test fills, and records completions and errors (the
// sink). It does the same dependency-free dispatch as the real controller on a single unit.
#include <deque>
#include <string>
#include <vector>

#include <systemc>

#include "hw/model/dataflow/Interfaces.h"
#include "hw/model/top/AcceleratorParams.h"

namespace tasdsim::test {

class BenchController : public sc_core::sc_module, public hw::UnitIf {
 public:
  BenchController(sc_core::sc_module_name name, const hw::AcceleratorParams& params,
                  hw::StatsRegistry& stats)
      : sc_module(name), buffer_(this->name(), params.buffer, stats) {}

  hw::LayerState layerState;
  std::vector<hw::Op> ops;  // the source

  // A configured layer of m x n x k in the given value type running the series (terms
  // precomputed unless the source is changed afterwards).
  hw::LayerState& configure(uint32_t m, uint32_t n, uint32_t k, tasd::DType dtype,
                            const tasd::Series& series) {
    hw::LayerState& L = layerState;
    L.configured = true;
    L.m = m;
    L.n = n;
    L.k = k;
    L.dtype = dtype;
    L.terms = static_cast<uint32_t>(series.order());
    for (uint32_t t = 0; t < L.terms; ++t)
      L.term[t] = hw::TermConfig{true, series.terms[t], 0, 0};
    return L;
  }
  std::vector<std::pair<uint64_t, double>> completions;  // pc, time in ns
  std::string error;
  sc_core::sc_event ev_done;

  bool next(hw::UnitKind, hw::Op& op, std::vector<hw::Counter*>&) override {
    while (cursor_ >= ops.size())
      sc_core::wait(ev_never_);
    op = ops[cursor_++];
    return error.empty();
  }
  void done(const hw::Op& op) override {
    completions.emplace_back(op.pc, sc_core::sc_time_stamp().to_seconds() * 1e9);
    if (completions.size() == ops.size()) ev_done.notify();
  }
  // Ops have no dependencies here: their reads complete with them.
  void releaseReads(hw::Op&) override {}
  void raise(hw::ErrorCode, uint64_t pc, const std::string& detail) override {
    if (error.empty()) error = "pc " + std::to_string(pc) + ": " + detail;
  }
  bool failed() const override { return !error.empty(); }
  const hw::LayerState& layer() const override { return layerState; }
  hw::BufferSet& buffer() override { return buffer_; }
  hw::UnitKind lastWriter(hw::Resource) const override { return hw::UnitKind::Load; }

 private:
  hw::BufferSet buffer_;
  size_t cursor_ = 0;
  sc_core::sc_event ev_never_;
};

}  // namespace tasdsim::test
