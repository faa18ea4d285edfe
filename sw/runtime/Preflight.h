#pragma once
// Whether a run can fit, decided before anything is allocated or simulated. For every layer
// the accelerator runs it checks, in checked 64-bit arithmetic, what the network runner
// (AcceleratorBackend.h) will ask for: GEMM and convolution sizes against the microcode's field
// widths (hw/isa/Isa.h), one tile against the buffers (Microcode.h, chooseTiling), the layer's
// operands, results and microcode against the device memory, and, for runs that compute
// values, an estimate of the host memory against what this process may use
// (sw/common/HostMemory.h). A layer that cannot fit is a UserError naming the workload, the
// layer (workload.layers[i]) and the config key to change; nothing is written.
#include <cstdint>

#include "hw/model/top/AcceleratorParams.h"
#include "sw/plan/Plan.h"
#include "sw/runtime/Microcode.h"
#include "sw/tasd/DType.h"
#include "sw/workload/Workload.h"

namespace tasdsim::runtime {

struct LayerFootprint {
  uint64_t deviceBytes = 0;  // device memory of the layer: operands, results, microcode
  uint64_t hostBytes = 0;    // host memory estimate while the layer runs (functional runs)
};

// Throws UserError when a layer cannot run; returns the largest footprints otherwise. mapper:
// as the run will choose its tiles (the microcode's size depends on them).
LayerFootprint checkRunFits(const workload::Workload& workload, const plan::Plan& plan,
                            const hw::AcceleratorParams& params, tasd::DType dtype, bool functional,
                            const MapperOptions& mapper = {});
// The same with an explicit host memory limit (tests).
LayerFootprint checkRunFits(const workload::Workload& workload, const plan::Plan& plan,
                            const hw::AcceleratorParams& params, tasd::DType dtype, bool functional,
                            uint64_t hostLimitBytes, const MapperOptions& mapper = {});

}  // namespace tasdsim::runtime
