#include "hw/model/energy/Ert.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "hw/model/energy/EnergyModel.h"

namespace tasdsim::hw {
namespace {

std::string withoutRanges(const std::string& name) {
  std::string out;
  size_t depth = 0;
  for (char c : name) {
    if (c == '[') ++depth;
    if (depth == 0) out += c;
    if (c == ']' && depth > 0) --depth;
  }
  return out;
}

std::string argumentsText(const std::map<std::string, std::string>& args) {
  if (args.empty()) return "null";
  std::string out;
  for (const auto& [k, v] : args)
    out += fmt::format("{}{}: {}", out.empty() ? "" : ", ", k, v);
  return "{" + out + "}";
}

constexpr const char* kSizeArgument = "size_kib";

// The energy of one action of a table under the given arguments: the entries whose arguments
// agree with every given one they name, averaged over the arguments left open (Accelergy's
// average energy, e.g. over data_delta and address_delta). An entry argument `size_kib` is
// interpolated log-log at the given size (clamped at the ends of the listed sizes).
class ActionLookup {
 public:
  ActionLookup(const ErtTable& table, const char* component)
      : table_(table), component_(component) {}

  bool has(const std::string& action) const { return table_.actions.count(action) != 0; }

  double energy(const std::string& action, const std::map<std::string, std::string>& given,
                double sizeKib = 0) const {
    const auto it = table_.actions.find(action);
    if (it == table_.actions.end()) {
      std::string known;
      for (const auto& a : table_.actions)
        known += (known.empty() ? "" : ", ") + a.first;
      throw std::invalid_argument(
          fmt::format("energy component {}: table {} has no action '{}' "
                      "(it has: {})",
                      component_, table_.name, action, known));
    }
    std::map<double, std::pair<double, int>> bySize;  // size -> (sum, count); -1: no size
    for (const ErtEntry& e : it->second) {
      bool agrees = true;
      for (const auto& [k, v] : given) {
        const auto a = e.arguments.find(k);
        if (a != e.arguments.end() && a->second != v) agrees = false;
      }
      if (!agrees) continue;
      double size = -1;
      if (const auto s = e.arguments.find(kSizeArgument); s != e.arguments.end()) {
        try {
          size = std::stod(s->second);
        } catch (const std::exception&) {
          size = 0;
        }
        if (!(size > 0)) {
          throw std::invalid_argument(
              fmt::format("energy table {}, action {}: {} = '{}' is not a "
                          "positive number",
                          table_.name, action, kSizeArgument, s->second));
        }
      }
      auto& [sum, count] = bySize[size];
      sum += e.energy;
      ++count;
    }
    if (bySize.empty()) {
      std::string sets;
      for (const ErtEntry& e : it->second)
        sets += (sets.empty() ? "" : "; ") + argumentsText(e.arguments);
      throw std::invalid_argument(
          fmt::format("energy component {}: table {}, action {}: no entry "
                      "with arguments {} (it lists: {})",
                      component_, table_.name, action, argumentsText(given), sets));
    }
    std::vector<std::pair<double, double>> points;  // (size, mean energy)
    for (const auto& [size, acc] : bySize)
      points.emplace_back(size, acc.first / acc.second);
    if (points.front().first < 0) {
      if (points.size() > 1) {
        throw std::invalid_argument(
            fmt::format("energy table {}, action {}: some entries give {} "
                        "and some do not",
                        table_.name, action, kSizeArgument));
      }
      return points.front().second;
    }
    if (sizeKib <= points.front().first) return points.front().second;
    if (sizeKib >= points.back().first) return points.back().second;
    for (size_t i = 1; i < points.size(); ++i) {
      const auto [k0, e0] = points[i - 1];
      const auto [k1, e1] = points[i];
      if (sizeKib > k1) continue;
      if (e0 <= 0 || e1 <= 0) return e0 + (e1 - e0) * (sizeKib - k0) / (k1 - k0);
      const double t = (std::log(sizeKib) - std::log(k0)) / (std::log(k1) - std::log(k0));
      return std::exp(std::log(e0) + t * (std::log(e1) - std::log(e0)));
    }
    return points.back().second;
  }

 private:
  const ErtTable& table_;
  const char* component_;
};

// The energy of a component costed per counted event by its one action (index-mux operation,
// comparison, requantised result, instruction, cycle); nullptr for the others.
double* perEventEnergy(EnergyTable& t, EnergyComponent c) {
  switch (c) {
    case EnergyComponent::IndexMux:
      return &t.indexMuxPj;
    case EnergyComponent::TasdUnit:
      return &t.tasdComparePj;
    case EnergyComponent::OutputPath:
      return &t.requantPj;
    case EnergyComponent::Decoder:
      return &t.decoderPjPerInstruction;
    case EnergyComponent::Idle:
      return &t.idlePjPerCycle;
    default:
      return nullptr;
  }
}

}  // namespace

const ErtTable* Ert::find(const std::string& name) const {
  for (const ErtTable& t : tables)
    if (t.name == name) return &t;
  const std::string bare = withoutRanges(name);
  for (const ErtTable& t : tables)
    if (withoutRanges(t.name) == bare) return &t;
  return nullptr;
}

const EnergyComponentInfo& energyComponentInfo(EnergyComponent c) {
  static const std::array<EnergyComponentInfo, kEnergyComponents> kInfo{{
      {"mac", "tasdsim.PE.MAC", {"mac_random"}},
      {"operand", "tasdsim.PE.operand_register", {"read"}},
      {"index_mux", "tasdsim.PE.index_mux", {"mux"}},
      {"s_buffer", "tasdsim.SRAM", {"read", "write", "metadata_read"}},
      {"d_buffer", "tasdsim.SRAM", {"read", "write", "metadata_read"}},
      {"acc_buffer", "tasdsim.SRAM", {"read", "write", "metadata_read"}},
      {"dram", "tasdsim.DRAM", {"read", "write"}},
      {"tasd_unit", "tasdsim.TASD_unit", {"compare"}},
      {"output_path", "tasdsim.output_path", {"requantize"}},
      {"decoder", "tasdsim.decoder", {"decode"}},
      {"idle", "tasdsim.chip", {"idle"}},
  }};
  return kInfo[static_cast<size_t>(c)];
}

EnergyBindings defaultEnergyBindings() {
  EnergyBindings b;
  for (size_t i = 0; i < kEnergyComponents; ++i)
    b[i].table = energyComponentInfo(static_cast<EnergyComponent>(i)).defaultTable;
  return b;
}

EnergyTable resolveEnergy(const Ert& ert, const EnergyBindings& bindings,
                          const AcceleratorParams& params) {
  EnergyTable t;
  t.name = ert.name;
  t.source = ert.source;
  // Every component starts at zero: a component is costed only by its table.
  t.macFp32Pj = t.macBf16Pj = t.macInt8Pj = t.operandPjPerByte = t.indexMuxPj = 0;
  t.s = t.d = t.acc = EnergyTable::Sram{0, 0, 0};
  t.dramReadPjPerByte = t.dramWritePjPerByte = t.tasdComparePj = t.requantPj = 0;
  t.decoderPjPerInstruction = t.idlePjPerCycle = 0;
  for (size_t i = 0; i < kEnergyComponents; ++i) {
    const auto c = static_cast<EnergyComponent>(i);
    const EnergyComponentInfo& info = energyComponentInfo(c);
    const ErtBinding& bind = bindings[i];
    if (bind.table.empty()) {
      t.notCosted.push_back(info.key);
      continue;
    }
    if (!(bind.bytes > 0) || !(bind.metadataBytes > 0)) {
      throw std::invalid_argument(
          fmt::format("energy component {}: bytes per action must be positive", info.key));
    }
    const ErtTable* table = ert.find(bind.table);
    if (!table) {
      std::string names;
      for (const ErtTable& e : ert.tables)
        names += (names.empty() ? "" : ", ") + e.name;
      throw std::invalid_argument(fmt::format(
          "energy component {}: the energy table has no table '{}' (it has: {}); bind it with "
          "arch.energy_bind.{}: {{table: NAME}}, or `none` to leave it out",
          info.key, bind.table, names.empty() ? "none" : names, info.key));
    }
    const ActionLookup look(*table, info.key);
    const std::vector<const char*>& action = info.actions;
    if (double* perEvent = perEventEnergy(t, c)) {  // one action per counted event
      *perEvent = look.energy(action[0], {});
      continue;
    }
    const double perByte = 1.0 / bind.bytes;
    switch (c) {
      case EnergyComponent::Mac:
        t.macInt8Pj = look.energy(action[0], {{"datatype", "int8"}});
        t.macBf16Pj = look.energy(action[0], {{"datatype", "bf16"}});
        t.macFp32Pj = look.energy(action[0], {{"datatype", "fp32"}});
        break;
      case EnergyComponent::Operand:
        t.operandPjPerByte = look.energy(action[0], {}) * perByte;
        break;
      case EnergyComponent::SBuffer:
      case EnergyComponent::DBuffer:
      case EnergyComponent::AccBuffer: {
        const BufferParams& b = c == EnergyComponent::SBuffer   ? params.buffer.s
                                : c == EnergyComponent::DBuffer ? params.buffer.d
                                                                : params.buffer.acc;
        const double bankKib = static_cast<double>(b.sizeBytes) / std::max(1u, b.banks) / 1024.0;
        EnergyTable::Sram& s = c == EnergyComponent::SBuffer   ? t.s
                               : c == EnergyComponent::DBuffer ? t.d
                                                               : t.acc;
        s.readPjPerByte = look.energy(action[0], {}, bankKib) * perByte;
        s.writePjPerByte = look.energy(action[1], {}, bankKib) * perByte;
        // A table without metadata actions (a dense buffer) reads metadata as data.
        s.metadataReadPjPerByte = look.has(action[2])
                                      ? look.energy(action[2], {}, bankKib) / bind.metadataBytes
                                      : s.readPjPerByte;
        break;
      }
      case EnergyComponent::Dram:
        t.dramReadPjPerByte = look.energy(action[0], {}) * perByte;
        t.dramWritePjPerByte = look.energy(action[1], {}) * perByte;
        break;
      default:
        break;
    }
  }
  return t;
}

}  // namespace tasdsim::hw
