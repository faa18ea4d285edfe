// The microcode decoder adapter: one instruction word through the Verilated decoder per
// call. Without back-pressure a call is one cycle: the word is presented with out_ready high,
// the rising edge registers the decoded instruction, which is read in the same cycle.
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <verilated.h>
#include <verilated_vcd_sc.h>

#include "Vdecoder.h"
#include "hw/rtl/cosim/Cosim.h"
#include "hw/rtl/cosim/GatedClock.h"
#include "hw/rtl/cosim/PortBits.h"
#include "hw/rtl/cosim/RtlParams.h"
#include "hw/rtl/cosim/RtlSupport.h"
#include "sw/common/Error.h"

namespace tasdsim::rtl {
namespace {

constexpr int kTraceLevels = 99;
constexpr uint32_t kFieldWords = (kDecoderFieldBits * isa::kMaxFields + 31) / 32;
constexpr double kStallProbability = 0.3;   // with back-pressure on
constexpr uint64_t kMaxCyclesPerWord = 64;  // a word not taken or answered by then is an RTL bug

struct TraceSwitch {
  explicit TraceSwitch(bool on) {
    if (on) Verilated::traceEverOn(true);
  }
};

class DecoderRtlImpl final : public sc_core::sc_module, public DecoderRtl {
 public:
  DecoderRtlImpl(sc_core::sc_module_name name, const hw::BlockContext& context,
                 const CosimOptions& options)
      : sc_module(name),
        options_(options),
        traceSwitch_(!options.vcdDir.empty()),
        dut_("dut"),
        clock_(clk_, context.clockPeriodNs()),
        rng_(options.backpressureSeed) {
    dut_.clk(clk_);
    dut_.rst_n(rstN_);
    dut_.in_valid(inValid_);
    dut_.in_ready(inReady_);
    dut_.in_word(inWord_);
    dut_.out_valid(outValid_);
    dut_.out_ready(outReady_);
    dut_.out_opcode(outOpcode_);
    dut_.out_error(outError_);
    dut_.out_fields(outFields_);
  }

  ~DecoderRtlImpl() override {
    if (vcd_) vcd_->close();
  }

  isa::Decoded decode(const isa::Word& word) override {
    if (!reset_) {
      GatedClock::resetInDeltaCycles(clk_, rstN_);
      reset_ = true;
    }
    clock_.begin();
    Bits w(128);
    w.words()[0] = static_cast<uint32_t>(word.lo);
    w.words()[1] = static_cast<uint32_t>(word.lo >> 32);
    w.words()[2] = static_cast<uint32_t>(word.hi);
    w.words()[3] = static_cast<uint32_t>(word.hi >> 32);
    PortValue<decltype(Vdecoder::in_word)> v;
    toPort(w, v);
    inWord_.write(v);
    // Present the word until the decoder takes it (with back-pressure: after random gaps, and
    // while the previous result may still be held).
    bool taken = false;
    while (!taken) {
      const bool present = !stall();
      outReady_.write(!stall());
      inValid_.write(present);
      GatedClock::settle();  // in_ready depends on out_ready
      taken = present && inReady_.read();
      clock_.tick();
      if (clock_.cycles() > kMaxCyclesPerWord)
        throw std::logic_error(std::string(name()) + ": word never taken");
    }
    inValid_.write(false);
    // The decoded word is registered now; with back-pressure it is held a few cycles first.
    while (stall()) {
      outReady_.write(false);
      clock_.tick();
      if (clock_.cycles() > kMaxCyclesPerWord)
        throw std::logic_error(std::string(name()) + ": stalled too long");
    }
    if (!outValid_.read())
      throw std::logic_error(std::string(name()) + ": no decoded word after the handshake");
    isa::Decoded d;
    d.instruction.opcode = static_cast<isa::Opcode>(outOpcode_.read());
    d.error = static_cast<isa::DecodeError>(outError_.read());
    uint32_t fields[kFieldWords];
    fromPort(outFields_.read(), fields, kFieldWords);
    for (uint32_t i = 0; i < isa::kMaxFields; ++i) {
      const uint64_t at = uint64_t{kDecoderFieldBits} * i;
      const uint64_t lo = getBits(fields, at, 32),
                     hi = getBits(fields, at + 32, kDecoderFieldBits - 32);
      d.instruction.field[i] = lo | hi << 32;
    }
    outReady_.write(true);  // taken at the next edge, together with the next word
    clock_.end();
    return d;
  }

 private:
  bool stall() {
    if (options_.backpressureSeed == 0) return false;
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < kStallProbability;
  }

  void start_of_simulation() override {
    if (options_.vcdDir.empty()) return;
    vcd_ = std::make_unique<VerilatedVcdSc>();
    dut_.trace(vcd_.get(), kTraceLevels);
    vcd_->open((options_.vcdDir + "/decoder.vcd").c_str());
  }

  const CosimOptions options_;
  TraceSwitch traceSwitch_;
  sc_core::sc_signal<bool> clk_{"clk", false};
  sc_core::sc_signal<bool> rstN_{"rst_n", true};
  sc_core::sc_signal<bool> inValid_{"in_valid", false};
  sc_core::sc_signal<bool> inReady_{"in_ready"};
  sc_core::sc_signal<PortValue<decltype(Vdecoder::in_word)>> inWord_{"in_word"};
  sc_core::sc_signal<bool> outValid_{"out_valid"};
  sc_core::sc_signal<bool> outReady_{"out_ready", true};
  sc_core::sc_signal<PortValue<decltype(Vdecoder::out_opcode)>> outOpcode_{"out_opcode"};
  sc_core::sc_signal<PortValue<decltype(Vdecoder::out_error)>> outError_{"out_error"};
  sc_core::sc_signal<PortValue<decltype(Vdecoder::out_fields)>> outFields_{"out_fields"};
  Vdecoder dut_;
  GatedClock clock_;
  std::mt19937 rng_;
  std::unique_ptr<VerilatedVcdSc> vcd_;
  bool reset_ = false;
};

}  // namespace

std::unique_ptr<DecoderRtl> makeDecoderRtl(const char* name, const hw::DecoderParams& params,
                                           const hw::BlockContext& context,
                                           const CosimOptions& options) {
  const std::vector<std::string> problems = decoderProblems(params);
  if (!problems.empty()) throw UserError(problems.front());
  return std::make_unique<DecoderRtlImpl>(name, context, options);
}

}  // namespace tasdsim::rtl
