#pragma once
// The TASD accelerator's microcode: 128-bit instructions (two little-endian 64-bit words, low
// word first in memory). Bits [7:0] are the opcode; each opcode's fields sit at fixed bit
// positions given by the tables below, which docs/isa.md documents. Bits not covered by a
// field are reserved and must be zero. This header is the single definition shared by the
// host's encoder (sw/runtime) and the accelerator's decoders (C++ model and RTL agree with it).
#include <array>
#include <cstdint>
#include <string>

namespace tasdsim::isa {

constexpr uint32_t kInstructionBytes = 16;
constexpr uint32_t kOpcodeBits = 8;
constexpr uint32_t kMaxFields = 16;

enum class Opcode : uint8_t {
  CfgLayer = 0x01,  // GEMM shape, value type, how the structured operand arrives, term count
  CfgTerm = 0x02,   // one term of the series: pattern and where its compressed data lives
  CfgAddr = 0x03,   // base address and row stride of a dense operand
  CfgConv = 0x04,   // implicit im2col geometry of a dense operand that is a conv input
  CfgTasd = 0x05,   // pseudo-density threshold for on-the-fly decomposition
  CfgOut = 0x06,    // the output path: requantisation to int8 (per-channel scales, bias), ReLU
  LoadS = 0x10,     // load a structured (or dense activation) tile into an S buffer slot
  LoadD = 0x11,     // load a dense operand tile into a D buffer slot
  LoadC = 0x12,     // load partial sums into an accumulator slot
  Tasd = 0x20,      // TASD units decompose the dense tile in an S slot into the series
  Stream = 0x21,    // stream terms of an S slot through the PE array against a D slot
  StoreC = 0x30,    // write an accumulator slot to memory
  Barrier = 0x40,   // wait until every earlier instruction has completed
  End = 0x7F,       // end of the microcode: completion
};

struct FieldSpec {
  const char* name;
  uint8_t lsb;
  uint8_t width;
};

struct OpcodeSpec {
  Opcode opcode;
  const char* mnemonic;
  uint8_t fieldCount;
  std::array<FieldSpec, kMaxFields> fields;
};

// Field indices per opcode (index into OpcodeSpec::fields and Instruction::field).
namespace cfg_layer {
enum : uint8_t { M, N, K, DType, SSource, Terms, SConv, DConv };
}
namespace cfg_term {
enum : uint8_t { Index, N, M, ValuesAddr, MetaAddr };
}
namespace cfg_addr {
enum : uint8_t { Operand, Base, Stride };
}
namespace cfg_conv {
enum : uint8_t {
  Operand,
  InH,
  InW,
  Channels,
  Kh,
  Kw,
  StrideH,
  StrideW,
  PadTop,
  PadLeft,
  PadBottom,
  PadRight,
  DilationH,
  DilationW,
  Batch
};
}
namespace cfg_tasd {
enum : uint8_t { TauBits };
}
namespace cfg_out {
enum : uint8_t { Mode, Relu, PerRow, Bias, TableAddr };
}
namespace load_s {
enum : uint8_t { Slot, Term, Dense, I0, ILen, K0, KLen };
}
namespace load_d {
enum : uint8_t { Slot, J0, JLen, K0, KLen };
}
namespace load_c {
enum : uint8_t { Slot, I0, ILen, J0, JLen };
}
namespace tasd_op {
enum : uint8_t { Slot };
}
namespace stream {
enum : uint8_t { SSlot, DSlot, AccSlot, Clear, FirstTerm, TermCount };
}
namespace store_c {
enum : uint8_t { Slot, I0, ILen, J0, JLen, Partial };
}

// Operand codes of CfgAddr / CfgConv. P: partial sums (int32/fp32 accumulators) that a series
// run term by term stores and loads back while the results C leave through the output path.
enum class Operand : uint8_t { S = 0, D = 1, C = 2, P = 3 };
// CfgOut.Mode: what STORE_C writes to C.
enum class OutputMode : uint8_t { Accumulators = 0, RequantInt8 = 1 };
// Bytes of one entry of CfgOut's per-channel table: int32 multiplier (Q31), int32 shift, and
// with Bias an int32 bias.
constexpr uint32_t kOutTableEntryBytes = 8;
constexpr uint32_t kOutTableBiasEntryBytes = 12;
// CfgLayer.SSource: how the structured operand arrives.
enum class SSource : uint8_t { Precomputed = 0, OnTheFly = 1 };

constexpr uint32_t kAddressBits = 40;
constexpr uint32_t kMaxTerms = 7;
constexpr uint32_t kSlots = 2;

// The spec of an opcode byte, or nullptr when the byte is not an opcode.
const OpcodeSpec* findOpcode(uint8_t code);
const OpcodeSpec& specOf(Opcode op);

struct Word {
  uint64_t lo = 0;
  uint64_t hi = 0;
  bool operator==(const Word& o) const { return lo == o.lo && hi == o.hi; }
};

uint64_t getBits(const Word& w, uint32_t lsb, uint32_t width);
void setBits(Word& w, uint32_t lsb, uint32_t width, uint64_t value);

struct Instruction {
  Opcode opcode = Opcode::End;
  std::array<uint64_t, kMaxFields> field{};
  bool operator==(const Instruction& o) const { return opcode == o.opcode && field == o.field; }
};

// Encoding never fails silently: a value wider than its field throws std::invalid_argument
// (an encoder bug, not user input).
Word encode(const Instruction& instruction);

enum class DecodeError : uint8_t { None = 0, UnknownOpcode = 1, ReservedBitsSet = 2 };
struct Decoded {
  Instruction instruction;
  DecodeError error = DecodeError::None;
};
Decoded decode(const Word& word);

// Little-endian memory image of an instruction and back.
void store(const Word& w, uint8_t* bytes16);
Word load(const uint8_t* bytes16);

// "LOAD_S slot=0 term=1 ..." for logs and tests.
std::string disassemble(const Instruction& instruction);

}  // namespace tasdsim::isa
