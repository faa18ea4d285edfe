#pragma once
// Drives the Verilated pe (M = kPeMaxBlock, LANES = kPeLanes) from SystemC: one stimulus per
// clock cycle, outputs sampled after each rising edge. Free of SystemC and Verilator headers for
// its users. Elaborates SystemC: call once per process.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "hw/rtl/cosim/RtlParams.h"

namespace tasdsim::rtl {

constexpr int kHarnessM = static_cast<int>(kPeMaxBlock);
constexpr int kHarnessLanes = static_cast<int>(kPeLanes);

struct PeStimulus {
  bool valid = true;
  bool first = false;                                                // first slot group of a pass
  bool last = false;                                                 // last slot group of a pass
  std::array<std::array<int8_t, kHarnessM>, kHarnessLanes> dense{};  // each lane's dense block
  std::array<int8_t, kHarnessLanes> values{};
  std::array<uint8_t, kHarnessLanes> index{};
};

// A pass result: out_acc when out_valid was high, and the cycle (0 = the first stimulus's edge)
// whose edge registered it.
struct PeResult {
  uint64_t cycle = 0;
  int32_t acc = 0;
};

// Runs the stimuli (then two idle cycles) and returns every pass result. vcdPath empty: no
// waveform.
std::vector<PeResult> runPe(const std::vector<PeStimulus>& stimuli,
                            const std::string& vcdPath = "");

}  // namespace tasdsim::rtl
