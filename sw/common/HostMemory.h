#pragma once
// How much memory this process may use: the smallest of the machine's physical memory, the
// cgroup memory limit (containers) and the address-space and data-segment limits (ulimit -v,
// ulimit -d). Work whose size estimate exceeds it is refused before anything is allocated.
#include <cstdint>

namespace tasdsim {

uint64_t hostMemoryLimitBytes();

}  // namespace tasdsim
