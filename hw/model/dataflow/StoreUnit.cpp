#include "hw/model/dataflow/StoreUnit.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "hw/model/dataflow/Dma.h"

namespace tasdsim::hw {

StoreUnit::StoreUnit(sc_core::sc_module_name name, const AcceleratorParams& params, StatsRegistry& stats)
    : sc_module(name),
      ctrl_port("ctrl_port"),
      dma_socket("dma_socket"),
      params_(params),
      busyCycles_(stats.add(std::string(this->name()) + ".busy_cycles", "cycles", "cycles with a store in flight")),
      requests_(stats.add(std::string(this->name()) + ".requests", "requests", "memory write requests")),
      dramBytes_(stats.add(std::string(this->name()) + ".dram_bytes", "bytes", "bytes of results written")) {
  stalls_.assign(static_cast<size_t>(StallReason::Count), nullptr);
  stalls_[static_cast<size_t>(StallReason::WaitBufferFree)] = &stats.add(
      std::string(this->name()) + ".stall.wait_results", "cycles", "waiting for the accumulator slot to be complete");
  SC_HAS_PROCESS(StoreUnit);
  SC_THREAD(run);
}

void StoreUnit::run() {
  Op& op = op_;
  while (true) {
    if (ctrl_port->next(UnitKind::Store, op, stalls_)) store(op);
    ctrl_port->done(op);
  }
}

bool StoreUnit::store(const Op& op) {
  namespace f = isa::store_c;
  const auto& in = op.instruction.field;
  const LayerState& L = ctrl_port->layer();
  auto fail = [&](ErrorCode code, const std::string& why) {
    ctrl_port->raise(code, op.pc, fmt::format("{}: {}", isa::disassemble(op.instruction), why));
    return false;
  };
  const TileRange rows{static_cast<uint32_t>(in[f::I0]), static_cast<uint32_t>(in[f::ILen])};
  const TileRange cols{static_cast<uint32_t>(in[f::J0]), static_cast<uint32_t>(in[f::JLen])};
  const AccTile& a = ctrl_port->accSlot(static_cast<uint32_t>(in[f::Slot]));
  if (!L.c.configured) return fail(ErrorCode::OperandError, "C operand address not configured");
  if (!a.valid) return fail(ErrorCode::OperandError, "accumulator slot holds no results");
  if (a.rows != rows || a.cols != cols) {
    return fail(ErrorCode::OperandError, fmt::format("accumulator slot holds rows [{}, {}) x cols [{}, {})",
                                                     a.rows.begin, a.rows.end(), a.cols.begin, a.cols.end()));
  }
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  DmaBatch dma(dma_socket);
  const bool functional = params_.functional;
  const bool isInt = L.dtype == tasd::DType::I8;
  const uint64_t rowBytes = uint64_t{cols.length} * L.accBytes();
  for (uint32_t r = 0; r < rows.length; ++r) {
    const uint8_t* src = nullptr;
    if (functional) {
      src = isInt ? reinterpret_cast<const uint8_t*>(a.i.data() + uint64_t{r} * cols.length)
                  : reinterpret_cast<const uint8_t*>(a.f.data() + uint64_t{r} * cols.length);
    }
    const uint64_t addr = L.c.base + (uint64_t{rows.begin} + r) * L.c.rowStride + uint64_t{cols.begin} * L.accBytes();
    if (!dma.write(addr, src, rowBytes)) {
      return fail(ErrorCode::BusError, fmt::format("write at 0x{:x} failed", dma.failedAddress()));
    }
  }
  const uint64_t bytes = rowBytes * rows.length;
  const sc_core::sc_time sram(std::ceil(static_cast<double>(bytes) / params_.buffers.acc.portBytesPerCycle()) *
                                  params_.clockPeriodNs(),
                              sc_core::SC_NS);
  sc_core::wait(std::max(dma.delay(), sram));
  *ctrl_port->buffers().accRead += bytes;
  dramBytes_ += dma.bytes();
  requests_ += dma.requests();
  busyCycles_ += static_cast<uint64_t>(std::llround((sc_core::sc_time_stamp() - start).to_seconds() * params_.clockGHz * 1e9));
  return true;
}

}  // namespace tasdsim::hw
