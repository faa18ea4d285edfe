// The microcode format: every instruction and field encodes and decodes bit for bit, field
// limits are enforced, and illegal words are flagged.
#include <random>

#include <gtest/gtest.h>

#include "hw/isa/Isa.h"

namespace tasdsim::isa {
namespace {

constexpr Opcode kAll[] = {Opcode::CfgLayer, Opcode::CfgTerm, Opcode::CfgAddr, Opcode::CfgConv,
                           Opcode::CfgTasd,  Opcode::LoadS,   Opcode::LoadD,   Opcode::LoadC,
                           Opcode::Tasd,     Opcode::Stream,  Opcode::StoreC,  Opcode::Barrier,
                           Opcode::End};

uint64_t maxOf(const FieldSpec& f) {
  return f.width >= 64 ? ~uint64_t{0} : (uint64_t{1} << f.width) - 1;
}

TEST(Isa, EveryInstructionRoundTripsAtItsFieldLimits) {
  std::mt19937_64 rng(1);
  for (Opcode op : kAll) {
    const OpcodeSpec& spec = specOf(op);
    for (int variant = 0; variant < 50; ++variant) {
      Instruction in;
      in.opcode = op;
      for (uint32_t i = 0; i < spec.fieldCount; ++i) {
        const uint64_t max = maxOf(spec.fields[i]);
        in.field[i] = variant == 0 ? max : variant == 1 ? 0 : rng() & max;
      }
      const Word w = encode(in);
      uint8_t bytes[16];
      store(w, bytes);
      EXPECT_EQ(load(bytes), w);
      const Decoded d = decode(w);
      ASSERT_EQ(d.error, DecodeError::None) << disassemble(in);
      EXPECT_EQ(d.instruction, in) << disassemble(in);
    }
  }
}

TEST(Isa, FieldsDoNotOverlapAndFitIn128Bits) {
  for (Opcode op : kAll) {
    const OpcodeSpec& spec = specOf(op);
    Word used;
    setBits(used, 0, kOpcodeBits, 0xff);
    for (uint32_t i = 0; i < spec.fieldCount; ++i) {
      const FieldSpec& f = spec.fields[i];
      ASSERT_LE(f.lsb + f.width, 128u) << spec.mnemonic << "." << f.name;
      ASSERT_EQ(getBits(used, f.lsb, f.width), 0u) << spec.mnemonic << "." << f.name << " overlaps";
      setBits(used, f.lsb, f.width, maxOf(f));
    }
  }
}

TEST(Isa, OverwideFieldIsAnEncoderError) {
  Instruction in;
  in.opcode = Opcode::LoadS;
  in.field[load_s::ILen] = uint64_t{1} << 16;
  EXPECT_THROW(encode(in), std::invalid_argument);
  in.opcode = Opcode::CfgTerm;
  in.field = {};
  in.field[cfg_term::ValuesAddr] = uint64_t{1} << kAddressBits;
  EXPECT_THROW(encode(in), std::invalid_argument);
}

TEST(Isa, KnownEncodingIsStable) {
  // LOAD_S slot=1 term=2 dense=0 i0=3 ilen=4 k0=5 klen=6: bit positions from docs/isa.md.
  Instruction in;
  in.opcode = Opcode::LoadS;
  in.field[load_s::Slot] = 1;
  in.field[load_s::Term] = 2;
  in.field[load_s::I0] = 3;
  in.field[load_s::ILen] = 4;
  in.field[load_s::K0] = 5;
  in.field[load_s::KLen] = 6;
  const Word w = encode(in);
  const uint64_t lo = 0x10 | (1ull << 8) | (2ull << 9) | (3ull << 13) | (4ull << 37) | (5ull << 53);
  const uint64_t hi = (5ull >> 11) | (6ull << (77 - 64));
  EXPECT_EQ(w.lo, lo);
  EXPECT_EQ(w.hi, hi);
}

TEST(Isa, IllegalWordsAreFlagged) {
  Word w;
  setBits(w, 0, 8, 0x99);  // no such opcode
  EXPECT_EQ(decode(w).error, DecodeError::UnknownOpcode);
  for (Opcode op : kAll) {
    const OpcodeSpec& spec = specOf(op);
    Word used;
    setBits(used, 0, kOpcodeBits, 0xff);
    for (uint32_t i = 0; i < spec.fieldCount; ++i)
      setBits(used, spec.fields[i].lsb, spec.fields[i].width, maxOf(spec.fields[i]));
    for (uint32_t bit = 8; bit < 128; ++bit) {
      if (getBits(used, bit, 1)) continue;
      Word bad;
      setBits(bad, 0, 8, static_cast<uint8_t>(op));
      setBits(bad, bit, 1, 1);
      ASSERT_EQ(decode(bad).error, DecodeError::ReservedBitsSet) << spec.mnemonic << " bit " << bit;
    }
  }
  Word zero;  // opcode 0 is not an instruction: zeroed memory never runs
  EXPECT_EQ(decode(zero).error, DecodeError::UnknownOpcode);
}

}  // namespace
}  // namespace tasdsim::isa
