#pragma once
// Where the elements of a dense operand tile live in memory, and how the tile is assembled from
// what was read. A K tile is a list of runs of K (LayerState::kSegments): a matrix operand is
// read as one run per row and K run. A conv input is read through implicit im2col: per image,
// the bounding box of the input pixels the tile's output positions touch at every kernel
// position, for the tile's channel range, each input element once; the im2col rows (in the
// tile's K order) are then formed from that box in the buffer.
// Plain C++ (no SystemC): the load unit and the tests share it.
#include <cstdint>
#include <string>
#include <vector>

#include "hw/model/dataflow/LayerState.h"

namespace tasdsim::hw {

// Plans the reads of the tile `rows` x (K tile k0/klen of layer L) of operand `op`
// (elementBytes each). Returns an empty string, or what is wrong (tile outside the operand).
std::string planDenseTile(const OperandConfig& op, const LayerState& L, TileRange rows, uint32_t k0,
                          uint32_t klen, uint32_t elementBytes, GatherPlan& plan);
// Fills tile (rows.length x L.kElements(klen) elements) from the staging buffer: row-major, or
// K-major (element (r, kk) at kk * rows.length + r: the layout the PE array streams).
enum class TileOrder { RowMajor, KMajor };
void assembleDenseTile(const OperandConfig& op, const LayerState& L, TileRange rows, uint32_t k0,
                       uint32_t klen, uint32_t elementBytes, const GatherPlan& plan,
                       const uint8_t* staging, uint8_t* tile,
                       TileOrder order = TileOrder::RowMajor);

// Number of rows of the operand (output positions for a conv input).
uint64_t operandRows(const OperandConfig& op, uint64_t matrixRows);

}  // namespace tasdsim::hw
