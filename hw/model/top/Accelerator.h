#pragma once
// Accelerator: the whole simulated device and its memory system, all bindings in one place.
//
//   requesters                    bus                targets
//   (host, bound by the user) --> +-----+ --> dram (DRAM model, address 0)
//   decoder.fetch_socket -------> | bus | --> host_if (registers at kMmioBase)
//   load.dma_socket ------------> |     |
//   store.dma_socket -----------> +-----+
//
//   host_if --CommandIf--> decoder --DispatchIf--> dataflow <--UnitIf-- load, tasd_units,
//                                                                      pe_array, store
//   host_if.irq_out --> irq (completion signal, read by the host)
#include <memory>

#include <systemc>

#include "hw/model/bus/Bus.h"
#include "hw/model/common/Stats.h"
#include "hw/model/dataflow/DataflowController.h"
#include "hw/model/dataflow/LoadUnit.h"
#include "hw/model/dataflow/StoreUnit.h"
#include "hw/model/decoder/MicrocodeDecoder.h"
#include "hw/model/dram/Dram.h"
#include "hw/model/host_if/HostInterface.h"
#include "hw/model/pe_array/PeArray.h"
#include "hw/model/tasd_unit/TasdUnits.h"

namespace tasdsim::hw {

class Accelerator : public sc_core::sc_module {
 public:
  // cosim: options of the blocks built with impl: rtl (waveforms).
  Accelerator(sc_core::sc_module_name name, const AcceleratorParams& params, StatsRegistry& stats,
              const rtl::CosimOptions& cosim = {});

  // Bind a host's initiator socket here.
  tlm_utils::multi_passthrough_target_socket<Bus>& hostSocket() { return bus.target_socket; }
  const AcceleratorParams& params() const { return params_; }

  const AcceleratorParams params_;
  sc_core::sc_signal<bool> irq{"irq", false};
  Bus bus;
  Dram dram;
  HostInterface host_if;
  MicrocodeDecoder decoder;
  DataflowController dataflow;
  LoadUnit load;
  TasdUnits tasd_units;
  PeArray pe_array;
  StoreUnit store;
};

}  // namespace tasdsim::hw
