#pragma once
// Runs a simulation in a fork()ed child process. SystemC elaborates only once per process, so
// every test that simulates does it in a child, through the runtime's child runner
// (sw/runtime/Isolated.h): the child runs fn and sends its result (bytes) back; an exception, a
// crash, a non-zero exit or a short read fails the test.
#include <cstring>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "sw/runtime/Isolated.h"

namespace tasdsim::test {

// fn returns std::string (raw result bytes). Returns what the child sent, or fails the test.
template <typename Fn>
std::string runInChildBytes(Fn&& fn) {
  try {
    return runtime::runIsolated(std::function<std::string()>(std::forward<Fn>(fn)));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "simulation child: " << e.what();
    return {};
  }
}

// Convenience for a vector of trivially copyable values.
template <typename T, typename Fn>
std::vector<T> runInChildVector(Fn&& fn) {
  static_assert(std::is_trivially_copyable_v<T>);
  const std::string bytes = runInChildBytes([&] {
    const std::vector<T> v = fn();
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  });
  std::vector<T> out(bytes.size() / sizeof(T));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

}  // namespace tasdsim::test
