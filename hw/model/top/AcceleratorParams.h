#pragma once
// Parameters of the accelerator, one plain struct per component with defaults and units, and
// one validate() each that lists every violation. Parsed from the arch YAML in sw/config; the
// model never sees YAML. Defaults describe the TASD-extended VEGETA-M8 class engine.
#include <cstdint>
#include <string>
#include <vector>

#include "sw/tasd/Pattern.h"

namespace tasdsim::hw {

// rows x cols PEs with `lanes` MAC units each. A pass maps `rows` rows of the structured
// operand S and `cols` rows of the dense operand D (output columns) onto the array; each cycle
// a PE consumes `lanes` stored values of its S row. Dense is always supported.
struct PeArrayParams {
  uint32_t rows = 16;
  uint32_t cols = 16;
  uint32_t lanes = 4;
  std::vector<tasd::NMPattern> patterns;  // supported N:M patterns besides dense
  uint32_t pipelineLatencyCycles = 32;    // fill + drain of one STREAM, cycles
  std::string impl = "model";             // "model" (C++) or "rtl" (Verilated)

  uint64_t macUnits() const { return uint64_t{rows} * cols * lanes; }
  bool supports(const tasd::NMPattern& p) const;
  std::vector<std::string> validate() const;
};

// One SRAM buffer, split into two slots for double buffering.
struct SramParams {
  uint64_t sizeBytes = 0;
  uint32_t banks = 16;
  uint32_t bankWidthBytes = 32;  // bytes per bank per cycle
  uint64_t portBytesPerCycle() const { return uint64_t{banks} * bankWidthBytes; }
  uint64_t slotBytes() const { return sizeBytes / 2; }
  std::vector<std::string> validate(const std::string& name) const;
};

struct BufferParams {
  SramParams s{256 * 1024, 32, 64};    // structured operand: compressed terms (or dense tile)
  SramParams d{256 * 1024, 32, 64};    // dense operand
  SramParams acc{128 * 1024, 16, 64};  // accumulators (fp32 / int32)
  std::vector<std::string> validate() const;
};

// On-the-fly TASD of activation tiles: `count` units, each spends cyclesPerElement cycles per
// element of an m-block (m cycles per block for the paper's sequential selection).
struct TasdUnitParams {
  uint32_t count = 16;
  uint32_t cyclesPerElement = 1;
  std::string impl = "model";
  std::vector<std::string> validate() const;
};

struct DecoderParams {
  uint32_t fetchBytes = 1024;         // microcode bytes per fetch burst
  uint32_t queueDepth = 16;           // decoded instructions buffered per unit queue
  uint32_t cyclesPerInstruction = 1;  // decode time
  std::string impl = "model";
  std::vector<std::string> validate() const;
};

struct DramParams {
  uint64_t sizeBytes = uint64_t{4} << 30;
  double latencyNs = 100.0;
  double bandwidthGBps = 64.0;  // GB/s, shared by all requesters
  std::vector<std::string> validate() const;
};

// The system address map around the accelerators: one DRAM and one register window per
// instance, all on one interconnect (docs/integration.md). Addresses are the microcode's 40-bit
// device addresses.
constexpr uint64_t kDefaultRegBase = uint64_t{0xF0} << 32;  // above any DRAM size we allow (1 TiB)
constexpr uint64_t kRegWindowBytes = 0x1000;                // one instance's register window
constexpr uint64_t kAddressLimit = uint64_t{1} << 40;       // microcode address fields are 40 bits
constexpr uint32_t kMaxInstances = 16;

struct AddressMapParams {
  uint64_t dramBase = 0;               // device memory at [dramBase, dramBase + dram.sizeBytes)
  uint64_t regBase = kDefaultRegBase;  // instance i's registers at regBase + i * kRegWindowBytes
  uint64_t regBaseOf(uint32_t instance) const {
    return regBase + uint64_t{instance} * kRegWindowBytes;
  }
  std::vector<std::string> validate(uint64_t dramBytes, uint32_t instances) const;
};

// How the host runtime spreads a layer over several instances: the images (rows) of the
// activation operand, or the layer's output channels.
enum class Distribution { Batch, Channels };
const char* distributionName(Distribution d);

struct AcceleratorParams {
  std::string name = "accelerator";
  double clockGHz = 1.0;
  // The TASD extension (TTC): microcode term sequencing with the decomposition-aware dataflow
  // (D and C stay in place while the terms stream) and TASD units for activations. Without it a
  // series runs as separate GEMMs, one per term, with partial sums spilled between them.
  bool tasdExtension = true;
  uint32_t maxTerms = 3;  // longest series the engine runs
  PeArrayParams pe;
  BufferParams buffers;
  TasdUnitParams tasd;
  DecoderParams decoder;
  DramParams dram;
  // The system: `instances` identical accelerators on one interconnect and one DRAM.
  uint32_t instances = 1;
  Distribution distribution = Distribution::Batch;
  AddressMapParams addressMap;
  bool functional = true;  // compute values (false: timing only)

  double clockPeriodNs() const { return 1.0 / clockGHz; }
  std::vector<std::string> validate() const;
};

}  // namespace tasdsim::hw
