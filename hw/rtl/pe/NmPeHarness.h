#pragma once
// Drives the Verilated nm_pe (M = 8, N = 2) from SystemC: one stimulus per clock, results
// sampled on the falling edge. Free of SystemC and Verilator headers for its users.
// Elaborates SystemC: call once per process.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tasdsim::rtl {

constexpr int kNmPeM = 8;
constexpr int kNmPeN = 2;

struct NmPeStimulus {
  std::array<int8_t, kNmPeM> dense{};
  std::array<int8_t, kNmPeN> values{};
  std::array<uint8_t, kNmPeN> index{};
  bool clear = false;
};

// Returns out_acc after each stimulus. vcdPath empty: no waveform.
std::vector<int32_t> runNmPe(const std::vector<NmPeStimulus>& stimuli, const std::string& vcdPath = "");

}  // namespace tasdsim::rtl
