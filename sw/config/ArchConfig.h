#pragma once
// Architecture and energy configs (configs/arch/*.yaml, configs/energy/*.yaml) parsed strictly
// into the model's parameter structs. The model never sees YAML. docs/config.md lists every key.
#include <string>

#include "hw/model/energy/EnergyModel.h"
#include "hw/model/energy/Ert.h"
#include "hw/model/top/AcceleratorParams.h"
#include "sw/config/ConfigNode.h"

namespace tasdsim::config {

struct ArchConfig {
  std::string file;
  std::string description;
  hw::AcceleratorParams params;
  hw::EnergyTable energy;
  std::string energyFile;
  YAML::Node resolved;  // the arch tree with defaults filled in
};

// root holds "arch:"; relative paths (the energy table) resolve against the file's folder.
// overrides: "arch.*" and "energy.*" assignments apply to the arch and energy files.
ArchConfig parseArch(const Node& root, const std::string& file,
                     const std::vector<std::string>& energyOverrides = {});
ArchConfig loadArch(const std::string& path, const std::vector<std::string>& overrides = {});
// An energy table in Accelergy's ERT form (root `ERT:` or `ERT_summary:`), read as is.
hw::Ert parseEnergy(const Node& root);

// Resolves a path written in a config file: relative paths are relative to that file's folder.
std::string resolvePath(const std::string& configFile, const std::string& path);

}  // namespace tasdsim::config
