#pragma once
// Parameters of the TASD units (arch section `tasd_unit`), declared once: key, default, range,
// unit, description (hw/model/common/Params.h).
#include <cstdint>
#include <string>
#include <vector>

#include "hw/model/common/Params.h"

namespace tasdsim::hw {

// On-the-fly TASD of activation tiles: `count` units, each spends cyclesPerElement cycles per
// element of an m-block (m cycles per block for the paper's sequential selection).
struct TasdUnitParams {
  static constexpr const char* kSection = "tasd_unit";
  static constexpr Param<uint32_t> kCount{"count", 16,      0,
                                          1024,    "units", "TASD units (needs tasd_extension)"};
  static constexpr Param<uint32_t> kCyclesPerElement{
      "cycles_per_element",
      1,
      1,
      64,
      "cycles",
      "cycles per selection (a unit selects min(sum n, nonzeros) elements of a block; the RTL "
      "takes 1)"};
  static constexpr ChoiceParam kImpl{"impl", "model", "model, rtl",
                                     "C++ model or Verilated RTL (hw/rtl/tasd_unit)"};

  uint32_t count = kCount.def;
  uint32_t cyclesPerElement = kCyclesPerElement.def;
  std::string impl = kImpl.def;
  std::vector<std::string> validate() const;
  static std::vector<ParamInfo> declarations();
};

}  // namespace tasdsim::hw
