#pragma once
// A stand-in dataflow controller for component benches: it feeds one unit a list of ops (the
// source), owns the buffer slots the test fills, and records completions and errors (the
// sink). It does the same dependency-free dispatch as the real controller on a single unit.
#include <deque>
#include <string>
#include <vector>

#include <systemc>

#include "hw/model/dataflow/Interfaces.h"

namespace tasdsim::test {

class BenchController : public sc_core::sc_module, public hw::UnitIf {
 public:
  BenchController(sc_core::sc_module_name name, const hw::AcceleratorParams& params,
                  hw::StatsRegistry& stats)
      : sc_module(name), params_(params) {
    auto c = [&](const char* n) {
      return &stats.add(std::string(this->name()) + "." + n, "bytes", "bench buffer");
    };
    buffers_ = hw::BufferStats{c("s_read"),  c("s_write"),  c("d_read"),
                               c("d_write"), c("acc_read"), c("acc_write")};
  }

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
  void raise(hw::ErrorCode, uint64_t pc, const std::string& detail) override {
    if (error.empty()) error = "pc " + std::to_string(pc) + ": " + detail;
  }
  bool failed() const override { return !error.empty(); }
  const hw::LayerState& layer() const override { return layerState; }
  const hw::AcceleratorParams& params() const override { return params_; }
  hw::STile& sSlot(uint32_t slot) override { return s_[slot & 1]; }
  hw::DTile& dSlot(uint32_t slot) override { return d_[slot & 1]; }
  hw::AccTile& accSlot(uint32_t slot) override { return acc_[slot & 1]; }
  hw::UnitKind lastWriter(hw::Resource) const override { return hw::UnitKind::Load; }
  const hw::BufferStats& buffers() const override { return buffers_; }

 private:
  hw::AcceleratorParams params_;
  hw::STile s_[2];
  hw::DTile d_[2];
  hw::AccTile acc_[2];
  hw::BufferStats buffers_;
  size_t cursor_ = 0;
  sc_core::sc_event ev_never_;
};

}  // namespace tasdsim::test
