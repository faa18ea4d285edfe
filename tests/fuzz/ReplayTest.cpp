// Replays the saved fuzzer findings (tests/fuzz/regressions/<target>/, each once a crash, hang
// or leak, now fixed) and every seed input through the fuzz targets in the normal build. A
// target that crashes or lets an exception other than UserError escape fails the test.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sw/common/FileUtil.h"
#include "sw/runtime/Isolated.h"
#include "tests/fuzz/FuzzTargets.h"
#include "tests/fuzz/MicrocodeRun.h"

namespace fs = std::filesystem;
using namespace tasdsim;

namespace {

const fs::path kRegressions = fs::path(TASDSIM_SOURCE_DIR) / "tests" / "fuzz" / "regressions";

std::vector<fuzz::Input> findingsOf(const std::string& target) {
  std::vector<fuzz::Input> inputs;
  std::error_code ec;
  if (fs::is_directory(kRegressions / target, ec)) {
    for (const auto& e : fs::directory_iterator(kRegressions / target)) {
      if (e.is_regular_file())
        inputs.push_back({"regressions/" + target + "/" + e.path().filename().string(),
                          readFileBytes(e.path())});
    }
  }
  return inputs;
}

class Replay : public ::testing::TestWithParam<std::string> {};

// The shipped seeds are valid inputs: each is accepted.
TEST_P(Replay, SeedsAreAccepted) {
  const fuzz::Target target = fuzz::targetByName(GetParam());
  ASSERT_NE(target, nullptr);
  const std::vector<fuzz::Input> inputs = fuzz::seeds(GetParam(), TASDSIM_SOURCE_DIR);
  EXPECT_FALSE(inputs.empty());
  for (const fuzz::Input& in : inputs)
    EXPECT_TRUE(target(in.bytes.data(), in.bytes.size())) << in.name;
}

// Saved findings end in a result or a UserError (the target catches it).
TEST_P(Replay, SavedFindingsEndInAResultOrAUserError) {
  const fuzz::Target target = fuzz::targetByName(GetParam());
  ASSERT_NE(target, nullptr);
  for (const fuzz::Input& in : findingsOf(GetParam())) {
    SCOPED_TRACE(in.name);
    EXPECT_NO_THROW((void)target(in.bytes.data(), in.bytes.size()));
  }
}

INSTANTIATE_TEST_SUITE_P(Fuzz, Replay, ::testing::ValuesIn(fuzz::targetNames()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(ReplayMicrocode, SeedsCompleteAndSavedFindingsEndWithAStatus) {
  std::vector<fuzz::Input> inputs = fuzz::seeds("microcode", TASDSIM_SOURCE_DIR);
  for (fuzz::Input& in : findingsOf("microcode"))
    inputs.push_back(std::move(in));
  ASSERT_GE(inputs.size(), 4u);
  // One elaboration in a child process; it reports the first input that did not complete.
  const std::string out = runtime::runIsolated([&] {
    fuzz::MicrocodeSession session;
    std::string report;
    for (const fuzz::Input& in : inputs) {
      const auto info = session.run(in.bytes.data(), in.bytes.size());
      if (!info) return in.name + ": never completed";
      // The runtime's own programs must run without an error.
      if (in.name.rfind("program", 0) == 0 && info->error != hw::ErrorCode::None)
        return in.name + ": error " + std::to_string(static_cast<unsigned>(info->error));
    }
    // And the session does run programs: an all-ones word is an illegal instruction.
    const std::vector<uint8_t> bad(17, 0xFF);
    const auto info = session.run(bad.data(), bad.size());
    if (!info || info->error != hw::ErrorCode::IllegalInstruction)
      return std::string("all-ones word not rejected");
    return std::string("ok");
  });
  EXPECT_EQ(out, "ok");
}

TEST(ReplayTargets, EveryRegressionFolderNamesATarget) {
  std::error_code ec;
  if (!fs::is_directory(kRegressions, ec)) GTEST_SKIP() << "no saved findings";
  for (const auto& e : fs::directory_iterator(kRegressions)) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name == "microcode" || fuzz::targetByName(name) != nullptr) << name;
  }
}

}  // namespace
