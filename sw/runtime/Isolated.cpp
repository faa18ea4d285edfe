#include "sw/runtime/Isolated.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/HostMemory.h"
#include "sw/common/Interrupt.h"

namespace tasdsim::runtime {
namespace {

// The progress pipe of the current child of runIsolatedParallel (-1 elsewhere).
int progressFd = -1;

// Held from creating a child's pipes until the parent has closed its copies of their write ends,
// so that a child another thread forks meanwhile cannot inherit them (a result pipe whose write
// end lives on in an unrelated child reaches end-of-file only when that child exits). A child
// starts with a fresh lock: the one it inherited is held by its parent's thread.
std::recursive_mutex* forkLock = new std::recursive_mutex;

bool writeAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t w = write(fd, data, size);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    size -= static_cast<size_t>(w);
  }
  return true;
}

bool readAll(int fd, char* data, size_t size) {
  while (size > 0) {
    const ssize_t r = read(fd, data, size);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    data += r;
    size -= static_cast<size_t>(r);
  }
  return true;
}

struct Child {
  pid_t pid = -1;
  int fd = -1;  // the result pipe's read end
};

// Forks a child that runs fn and writes a status byte ('o' ok, 'e' error), the result's size
// and the result (or the error message) to a pipe.
Child start(const std::function<std::string()>& fn, int progressWrite) {
  const std::lock_guard<std::recursive_mutex> lock(*forkLock);
  int fds[2];
  if (pipe(fds) != 0)
    throw UserError(
        fmt::format("cannot create a pipe for a child simulation: {}", std::strerror(errno)));
  std::fflush(nullptr);
  releaseFreeHeapBeforeFork();
  const pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    close(fds[0]);
    close(fds[1]);
    throw UserError(fmt::format("cannot fork a child simulation: {}", std::strerror(e)));
  }
  if (pid == 0) {
    forkLock = new std::recursive_mutex;  // the inherited one stays locked; never unlocked here
    resetInterruptHandlersInChild();
    defaultLargeAllocationsInChild();
    close(fds[0]);
    progressFd = progressWrite;
    std::string out;
    char status = 'o';
    try {
      out = fn();
    } catch (const UserError& e) {
      out = e.what();
      status = 'u';
    } catch (const Interrupted& e) {
      out = e.what();
      status = 'u';
    } catch (const std::exception& e) {
      out = e.what();
      status = 'e';  // an internal error stays one in the parent
    }
    // The progress pipe closes first: the parent reads progress until every child has closed it,
    // and only then the results.
    if (progressWrite >= 0) close(progressWrite);
    const uint64_t size = out.size();
    const bool ok = writeAll(fds[1], &status, 1) &&
                    writeAll(fds[1], reinterpret_cast<const char*>(&size), sizeof size) &&
                    writeAll(fds[1], out.data(), out.size());
    close(fds[1]);
    std::fflush(nullptr);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  return Child{pid, fds[0]};
}

// Reads a child's result and waits for it; throws UserError when it failed.
std::string finish(const Child& c) {
  char status = 0;
  uint64_t size = 0;
  std::string out;
  bool ok = readAll(c.fd, &status, 1) && readAll(c.fd, reinterpret_cast<char*>(&size), sizeof size);
  if (ok) {
    out.resize(size);
    ok = readAll(c.fd, out.data(), size);
  }
  close(c.fd);
  int wstatus = 0;
  while (waitpid(c.pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!ok || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    if (WIFSIGNALED(wstatus))
      throw UserError(fmt::format("child simulation crashed ({})", strsignal(WTERMSIG(wstatus))));
    throw UserError("child simulation failed");
  }
  if (status == 'u') throw UserError(out);
  if (status == 'e') throw std::runtime_error(out);
  return out;
}

}  // namespace

std::string runIsolated(const std::function<std::string()>& fn) {
  return finish(start(fn, -1));
}

std::vector<std::string> runIsolatedParallel(const std::vector<std::function<std::string()>>& fns,
                                             const std::function<void(size_t done)>& onProgress) {
  std::unique_lock<std::recursive_mutex> lock(*forkLock);  // until progress[1] is closed
  int progress[2] = {-1, -1};
  if (pipe(progress) != 0)
    throw UserError(fmt::format("cannot create a progress pipe: {}", std::strerror(errno)));
  std::vector<Child> children;
  std::exception_ptr error;
  try {
    for (const auto& fn : fns)
      children.push_back(start(fn, progress[1]));
  } catch (...) {
    error = std::current_exception();
  }
  close(progress[1]);
  lock.unlock();
  // Progress bytes until every child has closed its end of the pipe (it exits).
  size_t done = 0;
  char buffer[256];
  for (;;) {
    const ssize_t r = read(progress[0], buffer, sizeof buffer);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += static_cast<size_t>(r);
    if (onProgress) onProgress(done);
  }
  close(progress[0]);
  std::vector<std::string> results;
  for (const Child& c : children) {
    try {
      results.push_back(finish(c));
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  return results;
}

void reportIsolatedProgress() {
  if (progressFd < 0) return;
  const char unit = 1;
  (void)!write(progressFd, &unit, 1);
}

}  // namespace tasdsim::runtime
