#pragma once
// Configuration registers of the layer being run (set by CFG_* instructions) and the contents
// of the buffer slots. Plain data shared by the dataflow controller and its units.
#include <algorithm>
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

// A K tile as the runs of K indices it covers, in tile order. In a convolution layer
// (K = kh*kw*C, channel innermost) a K tile is a channel range [c0, c0 + cl) at every kernel
// position, so that its input is read once for all positions: runs (r*kw + s)*C + c0 of length
// cl, merged where they touch. Elsewhere a K tile is one run [k0, k0 + kl).
struct KSegment {
  uint64_t begin = 0;
  uint32_t length = 0;
};

// The output path (CFG_OUT): what STORE_C makes of the accumulators. RequantInt8: every result
// (int32 accumulator, plus the channel's bias) is multiplied by its channel's Q31 multiplier and
// shifted right by 31 + shift with rounding half away from zero, optionally clamped at 0 (ReLU),
// and saturated to int8. The channel is the result's row (perRow) or column.
struct OutputConfig {
  isa::OutputMode mode = isa::OutputMode::Accumulators;
  bool relu = false;
  bool perRow = false;
  bool bias = false;
  uint64_t tableAddr = 0;
  uint32_t entryBytes() const {
    return bias ? isa::kOutTableBiasEntryBytes : isa::kOutTableEntryBytes;
  }
};

// One output-path channel: y = sat8(round((acc + bias) * multiplier / 2^(31 + shift))), ReLU
// before saturation when asked.
struct Requant {
  int32_t multiplier = 0;
  int32_t shift = 0;
  int32_t bias = 0;
  int8_t apply(int32_t acc, bool relu) const;
};

struct LayerState {
  // Changes with every configuration instruction: what was derived from this state (a tile's
  // read plan) holds while it stays the same.
  uint64_t generation = 0;
  bool configured = false;
  uint32_t m = 0, n = 0, k = 0;  // C[m x n] = S[m x k] * D[n x k]^T
  tasd::DType dtype = tasd::DType::F32;
  isa::SSource source = isa::SSource::Precomputed;
  uint32_t terms = 0;  // 0: S is dense
  std::array<TermConfig, isa::kMaxTerms> term{};
  OperandConfig s, d, c, p;  // p: partial sums (LOAD_C, STORE_C partial)
  OutputConfig out;
  float tau = -1.0f;  // pseudo-density threshold of on-the-fly TASD (< 0: none)
  // Set by CFG_CONV: the layer's K is kernelPositions x convChannels (0: a plain GEMM).
  uint32_t convChannels = 0;
  uint32_t kernelPositions = 0;

  uint32_t elementBytes() const { return tasd::dtypeBytes(dtype); }
  uint32_t accBytes() const { return 4; }  // fp32 or int32 accumulators
  // Bytes of one result in C: an accumulator, or an int8 through the requantising output path.
  uint32_t resultBytes() const { return out.mode == isa::OutputMode::RequantInt8 ? 1 : accBytes(); }
  // Where LOAD_C reads partial sums: P when configured, else C.
  const OperandConfig& partialSums() const { return p.configured ? p : c; }
  bool convK() const { return convChannels != 0; }
  // The runs of a K tile given by a LOAD's k0 / klen fields (channel range in a conv layer).
  // Empty when the range is outside K.
  std::vector<KSegment> kSegments(uint32_t k0, uint32_t klen) const;
  // Whether kSegments(k0, klen) is non-empty: the range lies inside K (or the channels).
  bool kRangeValid(uint32_t k0, uint32_t klen) const {
    return klen != 0 && uint64_t{k0} + klen <= (convK() ? uint64_t{convChannels} : uint64_t{k});
  }
  // Elements of K the tile covers.
  uint64_t kElements(uint32_t klen) const {
    return convK() ? uint64_t{klen} * kernelPositions : klen;
  }
  // True when every run of the K tile holds whole blocks of m (the last run of K may end in a
  // partial block), so that blocks formed in the tile are the blocks of the whole row.
  bool wholeBlocks(const std::vector<KSegment>& segments, uint32_t m) const {
    for (const KSegment& s : segments)
      if (s.begin % m || (s.length % m && s.begin + s.length != k)) return false;
    return true;
  }
};

// Tile extents in the GEMM.
struct TileRange {
  uint32_t begin = 0;
  uint32_t length = 0;
  uint32_t end() const { return begin + length; }
  bool operator==(const TileRange& o) const { return begin == o.begin && length == o.length; }
  bool operator!=(const TileRange& o) const { return !(*this == o); }
};

// How a dense operand tile is read (hw/model/dataflow/OperandLayout.h).
struct MemoryRun {
  uint64_t address = 0;
  uint64_t bytes = 0;
  uint64_t stagingOffset = 0;  // where the run lands in the staging buffer
};

// The input pixels a conv tile reads, per image: the rows and columns of the input that some
// output position of the tile touches at some kernel position (a strided conv skips the rest),
// for a channel range; held in the buffer as a compact grid of those rows x columns.
struct ConvBox {
  uint32_t image = 0;
  int64_t ihLo = 0, ihHi = -1, iwLo = 0, iwHi = -1;  // bounding rows/columns, inclusive
  uint32_t cLo = 0, cHi = 0;                         // channel range [cLo, cHi)
  uint64_t stagingOffset = 0;
  std::vector<int32_t> rowSlot,
      colSlot;  // grid row/column of input row/column (from ihLo/iwLo), -1: not read
  uint32_t gridRows = 0, gridCols = 0;
  // Grid index of input pixel (ih, iw); -1 when it is not in the grid.
  int64_t pixel(int64_t ih, int64_t iw) const {
    if (ih < ihLo || ih > ihHi || iw < iwLo || iw > iwHi) return -1;
    const int32_t r = rowSlot[static_cast<size_t>(ih - ihLo)],
                  c = colSlot[static_cast<size_t>(iw - iwLo)];
    return r < 0 || c < 0 ? -1 : int64_t{r} * gridCols + c;
  }
  uint64_t pixels() const { return uint64_t{gridRows} * gridCols; }
};

// The addresses a plan's runs fall in and their totals: what a timing-only load needs.
struct RunSpan {
  uint64_t first = 0;                // the first run's address
  uint64_t lo = UINT64_MAX, hi = 0;  // every run lies in [lo, hi)
  uint64_t bytes = 0, runs = 0;      // runs of at least one byte
  bool wraps = false;                // a run passes the end of the address space: no span
  void add(uint64_t address, uint64_t length) {
    if (length == 0) return;
    if (runs == 0) first = address;
    wraps = wraps || address + length < address;
    lo = std::min(lo, address);
    hi = std::max(hi, address + length);
    bytes += length;
    ++runs;
  }
  // The span of `rows` rows whose runs are alike and rowStride apart, from the first and the
  // last row's spans.
  static RunSpan ofRows(const RunSpan& first, const RunSpan& last, uint64_t rows) {
    RunSpan s = first;
    s.lo = std::min(first.lo, last.lo);
    s.hi = std::max(first.hi, last.hi);
    s.bytes = first.bytes * rows;
    s.runs = first.runs * rows;
    s.wraps = first.wraps || last.wraps;
    return s;
  }
  // Whether base + row * rowStride stays inside the address space for every row <= lastRow.
  static bool rowsFit(uint64_t base, uint64_t rowStride, uint64_t lastRow) {
    return rowStride == 0 || lastRow <= (UINT64_MAX - base) / rowStride;
  }
};

struct GatherPlan {
  bool countOnly = false;  // set by the caller: only stagingBytes is wanted (no runs, no boxes)
  bool spanOnly = false;   // set by the caller: a matrix operand's runs only in span (not listed)
  std::vector<MemoryRun> runs;
  std::vector<ConvBox> boxes;  // conv operands only
  uint64_t stagingBytes = 0;
  RunSpan span;  // of the runs (not with countOnly)
};

// S slot: the structured operand's tile, as compressed terms and/or a dense tile (rows x klen).
struct STile {
  TileRange rows, ks;
  std::array<bool, isa::kMaxTerms> termLoaded{};
  std::array<uint64_t, isa::kMaxTerms> termBytes{};
  std::vector<tasd::CompressedTerm> terms;  // index = term number; klen columns
  bool denseLoaded = false;
  std::vector<float> denseF;    // rows x klen (F32/BF16 values as float)
  std::vector<int8_t> denseI8;  // rows x klen
  uint64_t bytes = 0;           // what the slot holds, for the capacity check
  // Distinct activation elements behind a dense tile (a conv input's box, before im2col) and
  // whether their channel runs hold whole blocks of every term (so that decomposing each
  // pixel's channels once equals decomposing every im2col row).
  uint64_t sourceElements = 0;
  bool pixelBlocks = false;
  // With pixelBlocks and on-the-fly TASD: the input box as read (before im2col) and how it was
  // read; the TASD units decompose it per pixel and form the tile's terms from it.
  std::vector<uint8_t> box;
  GatherPlan boxPlan;
  uint32_t boxChannels = 0;
  void clear() {
    termLoaded.fill(false);
    termBytes.fill(0);
    box.clear();
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
