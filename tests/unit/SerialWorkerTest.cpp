#include "sw/common/SerialWorker.h"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace tasdsim {
namespace {

TEST(SerialWorker, RunsTheWorkInSubmissionOrderOnAnotherThread) {
  SerialWorker worker;
  std::vector<int> order;  // written by the worker only, read after every future
  std::vector<std::future<void>> done;
  std::thread::id ranOn;
  for (int i = 0; i < 100; ++i) {
    done.push_back(worker.submit([&, i] {
      if (i == 0) ranOn = std::this_thread::get_id();
      order.push_back(i);
    }));
  }
  for (std::future<void>& f : done)
    f.get();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(order[static_cast<size_t>(i)], i);
  EXPECT_NE(ranOn, std::this_thread::get_id());
}

TEST(SerialWorker, AnErrorReachesItsFutureAndTheWorkAfterItStillRuns) {
  SerialWorker worker;
  std::future<void> failing = worker.submit([] { throw std::runtime_error("reference failed"); });
  bool after = false;
  std::future<void> next = worker.submit([&] { after = true; });
  EXPECT_THROW(failing.get(), std::runtime_error);
  next.get();
  EXPECT_TRUE(after);
}

TEST(SerialWorker, TheDestructorRunsWhatIsQueued) {
  std::atomic<int> ran{0};
  {
    SerialWorker worker;
    for (int i = 0; i < 20; ++i) {
      worker.submit([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ++ran;
      });
    }
  }
  EXPECT_EQ(ran.load(), 20);
}

}  // namespace
}  // namespace tasdsim
