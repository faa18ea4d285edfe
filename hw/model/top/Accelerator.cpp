#include "hw/model/top/Accelerator.h"

#include "hw/model/top/AcceleratorStats.h"

namespace tasdsim::hw {
namespace {

// The controller's view of the engine (hw/model/dataflow/DataflowParams.h).
DataflowParams dataflowParams(const AcceleratorParams& p) {
  DataflowParams d;
  d.maxTerms = p.maxTerms;
  d.tasdExtension = p.tasdExtension;
  d.tasdUnits = p.tasdUnit.count > 0;
  d.patterns = p.peArray.patterns;
  d.queueDepth = p.decoder.queueDepth;
  return d;
}

}  // namespace

Accelerator::Accelerator(sc_core::sc_module_name name, const AcceleratorParams& params,
                         StatsRegistry& stats, const rtl::CosimOptions& cosim)
    : sc_module(name),
      reg_socket("reg_socket"),
      mem_socket("mem_socket"),
      irq_out("irq_out"),
      params_(params),
      buffer(this->name(), params.buffer, stats),
      memory_port("memory_port", stats),
      host_if("host_if", params.clockPeriodNs()),
      decoder("decoder", params.decoder, params.context(), stats, cosim),
      dataflow("dataflow", dataflowParams(params), params.context(), buffer, stats),
      load_unit("load_unit", params.context(), stats),
      tasd_unit("tasd_unit", params.tasdUnit, params.context(), stats, cosim),
      pe_array("pe_array", params.peArray, params.context(), stats, cosim),
      store_unit("store_unit", params.context(), stats) {
  // The IP's boundary: hierarchical bindings to the blocks that serve it.
  reg_socket.bind(host_if.target_socket);
  memory_port.init_socket.bind(mem_socket);
  host_if.irq_out.bind(irq_out);
  // Memory traffic.
  decoder.fetch_socket.bind(memory_port.unit_socket);
  load_unit.dma_socket.bind(memory_port.unit_socket);
  store_unit.dma_socket.bind(memory_port.unit_socket);
  // Control.
  decoder.command_port.bind(host_if);
  decoder.dispatch_port.bind(dataflow);
  load_unit.ctrl_port.bind(dataflow);
  tasd_unit.ctrl_port.bind(dataflow);
  pe_array.ctrl_port.bind(dataflow);
  store_unit.ctrl_port.bind(dataflow);
  // Every declared statistic is registered by its block: the energy model and the reports read
  // only declared ones, so none of their reads can miss.
  requireStats(stats, this->name(), acceleratorStatPaths());
}

}  // namespace tasdsim::hw
