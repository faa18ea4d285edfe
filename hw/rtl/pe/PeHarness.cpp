#include "hw/rtl/pe/PeHarness.h"

#include <memory>

#include <systemc>

#include "Vpe.h"
#include "hw/rtl/cosim/GatedClock.h"
#include "hw/rtl/cosim/PortBits.h"
#if VM_TRACE
#include <verilated_vcd_sc.h>
#endif

namespace tasdsim::rtl {
namespace {

using namespace sc_core;

constexpr double kClockPeriodNs = 1.0;
constexpr uint32_t kIndexBits = 3;
constexpr int kIdleCycles = 2;
static_assert((1 << kIndexBits) == kHarnessM, "index width of the Verilated PE");

struct PeTop : sc_module {
  sc_signal<bool> clk{"clk", false};
  sc_signal<bool> rst_n{"rst_n", true};
  sc_signal<bool> in_valid{"in_valid", false};
  sc_signal<bool> in_first{"in_first", false};
  sc_signal<bool> in_last{"in_last", false};
  sc_signal<PortValue<decltype(Vpe::in_values)>> in_values{"in_values"};
  sc_signal<PortValue<decltype(Vpe::in_index)>> in_index{"in_index"};
  sc_signal<PortValue<decltype(Vpe::in_dense)>> in_dense{"in_dense"};
  sc_signal<bool> out_valid{"out_valid"};
  sc_signal<uint32_t> out_acc{"out_acc"};
  Vpe dut{"dut"};
  GatedClock clock{clk, kClockPeriodNs};

  const std::vector<PeStimulus>& stimuli;
  std::vector<PeResult> results;

  PeTop(sc_module_name name, const std::vector<PeStimulus>& s) : sc_module(name), stimuli(s) {
    dut.clk(clk);
    dut.rst_n(rst_n);
    dut.in_valid(in_valid);
    dut.in_first(in_first);
    dut.in_last(in_last);
    dut.in_values(in_values);
    dut.in_index(in_index);
    dut.in_dense(in_dense);
    dut.out_valid(out_valid);
    dut.out_acc(out_acc);
    SC_HAS_PROCESS(PeTop);
    SC_THREAD(run);
  }

  void run() {
    GatedClock::resetInDeltaCycles(clk, rst_n);
    clock.begin();
    for (size_t i = 0; i < stimuli.size() + kIdleCycles; ++i) {
      if (i < stimuli.size())
        apply(stimuli[i]);
      else
        in_valid.write(false);
      clock.tick();
      if (out_valid.read())
        results.push_back({clock.cycles() - 1, static_cast<int32_t>(out_acc.read())});
    }
    sc_stop();
  }

  void apply(const PeStimulus& s) {
    Bits values(8 * kHarnessLanes), index(kIndexBits * kHarnessLanes),
        dense(8 * kHarnessM * kHarnessLanes);
    for (int l = 0; l < kHarnessLanes; ++l) {
      values.bytes()[l] = static_cast<uint8_t>(s.values[l]);
      index.put(kIndexBits * l, kIndexBits, s.index[l]);
      for (int e = 0; e < kHarnessM; ++e)
        dense.bytes()[kHarnessM * l + e] = static_cast<uint8_t>(s.dense[l][e]);
    }
    PortValue<decltype(Vpe::in_values)> v;
    toPort(values, v);
    in_values.write(v);
    PortValue<decltype(Vpe::in_index)> ix;
    toPort(index, ix);
    in_index.write(ix);
    PortValue<decltype(Vpe::in_dense)> dn;
    toPort(dense, dn);
    in_dense.write(dn);
    in_valid.write(s.valid);
    in_first.write(s.first);
    in_last.write(s.last);
  }
};

}  // namespace

std::vector<PeResult> runPe(const std::vector<PeStimulus>& stimuli, const std::string& vcdPath) {
  sc_report_handler::set_actions("/OSCI/SystemC", SC_INFO, SC_DO_NOTHING);
#if VM_TRACE
  if (!vcdPath.empty()) Verilated::traceEverOn(true);
#endif
  auto top = std::make_unique<PeTop>("top", stimuli);
  sc_start(SC_ZERO_TIME);
#if VM_TRACE
  std::unique_ptr<VerilatedVcdSc> vcd;
  if (!vcdPath.empty()) {
    vcd = std::make_unique<VerilatedVcdSc>();
    top->dut.trace(vcd.get(), 99);
    vcd->open(vcdPath.c_str());
  }
#else
  (void)vcdPath;
#endif
  sc_start();
  top->dut.final();
#if VM_TRACE
  if (vcd) vcd->close();
#endif
  return top->results;
}

}  // namespace tasdsim::rtl
