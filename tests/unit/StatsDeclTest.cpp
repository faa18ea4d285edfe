// Statistics are declared once, beside their blocks (hw/model/common/StatDecl.h): the
// accelerator's blocks register exactly the declared counters, a declared counter that is not
// registered stops the accelerator from being built, and the energy model reads each component
// from its declared counters, so a missing one is an error, never a zero energy component.
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "hw/model/energy/EnergyModel.h"
#include "hw/model/system/SystemStats.h"
#include "hw/model/top/Accelerator.h"
#include "hw/model/top/AcceleratorStats.h"
#include "tests/common/RunInChild.h"

namespace tasdsim {
namespace {

TEST(StatsDecl, TheBlocksRegisterExactlyTheDeclaredCounters) {
  // Elaborated in a child: a process elaborates one SystemC design.
  const std::string names = test::runInChildBytes([] {
    hw::AcceleratorParams params;
    hw::StatsRegistry stats;
    hw::Accelerator accel("accel", params, stats);  // throws when a declared one is missing
    std::string out;
    for (const auto& c : stats.counters())
      out += c->name + " [" + c->unit + "] " + c->description + "\n";
    return out;
  });
  // Names, units and meanings: what `tasdsim counters` lists is what the blocks register.
  std::set<std::string> registered, declared;
  std::istringstream in(names);
  for (std::string line; std::getline(in, line);)
    registered.insert(line);
  for (const hw::StatInfo& s : hw::acceleratorStatDeclarations())
    declared.insert("accel." + s.path + " [" + s.unit + "] " + s.description);
  EXPECT_EQ(registered, declared);
}

TEST(StatsDecl, OutputsMdCounterTableIsTheDeclarationsListing) {
  std::ifstream file(std::string(TASDSIM_SOURCE_DIR) + "/docs/outputs.md");
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();
  const std::string beginMarker = "<!-- counters:begin", endMarker = "<!-- counters:end -->";
  const size_t begin = doc.find(beginMarker);
  ASSERT_NE(begin, std::string::npos) << "docs/outputs.md has no " << beginMarker << " marker";
  const size_t tableStart = doc.find("-->\n", begin);
  const size_t end = doc.find(endMarker, begin);
  ASSERT_NE(tableStart, std::string::npos);
  ASSERT_NE(end, std::string::npos) << "docs/outputs.md has no " << endMarker << " marker";
  EXPECT_EQ(doc.substr(tableStart + 4, end - tableStart - 4),
            hw::statsMarkdown(hw::systemStatDeclarations()))
      << "docs/outputs.md's counter table differs from the declarations: run "
         "scripts/update_config_docs";
}

TEST(StatsDecl, ADeclaredCounterThatIsNotRegisteredIsAnError) {
  hw::StatsRegistry stats;
  for (const std::string& p : hw::acceleratorStatPaths())
    if (p != "pe_array.mac_ops") stats.add("accel." + p, "", "");
  try {
    hw::requireStats(stats, "accel", hw::acceleratorStatPaths());
    ADD_FAILURE() << "no error";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("accel.pe_array.mac_ops"), std::string::npos) << e.what();
  }
}

hw::EnergyBreakdown energyOf(const std::map<std::string, uint64_t>& counters) {
  hw::EnergyTable table;
  table.idlePjPerCycle = 1.0;
  return hw::computeEnergy(table, hw::AcceleratorParams{}, counters, "accel", tasd::DType::F32,
                           1e-6);
}

TEST(StatsDecl, EveryEnergyComponentReadsItsDeclaredCounters) {
  std::map<std::string, uint64_t> all;
  for (const std::string& p : hw::acceleratorStatPaths())
    all["accel." + p] = 1000;
  for (const auto& [name, pj] : energyOf(all).items())
    EXPECT_GT(pj, 0.0) << name;
  // The counters without which the energy cannot be computed: exactly those it reads.
  std::set<std::string> needed;
  for (const auto& entry : all) {
    auto fewer = all;
    fewer.erase(entry.first);
    try {
      energyOf(fewer);
    } catch (const std::logic_error& e) {
      EXPECT_NE(std::string(e.what()).find(entry.first), std::string::npos) << e.what();
      needed.insert(entry.first);
    }
  }
  std::set<std::string> expected{"accel.pe_array.mac_ops",
                                 "accel.buffer.s.read_bytes",
                                 "accel.buffer.s.write_bytes",
                                 "accel.buffer.d.read_bytes",
                                 "accel.buffer.s.metadata_read_bytes",
                                 "accel.buffer.d.metadata_read_bytes",
                                 "accel.buffer.acc.metadata_read_bytes",
                                 "accel.buffer.d.write_bytes",
                                 "accel.buffer.acc.read_bytes",
                                 "accel.buffer.acc.write_bytes",
                                 "accel.memory_port.read_bytes",
                                 "accel.memory_port.write_bytes",
                                 "accel.tasd_unit.compare_ops",
                                 "accel.store_unit.requant_ops",
                                 "accel.decoder.instructions"};
  for (uint32_t t = 0; t < isa::kMaxTerms; ++t)
    expected.insert("accel.pe_array.term" + std::to_string(t) + ".mac_ops");
  EXPECT_EQ(needed, expected);
}

}  // namespace
}  // namespace tasdsim
