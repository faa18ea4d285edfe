// The PE array adapter: one STREAM instruction through the Verilated pe_array.
//
// The adapter is the array's feeder (the S and D buffer read side): for every pass (row group x
// column group of the output tile) and every term of the stream it presents, cycle by cycle,
// each S row's next `lanes` slots (value and in-block index) and, for each column and lane, the
// m-element block of the column's D row that the lane's slot belongs to (block slot / n of the
// term n:m). A dense stream is fed as the pattern lanes:lanes (slot k is element k, index k mod
// lanes), which gives the model's ceil(K / lanes) cycles per pass. The array returns one result
// per PE and pass; the adapter adds it to the accumulator tile (the accumulator buffer's
// read-modify-write). Slots past a row's end, rows and columns past the tile and dense elements
// past K are fed as zeros.
#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <verilated.h>
#include <verilated_vcd_sc.h>

#include "hw/model/pe_array/StreamMath.h"
#include "hw/rtl/cosim/Cosim.h"
#include "hw/rtl/cosim/GatedClock.h"
#include "hw/rtl/cosim/PeArrayModels.h"
#include "hw/rtl/cosim/PortBits.h"
#include "hw/rtl/cosim/RtlParams.h"
#include "hw/rtl/cosim/RtlSupport.h"
#include "sw/common/Error.h"

namespace tasdsim::rtl {
namespace {

constexpr uint32_t kIndexBits = [] {
  uint32_t b = 0;
  while ((1u << b) < kPeMaxBlock)
    ++b;
  return b;
}();
constexpr int kTraceLevels = 99;

uint64_t ceilDiv(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

// Turns tracing on before the Verilated model is constructed (a member placed before it).
struct TraceSwitch {
  explicit TraceSwitch(bool on) {
    if (on) Verilated::traceEverOn(true);
  }
};

// One term of the stream as the feeder reads it: every row's slots (value, index).
struct TermFeed {
  uint32_t n = 0, m = 0;
  uint64_t slots = 0;          // per row
  uint64_t steps = 0;          // cycles per pass: ceil(slots / lanes)
  std::vector<int8_t> value;   // rows x slots (empty: zeros)
  std::vector<uint8_t> index;  // rows x slots
};

template <class V, uint32_t kRows, uint32_t kCols>
class PeArrayRtlImpl final : public sc_core::sc_module, public PeArrayRtl {
 public:
  PeArrayRtlImpl(sc_core::sc_module_name name, const hw::PeArrayParams& params,
                 const hw::BlockContext& context, const CosimOptions& options)
      : sc_module(name),
        params_(params),
        context_(context),
        options_(options),
        traceSwitch_(!options.vcdDir.empty()),
        dut_("dut"),
        clock_(clk_, context.clockPeriodNs()),
        values_(8 * kPeLanes * kRows),
        index_(kIndexBits * kPeLanes * kRows),
        dense_(8 * kPeMaxBlock * kPeLanes * kCols) {
    dut_.clk(clk_);
    dut_.rst_n(rstN_);
    dut_.in_valid(inValid_);
    dut_.in_first(inFirst_);
    dut_.in_last(inLast_);
    dut_.in_values(inValues_);
    dut_.in_index(inIndex_);
    dut_.in_dense(inDense_);
    dut_.out_valid(outValid_);
    dut_.out_acc(outAcc_);
  }

  ~PeArrayRtlImpl() override {
    if (vcd_) vcd_->close();
  }

  uint64_t stream(const hw::LayerState& layer, const hw::STile& s, const hw::DTile& d,
                  hw::AccTile& acc, const hw::StreamShape& shape) override {
    if (!reset_) {
      GatedClock::resetInDeltaCycles(clk_, rstN_);
      reset_ = true;
    }
    const bool withValues = context_.functional;
    const std::vector<TermFeed> feeds = termFeeds(layer, s, shape, withValues);
    if (withValues) {
      denseRows_.resize(uint64_t{shape.cols} * shape.ks);
      for (uint64_t k = 0; k < shape.ks; ++k) {
        for (uint64_t j = 0; j < shape.cols; ++j) {
          denseRows_[j * shape.ks + k] = static_cast<int8_t>(d.kMajorI[k * shape.cols + j]);
        }
      }
    }
    const uint32_t rows = shape.rows, cols = shape.cols;
    if (withValues && shape.clear) acc.i.assign(uint64_t{rows} * cols, 0);
    const uint64_t rowGroups = ceilDiv(rows, kRows), colGroups = ceilDiv(cols, kCols);
    const uint64_t passes = rowGroups * colGroups;
    uint64_t stepsPerPass = 0;
    for (const TermFeed& f : feeds)
      stepsPerPass += f.steps;
    const uint64_t inputCycles = passes * stepsPerPass;
    const uint64_t expected = passes * kRows * kCols;
    std::vector<uint64_t> passOfPe(kRows * kCols, 0);  // next pass each PE reports
    uint64_t collected = 0;
    uint64_t pass = 0, term = 0, step = 0;  // the input position
    clock_.begin();
    while (collected < expected) {
      if (clock_.cycles() < inputCycles) {
        drive(feeds, shape, withValues, pass / colGroups, pass % colGroups, term, step);
        if (++step == feeds[term].steps) {
          step = 0;
          if (++term == feeds.size()) {
            term = 0;
            ++pass;
          }
        }
      } else {
        inValid_.write(false);
      }
      clock_.tick();
      collected += collect(passOfPe, colGroups, rows, cols, acc, withValues);
      if (clock_.cycles() > inputCycles + kRows + kCols + kDrainSlackCycles) {
        throw std::logic_error(fmt::format("{}: the RTL returned {} of {} results after {} cycles",
                                           name(), collected, expected, clock_.cycles()));
      }
    }
    inValid_.write(false);
    return clock_.end();
  }

 private:
  static constexpr uint64_t kDrainSlackCycles = 4;

  std::vector<TermFeed> termFeeds(const hw::LayerState& layer, const hw::STile& s,
                                  const hw::StreamShape& shape, bool withValues) const {
    std::vector<TermFeed> feeds;
    const uint32_t rows = shape.rows, ks = shape.ks;
    if (shape.termCount == 0) {  // dense: the pattern lanes:lanes
      TermFeed f;
      f.n = f.m = kPeLanes;
      f.slots = ceilDiv(ks, kPeLanes) * kPeLanes;
      f.steps = f.slots / kPeLanes;
      if (withValues) {
        f.value.assign(rows * f.slots, 0);
        f.index.assign(rows * f.slots, 0);
        for (uint32_t r = 0; r < rows; ++r) {
          for (uint64_t k = 0; k < f.slots; ++k) {
            if (k < ks) f.value[r * f.slots + k] = s.denseI8[uint64_t{r} * ks + k];
            f.index[r * f.slots + k] = static_cast<uint8_t>(k % kPeLanes);
          }
        }
      }
      feeds.push_back(std::move(f));
      return feeds;
    }
    for (uint32_t t = shape.firstTerm; t < shape.firstTerm + shape.termCount; ++t) {
      const tasd::NMPattern p = layer.term[t].pattern;
      TermFeed f;
      f.n = p.n;
      f.m = p.m;
      f.slots = ceilDiv(ks, p.m) * p.n;
      f.steps = ceilDiv(f.slots, kPeLanes);
      if (withValues) {
        const tasd::CompressedTerm& ct = s.terms[t];
        if (ct.rows() != rows || ct.slotsPerRow() != f.slots || ct.dtype() != tasd::DType::I8) {
          throw std::logic_error(
              fmt::format("{}: term {} holds {} rows x {} slots, the stream needs {} x {} (int8)",
                          name(), t, ct.rows(), ct.slotsPerRow(), rows, f.slots));
        }
        f.value.resize(rows * f.slots);
        f.index.resize(rows * f.slots);
        for (uint32_t r = 0; r < rows; ++r) {
          const uint8_t* v = ct.valueRow(r);
          for (uint64_t slot = 0; slot < f.slots; ++slot) {
            f.value[r * f.slots + slot] = static_cast<int8_t>(v[slot]);
            f.index[r * f.slots + slot] = static_cast<uint8_t>(ct.index(r, slot));
          }
        }
      }
      feeds.push_back(std::move(f));
    }
    return feeds;
  }

  // Inputs of one cycle: slot group `step` of term `term` in pass (rowGroup, colGroup).
  void drive(const std::vector<TermFeed>& feeds, const hw::StreamShape& shape, bool withValues,
             uint64_t rowGroup, uint64_t colGroup, uint64_t term, uint64_t step) {
    const TermFeed& f = feeds[term];
    if (withValues) {
      values_.clear();
      index_.clear();
      dense_.clear();
      uint8_t* valueBytes = values_.bytes();
      uint8_t* denseBytes = dense_.bytes();
      const uint64_t firstSlot = step * kPeLanes;
      const uint32_t lanes =
          static_cast<uint32_t>(std::min<uint64_t>(kPeLanes, f.slots - firstSlot));
      for (uint32_t rr = 0; rr < kRows; ++rr) {
        const uint64_t r = rowGroup * kRows + rr;
        if (r >= shape.rows) break;
        for (uint32_t l = 0; l < lanes; ++l) {
          const uint64_t at = r * f.slots + firstSlot + l;
          valueBytes[kPeLanes * rr + l] = static_cast<uint8_t>(f.value[at]);
          index_.put(uint64_t{kIndexBits} * (kPeLanes * rr + l), kIndexBits, f.index[at]);
        }
      }
      for (uint32_t cc = 0; cc < kCols; ++cc) {
        const uint64_t j = colGroup * kCols + cc;
        if (j >= shape.cols) break;
        for (uint32_t l = 0; l < lanes; ++l) {
          const uint64_t blockStart = (firstSlot + l) / f.n * f.m;
          uint8_t* block = denseBytes + kPeMaxBlock * (kPeLanes * cc + l);
          if (blockStart < shape.ks) {
            std::memcpy(block, denseRows_.data() + j * shape.ks + blockStart,
                        std::min<uint64_t>(f.m, shape.ks - blockStart));
          }
        }
      }
      toPort(values_, valuesPort_);
      inValues_.write(valuesPort_);
      toPort(index_, indexPort_);
      inIndex_.write(indexPort_);
      toPort(dense_, densePort_);
      inDense_.write(densePort_);
    }
    inValid_.write(true);
    inFirst_.write(term == 0 && step == 0);
    inLast_.write(term + 1 == feeds.size() && step + 1 == f.steps);
  }

  // Results registered by the last edge; returns how many.
  uint64_t collect(std::vector<uint64_t>& passOfPe, uint64_t colGroups, uint32_t rows,
                   uint32_t cols, hw::AccTile& acc, bool withValues) {
    constexpr size_t kValidWords = (kRows * kCols + 31) / 32;
    uint32_t valid[kValidWords];
    fromPort(outValid_.read(), valid, kValidWords);
    uint64_t count = 0;
    for (size_t w = 0; w < kValidWords; ++w) {
      for (uint32_t bits = valid[w]; bits; bits &= bits - 1) {
        const uint32_t pe = static_cast<uint32_t>(w * 32 + __builtin_ctz(bits));
        const uint64_t pass = passOfPe[pe]++;
        ++count;
        if (!withValues) continue;
        const uint64_t r = pass / colGroups * kRows + pe / kCols,
                       c = pass % colGroups * kCols + pe % kCols;
        if (r >= rows || c >= cols) continue;
        int32_t& dst = acc.i[r * cols + c];
        dst = static_cast<int32_t>(static_cast<uint32_t>(dst) +
                                   wordOf(outAcc_.read(), static_cast<int>(pe)));
      }
    }
    return count;
  }

  void start_of_simulation() override {
    if (options_.vcdDir.empty()) return;
    vcd_ = std::make_unique<VerilatedVcdSc>();
    dut_.trace(vcd_.get(), kTraceLevels);
    vcd_->open((options_.vcdDir + "/pe_array.vcd").c_str());
  }

  const hw::PeArrayParams params_;
  const hw::BlockContext context_;
  const CosimOptions options_;
  TraceSwitch traceSwitch_;
  sc_core::sc_signal<bool> clk_{"clk", false};
  sc_core::sc_signal<bool> rstN_{"rst_n", true};
  sc_core::sc_signal<bool> inValid_{"in_valid", false};
  sc_core::sc_signal<bool> inFirst_{"in_first", false};
  sc_core::sc_signal<bool> inLast_{"in_last", false};
  sc_core::sc_signal<PortValue<decltype(V::in_values)>> inValues_{"in_values"};
  sc_core::sc_signal<PortValue<decltype(V::in_index)>> inIndex_{"in_index"};
  sc_core::sc_signal<PortValue<decltype(V::in_dense)>> inDense_{"in_dense"};
  sc_core::sc_signal<PortValue<decltype(V::out_valid)>> outValid_{"out_valid"};
  sc_core::sc_signal<PortValue<decltype(V::out_acc)>> outAcc_{"out_acc"};
  V dut_;
  GatedClock clock_;
  std::unique_ptr<VerilatedVcdSc> vcd_;
  bool reset_ = false;
  Bits values_, index_, dense_;
  // Port values kept across cycles (an sc_bv allocates when constructed).
  PortValue<decltype(V::in_values)> valuesPort_{};
  PortValue<decltype(V::in_index)> indexPort_{};
  PortValue<decltype(V::in_dense)> densePort_{};
  std::vector<int8_t> denseRows_;  // the D tile row by row (cols x ks): blocks are contiguous
};

}  // namespace

std::unique_ptr<PeArrayRtl> makePeArrayRtl(const char* name, const hw::PeArrayParams& params,
                                           const hw::BlockContext& context,
                                           const CosimOptions& options) {
  const std::vector<std::string> problems = peArrayProblems(params);
  if (!problems.empty()) throw UserError(problems.front());
#define TASDSIM_MAKE_PE_ARRAY(r, c)                                                           \
  if (params.rows == (r) && params.cols == (c)) {                                             \
    return std::make_unique<PeArrayRtlImpl<Vpe_array_##r##x##c, r, c>>(name, params, context, \
                                                                       options);              \
  }
  TASDSIM_RTL_PE_ARRAY_VARIANTS(TASDSIM_MAKE_PE_ARRAY)
#undef TASDSIM_MAKE_PE_ARRAY
  throw std::logic_error("makePeArrayRtl: no variant although the parameters were accepted");
}

}  // namespace tasdsim::rtl
