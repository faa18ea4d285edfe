#include "sw/common/Interrupt.h"

#include <semaphore.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tasdsim {
namespace {

std::atomic<int> gSignal{0};
sem_t gWake;
std::mutex gMutex;  // guards gPending and commits
std::vector<std::filesystem::path>& pending() {
  static std::vector<std::filesystem::path> paths;
  return paths;
}

// The signals that stop a run cleanly: an interrupt or termination request, a closed terminal
// (SIGHUP), a closed output pipe (SIGPIPE, e.g. `tasdsim ... | head`) and the file size limit
// (SIGXFSZ, ulimit -f). Each would otherwise kill the process with its outputs half written.
constexpr int kHandledSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXFSZ};

void onSignal(int sig) {
  int expected = 0;
  gSignal.compare_exchange_strong(expected, sig);
  sem_post(&gWake);  // async-signal-safe
}

void watchdog() {
  while (sem_wait(&gWake) != 0) {
  }
  const int sig = gSignal.load();
  gMutex.lock();  // no commit is half done; none starts after this
  for (const std::filesystem::path& p : pending()) {
    std::error_code ec;
    std::filesystem::remove_all(p, ec);
  }
  const std::string msg =
      std::string("tasdsim: interrupted (") + signalName(sig) + "); unfinished outputs removed\n";
  (void)!write(STDERR_FILENO, msg.data(), msg.size());
  _exit(128 + sig);
}

}  // namespace

const char* signalName(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    case SIGPIPE:
      return "SIGPIPE";
    case SIGXFSZ:
      return "SIGXFSZ";
    default:
      return "signal";
  }
}

Interrupted::Interrupted(int signal)
    : std::runtime_error(std::string("interrupted (") + signalName(signal) + ")"),
      signal_(signal) {}

void installInterruptHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    sem_init(&gWake, 0, 0);
    std::thread(watchdog).detach();
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int sig : kHandledSignals)
      sigaction(sig, &sa, nullptr);
  });
}

bool interruptRequested() {
  return gSignal.load(std::memory_order_relaxed) != 0;
}
int interruptSignal() {
  return gSignal.load();
}

void throwIfInterrupted() {
  if (const int sig = gSignal.load()) throw Interrupted(sig);
}

PendingOutput::Lock::Lock() {
  gMutex.lock();
}
PendingOutput::Lock::~Lock() {
  gMutex.unlock();
}

PendingOutput::PendingOutput(std::filesystem::path path) : path_(std::move(path)) {
  std::lock_guard<std::mutex> lock(gMutex);
  pending().push_back(path_);
}

PendingOutput::~PendingOutput() {
  if (!tracked_) return;
  std::lock_guard<std::mutex> lock(gMutex);
  releaseLocked();
}

void PendingOutput::releaseLocked() {
  if (!tracked_) return;
  auto& v = pending();
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (*it == path_) {
      v.erase(it);
      break;
    }
  }
  tracked_ = false;
}

void resetInterruptHandlersInChild() {
  for (int sig : kHandledSignals)
    signal(sig, SIG_DFL);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) _exit(1);  // the parent is already gone
}

}  // namespace tasdsim
