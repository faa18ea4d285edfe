#pragma once
// System: the default platform around the accelerator IP, all bindings in one place.
//
//   initiators                          bus                      targets
//   host (bound by the user) ------->  +-----+ --> dram                 [dram_base, +size)
//   accel[i].mem_socket ------------>  | bus | --> accel[0].reg_socket  [reg_base, +0x1000)
//                                      +-----+ --> accel[i].reg_socket  [reg_base + i*0x1000, ...)
//   accel[i].irq_out --> irq[i] (read by the host)
//
// `params.instances` identical accelerators share the bus and the one DRAM channel, so their
// traffic contends for its bandwidth (Dram's timing model). Instance names: "accel" when there
// is one (the statistics keep their names), "accel0", "accel1", ... otherwise. The system is not
// a module itself: its parts are top-level modules, so that names stay short.
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "hw/model/bus/Bus.h"
#include "hw/model/dram/Dram.h"
#include "hw/model/top/Accelerator.h"

namespace tasdsim::hw {

class System {
 public:
  System(const AcceleratorParams& params, StatsRegistry& stats,
         const rtl::CosimOptions& cosim = {});

  static std::string instanceName(uint32_t instance, uint32_t instances);
  // The bus's address map for params: DRAM first, then each instance's register window.
  static std::vector<AddressRange> addressMap(const AcceleratorParams& params);

  // A host binds its initiator socket here and reads irq[i].
  tlm_utils::multi_passthrough_target_socket<Bus>& hostSocket() { return bus.target_socket; }
  uint32_t instances() const { return static_cast<uint32_t>(accelerators.size()); }
  Accelerator& accelerator(uint32_t i) { return *accelerators.at(i); }

  const AcceleratorParams params;
  Bus bus;
  Dram dram;
  std::vector<std::unique_ptr<Accelerator>> accelerators;
  sc_core::sc_vector<sc_core::sc_signal<bool>> irq;
};

}  // namespace tasdsim::hw
