// DRAM + DMA bench: a requester issues timed batches; latency is paid once per batch, bytes
// serialise on the channel at the configured bandwidth, data round-trips, bytes are counted
// per direction and bad addresses are refused.
#include <cstring>
#include <vector>

#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <nlohmann/json.hpp>
#include <systemc>

#include "hw/model/dataflow/Dma.h"
#include "hw/model/dram/Dram.h"
#include "hw/model/dram/DramStats.h"
#include "tests/common/RunInChild.h"

namespace tasdsim::hw {
namespace {

struct Requester : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Requester> socket{"socket"};
  nlohmann::json out;
  SC_HAS_PROCESS(Requester);
  explicit Requester(sc_core::sc_module_name n) : sc_module(n) { SC_THREAD(run); }
  double now() const { return sc_core::sc_time_stamp().to_seconds() * 1e9; }
  void run() {
    std::vector<uint8_t> data(6400);
    for (size_t i = 0; i < data.size(); ++i)
      data[i] = static_cast<uint8_t>(i * 7);
    {  // one write of 6400 bytes
      DmaBatch b(socket);
      out["write_ok"] = b.write(0x1000, data.data(), data.size());
      sc_core::wait(b.delay());
      out["t_write"] = now();
    }
    {  // four reads of 1600 bytes issued together: latency once, bandwidth shared
      std::vector<uint8_t> back(6400);
      DmaBatch b(socket);
      for (int i = 0; i < 4; ++i)
        b.read(0x1000 + 1600 * i, back.data() + 1600 * i, 1600);
      sc_core::wait(b.delay());
      out["t_reads"] = now();
      out["same"] = back == data;
      out["requests"] = b.requests();
    }
    {  // timing only: no data pointer
      DmaBatch b(socket);
      out["timing_only_ok"] = b.read(0x1000, nullptr, 64);
      sc_core::wait(b.delay());
    }
    {
      DmaBatch b(socket);
      out["bad_ok"] = b.read(uint64_t{1} << 40, data.data(), 16);
    }
    sc_core::sc_stop();
  }
};

TEST(DramBench, LatencyBandwidthDataAndCounters) {
  const std::string result = test::runInChildBytes([] {
    DramParams p;
    p.sizeBytes = 64 << 20;
    p.latencyNs = 100;
    p.bandwidthGBps = 64;  // 64 bytes per ns
    StatsRegistry stats;
    Dram dram("dram", p, stats);
    Requester req("req");
    req.socket.bind(dram.target_socket);
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                            sc_core::SC_DO_NOTHING);
    sc_core::sc_start();
    req.out["read_bytes"] = stats.value(DramStats::kReadBytes.path());
    req.out["write_bytes"] = stats.value(DramStats::kWriteBytes.path());
    req.out["read_requests"] = stats.value(DramStats::kReadRequests.path());
    return req.out.dump();
  });
  const nlohmann::json r = nlohmann::json::parse(result);
  EXPECT_TRUE(r["write_ok"].get<bool>());
  // 6400 B at 64 B/ns = 100 ns on the channel, plus 100 ns latency.
  EXPECT_DOUBLE_EQ(r["t_write"].get<double>(), 200.0);
  // Four 1600 B reads together: 4 x 25 ns serialised + one 100 ns latency.
  EXPECT_DOUBLE_EQ(r["t_reads"].get<double>() - 200.0, 200.0);
  EXPECT_TRUE(r["same"].get<bool>());
  EXPECT_EQ(r["requests"].get<int>(), 4);
  EXPECT_TRUE(r["timing_only_ok"].get<bool>());
  EXPECT_FALSE(r["bad_ok"].get<bool>());
  EXPECT_EQ(r["read_bytes"].get<uint64_t>(), 6400u + 64u);
  EXPECT_EQ(r["write_bytes"].get<uint64_t>(), 6400u);
  EXPECT_EQ(r["read_requests"].get<uint64_t>(), 5u);
}

}  // namespace
}  // namespace tasdsim::hw
