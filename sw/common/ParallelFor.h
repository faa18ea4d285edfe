#pragma once
// Runs independent pieces of work on the host's cores: fn(i) for i in [0, count), in at most
// `threads` threads (the caller's included), pieces taken in index order. The first exception
// stops the remaining pieces and is rethrown after every thread has joined. When the system
// refuses a thread, the pieces run on the threads that did start (never an error).
#include <cstddef>
#include <functional>

namespace tasdsim {

void parallelFor(size_t count, size_t threads, const std::function<void(size_t)>& fn);

// The cores this process may use (at least 1).
size_t hostThreads();

}  // namespace tasdsim
