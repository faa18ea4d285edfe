#include "sw/common/ParallelFor.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <system_error>
#include <thread>
#include <vector>

namespace tasdsim {

void parallelFor(size_t count, size_t threads, const std::function<void(size_t)>& fn) {
  threads = std::max<size_t>(1, std::min(threads, count));
  std::atomic<size_t> next{0};
  std::vector<std::exception_ptr> errors(threads);
  auto work = [&](size_t t) {
    try {
      for (size_t i = next++; i < count; i = next++)
        fn(i);
    } catch (...) {
      errors[t] = std::current_exception();
      next = count;
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(work, t);
    } catch (const std::system_error&) {
      break;  // fewer threads: the ones started (and this one) take every piece
    }
  }
  work(0);
  for (std::thread& th : pool)
    th.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

size_t hostThreads() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<size_t>(n);
  }
  return std::max<size_t>(1, std::thread::hardware_concurrency());
}

}  // namespace tasdsim
