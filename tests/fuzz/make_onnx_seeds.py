#!/usr/bin/python3
"""Writes the small ONNX seed graphs of the onnx fuzz target (tests/fuzz/seeds/onnx/): a conv
stack (grouped, depthwise, pointwise, padded), Gemm/MatMul with transposes and a reshape, and
element-wise and shape operators. Run again after changing the graphs; the outputs are
committed."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
import onnx_build as ob  # noqa: E402


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "onnx")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)

    def r(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    conv = ob.model(
        [ob.constant("w1", r(4, 1, 3, 3)),
         ob.node("Conv", ["x", "w1", "b1"], ["c1"], group=2, strides=[2, 2], pads=[1, 1, 1, 1]),
         ob.node("Relu", ["c1"], ["r1"]),
         ob.node("Conv", ["r1", "wdw"], ["c2"], group=4, pads=[1, 1, 1, 1]),
         ob.node("Conv", ["c2", "wpw"], ["c3"]),
         ob.node("GlobalAveragePool", ["c3"], ["p"])],
        [("x", [1, 2, 8, 8])], [("p", [])], {"b1": r(4), "wdw": r(4, 1, 3, 3), "wpw": r(6, 4, 1, 1)})
    gemm = ob.model(
        [ob.node("Gemm", ["a", "b", "c"], ["g1"], transB=1, alpha=0.5, beta=1.0),
         ob.node("Reshape", ["g1", "shape"], ["g2"]),
         ob.node("MatMul", ["g2", "w"], ["m1"]),
         ob.node("Softmax", ["m1"], ["s"], axis=-1)],
        [("a", [3, 8])], [("s", [])],
        {"b": r(4, 8), "c": r(4), "w": r(2, 5), "shape": np.array([6, 2], np.int64)})
    elementwise = ob.model(
        [ob.node("Add", ["x", "c"], ["e1"]), ob.node("Mul", ["e1", "c"], ["e2"]),
         ob.node("Sigmoid", ["e2"], ["e3"]), ob.node("Clip", ["e3"], ["e4"], min=0.1, max=0.9),
         ob.node("Transpose", ["e4"], ["t"], perm=[0, 2, 1]),
         ob.node("Shape", ["t"], ["sh"])],
        [("x", [2, 3, 4])], [("t", []), ("sh", [])], {"c": r(4)}, opset=11)
    for name, data in [("conv.onnx", conv), ("gemm.onnx", gemm), ("elementwise.onnx", elementwise)]:
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
