// fuzz_seeds OUT_DIR [SOURCE_DIR]: writes the seed inputs of every target to OUT_DIR/<target>/
// (scripts/fuzz runs it before the fuzzers).
#include <cstdio>
#include <filesystem>
#include <string>

#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "tests/fuzz/FuzzTargets.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: fuzz_seeds OUT_DIR [SOURCE_DIR]\n");
    return 2;
  }
  namespace fs = std::filesystem;
  const fs::path out = argv[1];
  const std::string source = argc == 3 ? argv[2] : TASDSIM_SOURCE_DIR;
  try {
    std::vector<std::string> targets = tasdsim::fuzz::targetNames();
    targets.push_back("microcode");
    for (const std::string& t : targets) {
      fs::create_directories(out / t);
      size_t count = 0;
      for (const tasdsim::fuzz::Input& in : tasdsim::fuzz::seeds(t, source)) {
        tasdsim::writeFileAtomic(out / t / in.name, in.bytes);
        ++count;
      }
      std::printf("%-10s %zu seeds\n", t.c_str(), count);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
