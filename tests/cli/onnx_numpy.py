"""An independent NumPy reference for ONNX graphs: a protobuf wire reader and the operators of
PP-OCRv4 rec, written from the ONNX operator specification (not from the C++ executor). It is
slow and simple on purpose; tests compare the C++ executor's outputs against it."""
import struct

import numpy as np

ONNX_DTYPES = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 11: np.float64}


def _varint(buf, pos):
    value, shift = 0, 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def fields(buf):
    """Yields (field number, wire type, value) of one message; length-delimited values are bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, pos = _varint(buf, pos)
        elif wt == 1:
            v = buf[pos:pos + 8]
            pos += 8
        elif wt == 2:
            n, pos = _varint(buf, pos)
            v = buf[pos:pos + n]
            pos += n
        elif wt == 5:
            v = buf[pos:pos + 4]
            pos += 4
        else:
            raise ValueError(f"wire type {wt}")
        yield num, wt, v


def _signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def _ints(wt, v):
    if wt == 0:
        return [_signed(v)]
    out, pos = [], 0
    while pos < len(v):
        x, pos = _varint(v, pos)
        out.append(_signed(x))
    return out


def parse_tensor(buf):
    dims, dtype, raw, floats, int64s, int32s, name = [], 1, None, [], [], [], ""
    for num, wt, v in fields(buf):
        if num == 1:
            dims += _ints(wt, v)
        elif num == 2:
            dtype = v
        elif num == 4:
            floats += list(struct.unpack(f"<{len(v) // 4}f", v)) if wt == 2 else [struct.unpack("<f", v)[0]]
        elif num == 5:
            int32s += _ints(wt, v)
        elif num == 7:
            int64s += _ints(wt, v)
        elif num == 8:
            name = v.decode()
        elif num == 9:
            raw = bytes(v)
    np_type = ONNX_DTYPES[dtype]
    if raw is not None:
        arr = np.frombuffer(raw, dtype=np.dtype(np_type).newbyteorder("<")).astype(np_type)
    elif dtype == 1:
        arr = np.array(floats, np.float32)
    elif dtype == 7:
        arr = np.array(int64s, np.int64)
    else:
        arr = np.array(int32s, np_type)
    return name, arr.reshape(dims)


def parse_attribute(buf):
    name, value, ints, floats = "", None, [], []
    for num, wt, v in fields(buf):
        if num == 1:
            name = v.decode()
        elif num == 2:
            value = struct.unpack("<f", v)[0]
        elif num == 3:
            value = _signed(v)
        elif num == 4:
            value = bytes(v).decode()
        elif num == 5:
            value = parse_tensor(v)[1]
        elif num == 7:
            floats += list(struct.unpack(f"<{len(v) // 4}f", v)) if wt == 2 else [struct.unpack("<f", v)[0]]
        elif num == 8:
            ints += _ints(wt, v)
    if value is None:
        value = ints if ints else floats
    return name, value


def load(path):
    """Returns (nodes, constants, input names, output names, opset)."""
    with open(path, "rb") as f:
        data = f.read()
    graph, opset = None, 1
    for num, wt, v in fields(data):
        if num == 7:
            graph = v
        elif num == 8:
            domain, version = "", 1
            for n2, _, v2 in fields(v):
                if n2 == 1:
                    domain = bytes(v2).decode()
                elif n2 == 2:
                    version = v2
            if domain in ("", "ai.onnx"):
                opset = version
    nodes, consts, inputs, outputs = [], {}, [], []
    for num, wt, v in fields(graph):
        if num == 1:
            node = {"input": [], "output": [], "name": "", "op": "", "attr": {}}
            for n2, _, v2 in fields(v):
                if n2 == 1:
                    node["input"].append(bytes(v2).decode())
                elif n2 == 2:
                    node["output"].append(bytes(v2).decode())
                elif n2 == 3:
                    node["name"] = bytes(v2).decode()
                elif n2 == 4:
                    node["op"] = bytes(v2).decode()
                elif n2 == 5:
                    k, a = parse_attribute(v2)
                    node["attr"][k] = a
            nodes.append(node)
        elif num == 5:
            name, arr = parse_tensor(v)
            consts[name] = arr
        elif num in (11, 12):
            name = next(bytes(v2).decode() for n2, _, v2 in fields(v) if n2 == 1)
            (inputs if num == 11 else outputs).append(name)
    inputs = [i for i in inputs if i not in consts]
    return nodes, consts, inputs, outputs, opset


def _conv(x, w, b, a):
    n, c, h, wd = x.shape
    co, cig, kh, kw = w.shape
    g = a.get("group", 1)
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    ho = (h + pads[0] + pads[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + pads[1] + pads[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, co, ho, wo), np.float64)
    cog = co // g
    for gi in range(g):
        xs = xp[:, gi * cig:(gi + 1) * cig].astype(np.float64)
        ws = w[gi * cog:(gi + 1) * cog].astype(np.float64)
        for r in range(kh):
            for s in range(kw):
                patch = xs[:, :, r * dh:r * dh + sh * (ho - 1) + 1:sh, s * dw:s * dw + sw * (wo - 1) + 1:sw]
                out[:, gi * cog:(gi + 1) * cog] += np.einsum("nchw,oc->nohw", patch, ws[:, :, r, s])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out.astype(np.float32)


def _avgpool(x, a, is_max=False):
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    include = a.get("count_include_pad", 0)
    n, c, h, w = x.shape
    ho = (h + pads[0] + pads[2] - kh) // sh + 1
    wo = (w + pads[1] + pads[3] - kw) // sw + 1
    if a.get("ceil_mode", 0):
        ho = -(-(h + pads[0] + pads[2] - kh) // sh) + 1
        wo = -(-(w + pads[1] + pads[3] - kw) // sw) + 1
    out = np.zeros((n, c, ho, wo), np.float32)
    for i in range(ho):
        for j in range(wo):
            h0, w0 = i * sh - pads[0], j * sw - pads[1]
            h1, w1 = h0 + kh, w0 + kw
            win = x[:, :, max(h0, 0):min(h1, h), max(w0, 0):min(w1, w)]
            count = kh * kw if include else win.shape[2] * win.shape[3]
            out[:, :, i, j] = win.max(axis=(2, 3)) if is_max else win.sum(axis=(2, 3)) / count
    return out


def _softmax(x, axis, opset):
    if opset < 13:
        axis = axis % x.ndim
        shape = x.shape
        flat = x.reshape(int(np.prod(shape[:axis])), -1)
        e = np.exp(flat - flat.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).reshape(shape)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def run(model, feeds):
    nodes, consts, inputs, outputs, opset = model
    env = dict(consts)
    env.update(feeds)
    env[""] = None
    for nd in nodes:
        op, a = nd["op"], nd["attr"]
        x = [env[i] if i else None for i in nd["input"]]
        if op == "Constant":
            y = a["value"]
        elif op in ("Add", "Sub", "Mul", "Div", "Pow"):
            f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Pow": np.power}[op]
            y = f(x[0], x[1])
            if x[0].dtype == np.float32:
                y = y.astype(np.float32)
        elif op == "Sqrt":
            y = np.sqrt(x[0])
        elif op == "Relu":
            y = np.maximum(x[0], 0)
        elif op == "Sigmoid":
            y = (1 / (1 + np.exp(-x[0].astype(np.float64)))).astype(np.float32)
        elif op == "HardSigmoid":
            y = np.clip(a.get("alpha", 0.2) * x[0] + a.get("beta", 0.5), 0, 1).astype(np.float32)
        elif op == "Clip":
            if opset < 11:
                lo, hi = a.get("min", -np.inf), a.get("max", np.inf)
            else:
                lo = x[1] if len(x) > 1 and x[1] is not None else -np.inf
                hi = x[2] if len(x) > 2 and x[2] is not None else np.inf
            y = np.clip(x[0], lo, hi).astype(x[0].dtype)
        elif op == "Cast":
            y = x[0].astype(ONNX_DTYPES[a["to"]])
        elif op == "Conv":
            y = _conv(x[0], x[1], x[2] if len(x) > 2 else None, a)
        elif op == "BatchNormalization":
            s, b, m, v = x[1:5]
            eps = a.get("epsilon", 1e-5)
            sh = (1, -1) + (1,) * (x[0].ndim - 2)
            y = ((x[0] - m.reshape(sh)) / np.sqrt(v.reshape(sh) + eps) * s.reshape(sh) + b.reshape(sh)).astype(np.float32)
        elif op == "MatMul":
            y = np.matmul(x[0].astype(np.float64), x[1].astype(np.float64)).astype(np.float32)
        elif op == "Gemm":
            A = x[0].T if a.get("transA", 0) else x[0]
            B = x[1].T if a.get("transB", 0) else x[1]
            y = a.get("alpha", 1.0) * (A.astype(np.float64) @ B.astype(np.float64))
            if len(x) > 2 and x[2] is not None:
                y = y + a.get("beta", 1.0) * x[2]
            y = y.astype(np.float32)
        elif op == "Slice":
            if opset < 10:
                starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
            else:
                starts, ends = list(x[1]), list(x[2])
                axes = list(x[3]) if len(x) > 3 and x[3] is not None else None
                steps = list(x[4]) if len(x) > 4 and x[4] is not None else None
            axes = axes if axes is not None else list(range(len(starts)))
            steps = steps if steps is not None else [1] * len(starts)
            sl = [slice(None)] * x[0].ndim
            for s, e, ax, st in zip(starts, ends, axes, steps):
                dim = x[0].shape[ax]
                e = max(min(e, dim), -dim - 1)
                sl[ax] = slice(int(s), int(e), int(st))
            y = x[0][tuple(sl)]
        elif op == "ReduceMean":
            axes = a.get("axes")
            if axes is None and len(x) > 1 and x[1] is not None:
                axes = list(x[1])
            axes = tuple(axes) if axes is not None else None
            y = x[0].astype(np.float64).mean(axis=axes, keepdims=bool(a.get("keepdims", 1))).astype(np.float32)
        elif op == "Transpose":
            y = np.transpose(x[0], a.get("perm"))
        elif op == "Concat":
            y = np.concatenate(x, axis=a["axis"])
        elif op == "Squeeze":
            axes = a.get("axes")
            if axes is None and len(x) > 1 and x[1] is not None:
                axes = list(x[1])
            y = np.squeeze(x[0], axis=tuple(axes) if axes is not None else None)
        elif op == "Unsqueeze":
            axes = a.get("axes") if "axes" in a else list(x[1])
            y = x[0]
            for ax in sorted(ax % (x[0].ndim + len(axes)) for ax in axes):
                y = np.expand_dims(y, ax)
        elif op == "Reshape":
            shape = [int(d) for d in x[1]]
            shape = [x[0].shape[i] if d == 0 else d for i, d in enumerate(shape)]
            y = x[0].reshape(shape)
        elif op == "Shape":
            y = np.array(x[0].shape, np.int64)
        elif op == "Softmax":
            y = _softmax(x[0], a.get("axis", 1 if opset < 13 else -1), opset).astype(np.float32)
        elif op == "GlobalAveragePool":
            y = x[0].mean(axis=(2, 3), keepdims=True, dtype=np.float64).astype(np.float32)
        elif op == "AveragePool":
            y = _avgpool(x[0], a)
        elif op == "MaxPool":
            y = _avgpool(x[0], a, is_max=True)
        elif op == "Identity":
            y = x[0]
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = x[0].reshape(int(np.prod(x[0].shape[:ax])), -1)
        else:
            raise NotImplementedError(op)
        env[nd["output"][0]] = y
    return [env[o] for o in outputs]
