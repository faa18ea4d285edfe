#pragma once
// Declared statistics. A block declares each of its counters once, beside the block
// (hw/model/<block>/*Stats.h): the block's instance name, the counter's name below it, a unit
// and a description. The block registers its counters from the declarations (addStat); the
// energy model and the reports read them through the same declarations (statValue), so a
// renamed or removed counter is a build error; a declared counter that no block registers is an
// error when the accelerator is built (requireStats, hw/model/top/Accelerator.cpp), and reading
// one that is absent is an error, never a silent 0.
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "hw/model/common/Stats.h"

namespace tasdsim::hw {

struct StatDecl {
  const char* block;  // the block's instance name inside the accelerator, e.g. "pe_array"
  const char* name;   // below the block; "{}" stands for an index: "term{}.mac_ops"
  const char* unit;
  const char* description;

  bool indexed() const;
  // "pe_array.mac_ops"; an indexed counter with its index: "pe_array.term2.mac_ops".
  std::string path(const std::string& index = {}) const;
  std::string path(uint32_t index) const { return path(std::to_string(index)); }
};

// One counter as a block registers it: its path (with the index filled in), unit and meaning.
struct StatInfo {
  std::string path;
  std::string unit;
  std::string description;
};

inline StatInfo infoOf(const StatDecl& d, const std::string& index = {}) {
  return StatInfo{d.path(index), d.unit, d.description};
}
inline StatInfo infoOf(const StatDecl& d, uint32_t index) {
  return infoOf(d, std::to_string(index));
}

// The unindexed declared counters, in order.
inline std::vector<StatInfo> infosOf(std::initializer_list<StatDecl> decls) {
  std::vector<StatInfo> out;
  for (const StatDecl& d : decls)
    out.push_back(infoOf(d));
  return out;
}

// Registers the declared counter of the block instance named `owner` (its hierarchical name,
// e.g. "accel.pe_array"); an indexed counter needs its index.
Counter& addStat(StatsRegistry& stats, const std::string& owner, const StatDecl& decl,
                 const std::string& index = {});
inline Counter& addStat(StatsRegistry& stats, const std::string& owner, const StatDecl& decl,
                        uint32_t index) {
  return addStat(stats, owner, decl, std::to_string(index));
}

// The value of a declared counter in a snapshot or a delta of the accelerator `prefix`
// ("accel"). A counter that is not there is a std::logic_error naming it.
uint64_t statValue(const std::map<std::string, uint64_t>& counters, const std::string& prefix,
                   const StatDecl& decl, const std::string& index = {});
inline uint64_t statValue(const std::map<std::string, uint64_t>& counters,
                          const std::string& prefix, const StatDecl& decl, uint32_t index) {
  return statValue(counters, prefix, decl, std::to_string(index));
}

// The listing of `tasdsim counters`: aligned text, or the markdown table of docs/outputs.md.
std::string statsText(const std::vector<StatInfo>& stats);
std::string statsMarkdown(const std::vector<StatInfo>& stats);

// Throws std::logic_error naming every path (below `prefix`) that `stats` does not hold.
void requireStats(const StatsRegistry& stats, const std::string& prefix,
                  const std::vector<std::string>& paths);

}  // namespace tasdsim::hw
