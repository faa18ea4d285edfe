#pragma once
// Configuration registers of the layer being run (set by CFG_* instructions) and the contents
// of the buffer slots. Plain data shared by the dataflow controller and its units.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "hw/isa/Isa.h"
#include "sw/tasd/CompressedTerm.h"
#include "sw/tasd/DType.h"
#include "sw/tasd/Lowering.h"
#include "sw/tasd/Pattern.h"

namespace tasdsim::hw {

struct TermConfig {
  bool configured = false;
  tasd::NMPattern pattern{1, 2};
  uint64_t valuesAddr = 0;
  uint64_t metaAddr = 0;
};

// A dense operand in memory: a row-major matrix (rows x K, rowStride bytes apart) or, for a
// conv input, an NHWC tensor read through implicit im2col (rows = output positions).
struct OperandConfig {
  bool configured = false;
  uint64_t base = 0;
  uint64_t rowStride = 0;
  bool conv = false;
  tasd::ConvGeometry geometry;
  uint32_t batch = 1;
};

struct LayerState {
  bool configured = false;
  uint32_t m = 0, n = 0, k = 0;  // C[m x n] = S[m x k] * D[n x k]^T
  tasd::DType dtype = tasd::DType::F32;
  isa::SSource source = isa::SSource::Precomputed;
  uint32_t terms = 0;  // 0: S is dense
  std::array<TermConfig, isa::kMaxTerms> term{};
  OperandConfig s, d, c;
  float tau = -1.0f;  // pseudo-density threshold of on-the-fly TASD (< 0: none)

  uint32_t elementBytes() const { return tasd::dtypeBytes(dtype); }
  uint32_t accBytes() const { return 4; }  // fp32 or int32 accumulators
};

// Tile extents in the GEMM.
struct TileRange {
  uint32_t begin = 0;
  uint32_t length = 0;
  uint32_t end() const { return begin + length; }
  bool operator==(const TileRange& o) const { return begin == o.begin && length == o.length; }
  bool operator!=(const TileRange& o) const { return !(*this == o); }
};

// S slot: the structured operand's tile, as compressed terms and/or a dense tile (rows x klen).
struct STile {
  TileRange rows, ks;
  std::array<bool, isa::kMaxTerms> termLoaded{};
  std::vector<tasd::CompressedTerm> terms;  // index = term number; klen columns
  bool denseLoaded = false;
  std::vector<float> denseF;    // rows x klen (F32/BF16 values as float)
  std::vector<int8_t> denseI8;  // rows x klen
  uint64_t bytes = 0;           // what the slot holds, for the capacity check
  void clear() {
    termLoaded.fill(false);
    denseLoaded = false;
    bytes = 0;
  }
};

// D slot: the dense operand's tile, stored K-major (klen x cols) for the PE array.
struct DTile {
  TileRange cols, ks;
  bool loaded = false;
  std::vector<float> kMajorF;
  std::vector<int32_t> kMajorI;
  uint64_t bytes = 0;
};

// Accumulator slot: rows x cols partial sums.
struct AccTile {
  TileRange rows, cols;
  bool valid = false;
  std::vector<float> f;
  std::vector<int32_t> i;
};

enum class ErrorCode : uint32_t {
  None = 0,
  IllegalInstruction = 1,  // unknown opcode or reserved bits set
  IllegalForConfig = 2,    // valid instruction this engine cannot run
  OperandError = 3,        // tile out of range, misaligned, too big, or inconsistent
  BusError = 4,            // a memory access failed
  MissingEnd = 5,          // microcode ended without END
};
const char* errorCodeName(ErrorCode c);

}  // namespace tasdsim::hw
