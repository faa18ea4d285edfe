#include "sw/common/HostMemory.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>

#include "sw/common/Checked.h"

namespace tasdsim {
namespace {

uint64_t physicalMemory() {
  const long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageSize <= 0) return UINT64_MAX;
  return checkedMul(static_cast<uint64_t>(pages), static_cast<uint64_t>(pageSize))
      .value_or(UINT64_MAX);
}

// cgroup v2 memory.max of this process's cgroup ("max" or absent: no limit).
uint64_t cgroupLimit() {
  std::ifstream in("/sys/fs/cgroup/memory.max");
  std::string text;
  if (!(in >> text) || text == "max") return UINT64_MAX;
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    return UINT64_MAX;
  }
}

uint64_t resourceLimit(int resource) {
  rlimit r{};
  if (getrlimit(resource, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
  return static_cast<uint64_t>(r.rlim_cur);
}

}  // namespace

uint64_t hostMemoryLimitBytes() {
  return std::min(
      {physicalMemory(), cgroupLimit(), resourceLimit(RLIMIT_AS), resourceLimit(RLIMIT_DATA)});
}

void adviseHugePages(void* data, size_t bytes) {
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

namespace {
std::atomic<bool> largeFromHeap{false};
}

bool reuseLargeAllocations() {
#if defined(__GLIBC__)
  for (const char* v : {"TASDSIM_SYSTEM_MALLOC", "GLIBC_TUNABLES", "MALLOC_MMAP_THRESHOLD_"})
    if (std::getenv(v)) return false;
  if (mallopt(M_MMAP_THRESHOLD, 1 << 30) != 1) return false;
  largeFromHeap = true;
  return true;
#else
  return false;
#endif
}

void releaseFreeHeapBeforeFork() {
#if defined(__GLIBC__)
  if (largeFromHeap) (void)malloc_trim(0);
#endif
}

void defaultLargeAllocationsInChild() {
#if defined(__GLIBC__)
  if (largeFromHeap) (void)mallopt(M_MMAP_THRESHOLD, 128 << 10);  // glibc's initial threshold
#endif
}

}  // namespace tasdsim
