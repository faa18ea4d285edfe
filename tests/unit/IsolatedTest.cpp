// The child runner (sw/runtime/Isolated.h): results and errors come back from the child as they
// were raised there, calls from several threads at once each get their own child's result, and a
// child may run children of its own.
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sw/common/Error.h"
#include "sw/runtime/Isolated.h"

namespace tasdsim {
namespace {

using runtime::runIsolated;
using runtime::runIsolatedParallel;

TEST(Isolated, UserErrorsStayUserErrorsAndInternalErrorsStayInternal) {
  EXPECT_EQ(runIsolated([] { return std::string("result\0bytes", 12); }),
            std::string("result\0bytes", 12));
  try {
    runIsolated([]() -> std::string { throw UserError("bad input in the child"); });
    ADD_FAILURE() << "no error";
  } catch (const UserError& e) {
    EXPECT_STREQ(e.what(), "bad input in the child");
  }
  try {
    runIsolated([]() -> std::string { throw std::logic_error("broken invariant"); });
    ADD_FAILURE() << "no error";
  } catch (const UserError& e) {
    ADD_FAILURE() << "an internal error became a user error: " << e.what();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "broken invariant");
  }
  EXPECT_THROW(runIsolatedParallel({[] { return std::string("ok"); },
                                    []() -> std::string { throw std::out_of_range("index"); }}),
               std::runtime_error);
}

TEST(Isolated, ThreadsEachGetTheirOwnChildsResult) {
  std::vector<std::thread> threads;
  std::vector<std::string> failures(4);
  for (size_t t = 0; t < failures.size(); ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 10; ++i) {
        const std::string want = std::to_string(t) + ":" + std::to_string(i);
        const std::string got = runIsolated([&] { return want; });
        if (got != want) failures[t] = "got " + got + ", want " + want;
      }
    });
  }
  for (std::thread& th : threads)
    th.join();
  for (const std::string& f : failures)
    EXPECT_EQ(f, "");
}

TEST(Isolated, AChildRunsChildrenOfItsOwn) {
  const std::string out = runIsolated([] {
    const std::vector<std::string> inner =
        runIsolatedParallel({[] { return std::string("a"); }, [] { return std::string("b"); }});
    return inner[0] + inner[1] + runIsolated([] { return std::string("c"); });
  });
  EXPECT_EQ(out, "abc");
}

}  // namespace
}  // namespace tasdsim
