#pragma once
// Clean stops on SIGINT, SIGTERM, SIGHUP, SIGPIPE and SIGXFSZ. installInterruptHandlers() (the
// tasdsim program does it at start) makes the first signal set a flag and wake a watchdog thread,
// which removes every output that is not complete yet (registered PendingOutputs: staging folders,
// temporary files) and ends the process with status 128 + signal, at once, wherever the work is: a
// long layer or a sweep point stops well within a second and leaves no half-written file behind.
// Outputs that were completed (committed) stay. A commit holds the same lock as the watchdog, so an
// output is either whole or gone. Code that wants to stop on its own (between steps) may check
// interruptRequested() or call throwIfInterrupted().
#include <filesystem>
#include <stdexcept>

namespace tasdsim {

class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(int signal);
  int signal() const { return signal_; }

 private:
  int signal_;
};

void installInterruptHandlers();
const char* signalName(int signal);  // "SIGINT", "SIGPIPE", ...
bool interruptRequested();
int interruptSignal();      // the signal received, 0 if none
void throwIfInterrupted();  // throws Interrupted when a signal was received

// A path that the watchdog removes if the process is interrupted before release().
class PendingOutput {
 public:
  explicit PendingOutput(std::filesystem::path path);
  ~PendingOutput();
  PendingOutput(const PendingOutput&) = delete;
  PendingOutput& operator=(const PendingOutput&) = delete;

  // Runs fn (the commit: a rename into place) unless interrupted, under the watchdog's lock,
  // then stops tracking the path. Throws Interrupted instead when a signal came first.
  template <typename Fn>
  void commit(Fn&& fn) {
    Lock lock;
    throwIfInterrupted();
    fn();
    releaseLocked();
  }

 private:
  struct Lock {
    Lock();
    ~Lock();
  };
  void releaseLocked();
  std::filesystem::path path_;
  bool tracked_ = true;
};

// In a fork()ed child: signals take their default action again (the child dies with its parent's
// Ctrl-C) and the child is killed when its parent exits.
void resetInterruptHandlersInChild();

}  // namespace tasdsim
