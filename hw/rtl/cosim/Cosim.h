#pragma once
// Co-simulation adapters: the Verilated RTL of a block behind the C++ model's SystemC-level
// interface. A model block (PeArray, TasdUnit, Decoder) built with `impl: rtl` owns one
// adapter and hands it the block's work; the adapter drives the Verilated RTL cycle by cycle in
// the running SystemC simulation and returns what the RTL computed. The RTL's clock runs only
// while the block works (its edges are at the accelerator's clock period from the call's start),
// so the SystemC time an adapter call takes is the RTL's cycle count: the block's timing comes
// from the RTL, not from the model's formula.
//
// Construct adapters during elaboration (they are SystemC modules, children of the current
// module); call their methods from an SC_THREAD. This header is free of SystemC and Verilator
// headers. docs/rtl.md describes the blocks, the adapters and the measured timing differences.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hw/isa/Isa.h"
#include "hw/model/common/BlockContext.h"
#include "hw/model/dataflow/LayerState.h"
#include "hw/model/decoder/DecoderParams.h"
#include "hw/model/pe_array/PeArrayParams.h"
#include "hw/model/tasd_unit/TasdUnitParams.h"
#include "sw/tasd/CompressedTerm.h"
#include "sw/tasd/Series.h"

namespace tasdsim::hw {
struct StreamShape;
}

namespace tasdsim::rtl {

struct CosimOptions {
  std::string vcdDir;  // non-empty: each RTL block writes <vcdDir>/<block>.vcd
  // Non-zero: the adapters stall the RTL's handshakes pseudo-randomly (from this seed) to
  // exercise back-pressure; values must not change, only cycles. Tests only.
  uint32_t backpressureSeed = 0;
};

// The PE array: one STREAM instruction.
class PeArrayRtl {
 public:
  virtual ~PeArrayRtl() = default;
  // Accumulates the stream into acc (cleared first when shape.clear), exactly like
  // hw::streamCompute for int8 values, by streaming the tile's slot groups through the Verilated
  // array pass by pass. Without values (params.functional false) it streams zeros and leaves
  // acc alone. Returns the RTL's cycles: from the first input edge to the edge that registers
  // the last result.
  virtual uint64_t stream(const hw::LayerState& layer, const hw::STile& s, const hw::DTile& d,
                          hw::AccTile& acc, const hw::StreamShape& shape) = 0;
};

// What the TASD units produced for one matrix.
struct TasdRtlResult {
  std::vector<tasd::CompressedTerm> terms;  // one per series term, like tasd::decompose
  uint64_t zeroed = 0;                      // nonzeros the pseudo-density threshold removed
  uint64_t cycles = 0;                      // RTL cycles, every pass of the series
  uint64_t blocks = 0;                      // blocks the units processed (all passes)
};

// The TASD units: decompose a matrix into a series.
class TasdUnitRtl {
 public:
  virtual ~TasdUnitRtl() = default;
  // Thresholds (|x| <= tau becomes 0; tau < 0: none) and decomposes a rows x cols matrix
  // (int8 values in i8 for I8, floats in f for F32/BF16; BF16 values must be bf16-exact) into
  // the series, block by block along the columns, on the Verilated units. Consecutive terms of
  // the same block size form one pass over the matrix; a later pass reads the residual of the
  // one before it.
  virtual TasdRtlResult decompose(tasd::DType dtype, size_t rows, size_t cols, const int8_t* i8,
                                  const float* f, const tasd::Series& series, float tau) = 0;
};

// The microcode decoder: one instruction word per call, one cycle.
class DecoderRtl {
 public:
  virtual ~DecoderRtl() = default;
  virtual isa::Decoded decode(const isa::Word& word) = 0;
};

// Factories; `name` is the adapter module's name (a child of the module being constructed).
// They throw UserError for parameters the RTL does not cover (rtl/cosim/RtlSupport.h).
std::unique_ptr<PeArrayRtl> makePeArrayRtl(const char* name, const hw::PeArrayParams& params,
                                           const hw::BlockContext& context,
                                           const CosimOptions& options);
std::unique_ptr<TasdUnitRtl> makeTasdUnitRtl(const char* name, const hw::TasdUnitParams& params,
                                             const hw::BlockContext& context,
                                             const CosimOptions& options);
std::unique_ptr<DecoderRtl> makeDecoderRtl(const char* name, const hw::DecoderParams& params,
                                           const hw::BlockContext& context,
                                           const CosimOptions& options);

}  // namespace tasdsim::rtl
