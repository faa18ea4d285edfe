#pragma once
// LoadUnit: the DMA that fills the buffer slots (LOAD_S, LOAD_D, LOAD_C).
//
// Ports: ctrl_port (UnitIf: its instructions and the buffer slots), dma_socket (TLM initiator
// to memory). Timing: a tile's memory runs are issued as one batch (DRAM latency paid once,
// bandwidth shared); the load takes the longer of that and the SRAM write time
// (bytes / port width). Loads run ahead of compute as far as the scoreboard allows.
// Assumptions: compressed terms are stored per row as in docs/formats.md, so a tile's K range
// must start on a block whose metadata starts on a byte boundary; conv inputs are read once
// per tile as the bounding box of the pixels the tile touches (OperandLayout.h).
// Stats: load_unit.busy_cycles, load_unit.requests, load_unit.dram_bytes.{s,d,c},
// load_unit.stall.wait_buffer_free; buffer writes in buffer.<s,d,acc>.write_bytes.
#include <map>
#include <tuple>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>

#include "hw/model/dataflow/Dma.h"
#include "hw/model/dataflow/Interfaces.h"

namespace tasdsim::hw {

class LoadUnit : public sc_core::sc_module {
 public:
  sc_core::sc_port<UnitIf> ctrl_port;
  tlm_utils::simple_initiator_socket<LoadUnit> dma_socket;

  LoadUnit(sc_core::sc_module_name name, const BlockContext& context, StatsRegistry& stats);

 private:
  // The operation in flight: a member, not a local of the thread, so that what it holds stays
  // reachable (and is freed) when a simulation ends while the thread waits.
  Op op_;
  void run();
  // Each returns false after raising an error.
  bool loadStructured(const Op& op, DmaBatch& dma, uint64_t& sramBytes);
  bool loadDenseS(const Op& op, DmaBatch& dma, uint64_t& sramBytes);
  bool loadD(const Op& op, DmaBatch& dma, uint64_t& sramBytes);
  bool loadC(const Op& op, DmaBatch& dma, uint64_t& sramBytes);
  bool fail(const Op& op, ErrorCode code, const std::string& why);
  // The read plan of a dense tile of operand S or D (planDenseTile), kept while the layer's
  // configuration stays the same: a tile read again (once per tile of the other operand) is
  // planned once. Null after raising an error.
  const GatherPlan* densePlan(const Op& op, bool isS, TileRange rows, uint32_t k0, uint32_t klen);
  // Reads the plan's runs into the staging buffer (with values), or counts them (timing only:
  // at once when the memory's DMI regions cover their span). False after a failed read.
  bool readPlan(const Op& op, DmaBatch& dma, const GatherPlan& plan, bool isS, TileRange rows,
                uint32_t k0, uint32_t klen);

  const BlockContext context_;
  std::vector<uint8_t> staging_;
  std::vector<uint8_t> tile_;    // an assembled conv tile (reused)
  std::vector<float> rowMajor_;  // a bf16 tile as float (reused)
  uint64_t planGeneration_ = 0;  // LayerState::generation the cached plans belong to
  std::map<std::tuple<bool, uint32_t, uint32_t, uint32_t, uint32_t>, GatherPlan> plans_;
  std::vector<Counter*> stalls_;
  Counter& busyCycles_;
  Counter& requests_;
  Counter& dramS_;
  Counter& dramD_;
  Counter& dramC_;
};

}  // namespace tasdsim::hw
