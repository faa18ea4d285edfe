#include "hw/model/common/Stats.h"

#include <cassert>

namespace tasdsim::hw {

Counter& StatsRegistry::add(const std::string& name, const std::string& unit,
                            const std::string& description) {
  assert(!byName_.count(name) && "statistic registered twice");
  counters_.push_back(std::make_unique<Counter>(Counter{name, unit, description, 0}));
  byName_[name] = counters_.back().get();
  return *counters_.back();
}

const Counter* StatsRegistry::find(const std::string& name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

uint64_t StatsRegistry::value(const std::string& name) const {
  const Counter* c = find(name);
  return c ? c->value : 0;
}

std::map<std::string, uint64_t> StatsRegistry::snapshot() const {
  std::map<std::string, uint64_t> out;
  for (const auto& c : counters_)
    out[c->name] = c->value;
  return out;
}

std::map<std::string, uint64_t> difference(const std::map<std::string, uint64_t>& a,
                                           const std::map<std::string, uint64_t>& b) {
  std::map<std::string, uint64_t> out;
  for (const auto& [name, value] : b) {
    auto it = a.find(name);
    out[name] = value - (it == a.end() ? 0 : it->second);
  }
  return out;
}

const char* stallReasonName(StallReason r) {
  switch (r) {
    case StallReason::WaitOperands:
      return "wait_operands";
    case StallReason::WaitTasdUnit:
      return "wait_tasd_unit";
    case StallReason::WaitAccumulator:
      return "wait_accumulator";
    case StallReason::BufferBandwidth:
      return "buffer_bandwidth";
    case StallReason::WaitBufferFree:
      return "wait_buffer_free";
    case StallReason::Count:
      break;
  }
  return "?";
}

}  // namespace tasdsim::hw
