#include "hw/rtl/cosim/RtlSupport.h"

#include <fmt/format.h>

#include "hw/rtl/cosim/RtlParams.h"
#include "sw/common/Error.h"

namespace tasdsim::rtl {

std::vector<ArraySize> peArrayVariants() {
  std::vector<ArraySize> out;
#define TASDSIM_ADD_VARIANT(r, c) out.push_back({r, c});
  TASDSIM_RTL_PE_ARRAY_VARIANTS(TASDSIM_ADD_VARIANT)
#undef TASDSIM_ADD_VARIANT
  return out;
}

std::string peArrayVariantList() {
  std::string s;
  for (const ArraySize& v : peArrayVariants())
    s += fmt::format("{}{}x{}", s.empty() ? "" : ", ", v.rows, v.cols);
  return s;
}

std::vector<std::string> peArrayProblems(const hw::PeArrayParams& pe) {
  std::vector<std::string> out;
  if (pe.impl != "rtl") return out;
  bool sized = false;
  for (const ArraySize& v : peArrayVariants())
    sized = sized || (v.rows == pe.rows && v.cols == pe.cols);
  if (!sized) {
    out.push_back(
        fmt::format("pe_array.impl = rtl: no Verilated PE array of {}x{} (rows x cols); the RTL "
                    "variants are {}",
                    pe.rows, pe.cols, peArrayVariantList()));
  }
  if (pe.overlapStreams) {
    out.push_back(
        "pe_array.impl = rtl: the RTL PE array drains every STREAM before it takes the next; set "
        "pe_array.overlap_streams: false");
  }
  if (pe.lanes != kPeLanes) {
    out.push_back(fmt::format("pe_array.impl = rtl: lanes = {}; the RTL PE has {} lanes", pe.lanes,
                              kPeLanes));
  }
  for (const tasd::NMPattern& p : pe.patterns) {
    if (p.m > kPeMaxBlock) {
      out.push_back(
          fmt::format("pe_array.impl = rtl: pattern {} has m = {}; the RTL PE's index mux takes "
                      "blocks of m <= {}",
                      p.str(), p.m, kPeMaxBlock));
    }
  }
  return out;
}

std::vector<std::string> tasdUnitProblems(const hw::TasdUnitParams& tasd) {
  std::vector<std::string> out;
  if (tasd.impl != "rtl") return out;
  if (tasd.cyclesPerElement != 1) {
    out.push_back(
        fmt::format("tasd_unit.impl = rtl: cycles_per_element = {}; the RTL unit selects one "
                    "element per cycle (use 1)",
                    tasd.cyclesPerElement));
  }
  if (tasd.count > kMaxRtlTasdUnit) {
    out.push_back(
        fmt::format("tasd_unit.impl = rtl: count = {}; co-simulation supports at most {} units",
                    tasd.count, kMaxRtlTasdUnit));
  }
  return out;
}

std::vector<std::string> decoderProblems(const hw::DecoderParams& decoder) {
  std::vector<std::string> out;
  if (decoder.impl != "rtl") return out;
  if (decoder.cyclesPerInstruction != 1) {
    out.push_back(
        fmt::format("decoder.impl = rtl: cycles_per_instruction = {}; the RTL decoder takes one "
                    "instruction per cycle (use 1)",
                    decoder.cyclesPerInstruction));
  }
  return out;
}

std::vector<std::string> archProblems(const hw::AcceleratorParams& params) {
  std::vector<std::string> out = peArrayProblems(params.peArray);
  for (auto&& more : {tasdUnitProblems(params.tasdUnit), decoderProblems(params.decoder)}) {
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

bool anyRtl(const hw::AcceleratorParams& params) {
  return params.peArray.impl == "rtl" || params.tasdUnit.impl == "rtl" ||
         params.decoder.impl == "rtl";
}

std::vector<std::string> runProblems(const hw::AcceleratorParams& params, tasd::DType dtype,
                                     bool functional, bool trace) {
  std::vector<std::string> out = archProblems(params);
  if (params.peArray.impl == "rtl" && dtype != tasd::DType::I8) {
    out.push_back(fmt::format(
        "pe_array.impl = rtl: the RTL PE array computes int8 x int8 -> int32; the run's value "
        "type is {} (set experiment.dtype = int8, or pe_array.impl = model)",
        tasd::dtypeName(dtype)));
  }
  if (params.tasdUnit.impl == "rtl" && params.tasdUnit.count > 0 && !functional) {
    out.push_back(
        "tasd_unit.impl = rtl: the RTL units' time depends on the values, which a timing-only run "
        "does "
        "not compute (run with values, or tasd_unit.impl = model)");
  }
  if (trace && !anyRtl(params)) {
    out.push_back(
        "--trace writes waveforms of RTL blocks, but every block is impl = model (set "
        "pe_array.impl, "
        "tasd_unit.impl or decoder.impl to rtl)");
  }
  return out;
}

void checkRun(const hw::AcceleratorParams& params, tasd::DType dtype, bool functional, bool trace) {
  const std::vector<std::string> problems = runProblems(params, dtype, functional, trace);
  if (problems.empty()) return;
  std::string text;
  for (const std::string& p : problems)
    text += (text.empty() ? "" : "; ") + p;
  throw UserError(text);
}

}  // namespace tasdsim::rtl
