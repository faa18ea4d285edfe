// A small system-level platform built around the TASD accelerator IP, the way a hardware team
// drops the model into its own virtual platform:
//
//   cpu (firmware) ---------+                          +--> memory (DRAM model)  0x8000_0000
//   traffic (other masters) +--> interconnect (Bus) ---+--> accel.reg_socket      0x1000_0000
//   accel.mem_socket -------+
//   accel.irq_out ---> cpu
//
// The firmware writes a GEMM's operands and its microcode (from the host runtime's encoder)
// into memory, programs the accelerator's registers, rings the doorbell, sleeps until the
// interrupt, acknowledges it and checks the result against a reference computed here. The
// traffic generator keeps the memory busy meanwhile (--traffic-gbps), so the accelerator's
// cycles show the contention. Prints one JSON object.
//
//   soc_platform [--traffic-gbps 0] [--m 96 --n 64 --k 256]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "examples/soc_platform/TrafficGenerator.h"
#include "hw/model/bus/Bus.h"
#include "hw/model/dram/Dram.h"
#include "hw/model/host_if/HostIf.h"
#include "hw/model/top/Accelerator.h"
#include "sw/runtime/Microcode.h"

namespace soc_example {

// The platform's address map (this platform's choice; the accelerator only needs its microcode
// to name addresses its memory socket can reach).
constexpr uint64_t kMemoryBase = 0x8000'0000, kMemoryBytes = uint64_t{64} << 20;
constexpr uint64_t kAccelRegs = 0x1000'0000;
constexpr uint64_t kTrafficWindow = kMemoryBase + (uint64_t{32} << 20),
                   kTrafficBytes = uint64_t{16} << 20;
constexpr uint32_t kTrafficBurstBytes =
    64 * 1024;  // large bursts: a blocking master pays the latency once per burst

struct Options {
  double trafficGBps = 0;
  uint32_t m = 96, n = 64, k = 256;
};

// The firmware's CPU: a blocking initiator and the interrupt line.
class Cpu : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Cpu> init_socket;
  sc_core::sc_in<bool> irq_in;

  Cpu(sc_core::sc_module_name name, const Options& o, TrafficGenerator& traffic)
      : sc_module(name), init_socket("init_socket"), irq_in("irq_in"), o_(o), traffic_(traffic) {
    SC_HAS_PROCESS(Cpu);
    SC_THREAD(firmware);
  }

  std::string report;

 private:
  void access(tlm::tlm_command cmd, uint64_t address, void* data, unsigned bytes, bool timed) {
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(address);
    tx.set_data_ptr(static_cast<unsigned char*>(data));
    tx.set_data_length(bytes);
    tx.set_streaming_width(bytes);
    tx.set_byte_enable_ptr(nullptr);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    if (!timed) {  // loading memory: debug transport, outside the platform's time
      if (init_socket->transport_dbg(tx) != bytes)
        fail("debug access at " + hex(address) + " failed");
      return;
    }
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    init_socket->b_transport(tx, delay);
    if (tx.is_response_error()) fail("access at " + hex(address) + ": " + tx.get_response_string());
    sc_core::wait(delay);
  }
  void writeReg(uint64_t offset, uint64_t v) {
    access(tlm::TLM_WRITE_COMMAND, kAccelRegs + offset, &v, 8, true);
  }
  uint64_t readReg(uint64_t offset) {
    uint64_t v = 0;
    access(tlm::TLM_READ_COMMAND, kAccelRegs + offset, &v, 8, true);
    return v;
  }
  [[noreturn]] static void fail(const std::string& why) {
    std::fprintf(stderr, "soc_platform: %s\n", why.c_str());
    std::exit(1);
  }
  static std::string hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
  }

  static std::vector<float> seeded(size_t count, uint32_t seed) {
    std::vector<float> v(count);
    uint32_t x = seed;
    for (float& f : v) {
      x = x * 1664525u + 1013904223u;
      f = static_cast<float>(static_cast<int>(x >> 24) - 128) / 128.0f;
    }
    return v;
  }

  void firmware() {
    const uint32_t m = o_.m, n = o_.n, k = o_.k;
    // Operands: S [m x k], D [n x k] (fp32, row-major), result C [m x n] = S D^T.
    const uint64_t sAddr = kMemoryBase, dAddr = sAddr + uint64_t{m} * k * 4,
                   cAddr = dAddr + uint64_t{n} * k * 4;
    const uint64_t codeAddr = (cAddr + uint64_t{m} * n * 4 + 0xff) & ~uint64_t{0xff};
    std::vector<float> s = seeded(uint64_t{m} * k, 7), d = seeded(uint64_t{n} * k, 11);
    access(tlm::TLM_WRITE_COMMAND, sAddr, s.data(), static_cast<unsigned>(s.size() * 4), false);
    access(tlm::TLM_WRITE_COMMAND, dAddr, d.data(), static_cast<unsigned>(d.size() * 4), false);
    tasdsim::runtime::GemmJob job;
    job.name = "gemm";
    job.m = m;
    job.n = n;
    job.k = k;
    job.sKind = tasdsim::runtime::SKind::Dense;
    job.series = tasdsim::tasd::Series::dense();
    job.s.address = sAddr;
    job.s.rowStride = uint64_t{k} * 4;
    job.d.address = dAddr;
    job.d.rowStride = uint64_t{k} * 4;
    job.cAddress = cAddr;
    job.cRowStride = uint64_t{n} * 4;
    tasdsim::runtime::Program program;
    tasdsim::runtime::emitGemm(tasdsim::hw::AcceleratorParams{}, job, program);
    tasdsim::runtime::emitEnd(program);
    std::vector<uint8_t> code = program.bytes();
    access(tlm::TLM_WRITE_COMMAND, codeAddr, code.data(), static_cast<unsigned>(code.size()),
           false);

    // Program the accelerator and sleep until its interrupt.
    const uint64_t id = readReg(tasdsim::hw::reg::kId);
    writeReg(tasdsim::hw::reg::kMcBase, codeAddr);
    writeReg(tasdsim::hw::reg::kMcLength, code.size());
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    writeReg(tasdsim::hw::reg::kDoorbell, 1);
    if (!irq_in.read()) sc_core::wait(irq_in.posedge_event());
    const sc_core::sc_time end = sc_core::sc_time_stamp();
    const uint64_t error = readReg(tasdsim::hw::reg::kErrorCode),
                   cycles = readReg(tasdsim::hw::reg::kCycles);
    writeReg(tasdsim::hw::reg::kIrqAck, 1);
    traffic_.stop();

    std::vector<float> c(uint64_t{m} * n);
    access(tlm::TLM_READ_COMMAND, cAddr, c.data(), static_cast<unsigned>(c.size() * 4), false);
    double worst = 0;
    for (uint32_t i = 0; i < m; ++i)
      for (uint32_t j = 0; j < n; ++j) {
        double ref = 0;
        for (uint32_t q = 0; q < k; ++q)
          ref += double(s[uint64_t{i} * k + q]) * d[uint64_t{j} * k + q];
        worst = std::max(worst, std::fabs(c[uint64_t{i} * n + j] - ref));
      }
    // Inputs are multiples of 1/128 below 1 in magnitude: fp32 sums of K products are exact to
    // well below 1e-3.
    const bool passed = error == 0 && worst < 1e-3;
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "{\"id\": %llu, \"error_code\": %llu, \"cycles\": %llu, \"irq_ns\": %.3f, "
                  "\"max_abs_error\": %.3g, "
                  "\"check\": \"%s\", \"traffic_gbps\": %.3f, \"traffic_bytes\": %llu, "
                  "\"traffic_errors\": %llu}",
                  static_cast<unsigned long long>(id), static_cast<unsigned long long>(error),
                  static_cast<unsigned long long>(cycles), (end - start).to_seconds() * 1e9, worst,
                  passed ? "passed" : "failed", o_.trafficGBps,
                  static_cast<unsigned long long>(traffic_.bytes()),
                  static_cast<unsigned long long>(traffic_.errors()));
    report = buf;
    sc_core::sc_stop();
  }

  const Options o_;
  TrafficGenerator& traffic_;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> double {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "soc_platform: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      char* end = nullptr;
      const double v = std::strtod(argv[++i], &end);
      if (!end || *end || !(v >= 0) || v > 1e5) {
        std::fprintf(stderr, "soc_platform: %s %s: expected a number in [0, 1e5]\n", a.c_str(),
                     argv[i]);
        std::exit(2);
      }
      return v;
    };
    auto dim = [&]() -> uint32_t {
      const double v = value();
      if (v < 1 || v > 4096 || v != std::floor(v)) {
        std::fprintf(stderr, "soc_platform: %s %s: expected an integer in [1, 4096]\n", a.c_str(),
                     argv[i]);
        std::exit(2);
      }
      return static_cast<uint32_t>(v);
    };
    if (a == "--traffic-gbps") {
      o.trafficGBps = value();
    } else if (a == "--m") {
      o.m = dim();
    } else if (a == "--n") {
      o.n = dim();
    } else if (a == "--k") {
      o.k = dim();
    } else {
      std::fprintf(stderr,
                   "soc_platform: unknown option '%s' (options: --traffic-gbps, --m, --n, --k)\n",
                   a.c_str());
      std::exit(2);
    }
  }
  return o;
}

}  // namespace soc_example

int sc_main(int argc, char* argv[]) {
  using namespace soc_example;
  const Options o = parse(argc, argv);
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  tasdsim::hw::StatsRegistry stats;
  tasdsim::hw::AcceleratorParams params;  // the default engine; a platform sets its own
  tasdsim::hw::DramParams memoryParams;
  memoryParams.sizeBytes = kMemoryBytes;

  tasdsim::hw::Bus interconnect(
      "interconnect", {{"memory", kMemoryBase, kMemoryBytes, true},
                       {"accel.reg_socket", kAccelRegs, tasdsim::hw::kRegWindowBytes, false}});
  tasdsim::hw::Dram memory("memory", memoryParams, stats);
  tasdsim::hw::Accelerator accel("accel", params, stats);
  TrafficGenerator traffic("traffic", kTrafficWindow, kTrafficBytes, kTrafficBurstBytes,
                           o.trafficGBps);
  Cpu cpu("cpu", o, traffic);
  sc_core::sc_signal<bool> irq("irq");

  interconnect.init_socket.bind(memory.target_socket);  // address map order
  interconnect.init_socket.bind(accel.reg_socket);
  cpu.init_socket.bind(interconnect.target_socket);
  traffic.init_socket.bind(interconnect.target_socket);
  accel.mem_socket.bind(interconnect.target_socket);
  accel.irq_out.bind(irq);
  cpu.irq_in.bind(irq);

  sc_core::sc_start();
  if (cpu.report.empty()) {
    std::fprintf(stderr, "soc_platform: the firmware did not finish\n");
    return 1;
  }
  std::printf("%s\n", cpu.report.c_str());
  return cpu.report.find("\"check\": \"passed\"") == std::string::npos ? 1 : 0;
}
