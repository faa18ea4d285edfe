#include "hw/model/common/StatDecl.h"

#include <stdexcept>

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

void requireStats(const StatsRegistry& stats, const std::string& prefix,
                  const std::vector<std::string>& paths) {
  std::string missing;
  for (const std::string& p : paths)
    if (!stats.find(prefix + "." + p)) missing += (missing.empty() ? "" : ", ") + prefix + "." + p;
  if (!missing.empty())
    throw std::logic_error("declared statistics not registered by their blocks: " + missing);
}

}  // namespace tasdsim::hw
