#pragma once
// What the dataflow controller checks microcode against. It has no arch keys of its own: the
// accelerator derives these from the engine's keys (max_terms, tasd_extension), the PE array's
// patterns, whether there are TASD units, and the decoder's queue depth, the depth of every
// unit's queue (hw/model/top/Accelerator.cpp).
#include <cstdint>
#include <vector>

#include "hw/model/pe_array/PeArrayParams.h"

namespace tasdsim::hw {

struct DataflowParams {
  uint32_t maxTerms = 3;                  // longest series a layer may configure
  bool tasdExtension = true;              // multi-term STREAMs and on-the-fly S allowed
  bool tasdUnits = true;                  // the engine has TASD units
  std::vector<tasd::NMPattern> patterns;  // the PE array's N:M patterns (dense always)
  uint32_t queueDepth = 16;               // instructions queued per unit

  bool supports(const tasd::NMPattern& p) const { return supportsPattern(patterns, p); }
};

}  // namespace tasdsim::hw
