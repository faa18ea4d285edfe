#pragma once
// Statistics of the TASD units, declared once (hw/model/common/StatDecl.h).
#include <string>
#include <vector>

#include "hw/model/common/StatDecl.h"

namespace tasdsim::hw {

struct TasdUnitStats {
  static constexpr StatDecl kBusyCycles{"tasd_unit", "busy_cycles", "cycles",
                                        "cycles decomposing tiles"};
  static constexpr StatDecl kTiles{"tasd_unit", "tiles", "tiles", "activation tiles decomposed"};
  static constexpr StatDecl kBlocks{"tasd_unit", "blocks", "blocks", "m-blocks processed"};
  static constexpr StatDecl kCompareOps{"tasd_unit", "compare_ops", "compares",
                                        "element comparisons"};
  static constexpr StatDecl kThresholded{"tasd_unit", "thresholded", "elements",
                                         "nonzeros zeroed by the pseudo-density threshold"};
  static constexpr StatDecl kStallWaitOperands{"tasd_unit", "stall.wait_operands", "cycles",
                                               "waiting for the dense activation tile"};
  static constexpr StatDecl kStallWaitBufferFree{
      "tasd_unit", "stall.wait_buffer_free", "cycles",
      "waiting for the PE array to finish reading the S slot's previous terms"};

  static std::vector<StatInfo> declarations() {
    return infosOf({kBusyCycles, kTiles, kBlocks, kCompareOps, kThresholded, kStallWaitOperands,
                    kStallWaitBufferFree});
  }
};

}  // namespace tasdsim::hw
