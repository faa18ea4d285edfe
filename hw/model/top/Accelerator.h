#pragma once
// Accelerator: the TASD accelerator as an IP block. It owns its compute and control blocks and
// exposes three things to the system that instantiates it (docs/integration.md):
//
//   reg_socket  (TLM-2.0 target)     registers and doorbell, offsets 0x00..0xfff (docs/isa.md);
//                                    the system maps the window at its register base
//   mem_socket  (TLM-2.0 initiator)  all memory traffic: microcode fetch, load and store DMA,
//                                    at the device addresses the microcode names
//   irq_out     (sc_out<bool>)       high from a program's completion until IRQ_ACK
//
//   reg_socket --> host_if --CommandIf--> decoder --DispatchIf--> dataflow <--UnitIf-- load_unit,
//                                                                  tasd_unit, pe_array, store_unit
//   buffer (s, d, acc): handed by dataflow to its units (UnitIf::buffer)
//   decoder.fetch_socket, load_unit.dma_socket, store_unit.dma_socket --> memory_port.unit_socket
//   memory_port.init_socket --> mem_socket;   host_if.irq_out --> irq_out
//
// Memory and interconnect are not part of it: hw/model/system/System.h wires the default
// system (host, bus, DRAM, accelerators), examples/soc_platform a user's own.
#include <systemc>
#include <tlm>

#include "hw/model/common/Stats.h"
#include "hw/model/dataflow/Dataflow.h"
#include "hw/model/decoder/Decoder.h"
#include "hw/model/host_if/HostIf.h"
#include "hw/model/load_unit/LoadUnit.h"
#include "hw/model/memory_port/MemoryPort.h"
#include "hw/model/pe_array/PeArray.h"
#include "hw/model/store_unit/StoreUnit.h"
#include "hw/model/tasd_unit/TasdUnit.h"

namespace tasdsim::hw {

class Accelerator : public sc_core::sc_module {
 public:
  tlm::tlm_target_socket<> reg_socket;
  tlm::tlm_initiator_socket<> mem_socket;
  sc_core::sc_out<bool> irq_out;

  // cosim: options of the blocks built with impl: rtl (waveforms).
  Accelerator(sc_core::sc_module_name name, const AcceleratorParams& params, StatsRegistry& stats,
              const rtl::CosimOptions& cosim = {});

  const AcceleratorParams& params() const { return params_; }

  const AcceleratorParams params_;
  BufferSet buffer;  // accel.buffer.{s,d,acc}
  MemoryPort memory_port;
  HostIf host_if;
  Decoder decoder;
  Dataflow dataflow;
  LoadUnit load_unit;
  TasdUnit tasd_unit;
  PeArray pe_array;
  StoreUnit store_unit;
};

}  // namespace tasdsim::hw
