#pragma once
// Statistics of the PE array, declared once (hw/model/common/StatDecl.h).
#include <string>
#include <vector>

#include "hw/isa/Isa.h"
#include "hw/model/common/StatDecl.h"

namespace tasdsim::hw {

struct PeArrayStats {
  static constexpr StatDecl kBusyCycles{
      "pe_array", "busy_cycles", "cycles",
      "cycles taking passes (the fill and drain of overlapping streams follows outside them)"};
  static constexpr StatDecl kStreams{"pe_array", "streams", "streams",
                                     "STREAM instructions executed"};
  static constexpr StatDecl kPasses{"pe_array", "passes", "passes",
                                    "array passes (row group x column group)"};
  static constexpr StatDecl kMacOps{"pe_array", "mac_ops", "MACs",
                                    "MAC slots issued (n/m of dense per term)"};
  static constexpr StatDecl kDenseMacs{"pe_array", "dense_macs", "MACs",
                                       "dense-equivalent MACs of the tiles"};
  static constexpr StatDecl kDenseCycles{"pe_array", "dense_cycles", "cycles",
                                         "pass cycles of dense streams"};
  // Indexed by stall reason (stallReasonName): the reasons below.
  static constexpr StatDecl kStall{"pe_array", "stall.{}", "cycles",
                                   "cycles the array waited, by reason"};
  static constexpr StallReason kStallReasons[] = {
      StallReason::WaitOperands, StallReason::WaitTasdUnit, StallReason::WaitAccumulator,
      StallReason::BufferBandwidth};
  // Indexed by term, 0 .. isa::kMaxTerms - 1.
  static constexpr StatDecl kTermCycles{"pe_array", "term{}.cycles", "cycles",
                                        "pass cycles spent on term t"};
  static constexpr StatDecl kTermMacOps{"pe_array", "term{}.mac_ops", "MACs",
                                        "MAC slots issued for term t"};

  static std::vector<StatInfo> declarations() {
    std::vector<StatInfo> out =
        infosOf({kBusyCycles, kStreams, kPasses, kMacOps, kDenseMacs, kDenseCycles});
    for (StallReason r : kStallReasons)
      out.push_back(infoOf(kStall, stallReasonName(r)));
    for (uint32_t t = 0; t < isa::kMaxTerms; ++t) {
      out.push_back(infoOf(kTermCycles, t));
      out.push_back(infoOf(kTermMacOps, t));
    }
    return out;
  }
};

}  // namespace tasdsim::hw
