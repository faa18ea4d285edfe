#pragma once
// Runs a function over many inputs of one model in worker threads, each with its own executor
// and hook.
#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "sw/common/Error.h"
#include "sw/executor/Executor.h"
#include "sw/model/Graph.h"

namespace tasdsim::executor {

// Runs fn(executor, image index) over images 0..images-1 in `threads` threads, each with its
// own executor and hook (made by makeHook); returns the hooks (one per thread). The first
// exception stops the work and is rethrown.
template <typename Hook, typename MakeHook, typename Fn>
std::vector<std::unique_ptr<Hook>> parallelRun(std::shared_ptr<const model::Graph> graph,
                                               size_t images, size_t threads, MakeHook makeHook,
                                               Fn fn) {
  threads = std::max<size_t>(1, std::min(threads, images));
  std::vector<std::unique_ptr<Hook>> hooks;
  std::vector<std::unique_ptr<Executor>> executors;
  for (size_t t = 0; t < threads; ++t) {
    hooks.push_back(makeHook());
    executors.push_back(std::make_unique<Executor>(graph));
    executors.back()->setHook(hooks.back().get());
  }
  std::atomic<size_t> next{0};
  std::vector<std::exception_ptr> errors(threads);
  auto work = [&](size_t t) {
    try {
      for (size_t i = next++; i < images; i = next++)
        fn(*executors[t], i);
    } catch (...) {
      errors[t] = std::current_exception();
      next = images;
    }
  };
  std::vector<std::thread> pool;
  try {
    for (size_t t = 1; t < threads; ++t)
      pool.emplace_back(work, t);
  } catch (const std::system_error& e) {
    // The system refused a thread: stop and join the ones started, then say so.
    next = images;
    for (std::thread& th : pool)
      th.join();
    throw UserError(std::string("cannot start ") + std::to_string(threads) + " worker threads (" +
                    e.what() + "); use fewer (--threads)");
  }
  work(0);
  for (std::thread& th : pool)
    th.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  // Each hook saw its own executor's layers; executor 0's layer list is the reference.
  return hooks;
}

}  // namespace tasdsim::executor
