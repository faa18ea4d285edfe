#include "sw/common/SerialWorker.h"

#include <system_error>
#include <utility>

namespace tasdsim {

SerialWorker::~SerialWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_one();
  if (thread_.joinable()) thread_.join();
  for (std::packaged_task<void()>& task : queue_)  // no thread could be started
    task();
}

std::future<void> SerialWorker::submit(std::function<void()> work) {
  std::packaged_task<void()> task(std::move(work));
  std::future<void> done = task.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(task));
  }
  if (!thread_.joinable()) {
    try {
      thread_ = std::thread([this] { loop(); });
    } catch (const std::system_error&) {
      // No thread: the work runs here, now (and so does anything queued before it).
      std::deque<std::packaged_task<void()>> now;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        now.swap(queue_);
      }
      for (std::packaged_task<void()>& t : now)
        t();
      return done;
    }
  }
  ready_.notify_one();
  return done;
}

void SerialWorker::loop() {
  for (;;) {
    std::packaged_task<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace tasdsim
