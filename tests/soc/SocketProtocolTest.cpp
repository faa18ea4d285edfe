// The accelerator IP and the interconnect driven as foreign TLM-2.0 components would drive them:
// a plain initiator on the register socket, a plain memory on the memory socket, and an
// initiator and a memory around the bus. Checks the base protocol's rules: payload attributes
// left as they were (but the response status), response status for every refusal, byte
// enables honoured or refused, DMI granted or refused and invalidated. Each simulation runs in
// a forked child (one elaboration per process).
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <nlohmann/json.hpp>
#include <systemc>
#include <tlm>

#include "hw/model/bus/Bus.h"
#include "hw/model/dram/Dram.h"
#include "hw/model/host_if/HostIf.h"
#include "hw/model/top/Accelerator.h"
#include "sw/runtime/Microcode.h"
#include "tests/common/RunInChild.h"

namespace tasdsim {
namespace {

using nlohmann::json;
using sc_core::SC_NS;
using sc_core::sc_time;

// A memory as another vendor would write it: a byte array behind a simple target socket. It
// checks what every initiator must do (status INCOMPLETE on entry, a data pointer, no
// streaming), offers DMI when asked to, and can invalidate what it granted.
class ForeignMemory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<ForeignMemory> socket;
  std::vector<uint8_t> bytes;
  bool offerDmi = true;
  uint64_t timed = 0, dmiGrants = 0;
  std::vector<std::string> violations;

  ForeignMemory(sc_core::sc_module_name name, uint64_t size)
      : sc_module(name), socket("socket"), bytes(size) {
    socket.register_b_transport(this, &ForeignMemory::b_transport);
    socket.register_transport_dbg(this, &ForeignMemory::transport_dbg);
    socket.register_get_direct_mem_ptr(this, &ForeignMemory::get_direct_mem_ptr);
  }
  void invalidateAll() { socket->invalidate_direct_mem_ptr(0, ~sc_dt::uint64{0}); }

 private:
  bool inRange(const tlm::tlm_generic_payload& tx) const {
    return tx.get_address() < bytes.size() &&
           tx.get_data_length() <= bytes.size() - tx.get_address();
  }
  void b_transport(tlm::tlm_generic_payload& tx, sc_time& delay) {
    ++timed;
    if (tx.get_response_status() != tlm::TLM_INCOMPLETE_RESPONSE)
      violations.push_back("status not INCOMPLETE on entry");
    if (!tx.get_data_ptr()) violations.push_back("null data pointer");
    if (tx.get_streaming_width() < tx.get_data_length()) violations.push_back("streaming burst");
    if (tx.get_byte_enable_ptr() && tx.get_byte_enable_length() == 0)
      violations.push_back("empty byte enables");
    if (!inRange(tx) || !tx.get_data_ptr()) {
      tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    uint8_t* mem = bytes.data() + tx.get_address();
    if (tx.is_write()) std::memcpy(mem, tx.get_data_ptr(), tx.get_data_length());
    if (tx.is_read()) std::memcpy(tx.get_data_ptr(), mem, tx.get_data_length());
    delay += sc_time(10, SC_NS);
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  unsigned int transport_dbg(tlm::tlm_generic_payload& tx) {
    if (!inRange(tx)) return 0;
    uint8_t* mem = bytes.data() + tx.get_address();
    if (tx.is_write()) std::memcpy(mem, tx.get_data_ptr(), tx.get_data_length());
    if (tx.is_read()) std::memcpy(tx.get_data_ptr(), mem, tx.get_data_length());
    return tx.get_data_length();
  }
  bool get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
    if (!offerDmi) return false;
    ++dmiGrants;
    dmi.set_dmi_ptr(bytes.data());
    dmi.set_start_address(0);
    dmi.set_end_address(bytes.size() - 1);
    dmi.allow_read_write();
    return true;
  }
};

// A bus master as another vendor would write it: it runs a function in its thread.
class ForeignInitiator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<ForeignInitiator> socket;
  std::function<void(ForeignInitiator&)> body;
  std::vector<std::pair<uint64_t, uint64_t>> invalidations;

  ForeignInitiator(sc_core::sc_module_name name, std::function<void(ForeignInitiator&)> fn)
      : sc_module(name), socket("socket"), body(std::move(fn)) {
    socket.register_invalidate_direct_mem_ptr(this, &ForeignInitiator::invalidate);
    SC_HAS_PROCESS(ForeignInitiator);
    SC_THREAD(run);
  }

  // One access; returns the status, and in `after` what the payload looked like afterwards.
  tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t address, void* data,
                                  unsigned length, sc_time* delayOut = nullptr,
                                  const std::vector<uint8_t>* enables = nullptr,
                                  unsigned streamingWidth = 0, json* after = nullptr) {
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(address);
    tx.set_data_ptr(static_cast<unsigned char*>(data));
    tx.set_data_length(length);
    tx.set_streaming_width(streamingWidth ? streamingWidth : length);
    std::vector<uint8_t> be = enables ? *enables : std::vector<uint8_t>{};
    tx.set_byte_enable_ptr(enables ? be.data() : nullptr);
    tx.set_byte_enable_length(enables ? static_cast<unsigned>(be.size()) : 0);
    tx.set_dmi_allowed(false);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time delay = sc_core::SC_ZERO_TIME;
    socket->b_transport(tx, delay);
    if (delayOut) *delayOut = delay;
    if (after) {
      *after = {{"command", static_cast<int>(tx.get_command())},
                {"address", tx.get_address()},
                {"length", tx.get_data_length()},
                {"streaming_width", tx.get_streaming_width()},
                {"data_same", tx.get_data_ptr() == static_cast<unsigned char*>(data)},
                {"be_same", tx.get_byte_enable_ptr() == (enables ? be.data() : nullptr)}};
    }
    sc_core::wait(delay);
    return tx.get_response_status();
  }

 private:
  void run() {
    body(*this);
    sc_core::sc_stop();
  }
  void invalidate(sc_dt::uint64 start, sc_dt::uint64 end) {
    invalidations.emplace_back(start, end);
  }
};

uint64_t u64(ForeignInitiator& in, tlm::tlm_command cmd, uint64_t address, uint64_t value = 0,
             tlm::tlm_response_status* status = nullptr) {
  const tlm::tlm_response_status s = in.access(cmd, address, &value, 8);
  if (status) *status = s;
  return value;
}

void quiet() {
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
}

// ---- the register socket -------------------------------------------------------------------

json registerSocketRun() {
  quiet();
  hw::AcceleratorParams params;
  hw::StatsRegistry stats;
  hw::Accelerator accel("accel", params, stats);
  ForeignMemory memory("memory", 1 << 20);
  sc_core::sc_signal<bool> irq("irq");
  json out;
  ForeignInitiator cpu("cpu", [&](ForeignInitiator& in) {
    uint64_t v = 0;
    sc_time delay;
    json after;
    out["id_status"] = static_cast<int>(
        in.access(tlm::TLM_READ_COMMAND, hw::reg::kId, &v, 8, &delay, nullptr, 0, &after));
    out["id"] = v;
    out["id_after"] = after;
    out["id_delay_ns"] = delay.to_seconds() * 1e9;
    uint32_t half = 0xdeadbeef;
    out["id_high_status"] =
        static_cast<int>(in.access(tlm::TLM_READ_COMMAND, hw::reg::kId + 4, &half, 4));
    out["id_high"] = half;
    // Writes and reads back; then a write with byte enables must be refused and change nothing.
    u64(in, tlm::TLM_WRITE_COMMAND, hw::reg::kMcBase, 0x1234);
    uint64_t w = 0xffff;
    const std::vector<uint8_t> enables{0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0};
    out["be_status"] = static_cast<int>(
        in.access(tlm::TLM_WRITE_COMMAND, hw::reg::kMcBase, &w, 8, nullptr, &enables));
    out["mc_base_after_be"] = u64(in, tlm::TLM_READ_COMMAND, hw::reg::kMcBase);
    uint16_t two = 0;
    out["len2_status"] = static_cast<int>(in.access(tlm::TLM_READ_COMMAND, hw::reg::kId, &two, 2));
    out["streaming_status"] = static_cast<int>(
        in.access(tlm::TLM_READ_COMMAND, hw::reg::kId, &v, 8, nullptr, nullptr, 4));
    out["misaligned_status"] = static_cast<int>(in.access(tlm::TLM_READ_COMMAND, 0x0c, &v, 8));
    out["unmapped_status"] = static_cast<int>(in.access(tlm::TLM_READ_COMMAND, 0x100, &v, 8));
    out["outside_status"] = static_cast<int>(in.access(tlm::TLM_READ_COMMAND, 0x1000, &v, 8));
    uint64_t one = 1;
    out["ignore_status"] =
        static_cast<int>(in.access(tlm::TLM_IGNORE_COMMAND, hw::reg::kDoorbell, &one, 8));
    out["status_after_ignore"] = u64(in, tlm::TLM_READ_COMMAND, hw::reg::kStatus);
    // DMI is refused for registers; debug reads see them without side effects.
    tlm::tlm_generic_payload tx;
    tx.set_command(tlm::TLM_READ_COMMAND);
    tx.set_address(hw::reg::kMcBase);
    tlm::tlm_dmi dmi;
    out["dmi_granted"] = in.socket->get_direct_mem_ptr(tx, dmi);
    out["dmi_read_allowed"] = dmi.is_read_allowed();
    uint64_t dbg = 0;
    tx.set_data_ptr(reinterpret_cast<unsigned char*>(&dbg));
    tx.set_data_length(8);
    out["debug_read_bytes"] = in.socket->transport_dbg(tx);
    out["debug_read_value"] = dbg;
    tx.set_command(tlm::TLM_WRITE_COMMAND);
    out["debug_write_bytes"] = in.socket->transport_dbg(tx);
  });
  cpu.socket.bind(accel.reg_socket);
  accel.mem_socket.bind(memory.socket);
  accel.irq_out.bind(irq);
  sc_core::sc_start();
  return out;
}

TEST(SocketProtocol, RegisterSocketFollowsTheBaseProtocol) {
  const json r = json::parse(test::runInChildBytes([] { return registerSocketRun().dump(); }));
  EXPECT_EQ(r["id_status"].get<int>(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(r["id"].get<uint64_t>(), hw::reg::kIdValue);
  EXPECT_DOUBLE_EQ(r["id_delay_ns"].get<double>(), 1.0);  // one cycle at the default 1 GHz
  // Only the response status (and the data) may change.
  EXPECT_EQ(r["id_after"]["command"].get<int>(), tlm::TLM_READ_COMMAND);
  EXPECT_EQ(r["id_after"]["address"].get<uint64_t>(), hw::reg::kId);
  EXPECT_EQ(r["id_after"]["length"].get<unsigned>(), 8u);
  EXPECT_EQ(r["id_after"]["streaming_width"].get<unsigned>(), 8u);
  EXPECT_TRUE(r["id_after"]["data_same"].get<bool>());
  EXPECT_TRUE(r["id_after"]["be_same"].get<bool>());
  EXPECT_EQ(r["id_high_status"].get<int>(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(r["id_high"].get<uint32_t>(), 0u);  // the upper half of the 64-bit ID register
  EXPECT_EQ(r["be_status"].get<int>(), tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  EXPECT_EQ(r["mc_base_after_be"].get<uint64_t>(), 0x1234u);
  EXPECT_EQ(r["len2_status"].get<int>(), tlm::TLM_BURST_ERROR_RESPONSE);
  EXPECT_EQ(r["streaming_status"].get<int>(), tlm::TLM_BURST_ERROR_RESPONSE);
  EXPECT_EQ(r["misaligned_status"].get<int>(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(r["unmapped_status"].get<int>(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(r["outside_status"].get<int>(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(r["ignore_status"].get<int>(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(r["status_after_ignore"].get<uint64_t>(), hw::reg::kIdle);  // the doorbell did not ring
  EXPECT_FALSE(r["dmi_granted"].get<bool>());
  EXPECT_FALSE(r["dmi_read_allowed"].get<bool>());
  EXPECT_EQ(r["debug_read_bytes"].get<unsigned>(), 8u);
  EXPECT_EQ(r["debug_read_value"].get<uint64_t>(), 0x1234u);
  EXPECT_EQ(r["debug_write_bytes"].get<unsigned>(), 0u);
}

// ---- the memory socket against a foreign memory -----------------------------------------------

constexpr uint32_t kM = 20, kN = 24, kK = 40;
constexpr uint64_t kS = 0x0, kD = 0x1000, kC = 0x2000, kProgram = 0x3000;

std::vector<float> seeded(size_t count, uint32_t seed) {
  std::vector<float> v(count);
  uint32_t x = seed;
  for (float& f : v) {
    x = x * 1664525u + 1013904223u;
    f = static_cast<float>(static_cast<int>(x >> 24) - 128) / 64.0f;
  }
  return v;
}

std::vector<uint8_t> gemmProgram(const hw::AcceleratorParams& params) {
  runtime::GemmJob job;
  job.name = "gemm";
  job.m = kM;
  job.n = kN;
  job.k = kK;
  job.sKind = runtime::SKind::Dense;
  job.series = tasd::Series::dense();
  job.s.address = kS;
  job.s.rowStride = kK * 4;
  job.d.address = kD;
  job.d.rowStride = kK * 4;
  job.cAddress = kC;
  job.cRowStride = kN * 4;
  runtime::Program program;
  runtime::emitGemm(params, job, program);
  runtime::emitEnd(program);
  return program.bytes();
}

// Runs the GEMM three times on the IP alone with a foreign memory: the memory invalidates its
// DMI grant between the first and second run. Reports the results' largest error against a
// reference and the DMI grants and protocol violations the memory saw.
json memorySocketRun(bool offerDmi) {
  quiet();
  hw::AcceleratorParams params;
  hw::StatsRegistry stats;
  hw::Accelerator accel("accel", params, stats);
  ForeignMemory memory("memory", 1 << 20);
  memory.offerDmi = offerDmi;
  sc_core::sc_signal<bool> irq("irq");
  json out;
  const std::vector<float> s = seeded(kM * kK, 1), d = seeded(kN * kK, 2);
  std::memcpy(memory.bytes.data() + kS, s.data(), s.size() * 4);
  std::memcpy(memory.bytes.data() + kD, d.data(), d.size() * 4);
  const std::vector<uint8_t> code = gemmProgram(params);
  std::memcpy(memory.bytes.data() + kProgram, code.data(), code.size());
  ForeignInitiator cpu("cpu", [&](ForeignInitiator& in) {
    for (int run = 0; run < 3; ++run) {
      std::memset(memory.bytes.data() + kC, 0, kM * kN * 4);
      u64(in, tlm::TLM_WRITE_COMMAND, hw::reg::kMcBase, kProgram);
      u64(in, tlm::TLM_WRITE_COMMAND, hw::reg::kMcLength, code.size());
      u64(in, tlm::TLM_WRITE_COMMAND, hw::reg::kDoorbell, 1);
      while (!irq.read())
        sc_core::wait(irq.posedge_event());
      json r;
      r["error_code"] = u64(in, tlm::TLM_READ_COMMAND, hw::reg::kErrorCode);
      r["cycles"] = u64(in, tlm::TLM_READ_COMMAND, hw::reg::kCycles);
      u64(in, tlm::TLM_WRITE_COMMAND, hw::reg::kIrqAck, 1);
      r["irq_after_ack"] = irq.read();
      double worst = 0;
      for (uint32_t i = 0; i < kM; ++i)
        for (uint32_t j = 0; j < kN; ++j) {
          double ref = 0;
          for (uint32_t q = 0; q < kK; ++q)
            ref += double(s[i * kK + q]) * d[j * kK + q];
          float c = 0;
          std::memcpy(&c, memory.bytes.data() + kC + (i * kN + j) * 4, 4);
          worst = std::max(worst, std::fabs(c - ref));
        }
      r["max_error"] = worst;
      r["dmi_grants"] = memory.dmiGrants;
      r["timed"] = memory.timed;
      out["runs"].push_back(r);
      if (run == 0) memory.invalidateAll();
    }
    out["violations"] = memory.violations;
  });
  cpu.socket.bind(accel.reg_socket);
  accel.mem_socket.bind(memory.socket);
  accel.irq_out.bind(irq);
  sc_core::sc_start();
  return out;
}

TEST(SocketProtocol, MemorySocketRunsOnAForeignMemoryAndHonoursDmiInvalidation) {
  const json r = json::parse(test::runInChildBytes([] { return memorySocketRun(true).dump(); }));
  ASSERT_EQ(r["runs"].size(), 3u);
  for (const json& run : r["runs"]) {
    EXPECT_EQ(run["error_code"].get<uint64_t>(), 0u);
    EXPECT_LT(run["max_error"].get<double>(), 1e-3);  // exact inputs (multiples of 1/64), K = 40
    EXPECT_GT(run["cycles"].get<uint64_t>(), 0u);
    EXPECT_FALSE(run["irq_after_ack"].get<bool>());
  }
  EXPECT_TRUE(r["violations"].empty()) << r["violations"].dump();
  const uint64_t g0 = r["runs"][0]["dmi_grants"], g1 = r["runs"][1]["dmi_grants"],
                 g2 = r["runs"][2]["dmi_grants"];
  EXPECT_GT(g0, 0u);
  EXPECT_GT(g1, g0);  // the invalidation after run 0 made the units ask again
  EXPECT_EQ(g2, g1);  // without one, their grants stay cached
  EXPECT_GT(r["runs"][0]["timed"].get<uint64_t>(), 0u);  // time is charged by timed transactions
}

TEST(SocketProtocol, MemorySocketWorksWithoutDmi) {
  const json r = json::parse(test::runInChildBytes([] { return memorySocketRun(false).dump(); }));
  ASSERT_EQ(r["runs"].size(), 3u);
  for (const json& run : r["runs"]) {
    EXPECT_EQ(run["error_code"].get<uint64_t>(), 0u);
    EXPECT_LT(run["max_error"].get<double>(), 1e-3);
    EXPECT_EQ(run["dmi_grants"].get<uint64_t>(), 0u);
  }
  EXPECT_TRUE(r["violations"].empty()) << r["violations"].dump();
}

// ---- the interconnect and the DRAM --------------------------------------------------------

constexpr uint64_t kDramBase = 0x4000'0000;

json busRun() {
  quiet();
  hw::StatsRegistry stats;
  hw::DramParams dp;
  dp.sizeBytes = 1 << 20;
  hw::Bus bus("bus",
              {{"dram", kDramBase, dp.sizeBytes, true}, {"other", 0x1000'0000, 0x1000, true}});
  hw::Dram dram("dram", dp, stats);
  ForeignMemory other("other", 0x1000);
  json out;
  ForeignInitiator cpu("cpu", [&](ForeignInitiator& in) {
    std::vector<uint8_t> data(8, 0x11);
    in.access(tlm::TLM_WRITE_COMMAND, kDramBase + 0x100, data.data(), 8);
    std::vector<uint8_t> pattern{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7};
    const std::vector<uint8_t> enables{0xff, 0x00};  // repeats: every other byte
    json after;
    out["be_write_status"] =
        static_cast<int>(in.access(tlm::TLM_WRITE_COMMAND, kDramBase + 0x100, pattern.data(), 8,
                                   nullptr, &enables, 0, &after));
    out["be_write_after"] = after;
    std::vector<uint8_t> back(8, 0);
    in.access(tlm::TLM_READ_COMMAND, kDramBase + 0x100, back.data(), 8);
    out["after_be"] = back;
    out["streaming_status"] = static_cast<int>(
        in.access(tlm::TLM_READ_COMMAND, kDramBase, back.data(), 8, nullptr, nullptr, 4));
    out["unmapped_status"] =
        static_cast<int>(in.access(tlm::TLM_READ_COMMAND, 0x2000'0000, back.data(), 8));
    out["straddling_status"] = static_cast<int>(
        in.access(tlm::TLM_READ_COMMAND, kDramBase + dp.sizeBytes - 4, back.data(), 8));
    out["ignore_status"] =
        static_cast<int>(in.access(tlm::TLM_IGNORE_COMMAND, kDramBase, back.data(), 8));
    tlm::tlm_generic_payload tx;
    tx.set_command(tlm::TLM_READ_COMMAND);
    tx.set_address(kDramBase + 0x100);
    tlm::tlm_dmi dmi;
    out["dmi_granted"] = in.socket->get_direct_mem_ptr(tx, dmi);
    out["dmi_start"] = dmi.get_start_address();
    out["dmi_end"] = dmi.get_end_address();
    out["dmi_byte"] =
        dmi.get_dmi_ptr() ? dmi.get_dmi_ptr()[kDramBase + 0x101 - dmi.get_start_address()] : -1;
    out["address_after_dmi"] = tx.get_address();
    other.invalidateAll();  // the second target invalidates: the bus passes it on, translated
    out["invalidations"] = in.invalidations;
  });
  cpu.socket.bind(bus.target_socket);
  bus.init_socket.bind(dram.target_socket);
  bus.init_socket.bind(other.socket);
  sc_core::sc_start();
  return out;
}

TEST(SocketProtocol, InterconnectAndDramFollowTheBaseProtocol) {
  const json r = json::parse(test::runInChildBytes([] { return busRun().dump(); }));
  EXPECT_EQ(r["be_write_status"].get<int>(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(r["be_write_after"]["address"].get<uint64_t>(),
            kDramBase + 0x100);  // restored by the bus
  EXPECT_TRUE(r["be_write_after"]["be_same"].get<bool>());
  EXPECT_EQ(r["after_be"].get<std::vector<int>>(),
            (std::vector<int>{0xa0, 0x11, 0xa2, 0x11, 0xa4, 0x11, 0xa6, 0x11}));
  EXPECT_EQ(r["streaming_status"].get<int>(), tlm::TLM_BURST_ERROR_RESPONSE);
  EXPECT_EQ(r["unmapped_status"].get<int>(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(r["straddling_status"].get<int>(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(r["ignore_status"].get<int>(), tlm::TLM_OK_RESPONSE);
  EXPECT_TRUE(r["dmi_granted"].get<bool>());
  EXPECT_GE(r["dmi_start"].get<uint64_t>(), kDramBase);  // bus addresses, within the DRAM's range
  EXPECT_LE(r["dmi_start"].get<uint64_t>(), kDramBase + 0x100);
  EXPECT_GE(r["dmi_end"].get<uint64_t>(), kDramBase + 0x101);
  EXPECT_LT(r["dmi_end"].get<uint64_t>(), kDramBase + (1 << 20));
  EXPECT_EQ(r["dmi_byte"].get<int>(), 0x11);
  EXPECT_EQ(r["address_after_dmi"].get<uint64_t>(), kDramBase + 0x100);
  ASSERT_EQ(r["invalidations"].size(), 1u);
  EXPECT_EQ(r["invalidations"][0][0].get<uint64_t>(), 0x1000'0000u);  // clipped to the range
  EXPECT_EQ(r["invalidations"][0][1].get<uint64_t>(), 0x1000'0fffu);
}

}  // namespace
}  // namespace tasdsim
