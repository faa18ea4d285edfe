#include "sw/common/ParallelFor.h"

#include <atomic>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace tasdsim {
namespace {

TEST(ParallelFor, EveryPieceRunsExactlyOnce) {
  for (const size_t threads : {size_t{1}, size_t{2}, size_t{7}}) {
    for (const size_t count : {size_t{0}, size_t{1}, size_t{3}, size_t{1000}}) {
      std::vector<std::atomic<int>> runs(count);
      parallelFor(count, threads, [&](size_t i) { ++runs[i]; });
      for (size_t i = 0; i < count; ++i)
        ASSERT_EQ(runs[i].load(), 1) << "piece " << i << " of " << count << ", " << threads;
    }
  }
}

TEST(ParallelFor, AnErrorIsRethrownAndStopsThePiecesNotYetStarted) {
  // One thread: the pieces after the failing one never start.
  size_t ran = 0;
  EXPECT_THROW(parallelFor(100, 1,
                           [&](size_t i) {
                             ++ran;
                             if (i == 5) throw std::runtime_error("piece 5");
                           }),
               std::runtime_error);
  EXPECT_EQ(ran, 6u);
  // Several threads: the error reaches the caller after every thread has joined.
  for (int trial = 0; trial < 20; ++trial) {
    EXPECT_THROW(parallelFor(1000, 3,
                             [&](size_t i) {
                               if (i % 97 == 5) throw std::runtime_error("piece");
                             }),
                 std::runtime_error);
  }
  EXPECT_GE(hostThreads(), 1u);
}

}  // namespace
}  // namespace tasdsim
