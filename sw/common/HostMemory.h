#pragma once
// How much memory this process may use: the smallest of the machine's physical memory, the
// cgroup memory limit (containers) and the address-space and data-segment limits (ulimit -v,
// ulimit -d). Work whose size estimate exceeds it is refused before anything is allocated.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tasdsim {

uint64_t hostMemoryLimitBytes();

// Asks for transparent huge pages over the whole 2 MiB pages inside [data, data + bytes) (a
// hint: without THP, or for small ranges, nothing changes). Given before the memory is first
// touched, a large buffer then faults in 2 MiB at a time instead of 4 KiB.
void adviseHugePages(void* data, size_t bytes);

// v resized to n value-initialised elements; a large buffer that must be allocated anew is
// advised huge pages before its elements are first written.
template <typename T>
void resizeLarge(std::vector<T>& v, size_t n) {
  constexpr size_t kLarge = size_t{4} << 20;
  if (n > v.capacity() && n * sizeof(T) >= kLarge) {
    std::vector<T> fresh;
    fresh.reserve(n);
    adviseHugePages(fresh.data(), n * sizeof(T));
    fresh.assign(v.begin(), v.end());
    v.swap(fresh);
  }
  v.resize(n);
}

}  // namespace tasdsim
