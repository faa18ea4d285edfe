#include "hw/model/tasd_unit/TasdUnits.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "sw/tasd/Decompose.h"

namespace tasdsim::hw {

uint64_t tasdTileCycles(const AcceleratorParams& params, const LayerState& L, uint64_t elements, uint32_t rows,
                        uint32_t ks, bool pixelBlocks, uint64_t* blocksOut, uint64_t* comparesOut) {
  std::set<uint32_t> blockSizes;
  for (uint32_t t = 0; t < L.terms; ++t) blockSizes.insert(L.term[t].pattern.m);
  uint64_t cycles = 0, blocks = 0, compares = 0;
  const uint64_t units = params.tasd.count ? params.tasd.count : 1;
  for (uint32_t m : blockSizes) {
    const uint64_t b = pixelBlocks ? (elements + m - 1) / m : uint64_t{rows} * ((uint64_t{ks} + m - 1) / m);
    blocks += b;
    compares += b * m;
    cycles += (b + units - 1) / units * m * params.tasd.cyclesPerElement;
  }
  if (blocksOut) *blocksOut = blocks;
  if (comparesOut) *comparesOut = compares;
  return cycles;
}

TasdUnits::TasdUnits(sc_core::sc_module_name name, const AcceleratorParams& params, StatsRegistry& stats)
    : sc_module(name),
      ctrl_port("ctrl_port"),
      params_(params),
      busyCycles_(stats.add(std::string(this->name()) + ".busy_cycles", "cycles", "cycles decomposing tiles")),
      tiles_(stats.add(std::string(this->name()) + ".tiles", "tiles", "activation tiles decomposed")),
      blocks_(stats.add(std::string(this->name()) + ".blocks", "blocks", "m-blocks processed")),
      compares_(stats.add(std::string(this->name()) + ".compare_ops", "compares", "element comparisons")),
      thresholded_(stats.add(std::string(this->name()) + ".thresholded", "elements",
                             "nonzeros zeroed by the pseudo-density threshold")) {
  stalls_.assign(static_cast<size_t>(StallReason::Count), nullptr);
  stalls_[static_cast<size_t>(StallReason::WaitOperands)] = &stats.add(
      std::string(this->name()) + ".stall.wait_operands", "cycles", "waiting for the dense activation tile");
  SC_HAS_PROCESS(TasdUnits);
  SC_THREAD(run);
}

void TasdUnits::run() {
  Op op;
  while (true) {
    if (ctrl_port->next(UnitKind::Tasd, op, stalls_)) decompose(op);
    ctrl_port->done(op);
  }
}

bool TasdUnits::decompose(const Op& op) {
  const LayerState& L = ctrl_port->layer();
  STile& s = ctrl_port->sSlot(static_cast<uint32_t>(op.instruction.field[isa::tasd_op::Slot]));
  if (!s.denseLoaded) {
    ctrl_port->raise(ErrorCode::OperandError, op.pc,
                     fmt::format("{}: no dense activation tile in the slot", isa::disassemble(op.instruction)));
    return false;
  }
  for (uint32_t t = 0; t < L.terms; ++t) {
    if (!L.term[t].configured) {
      ctrl_port->raise(ErrorCode::OperandError, op.pc, fmt::format("TASD: term {} not configured", t));
      return false;
    }
  }
  const uint32_t rows = s.rows.length, ks = s.ks.length;
  uint64_t blocks = 0, compares = 0;
  const uint64_t cycles = tasdTileCycles(params_, L, s.sourceElements, rows, ks, s.pixelBlocks, &blocks, &compares);
  if (params_.functional) {
    tasd::Series series;
    for (uint32_t t = 0; t < L.terms; ++t) series.terms.push_back(L.term[t].pattern);
    s.terms.resize(L.terms);
    if (L.dtype == tasd::DType::I8) {
      tasd::MatrixI8 tile(rows, ks, s.denseI8);
      if (L.tau >= 0.0f) {
        for (int8_t& v : tile.values()) {
          if (v != 0 && std::abs(static_cast<float>(v)) <= L.tau) {
            v = 0;
            ++thresholded_;
          }
        }
      }
      auto d = tasd::decompose(tile, series);
      for (uint32_t t = 0; t < L.terms; ++t) s.terms[t] = std::move(d.terms[t]);
    } else {
      tasd::MatrixF tile(rows, ks, s.denseF);
      if (L.tau >= 0.0f) {
        for (float& v : tile.values()) {
          if (v != 0.0f && std::fabs(v) <= L.tau) {
            v = 0.0f;
            ++thresholded_;
          }
        }
      }
      auto d = tasd::decompose(tile, series, L.dtype);
      for (uint32_t t = 0; t < L.terms; ++t) s.terms[t] = std::move(d.terms[t]);
    }
  }
  uint64_t termBytes = 0;
  for (uint32_t t = 0; t < L.terms; ++t) {
    const tasd::NMPattern p = L.term[t].pattern;
    const uint64_t slots = (uint64_t{ks} + p.m - 1) / p.m * p.n;
    termBytes += uint64_t{rows} * (slots * L.elementBytes() + (slots * p.indexBits() + 7) / 8);
    s.termLoaded[t] = true;
  }
  sc_core::wait(sc_core::sc_time(static_cast<double>(cycles) * params_.clockPeriodNs(), sc_core::SC_NS));
  *ctrl_port->buffers().sRead += uint64_t{rows} * ks * L.elementBytes();
  *ctrl_port->buffers().sWrite += termBytes;
  busyCycles_ += cycles;
  ++tiles_;
  blocks_ += blocks;
  compares_ += compares;
  return true;
}

}  // namespace tasdsim::hw
