#include "hw/rtl/pe/NmPeHarness.h"

#include <memory>

#include <systemc>

#include "Vnm_pe.h"
#if VM_TRACE
#include <verilated_vcd_sc.h>
#endif

namespace tasdsim::rtl {
namespace {

using namespace sc_core;

constexpr double kClockPeriodNs = 1.0;

struct NmPeTop : sc_module {
  sc_clock clk{"clk", sc_time(kClockPeriodNs, SC_NS)};
  sc_signal<bool> rst_n{"rst_n", false};
  sc_signal<bool> in_valid{"in_valid", false};
  sc_signal<bool> in_clear{"in_clear", false};
  sc_signal<uint64_t> in_dense{"in_dense"};
  sc_signal<uint32_t> in_values{"in_values"};
  sc_signal<uint32_t> in_index{"in_index"};
  sc_signal<bool> out_valid{"out_valid"};
  sc_signal<uint32_t> out_acc{"out_acc"};
  Vnm_pe dut{"dut"};

  const std::vector<NmPeStimulus>& stimuli;
  std::vector<int32_t> results;

  NmPeTop(sc_module_name name, const std::vector<NmPeStimulus>& s) : sc_module(name), stimuli(s) {
    dut.clk(clk);
    dut.rst_n(rst_n);
    dut.in_valid(in_valid);
    dut.in_clear(in_clear);
    dut.in_dense(in_dense);
    dut.in_values(in_values);
    dut.in_index(in_index);
    dut.out_valid(out_valid);
    dut.out_acc(out_acc);
    SC_HAS_PROCESS(NmPeTop);
    SC_THREAD(run);
  }

  void run() {
    wait(clk.negedge_event());
    rst_n.write(true);
    for (const NmPeStimulus& s : stimuli) {
      uint64_t dense = 0;
      for (int e = 0; e < kNmPeM; ++e) dense |= uint64_t{static_cast<uint8_t>(s.dense[e])} << (8 * e);
      uint32_t values = 0, index = 0;
      for (int k = 0; k < kNmPeN; ++k) {
        values |= uint32_t{static_cast<uint8_t>(s.values[k])} << (8 * k);
        index |= uint32_t{s.index[k] & 7u} << (3 * k);
      }
      in_dense.write(dense);
      in_values.write(values);
      in_index.write(index);
      in_clear.write(s.clear);
      in_valid.write(true);
      wait(clk.negedge_event());  // the PE registers on the rising edge in between
      results.push_back(static_cast<int32_t>(out_acc.read()));
    }
    in_valid.write(false);
    sc_stop();
  }
};

}  // namespace

std::vector<int32_t> runNmPe(const std::vector<NmPeStimulus>& stimuli, const std::string& vcdPath) {
  sc_report_handler::set_actions("/OSCI/SystemC", SC_INFO, SC_DO_NOTHING);
#if VM_TRACE
  if (!vcdPath.empty()) Verilated::traceEverOn(true);
#endif
  auto top = std::make_unique<NmPeTop>("top", stimuli);
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
