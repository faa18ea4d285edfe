#include "sw/model/TfliteGraph.h"

#include <cstring>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "sw/common/Error.h"

namespace tasdsim::model {
namespace {

constexpr int64_t kGraphOpset = 13;  // Clip min/max and Pad pads as inputs, Softmax on one axis
constexpr int8_t kPaddingSame = 0;
constexpr int8_t kFusedNone = 0, kFusedRelu = 1, kFusedReluN1To1 = 2, kFusedRelu6 = 3,
                 kFusedTanh = 4;

class Converter {
 public:
  explicit Converter(const TfliteModel& m) : m_(m), g_(m.source, "tflite", kGraphOpset) {}

  Graph run() {
    for (int32_t t : m_.inputs) {
      const TfliteTensor& tensor = m_.tensors[static_cast<size_t>(t)];
      if (tensor.type != 0) {
        throw UserError(fmt::format("{}: input '{}' is {}; only float32 inputs are supported",
                                    m_.source, tensor.name, tfliteTypeName(tensor.type)));
      }
      g_.input(valueName(t), tensor.shape);
    }
    for (size_t k = 0; k < m_.operators.size(); ++k)
      convert(k);
    for (int32_t t : m_.outputs)
      g_.output(valueName(t));
    return g_.take();
  }

 private:
  // The graph value of tensor t: its name when that is unique, else its index.
  std::string valueName(int32_t t) {
    auto it = names_.find(t);
    if (it != names_.end()) return it->second;
    std::string name = m_.tensors[static_cast<size_t>(t)].name;
    if (name.empty() || used_.count(name)) name = fmt::format("tensor{}", t);
    used_.insert(name);
    return names_[t] = name;
  }

  // An operator input: a constant (added once) or the value another operator produced.
  std::string in(size_t op, int32_t t) {
    if (t < 0)
      throw UserError(fmt::format("{}: operator {} lacks a required input", m_.source, op));
    if (constants_.count(t)) return valueName(t);
    if (auto value = m_.constantValue(t)) {
      const std::string name = valueName(t);
      g_.constant(name, std::move(*value));
      constants_.insert(t);
      return name;
    }
    return valueName(t);
  }

  // An int32 constant tensor's values (shapes, paddings, sizes).
  std::vector<int64_t> ints(size_t op, int32_t t) const {
    const std::string what =
        fmt::format("{}: operator {} ({})", m_.source, op, tfliteOpName(m_.operators[op].builtin));
    if (t < 0) throw UserError(what + ": missing constant input");
    const TfliteTensor& tensor = m_.tensors[static_cast<size_t>(t)];
    const auto [offset, size] = tensor.buffer < m_.buffers.size() ? m_.buffers[tensor.buffer]
                                                                  : std::pair<size_t, size_t>{0, 0};
    if (tensor.type != 2 || size == 0 || size % 4)
      throw UserError(what + ": expects a constant int32 input");
    std::vector<int64_t> out(size / 4);
    for (size_t k = 0; k < out.size(); ++k) {
      int32_t v;
      std::memcpy(&v, m_.file->data() + offset + 4 * k, 4);
      out[k] = v;
    }
    return out;
  }

  const std::vector<int64_t>& shapeOf(int32_t t) const {
    return m_.tensors[static_cast<size_t>(t)].shape;
  }

  // Where an operator with a fused activation writes before it: `out` itself when there is none.
  static std::string preOf(int8_t fused, const std::string& out, const char* suffix) {
    return fused == kFusedNone ? out : out + suffix;
  }

  // The fused activation applied to `value` (named preOf(...)), written to `out`.
  void activation(int8_t fused, const std::string& value, const std::string& out,
                  const std::string& layer, size_t op) {
    switch (fused) {
      case kFusedNone:
        return;  // the operator wrote `out` itself (preOf)
      case kFusedRelu:
        g_.node("Relu", out + ".relu", {value}, {out}, layer);
        return;
      case kFusedReluN1To1:
      case kFusedRelu6: {
        const float lo = fused == kFusedRelu6 ? 0.0f : -1.0f,
                    hi = fused == kFusedRelu6 ? 6.0f : 1.0f;
        const std::string a = g_.constant(out + ".min", Tensor::floats({}, {lo}));
        const std::string b = g_.constant(out + ".max", Tensor::floats({}, {hi}));
        g_.node("Clip", out + ".clip", {value, a, b}, {out}, layer);
        return;
      }
      case kFusedTanh:
        g_.node("Tanh", out + ".tanh", {value}, {out}, layer);
        return;
      default:
        throw UserError(fmt::format("{}: operator {}: fused activation {} is not supported",
                                    m_.source, op, static_cast<int>(fused)));
    }
  }

  // Explicit pads {top, left, bottom, right} of a SAME or VALID window over an NHWC input.
  std::vector<int64_t> pads(const TfliteOperator& o, int32_t input, int64_t kh, int64_t kw) const {
    if (o.padding != kPaddingSame) return {0, 0, 0, 0};
    const std::vector<int64_t>& s = shapeOf(input);
    auto total = [](int64_t in, int64_t k, int64_t stride, int64_t dilation) {
      const int64_t out = (in + stride - 1) / stride;
      return std::max<int64_t>(0, (out - 1) * stride + (k - 1) * dilation + 1 - in);
    };
    const int64_t th = total(s[1], kh, o.strideH, o.dilationH),
                  tw = total(s[2], kw, o.strideW, o.dilationW);
    return {th / 2, tw / 2, th - th / 2, tw - tw / 2};
  }

  void convert(size_t k) {
    const TfliteOperator& o = m_.operators[k];
    const std::string what =
        fmt::format("{}: operator {} ({})", m_.source, k, tfliteOpName(o.builtin));
    if (o.outputs.empty() || o.outputs[0] < 0) throw UserError(what + ": has no output");
    const int32_t outT = o.outputs[0];
    // Weights decoded through DEQUANTIZE / DENSIFY are constants already
    // (TfliteModel::constantValue).
    if ((o.builtin == tflite_op::kDequantize || o.builtin == tflite_op::kDensify)) {
      if (!o.inputs.empty() && m_.constantValue(outT)) return;
      throw UserError(what + ": only constant (weight) inputs are supported");
    }
    const std::string out = valueName(outT);
    const std::string layer = out;
    auto input = [&](size_t i) {
      if (i >= o.inputs.size()) throw UserError(fmt::format("{}: input {} is missing", what, i));
      return in(k, o.inputs[i]);
    };
    switch (o.builtin) {
      case tflite_op::kConv2d:
      case tflite_op::kDepthwiseConv2d: {
        const int32_t x = o.inputs.at(0);
        const std::vector<int64_t>& xs = shapeOf(x);
        const std::vector<int64_t>& ws = shapeOf(o.inputs.at(1));
        if (xs.size() != 4 || ws.size() != 4)
          throw UserError(what + ": expects 4-D NHWC input and weights");
        std::string w = input(1);
        int64_t group = 1;
        if (o.builtin == tflite_op::kDepthwiseConv2d) {
          // [1, kh, kw, C*mult] -> OHWI [C*mult, kh, kw, 1], one group per input channel.
          const Tensor& stored = *g_.graph().constants.at(w);
          const int64_t kh = ws[1], kw = ws[2], cm = ws[3];
          std::vector<float> ohwi(static_cast<size_t>(cm * kh * kw));
          for (int64_t c = 0; c < cm; ++c)
            for (int64_t t = 0; t < kh * kw; ++t)
              ohwi[static_cast<size_t>(c * kh * kw + t)] =
                  stored.f[static_cast<size_t>(t * cm + c)];
          w = g_.constant(w + ".ohwi", Tensor::floats({cm, kh, kw, 1}, std::move(ohwi)));
          group = xs[3];
        } else {
          group = ws[3] > 0 && xs[3] % ws[3] == 0 ? xs[3] / ws[3] : 1;
        }
        const int64_t kh = ws[1], kw = ws[2];
        std::vector<std::string> inputs{in(k, x), w};
        if (o.inputs.size() > 2 && o.inputs[2] >= 0) inputs.push_back(input(2));
        Node& n = g_.node("Conv", out, inputs, {preOf(o.fusedActivation, out, ".conv")}, layer);
        n.attributes = {GraphBuilder::stringAttr("data_layout", "NHWC"),
                        GraphBuilder::intAttr("group", group),
                        GraphBuilder::intsAttr("kernel_shape", {kh, kw}),
                        GraphBuilder::intsAttr("strides", {o.strideH, o.strideW}),
                        GraphBuilder::intsAttr("dilations", {o.dilationH, o.dilationW}),
                        GraphBuilder::intsAttr("pads", pads(o, x, kh, kw))};
        activation(o.fusedActivation, preOf(o.fusedActivation, out, ".conv"), out, layer, k);
        return;
      }
      case tflite_op::kFullyConnected: {
        const std::vector<int64_t>& ws = shapeOf(o.inputs.at(1));
        if (ws.size() != 2) throw UserError(what + ": expects 2-D [out, in] weights");
        const std::string rows = g_.constant(out + ".rows_shape", Tensor::ints({2}, {-1, ws[1]}));
        g_.node("Reshape", out + ".rows", {input(0), rows}, {out + ".rows"}, layer);
        std::vector<std::string> inputs{out + ".rows", input(1)};
        if (o.inputs.size() > 2 && o.inputs[2] >= 0) inputs.push_back(input(2));
        g_.node("Gemm", out, inputs, {out + ".fc"}, layer)
            .attributes.push_back(GraphBuilder::intAttr("transB", 1));
        std::vector<int64_t> dims = shapeOf(outT);
        const std::string shape = g_.constant(
            out + ".out_shape", Tensor::ints({static_cast<int64_t>(dims.size())}, dims));
        g_.node("Reshape", out + ".reshape", {out + ".fc", shape},
                {preOf(o.fusedActivation, out, ".fc4")}, layer);
        activation(o.fusedActivation, preOf(o.fusedActivation, out, ".fc4"), out, layer, k);
        return;
      }
      case tflite_op::kMaxPool2d:
      case tflite_op::kAveragePool2d: {
        Node& n = g_.node(o.builtin == tflite_op::kMaxPool2d ? "MaxPool" : "AveragePool", out,
                          {input(0)}, {preOf(o.fusedActivation, out, ".pool")}, layer);
        n.attributes = {
            GraphBuilder::stringAttr("data_layout", "NHWC"),
            GraphBuilder::intsAttr("kernel_shape", {o.filterH, o.filterW}),
            GraphBuilder::intsAttr("strides", {o.strideH, o.strideW}),
            GraphBuilder::intsAttr("pads", pads(o, o.inputs.at(0), o.filterH, o.filterW))};
        activation(o.fusedActivation, preOf(o.fusedActivation, out, ".pool"), out, layer, k);
        return;
      }
      case tflite_op::kAdd:
      case tflite_op::kMul:
        g_.node(o.builtin == tflite_op::kAdd ? "Add" : "Mul", out, {input(0), input(1)},
                {preOf(o.fusedActivation, out, ".op")}, layer);
        activation(o.fusedActivation, preOf(o.fusedActivation, out, ".op"), out, layer, k);
        return;
      case tflite_op::kConcatenation: {
        std::vector<std::string> inputs;
        for (size_t i = 0; i < o.inputs.size(); ++i)
          inputs.push_back(input(i));
        g_.node("Concat", out, inputs, {preOf(o.fusedActivation, out, ".cat")}, layer)
            .attributes.push_back(GraphBuilder::intAttr("axis", o.axis));
        activation(o.fusedActivation, preOf(o.fusedActivation, out, ".cat"), out, layer, k);
        return;
      }
      case tflite_op::kReshape: {
        std::vector<int64_t> dims = shapeOf(outT);
        if (dims.empty()) {
          if (o.inputs.size() > 1 && o.inputs[1] >= 0) {
            dims = ints(k, o.inputs[1]);
          } else {
            dims.assign(o.newShape.begin(), o.newShape.end());
          }
        }
        const std::string shape =
            g_.constant(out + ".shape", Tensor::ints({static_cast<int64_t>(dims.size())}, dims));
        g_.node("Reshape", out, {input(0), shape}, {out}, layer);
        return;
      }
      case tflite_op::kPad: {
        const std::vector<int64_t> p =
            ints(k, o.inputs.at(1));  // [rank, 2]: (before, after) per axis
        std::vector<int64_t> onnx(p.size());
        const size_t rank = p.size() / 2;
        for (size_t d = 0; d < rank; ++d) {
          onnx[d] = p[2 * d];
          onnx[rank + d] = p[2 * d + 1];
        }
        const std::string pads =
            g_.constant(out + ".pads", Tensor::ints({static_cast<int64_t>(onnx.size())}, onnx));
        g_.node("Pad", out, {input(0), pads}, {out}, layer);
        return;
      }
      case tflite_op::kResizeBilinear: {
        const std::vector<int64_t> size = ints(k, o.inputs.at(1));
        const std::vector<int64_t>& xs = shapeOf(o.inputs.at(0));
        if (size.size() != 2 || xs.size() != 4)
          throw UserError(what + ": expects an NHWC input and a size [h, w]");
        const std::string sizes =
            g_.constant(out + ".sizes", Tensor::ints({4}, {xs[0], size[0], size[1], xs[3]}));
        Node& n = g_.node("Resize", out, {input(0), "", "", sizes}, {out}, layer);
        n.attributes = {GraphBuilder::stringAttr("mode", "linear"),
                        GraphBuilder::stringAttr("data_layout", "NHWC"),
                        GraphBuilder::stringAttr("coordinate_transformation_mode",
                                                 o.alignCorners       ? "align_corners"
                                                 : o.halfPixelCenters ? "half_pixel"
                                                                      : "asymmetric")};
        return;
      }
      case tflite_op::kDepthToSpace: {
        Node& n = g_.node("DepthToSpace", out, {input(0)}, {out}, layer);
        n.attributes = {GraphBuilder::intAttr("blocksize", o.blockSize),
                        GraphBuilder::stringAttr("mode", "DCR"),
                        GraphBuilder::stringAttr("data_layout", "NHWC")};
        return;
      }
      case tflite_op::kRelu:
        g_.node("Relu", out, {input(0)}, {out}, layer);
        return;
      case tflite_op::kRelu6:
        activation(kFusedRelu6, input(0), out, layer, k);
        return;
      case tflite_op::kLogistic:
        g_.node("Sigmoid", out, {input(0)}, {out}, layer);
        return;
      case tflite_op::kTanh:
        g_.node("Tanh", out, {input(0)}, {out}, layer);
        return;
      case tflite_op::kSoftmax: {
        if (o.beta != 1.0f) throw UserError(what + ": softmax beta other than 1 is not supported");
        g_.node("Softmax", out, {input(0)}, {out}, layer)
            .attributes.push_back(GraphBuilder::intAttr("axis", -1));
        return;
      }
      default:
        throw UserError(fmt::format("{}: unsupported operator {} ({})", what,
                                    tfliteOpName(o.builtin), o.builtin));
    }
  }

  const TfliteModel& m_;
  GraphBuilder g_;
  std::map<int32_t, std::string> names_;
  std::set<std::string> used_;
  std::set<int32_t> constants_;
};

}  // namespace

Graph tfliteGraph(const TfliteModel& m) {
  return Converter(m).run();
}

Graph tfliteGraph(const std::vector<uint8_t>& bytes, const std::string& source) {
  const TfliteModel m = parseTflite(std::make_shared<const std::vector<uint8_t>>(bytes), source);
  return tfliteGraph(m);
}

}  // namespace tasdsim::model
