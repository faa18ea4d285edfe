#pragma once
// The workload YAML that `tasdsim import` writes for a model file (docs/config.md): the model's
// path (relative to the YAML file), its format and input shape, and its GEMM layers with their
// shapes, weights and following activation, for people and tools to read. `tasdsim run` loads the
// model it names; the layers listed are re-derived from the model, and a file whose total MACs
// no longer match the model is refused (the model changed since the import).
//
//   workload:
//     name: ch_PP-OCRv4_rec_infer
//     model: ch_PP-OCRv4_rec_infer.onnx
//     format: onnx
//     input_shape: [1, 3, 48, 64]
//     total_macs: 140486208
//     layers:
//       - {index: 0, name: p2o.Conv.0, op: Conv, ..., gemm: {groups: 1, m: 768, n: 16, k: 27}, ...}
#include <filesystem>
#include <string>

#include "sw/config/ConfigNode.h"
#include "sw/workload/Workload.h"

namespace tasdsim::workload {

// Whether a workload YAML names a model file (workload.model) rather than describing layers.
bool isImportYaml(const config::Node& root);

Workload importedWorkload(const config::Node& root, const LoadOptions& options);

// The YAML of w (a model file's workload) for a file at `path`, and the same written there
// (atomically); the model path is written relative to the YAML file's folder when both are on
// one tree.
std::string importYamlText(const Workload& w, const std::filesystem::path& path);
void writeImportYaml(const Workload& w, const std::filesystem::path& path);

// The activation that follows value `output` in an ONNX-style graph (a heuristic over the
// consumers: per-channel affine ops such as BatchNormalization or Mul/Add by a constant are
// looked through; x*Sigmoid(x) is swish, x*HardSigmoid(x) and x*Clip(x+3, 0, 6)/6 are
// hardswish). Returns "none" when nothing recognisable follows.
std::string followingActivation(const model::Graph& g, const std::string& output);

}  // namespace tasdsim::workload
