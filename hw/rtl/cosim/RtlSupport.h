#pragma once
// Which parameter combinations the Verilated RTL blocks cover. Plain C++ (no SystemC): the arch
// config and the simulation entry check a run against it before anything is elaborated, so an
// unsupported `impl: rtl` is a UserError naming what is supported, never a crash.
//
// What the RTL covers (hw/rtl/CMakeLists.txt fixes the Verilated parameters):
//   pe_array    rows x cols one of the Verilated variants (4x4 and 8x8 by default;
//   hw/rtl/CMakeLists.txt), lanes 4, patterns
//               with m <= 8, int8 values (int32 accumulators)
//   tasd_unit  cycles_per_element 1 (one selection per cycle), at most 64 units, any pattern
//               (m <= 32), every value type; needs values (not a timing-only run)
//   decoder     cycles_per_instruction 1
#include <string>
#include <vector>

#include "hw/model/top/AcceleratorParams.h"
#include "sw/tasd/DType.h"

namespace tasdsim::rtl {

constexpr uint32_t kMaxRtlTasdUnit = 64;

struct ArraySize {
  uint32_t rows = 0;
  uint32_t cols = 0;
};

// The Verilated PE array variants.
std::vector<ArraySize> peArrayVariants();
// "4x4, 8x8, 16x16"
std::string peArrayVariantList();

// Problems of one block's parameters with impl: rtl (empty when supported or impl: model). Each
// names the key, the bad value and what the RTL supports.
std::vector<std::string> peArrayProblems(const hw::PeArrayParams& pe);
std::vector<std::string> tasdUnitProblems(const hw::TasdUnitParams& tasd);
std::vector<std::string> decoderProblems(const hw::DecoderParams& decoder);
std::vector<std::string> archProblems(const hw::AcceleratorParams& params);

bool anyRtl(const hw::AcceleratorParams& params);

// Problems of a run: the blocks' parameters, the value type (the RTL PE array is int8), a
// timing-only run (the RTL TASD units need values) and a waveform request without RTL blocks.
std::vector<std::string> runProblems(const hw::AcceleratorParams& params, tasd::DType dtype,
                                     bool functional, bool trace);

// Throws UserError listing runProblems() when there are any.
void checkRun(const hw::AcceleratorParams& params, tasd::DType dtype, bool functional, bool trace);

}  // namespace tasdsim::rtl
