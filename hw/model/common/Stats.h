#pragma once
// Named statistics. Each component registers its counters once, by hierarchical name
// (instance path + "." + stat name, e.g. "accel.pe_array.mac_ops"), with a unit and a
// description; one writer dumps them. Derived metrics (utilization, energy, EDP) are computed
// outside the components from these raw counts.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tasdsim::hw {

struct Counter {
  std::string name;
  std::string unit;
  std::string description;
  uint64_t value = 0;

  Counter& operator+=(uint64_t v) {
    value += v;
    return *this;
  }
  Counter& operator++() {
    ++value;
    return *this;
  }
};

class StatsRegistry {
 public:
  // Registers a counter; the name must be new. The returned reference stays valid.
  Counter& add(const std::string& name, const std::string& unit, const std::string& description);
  const Counter* find(const std::string& name) const;
  uint64_t value(const std::string& name) const;  // 0 if absent

  // Current values of every counter, by name.
  std::map<std::string, uint64_t> snapshot() const;
  const std::vector<std::unique_ptr<Counter>>& counters() const { return counters_; }

 private:
  std::vector<std::unique_ptr<Counter>> counters_;
  std::map<std::string, Counter*> byName_;
};

// Values of b minus a, for every counter of b.
std::map<std::string, uint64_t> difference(const std::map<std::string, uint64_t>& a,
                                           const std::map<std::string, uint64_t>& b);

// Stall reasons of a unit: one counter per reason, indexed by the enum.
enum class StallReason : uint8_t {
  WaitOperands = 0,  // a compute op waits for a load into its buffer slot
  WaitTasdUnit,      // a stream waits for the TASD units to finish its tile (exposed latency)
  WaitAccumulator,   // a stream waits for its accumulator slot to be stored or loaded
  BufferBandwidth,   // SRAM ports cannot feed the PE array at its compute rate
  WaitBufferFree,    // a load waits for the previous users of its slot
  Count
};
const char* stallReasonName(StallReason r);

}  // namespace tasdsim::hw
