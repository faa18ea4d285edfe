#pragma once
// Energy reference tables in Accelergy's ERT form: component (table) x action -> energy in pJ,
// an action listed once per set of action arguments. A file is read as is (ERT.yaml or
// ERT_summary.yaml; sw/config/ArchConfig.cpp), then each of the accelerator's energy components
// is bound to one table (the arch's `energy_bind`, tasdsim's own table names by default) and
// resolved into the per-action costs the energy model multiplies with the counters.
#include <array>
#include <map>
#include <string>
#include <vector>

#include "hw/model/top/AcceleratorParams.h"

namespace tasdsim::hw {

struct EnergyTable;

struct ErtEntry {
  std::map<std::string, std::string> arguments;  // empty: Accelergy's `arguments: null`
  double energy = 0;                             // pJ per action
};

struct ErtTable {
  std::string name;  // e.g. system.SM.Subpartition[0..3].PE[0..255].MAC
  std::map<std::string, std::vector<ErtEntry>> actions;
};

struct Ert {
  std::string name;    // shown in reports: the file's stem unless the file names itself
  std::string source;  // where its numbers come from, if it says
  std::vector<ErtTable> tables;
  // The table of that name; failing that, the one equal to it with every [a..b] range dropped
  // ("system.SM.PE.MAC" finds "system.SM.PE[0..255].MAC"). nullptr if none.
  const ErtTable* find(const std::string& name) const;
};

// The accelerator's energy components, each costed by one ERT table.
enum class EnergyComponent {
  Mac,         // mac_random per MAC slot issued; argument `datatype` (int8, bf16, fp32) if given
  Operand,     // read per operand byte delivered to a MAC (two operands per MAC slot)
  IndexMux,    // mux per MAC slot of a structured term (the m:1 operand select)
  SBuffer,     // read / write / metadata_read per byte; argument `size_kib` interpolated
  DBuffer,     //   (log-log) at the bank size when the table lists it
  AccBuffer,   //
  Dram,        // read / write per byte
  TasdUnit,    // compare per element comparison
  OutputPath,  // requantize per result requantised to int8
  Decoder,     // decode per instruction
  Idle,        // idle per clock cycle of the whole accelerator (leakage)
  kCount
};
constexpr size_t kEnergyComponents = static_cast<size_t>(EnergyComponent::kCount);

struct EnergyComponentInfo {
  const char* key;                   // energy_bind key
  const char* defaultTable;          // tasdsim's own table name (configs/energy/*.yaml)
  std::vector<const char*> actions;  // the actions read, the first required
};
const EnergyComponentInfo& energyComponentInfo(EnergyComponent c);

struct ErtBinding {
  std::string table;         // empty: not costed (`none`), listed as such in every report
  double bytes = 1;          // bytes one read / write moves (Accelergy: the component's width / 8)
  double metadataBytes = 1;  // bytes one metadata_read moves
};
using EnergyBindings = std::array<ErtBinding, kEnergyComponents>;
EnergyBindings defaultEnergyBindings();

// Resolves every component's per-action cost for this accelerator (buffer bank sizes). Throws
// std::invalid_argument naming the component, the table and what is missing in it.
EnergyTable resolveEnergy(const Ert& ert, const EnergyBindings& bindings,
                          const AcceleratorParams& params);

}  // namespace tasdsim::hw
