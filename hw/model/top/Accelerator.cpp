#include "hw/model/top/Accelerator.h"

namespace tasdsim::hw {

Accelerator::Accelerator(sc_core::sc_module_name name, const AcceleratorParams& params, StatsRegistry& stats,
                         const rtl::CosimOptions& cosim)
    : sc_module(name),
      params_(params),
      bus("bus", params.dram.sizeBytes),
      dram("dram", params.dram, stats),
      host_if("host_if", params.clockPeriodNs()),
      decoder("decoder", params, stats, cosim),
      dataflow("dataflow", params, stats),
      load("load", params, stats),
      tasd_units("tasd_units", params, stats, cosim),
      pe_array("pe_array", params, stats, cosim),
      store("store", params, stats) {
  // Memory map: bus target port 0 is DRAM, port 1 the registers.
  bus.init_socket.bind(dram.target_socket);
  bus.init_socket.bind(host_if.target_socket);
  decoder.fetch_socket.bind(bus.target_socket);
  load.dma_socket.bind(bus.target_socket);
  store.dma_socket.bind(bus.target_socket);
  // Control.
  decoder.command_port.bind(host_if);
  decoder.dispatch_port.bind(dataflow);
  load.ctrl_port.bind(dataflow);
  tasd_units.ctrl_port.bind(dataflow);
  pe_array.ctrl_port.bind(dataflow);
  store.ctrl_port.bind(dataflow);
  host_if.irq_out.bind(irq);
}

}  // namespace tasdsim::hw
