#pragma once
// Spreading a layer over several accelerator instances (arch.instances, arch.distribute). The
// operands are placed once in the shared device memory; each instance gets jobs over a disjoint
// slice of the results, i.e. the same GemmJob with a smaller m or n and its addresses offset
// into the whole job's operands, results and output table. Nothing is copied.
//
//   batch     the rows of the activation operand: a convolution's images (whole images only;
//             a batch of one stays on one instance), a matrix's rows (tokens, samples)
//   channels  the layer's output channels; a grouped layer with at least as many groups as
//             instances hands out whole groups instead
//
// Where those slices are: with S = the weights (the device computes C^T) the channels are the
// rows of S and the activation rows the rows of D; with S = the activations the other way round.
// Slices are contiguous and as equal as the granularity allows (the first ones get the extra).
#include <cstdint>
#include <vector>

#include "hw/model/top/AcceleratorParams.h"
#include "sw/runtime/GemmJob.h"

namespace tasdsim::runtime {

// Rows [first, first + count) of S as a job of their own.
GemmJob sliceRowsOfS(const GemmJob& job, uint32_t first, uint32_t count);
// Rows [first, first + count) of D (result columns) as a job of their own.
GemmJob sliceRowsOfD(const GemmJob& job, uint32_t first, uint32_t count);
// Images [first, first + count) of a convolution operand (S or D) as a job of their own.
GemmJob sliceImages(const GemmJob& job, bool ofS, uint32_t first, uint32_t count);

// `total` items in at most `parts` contiguous, near-equal, non-empty shares: (first, count).
std::vector<std::pair<uint32_t, uint32_t>> shares(uint32_t total, uint32_t parts);

// The jobs of one group for each instance (an empty list: nothing for that instance).
// sIsWeights: S holds the layer's weights (output channels = rows of S).
std::vector<std::vector<GemmJob>> distributeJob(const GemmJob& job, bool sIsWeights,
                                                hw::Distribution mode, uint32_t instances);

}  // namespace tasdsim::runtime
