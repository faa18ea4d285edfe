#include "hw/model/top/Accelerator.h"

#include "hw/model/top/AcceleratorStats.h"

namespace tasdsim::hw {

Accelerator::Accelerator(sc_core::sc_module_name name, const AcceleratorParams& params,
                         StatsRegistry& stats, const rtl::CosimOptions& cosim)
    : sc_module(name),
      reg_socket("reg_socket"),
      mem_socket("mem_socket"),
      irq_out("irq_out"),
      params_(params),
      mem("mem", stats),
      host_if("host_if", params.clockPeriodNs()),
      decoder("decoder", params, stats, cosim),
      dataflow("dataflow", params, stats),
      load("load", params, stats),
      tasd_units("tasd_units", params, stats, cosim),
      pe_array("pe_array", params, stats, cosim),
      store("store", params, stats) {
  // The IP's boundary: hierarchical bindings to the blocks that serve it.
  reg_socket.bind(host_if.target_socket);
  mem.init_socket.bind(mem_socket);
  host_if.irq_out.bind(irq_out);
  // Memory traffic.
  decoder.fetch_socket.bind(mem.unit_socket);
  load.dma_socket.bind(mem.unit_socket);
  store.dma_socket.bind(mem.unit_socket);
  // Control.
  decoder.command_port.bind(host_if);
  decoder.dispatch_port.bind(dataflow);
  load.ctrl_port.bind(dataflow);
  tasd_units.ctrl_port.bind(dataflow);
  pe_array.ctrl_port.bind(dataflow);
  store.ctrl_port.bind(dataflow);
  // Every declared statistic is registered by its block: the energy model and the reports read
  // only declared ones, so none of their reads can miss.
  requireStats(stats, this->name(), acceleratorStatPaths());
}

}  // namespace tasdsim::hw
