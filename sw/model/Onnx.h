#pragma once
// ONNX import with a wire-format protobuf reader (no libprotobuf). Reads ModelProto: opset,
// producer, and the main graph's nodes (attributes included), initializers, inputs and
// outputs. Constant nodes stay in the node list (the executor runs them once); their `value`
// tensor (or value_float(s)/value_int(s)) is also entered in Graph::constants so that a
// weight is found the same way whether it came from an initializer or a Constant node.
// Subgraph attributes (If/Loop bodies) are kept as attributes of type graph without content;
// nodes of other domains are kept and fail only when executed.
//
// Errors (truncated or malformed bytes, unsupported data type, external data, a tensor whose
// data does not match its shape, more than kMaxTensorElements elements) are UserErrors naming
// the file and the problem. Allocation is bounded by the file size.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sw/model/Graph.h"

namespace tasdsim::model {

Graph parseOnnx(const std::vector<uint8_t>& bytes, const std::string& source);
Graph loadOnnx(const std::filesystem::path& path);

}  // namespace tasdsim::model
