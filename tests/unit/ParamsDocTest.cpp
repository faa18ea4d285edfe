// The arch keys are declared once, beside their blocks (hw/model/common/Params.h): the reader
// reads exactly the declared keys with the declared defaults, and docs/config.md's arch table is
// the declarations' listing (`tasdsim params --format markdown`; scripts/update_config_docs
// rewrites it).
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "hw/model/top/AcceleratorParams.h"
#include "sw/config/ArchConfig.h"

namespace tasdsim {
namespace {

const std::string kRoot = TASDSIM_SOURCE_DIR;
constexpr const char* kBegin = "<!-- arch-params:begin";
constexpr const char* kEnd = "<!-- arch-params:end -->";

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The keys of a resolved tree as dotted paths (lists are one key).
void leafKeys(const YAML::Node& node, const std::string& prefix, std::set<std::string>& out) {
  // energy_bind is one declared key whose map is keyed by energy component (docs/config.md).
  if (!node.IsMap() || prefix == "energy_bind") {
    out.insert(prefix);
    return;
  }
  for (const auto& kv : node)
    leafKeys(kv.second, (prefix.empty() ? "" : prefix + ".") + kv.first.as<std::string>(), out);
}

TEST(ParamsDoc, ConfigMdArchTableIsTheDeclarationsListing) {
  const std::string doc = readFile(kRoot + "/docs/config.md");
  const size_t begin = doc.find(kBegin);
  ASSERT_NE(begin, std::string::npos) << "docs/config.md has no " << kBegin << " marker";
  const size_t tableStart = doc.find("-->\n", begin);
  const size_t end = doc.find(kEnd, begin);
  ASSERT_NE(tableStart, std::string::npos);
  ASSERT_NE(end, std::string::npos) << "docs/config.md has no " << kEnd << " marker";
  const std::string table = doc.substr(tableStart + 4, end - tableStart - 4);
  EXPECT_EQ(table, hw::paramsMarkdown(hw::archDeclarations()))
      << "docs/config.md's arch table differs from the declarations: run "
         "scripts/update_config_docs";
}

TEST(ParamsDoc, TheReaderReadsExactlyTheDeclaredKeys) {
  const std::string text = "arch:\n  name: x\n  pe_array: {}\n  tasd_unit: {}\n  energy: " + kRoot +
                           "/configs/energy/horowitz_45nm.yaml\n";
  const config::ArchConfig a = config::parseArch(config::loadString(text, "x.yaml"), "x.yaml");
  std::set<std::string> read;
  leafKeys(a.resolved, "", read);
  std::set<std::string> declared;
  for (const hw::ParamInfo& p : hw::archDeclarations())
    declared.insert(p.key);
  EXPECT_EQ(read, declared);
}

TEST(ParamsDoc, DeclaredDefaultsAreTheParamsDefaults) {
  const std::string text = "arch:\n  name: x\n  pe_array: {}\n  tasd_unit: {}\n  energy: " + kRoot +
                           "/configs/energy/horowitz_45nm.yaml\n";
  const config::ArchConfig a = config::parseArch(config::loadString(text, "x.yaml"), "x.yaml");
  hw::AcceleratorParams defaults;
  defaults.name = "x";
  const hw::AcceleratorParams& p = a.params;
  EXPECT_EQ(p.clockGHz, defaults.clockGHz);
  EXPECT_EQ(p.maxTerms, defaults.maxTerms);
  EXPECT_EQ(p.peArray.rows, defaults.peArray.rows);
  EXPECT_EQ(p.peArray.cols, defaults.peArray.cols);
  EXPECT_EQ(p.peArray.lanes, defaults.peArray.lanes);
  EXPECT_EQ(p.peArray.pipelineLatencyCycles,
            defaults.peArray.pipelineLatencyCycles);  // rows + cols
  EXPECT_EQ(p.buffer.s.sizeBytes, defaults.buffer.s.sizeBytes);
  EXPECT_EQ(p.buffer.acc.banks, defaults.buffer.acc.banks);
  EXPECT_EQ(p.tasdUnit.count, defaults.tasdUnit.count);
  EXPECT_EQ(p.decoder.fetchBytes, defaults.decoder.fetchBytes);
  EXPECT_EQ(p.dram.sizeBytes, defaults.dram.sizeBytes);
  EXPECT_EQ(p.dram.bandwidthGBps, defaults.dram.bandwidthGBps);
  EXPECT_EQ(p.addressMap.regBase, defaults.addressMap.regBase);
  EXPECT_TRUE(defaults.validate().empty());
}

TEST(ParamsDoc, ValidateUsesTheDeclaredRanges) {
  hw::AcceleratorParams p;
  p.peArray.rows = hw::PeArrayParams::kRows.hi + 1;
  p.dram.latencyNs = -1;
  const std::vector<std::string> problems = p.validate();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "pe_array.rows = 257: must be in [1, 256]");
  EXPECT_EQ(problems[1], "dram.latency_ns = -1: must be in [0, 1000000]");
}

}  // namespace
}  // namespace tasdsim
