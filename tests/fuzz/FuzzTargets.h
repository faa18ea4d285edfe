#pragma once
// One function per input format that users can hand to tasdsim: it parses (and, where cheap,
// uses) the bytes as tasdsim would, and returns true when they were accepted, false when they
// were rejected with a UserError (TASDSIM_FUZZ_VERBOSE=1 prints its message). Anything else
// (a crash, another exception, a sanitizer report) is a finding. libFuzzer drives these
// (tests/fuzz/Fuzz*.cpp, `make fuzz`); the replay test runs every saved input through them in
// the normal build.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tasdsim::fuzz {

bool npy(const uint8_t* data, size_t size);
bool tasdTerm(const uint8_t* data, size_t size);
// The first byte selects the config kind (arch, energy, workload, plan, --set override).
bool config(const uint8_t* data, size_t size);
// An experiment file beside the shipped configs (so that its relative paths resolve).
bool experiment(const uint8_t* data, size_t size);
bool onnx(const uint8_t* data, size_t size);
bool tflite(const uint8_t* data, size_t size);
bool series(const uint8_t* data, size_t size);
// The file system around outputs and inputs: the first byte picks an operation (write an output
// folder, write an output file, read an input, derive a default output folder from a name,
// parse an --out argument), the second its flags (--overwrite, complete or abandon), the rest
// is a path (or name) into a scratch folder that holds a user's files and folders, earlier
// tasdsim results and files, links, a FIFO and leftovers of dead processes. Whatever happens,
// no existing entry that is not tasdsim's may change or vanish, nothing may be left beside the
// target, and nothing may block; a violation aborts (a finding).
bool outputs(const uint8_t* data, size_t size);

// Microcode runs on a simulated accelerator and needs the SystemC kernel: MicrocodeRun.h.

// Seed inputs of a target, from the shipped files (configs, example tensors, the real models
// when fetched) and from the library's own writers (.tasd terms, microcode programs). Paths are
// relative to sourceDir.
struct Input {
  std::string name;
  std::vector<uint8_t> bytes;
};
std::vector<Input> seeds(const std::string& target, const std::string& sourceDir);

// Names of the targets and their functions (for drivers that pick by name).
using Target = bool (*)(const uint8_t*, size_t);
Target targetByName(const std::string& name);
std::vector<std::string> targetNames();  // without microcode (it needs the kernel)

}  // namespace tasdsim::fuzz
