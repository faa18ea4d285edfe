#pragma once
// Runs a simulation in a fork()ed child process. SystemC elaborates only once per process, so
// every test that simulates does it in a child: the child runs fn, sends its result (bytes)
// through a pipe and _exit()s; a crash, a non-zero exit or a short read fails the test.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

namespace tasdsim::test {

// fn returns std::string (raw result bytes). Returns what the child sent, or fails the test.
template <typename Fn>
std::string runInChildBytes(Fn&& fn) {
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe() failed";
    return {};
  }
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    int code = 0;
    try {
      const std::string out = fn();
      const uint64_t size = out.size();
      if (write(fds[1], &size, sizeof size) != sizeof size) code = 10;
      size_t done = 0;
      while (code == 0 && done < out.size()) {
        const ssize_t w = write(fds[1], out.data() + done, out.size() - done);
        if (w <= 0) code = 11;
        done += static_cast<size_t>(w > 0 ? w : 0);
      }
    } catch (const std::exception& e) {
      fprintf(stderr, "child: exception: %s\n", e.what());
      code = 12;
    }
    close(fds[1]);
    fflush(stdout);
    fflush(stderr);
    _exit(code);
  }
  close(fds[1]);
  std::string result;
  uint64_t size = 0;
  bool ok = read(fds[0], &size, sizeof size) == sizeof size;
  if (ok) {
    result.resize(size);
    size_t done = 0;
    while (done < size) {
      const ssize_t r = read(fds[0], result.data() + done, size - done);
      if (r <= 0) break;
      done += static_cast<size_t>(r);
    }
    ok = done == size;
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    ADD_FAILURE() << "simulation child killed by signal " << WTERMSIG(status);
  } else if (WEXITSTATUS(status) != 0) {
    ADD_FAILURE() << "simulation child exited with status " << WEXITSTATUS(status);
  } else if (!ok) {
    ADD_FAILURE() << "short read from simulation child";
  }
  return result;
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
