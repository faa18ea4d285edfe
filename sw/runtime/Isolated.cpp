#include "sw/runtime/Isolated.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <exception>

#include "sw/common/Error.h"
#include "sw/common/Interrupt.h"

namespace tasdsim::runtime {
namespace {

bool writeAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t w = write(fd, data, size);
    if (w <= 0) return false;
    data += w;
    size -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

std::string runIsolated(const std::function<std::string()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) throw UserError("cannot create a pipe for a child simulation");
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw UserError("cannot fork a child simulation");
  if (pid == 0) {
    resetInterruptHandlersInChild();
    close(fds[0]);
    std::string out;
    char status = 'o';
    try {
      out = fn();
    } catch (const std::exception& e) {
      out = e.what();
      status = 'e';
    }
    const uint64_t size = out.size();
    const bool ok = writeAll(fds[1], &status, 1) && writeAll(fds[1], reinterpret_cast<const char*>(&size), sizeof size) &&
                    writeAll(fds[1], out.data(), out.size());
    close(fds[1]);
    std::fflush(nullptr);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  char status = 0;
  uint64_t size = 0;
  std::string out;
  bool ok = read(fds[0], &status, 1) == 1 && read(fds[0], &size, sizeof size) == sizeof size;
  if (ok) {
    out.resize(size);
    size_t done = 0;
    while (done < size) {
      const ssize_t r = read(fds[0], out.data() + done, size - done);
      if (r <= 0) break;
      done += static_cast<size_t>(r);
    }
    ok = done == size;
  }
  close(fds[0]);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  if (!ok || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    throw UserError(WIFSIGNALED(wstatus) ? "child simulation crashed" : "child simulation failed");
  }
  if (status == 'e') throw UserError(out);
  return out;
}

}  // namespace tasdsim::runtime
