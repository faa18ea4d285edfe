#include "hw/model/common/StatDecl.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace tasdsim::hw {

bool StatDecl::indexed() const {
  return std::string(name).find("{}") != std::string::npos;
}

std::string StatDecl::path(const std::string& index) const {
  std::string n = name;
  const size_t at = n.find("{}");
  if ((at == std::string::npos) != index.empty()) {
    throw std::logic_error(std::string("statistic ") + block + "." + name +
                           (index.empty() ? ": needs an index" : ": takes no index"));
  }
  if (at != std::string::npos) n.replace(at, 2, index);
  return std::string(block) + "." + n;
}

Counter& addStat(StatsRegistry& stats, const std::string& owner, const StatDecl& decl,
                 const std::string& index) {
  const std::string path = decl.path(index);
  // Under the owner: "accel.pe_array" + ".mac_ops".
  return stats.add(owner + path.substr(std::string(decl.block).size()), decl.unit,
                   decl.description);
}

uint64_t statValue(const std::map<std::string, uint64_t>& counters, const std::string& prefix,
                   const StatDecl& decl, const std::string& index) {
  const std::string name = prefix + "." + decl.path(index);
  const auto it = counters.find(name);
  if (it == counters.end()) throw std::logic_error("statistic " + name + " is not registered");
  return it->second;
}

std::string statsText(const std::vector<StatInfo>& stats) {
  size_t pathWidth = 7, unitWidth = 4;
  for (const StatInfo& s : stats) {
    pathWidth = std::max(pathWidth, s.path.size());
    unitWidth = std::max(unitWidth, s.unit.size());
  }
  std::string out =
      fmt::format("{:<{}}  {:<{}}  {}\n", "counter", pathWidth, "unit", unitWidth, "meaning");
  for (const StatInfo& s : stats)
    out += fmt::format("{:<{}}  {:<{}}  {}\n", s.path, pathWidth, s.unit, unitWidth, s.description);
  return out;
}

std::string statsMarkdown(const std::vector<StatInfo>& stats) {
  std::string out = "| counter | unit | meaning |\n|---|---|---|\n";
  for (const StatInfo& s : stats)
    out += fmt::format("| `{}` | {} | {} |\n", s.path, s.unit, s.description);
  return out;
}

void requireStats(const StatsRegistry& stats, const std::string& prefix,
                  const std::vector<std::string>& paths) {
  std::string missing;
  for (const std::string& p : paths)
    if (!stats.find(prefix + "." + p)) missing += (missing.empty() ? "" : ", ") + prefix + "." + p;
  if (!missing.empty())
    throw std::logic_error("declared statistics not registered by their blocks: " + missing);
}

}  // namespace tasdsim::hw
