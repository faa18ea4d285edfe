// Inputs are checked before they can block; outputs replace only what tasdsim wrote; checked
// arithmetic (sw/common: FileUtil, Output, Checked).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sw/common/Checked.h"
#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Half.h"
#include "sw/common/Output.h"
#include "tests/unit/ScratchFolder.h"

namespace tasdsim {
namespace {

namespace fs = std::filesystem;

std::string errorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

void writeText(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

std::string readText(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> entries(const fs::path& folder) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(folder))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// A fresh folder per test.
class Scratch : public test::ScratchFolder {};

// A result folder as tasdsim writes it.
fs::path writeResult(const fs::path& target, bool overwrite = false,
                     const std::string& text = "x") {
  StagingDir dir(target, overwrite);
  writeFileAtomic(dir.file("a.txt"), text);
  writeFileAtomic(dir.file("b.txt"), std::string("bb"));
  dir.commit();
  return target;
}

TEST(Checked, OverflowIsNothingNeverAWrappedValue) {
  EXPECT_EQ(checkedMul(uint64_t{1} << 32, uint64_t{1} << 31), uint64_t{1} << 63);
  EXPECT_FALSE(checkedMul(uint64_t{1} << 32, uint64_t{1} << 32));
  EXPECT_FALSE(checkedAdd(UINT64_MAX, 1));
  EXPECT_EQ(checkedProduct({4096, 65536, 65536, 1 << 19}), uint64_t{1} << 63);
  EXPECT_FALSE(checkedProduct({4096, 65536, 65536, 1 << 20}));  // exactly 2^64
  EXPECT_EQ(checkedProduct({UINT64_MAX, 0}), 0u);
  EXPECT_EQ(checkedRoundUp(257, 256), 512u);
  EXPECT_FALSE(checkedRoundUp(UINT64_MAX - 1, 256));
  EXPECT_EQ(formatBytes(512), "512 B");
  EXPECT_EQ(formatBytes(uint64_t{3} << 29), "1.5 GiB");
}

TEST(Bf16, FiniteValuesThatRoundToInfAreCounted) {
  const float values[] = {3.4e38f, -3.397e38f, 3.38e38f, INFINITY, NAN, 1.0f};
  EXPECT_EQ(countBf16Overflows(values, 6), 2u);  // not the Inf and NaN already there
}

TEST(OutputPaths, TrailingSeparatorsAreDroppedAndNamesOfExistingFoldersRefused) {
  EXPECT_EQ(outputPathArgument("result/", "--out"), fs::path("result"));
  EXPECT_EQ(outputPathArgument("a/b//", "--out"), fs::path("a/b"));
  for (const char* bad : {"", ".", "..", "/", "x/..", "x/."}) {
    EXPECT_NE(errorOf([&] { outputPathArgument(bad, "--out"); }).find("--out"), std::string::npos)
        << bad;
  }
}

TEST(OutputPaths, NamesFromConfigsStayUnderOut) {
  EXPECT_EQ(defaultOutputFolder("tiny", "-search", "e.yaml"), fs::path("out/tiny-search"));
  for (const char* bad : {"../../victim", "a/b", "..", ".", "", "a\\b", "a\nb", "/etc"}) {
    const std::string e = errorOf([&] { defaultOutputFolder(bad, "", "e.yaml: experiment.name"); });
    EXPECT_NE(e.find("e.yaml: experiment.name"), std::string::npos) << bad << ": " << e;
  }
}

TEST(Signatures, JsonAndYamlOutputsStartWithTheTool) {
  const std::string json = signedJson({{"b", 1}, {"a", "x"}}, "import");
  EXPECT_EQ(json.rfind("{\n  \"written_by\": \"tasdsim ", 0), 0u) << json;
  EXPECT_TRUE(hasSignature(json));
  EXPECT_EQ(nlohmann::json::parse(json)["b"], 1);
  EXPECT_TRUE(hasSignature(signedYaml("workload: {}\n", "import")));
  EXPECT_TRUE(hasSignature("  {\"written_by\" : \"tasdsim 9\"}"));
  EXPECT_FALSE(hasSignature("{\"written_by\": \"someone else\"}"));
  EXPECT_FALSE(hasSignature("{\"a\": 1, \"written_by\": \"tasdsim\"}"));
  EXPECT_FALSE(hasSignature("workload: {}\n"));
  EXPECT_FALSE(hasSignature(""));
}

TEST_F(Scratch, InputsAreCheckedBeforeTheyCanBlock) {
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // No writer: opening it for reading would wait forever.
  EXPECT_EQ(errorOf([&] { readFileBytes(fifo); }), fifo.string() + ": not a regular file (a FIFO)");
  EXPECT_EQ(errorOf([&] { readFileBytes(dir_); }), dir_.string() + ": is a directory, not a file");
  EXPECT_EQ(
      errorOf([&] { readFileBytes(dir_ / "missing"); }),
      (dir_ / "missing").string() + ": cannot open file for reading: No such file or directory");
  writeText(dir_ / "f.txt", "hello");
  EXPECT_EQ(readFileText(dir_ / "f.txt"), "hello");
  fs::create_symlink("f.txt", dir_ / "link");  // a link to a regular file is an input like any
  EXPECT_EQ(readFileText(dir_ / "link"), "hello");
}

TEST_F(Scratch, StagedFilesAreNeverWrittenThroughLinksOrSpecialFiles) {
  writeText(dir_ / "victim.txt", "keep");
  fs::create_symlink("victim.txt", dir_ / "link");
  EXPECT_NE(
      errorOf([&] { writeFileAtomic(dir_ / "link", std::string("x")); }).find("symbolic link"),
      std::string::npos);
  ASSERT_EQ(mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  EXPECT_NE(errorOf([&] { writeFileAtomic(dir_ / "fifo", std::string("x")); }).find("FIFO"),
            std::string::npos);
  EXPECT_EQ(readText(dir_ / "victim.txt"), "keep");
  EXPECT_TRUE(fs::is_symlink(dir_ / "link"));
  EXPECT_EQ(entries(dir_), (std::vector<std::string>{"fifo", "link", "victim.txt"}));
}

TEST_F(Scratch, AResultFolderCarriesAManifestOfItsFiles) {
  const fs::path out = writeResult(dir_ / "out");
  EXPECT_EQ(entries(out), (std::vector<std::string>{"a.txt", "b.txt", kManifestFile}));
  const nlohmann::json m = nlohmann::json::parse(readText(out / kManifestFile));
  EXPECT_EQ(m["files"], (nlohmann::json{{"a.txt", 1}, {"b.txt", 2}}));
  EXPECT_EQ(m["written_by"].get<std::string>().rfind("tasdsim ", 0), 0u);
  EXPECT_EQ(whyNotOurFolder(out), "");
  EXPECT_EQ(entries(dir_), std::vector<std::string>{"out"});  // no staging folder or lock left
}

TEST_F(Scratch, OverwriteReplacesOnlyAFolderTasdsimWrote) {
  const fs::path out = writeResult(dir_ / "out");
  EXPECT_NE(errorOf([&] { StagingDir{out}; }).find("already exists"), std::string::npos);
  writeResult(out, true, "new!");
  EXPECT_EQ(readText(out / "a.txt"), "new!");
  EXPECT_EQ(entries(dir_), std::vector<std::string>{"out"});

  // The user's own file in it, a changed file, a subfolder: not tasdsim's any more.
  writeText(out / "notes.txt", "mine");
  EXPECT_NE(errorOf([&] { StagingDir(out, true); }).find("holds 'notes.txt'"), std::string::npos);
  fs::remove(out / "notes.txt");
  writeText(out / "a.txt", "edited by hand");
  EXPECT_NE(errorOf([&] { StagingDir(out, true); }).find("'a.txt' changed"), std::string::npos);
  fs::remove_all(out);
  fs::create_directories(out / "photos");
  EXPECT_NE(errorOf([&] { StagingDir(out, true); }).find("no tasdsim-manifest.json"),
            std::string::npos);
  EXPECT_TRUE(fs::is_directory(out / "photos"));
  // Neither a file nor a link is replaced by a folder.
  writeText(dir_ / "notes.txt", "mine");
  EXPECT_NE(errorOf([&] { StagingDir(dir_ / "notes.txt", true); }).find("regular file"),
            std::string::npos);
  fs::create_directory_symlink("out", dir_ / "link");
  EXPECT_NE(errorOf([&] { StagingDir(dir_ / "link", true); }).find("symbolic link"),
            std::string::npos);
  EXPECT_EQ(entries(dir_), (std::vector<std::string>{"link", "notes.txt", "out"}));
}

TEST_F(Scratch, AFolderChangedWhileARunWorksIsNotReplaced) {
  const fs::path out = writeResult(dir_ / "out");
  StagingDir dir(out, true);
  writeFileAtomic(dir.file("a.txt"), std::string("new"));
  writeText(out / "notes.txt", "added meanwhile");
  EXPECT_NE(errorOf([&] { dir.commit(); }).find("holds 'notes.txt'"), std::string::npos);
  EXPECT_EQ(readText(out / "notes.txt"), "added meanwhile");
  EXPECT_EQ(readText(out / "a.txt"), "x");
}

TEST_F(Scratch, AnOutputPathHasOneWriterAtATime) {
  const fs::path out = dir_ / "out";
  {
    StagingDir first(out);
    EXPECT_NE(errorOf([&] {
                StagingDir second(out);
              }).find("another tasdsim process (pid " + std::to_string(getpid()) + ")"),
              std::string::npos);
    EXPECT_NE(
        errorOf([&] { OutputFile file(out, false, "--json"); }).find("another tasdsim process"),
        std::string::npos);
  }
  writeResult(out);  // released
  EXPECT_EQ(entries(dir_), std::vector<std::string>{"out"});
}

TEST_F(Scratch, AFileNamedLikeALockThatTasdsimDidNotMakeIsLeftAlone) {
  writeText(dir_ / ".out.lock", "my notes");
  EXPECT_NE(errorOf([&] { StagingDir(dir_ / "out"); }).find("is not a tasdsim lock file"),
            std::string::npos);
  EXPECT_EQ(readText(dir_ / ".out.lock"), "my notes");
  // An empty one (its maker died before writing) or a stale tasdsim lock is used and removed.
  writeText(dir_ / ".out.lock", "tasdsim lock, pid 1\n");
  writeResult(dir_ / "out");
  EXPECT_EQ(entries(dir_), std::vector<std::string>{"out"});
}

TEST_F(Scratch, OutputFilesReplaceOnlyFilesTasdsimWrote) {
  const fs::path report = dir_ / "report.json";
  {
    OutputFile f(report, false, "--json");
    f.write(signedJson({{"v", 1}}, "test"));
  }
  EXPECT_NE(errorOf([&] { OutputFile(report, false, "--json"); }).find("already exists"),
            std::string::npos);
  {
    OutputFile f(report, true, "--json");
    f.write(signedJson({{"v", 2}}, "test"));
  }
  EXPECT_EQ(nlohmann::json::parse(readText(report))["v"], 2);
  writeText(dir_ / "thesis.tex", "\\chapter{1}");
  EXPECT_NE(errorOf([&] {
              OutputFile(dir_ / "thesis.tex", true, "--json");
            }).find("not a file tasdsim wrote"),
            std::string::npos);
  fs::create_symlink("report.json", dir_ / "link.json");
  EXPECT_NE(errorOf([&] { OutputFile(dir_ / "link.json", true, "--json"); }).find("symbolic link"),
            std::string::npos);
  ASSERT_EQ(mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  EXPECT_NE(errorOf([&] { OutputFile(dir_ / "fifo", true, "--json"); }).find("a FIFO"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { OutputFile(dir_, true, "--json"); }).find("a folder"), std::string::npos);
  EXPECT_EQ(readText(dir_ / "thesis.tex"), "\\chapter{1}");
  {
    OutputFile unsigned_(dir_ / "new.json", false, "--json");
    EXPECT_THROW(unsigned_.write("{\"v\": 1}"), std::logic_error);  // our bug, not the user's
  }
  EXPECT_EQ(entries(dir_),
            (std::vector<std::string>{"fifo", "link.json", "report.json", "thesis.tex"}));
}

// The pid of a process that has ended.
pid_t deadPid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);
  return child;
}

// A staging marker for pid, as its process would have written it.
std::string markerOf(pid_t pid) {
  nlohmann::ordered_json m = nlohmann::ordered_json::parse(stagingMarkerText());
  m["pid"] = pid;
  m["start_ticks"] = 1;
  return m.dump(2);
}

TEST_F(Scratch, LeftoversOfDeadProcessesAreRemovedWhenTheyProveToBeTasdsims) {
  const pid_t dead = deadPid();
  const fs::path staged = dir_ / (".out.partial-" + std::to_string(dead));
  fs::create_directory(staged);
  writeText(staged / kStagingMarkerFile, markerOf(dead));
  writeText(staged / "stats.json", "{}");
  const fs::path unmarked = dir_ / (".out.partial-" + std::to_string(dead) + ".old");
  fs::create_directory(unmarked);
  writeText(unmarked / "mine.txt", "no marker, no manifest");
  const fs::path live = dir_ / (".out.partial-" + std::to_string(getpid()));  // this process
  fs::create_directory(live);
  writeText(live / kStagingMarkerFile, stagingMarkerText());
  // Killed before (or while) writing its marker: empty, or only an empty marker.
  const fs::path empty = dir_ / (".t.partial-" + std::to_string(dead));
  fs::create_directory(empty);
  const fs::path emptyMarker = dir_ / (".u.partial-" + std::to_string(dead));
  fs::create_directory(emptyMarker);
  writeText(emptyMarker / kStagingMarkerFile, "");
  removeDeadLeftovers(dir_ / "t");
  removeDeadLeftovers(dir_ / "u");
  EXPECT_FALSE(fs::exists(empty));
  EXPECT_FALSE(fs::exists(emptyMarker));
  const fs::path tmp = dir_ / ("report.json.tmp-" + std::to_string(dead));
  writeText(tmp, signedJson({{"v", 1}}, "test"));
  removeDeadLeftovers(dir_ / "out");
  removeDeadLeftovers(dir_ / "report.json");
  EXPECT_FALSE(fs::exists(staged));
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_TRUE(fs::exists(unmarked / "mine.txt"));
  EXPECT_TRUE(fs::exists(live / kStagingMarkerFile));
  // A temporary name holding something without the signature is not tasdsim's.
  writeText(tmp, "not ours");
  removeDeadLeftovers(dir_ / "report.json");
  EXPECT_EQ(readText(tmp), "not ours");
  fs::remove_all(live);
}

}  // namespace
}  // namespace tasdsim
