#include "sw/executor/OnnxWorkload.h"

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/executor/Executor.h"

namespace tasdsim::executor {

std::vector<int64_t> resolveInputShape(const model::Graph& g,
                                       const std::vector<int64_t>& overrides) {
  if (g.inputs.empty()) throw UserError(g.source + ": the graph has no inputs");
  const model::ValueInfo& in = g.inputs.front();
  if (!overrides.empty()) {
    if (overrides.size() != in.dims.size() && !in.dims.empty()) {
      throw UserError(fmt::format("--input-shape {} has {} dimensions, input '{}' has {}",
                                  model::shapeString(overrides), overrides.size(), in.name,
                                  in.dims.size()));
    }
    for (size_t d = 0; d < in.dims.size(); ++d) {
      if (in.dims[d] >= 0 && in.dims[d] != overrides[d]) {
        throw UserError(fmt::format("--input-shape {}: dimension {} of input '{}' is fixed to {}",
                                    model::shapeString(overrides), d, in.name, in.dims[d]));
      }
    }
    return overrides;
  }
  std::vector<int64_t> shape = in.dims;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] >= 0) continue;
    if (d == 0) {
      shape[d] = 1;
    } else {
      throw UserError(
          fmt::format("{}: input '{}' dimension {} ('{}') is dynamic; give --input-shape", g.source,
                      in.name, d, in.dimParams[d]));
    }
  }
  return shape;
}

model::Workload onnxWorkload(std::shared_ptr<const model::Graph> graph,
                             const std::vector<int64_t>& inputShape) {
  const model::Graph& g = *graph;
  Executor ex(graph);
  std::vector<Tensor> inputs;
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    if (k > 0)
      throw UserError(g.source + ": graphs with more than one input are not supported by import");
    const uint64_t count = model::checkedElementCount(inputShape, "--input-shape");
    inputs.push_back(Tensor::floats(inputShape, std::vector<float>(count, 0.0f)));
  }
  ex.run(inputs);
  model::Workload w;
  w.model = g.source;
  w.format = "onnx";
  w.inputShape = inputShape;
  for (const GemmLayer& l : ex.layers()) {
    model::WorkloadLayer out;
    out.index = l.index;
    out.name = l.name;
    out.op = l.opType;
    out.inputShape = l.inputShape;
    out.outputShape = l.outputShape;
    out.groups = l.groups;
    out.m = l.m;
    out.n = l.n;
    out.k = l.k;
    // Convolution M is per image; the batch multiplies the work.
    const uint64_t batch =
        l.conv && !l.inputShape.empty() ? static_cast<uint64_t>(l.inputShape[0]) : 1;
    out.macs = batch * l.macs();
    if (l.constantWeights) {
      out.weightTensor = l.weightName;
      out.weightShape = l.weightShape;
      if (l.opType == "Conv")
        out.weightLayout = "OIHW";
      else if (l.opType == "Gemm") {
        const model::Node* node = nullptr;
        for (const model::Node& n : g.nodes) {
          if (n.name == l.name) node = &n;
        }
        out.weightLayout = node && node->intAttr("transB", 0) ? "NK" : "KN";
      } else {
        out.weightLayout = "KN";
      }
    }
    out.activation = model::onnxFollowingActivation(g, [&] {
      for (const model::Node& n : g.nodes) {
        if (n.name == l.name) return n.outputs.front();
      }
      return std::string();
    }());
    w.layers.push_back(std::move(out));
  }
  return w;
}

}  // namespace tasdsim::executor
