#pragma once
// The simulated accelerator as the executor's GEMM backend. Every Conv, Gemm and MatMul layer
// runs on the SystemC model through the host runtime, in named stages:
//   planLayer      per group, one GemmJob: which operand is structured (S) and which dense (D)
//                  under the plan, TASD-W terms or TASD-A on the fly, the device memory layout;
//   placeOperands  the operands in the run's value type (bf16 rounding, int8 quantisation), the
//                  TASD-W decomposition, and the bytes written to device memory;
//   runOnDevice    microcode, doorbell, completion, counter deltas and energy;
//   collect        results read back and handed to the executor;
//   reference      on the reference thread, while the executor goes on: the reference's
//                  approximation of S (the independent decomposer) and the layer's quality, and
//                  the results checked against a reference GEMM on the same approximated
//                  operands. A layer's result is complete when its reference work is done.
// A timing-only run plans and runs the same jobs without values (no reference work).
//
// Structured operand: W (the plan's operand W) is the layer's second operand: precomputed terms
// when its weights are constant, decomposed on the fly by the TASD units otherwise (a MatMul of
// two activations). A is the first operand (activations), decomposed on the fly. S is the GEMM's
// left operand on the device, so with S = W the device computes C^T.
//
// Reference check: int8 results must equal the reference exactly (int8 x int8 -> int32); fp32
// and bf16 results must satisfy |c - ref| <= 2 K eps sum_k |s_k d_k| bound per element (a
// rigorous bound on reordered fp32 sums, eps = 2^-24, evaluated with row norms) and a relative
// Frobenius error of at most 1e-5 (growing with sqrt(K)) over the whole output.
#include <memory>
#include <vector>

#include "hw/model/energy/EnergyModel.h"
#include "hw/model/top/AcceleratorParams.h"
#include "sw/executor/GemmHook.h"
#include "sw/plan/Plan.h"
#include "sw/runtime/Host.h"
#include "sw/runtime/Results.h"

namespace tasdsim::hw {
class System;
class StatsRegistry;
}  // namespace tasdsim::hw

namespace tasdsim::runtime {

class AcceleratorBackend : public executor::GemmBackend {
 public:
  AcceleratorBackend(Host& host, const hw::AcceleratorParams& params, const hw::EnergyTable& energy,
                     const plan::Plan& plan, const RunOptions& options, hw::System& system,
                     hw::StatsRegistry& stats);
  ~AcceleratorBackend() override;

  // Functional: computes every group's C (executor::GemmBackend); static int8 layers fold the
  // bias (and a following ReLU) into the device's output path.
  bool runLayer(const executor::GemmLayer& layer, std::vector<executor::GemmOperands>& groups,
                const executor::LayerEpilogue& epilogue) override;
  // Timing only: the same jobs without values.
  void runTiming(const executor::GemmLayer& layer);

  // The results of the layers run since the last call whose reference work is done, in run
  // order (a layer run twice in one pass of a graph appears twice); with `wait`, every layer's,
  // after its reference work. A failure of the reference work is rethrown here.
  std::vector<LayerResult> takeResults(bool wait = false);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tasdsim::runtime
