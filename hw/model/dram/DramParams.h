#pragma once
// Parameters of the DRAM (arch section `dram`), declared once: key, default, range, unit,
// description (hw/model/common/Params.h).
#include <cstdint>
#include <string>
#include <vector>

#include "hw/model/common/Params.h"

namespace tasdsim::hw {

struct DramParams {
  static constexpr const char* kSection = "dram";
  static constexpr Param<uint64_t> kSizeMib{"size_mib",        4096,  1,
                                            uint64_t{1} << 20, "MiB", "device memory"};
  static constexpr Param<double> kLatencyNs{"latency_ns", 100.0, 0.0, 1e6, "ns", "access latency"};
  static constexpr Param<double> kBandwidthGBps{
      "bandwidth_gbps", 64.0, 1e-3, 1e5, "GB/s", "channel bandwidth, shared by all requesters"};

  uint64_t sizeBytes = kSizeMib.def << 20;
  double latencyNs = kLatencyNs.def;
  double bandwidthGBps = kBandwidthGBps.def;
  std::vector<std::string> validate() const;
  static std::vector<ParamInfo> declarations();
};

}  // namespace tasdsim::hw
