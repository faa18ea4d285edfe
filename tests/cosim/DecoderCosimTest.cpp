// The Verilated microcode decoder against isa::decode(), bit for bit: the opcode, all sixteen
// fields and the error for every opcode byte, every single bit of every opcode's word set alone
// (which maps the RTL's field table onto the C++ one exhaustively), every opcode with all-ones
// and random fields, random words, and the same words with random back-pressure on both
// handshakes. Without back-pressure a word takes one clock cycle.
#include <random>

#include <gtest/gtest.h>
#include <systemc>

#include "hw/isa/Isa.h"
#include "hw/model/top/AcceleratorParams.h"
#include "hw/rtl/cosim/Cosim.h"
#include "tests/common/RunInChild.h"

namespace tasdsim::rtl {
namespace {

// What a decode gives, as plain data for the pipe.
struct Result {
  uint8_t opcode = 0;
  uint8_t error = 0;
  uint64_t field[isa::kMaxFields] = {};
  bool operator==(const Result& o) const {
    if (opcode != o.opcode || error != o.error) return false;
    for (uint32_t i = 0; i < isa::kMaxFields; ++i)
      if (field[i] != o.field[i]) return false;
    return true;
  }
};

Result toResult(const isa::Decoded& d) {
  Result r;
  r.opcode = static_cast<uint8_t>(d.instruction.opcode);
  r.error = static_cast<uint8_t>(d.error);
  for (uint32_t i = 0; i < isa::kMaxFields; ++i)
    r.field[i] = d.instruction.field[i];
  return r;
}

// Decodes the words on the RTL in one simulation, from a thread, and measures the elapsed
// cycles (1 GHz clock).
struct DecoderTop : sc_core::sc_module {
  std::unique_ptr<DecoderRtl> rtl;
  const std::vector<isa::Word>& words;
  std::vector<Result> results;
  uint64_t cycles = 0;

  DecoderTop(sc_core::sc_module_name name, const std::vector<isa::Word>& w, uint32_t backpressure)
      : sc_module(name), words(w) {
    hw::AcceleratorParams params;
    params.decoder.impl = "rtl";
    CosimOptions options;
    options.backpressureSeed = backpressure;
    rtl = makeDecoderRtl("rtl", params.decoder, params.context(), options);
    SC_HAS_PROCESS(DecoderTop);
    SC_THREAD(run);
  }
  void run() {
    sc_core::wait(5, sc_core::SC_NS);
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    for (const isa::Word& w : words)
      results.push_back(toResult(rtl->decode(w)));
    cycles = static_cast<uint64_t>((sc_core::sc_time_stamp() - start).to_seconds() * 1e9 + 0.5);
    sc_core::sc_stop();
  }
};

std::vector<Result> decodeOnRtl(const std::vector<isa::Word>& words, uint32_t backpressure,
                                uint64_t* cycles) {
  std::vector<Result> out = test::runInChildVector<Result>([&] {
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                            sc_core::SC_DO_NOTHING);
    DecoderTop top("top", words, backpressure);
    sc_core::sc_start();
    std::vector<Result> r = top.results;
    Result c;  // an extra element carries the cycles back
    c.field[0] = top.cycles;
    r.push_back(c);
    return r;
  });
  if (out.empty()) return out;
  *cycles = out.back().field[0];
  out.pop_back();
  return out;
}

uint64_t random64(std::mt19937_64& rng) {
  return rng();
}

std::vector<isa::Word> stimulus() {
  std::vector<isa::Word> words;
  std::mt19937_64 rng(12345);
  // Every opcode byte, with and without random upper bits.
  for (uint32_t op = 0; op < 256; ++op) {
    words.push_back({op, 0});
    words.push_back({(random64(rng) & ~uint64_t{0xff}) | op, random64(rng)});
  }
  for (uint32_t op = 0; op < 256; ++op) {
    const isa::OpcodeSpec* spec = isa::findOpcode(static_cast<uint8_t>(op));
    if (!spec) continue;
    // Each bit above the opcode alone: a field bit or a reserved bit.
    for (uint32_t bit = isa::kOpcodeBits; bit < 128; ++bit) {
      isa::Word w{op, 0};
      isa::setBits(w, bit, 1, 1);
      words.push_back(w);
    }
    // All fields all ones (reserved bits clear), and random legal field values.
    isa::Word ones{op, 0};
    for (uint32_t f = 0; f < spec->fieldCount; ++f) {
      isa::setBits(ones, spec->fields[f].lsb, spec->fields[f].width, ~uint64_t{0});
    }
    words.push_back(ones);
    for (int i = 0; i < 20; ++i) {
      isa::Instruction in;
      in.opcode = spec->opcode;
      for (uint32_t f = 0; f < spec->fieldCount; ++f) {
        const uint32_t width = spec->fields[f].width;
        in.field[f] = random64(rng) & (width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1);
      }
      words.push_back(isa::encode(in));
    }
  }
  for (int i = 0; i < 300; ++i)
    words.push_back({random64(rng), random64(rng)});
  return words;
}

TEST(DecoderCosim, EveryWordDecodesLikeIsaDecode) {
  const std::vector<isa::Word> words = stimulus();
  uint64_t cycles = 0;
  const std::vector<Result> got = decodeOnRtl(words, 0, &cycles);
  ASSERT_EQ(got.size(), words.size());
  size_t legal = 0, reserved = 0, unknown = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    const Result want = toResult(isa::decode(words[i]));
    EXPECT_TRUE(got[i] == want) << "word " << i << " 0x" << std::hex << words[i].hi << "_"
                                << words[i].lo << ": opcode " << int(got[i].opcode) << " vs "
                                << int(want.opcode) << ", error " << int(got[i].error) << " vs "
                                << int(want.error);
    legal += want.error == 0;
    reserved += want.error == 2;
    unknown += want.error == 1;
  }
  // The stimulus covers all three outcomes in quantity.
  EXPECT_GT(legal, 300u);
  EXPECT_GT(reserved, 800u);
  EXPECT_GT(unknown, 400u);
  EXPECT_EQ(cycles, words.size());  // one cycle per instruction
}

TEST(DecoderCosim, BackPressureChangesTimingNotResults) {
  const std::vector<isa::Word> words = stimulus();
  uint64_t cycles = 0;
  const std::vector<Result> got = decodeOnRtl(words, 4242, &cycles);
  ASSERT_EQ(got.size(), words.size());
  for (size_t i = 0; i < words.size(); ++i)
    EXPECT_TRUE(got[i] == toResult(isa::decode(words[i]))) << "word " << i;
  EXPECT_GT(cycles, words.size());  // the stalls cost cycles
}

}  // namespace
}  // namespace tasdsim::rtl
