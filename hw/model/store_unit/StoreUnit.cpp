#include "hw/model/store_unit/StoreUnit.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "hw/model/dataflow/DataflowStats.h"
#include "hw/model/dataflow/Dma.h"
#include "hw/model/store_unit/StoreUnitStats.h"

namespace tasdsim::hw {

StoreUnit::StoreUnit(sc_core::sc_module_name name, const BlockContext& context,
                     StatsRegistry& stats)
    : sc_module(name),
      ctrl_port("ctrl_port"),
      dma_socket("dma_socket"),
      context_(context),
      busyCycles_(addStat(stats, this->name(), StoreUnitStats::kBusyCycles)),
      requests_(addStat(stats, this->name(), StoreUnitStats::kRequests)),
      dramBytes_(addStat(stats, this->name(), StoreUnitStats::kDramBytes)),
      requantOps_(addStat(stats, this->name(), StoreUnitStats::kRequantOps)),
      tableBytes_(addStat(stats, this->name(), StoreUnitStats::kTableBytes)) {
  stalls_.assign(static_cast<size_t>(StallReason::Count), nullptr);
  // A STORE_C waits for the PE array's writes of its accumulator slot (the controller names
  // that reason WaitAccumulator).
  stalls_[static_cast<size_t>(StallReason::WaitAccumulator)] =
      &addStat(stats, this->name(), StoreUnitStats::kStallWaitResults);
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

int8_t Requant::apply(int32_t acc, bool relu) const {
  // Exact: (acc + bias) * multiplier needs up to 64 bits with sign; shifts up to 62.
  const __int128 p = static_cast<__int128>(static_cast<int64_t>(acc) + bias) * multiplier;
  const int s = 31 + shift;
  __int128 q = p;
  if (s > 0) {
    const __int128 half = static_cast<__int128>(1) << (s - 1);
    q = (p >= 0 ? p + half : p - half) / (static_cast<__int128>(1) << s);  // halves away from zero
  } else if (s < 0) {
    q = p * (static_cast<__int128>(1) << -s);
  }
  if (relu && q < 0) q = 0;
  return static_cast<int8_t>(q < -128 ? -128 : q > 127 ? 127 : q);
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
  const bool partial = in[f::Partial] != 0;
  const AccTile& a = ctrl_port->buffer().acc.slot(static_cast<uint32_t>(in[f::Slot]));
  // Partial sums go to P as accumulators; results go to C through the output path.
  const OperandConfig& dst = partial ? L.p : L.c;
  if (!dst.configured)
    return fail(ErrorCode::OperandError,
                partial ? "P operand address not configured" : "C operand address not configured");
  if (!a.valid) return fail(ErrorCode::OperandError, "accumulator slot holds no results");
  if (a.rows != rows || a.cols != cols) {
    return fail(ErrorCode::OperandError,
                fmt::format("accumulator slot holds rows [{}, {}) x cols [{}, {})", a.rows.begin,
                            a.rows.end(), a.cols.begin, a.cols.end()));
  }
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  DmaBatch dma(dma_socket);
  const bool functional = context_.functional;
  const bool isInt = L.dtype == tasd::DType::I8;
  const bool requant = !partial && L.out.mode == isa::OutputMode::RequantInt8;
  const uint32_t elementBytes = partial ? L.accBytes() : L.resultBytes();
  // The requantisation table entries of the tile's channels, read before the results leave.
  std::vector<Requant> channels;
  if (requant) {
    const TileRange ch = L.out.perRow ? rows : cols;
    const uint32_t entry = L.out.entryBytes();
    std::vector<uint8_t> table(functional ? uint64_t{ch.length} * entry : 0);
    if (!dma.read(L.out.tableAddr + uint64_t{ch.begin} * entry, functional ? table.data() : nullptr,
                  uint64_t{ch.length} * entry)) {
      return fail(ErrorCode::BusError,
                  fmt::format("table read at 0x{:x} failed", dma.failedAddress()));
    }
    if (functional) {
      channels.resize(ch.length);
      for (uint32_t c = 0; c < ch.length; ++c) {
        const uint8_t* e = table.data() + uint64_t{c} * entry;
        std::memcpy(&channels[c].multiplier, e, 4);
        std::memcpy(&channels[c].shift, e + 4, 4);
        if (L.out.bias) std::memcpy(&channels[c].bias, e + 8, 4);
        if (channels[c].shift < -31 || channels[c].shift > 31) {
          return fail(ErrorCode::OperandError, fmt::format("channel {}: shift {} outside [-31, 31]",
                                                           ch.begin + c, channels[c].shift));
        }
      }
    }
    tableBytes_ += uint64_t{ch.length} * entry;
    requantOps_ += uint64_t{rows.length} * cols.length;
  }
  const uint64_t rowBytes = uint64_t{cols.length} * elementBytes;
  std::vector<int8_t> bytes8(requant && functional ? cols.length : 0);
  for (uint32_t r = 0; r < rows.length; ++r) {
    const uint8_t* src = nullptr;
    if (functional && requant) {
      const int32_t* acc = a.i.data() + uint64_t{r} * cols.length;
      for (uint32_t c = 0; c < cols.length; ++c)
        bytes8[c] = channels[L.out.perRow ? r : c].apply(acc[c], L.out.relu);
      src = reinterpret_cast<const uint8_t*>(bytes8.data());
    } else if (functional) {
      src = isInt ? reinterpret_cast<const uint8_t*>(a.i.data() + uint64_t{r} * cols.length)
                  : reinterpret_cast<const uint8_t*>(a.f.data() + uint64_t{r} * cols.length);
    }
    const uint64_t addr =
        dst.base + (uint64_t{rows.begin} + r) * dst.rowStride + uint64_t{cols.begin} * elementBytes;
    if (!dma.write(addr, src, rowBytes)) {
      return fail(ErrorCode::BusError, fmt::format("write at 0x{:x} failed", dma.failedAddress()));
    }
  }
  // The accumulator buffer is read at its port width; the output path keeps up with it.
  const uint64_t accBytes = uint64_t{rows.length} * cols.length * L.accBytes();
  const sc_core::sc_time sram = context_.cycles(std::ceil(
      static_cast<double>(accBytes) / ctrl_port->buffer().acc.params().portBytesPerCycle()));
  sc_core::wait(std::max(dma.delay(), sram));
  ctrl_port->buffer().acc.countRead(accBytes);
  dramBytes_ += dma.bytes();
  requests_ += dma.requests();
  busyCycles_ += context_.cyclesSince(start);
  return true;
}

}  // namespace tasdsim::hw
