// The reference executor: operators against hand-computed values, and the GEMM hook contract
// (operands as tasd::im2col / lowerConvWeights, weight caching, the hook computing C itself).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "sw/common/Error.h"
#include "sw/executor/DigitAccuracy.h"
#include "sw/executor/Executor.h"
#include "sw/executor/Ops.h"
#include "sw/executor/TasdHook.h"
#include "sw/tasd/Decompose.h"
#include "sw/tasd/Lowering.h"

namespace tasdsim::executor {
namespace {

using model::Attribute;
using model::AttrType;
using model::Node;

Attribute ints(const std::string& name, std::vector<int64_t> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::Ints;
  a.ints = std::move(v);
  return a;
}
Attribute intAttr(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::Int;
  a.i = v;
  return a;
}
Attribute stringAttr(const std::string& name, const std::string& v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::String;
  a.s = v;
  return a;
}
Attribute floatAttr(const std::string& name, float v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::Float;
  a.f = v;
  return a;
}

Node node(const std::string& op, std::vector<Attribute> attrs = {}) {
  Node n;
  n.name = "n_" + op;
  n.opType = op;
  n.attributes = std::move(attrs);
  n.outputs = {"y"};
  return n;
}

Tensor run1(const Node& n, int64_t opset, std::vector<Tensor> in) {
  std::vector<const Tensor*> p;
  for (const Tensor& t : in)
    p.push_back(&t);
  return runOperator(n, opset, p);
}

TEST(Ops, AddBroadcastsLikeNumPy) {
  const Tensor y =
      run1(node("Add"), 13, {Tensor::floats({2, 1}, {10, 20}), Tensor::floats({3}, {1, 2, 3})});
  EXPECT_EQ(y.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(y.f, (std::vector<float>{11, 12, 13, 21, 22, 23}));
  EXPECT_THROW(run1(node("Add"), 13, {Tensor::floats({2}, {1, 2}), Tensor::floats({3}, {1, 2, 3})}),
               UserError);
}

TEST(Ops, BroadcastOutputSizeIsBounded) {
  const int64_t side = int64_t{1} << 15;  // 2^15 x 2^15 = 2^30 elements: above the limit
  EXPECT_THROW(run1(node("Add"), 13,
                    {Tensor::floats({side, 1}, std::vector<float>(side, 1.0f)),
                     Tensor::floats({1, side}, std::vector<float>(side, 1.0f))}),
               UserError);
}

TEST(Ops, DivAndPowAndSqrt) {
  const Tensor d = run1(node("Div"), 13, {Tensor::floats({2}, {1, 9}), Tensor::floats({}, {2})});
  EXPECT_EQ(d.f, (std::vector<float>{0.5f, 4.5f}));
  const Tensor p = run1(node("Pow"), 13, {Tensor::floats({2}, {-3, 2}), Tensor::floats({}, {2})});
  EXPECT_EQ(p.f, (std::vector<float>{9, 4}));
  const Tensor c = run1(node("Pow"), 13, {Tensor::floats({1}, {2}), Tensor::floats({}, {3})});
  EXPECT_FLOAT_EQ(c.f[0], 8);
  EXPECT_FLOAT_EQ(run1(node("Sqrt"), 13, {Tensor::floats({1}, {16})}).f[0], 4);
}

TEST(Ops, ClipAttributesBeforeOpset11InputsAfter) {
  const Tensor x = Tensor::floats({3}, {-5, 1, 9});
  EXPECT_EQ(run1(node("Clip", {floatAttr("min", 0), floatAttr("max", 6)}), 9, {x}).f,
            (std::vector<float>{0, 1, 6}));
  EXPECT_EQ(run1(node("Clip"), 13, {x, Tensor::floats({}, {-1}), Tensor::floats({}, {2})}).f,
            (std::vector<float>{-1, 1, 2}));
}

TEST(Ops, HardSigmoidSigmoidRelu) {
  const Tensor x = Tensor::floats({3}, {-10, 0, 1});
  EXPECT_EQ(run1(node("HardSigmoid", {floatAttr("alpha", 0.25f)}), 13, {x}).f,
            (std::vector<float>{0, 0.5f, 0.75f}));
  const Tensor s = run1(node("Sigmoid"), 13, {x});
  EXPECT_NEAR(s.f[0], 1 / (1 + std::exp(10.0)), 1e-9);
  EXPECT_FLOAT_EQ(s.f[1], 0.5f);
  EXPECT_EQ(run1(node("Relu"), 13, {x}).f, (std::vector<float>{0, 0, 1}));
}

TEST(Ops, CastTruncatesToIntegers) {
  const Tensor y =
      run1(node("Cast", {intAttr("to", 6)}), 13, {Tensor::floats({3}, {-1.7f, 2.9f, 0})});
  EXPECT_FALSE(y.isFloat());
  EXPECT_EQ(y.i, (std::vector<int64_t>{-1, 2, 0}));
  EXPECT_TRUE(run1(node("Cast", {intAttr("to", 1)}), 13, {y}).isFloat());
}

TEST(Ops, ReshapeCopiesZeroAndInfersMinusOne) {
  const Tensor x = Tensor::floats({2, 3, 4}, std::vector<float>(24, 1));
  const Tensor y = run1(node("Reshape"), 13, {x, Tensor::ints({2}, {0, -1})});
  EXPECT_EQ(y.shape, (std::vector<int64_t>{2, 12}));
  EXPECT_THROW(run1(node("Reshape"), 13, {x, Tensor::ints({2}, {5, -1})}), UserError);
}

TEST(Ops, SliceWithNegativeStepAndClamping) {
  const Tensor x = Tensor::floats({5}, {0, 1, 2, 3, 4});
  EXPECT_EQ(run1(node("Slice"), 13,
                 {x, Tensor::ints({1}, {-1}), Tensor::ints({1}, {-100}), Tensor::ints({1}, {0}),
                  Tensor::ints({1}, {-2})})
                .f,
            (std::vector<float>{4, 2, 0}));
  EXPECT_EQ(run1(node("Slice", {ints("starts", {1}), ints("ends", {1000})}), 9, {x}).f,
            (std::vector<float>{1, 2, 3, 4}));
}

TEST(Ops, TransposeAndConcat) {
  const Tensor x = Tensor::floats({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(run1(node("Transpose"), 13, {x}).f, (std::vector<float>{1, 4, 2, 5, 3, 6}));
  Node c = node("Concat", {intAttr("axis", 1)});
  const Tensor y = run1(c, 13, {x, Tensor::floats({2, 1}, {7, 8})});
  EXPECT_EQ(y.f, (std::vector<float>{1, 2, 3, 7, 4, 5, 6, 8}));
}

TEST(Ops, SoftmaxCoercesTo2dBeforeOpset13) {
  // [1, 2, 2]: opset 11 axis 1 normalises over all 4 values; opset 13 axis 1 over pairs.
  const Tensor x = Tensor::floats({1, 2, 2}, {0, 0, 0, 0});
  EXPECT_EQ(run1(node("Softmax", {intAttr("axis", 1)}), 11, {x}).f, (std::vector<float>(4, 0.25f)));
  EXPECT_EQ(run1(node("Softmax", {intAttr("axis", 1)}), 13, {x}).f, (std::vector<float>(4, 0.5f)));
}

TEST(Ops, ReduceMeanAndSqueeze) {
  const Tensor x = Tensor::floats({2, 2}, {1, 2, 3, 5});
  const Tensor m = run1(node("ReduceMean", {ints("axes", {-1})}), 13, {x});
  EXPECT_EQ(m.shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(m.f, (std::vector<float>{1.5f, 4}));
  const Tensor m0 = run1(node("ReduceMean", {ints("axes", {0}), intAttr("keepdims", 0)}), 13, {x});
  EXPECT_EQ(m0.shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(m0.f, (std::vector<float>{2, 3.5f}));
  EXPECT_EQ(run1(node("Squeeze", {ints("axes", {1})}), 11, {m}).shape, (std::vector<int64_t>{2}));
  EXPECT_THROW(run1(node("Squeeze", {ints("axes", {0})}), 11, {m}), UserError);
}

TEST(Ops, AveragePoolCountsPaddingOnlyWhenAsked) {
  // 1x1x2x2 [[1, 2], [3, 4]], kernel 2x2, pads 1 on top/left, stride 2: first window sees only 1.
  const Tensor x = Tensor::floats({1, 1, 2, 2}, {1, 2, 3, 4});
  Node p = node("AveragePool", {ints("kernel_shape", {2, 2}), ints("strides", {2, 2}),
                                ints("pads", {1, 1, 0, 0})});
  EXPECT_EQ(run1(p, 11, {x}).f, (std::vector<float>{1}));
  p.attributes.push_back(intAttr("count_include_pad", 1));
  EXPECT_EQ(run1(p, 11, {x}).f, (std::vector<float>{0.25f}));
  EXPECT_EQ(run1(node("GlobalAveragePool"), 11, {x}).f, (std::vector<float>{2.5f}));
}

TEST(Ops, MaxPoolIgnoresPadding) {
  const Tensor x = Tensor::floats({1, 1, 2, 2}, {-1, -2, -3, -4});
  const Node p = node("MaxPool", {ints("kernel_shape", {2, 2}), ints("pads", {1, 1, 1, 1}),
                                  ints("strides", {2, 2})});
  // Windows: {-1}, {-2}, {-3}, {-4}: padding never wins even though every value is negative.
  EXPECT_EQ(run1(p, 11, {x}).f, (std::vector<float>{-1, -2, -3, -4}));
}

TEST(Ops, BatchNormalization) {
  const Tensor x = Tensor::floats({1, 2, 1, 1}, {3, 3});
  const Tensor y = run1(node("BatchNormalization", {floatAttr("epsilon", 0)}), 11,
                        {x, Tensor::floats({2}, {2, 1}), Tensor::floats({2}, {1, 0}),
                         Tensor::floats({2}, {1, 3}), Tensor::floats({2}, {4, 1})});
  EXPECT_EQ(y.f, (std::vector<float>{3, 0}));  // (3-1)/2*2+1, (3-3)/1*1+0
}

TEST(Ops, GatherTakesIndicesOfAnyRankAlongTheAxis) {
  const Tensor data = Tensor::floats({2, 3}, {0, 1, 2, 10, 11, 12});
  // axis 1, indices 2 x 2 with a negative index: out shape 2 x 2 x 2.
  const Tensor y =
      run1(node("Gather", {intAttr("axis", 1)}), 13, {data, Tensor::ints({2, 2}, {2, 0, -1, 1})});
  EXPECT_EQ(y.shape, (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(y.f, (std::vector<float>{2, 0, 2, 1, 12, 10, 12, 11}));
  // axis 0, a scalar index (torch.onnx.export's shape arithmetic): the row, rank reduced.
  const Tensor s = run1(node("Gather"), 13, {Tensor::ints({3}, {4, 8, 32}), Tensor::ints({}, {1})});
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.i, (std::vector<int64_t>{8}));
  EXPECT_THROW(run1(node("Gather"), 13, {data, Tensor::ints({1}, {2})}), UserError);
}

TEST(Ops, UnsupportedOperatorNamesOperatorAndNode) {
  try {
    run1(node("Einsum"), 13, {Tensor::floats({1}, {0})});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()), "unsupported operator 'Einsum' (node 'n_Einsum')");
  }
}

TEST(Ops, LayerNormalizationAndGelu) {
  const Tensor x = Tensor::floats({2, 2}, {1, 3, -2, 2});
  const Tensor y = run1(node("LayerNormalization", {floatAttr("epsilon", 0)}), 17,
                        {x, Tensor::floats({2}, {2, 1}), Tensor::floats({2}, {0, 10})});
  // Each row normalised to (-1, 1), then scaled by (2, 1) and shifted by (0, 10).
  EXPECT_EQ(y.f, (std::vector<float>{-2, 11, -2, 11}));
  const Tensor g = run1(node("Gelu"), 20, {Tensor::floats({3}, {0, 1, -1})});
  EXPECT_FLOAT_EQ(g.f[0], 0.0f);
  EXPECT_NEAR(g.f[1], 0.841345f, 1e-6);  // x * Phi(x)
  EXPECT_NEAR(g.f[2], -0.158655f, 1e-6);
}

TEST(Ops, PadResizeAndDepthToSpace) {
  // Pad [2 x 2] with one column before and one row after, value 0.
  const Tensor p = run1(node("Pad"), 13,
                        {Tensor::floats({2, 2}, {1, 2, 3, 4}), Tensor::ints({4}, {0, 1, 1, 0})});
  EXPECT_EQ(p.shape, (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(p.f, (std::vector<float>{0, 1, 2, 0, 3, 4, 0, 0, 0}));
  // Bilinear 1x2 -> 1x4 (NHWC, one channel): half_pixel sources -0.25, 0.25, 0.75, 1.25.
  Node r = node("Resize");
  r.attributes = {stringAttr("mode", "linear"), stringAttr("data_layout", "NHWC")};
  const Tensor x = Tensor::floats({1, 1, 2, 1}, {0, 4});
  EXPECT_EQ(run1(r, 13, {x, Tensor(), Tensor(), Tensor::ints({4}, {1, 1, 4, 1})}).f,
            (std::vector<float>{0, 1, 3, 4}));
  r.attributes.push_back(stringAttr("coordinate_transformation_mode", "align_corners"));
  const Tensor ac = run1(r, 13, {x, Tensor(), Tensor(), Tensor::ints({4}, {1, 1, 3, 1})});
  EXPECT_EQ(ac.f, (std::vector<float>{0, 2, 4}));
  // DepthToSpace NHWC, block 2: the 4 channels of one pixel become a 2x2 patch (DCR).
  Node d = node("DepthToSpace", {intAttr("blocksize", 2)});
  d.attributes.push_back(stringAttr("data_layout", "NHWC"));
  const Tensor s = run1(d, 13, {Tensor::floats({1, 1, 1, 4}, {1, 2, 3, 4})});
  EXPECT_EQ(s.shape, (std::vector<int64_t>{1, 2, 2, 1}));
  EXPECT_EQ(s.f, (std::vector<float>{1, 2, 3, 4}));
  // The NCHW form of the same: channels (i*2 + j) go to row i, column j.
  const Tensor s2 = run1(node("DepthToSpace", {intAttr("blocksize", 2)}), 13,
                         {Tensor::floats({1, 4, 1, 1}, {1, 2, 3, 4})});
  EXPECT_EQ(s2.shape, (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(s2.f, (std::vector<float>{1, 2, 3, 4}));
}

// A graph of one Conv (x: 1 x C x H x W, constant weights and bias) or one MatMul.
std::shared_ptr<model::Graph> convGraph(size_t c, size_t h, size_t w, const Tensor& weights,
                                        int64_t group, std::vector<int64_t> pads,
                                        std::vector<int64_t> strides) {
  auto g = std::make_shared<model::Graph>();
  g->source = "conv.onnx";
  g->opset = 13;
  g->inputs.push_back(
      {"x",
       model::DataType::Float,
       {1, static_cast<int64_t>(c), static_cast<int64_t>(h), static_cast<int64_t>(w)},
       {"", "", "", ""}});
  g->outputs.push_back({"y", model::DataType::Float, {}, {}});
  g->constants["w"] = std::make_shared<Tensor>(weights);
  std::vector<float> bias(static_cast<size_t>(weights.shape[0]));
  for (size_t i = 0; i < bias.size(); ++i)
    bias[i] = 0.5f * static_cast<float>(i);
  g->constants["b"] = std::make_shared<Tensor>(Tensor::floats({weights.shape[0]}, bias));
  Node n = node("Conv", {intAttr("group", group), ints("pads", std::move(pads)),
                         ints("strides", std::move(strides))});
  n.name = "conv0";
  n.inputs = {"x", "w", "b"};
  g->nodes.push_back(n);
  return g;
}

Tensor ramp(std::vector<int64_t> shape, float scale) {
  std::vector<float> v(model::shapeElements(shape));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = scale * static_cast<float>((i * 7) % 11) - 1.0f;
  return Tensor::floats(std::move(shape), std::move(v));
}

TEST(Executor, ImplausibleConvAttributesAreUserErrors) {
  auto g = convGraph(1, 3, 3, Tensor::floats({1, 1, 2, 2}, {1, 0, 0, 1}), 1,
                     {0, 0, int64_t{1} << 40, 0}, {1, 1});
  Executor ex(g);
  EXPECT_THROW(ex.run({Tensor::floats({1, 1, 3, 3}, std::vector<float>(9, 1.0f))}), UserError);
  auto g2 = convGraph(1, 3, 3, Tensor::floats({1, 1, 2, 2}, {1, 0, 0, 1}), 1,
                      {0, 0, 1 << 19, 1 << 19}, {1, 1});
  Executor ex2(g2);  // within the attribute bound, but the output would exceed the element bound
  EXPECT_THROW(ex2.run({Tensor::floats({1, 1, 3, 3}, std::vector<float>(9, 1.0f))}), UserError);
}

TEST(Executor, ConvHandComputed) {
  // 1 channel 3x3 [[1,2,3],[4,5,6],[7,8,9]], kernel 2x2 [[1,0],[0,1]], no pad, stride 1, bias 0:
  // [[1+5, 2+6], [4+8, 5+9]].
  auto g = convGraph(1, 3, 3, Tensor::floats({1, 1, 2, 2}, {1, 0, 0, 1}), 1, {0, 0, 0, 0}, {1, 1});
  Executor ex(g);
  const auto y = ex.run({Tensor::floats({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})});
  EXPECT_EQ(y[0].shape, (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(y[0].f, (std::vector<float>{6, 8, 12, 14}));
}

// Records what the hook sees; optionally computes C itself.
struct RecordingHook : GemmHook {
  std::vector<std::vector<float>> a, w;
  size_t prepareCalls = 0;
  bool computeC = false;
  void prepareWeights(const GemmLayer&, size_t, float*, size_t, size_t) override { ++prepareCalls; }
  bool onGemm(const GemmLayer&, size_t, GemmOperands& ops) override {
    a.emplace_back(ops.a, ops.a + ops.m * ops.k);
    w.emplace_back(ops.w, ops.w + ops.n * ops.k);
    if (computeC) std::fill(ops.c, ops.c + ops.m * ops.n, 1.0f);
    return computeC;
  }
};

TEST(Executor, GroupedConvPresentsIm2colAndLoweredWeightsPerGroup) {
  const size_t c = 4, h = 5, w = 6, groups = 2, cout = 6;
  const Tensor weights =
      ramp({static_cast<int64_t>(cout), static_cast<int64_t>(c / groups), 3, 3}, 0.25f);
  auto g = convGraph(c, h, w, weights, groups, {1, 0, 1, 1}, {2, 1});
  const Tensor x =
      ramp({1, static_cast<int64_t>(c), static_cast<int64_t>(h), static_cast<int64_t>(w)}, 0.5f);
  Executor plain(g);
  const Tensor reference = plain.run({x})[0];

  RecordingHook hook;
  Executor ex(g);
  ex.setHook(&hook);
  const Tensor y = ex.run({x})[0];
  EXPECT_EQ(y.f, reference.f);  // observing changes nothing
  ASSERT_EQ(hook.a.size(), groups);
  const GemmLayer& layer = ex.layers().at(0);
  EXPECT_EQ(layer.name, "conv0");
  EXPECT_EQ((std::vector<size_t>{layer.groups, layer.n, layer.k}), (std::vector<size_t>{2, 3, 18}));
  const tasd::MatrixF lowered =
      tasd::lowerConvWeights(weights.f.data(), {cout, c / groups, 3, 3}, tasd::ConvLayout::OIHW);
  for (size_t gi = 0; gi < groups; ++gi) {
    // The group's image as NHWC, through the library's im2col.
    std::vector<float> nhwc(h * w * (c / groups));
    for (size_t ch = 0; ch < c / groups; ++ch) {
      for (size_t p = 0; p < h * w; ++p)
        nhwc[p * (c / groups) + ch] = x.f[(gi * (c / groups) + ch) * h * w + p];
    }
    const tasd::MatrixF a = tasd::im2col(nhwc.data(), *layer.conv);
    EXPECT_EQ(hook.a[gi], a.values()) << gi;
    const std::vector<float> wg(lowered.row(gi * 3), lowered.row(gi * 3) + 3 * 18);
    EXPECT_EQ(hook.w[gi], wg) << gi;
  }
  // Weights are prepared once per group and cached across runs.
  ex.run({x});
  EXPECT_EQ(hook.prepareCalls, groups);
  ex.invalidatePreparedWeights();
  ex.run({x});
  EXPECT_EQ(hook.prepareCalls, 2 * groups);
}

TEST(Executor, HookMayComputeTheProduct) {
  auto g = convGraph(2, 3, 3, ramp({3, 2, 1, 1}, 1.0f), 1, {0, 0, 0, 0}, {1, 1});
  RecordingHook hook;
  hook.computeC = true;
  Executor ex(g);
  ex.setHook(&hook);
  const Tensor y = ex.run({ramp({1, 2, 3, 3}, 1.0f)})[0];
  for (size_t co = 0; co < 3; ++co) {
    for (size_t p = 0; p < 9; ++p)
      EXPECT_FLOAT_EQ(y.f[co * 9 + p], 1.0f + 0.5f * static_cast<float>(co));  // C + bias
  }
}

std::shared_ptr<model::Graph> matmulGraph(const Tensor& w) {
  auto g = std::make_shared<model::Graph>();
  g->source = "mm.onnx";
  g->opset = 13;
  g->inputs.push_back({"x", model::DataType::Float, {-1, w.shape[0]}, {"n", ""}});
  g->inputs.push_back({"q", model::DataType::Float, {}, {}});
  g->outputs.push_back({"y", model::DataType::Float, {}, {}});
  g->outputs.push_back({"z", model::DataType::Float, {}, {}});
  g->constants["w"] = std::make_shared<Tensor>(w);
  Node a = node("MatMul");
  a.name = "proj";
  a.inputs = {"x", "w"};
  Node b = node("MatMul");
  b.name = "attn";
  b.inputs = {"q", "y"};
  b.outputs = {"z"};
  g->nodes = {a, b};
  return g;
}

TEST(Executor, MatMulHookSeesTransposedWeightsAndFlagsActivations) {
  const Tensor w = ramp({4, 3}, 0.5f);  // [K x N]
  auto g = matmulGraph(w);
  RecordingHook hook;
  Executor ex(g);
  ex.setHook(&hook);
  const Tensor x = ramp({2, 4}, 1.0f);
  const Tensor q = ramp({5, 2}, 1.0f);
  const auto out = ex.run({x, q});
  ASSERT_EQ(hook.w.size(), 2u);
  for (size_t n = 0; n < 3; ++n) {
    for (size_t k = 0; k < 4; ++k)
      EXPECT_EQ(hook.w[0][n * 4 + k], w.f[k * 3 + n]);
  }
  EXPECT_TRUE(ex.layers()[0].constantWeights);
  EXPECT_FALSE(ex.layers()[1].constantWeights);
  // y = x * w by hand; z = q * y.
  for (size_t i = 0; i < 2; ++i) {
    for (size_t j = 0; j < 3; ++j) {
      float s = 0;
      for (size_t k = 0; k < 4; ++k)
        s += x.f[i * 4 + k] * w.f[k * 3 + j];
      EXPECT_NEAR(out[0].f[i * 3 + j], s, 1e-5);
    }
  }
  EXPECT_EQ(out[1].shape, (std::vector<int64_t>{5, 3}));
  // The second operand (y, 2 x 3) reaches the hook transposed (3 x 2).
  for (size_t n = 0; n < 3; ++n) {
    for (size_t k = 0; k < 2; ++k)
      EXPECT_EQ(hook.w[1][n * 2 + k], out[0].f[k * 3 + n]);
  }
}

TEST(Executor, TasdHookApproximatesWeightsAndActivations) {
  const Tensor w = ramp({16, 3}, 0.37f);
  auto g = matmulGraph(w);
  const Tensor x = ramp({2, 16}, 0.61f);
  const Tensor q = ramp({1, 2}, 1.0f);
  // Expected: x * approx(W) with W^T (N x K) approximated along K.
  tasd::MatrixF wt(3, 16);
  for (size_t n = 0; n < 3; ++n) {
    for (size_t k = 0; k < 16; ++k)
      wt(n, k) = w.f[k * 3 + n];
  }
  const tasd::Series s = tasd::Series::parse("2:8");
  tasd::approximateInPlace(wt.data(), 3, 16, s);
  std::vector<LayerTasd> settings(2);
  settings[0].weights = s;
  TasdHook hook(settings);
  Executor ex(g);
  ex.setHook(&hook);
  const auto out = ex.run({x, q});
  for (size_t i = 0; i < 2; ++i) {
    for (size_t n = 0; n < 3; ++n) {
      float e = 0;
      for (size_t k = 0; k < 16; ++k)
        e += x.f[i * 16 + k] * wt(n, k);
      EXPECT_NEAR(out[0].f[i * 3 + n], e, 1e-5);
    }
  }
  ASSERT_EQ(hook.weightErrors().count(0), 1u);
  EXPECT_GT(hook.weightErrors().at(0).relFrobeniusError(), 0.1);
  EXPECT_EQ(hook.weightErrors().count(1), 0u);  // activations x activations: not a weight

  // TASD-A with a threshold: every |x| <= tau is zeroed before the series.
  std::vector<LayerTasd> aSettings(2);
  aSettings[0].activations = tasd::Series::parse("4:8");
  aSettings[0].tau = 0.5f;
  TasdHook aHook(aSettings);
  Executor exA(g);
  exA.setHook(&aHook);
  const auto outA = exA.run({x, q});
  std::vector<float> xa = x.f;
  for (float& v : xa)
    if (std::fabs(v) <= 0.5f) v = 0;
  tasd::approximateInPlace(xa.data(), 2, 16, aSettings[0].activations);
  for (size_t i = 0; i < 2; ++i) {
    for (size_t n = 0; n < 3; ++n) {
      float e = 0;
      for (size_t k = 0; k < 16; ++k)
        e += xa[i * 16 + k] * w.f[k * 3 + n];
      EXPECT_NEAR(outA[0].f[i * 3 + n], e, 1e-5);
    }
  }
}

TEST(TasdHook, ShortRowsTogetherEqualRowByRow) {
  for (const char* text : {"2:8", "4:8+1:8", "2:4+1:8", "1:4"}) {
    const tasd::Series s = tasd::Series::parse(text);
    for (size_t k : {3, 9, 25, 40}) {
      const Tensor a = ramp({37, static_cast<int64_t>(k)}, 0.173f);
      std::vector<float> together = a.f, byRow = a.f, scratch;
      approximateRows(together.data(), 37, k, s, scratch);
      for (size_t r = 0; r < 37; ++r)
        tasd::approximateInPlace(byRow.data() + r * k, 1, k, s);
      EXPECT_EQ(together, byRow) << text << " k=" << k;
    }
  }
}

TEST(Executor, BadGraphsAreUserErrors) {
  auto g = matmulGraph(ramp({4, 3}, 1.0f));
  g->nodes[0].inputs = {"x", "missing"};
  EXPECT_THROW(Executor ex(g), UserError);
  auto g2 = matmulGraph(ramp({4, 3}, 1.0f));
  Executor ex(g2);
  EXPECT_THROW(ex.run({ramp({2, 5}, 1.0f), ramp({1, 2}, 1.0f)}),
               UserError);  // x has 5 columns, the model 4
}

TEST(DigitProtocol, CanvasAndScoring) {
  std::vector<float> pixels(784, 0.0f);
  pixels[0] = 1.0f;  // top-left pixel: canvas rows 4-5, columns 12-13 (floor(y * 28 / 40) == 0)
  const Tensor t = ocrDigitInput(pixels);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{1, 3, 48, 64}));
  for (size_t c = 0; c < 3; ++c) {
    for (size_t y = 0; y < 48; ++y) {
      for (size_t x = 0; x < 64; ++x) {
        const bool ink = y >= 4 && y < 6 && x >= 12 && x < 14;
        ASSERT_EQ(t.f[(c * 48 + y) * 64 + x], ink ? -1.0f : 1.0f) << y << "," << x;
      }
    }
  }
  std::array<size_t, kDigitClasses> index{};
  for (size_t d = 0; d < kDigitClasses; ++d)
    index[d] = 1 + d;
  std::vector<float> p(2 * 12, 0.0f);
  p[0 * 12 + 1 + 7] = 0.6f;  // step 0: '7'
  p[1 * 12 + 1 + 3] = 0.7f;  // step 1: '3' (highest max over steps)
  p[1 * 12 + 0] = 0.9f;      // the blank never counts
  EXPECT_EQ(predictDigit(Tensor::floats({1, 2, 12}, p), index), 3);
}

// The same grouped, strided, padded convolution of two images in NCHW (OIHW weights) and in
// NHWC (OHWI weights, data_layout NHWC) gives the same outputs.
std::shared_ptr<model::Graph> layoutConvGraph(bool nhwc, const Tensor& oihw, int64_t group) {
  auto g = convGraph(4, 5, 6, oihw, group, {1, 0, 1, 1}, {2, 1});
  g->inputs.front().dims = {2, 4, 5, 6};
  if (nhwc) {
    const auto& s = oihw.shape;  // O I H W -> O H W I
    std::vector<float> ohwi(oihw.f.size());
    for (int64_t o = 0; o < s[0]; ++o)
      for (int64_t i = 0; i < s[1]; ++i)
        for (int64_t r = 0; r < s[2]; ++r)
          for (int64_t q = 0; q < s[3]; ++q)
            ohwi[static_cast<size_t>(((o * s[2] + r) * s[3] + q) * s[1] + i)] =
                oihw.f[static_cast<size_t>(((o * s[1] + i) * s[2] + r) * s[3] + q)];
    g->constants["w"] = std::make_shared<Tensor>(Tensor::floats({s[0], s[2], s[3], s[1]}, ohwi));
    g->inputs.front().dims = {2, 5, 6, 4};
    g->nodes.front().attributes.push_back(stringAttr("data_layout", "NHWC"));
  }
  return g;
}

Tensor toNhwc(const Tensor& t) {
  const auto& s = t.shape;
  std::vector<float> out(t.f.size());
  for (int64_t b = 0; b < s[0]; ++b)
    for (int64_t c = 0; c < s[1]; ++c)
      for (int64_t p = 0; p < s[2] * s[3]; ++p)
        out[static_cast<size_t>((b * s[2] * s[3] + p) * s[1] + c)] =
            t.f[static_cast<size_t>((b * s[1] + c) * s[2] * s[3] + p)];
  return Tensor::floats({s[0], s[2], s[3], s[1]}, out);
}

TEST(Executor, NhwcConvolutionEqualsNchw) {
  for (int64_t group : {1, 2, 4}) {
    const Tensor w = ramp({4, 4 / group, 3, 3}, 0.25f);
    const Tensor x = ramp({2, 4, 5, 6}, 0.5f);
    Executor nchw(layoutConvGraph(false, w, group)), nhwc(layoutConvGraph(true, w, group));
    const Tensor a = nchw.run({x})[0], b = nhwc.run({toNhwc(x)})[0];
    ASSERT_EQ(b.shape, (std::vector<int64_t>{2, 3, 5, 4})) << group;
    const Tensor expected = toNhwc(a);
    for (size_t i = 0; i < b.f.size(); ++i)
      EXPECT_NEAR(b.f[i], expected.f[i], 1e-5) << group << " " << i;
    EXPECT_EQ(nchw.layers()[0].batch, 2u);
    EXPECT_EQ(nhwc.layers()[0].rowsPerGroup(), 2u * 3 * 5);
  }
}

// A backend that computes every group itself with a naive triple loop (a convolution through
// the library's im2col of its NHWC images), recording what it saw.
struct NaiveBackend : GemmBackend {
  std::vector<size_t> groupsSeen;
  bool runLayer(const GemmLayer& layer, std::vector<GemmOperands>& groups,
                const LayerEpilogue&) override {
    groupsSeen.push_back(groups.size());
    for (GemmOperands& o : groups) {
      std::vector<float> a;
      if (o.image) {
        const tasd::ConvGeometry& geo = *layer.conv;
        const size_t perImage = geo.inH * geo.inW * geo.channels;
        for (size_t b = 0; b < layer.batch; ++b) {
          const auto rows = tasd::im2col(o.image + b * perImage, geo).values();
          a.insert(a.end(), rows.begin(), rows.end());
        }
      } else {
        a.assign(o.a, o.a + o.m * o.k);
      }
      EXPECT_EQ(a.size(), o.m * o.k);
      for (size_t i = 0; i < o.m; ++i)
        for (size_t j = 0; j < o.n; ++j) {
          double s = 0;
          for (size_t q = 0; q < o.k; ++q)
            s += static_cast<double>(a[i * o.k + q]) * o.w[j * o.k + q];
          o.c[i * o.n + j] = static_cast<float>(s);
        }
    }
    return false;  // the executor adds the bias
  }
};

TEST(Executor, BackendComputesWholeLayersLikeTheHost) {
  for (bool nhwc : {false, true}) {
    for (int64_t group : {1, 2}) {
      const Tensor w = ramp({4, 4 / group, 3, 3}, 0.25f);
      Tensor x = ramp({2, 4, 5, 6}, 0.5f);
      if (nhwc) x = toNhwc(x);
      Executor host(layoutConvGraph(nhwc, w, group)), device(layoutConvGraph(nhwc, w, group));
      NaiveBackend backend;
      device.setBackend(&backend);
      const Tensor a = host.run({x})[0], b = device.run({x})[0];
      ASSERT_EQ(a.shape, b.shape);
      for (size_t i = 0; i < a.f.size(); ++i)
        EXPECT_NEAR(a.f[i], b.f[i], 1e-4) << nhwc << group << " " << i;
      // One call per run with every group; both images in M.
      EXPECT_EQ(backend.groupsSeen, (std::vector<size_t>{static_cast<size_t>(group)}));
    }
  }
  // A MatMul with constant weights, then one of two activations whose leading dimensions are rows.
  auto g = matmulGraph(ramp({4, 3}, 0.5f));
  Executor host(g), device(g);
  NaiveBackend backend;
  device.setBackend(&backend);
  const std::vector<Tensor> in{ramp({5, 4}, 0.25f), ramp({2, 3, 5}, 0.125f)};
  const auto a = host.run(in), b = device.run(in);
  for (size_t o = 0; o < 2; ++o) {
    ASSERT_EQ(a[o].shape, b[o].shape);
    for (size_t i = 0; i < a[o].f.size(); ++i)
      EXPECT_NEAR(a[o].f[i], b[o].f[i], 1e-4) << o << " " << i;
  }
  EXPECT_EQ(backend.groupsSeen, (std::vector<size_t>{1, 1}));
  RecordingHook hook;
  EXPECT_THROW(device.setHook(&hook), std::logic_error);  // the backend applies its own plan
}

}  // namespace
}  // namespace tasdsim::executor
