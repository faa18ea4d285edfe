// The RTL blocks' SystemVerilog assertions are on in the co-simulation build (Verilator
// --assert): a stimulus that breaks a protocol invariant stops the simulation with the
// assertion's message; the same stimulus without the break runs through. Each simulation runs
// in a forked child whose output the test reads.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <systemc>

#include "Vpe.h"
#include "Vpe_array_4x4.h"
#include "Vtasd_unit.h"
#include "hw/rtl/cosim/GatedClock.h"
#include "hw/rtl/cosim/PortBits.h"

namespace tasdsim::rtl {
namespace {

using namespace sc_core;

struct ChildRun {
  bool exitedOk = false;  // exit status 0
  std::string output;     // stdout and stderr
};

// Runs fn in a forked child with stdout and stderr captured.
template <typename Fn>
ChildRun runCaptured(Fn&& fn) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    setvbuf(stdout, nullptr, _IONBF, 0);
    int code = 0;
    try {
      fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "exception: %s\n", e.what());
      code = 3;
    }
    std::fflush(nullptr);
    _exit(code);
  }
  close(fds[1]);
  ChildRun run;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0)
    run.output.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  run.exitedOk = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return run;
}

// Two slot groups form one pass: the first must carry in_first (breakFirst drops it).
template <typename V>
struct PassTop : sc_module {
  sc_signal<bool> clk{"clk", false};
  sc_signal<bool> rst_n{"rst_n", true};
  sc_signal<bool> in_valid{"in_valid", false};
  sc_signal<bool> in_first{"in_first", false};
  sc_signal<bool> in_last{"in_last", false};
  sc_signal<PortValue<decltype(V::in_values)>> in_values{"in_values"};
  sc_signal<PortValue<decltype(V::in_index)>> in_index{"in_index"};
  sc_signal<PortValue<decltype(V::in_dense)>> in_dense{"in_dense"};
  sc_signal<PortValue<decltype(V::out_valid)>> out_valid{"out_valid"};
  sc_signal<PortValue<decltype(V::out_acc)>> out_acc{"out_acc"};
  V dut{"dut"};
  GatedClock clock{clk, 1.0};
  bool breakFirst;

  PassTop(sc_module_name name, bool brk) : sc_module(name), breakFirst(brk) {
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
    SC_HAS_PROCESS(PassTop);
    SC_THREAD(run);
  }

  void run() {
    GatedClock::resetInDeltaCycles(clk, rst_n);
    clock.begin();
    // The break comes in the run's very first cycle, whose edge has the same time stamp as the
    // writes: the input checks are immediate assertions and see it.
    for (int g = 0; g < 2; ++g) {
      in_valid.write(true);
      in_first.write(g == 0 && !breakFirst);
      in_last.write(g == 1);
      clock.tick();
    }
    in_valid.write(false);
    for (int i = 0; i < 12; ++i)
      clock.tick();
    sc_stop();
  }
};

template <typename V>
void runPass(bool breakFirst) {
  sc_report_handler::set_actions("/OSCI/SystemC", SC_INFO, SC_DO_NOTHING);
  PassTop<V> top("top", breakFirst);
  sc_start();
  top.dut.final();
}

// One block into a TASD unit with terms = 1 and n_0 = 2 of m = 4 (breakN: n_0 = 0).
struct TasdTop : sc_module {
  sc_signal<bool> clk{"clk", false};
  sc_signal<bool> rst_n{"rst_n", true};
  sc_signal<PortValue<decltype(Vtasd_unit::cfg_m)>> cfg_m{"cfg_m"};
  sc_signal<PortValue<decltype(Vtasd_unit::cfg_terms)>> cfg_terms{"cfg_terms"};
  sc_signal<PortValue<decltype(Vtasd_unit::cfg_n)>> cfg_n{"cfg_n"};
  sc_signal<bool> cfg_float{"cfg_float", false};
  sc_signal<bool> cfg_tau_en{"cfg_tau_en", false};
  sc_signal<PortValue<decltype(Vtasd_unit::cfg_tau_key)>> cfg_tau_key{"cfg_tau_key"};
  sc_signal<bool> in_valid{"in_valid", false};
  sc_signal<bool> in_ready{"in_ready"};
  sc_signal<PortValue<decltype(Vtasd_unit::in_block)>> in_block{"in_block"};
  sc_signal<bool> out_valid{"out_valid"};
  sc_signal<bool> out_ready{"out_ready", true};
  sc_signal<PortValue<decltype(Vtasd_unit::out_term)>> out_term{"out_term"};
  sc_signal<bool> out_last{"out_last"};
  sc_signal<PortValue<decltype(Vtasd_unit::out_values)>> out_values{"out_values"};
  sc_signal<PortValue<decltype(Vtasd_unit::out_index)>> out_index{"out_index"};
  sc_signal<PortValue<decltype(Vtasd_unit::out_resid)>> out_resid{"out_resid"};
  sc_signal<PortValue<decltype(Vtasd_unit::out_zeroed)>> out_zeroed{"out_zeroed"};
  Vtasd_unit dut{"dut"};
  GatedClock clock{clk, 1.0};
  bool breakN;

  TasdTop(sc_module_name name, bool brk) : sc_module(name), breakN(brk) {
    dut.clk(clk);
    dut.rst_n(rst_n);
    dut.cfg_m(cfg_m);
    dut.cfg_terms(cfg_terms);
    dut.cfg_n(cfg_n);
    dut.cfg_float(cfg_float);
    dut.cfg_tau_en(cfg_tau_en);
    dut.cfg_tau_key(cfg_tau_key);
    dut.in_valid(in_valid);
    dut.in_ready(in_ready);
    dut.in_block(in_block);
    dut.out_valid(out_valid);
    dut.out_ready(out_ready);
    dut.out_term(out_term);
    dut.out_last(out_last);
    dut.out_values(out_values);
    dut.out_index(out_index);
    dut.out_resid(out_resid);
    dut.out_zeroed(out_zeroed);
    SC_HAS_PROCESS(TasdTop);
    SC_THREAD(run);
  }

  void run() {
    GatedClock::resetInDeltaCycles(clk, rst_n);
    clock.begin();
    // The break comes in the run's very first cycle, whose edge has the same time stamp as the
    // writes: the input checks are immediate assertions and see it.
    cfg_m.write(4u);
    cfg_terms.write(1u);
    cfg_n.write(breakN ? 0u : 2u);
    Bits block(static_cast<uint32_t>(PortValue<decltype(Vtasd_unit::in_block)>().length()));
    for (uint32_t e = 0; e < 4; ++e)
      block.words()[e] = e + 1;  // 32-bit elements 1, 2, 3, 4
    PortValue<decltype(Vtasd_unit::in_block)> v;
    toPort(block, v);
    in_block.write(v);
    in_valid.write(true);
    clock.tick();
    in_valid.write(false);
    for (int i = 0; i < 12; ++i)
      clock.tick();
    if (!breakN && out_valid.read()) throw std::logic_error("the block's beat was never taken");
    sc_stop();
  }
};

void runTasd(bool breakN) {
  sc_report_handler::set_actions("/OSCI/SystemC", SC_INFO, SC_DO_NOTHING);
  TasdTop top("top", breakN);
  sc_start();
  top.dut.final();
}

TEST(Sva, PeGroupOutsideAPassFails) {
  const ChildRun ok = runCaptured([] { runPass<Vpe>(false); });
  EXPECT_TRUE(ok.exitedOk) << ok.output;
  const ChildRun bad = runCaptured([] { runPass<Vpe>(true); });
  EXPECT_FALSE(bad.exitedOk) << bad.output;
  EXPECT_NE(bad.output.find("a_pass_started"), std::string::npos) << bad.output;
}

TEST(Sva, PeArrayGroupOutsideAPassFails) {
  const ChildRun ok = runCaptured([] { runPass<Vpe_array_4x4>(false); });
  EXPECT_TRUE(ok.exitedOk) << ok.output;
  const ChildRun bad = runCaptured([] { runPass<Vpe_array_4x4>(true); });
  EXPECT_FALSE(bad.exitedOk) << bad.output;
  EXPECT_NE(bad.output.find("a_pass_started"), std::string::npos) << bad.output;
}

TEST(Sva, TasdUnitConfigurationOutOfRangeFails) {
  const ChildRun ok = runCaptured([] { runTasd(false); });
  EXPECT_TRUE(ok.exitedOk) << ok.output;
  const ChildRun bad = runCaptured([] { runTasd(true); });
  EXPECT_FALSE(bad.exitedOk) << bad.output;
  EXPECT_NE(bad.output.find("a_cfg_range"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace tasdsim::rtl
