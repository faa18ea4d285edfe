#pragma once
// Statistics of the microcode decoder, declared once (hw/model/common/StatDecl.h).
#include <string>
#include <vector>

#include "hw/model/common/StatDecl.h"

namespace tasdsim::hw {

struct DecoderStats {
  static constexpr StatDecl kInstructions{"decoder", "instructions", "instructions",
                                          "instructions decoded"};
  static constexpr StatDecl kFetchBytes{"decoder", "fetch_bytes", "bytes",
                                        "microcode bytes fetched"};
  static constexpr StatDecl kFetches{"decoder", "fetches", "requests", "microcode fetch bursts"};
  static constexpr StatDecl kPrograms{"decoder", "programs", "programs", "programs run"};
  static constexpr StatDecl kErrors{"decoder", "errors", "programs", "programs ended by an error"};

  static std::vector<StatInfo> declarations() {
    return infosOf({kInstructions, kFetchBytes, kFetches, kPrograms, kErrors});
  }
};

}  // namespace tasdsim::hw
