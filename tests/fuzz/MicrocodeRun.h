#pragma once
// Running arbitrary bytes as a microcode program (shared by the libFuzzer driver and the replay
// test). An input is one selector byte and then the program image: an odd selector first runs a
// valid configuration prefix (so that mutations reach the units, not only the decoder).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "hw/model/common/Stats.h"
#include "hw/model/system/System.h"

#include "hw/model/dataflow/Interfaces.h"
#include "hw/model/top/AcceleratorParams.h"
#include "sw/runtime/Host.h"

namespace tasdsim::fuzz {

// A small engine with every feature (TASD units, all patterns of VEGETA-M8 and 2:4) and small
// buffers so that limits are reachable.
hw::AcceleratorParams microcodeParams();

// Runs one input; returns the completion. Aborts (a fuzzer finding) if the device reports an
// impossible status; a device that never completes is a hang the fuzzer's timeout reports.
hw::CompletionInfo runMicrocode(runtime::Host& host, const uint8_t* data, size_t size);

// One elaborated accelerator and host that run inputs one at a time: run() resumes the
// simulation until the host has the program's completion (sc_pause), so the caller's stack
// (libFuzzer's, gtest's) stays outside the SystemC threads. Construct once per process.
class MicrocodeSession {
 public:
  MicrocodeSession();
  ~MicrocodeSession();
  // nullopt: the simulation ran out of events before the program completed (a deadlock).
  std::optional<hw::CompletionInfo> run(const uint8_t* data, size_t size);

 private:
  hw::StatsRegistry stats_;
  std::unique_ptr<hw::System> system_;
  std::unique_ptr<runtime::Host> host_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool pending_ = false;
  hw::CompletionInfo result_;
};

// Seed inputs: programs the host runtime emits for small dense, structured, on-the-fly and
// conv layers on microcodeParams(), each with selector byte 0.
std::vector<std::vector<uint8_t>> microcodeSeeds();

}  // namespace tasdsim::fuzz
