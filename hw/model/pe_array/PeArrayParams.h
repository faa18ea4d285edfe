#pragma once
// Parameters of the PE array (arch section `pe_array`), declared once: key, default, range,
// unit, description (hw/model/common/Params.h).
#include <cstdint>
#include <string>
#include <vector>

#include "hw/model/common/Params.h"
#include "sw/tasd/Pattern.h"

namespace tasdsim::hw {

// rows x cols PEs with `lanes` MAC units each. A pass maps `rows` rows of the structured
// operand S and `cols` rows of the dense operand D (output columns) onto the array; each cycle
// a PE consumes `lanes` stored values of its S row. Dense is always supported.
// Whether an array with these N:M patterns runs p (dense always).
bool supportsPattern(const std::vector<tasd::NMPattern>& patterns, const tasd::NMPattern& p);

struct PeArrayParams {
  static constexpr const char* kSection = "pe_array";
  static constexpr Param<uint32_t> kRows{
      "rows", 16, 1, 256, "PEs", "PE rows (each takes a row of the structured operand S)"};
  static constexpr Param<uint32_t> kCols{
      "cols", 16, 1, 256, "PEs", "PE columns (each takes a row of the dense operand D)"};
  static constexpr Param<uint32_t> kLanes{
      "lanes", 4, 1, 64, "MACs", "MAC lanes per PE (stored values consumed per cycle)"};
  static constexpr TextParam kPatterns{"patterns", "[]", "N:M list",
                                       "supported N:M patterns besides dense"};
  static constexpr Param<uint32_t> kPipelineLatency{
      "pipeline_latency_cycles",
      0,
      0,
      4096,
      "cycles",
      "fill + drain of one STREAM (default: rows + cols)"};
  static constexpr FlagParam kOverlapStreams{
      "overlap_streams", true,
      "start a STREAM while the previous one drains: the fill and drain is paid only where the "
      "array waits for operands"};
  static constexpr ChoiceParam kImpl{"impl", "model", "model, rtl",
                                     "C++ model or Verilated RTL (hw/rtl/pe_array)"};
  // The pipeline latency when the config gives none: one fill across the rows and one drain
  // across the columns.
  static constexpr uint32_t defaultPipelineLatency(uint32_t rows, uint32_t cols) {
    return rows + cols;
  }

  uint32_t rows = kRows.def;
  uint32_t cols = kCols.def;
  uint32_t lanes = kLanes.def;
  std::vector<tasd::NMPattern> patterns;  // supported N:M patterns besides dense
  uint32_t pipelineLatencyCycles = defaultPipelineLatency(kRows.def, kCols.def);
  bool overlapStreams = kOverlapStreams.def;
  std::string impl = kImpl.def;  // "model" (C++) or "rtl" (Verilated)

  uint64_t macUnits() const { return uint64_t{rows} * cols * lanes; }
  bool supports(const tasd::NMPattern& p) const { return supportsPattern(patterns, p); }
  std::vector<std::string> validate() const;
  static std::vector<ParamInfo> declarations();
};

}  // namespace tasdsim::hw
