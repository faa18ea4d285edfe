#include "hw/isa/Isa.h"

#include <stdexcept>

namespace tasdsim::isa {
namespace {

constexpr OpcodeSpec kSpecs[] = {
    {Opcode::CfgLayer,
     "CFG_LAYER",
     8,
     {{{"m", 8, 24},
       {"n", 32, 24},
       {"k", 56, 24},
       {"dtype", 80, 2},
       {"s_source", 82, 1},
       {"terms", 83, 3},
       {"s_conv", 86, 1},
       {"d_conv", 87, 1}}}},
    {Opcode::CfgTerm,
     "CFG_TERM",
     5,
     {{{"index", 8, 3},
       {"n", 11, 6},
       {"m", 17, 6},
       {"values_addr", 24, 40},
       {"meta_addr", 64, 40}}}},
    {Opcode::CfgAddr, "CFG_ADDR", 3, {{{"operand", 8, 2}, {"base", 10, 40}, {"stride", 50, 32}}}},
    {Opcode::CfgConv,
     "CFG_CONV",
     15,
     {{{"operand", 8, 1},
       {"in_h", 9, 16},
       {"in_w", 25, 16},
       {"channels", 41, 16},
       {"kh", 57, 5},
       {"kw", 62, 5},
       {"stride_h", 67, 4},
       {"stride_w", 71, 4},
       {"pad_top", 75, 5},
       {"pad_left", 80, 5},
       {"pad_bottom", 85, 5},
       {"pad_right", 90, 5},
       {"dilation_h", 95, 4},
       {"dilation_w", 99, 4},
       {"batch", 103, 8}}}},
    {Opcode::CfgTasd, "CFG_TASD", 1, {{{"tau_bits", 8, 32}}}},
    {Opcode::CfgOut,
     "CFG_OUT",
     5,
     {{{"mode", 8, 2},
       {"relu", 10, 1},
       {"per_row", 11, 1},
       {"bias", 12, 1},
       {"table_addr", 13, 40}}}},
    {Opcode::LoadS,
     "LOAD_S",
     7,
     {{{"slot", 8, 1},
       {"term", 9, 3},
       {"dense", 12, 1},
       {"i0", 13, 24},
       {"ilen", 37, 16},
       {"k0", 53, 24},
       {"klen", 77, 16}}}},
    {Opcode::LoadD,
     "LOAD_D",
     5,
     {{{"slot", 8, 1}, {"j0", 9, 24}, {"jlen", 33, 16}, {"k0", 49, 24}, {"klen", 73, 16}}}},
    {Opcode::LoadC,
     "LOAD_C",
     5,
     {{{"slot", 8, 1}, {"i0", 9, 24}, {"ilen", 33, 16}, {"j0", 49, 24}, {"jlen", 73, 16}}}},
    {Opcode::Tasd, "TASD", 1, {{{"slot", 8, 1}}}},
    {Opcode::Stream,
     "STREAM",
     6,
     {{{"s_slot", 8, 1},
       {"d_slot", 9, 1},
       {"acc_slot", 10, 1},
       {"clear", 11, 1},
       {"first_term", 12, 3},
       {"term_count", 15, 3}}}},
    {Opcode::StoreC,
     "STORE_C",
     6,
     {{{"slot", 8, 1},
       {"i0", 9, 24},
       {"ilen", 33, 16},
       {"j0", 49, 24},
       {"jlen", 73, 16},
       {"partial", 89, 1}}}},
    {Opcode::Barrier, "BARRIER", 0, {}},
    {Opcode::End, "END", 0, {}},
};

uint64_t mask(uint32_t width) {
  return width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
}

}  // namespace

const OpcodeSpec* findOpcode(uint8_t code) {
  for (const OpcodeSpec& s : kSpecs)
    if (static_cast<uint8_t>(s.opcode) == code) return &s;
  return nullptr;
}

const OpcodeSpec& specOf(Opcode op) {
  const OpcodeSpec* s = findOpcode(static_cast<uint8_t>(op));
  if (!s) throw std::invalid_argument("isa: unknown opcode");
  return *s;
}

namespace {
// The 128-bit word as an unsigned __int128: a field is one shift and one mask.
unsigned __int128 wide(const Word& w) {
  return (static_cast<unsigned __int128>(w.hi) << 64) | w.lo;
}
}  // namespace

uint64_t getBits(const Word& w, uint32_t lsb, uint32_t width) {
  if (width == 0 || lsb >= 128) return 0;
  return static_cast<uint64_t>(wide(w) >> lsb) & mask(width);
}

void setBits(Word& w, uint32_t lsb, uint32_t width, uint64_t value) {
  if (width == 0 || lsb >= 128) return;
  const unsigned __int128 m = static_cast<unsigned __int128>(mask(width)) << lsb;
  const unsigned __int128 v = (wide(w) & ~m) | ((static_cast<unsigned __int128>(value) << lsb) & m);
  w.lo = static_cast<uint64_t>(v);
  w.hi = static_cast<uint64_t>(v >> 64);
}

Word encode(const Instruction& in) {
  const OpcodeSpec& spec = specOf(in.opcode);
  Word w;
  setBits(w, 0, kOpcodeBits, static_cast<uint8_t>(in.opcode));
  for (uint32_t i = 0; i < spec.fieldCount; ++i) {
    const FieldSpec& f = spec.fields[i];
    if (in.field[i] & ~mask(f.width)) {
      throw std::invalid_argument(std::string("isa: ") + spec.mnemonic + "." + f.name + " = " +
                                  std::to_string(in.field[i]) + " does not fit in " +
                                  std::to_string(f.width) + " bits");
    }
    setBits(w, f.lsb, f.width, in.field[i]);
  }
  return w;
}

Decoded decode(const Word& w) {
  Decoded d;
  const OpcodeSpec* spec = findOpcode(static_cast<uint8_t>(getBits(w, 0, kOpcodeBits)));
  if (!spec) {
    d.error = DecodeError::UnknownOpcode;
    return d;
  }
  d.instruction.opcode = spec->opcode;
  Word used;
  setBits(used, 0, kOpcodeBits, mask(kOpcodeBits));
  for (uint32_t i = 0; i < spec->fieldCount; ++i) {
    const FieldSpec& f = spec->fields[i];
    d.instruction.field[i] = getBits(w, f.lsb, f.width);
    setBits(used, f.lsb, f.width, mask(f.width));
  }
  if ((w.lo & ~used.lo) || (w.hi & ~used.hi)) d.error = DecodeError::ReservedBitsSet;
  return d;
}

void store(const Word& w, uint8_t* bytes) {
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(w.lo >> (8 * i));
    bytes[8 + i] = static_cast<uint8_t>(w.hi >> (8 * i));
  }
}

Word load(const uint8_t* bytes) {
  Word w;
  for (int i = 0; i < 8; ++i) {
    w.lo |= static_cast<uint64_t>(bytes[i]) << (8 * i);
    w.hi |= static_cast<uint64_t>(bytes[8 + i]) << (8 * i);
  }
  return w;
}

std::string disassemble(const Instruction& in) {
  const OpcodeSpec& spec = specOf(in.opcode);
  std::string s = spec.mnemonic;
  for (uint32_t i = 0; i < spec.fieldCount; ++i) {
    s += std::string(" ") + spec.fields[i].name + "=" + std::to_string(in.field[i]);
  }
  return s;
}

}  // namespace tasdsim::isa
