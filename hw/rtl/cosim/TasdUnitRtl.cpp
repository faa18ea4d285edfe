// The TASD units adapter: `count` Verilated tasd_unit instances on one gated clock.
//
// The adapter is the units' distributor and collector: it cuts the matrix into blocks (row by
// row, m elements along the columns, the last block of a row zero-padded), hands the next block
// to any unit that is ready, and reassembles the units' beats (in order per unit) into
// compressed terms and the residual. Consecutive terms of one block size form a pass; a later
// pass decomposes the residual of the pass before it (the threshold applies in the first pass
// only, as in the C++ model, which thresholds before decomposing).
#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <verilated.h>
#include <verilated_vcd_sc.h>

#include "Vtasd_unit.h"
#include "hw/rtl/cosim/Cosim.h"
#include "hw/rtl/cosim/GatedClock.h"
#include "hw/rtl/cosim/PortBits.h"
#include "hw/rtl/cosim/RtlParams.h"
#include "hw/rtl/cosim/RtlSupport.h"
#include "sw/common/Error.h"
#include "sw/common/Half.h"

namespace tasdsim::rtl {
namespace {

constexpr uint32_t bitsFor(uint32_t values) {  // ceil(log2(values))
  uint32_t b = 0;
  while ((1u << b) < values)
    ++b;
  return b;
}
constexpr uint32_t kElementBits = 32;
constexpr uint32_t kIndexBits = bitsFor(kTasdMaxBlock);
constexpr uint32_t kCountBits = bitsFor(kTasdMaxBlock + 1);
constexpr int kTraceLevels = 99;
constexpr double kStallProbability = 0.3;  // of a handshake held back, with back-pressure on

struct TraceSwitch {
  explicit TraceSwitch(bool on) {
    if (on) Verilated::traceEverOn(true);
  }
};

// One Verilated unit with its signals.
struct Unit : sc_core::sc_module {
  sc_core::sc_signal<PortValue<decltype(Vtasd_unit::cfg_m)>> cfgM{"cfg_m"};
  sc_core::sc_signal<PortValue<decltype(Vtasd_unit::cfg_terms)>> cfgTerms{"cfg_terms"};
  sc_core::sc_signal<PortValue<decltype(Vtasd_unit::cfg_n)>> cfgN{"cfg_n"};
  sc_core::sc_signal<bool> cfgFloat{"cfg_float"};
  sc_core::sc_signal<bool> cfgTauEn{"cfg_tau_en"};
  sc_core::sc_signal<PortValue<decltype(Vtasd_unit::cfg_tau_key)>> cfgTauKey{"cfg_tau_key"};
  sc_core::sc_signal<bool> inValid{"in_valid", false};
  sc_core::sc_signal<bool> inReady{"in_ready"};
  sc_core::sc_signal<PortValue<decltype(Vtasd_unit::in_block)>> inBlock{"in_block"};
  sc_core::sc_signal<bool> outValid{"out_valid"};
  sc_core::sc_signal<bool> outReady{"out_ready", true};
  sc_core::sc_signal<PortValue<decltype(Vtasd_unit::out_term)>> outTerm{"out_term"};
  sc_core::sc_signal<bool> outLast{"out_last"};
  sc_core::sc_signal<PortValue<decltype(Vtasd_unit::out_values)>> outValues{"out_values"};
  sc_core::sc_signal<PortValue<decltype(Vtasd_unit::out_index)>> outIndex{"out_index"};
  sc_core::sc_signal<PortValue<decltype(Vtasd_unit::out_resid)>> outResid{"out_resid"};
  sc_core::sc_signal<PortValue<decltype(Vtasd_unit::out_zeroed)>> outZeroed{"out_zeroed"};
  Vtasd_unit dut{"dut"};
  std::deque<uint64_t> inFlight;  // blocks handed to this unit, oldest first

  Unit(sc_core::sc_module_name name, sc_core::sc_signal<bool>& clk, sc_core::sc_signal<bool>& rstN)
      : sc_module(name) {
    dut.clk(clk);
    dut.rst_n(rstN);
    dut.cfg_m(cfgM);
    dut.cfg_terms(cfgTerms);
    dut.cfg_n(cfgN);
    dut.cfg_float(cfgFloat);
    dut.cfg_tau_en(cfgTauEn);
    dut.cfg_tau_key(cfgTauKey);
    dut.in_valid(inValid);
    dut.in_ready(inReady);
    dut.in_block(inBlock);
    dut.out_valid(outValid);
    dut.out_ready(outReady);
    dut.out_term(outTerm);
    dut.out_last(outLast);
    dut.out_values(outValues);
    dut.out_index(outIndex);
    dut.out_resid(outResid);
    dut.out_zeroed(outZeroed);
  }
};

// A pass: consecutive terms [first, first + count) of one block size.
struct Pass {
  uint32_t m = 0;
  size_t first = 0, count = 0;
};

class TasdUnitRtlImpl final : public sc_core::sc_module, public TasdUnitRtl {
 public:
  TasdUnitRtlImpl(sc_core::sc_module_name name, const hw::TasdUnitParams& params,
                  const hw::BlockContext& context, const CosimOptions& options)
      : sc_module(name),
        options_(options),
        traceSwitch_(!options.vcdDir.empty()),
        clock_(clk_, context.clockPeriodNs()),
        rng_(options.backpressureSeed) {
    const uint32_t count = std::max<uint32_t>(1, params.count);
    for (uint32_t u = 0; u < count; ++u) {
      units_.push_back(std::make_unique<Unit>(fmt::format("unit{}", u).c_str(), clk_, rstN_));
    }
  }

  ~TasdUnitRtlImpl() override {
    if (vcd_) vcd_->close();
  }

  TasdRtlResult decompose(tasd::DType dtype, size_t rows, size_t cols, const int8_t* i8,
                          const float* f, const tasd::Series& series, float tau) override {
    if (!reset_) {
      GatedClock::resetInDeltaCycles(clk_, rstN_);
      reset_ = true;
    }
    TasdRtlResult result;
    for (const tasd::NMPattern& p : series.terms)
      result.terms.emplace_back(p, dtype, rows, cols);
    // The matrix as element bit patterns: sign-extended int8, fp32 bits, or bf16 in the upper half.
    std::vector<uint32_t> work(rows * cols);
    for (size_t i = 0; i < work.size(); ++i) {
      if (dtype == tasd::DType::I8) {
        work[i] = static_cast<uint32_t>(static_cast<int32_t>(i8[i]));
      } else {
        const float v = dtype == tasd::DType::BF16 ? roundToBf16(f[i]) : f[i];
        std::memcpy(&work[i], &v, sizeof v);
      }
    }
    std::vector<Pass> passes;
    for (size_t t = 0; t < series.terms.size(); ++t) {
      if (passes.empty() || passes.back().m != series.terms[t].m ||
          passes.back().count == kTasdMaxTerms) {
        passes.push_back({series.terms[t].m, t, 0});
      }
      ++passes.back().count;
    }
    clock_.begin();
    for (size_t p = 0; p < passes.size(); ++p) {
      runPass(passes[p], series, dtype, rows, cols, work, p == 0 ? tau : -1.0f, result);
    }
    result.cycles = clock_.end();
    return result;
  }

 private:
  void runPass(const Pass& pass, const tasd::Series& series, tasd::DType dtype, size_t rows,
               size_t cols, std::vector<uint32_t>& work, float tau, TasdRtlResult& result) {
    const uint32_t m = pass.m;
    const size_t blocksPerRow = (cols + m - 1) / m;
    const uint64_t blocks = rows * blocksPerRow;
    configure(pass, series, dtype, tau);
    uint64_t next = 0, done = 0;
    std::vector<uint32_t> valueWords(kTasdMaxBlock), residWords(kTasdMaxBlock),
        indexWords((kIndexBits * kTasdMaxBlock + 31) / 32);
    Bits block(kElementBits * kTasdMaxBlock);
    while (done < blocks) {
      // Before the edge: take the beats on offer, then hand out blocks to ready units.
      for (auto& u : units_)
        u->outReady.write(!stall());
      GatedClock::settle();  // in_ready depends on out_ready
      for (auto& u : units_) {
        if (u->outValid.read() && u->outReady.read()) {
          if (u->inFlight.empty())
            throw std::logic_error(std::string(name()) + ": a beat without a block");
          const uint64_t id = u->inFlight.front();
          const size_t r = id / blocksPerRow, b = id % blocksPerRow;
          const size_t t = pass.first + u->outTerm.read();
          const tasd::NMPattern pt = series.terms[t];
          fromPort(u->outValues.read(), valueWords.data(), valueWords.size());
          fromPort(u->outIndex.read(), indexWords.data(), indexWords.size());
          storeSlots(result.terms[t], dtype, r, b * pt.n, pt.n, valueWords.data(),
                     indexWords.data());
          if (u->outLast.read()) {
            fromPort(u->outResid.read(), residWords.data(), residWords.size());
            for (size_t e = 0; e < m && b * m + e < cols; ++e)
              work[r * cols + b * m + e] = residWords[e];
            result.zeroed += u->outZeroed.read();
            u->inFlight.pop_front();
            ++done;
          }
        }
      }
      for (auto& u : units_) {
        if (next < blocks && u->inReady.read() && !stall()) {
          const size_t r = next / blocksPerRow, b = next % blocksPerRow;
          block.clear();
          for (size_t e = 0; e < m && b * m + e < cols; ++e)
            block.words()[e] = work[r * cols + b * m + e];
          PortValue<decltype(Vtasd_unit::in_block)> v;
          toPort(block, v);
          u->inBlock.write(v);
          u->inValid.write(true);
          u->inFlight.push_back(next++);
        } else {
          u->inValid.write(false);
        }
      }
      clock_.tick();
    }
    for (auto& u : units_)
      u->inValid.write(false);
    result.blocks += blocks;
  }

  void configure(const Pass& pass, const tasd::Series& series, tasd::DType dtype, float tau) {
    Bits n(kCountBits * kTasdMaxTerms);
    for (size_t t = 0; t < pass.count; ++t)
      n.put(kCountBits * t, kCountBits, series.terms[pass.first + t].n);
    const bool isFloat = dtype != tasd::DType::I8;
    // |x| <= tau as a key compare: floor(tau) for integers, tau's bits for IEEE values.
    const bool tauOn = tau >= 0.0f;  // false for NaN too, as in the model's threshold
    uint32_t tauKey = 0;
    if (tauOn && isFloat) {
      std::memcpy(&tauKey, &tau, sizeof tau);
      tauKey &= 0x7fffffffu;
    } else if (tauOn) {
      tauKey = tau >= 2147483647.0f ? 0x7fffffffu : static_cast<uint32_t>(tau);
    }
    for (auto& u : units_) {
      u->cfgM.write(pass.m);
      u->cfgTerms.write(static_cast<uint32_t>(pass.count));
      PortValue<decltype(Vtasd_unit::cfg_n)> nv;
      toPort(n, nv);
      u->cfgN.write(nv);
      u->cfgFloat.write(isFloat);
      u->cfgTauEn.write(tauOn);
      u->cfgTauKey.write(tauKey);
    }
  }

  // Writes n slots of a beat at slot `first` of row r (empty slots arrive as value 0, index 0).
  static void storeSlots(tasd::CompressedTerm& term, tasd::DType dtype, size_t r, size_t first,
                         uint32_t n, const uint32_t* values, const uint32_t* index) {
    const uint32_t eb = tasd::dtypeBytes(dtype);
    uint8_t* dst = term.valueRow(r) + first * eb;
    for (uint32_t s = 0; s < n; ++s) {
      const uint32_t v = values[s];
      if (dtype == tasd::DType::I8) {
        dst[s] = static_cast<uint8_t>(v);
      } else if (dtype == tasd::DType::BF16) {
        dst[2 * s] = static_cast<uint8_t>(v >> 16);
        dst[2 * s + 1] = static_cast<uint8_t>(v >> 24);
      } else {
        std::memcpy(dst + 4 * s, &v, 4);
      }
      term.setIndex(r, first + s, getBits(index, uint64_t{kIndexBits} * s, kIndexBits));
    }
  }

  bool stall() {
    if (options_.backpressureSeed == 0) return false;
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < kStallProbability;
  }

  void start_of_simulation() override {
    if (options_.vcdDir.empty()) return;
    vcd_ = std::make_unique<VerilatedVcdSc>();
    for (auto& u : units_)
      u->dut.trace(vcd_.get(), kTraceLevels);
    vcd_->open((options_.vcdDir + "/tasd_unit.vcd").c_str());
  }

  const CosimOptions options_;
  TraceSwitch traceSwitch_;
  sc_core::sc_signal<bool> clk_{"clk", false};
  sc_core::sc_signal<bool> rstN_{"rst_n", true};
  std::vector<std::unique_ptr<Unit>> units_;
  GatedClock clock_;
  std::mt19937 rng_;
  std::unique_ptr<VerilatedVcdSc> vcd_;
  bool reset_ = false;
};

}  // namespace

std::unique_ptr<TasdUnitRtl> makeTasdUnitRtl(const char* name, const hw::TasdUnitParams& params,
                                             const hw::BlockContext& context,
                                             const CosimOptions& options) {
  const std::vector<std::string> problems = tasdUnitProblems(params);
  if (!problems.empty()) throw UserError(problems.front());
  return std::make_unique<TasdUnitRtlImpl>(name, params, context, options);
}

}  // namespace tasdsim::rtl
