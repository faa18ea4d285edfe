// libFuzzer driver for microcode: arbitrary bytes run as a program on the simulated
// accelerator, which must end every program with a status (done or an error code) and never
// crash or deadlock. SystemC elaborates once per process, so this driver has its own main: it
// elaborates one MicrocodeSession and hands libFuzzer (LLVMFuzzerRunDriver, from
// libclang_rt.fuzzer_no_main) a callback that runs each input in it.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <systemc>

#include "tests/fuzz/MicrocodeRun.h"

extern "C" int LLVMFuzzerRunDriver(int* argc, char*** argv,
                                   int (*cb)(const uint8_t* data, size_t size));

namespace {

tasdsim::fuzz::MicrocodeSession* gSession = nullptr;

int runOne(const uint8_t* data, size_t size) {
  if (!gSession->run(data, size)) {
    std::fprintf(stderr, "microcode program never completed (simulation ran out of events)\n");
    std::abort();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  auto session = std::make_unique<tasdsim::fuzz::MicrocodeSession>();
  gSession = session.get();
  return LLVMFuzzerRunDriver(&argc, &argv, runOne);
}
