#include "sw/executor/Ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/Half.h"

namespace tasdsim::executor {
namespace {

using model::DataType;
using model::Node;
using model::shapeElements;
using model::shapeString;

constexpr size_t kMaxRank = 8;

[[noreturn]] void fail(const Node& n, const std::string& what) {
  throw UserError(fmt::format("{}: {}", n.describe(), what));
}

const Tensor& in(const Node& n, const std::vector<const Tensor*>& x, size_t i) {
  if (i >= x.size() || !x[i]) fail(n, fmt::format("input {} is missing", i));
  return *x[i];
}

const Tensor* optionalIn(const std::vector<const Tensor*>& x, size_t i) {
  return i < x.size() ? x[i] : nullptr;
}

const Tensor& floatIn(const Node& n, const std::vector<const Tensor*>& x, size_t i) {
  const Tensor& t = in(n, x, i);
  if (!t.isFloat())
    fail(n, fmt::format("input {} must be floating point, is {}", i, model::dataTypeName(t.type)));
  return t;
}

// Normalises a possibly negative axis against rank r.
size_t normAxis(const Node& n, int64_t axis, size_t r) {
  const int64_t rank = static_cast<int64_t>(r);
  if (axis < -rank || axis >= rank)
    fail(n, fmt::format("axis {} out of range for rank {}", axis, rank));
  return static_cast<size_t>(axis < 0 ? axis + rank : axis);
}

std::vector<size_t> stridesOf(const std::vector<int64_t>& shape) {
  std::vector<size_t> s(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    s[d - 1] = s[d] * static_cast<size_t>(shape[d]);
  return s;
}

// ---- elementwise binary with broadcasting ----

template <typename T, typename F>
void broadcastApply(const T* a, const std::vector<int64_t>& as, const T* b,
                    const std::vector<int64_t>& bs, T* out, const std::vector<int64_t>& os, F f) {
  const size_t total = shapeElements(os);
  if (total == 0) return;
  if (as == bs) {
    for (size_t i = 0; i < total; ++i)
      out[i] = f(a[i], b[i]);
    return;
  }
  const size_t r = os.size();
  // Strides of a and b in the output's index space (0 where broadcast).
  std::vector<size_t> sa(r, 0), sb(r, 0);
  {
    const auto ast = stridesOf(as), bst = stridesOf(bs);
    for (size_t d = 0; d < r; ++d) {
      const size_t da = d + as.size() >= r ? d + as.size() - r : SIZE_MAX;
      const size_t db = d + bs.size() >= r ? d + bs.size() - r : SIZE_MAX;
      if (da != SIZE_MAX && as[da] != 1) sa[d] = ast[da];
      if (db != SIZE_MAX && bs[db] != 1) sb[d] = bst[db];
    }
  }
  const size_t inner = static_cast<size_t>(os[r - 1]);
  const size_t ia = sa[r - 1], ib = sb[r - 1];
  std::vector<size_t> idx(r, 0);
  size_t offA = 0, offB = 0;
  for (size_t o = 0; o < total; o += inner) {
    if (ia == 1 && ib == 1) {
      for (size_t j = 0; j < inner; ++j)
        out[o + j] = f(a[offA + j], b[offB + j]);
    } else if (ia == 1) {
      const T bv = b[offB];
      for (size_t j = 0; j < inner; ++j)
        out[o + j] = f(a[offA + j], bv);
    } else if (ib == 1) {
      const T av = a[offA];
      for (size_t j = 0; j < inner; ++j)
        out[o + j] = f(av, b[offB + j]);
    } else {
      for (size_t j = 0; j < inner; ++j)
        out[o + j] = f(a[offA + j * ia], b[offB + j * ib]);
    }
    // Advance the outer index (dimensions 0..r-2).
    for (size_t d = r - 1; d-- > 0;) {
      ++idx[d];
      offA += sa[d];
      offB += sb[d];
      if (idx[d] < static_cast<size_t>(os[d])) break;
      offA -= sa[d] * idx[d];
      offB -= sb[d] * idx[d];
      idx[d] = 0;
    }
  }
}

Tensor binary(const Node& n, const std::vector<const Tensor*>& x) {
  const Tensor& a = in(n, x, 0);
  const Tensor& b = in(n, x, 1);
  if (a.isFloat() != b.isFloat()) fail(n, "inputs must have the same element type");
  Tensor out;
  out.type = a.type;
  out.shape = broadcastShapes(a.shape, b.shape, n.describe());
  model::checkedElementCount(out.shape, n.describe() + " output");
  const std::string& op = n.opType;
  if (a.isFloat()) {
    out.f.resize(shapeElements(out.shape));
    auto run = [&](auto f) {
      broadcastApply(a.f.data(), a.shape, b.f.data(), b.shape, out.f.data(), out.shape, f);
    };
    if (op == "Add")
      run([](float p, float q) { return p + q; });
    else if (op == "Sub")
      run([](float p, float q) { return p - q; });
    else if (op == "Mul")
      run([](float p, float q) { return p * q; });
    else if (op == "Div")
      run([](float p, float q) { return p / q; });
    else if (b.f.size() == 1 && b.f[0] == 2.0f)
      run([](float p, float) { return p * p; });  // Pow by 2 (LayerNorm)
    else
      run([](float p, float q) { return std::pow(p, q); });
  } else {
    out.i.resize(shapeElements(out.shape));
    auto run = [&](auto f) {
      broadcastApply(a.i.data(), a.shape, b.i.data(), b.shape, out.i.data(), out.shape, f);
    };
    if (op == "Add")
      run([](int64_t p, int64_t q) { return p + q; });
    else if (op == "Sub")
      run([](int64_t p, int64_t q) { return p - q; });
    else if (op == "Mul")
      run([](int64_t p, int64_t q) { return p * q; });
    else if (op == "Div") {
      for (int64_t v : b.i) {
        if (v == 0) fail(n, "integer division by zero");
      }
      run([](int64_t p, int64_t q) { return p / q; });
    } else {
      run([](int64_t p, int64_t q) {
        return static_cast<int64_t>(std::pow(static_cast<double>(p), static_cast<double>(q)));
      });
    }
  }
  return out;
}

// ---- unary ----

template <typename F>
Tensor mapFloat(const Node& n, const std::vector<const Tensor*>& x, F f) {
  const Tensor& a = floatIn(n, x, 0);
  Tensor out;
  out.type = a.type;
  out.shape = a.shape;
  out.f.resize(a.f.size());
  for (size_t i = 0; i < a.f.size(); ++i)
    out.f[i] = f(a.f[i]);
  return out;
}

float sigmoid(float v) {
  // Stable for large |v|: exp never overflows.
  if (v >= 0) return 1.0f / (1.0f + std::exp(-v));
  const float e = std::exp(v);
  return e / (1.0f + e);
}

Tensor clip(const Node& n, int64_t opset, const std::vector<const Tensor*>& x) {
  const Tensor& a = in(n, x, 0);
  double lo = -std::numeric_limits<double>::infinity(),
         hi = std::numeric_limits<double>::infinity();
  if (opset < 11) {
    lo = n.floatAttr("min", -std::numeric_limits<float>::max());
    hi = n.floatAttr("max", std::numeric_limits<float>::max());
  } else {
    auto scalar = [&](size_t i, double fallback) {
      const Tensor* t = optionalIn(x, i);
      if (!t) return fallback;
      if (t->elements() != 1) fail(n, fmt::format("input {} must be a scalar", i));
      return t->isFloat() ? static_cast<double>(t->f[0]) : static_cast<double>(t->i[0]);
    };
    lo = scalar(1, lo);
    hi = scalar(2, hi);
  }
  Tensor out = a;
  if (a.isFloat()) {
    const float l = static_cast<float>(lo), h = static_cast<float>(hi);
    for (float& v : out.f)
      v = std::min(std::max(v, l), h);
  } else {
    for (int64_t& v : out.i)
      v = static_cast<int64_t>(std::min(std::max(static_cast<double>(v), lo), hi));
  }
  return out;
}

Tensor cast(const Node& n, const std::vector<const Tensor*>& x) {
  const Tensor& a = in(n, x, 0);
  const int64_t to = n.intAttr("to", -1);
  if (!model::isKnownDataType(static_cast<int32_t>(to)))
    fail(n, fmt::format("cast to unsupported type {}", to));
  const auto type = static_cast<DataType>(to);
  Tensor out;
  out.type = type;
  out.shape = a.shape;
  if (model::isFloatType(type)) {
    out.f = a.asFloats();
    if (type == DataType::Float16) {
      for (float& v : out.f)
        v = halfToFloat(floatToHalf(v));
    } else if (type == DataType::BFloat16) {
      for (float& v : out.f)
        v = roundToBf16(v);
    }
  } else if (type == DataType::Bool) {
    out.i.resize(a.elements());
    for (size_t k = 0; k < out.i.size(); ++k)
      out.i[k] = a.isFloat() ? a.f[k] != 0.0f : a.i[k] != 0;
  } else {
    out.i = a.asInts();
    if (type == DataType::Int32) {
      for (int64_t& v : out.i)
        v = static_cast<int32_t>(v);
    }
  }
  return out;
}

// ---- shape operators ----

Tensor withShape(const Tensor& a, std::vector<int64_t> shape) {
  Tensor out = a;
  out.shape = std::move(shape);
  return out;
}

std::vector<int64_t> axesFrom(const Node& n, int64_t opset, int64_t inputFromOpset,
                              const std::vector<const Tensor*>& x, bool* present) {
  *present = true;
  if (opset >= inputFromOpset) {
    if (const Tensor* t = optionalIn(x, 1)) return t->asInts();
    *present = false;
    return {};
  }
  if (auto v = n.optionalInts("axes")) return *v;
  *present = false;
  return {};
}

Tensor reshape(const Node& n, const std::vector<const Tensor*>& x) {
  const Tensor& a = in(n, x, 0);
  const std::vector<int64_t> spec = in(n, x, 1).asInts();
  const bool allowZero = n.intAttr("allowzero", 0) != 0;
  std::vector<int64_t> shape(spec.size());
  int64_t known = 1;
  int inferred = -1;
  for (size_t d = 0; d < spec.size(); ++d) {
    int64_t v = spec[d];
    if (v == 0 && !allowZero) {
      if (d >= a.shape.size())
        fail(n, fmt::format("shape {} copies dimension {} of a rank-{} input", shapeString(spec), d,
                            a.shape.size()));
      v = a.shape[d];
    }
    if (v == -1) {
      if (inferred >= 0) fail(n, fmt::format("shape {} has more than one -1", shapeString(spec)));
      inferred = static_cast<int>(d);
      shape[d] = -1;
      continue;
    }
    if (v < 0) fail(n, fmt::format("invalid target shape {}", shapeString(spec)));
    shape[d] = v;
    if (__builtin_mul_overflow(known, v, &known))
      fail(n, fmt::format("target shape {} has too many elements", shapeString(spec)));
  }
  const int64_t total = static_cast<int64_t>(a.elements());
  if (inferred >= 0) {
    if (known == 0 || total % known)
      fail(n, fmt::format("cannot reshape {} to {}", shapeString(a.shape), shapeString(spec)));
    shape[static_cast<size_t>(inferred)] = total / known;
  } else if (known != total) {
    fail(n, fmt::format("cannot reshape {} ({} elements) to {}", shapeString(a.shape), total,
                        shapeString(spec)));
  }
  return withShape(a, shape);
}

Tensor shapeOp(const Node& n, const std::vector<const Tensor*>& x) {
  const Tensor& a = in(n, x, 0);
  const int64_t r = static_cast<int64_t>(a.shape.size());
  auto clampIndex = [&](int64_t v) { return std::clamp(v < 0 ? v + r : v, int64_t{0}, r); };
  const int64_t start = clampIndex(n.intAttr("start", 0));
  const int64_t end = clampIndex(n.intAttr("end", r));
  std::vector<int64_t> dims;
  for (int64_t d = start; d < end; ++d)
    dims.push_back(a.shape[static_cast<size_t>(d)]);
  return Tensor::ints({static_cast<int64_t>(dims.size())}, dims);
}

Tensor squeeze(const Node& n, int64_t opset, const std::vector<const Tensor*>& x) {
  const Tensor& a = in(n, x, 0);
  bool present = false;
  const std::vector<int64_t> axes = axesFrom(n, opset, 13, x, &present);
  std::set<size_t> drop;
  if (present) {
    for (int64_t ax : axes) {
      const size_t d = normAxis(n, ax, a.shape.size());
      if (a.shape[d] != 1)
        fail(n, fmt::format("cannot squeeze axis {} of size {}", ax, a.shape[d]));
      drop.insert(d);
    }
  } else {
    for (size_t d = 0; d < a.shape.size(); ++d) {
      if (a.shape[d] == 1) drop.insert(d);
    }
  }
  std::vector<int64_t> shape;
  for (size_t d = 0; d < a.shape.size(); ++d) {
    if (!drop.count(d)) shape.push_back(a.shape[d]);
  }
  return withShape(a, shape);
}

Tensor unsqueeze(const Node& n, int64_t opset, const std::vector<const Tensor*>& x) {
  const Tensor& a = in(n, x, 0);
  bool present = false;
  const std::vector<int64_t> axes = axesFrom(n, opset, 13, x, &present);
  if (!present) fail(n, "axes are required");
  const size_t rank = a.shape.size() + axes.size();
  std::set<size_t> add;
  for (int64_t ax : axes) {
    if (!add.insert(normAxis(n, ax, rank)).second) fail(n, "repeated axis");
  }
  std::vector<int64_t> shape;
  size_t src = 0;
  for (size_t d = 0; d < rank; ++d)
    shape.push_back(add.count(d) ? 1 : a.shape[src++]);
  return withShape(a, shape);
}

Tensor flatten(const Node& n, const std::vector<const Tensor*>& x) {
  const Tensor& a = in(n, x, 0);
  const int64_t r = static_cast<int64_t>(a.shape.size());
  int64_t axis = n.intAttr("axis", 1);
  if (axis < -r || axis > r) fail(n, fmt::format("axis {} out of range for rank {}", axis, r));
  if (axis < 0) axis += r;
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= a.shape[static_cast<size_t>(d)];
  return withShape(a, {outer, outer ? static_cast<int64_t>(a.elements()) / outer : 0});
}

template <typename T>
void transposeInto(const T* src, const std::vector<int64_t>& shape, const std::vector<size_t>& perm,
                   T* dst) {
  const size_t r = shape.size();
  const size_t total = shapeElements(shape);
  if (total == 0) return;
  const auto st = stridesOf(shape);
  std::vector<int64_t> outShape(r);
  std::vector<size_t> srcStride(r);
  for (size_t d = 0; d < r; ++d) {
    outShape[d] = shape[perm[d]];
    srcStride[d] = st[perm[d]];
  }
  std::vector<size_t> idx(r, 0);
  size_t off = 0;
  const size_t inner = r ? static_cast<size_t>(outShape[r - 1]) : 1;
  const size_t innerStride = r ? srcStride[r - 1] : 0;
  for (size_t o = 0; o < total; o += inner) {
    for (size_t j = 0; j < inner; ++j)
      dst[o + j] = src[off + j * innerStride];
    for (size_t d = r - 1; d-- > 0;) {
      ++idx[d];
      off += srcStride[d];
      if (idx[d] < static_cast<size_t>(outShape[d])) break;
      off -= srcStride[d] * idx[d];
      idx[d] = 0;
    }
  }
}

Tensor transpose(const Node& n, const std::vector<const Tensor*>& x) {
  const Tensor& a = in(n, x, 0);
  const size_t r = a.shape.size();
  std::vector<int64_t> permSpec = n.intsAttr("perm", {});
  if (permSpec.empty()) {
    for (size_t d = r; d-- > 0;)
      permSpec.push_back(static_cast<int64_t>(d));
  }
  if (permSpec.size() != r)
    fail(n, fmt::format("perm has {} entries for a rank-{} input", permSpec.size(), r));
  std::vector<size_t> perm;
  std::vector<bool> seen(r, false);
  for (int64_t p : permSpec) {
    const size_t d = normAxis(n, p, r);
    if (seen[d]) fail(n, "perm is not a permutation");
    seen[d] = true;
    perm.push_back(d);
  }
  Tensor out;
  out.type = a.type;
  for (size_t d = 0; d < r; ++d)
    out.shape.push_back(a.shape[perm[d]]);
  if (a.isFloat()) {
    out.f.resize(a.f.size());
    transposeInto(a.f.data(), a.shape, perm, out.f.data());
  } else {
    out.i.resize(a.i.size());
    transposeInto(a.i.data(), a.shape, perm, out.i.data());
  }
  return out;
}

Tensor slice(const Node& n, int64_t opset, const std::vector<const Tensor*>& x) {
  const Tensor& a = in(n, x, 0);
  const size_t r = a.shape.size();
  std::vector<int64_t> starts, ends, axes, steps;
  if (opset < 10) {
    starts = n.intsAttr("starts", {});
    ends = n.intsAttr("ends", {});
    axes = n.intsAttr("axes", {});
  } else {
    starts = in(n, x, 1).asInts();
    ends = in(n, x, 2).asInts();
    if (const Tensor* t = optionalIn(x, 3)) axes = t->asInts();
    if (const Tensor* t = optionalIn(x, 4)) steps = t->asInts();
  }
  if (starts.size() != ends.size()) fail(n, "starts and ends differ in length");
  if (axes.empty()) {
    for (size_t d = 0; d < starts.size(); ++d)
      axes.push_back(static_cast<int64_t>(d));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size())
    fail(n, "axes/steps differ in length from starts");
  std::vector<int64_t> first(r, 0), step(r, 1), count(a.shape);
  std::vector<bool> seen(r, false);
  for (size_t k = 0; k < starts.size(); ++k) {
    const size_t d = normAxis(n, axes[k], r);
    if (seen[d]) fail(n, "repeated axis");
    seen[d] = true;
    const int64_t dim = a.shape[d];
    const int64_t st = steps[k];
    if (st == 0) fail(n, "step 0");
    int64_t s = starts[k], e = ends[k];
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (st > 0) {
      s = std::clamp(s, int64_t{0}, dim);
      e = std::clamp(e, int64_t{0}, dim);
      count[d] = e > s ? (e - s + st - 1) / st : 0;
    } else {
      s = std::clamp(s, int64_t{0}, dim - 1);
      e = std::clamp(e, int64_t{-1}, dim - 1);
      count[d] = s > e ? (s - e - st - 1) / -st : 0;
    }
    first[d] = s;
    step[d] = st;
  }
  Tensor out;
  out.type = a.type;
  out.shape = count;
  const size_t total = shapeElements(count);
  const auto st = stridesOf(a.shape);
  std::vector<int64_t> idx(r, 0);
  auto copy = [&](auto& dst, const auto& src) {
    dst.resize(total);
    for (size_t o = 0; o < total; ++o) {
      int64_t off = 0;
      for (size_t d = 0; d < r; ++d)
        off += (first[d] + idx[d] * step[d]) * static_cast<int64_t>(st[d]);
      dst[o] = src[static_cast<size_t>(off)];
      for (size_t d = r; d-- > 0;) {
        if (++idx[d] < count[d]) break;
        idx[d] = 0;
      }
    }
  };
  if (a.isFloat())
    copy(out.f, a.f);
  else
    copy(out.i, a.i);
  return out;
}

Tensor concat(const Node& n, const std::vector<const Tensor*>& x) {
  if (x.empty()) fail(n, "no inputs");
  const Tensor& a0 = in(n, x, 0);
  const size_t r = a0.shape.size();
  const size_t axis = normAxis(n, n.intAttr("axis", 0), r);
  Tensor out;
  out.type = a0.type;
  out.shape = a0.shape;
  out.shape[axis] = 0;
  for (size_t k = 0; k < x.size(); ++k) {
    const Tensor& t = in(n, x, k);
    if (t.shape.size() != r || t.isFloat() != a0.isFloat())
      fail(n, "inputs differ in rank or type");
    for (size_t d = 0; d < r; ++d) {
      if (d != axis && t.shape[d] != a0.shape[d]) {
        fail(n, fmt::format("input shapes {} and {} differ outside axis {}", shapeString(a0.shape),
                            shapeString(t.shape), axis));
      }
    }
    out.shape[axis] += t.shape[axis];
  }
  size_t outer = 1;
  for (size_t d = 0; d < axis; ++d)
    outer *= static_cast<size_t>(a0.shape[d]);
  const size_t total = shapeElements(out.shape);
  auto run = [&](auto& dst, auto member) {
    dst.resize(total);
    size_t pos = 0;
    for (size_t o = 0; o < outer; ++o) {
      for (size_t k = 0; k < x.size(); ++k) {
        const auto& src = (*x[k]).*member;
        const size_t block = outer ? src.size() / outer : 0;
        std::copy(src.begin() + static_cast<long>(o * block),
                  src.begin() + static_cast<long>((o + 1) * block),
                  dst.begin() + static_cast<long>(pos));
        pos += block;
      }
    }
  };
  if (a0.isFloat())
    run(out.f, &Tensor::f);
  else
    run(out.i, &Tensor::i);
  return out;
}

// Gather: out = data indexed along `axis` by every index of `indices` (any rank, negative
// indices count from the end); out's shape is data[:axis] + indices + data[axis+1:].
Tensor gather(const Node& n, const std::vector<const Tensor*>& x) {
  const Tensor& a = in(n, x, 0);
  const Tensor& idx = in(n, x, 1);
  if (idx.isFloat()) fail(n, "indices must be integers");
  if (a.shape.empty()) fail(n, "data must have rank >= 1");
  const size_t axis = normAxis(n, n.intAttr("axis", 0), a.shape.size());
  const int64_t extent = a.shape[axis];
  std::vector<size_t> rows;
  for (int64_t v : idx.i) {
    if (v < -extent || v >= extent)
      fail(n, fmt::format("index {} out of range for axis {} of size {}", v, axis, extent));
    rows.push_back(static_cast<size_t>(v < 0 ? v + extent : v));
  }
  std::vector<int64_t> shape(a.shape.begin(), a.shape.begin() + static_cast<long>(axis));
  shape.insert(shape.end(), idx.shape.begin(), idx.shape.end());
  shape.insert(shape.end(), a.shape.begin() + static_cast<long>(axis) + 1, a.shape.end());
  size_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d)
    outer *= static_cast<size_t>(a.shape[d]);
  for (size_t d = axis + 1; d < a.shape.size(); ++d)
    inner *= static_cast<size_t>(a.shape[d]);
  Tensor out;
  out.type = a.type;
  out.shape = shape;
  auto run = [&](auto& dst, const auto& src) {
    dst.resize(outer * rows.size() * inner);
    size_t pos = 0;
    for (size_t o = 0; o < outer; ++o) {
      for (size_t r : rows) {
        const size_t from = (o * static_cast<size_t>(extent) + r) * inner;
        std::copy(src.begin() + static_cast<long>(from),
                  src.begin() + static_cast<long>(from + inner),
                  dst.begin() + static_cast<long>(pos));
        pos += inner;
      }
    }
  };
  if (a.isFloat())
    run(out.f, a.f);
  else
    run(out.i, a.i);
  return out;
}

// ---- reductions, normalisation ----

Tensor reduceMean(const Node& n, int64_t opset, const std::vector<const Tensor*>& x) {
  const Tensor& a = floatIn(n, x, 0);
  const size_t r = a.shape.size();
  bool present = false;
  std::vector<int64_t> axes = axesFrom(n, opset, 18, x, &present);
  const bool keep = n.intAttr("keepdims", 1) != 0;
  if (!present || axes.empty()) {
    if (n.intAttr("noop_with_empty_axes", 0)) return a;
    axes.clear();
    for (size_t d = 0; d < r; ++d)
      axes.push_back(static_cast<int64_t>(d));
  }
  std::vector<bool> reduced(r, false);
  for (int64_t ax : axes)
    reduced[normAxis(n, ax, r)] = true;
  std::vector<int64_t> keptShape(r);
  for (size_t d = 0; d < r; ++d)
    keptShape[d] = reduced[d] ? 1 : a.shape[d];
  const size_t outCount = shapeElements(keptShape);
  std::vector<double> sum(outCount, 0.0);
  const auto outStride = stridesOf(keptShape);
  size_t reduceCount = 1;
  for (size_t d = 0; d < r; ++d) {
    if (reduced[d]) reduceCount *= static_cast<size_t>(a.shape[d]);
  }
  if (r > 0 && reduced[r - 1] &&
      std::all_of(reduced.begin(), reduced.end() - 1, [](bool b) { return !b; })) {
    // Last axis only (LayerNorm): contiguous rows.
    const size_t len = static_cast<size_t>(a.shape[r - 1]);
    for (size_t o = 0; o < outCount; ++o) {
      double s = 0;
      for (size_t j = 0; j < len; ++j)
        s += a.f[o * len + j];
      sum[o] = s;
    }
  } else {
    std::vector<int64_t> idx(r, 0);
    for (size_t i = 0; i < a.f.size(); ++i) {
      size_t o = 0;
      for (size_t d = 0; d < r; ++d) {
        if (!reduced[d]) o += static_cast<size_t>(idx[d]) * outStride[d];
      }
      sum[o] += a.f[i];
      for (size_t d = r; d-- > 0;) {
        if (++idx[d] < a.shape[d]) break;
        idx[d] = 0;
      }
    }
  }
  Tensor out;
  out.type = a.type;
  if (keep) {
    out.shape = keptShape;
  } else {
    for (size_t d = 0; d < r; ++d) {
      if (!reduced[d]) out.shape.push_back(a.shape[d]);
    }
  }
  out.f.resize(outCount);
  for (size_t o = 0; o < outCount; ++o)
    out.f[o] = static_cast<float>(sum[o] / static_cast<double>(reduceCount));
  return out;
}

void softmaxRows(float* data, size_t rows, size_t len, size_t stride, size_t inner) {
  // rows * inner independent vectors of len elements spaced `stride` apart.
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < inner; ++c) {
      float* v = data + r * len * inner + c;
      float mx = -std::numeric_limits<float>::infinity();
      for (size_t j = 0; j < len; ++j)
        mx = std::max(mx, v[j * stride]);
      double s = 0;
      for (size_t j = 0; j < len; ++j) {
        const float e = std::exp(v[j * stride] - mx);
        v[j * stride] = e;
        s += e;
      }
      const float inv = static_cast<float>(1.0 / s);
      for (size_t j = 0; j < len; ++j)
        v[j * stride] *= inv;
    }
  }
}

Tensor softmax(const Node& n, int64_t opset, const std::vector<const Tensor*>& x) {
  const Tensor& a = floatIn(n, x, 0);
  const size_t r = a.shape.size();
  Tensor out = a;
  if (r == 0) {
    out.f.assign(out.f.size(), 1.0f);
    return out;
  }
  if (opset < 13) {
    // Coerced to 2-D [prod(dims < axis), prod(dims >= axis)]; softmax over each row.
    const size_t axis = normAxis(n, n.intAttr("axis", 1), r);
    size_t rows = 1;
    for (size_t d = 0; d < axis; ++d)
      rows *= static_cast<size_t>(a.shape[d]);
    const size_t len = rows ? a.f.size() / rows : 0;
    softmaxRows(out.f.data(), rows, len, 1, 1);
  } else {
    const size_t axis = normAxis(n, n.intAttr("axis", -1), r);
    size_t outer = 1, inner = 1;
    for (size_t d = 0; d < axis; ++d)
      outer *= static_cast<size_t>(a.shape[d]);
    for (size_t d = axis + 1; d < r; ++d)
      inner *= static_cast<size_t>(a.shape[d]);
    softmaxRows(out.f.data(), outer, static_cast<size_t>(a.shape[axis]), inner, inner);
  }
  return out;
}

Tensor batchNorm(const Node& n, const std::vector<const Tensor*>& x) {
  const Tensor& a = floatIn(n, x, 0);
  if (a.shape.size() < 2) fail(n, "input must have a channel dimension");
  const size_t c = static_cast<size_t>(a.shape[1]);
  const Tensor* p[4];
  for (size_t k = 0; k < 4; ++k) {
    p[k] = &floatIn(n, x, k + 1);
    if (p[k]->f.size() != c)
      fail(n, fmt::format("parameter {} has {} values for {} channels", k + 1, p[k]->f.size(), c));
  }
  const float eps = n.floatAttr("epsilon", 1e-5f);
  const size_t batch = static_cast<size_t>(a.shape[0]);
  const size_t spatial = c && batch ? a.f.size() / (c * batch) : 0;
  Tensor out = a;
  for (size_t ch = 0; ch < c; ++ch) {
    const float scale = p[0]->f[ch] / std::sqrt(p[3]->f[ch] + eps);
    const float shift = p[1]->f[ch] - p[2]->f[ch] * scale;
    for (size_t b = 0; b < batch; ++b) {
      float* v = out.f.data() + (b * c + ch) * spatial;
      for (size_t s = 0; s < spatial; ++s)
        v[s] = v[s] * scale + shift;
    }
  }
  return out;
}

// LayerNormalization (opset 17): normalises over the dimensions from `axis` to the last, then
// scales and shifts (Scale, optional B broadcast over those dimensions). Only output 0.
Tensor layerNorm(const Node& n, const std::vector<const Tensor*>& x) {
  const Tensor& a = floatIn(n, x, 0);
  const Tensor& scale = floatIn(n, x, 1);
  const Tensor* bias = optionalIn(x, 2);
  if (bias && !bias->isFloat()) fail(n, "B must be floating point");
  const size_t r = a.shape.size();
  if (r == 0) fail(n, "input must have rank >= 1");
  const size_t axis = normAxis(n, n.intAttr("axis", -1), r);
  size_t len = 1;
  for (size_t d = axis; d < r; ++d)
    len *= static_cast<size_t>(a.shape[d]);
  if (scale.f.size() != len || (bias && bias->f.size() != len))
    fail(n, fmt::format("Scale/B must hold the {} values of the normalised dimensions", len));
  const float eps = n.floatAttr("epsilon", 1e-5f);
  const size_t rows = len ? a.f.size() / len : 0;
  Tensor out = a;
  for (size_t row = 0; row < rows; ++row) {
    float* v = out.f.data() + row * len;
    double mean = 0, var = 0;
    for (size_t j = 0; j < len; ++j)
      mean += v[j];
    mean /= static_cast<double>(len);
    for (size_t j = 0; j < len; ++j)
      var += (v[j] - mean) * (v[j] - mean);
    var /= static_cast<double>(len);
    const double inv = 1.0 / std::sqrt(var + static_cast<double>(eps));
    for (size_t j = 0; j < len; ++j) {
      const float normed = static_cast<float>((v[j] - mean) * inv);
      v[j] = normed * scale.f[j] + (bias ? bias->f[j] : 0.0f);
    }
  }
  return out;
}

// Gelu (opset 20): x * Phi(x) with the exact erf form, or the tanh approximation.
Tensor gelu(const Node& n, const std::vector<const Tensor*>& x) {
  const std::string approximate = n.stringAttr("approximate", "none");
  if (approximate == "tanh") {
    return mapFloat(n, x, [](float v) {
      const float inner = 0.7978845608f * (v + 0.044715f * v * v * v);
      return 0.5f * v * (1.0f + std::tanh(inner));
    });
  }
  if (approximate != "none")
    fail(n, fmt::format("approximate '{}': expected none or tanh", approximate));
  return mapFloat(n, x, [](float v) { return 0.5f * v * (1.0f + std::erf(v * 0.70710678f)); });
}

// ---- pooling ----

// Whether a pooling node's data is NHWC (data_layout attribute; ONNX's own layout is NCHW).
bool nhwcLayout(const Node& n) {
  const std::string layout = n.stringAttr("data_layout", "NCHW");
  if (layout != "NCHW" && layout != "NHWC")
    fail(n, fmt::format("data_layout '{}': expected NCHW or NHWC", layout));
  return layout == "NHWC";
}

// Pad (opset 11+: pads as input 1, [begin..., end...]; constant mode with input 2's value).
Tensor pad(const Node& n, const std::vector<const Tensor*>& x) {
  const Tensor& a = floatIn(n, x, 0);
  const std::vector<int64_t> p = in(n, x, 1).asInts();
  const Tensor* value = optionalIn(x, 2);
  const std::string mode = n.stringAttr("mode", "constant");
  if (mode != "constant") fail(n, fmt::format("mode '{}' is not supported (constant only)", mode));
  const size_t r = a.shape.size();
  if (p.size() != 2 * r) fail(n, fmt::format("pads has {} values for rank {}", p.size(), r));
  std::vector<int64_t> shape(r);
  for (size_t d = 0; d < r; ++d) {
    if (p[d] < 0 || p[r + d] < 0) fail(n, "negative pads (cropping) are not supported");
    shape[d] = a.shape[d] + p[d] + p[r + d];
  }
  model::checkedElementCount(shape, n.describe() + " output");
  const float fill = value && value->elements() ? value->asFloats().front() : 0.0f;
  Tensor out = Tensor::floats(shape, std::vector<float>(shapeElements(shape), fill));
  out.type = a.type;
  if (a.f.empty()) return out;
  // Copy the input row by row (the innermost dimension is contiguous in both).
  const std::vector<size_t> inStride = stridesOf(a.shape), outStride = stridesOf(shape);
  const size_t inner = static_cast<size_t>(a.shape[r - 1]);
  std::vector<int64_t> idx(r, 0);
  for (size_t row = 0; row < a.f.size() / inner; ++row) {
    size_t src = 0, dst = 0;
    for (size_t d = 0; d < r; ++d) {
      src += static_cast<size_t>(idx[d]) * inStride[d];
      dst += static_cast<size_t>(idx[d] + p[d]) * outStride[d];
    }
    std::memcpy(out.f.data() + dst, a.f.data() + src, inner * sizeof(float));
    for (size_t d = r - 1; d-- > 0;) {
      if (++idx[d] < a.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

// Resize of a 4-D tensor's two spatial axes (NCHW, or NHWC with data_layout), to `sizes` or by
// `scales`: modes linear (bilinear) and nearest; coordinate modes half_pixel, asymmetric,
// align_corners and pytorch_half_pixel.
Tensor resize(const Node& n, const std::vector<const Tensor*>& x) {
  const Tensor& a = floatIn(n, x, 0);
  if (a.shape.size() != 4) fail(n, "only 4-D inputs are supported");
  const bool nhwc = nhwcLayout(n);
  const size_t hAxis = nhwc ? 1 : 2, wAxis = nhwc ? 2 : 3, cAxis = nhwc ? 3 : 1;
  std::vector<int64_t> shape;
  if (const Tensor* sizes = optionalIn(x, 3); sizes && sizes->elements()) {
    shape = sizes->asInts();
  } else if (const Tensor* scales = optionalIn(x, 2); scales && scales->elements()) {
    const std::vector<float> sc = scales->asFloats();
    if (sc.size() != 4) fail(n, "scales must have 4 values");
    for (size_t d = 0; d < 4; ++d)
      shape.push_back(static_cast<int64_t>(std::floor(a.shape[d] * sc[d])));
  } else {
    fail(n, "needs scales or sizes");
  }
  if (shape.size() != 4 || shape[0] != a.shape[0] || shape[cAxis] != a.shape[cAxis])
    fail(n, fmt::format("only the spatial axes can be resized ({} to {})", shapeString(a.shape),
                        shapeString(shape)));
  for (int64_t d : shape)
    if (d <= 0) fail(n, "output sizes must be positive");
  model::checkedElementCount(shape, n.describe() + " output");
  const std::string mode = n.stringAttr("mode", "nearest");
  const std::string coord = n.stringAttr("coordinate_transformation_mode", "half_pixel");
  if (mode != "linear" && mode != "nearest")
    fail(n, fmt::format("mode '{}' is not supported", mode));
  if (coord != "half_pixel" && coord != "asymmetric" && coord != "align_corners" &&
      coord != "pytorch_half_pixel")
    fail(n, fmt::format("coordinate_transformation_mode '{}' is not supported", coord));
  const int64_t inH = a.shape[hAxis], inW = a.shape[wAxis], outH = shape[hAxis],
                outW = shape[wAxis];
  // Source coordinate of output index o along an axis of in -> out elements.
  auto source = [&](int64_t o, int64_t inLen, int64_t outLen) {
    const double scale = static_cast<double>(outLen) / static_cast<double>(inLen);
    if (coord == "asymmetric") return o / scale;
    if (coord == "align_corners")
      return outLen > 1 ? o * static_cast<double>(inLen - 1) / (outLen - 1) : 0.0;
    if (coord == "pytorch_half_pixel" && outLen == 1) return 0.0;
    return (o + 0.5) / scale - 0.5;
  };
  struct Tap {
    int64_t i0 = 0, i1 = 0;
    float frac = 0;
  };
  auto taps = [&](int64_t inLen, int64_t outLen) {
    std::vector<Tap> t(static_cast<size_t>(outLen));
    for (int64_t o = 0; o < outLen; ++o) {
      double s = source(o, inLen, outLen);
      if (mode == "nearest") {
        const int64_t i =
            std::clamp<int64_t>(static_cast<int64_t>(std::floor(s + 0.5 - 1e-9)), 0, inLen - 1);
        t[static_cast<size_t>(o)] = Tap{i, i, 0.0f};
        continue;
      }
      s = std::clamp(s, 0.0, static_cast<double>(inLen - 1));
      const int64_t i0 = static_cast<int64_t>(std::floor(s));
      t[static_cast<size_t>(o)] =
          Tap{i0, std::min(i0 + 1, inLen - 1), static_cast<float>(s - static_cast<double>(i0))};
    }
    return t;
  };
  const std::vector<Tap> th = taps(inH, outH), tw = taps(inW, outW);
  const int64_t batch = a.shape[0], channels = a.shape[cAxis];
  Tensor out = Tensor::floats(shape, std::vector<float>(shapeElements(shape)));
  out.type = a.type;
  // Element (b, c, h, w) of a tensor of the given spatial size.
  auto at = [&](int64_t b, int64_t c, int64_t h, int64_t w, int64_t H, int64_t W) {
    return static_cast<size_t>(nhwc ? ((b * H + h) * W + w) * channels + c
                                    : ((b * channels + c) * H + h) * W + w);
  };
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t oh = 0; oh < outH; ++oh) {
        const Tap& y = th[static_cast<size_t>(oh)];
        for (int64_t ow = 0; ow < outW; ++ow) {
          const Tap& z = tw[static_cast<size_t>(ow)];
          const float v00 = a.f[at(b, c, y.i0, z.i0, inH, inW)],
                      v01 = a.f[at(b, c, y.i0, z.i1, inH, inW)];
          const float v10 = a.f[at(b, c, y.i1, z.i0, inH, inW)],
                      v11 = a.f[at(b, c, y.i1, z.i1, inH, inW)];
          const float top = v00 + (v01 - v00) * z.frac, bottom = v10 + (v11 - v10) * z.frac;
          out.f[at(b, c, oh, ow, outH, outW)] = top + (bottom - top) * y.frac;
        }
      }
  return out;
}

// DepthToSpace (NCHW, or NHWC with data_layout): DCR or CRD channel order.
Tensor depthToSpace(const Node& n, const std::vector<const Tensor*>& x) {
  const Tensor& a = floatIn(n, x, 0);
  if (a.shape.size() != 4) fail(n, "only 4-D inputs are supported");
  const bool nhwc = nhwcLayout(n);
  const int64_t bs = n.intAttr("blocksize", 0);
  const std::string mode = n.stringAttr("mode", "DCR");
  if (mode != "DCR" && mode != "CRD") fail(n, fmt::format("mode '{}': expected DCR or CRD", mode));
  const int64_t B = a.shape[0], C = a.shape[nhwc ? 3 : 1], H = a.shape[nhwc ? 1 : 2],
                W = a.shape[nhwc ? 2 : 3];
  if (bs <= 0 || C % (bs * bs))
    fail(n, fmt::format("blocksize {} does not divide {} channels", bs, C));
  const int64_t oc = C / (bs * bs), oh = H * bs, ow = W * bs;
  const std::vector<int64_t> shape =
      nhwc ? std::vector<int64_t>{B, oh, ow, oc} : std::vector<int64_t>{B, oc, oh, ow};
  Tensor out = Tensor::floats(shape, std::vector<float>(a.f.size()));
  out.type = a.type;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < oh; ++h)
      for (int64_t w = 0; w < ow; ++w)
        for (int64_t c = 0; c < oc; ++c) {
          const int64_t i = h % bs, j = w % bs;
          const int64_t src = mode == "DCR" ? (i * bs + j) * oc + c : c * bs * bs + i * bs + j;
          const int64_t sh = h / bs, sw = w / bs;
          const size_t from = static_cast<size_t>(nhwc ? ((b * H + sh) * W + sw) * C + src
                                                       : ((b * C + src) * H + sh) * W + sw);
          const size_t to = static_cast<size_t>(nhwc ? ((b * oh + h) * ow + w) * oc + c
                                                     : ((b * oc + c) * oh + h) * ow + w);
          out.f[to] = a.f[from];
        }
  return out;
}

Tensor globalAveragePool(const Node& n, const std::vector<const Tensor*>& x) {
  const Tensor& a = floatIn(n, x, 0);
  if (a.shape.size() < 3) fail(n, "input must be N x C x spatial");
  const bool nhwc = nhwcLayout(n);
  const size_t r = a.shape.size();
  const size_t batch = static_cast<size_t>(a.shape[0]);
  const size_t c = static_cast<size_t>(nhwc ? a.shape[r - 1] : a.shape[1]);
  const size_t nc = batch * c;
  const size_t spatial = nc ? a.f.size() / nc : 0;
  Tensor out;
  out.type = a.type;
  out.shape = a.shape;
  for (size_t d = 1; d < r; ++d) {
    if (d != (nhwc ? r - 1 : 1)) out.shape[d] = 1;
  }
  out.f.resize(nc);
  // Plane k = (b, ch): NCHW keeps a plane contiguous; NHWC interleaves the channels.
  for (size_t k = 0; k < nc; ++k) {
    const size_t b = k / c, ch = k % c;
    const float* src = nhwc ? a.f.data() + b * spatial * c + ch : a.f.data() + k * spatial;
    const size_t step = nhwc ? c : 1;
    double s = 0;
    for (size_t j = 0; j < spatial; ++j)
      s += src[j * step];
    out.f[k] = static_cast<float>(s / static_cast<double>(spatial));
  }
  return out;
}

// AveragePool and MaxPool (2-D): max ignores padding (ONNX pads MaxPool with -inf).
Tensor pool2d(const Node& n, const std::vector<const Tensor*>& x, bool isMax) {
  const Tensor& a = floatIn(n, x, 0);
  if (a.shape.size() != 4) fail(n, "only 2-D pooling (N x C x H x W) is supported");
  const std::vector<int64_t> kernel = n.intsAttr("kernel_shape", {});
  if (kernel.size() != 2) fail(n, "kernel_shape must have 2 entries");
  const std::vector<int64_t> strides = n.intsAttr("strides", {1, 1});
  std::vector<int64_t> pads = n.intsAttr("pads", {0, 0, 0, 0});
  const std::string autoPad = n.stringAttr("auto_pad", "NOTSET");
  const bool includePad = n.intAttr("count_include_pad", 0) != 0;
  const bool ceilMode = n.intAttr("ceil_mode", 0) != 0;
  if (strides.size() != 2 || pads.size() != 4) fail(n, "strides/pads must have 2/4 entries");
  for (int64_t d : n.intsAttr("dilations", {1, 1})) {
    if (d != 1) fail(n, "dilated pooling is not supported");
  }
  constexpr int64_t kMaxGeometry = int64_t{1} << 20;  // keeps the size arithmetic far from overflow
  auto checkGeometry = [&](const std::vector<int64_t>& list) {
    for (int64_t v : list) {
      if (v < 0 || v > kMaxGeometry) fail(n, fmt::format("kernel/stride/pad {} out of range", v));
    }
  };
  checkGeometry(kernel);
  checkGeometry(strides);
  checkGeometry(pads);
  if (kernel[0] <= 0 || kernel[1] <= 0 || strides[0] <= 0 || strides[1] <= 0)
    fail(n, "kernel and strides must be positive");
  const bool nhwc = nhwcLayout(n);
  const int64_t h = a.shape[nhwc ? 1 : 2], w = a.shape[nhwc ? 2 : 3];
  const int64_t channels = a.shape[nhwc ? 3 : 1];
  int64_t ho, wo;
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    ho = (h + strides[0] - 1) / strides[0];
    wo = (w + strides[1] - 1) / strides[1];
    const int64_t ph = std::max<int64_t>(0, (ho - 1) * strides[0] + kernel[0] - h);
    const int64_t pw = std::max<int64_t>(0, (wo - 1) * strides[1] + kernel[1] - w);
    const bool upper = autoPad == "SAME_UPPER";
    pads = {upper ? ph / 2 : ph - ph / 2, upper ? pw / 2 : pw - pw / 2,
            upper ? ph - ph / 2 : ph / 2, upper ? pw - pw / 2 : pw / 2};
  } else if (autoPad == "VALID") {
    pads = {0, 0, 0, 0};
  }
  {
    const int64_t spanH = h + pads[0] + pads[2] - kernel[0],
                  spanW = w + pads[1] + pads[3] - kernel[1];
    if (spanH < 0 || spanW < 0) fail(n, "kernel larger than the padded input");
    ho = (ceilMode ? (spanH + strides[0] - 1) / strides[0] : spanH / strides[0]) + 1;
    wo = (ceilMode ? (spanW + strides[1] - 1) / strides[1] : spanW / strides[1]) + 1;
    // With ceil_mode the last window must start inside the (left-padded) input.
    if (ceilMode && (ho - 1) * strides[0] >= h + pads[0]) --ho;
    if (ceilMode && (wo - 1) * strides[1] >= w + pads[1]) --wo;
  }
  const size_t nc = static_cast<size_t>(a.shape[0] * channels);
  Tensor out;
  out.type = a.type;
  out.shape = nhwc ? std::vector<int64_t>{a.shape[0], ho, wo, channels}
                   : std::vector<int64_t>{a.shape[0], channels, ho, wo};
  model::checkedElementCount(out.shape, n.describe() + " output");
  out.f.resize(nc * static_cast<size_t>(ho * wo));
  // Plane k = (b, channel); pixels are `step` floats apart (1 in NCHW, the channel count in NHWC).
  const size_t step = nhwc ? static_cast<size_t>(channels) : 1;
  for (size_t k = 0; k < nc; ++k) {
    const size_t b = k / static_cast<size_t>(channels), ch = k % static_cast<size_t>(channels);
    const float* src = nhwc ? a.f.data() + b * static_cast<size_t>(h * w * channels) + ch
                            : a.f.data() + k * static_cast<size_t>(h * w);
    float* dst = nhwc ? out.f.data() + b * static_cast<size_t>(ho * wo * channels) + ch
                      : out.f.data() + k * static_cast<size_t>(ho * wo);
    for (int64_t oh = 0; oh < ho; ++oh) {
      for (int64_t ow = 0; ow < wo; ++ow) {
        const int64_t h0 = oh * strides[0] - pads[0], w0 = ow * strides[1] - pads[1];
        const int64_t h1 = std::min(h0 + kernel[0], h + pads[2]),
                      w1 = std::min(w0 + kernel[1], w + pads[3]);
        const int64_t padCount = (h1 - h0) * (w1 - w0);
        double s = 0;
        float mx = -std::numeric_limits<float>::infinity();
        int64_t count = 0;
        for (int64_t ih = std::max<int64_t>(h0, 0); ih < std::min(h1, h); ++ih) {
          for (int64_t iw = std::max<int64_t>(w0, 0); iw < std::min(w1, w); ++iw) {
            const float v = src[static_cast<size_t>(ih * w + iw) * step];
            s += v;
            mx = std::max(mx, v);
            ++count;
          }
        }
        float& result = dst[static_cast<size_t>(oh * wo + ow) * step];
        if (isMax) {
          result = mx;
          continue;
        }
        const int64_t divisor = includePad ? padCount : count;
        result = divisor ? static_cast<float>(s / static_cast<double>(divisor)) : 0.0f;
      }
    }
  }
  return out;
}

const std::set<std::string>& supported() {
  static const std::set<std::string> ops{"Add",
                                         "Sub",
                                         "Mul",
                                         "Div",
                                         "Pow",
                                         "Sqrt",
                                         "Relu",
                                         "Sigmoid",
                                         "HardSigmoid",
                                         "Tanh",
                                         "Clip",
                                         "Cast",
                                         "Identity",
                                         "Reshape",
                                         "Shape",
                                         "Squeeze",
                                         "Unsqueeze",
                                         "Flatten",
                                         "Transpose",
                                         "Slice",
                                         "Concat",
                                         "Gather",
                                         "ReduceMean",
                                         "Softmax",
                                         "BatchNormalization",
                                         "AveragePool",
                                         "MaxPool",
                                         "GlobalAveragePool",
                                         "LayerNormalization",
                                         "Gelu",
                                         "HardSwish",
                                         "Erf",
                                         "Pad",
                                         "Resize",
                                         "DepthToSpace",
                                         "Constant"};
  return ops;
}

}  // namespace

std::vector<int64_t> broadcastShapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                                     const std::string& what) {
  const size_t r = std::max(a.size(), b.size());
  if (r > kMaxRank) throw UserError(fmt::format("{}: rank {} above {}", what, r, kMaxRank));
  std::vector<int64_t> out(r);
  for (size_t d = 0; d < r; ++d) {
    const int64_t da = d + a.size() >= r ? a[d + a.size() - r] : 1;
    const int64_t db = d + b.size() >= r ? b[d + b.size() - r] : 1;
    if (da != db && da != 1 && db != 1) {
      throw UserError(fmt::format("{}: shapes {} and {} do not broadcast", what, shapeString(a),
                                  shapeString(b)));
    }
    out[d] = da == 1 ? db : da;
  }
  return out;
}

bool isSupportedOperator(const std::string& opType) {
  return supported().count(opType) != 0;
}

Tensor runOperator(const Node& n, int64_t opset, const std::vector<const Tensor*>& x) {
  if (!n.domain.empty() && n.domain != "ai.onnx") {
    fail(n, fmt::format("operator domain '{}' is not supported", n.domain));
  }
  const std::string& op = n.opType;
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow") return binary(n, x);
  if (op == "Sqrt") return mapFloat(n, x, [](float v) { return std::sqrt(v); });
  if (op == "Relu") {
    const Tensor& a = in(n, x, 0);
    if (!a.isFloat()) {
      Tensor out = a;
      for (int64_t& v : out.i)
        v = std::max<int64_t>(v, 0);
      return out;
    }
    return mapFloat(n, x, [](float v) { return v > 0.0f ? v : 0.0f; });
  }
  if (op == "Sigmoid") return mapFloat(n, x, sigmoid);
  if (op == "Tanh") return mapFloat(n, x, [](float v) { return std::tanh(v); });
  if (op == "HardSigmoid") {
    const float alpha = n.floatAttr("alpha", 0.2f), beta = n.floatAttr("beta", 0.5f);
    return mapFloat(n, x,
                    [=](float v) { return std::max(0.0f, std::min(1.0f, alpha * v + beta)); });
  }
  if (op == "Clip") return clip(n, opset, x);
  if (op == "Cast") return cast(n, x);
  if (op == "Identity") return in(n, x, 0);
  if (op == "Reshape") return reshape(n, x);
  if (op == "Shape") return shapeOp(n, x);
  if (op == "Squeeze") return squeeze(n, opset, x);
  if (op == "Unsqueeze") return unsqueeze(n, opset, x);
  if (op == "Flatten") return flatten(n, x);
  if (op == "Transpose") return transpose(n, x);
  if (op == "Slice") return slice(n, opset, x);
  if (op == "Concat") return concat(n, x);
  if (op == "Gather") return gather(n, x);
  if (op == "ReduceMean") return reduceMean(n, opset, x);
  if (op == "Softmax") return softmax(n, opset, x);
  if (op == "BatchNormalization") return batchNorm(n, x);
  if (op == "LayerNormalization") return layerNorm(n, x);
  if (op == "Pad") return pad(n, x);
  if (op == "Resize") return resize(n, x);
  if (op == "DepthToSpace") return depthToSpace(n, x);
  if (op == "Gelu") return gelu(n, x);
  if (op == "HardSwish")
    return mapFloat(n, x,
                    [](float v) { return v * std::max(0.0f, std::min(1.0f, v / 6.0f + 0.5f)); });
  if (op == "Erf") return mapFloat(n, x, [](float v) { return std::erf(v); });
  if (op == "GlobalAveragePool") return globalAveragePool(n, x);
  if (op == "AveragePool") return pool2d(n, x, false);
  if (op == "MaxPool") return pool2d(n, x, true);
  throw UserError(fmt::format("unsupported operator '{}' (node '{}')", op, n.name));
}

}  // namespace tasdsim::executor
