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

// glibc maps every allocation of 32 MiB or more anew and unmaps it when freed, so a process that
// allocates and frees large buffers over and over gets fresh pages that the kernel zero-fills on
// first touch each time. This serves large allocations from the heap instead, where freed memory
// is reused (free memory at the heap's top is still returned to the kernel): for long-lived
// processes such as the Python module. Nothing changes, and false is returned, when the process
// set its own malloc tunables (GLIBC_TUNABLES, MALLOC_MMAP_THRESHOLD_), TASDSIM_SYSTEM_MALLOC is
// set, or the C library is not glibc.
bool reuseLargeAllocations();
// Before fork() in such a process: the free heap returned to the kernel, so that the child does
// not inherit (and the fork does not copy the page tables of) memory nobody uses.
void releaseFreeHeapBeforeFork();
// In a fork()ed child of such a process: large allocations mapped again (glibc's default), so
// that the child does not reuse, and copy on write, the parent's freed heap.
void defaultLargeAllocationsInChild();

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
