#pragma once
// Host side of the microcode: tiling a GemmJob over the accelerator's buffers and emitting the
// program that runs it (docs/isa.md). This is the only encoder; the accelerator's decoders
// (C++ model, RTL) read what it writes.
//
// Tiling: tiles of S rows x D rows (output columns) x K, as large as the buffer slots allow
// (each buffer has two slots for double buffering). K tiles start on multiples of 8 * max(m)
// so that every term's blocks and metadata bytes stay whole. Loop order: output tiles (i, j),
// then K tiles; successive tiles alternate slots so that loads overlap compute.
// Series dataflow: with the TASD extension one STREAM carries all terms of an S tile (the D
// tile and the accumulators stay in place); without it the series runs term by term as
// separate GEMMs whose partial sums go to memory and come back (LOAD_C).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hw/isa/Isa.h"
#include "hw/model/energy/EnergyModel.h"
#include "hw/model/top/AcceleratorParams.h"
#include "sw/runtime/GemmJob.h"

namespace tasdsim::runtime {

// What the tile chooser minimises over the tilings that fit (experiment.mapper_objective): its
// estimate of the GEMM's cycles, or of energy x cycles (EDP; needs the energy table).
enum class MapperObjective { Cycles, Edp };
class TilingMemo;
struct MapperOptions {
  MapperObjective objective = MapperObjective::Cycles;
  const hw::EnergyTable* energy = nullptr;
  // Tilings already chosen with these options for this accelerator: chooseTiling consults and
  // fills it (null: none).
  TilingMemo* memo = nullptr;
};
MapperObjective parseMapperObjective(const std::string& text);  // "cycles" or "edp"
const char* mapperObjectiveName(MapperObjective o);

struct Tiling {
  uint32_t mt = 0, nt = 0, kt = 0;
  // The chooser's analytical estimate for the whole GEMM under this tiling: cycles (the first
  // load, compute or memory time, whichever is larger, the last store; Microcode.cpp
  // TilingModel) and, with an energy table, the energy of its MACs, buffer reads and DRAM
  // traffic (pJ; 0 without).
  double estimatedCycles = 0;
  double estimatedEnergyPj = 0;
};

// The tiling that fits the buffers and minimises the objective; throws UserError when even the
// smallest tile cannot fit.
Tiling chooseTiling(const hw::AcceleratorParams& params, const GemmJob& job,
                    const MapperOptions& options = {});

// chooseTiling's choices for one accelerator and one set of mapper options, by job. A job's
// tiling depends on its shape, its operands' kinds and conv geometry, its series and its output
// format, never on its name or addresses: a network's repeated layers are tiled once. Not
// thread-safe (one per run).
class TilingMemo {
 public:
  const Tiling* find(const GemmJob& job) const;
  void add(const GemmJob& job, const Tiling& tiling);

 private:
  static std::vector<uint64_t> key(const GemmJob& job);
  std::map<std::vector<uint64_t>, Tiling> chosen_;
};

struct Program {
  std::vector<isa::Instruction> instructions;
  Tiling tiling;                       // the last GEMM's
  double estimatedCycles = 0;          // the sum of its GEMMs' estimates
  std::vector<uint8_t> bytes() const;  // the memory image
};

// Appends the configuration of job (CFG_*) and its tiles; end = true appends END.
void emitGemm(const hw::AcceleratorParams& params, const GemmJob& job, Program& program,
              const MapperOptions& options = {});
void emitEnd(Program& program);

}  // namespace tasdsim::runtime
