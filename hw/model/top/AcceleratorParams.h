#pragma once
// Parameters of the accelerator: the engine-wide keys declared here, and one params struct per
// block declared beside the block (key, default, range, unit, description;
// hw/model/common/Params.h), each with a validate() that lists every violation. Parsed from the
// arch YAML in sw/config; the model never sees YAML. Defaults describe the TASD-extended
// VEGETA-M8 class engine. archDeclarations() is every arch key (`tasdsim params`,
// docs/config.md).
#include <cstdint>
#include <string>
#include <vector>

#include "hw/model/buffer/BufferParams.h"
#include "hw/model/common/BlockContext.h"
#include "hw/model/common/Params.h"
#include "hw/model/decoder/DecoderParams.h"
#include "hw/model/dram/DramParams.h"
#include "hw/model/pe_array/PeArrayParams.h"
#include "hw/model/system/AddressMapParams.h"
#include "hw/model/tasd_unit/TasdUnitParams.h"

namespace tasdsim::hw {

// How the host runtime spreads a layer over several instances: the images (rows) of the
// activation operand, or the layer's output channels.
enum class Distribution { Batch, Channels };
const char* distributionName(Distribution d);

struct AcceleratorParams {
  static constexpr TextParam kName{"name", "required", "text", "engine name in reports"};
  static constexpr TextParam kDescription{"description", "\"\"", "text", "what the engine is"};
  static constexpr Param<double> kClockGHz{"clock_ghz", 1.0, 0.001, 10.0, "GHz", "clock"};
  static constexpr FlagParam kTasdExtension{
      "tasd_extension", true,
      "the TTC extension: multi-term STREAMs (decomposition-aware dataflow) and TASD units "
      "allowed"};
  static constexpr Param<uint32_t> kMaxTerms{
      "max_terms", 3, 1, 7, "terms", "longest series the engine runs"};
  static constexpr Param<uint32_t> kInstances{
      "instances",
      1,
      1,
      kMaxInstances,
      "accelerators",
      "accelerators on the one bus and DRAM (docs/integration.md); more than 1 needs every "
      "`impl: model`"};
  static constexpr ChoiceParam kDistribute{
      "distribute", "batch", "batch, channels",
      "how the host spreads a layer over the instances: activation rows (images), or output "
      "channels"};
  static constexpr TextParam kEnergy{
      "energy", "required", "path",
      "energy table in Accelergy's ERT or ERT_summary form (configs/energy/*.yaml)"};
  static constexpr TextParam kEnergyBind{
      "energy_bind", "tasdsim's tables", "map",
      "the energy table's table for each energy component: COMPONENT: {table, bytes, "
      "metadata_bytes} or none (docs/config.md, Energy)"};

  std::string name = "accelerator";
  double clockGHz = kClockGHz.def;
  // The TASD extension (TTC): microcode term sequencing with the decomposition-aware dataflow
  // (D and C stay in place while the terms stream) and TASD units for activations. Without it a
  // series runs as separate GEMMs, one per term, with partial sums spilled between them.
  bool tasdExtension = kTasdExtension.def;
  uint32_t maxTerms = kMaxTerms.def;  // longest series the engine runs
  PeArrayParams peArray;
  BufferSetParams buffer;
  TasdUnitParams tasdUnit;
  DecoderParams decoder;
  DramParams dram;
  // The system: `instances` identical accelerators on one interconnect and one DRAM.
  uint32_t instances = kInstances.def;
  Distribution distribution = Distribution::Batch;
  AddressMapParams addressMap;
  bool functional = true;  // compute values (false: timing only)

  double clockPeriodNs() const { return 1.0 / clockGHz; }
  // What every block receives besides its own params (hw/model/common/BlockContext.h).
  BlockContext context() const { return BlockContext{clockGHz, functional}; }
  std::vector<std::string> validate() const;
};

// Every key of the arch section, in the order of docs/config.md.
std::vector<ParamInfo> archDeclarations();

}  // namespace tasdsim::hw
