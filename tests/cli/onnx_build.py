"""A minimal ONNX (protobuf wire format) writer for test graphs: enough of ModelProto to
describe nodes, attributes, initializers and typed inputs/outputs. Independent of the C++
reader it tests."""
import struct

import numpy as np

NP_TO_ONNX = {np.float32: 1, np.int32: 6, np.int64: 7, np.float64: 11, np.float16: 10}


def _varint(v):
    if v < 0:
        v += 1 << 64
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return _varint((field << 3) | wire)


def _bytes(field, data):
    if isinstance(data, str):
        data = data.encode()
    return _key(field, 2) + _varint(len(data)) + data


def _int(field, v):
    return _key(field, 0) + _varint(int(v))


def _float(field, v):
    return _key(field, 5) + struct.pack("<f", v)


def tensor(name, arr):
    arr = np.asarray(arr)
    out = b"".join(_int(1, d) for d in arr.shape)
    out += _int(2, NP_TO_ONNX[arr.dtype.type]) + _bytes(8, name)
    out += _bytes(9, arr.astype(arr.dtype.newbyteorder("<")).tobytes())
    return out


def attribute(name, value):
    out = _bytes(1, name)
    if isinstance(value, float):
        return out + _float(2, value) + _int(20, 1)
    if isinstance(value, (bool, int, np.integer)):
        return out + _int(3, value) + _int(20, 2)
    if isinstance(value, str):
        return out + _bytes(4, value) + _int(20, 3)
    if isinstance(value, np.ndarray):
        return out + _bytes(5, tensor("", value)) + _int(20, 4)
    if all(isinstance(v, float) for v in value) and value:
        return out + b"".join(_float(7, v) for v in value) + _int(20, 6)
    return out + b"".join(_int(8, v) for v in value) + _int(20, 7)


def node(op, inputs, outputs, name=None, **attrs):
    out = b"".join(_bytes(1, i) for i in inputs) + b"".join(_bytes(2, o) for o in outputs)
    out += _bytes(3, name or outputs[0]) + _bytes(4, op)
    out += b"".join(_bytes(5, attribute(k, v)) for k, v in attrs.items())
    return out


def value_info(name, shape, elem_type=1):
    dims = b"".join(_bytes(1, _bytes(2, d) if isinstance(d, str) else _int(1, d)) for d in shape)
    tensor_type = _int(1, elem_type) + _bytes(2, dims)
    return _bytes(1, name) + _bytes(2, _bytes(1, tensor_type))


def model(nodes, inputs, outputs, initializers=None, opset=13):
    """inputs/outputs: lists of (name, shape); initializers: dict name -> array."""
    g = b"".join(_bytes(1, n) for n in nodes) + _bytes(2, "test")
    g += b"".join(_bytes(5, tensor(k, v)) for k, v in (initializers or {}).items())
    g += b"".join(_bytes(11, value_info(n, s)) for n, s in inputs)
    g += b"".join(_bytes(12, value_info(n, s)) for n, s in outputs)
    return _int(1, 7) + _bytes(2, "tasdsim-test") + _bytes(7, g) + _bytes(8, _bytes(1, "") + _int(2, opset))


def constant(name, arr):
    """A Constant node holding arr (as Paddle2ONNX stores weights)."""
    return node("Constant", [], [name], value=np.asarray(arr))
