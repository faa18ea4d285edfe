#include "sw/runtime/Simulation.h"

#include <malloc.h>

#include <chrono>
#include <memory>
#include <stdexcept>

#include <systemc>

#include "hw/model/system/System.h"
#include "hw/rtl/cosim/RtlSupport.h"
#include "sw/executor/Executor.h"
#include "sw/runtime/Host.h"
#include "sw/runtime/NetworkRun.h"

namespace tasdsim::runtime {

SimulationOutput simulate(const SimulationInputs& in) {
  if (sc_core::sc_get_status() != sc_core::SC_ELABORATION ||
      sc_core::sc_time_stamp() != sc_core::SC_ZERO_TIME) {
    throw std::logic_error("simulate: the SystemC kernel was already used in this process");
  }
  rtl::checkRun(in.params, in.options.dtype, in.options.functional, !in.vcdDir.empty());
  const auto t0 = std::chrono::steady_clock::now();
  // The simulation is one thread (SystemC); idle OpenBLAS workers would only spin against it.
  executor::setBlasThreads(1);
  // Tiles allocate and free many MiB-sized buffers; keep that memory in the heap instead of
  // mapping and unmapping it (and faulting its pages in) for every tile.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  hw::AcceleratorParams params = in.params;
  params.functional = in.options.functional;
  hw::StatsRegistry stats;
  rtl::CosimOptions cosim;
  cosim.vcdDir = in.vcdDir;
  auto system = std::make_unique<hw::System>(params, stats, cosim);
  NetworkRun runner(in.workload, in.plan, params, in.energy, in.options, *system, stats);
  std::vector<uint64_t> regBases;
  for (uint32_t i = 0; i < params.instances; ++i)
    regBases.push_back(params.addressMap.regBaseOf(i));
  auto host = std::make_unique<Host>(
      "host", [&runner](Host& h) { runner.run(h); }, regBases);
  host->bus_socket.bind(system->hostSocket());
  for (uint32_t i = 0; i < params.instances; ++i)
    host->irq_in[i].bind(system->irq[i]);
  sc_core::sc_start();
  SimulationOutput out;
  out.run = runner.result();
  out.outputs = std::move(runner.outputs());
  if (!host->failure.empty() && out.run.failReason.empty()) out.run.failReason = host->failure;
  out.counters = stats.snapshot();
  for (const auto& c : stats.counters())
    out.counterUnits[c->name] = c->unit;
  out.wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace tasdsim::runtime
