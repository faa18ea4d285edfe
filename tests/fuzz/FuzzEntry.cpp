// libFuzzer entry of one loader target; the build compiles this once per target with
// TASDSIM_FUZZ_TARGET set to the target's name (tests/fuzz/CMakeLists.txt).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "tests/fuzz/FuzzTargets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const tasdsim::fuzz::Target target = tasdsim::fuzz::targetByName(TASDSIM_FUZZ_TARGET);
  if (!target) std::abort();
  (void)target(data, size);
  return 0;
}
