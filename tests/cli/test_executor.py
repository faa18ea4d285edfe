#!/usr/bin/python3
"""The reference executor against an independent NumPy implementation (onnx_numpy.py) of
the ONNX operators: small graphs written by onnx_build.py cover each operator's attributes,
broadcasting and opset differences, then the real PP-OCRv4 rec model on a few MNIST digits.

Tolerance: |executor - numpy| <= 1e-5 + 1e-4 * |numpy| element-wise for the small graphs (the
NumPy reference accumulates convolutions and matrix products in float64, the executor in
float32 through OpenBLAS); for the real model's softmax output, max |difference| <= 1e-4.
The real-model test needs scripts/fetch_realdata.sh and fails (not skips) without it."""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import onnx_build as ob  # noqa: E402
import onnx_numpy  # noqa: E402

ONNX_RUN = os.environ["ONNX_RUN"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
REALDATA = os.path.join(ROOT, "realdata")
REC = os.path.join(REALDATA, "ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx")
DIGITS = os.path.join(REALDATA, "mnist/src/digits")


class ExecutorTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.rng = np.random.default_rng(7)

    def tearDown(self):
        self.tmp.cleanup()

    def run_cpp(self, path, feeds):
        args = [ONNX_RUN, path, os.path.join(self.tmp.name, "out")]
        for k, x in enumerate(feeds):
            p = os.path.join(self.tmp.name, f"in{k}.npy")
            np.save(p, x.astype(np.float32))
            args.append(p)
        r = subprocess.run(args, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        outs, k = [], 0
        while os.path.exists(os.path.join(self.tmp.name, f"out{k}.npy")):
            outs.append(np.load(os.path.join(self.tmp.name, f"out{k}.npy")))
            k += 1
        return outs, r

    def check(self, data, feeds):
        path = os.path.join(self.tmp.name, "m.onnx")
        with open(path, "wb") as f:
            f.write(data)
        m = onnx_numpy.load(path)
        ref = onnx_numpy.run(m, dict(zip(m[2], feeds)))
        got, _ = self.run_cpp(path, feeds)
        self.assertEqual(len(got), len(ref))
        for g, r in zip(got, ref):
            r = np.asarray(r, np.float64)
            self.assertEqual(g.shape, r.shape)
            np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-5)
        return got

    def randn(self, *shape):
        return self.rng.standard_normal(shape).astype(np.float32)

    def test_convolutions(self):
        x = self.randn(2, 4, 9, 11)
        w_grouped = self.randn(6, 2, 3, 3)
        w_dw = self.randn(6, 1, 3, 3)
        w_pw = self.randn(5, 6, 1, 1)
        w_row = self.randn(3, 5, 1, 3)
        b6 = self.randn(6)
        nodes = [
            ob.constant("wg", w_grouped), ob.constant("b6", b6),
            ob.node("Conv", ["x", "wg", "b6"], ["c1"], group=2, strides=[2, 1], pads=[1, 0, 2, 1],
                    dilations=[1, 2], kernel_shape=[3, 3]),
            ob.node("Conv", ["c1", "wdw"], ["c2"], group=6, pads=[1, 1, 1, 1]),
            ob.node("Conv", ["c2", "wpw"], ["c3"]),
            ob.node("Conv", ["c3", "wrow"], ["c4"], pads=[0, 1, 0, 1]),
        ]
        self.check(ob.model(nodes, [("x", [2, 4, 9, 11])], [("c4", [])], {"wdw": w_dw, "wpw": w_pw, "wrow": w_row}),
                   [x])

    def test_gemm_and_matmul(self):
        a = self.randn(5, 4)          # transA: A^T is 4 x 5
        b = self.randn(6, 5)          # transB: B^T is 5 x 6
        sq = self.randn(6, 6)         # transB = 0, square: must not be taken as N x K
        c = self.randn(6)
        w = self.randn(6, 3)
        nodes = [
            ob.node("Gemm", ["a", "b", "c"], ["g1"], transA=1, transB=1, alpha=0.5, beta=2.0),
            ob.node("Gemm", ["g1", "sq"], ["g2"]),
            ob.node("Reshape", ["g2", "shape"], ["g3"]),
            ob.node("MatMul", ["g3", "w"], ["m1"]),
            ob.node("MatMul", ["q", "k"], ["m2"]),
            ob.node("MatMul", ["q", "kb"], ["m3"]),
        ]
        inits = {"b": b, "sq": sq, "c": c, "w": w, "shape": np.array([2, 2, 6], np.int64)}
        q, k, kb = self.randn(2, 3, 4, 5), self.randn(2, 3, 5, 6), self.randn(1, 3, 5, 2)
        self.check(ob.model(nodes, [("a", [5, 4]), ("q", [2, 3, 4, 5]), ("k", [2, 3, 5, 6]), ("kb", [1, 3, 5, 2])],
                            [("m1", []), ("m2", []), ("m3", [])], inits), [a, q, k, kb])

    def test_elementwise_broadcasting_opset9(self):
        x = self.randn(2, 3, 4, 5)
        nodes = [
            ob.node("Add", ["x", "c3"], ["e1"]), ob.node("Mul", ["e1", "c5"], ["e2"]),
            ob.node("Sub", ["s", "e2"], ["e3"]), ob.node("Div", ["e3", "c4"], ["e4"]),
            ob.node("Pow", ["e4", "two"], ["e5"]), ob.node("Add", ["e5", "one"], ["e6"]),
            ob.node("Sqrt", ["e6"], ["e7"]), ob.node("Clip", ["e4"], ["e8"], min=-0.5, max=0.75),
            ob.node("HardSigmoid", ["e4"], ["e9"], alpha=0.3),
            ob.node("Sigmoid", ["e4"], ["e10"]), ob.node("Relu", ["e4"], ["e11"]),
            ob.node("Pow", ["e6", "half"], ["e12"]),
        ]
        inits = {"c3": self.randn(3, 1, 1), "c5": self.randn(5), "s": self.randn(1), "c4": self.randn(4, 1) + 3,
                 "two": np.array(2.0, np.float32), "one": np.array([1.0], np.float32),
                 "half": np.array(0.5, np.float32)}
        outs = [(n, []) for n in ["e7", "e8", "e9", "e10", "e11", "e12"]]
        self.check(ob.model(nodes, [("x", [2, 3, 4, 5])], outs, inits, opset=9), [x])

    def test_shape_ops_opset9(self):
        x = self.randn(2, 6, 4, 3)
        nodes = [
            ob.node("Shape", ["x"], ["s"]), ob.node("Cast", ["s"], ["s32"], to=6),
            ob.node("Slice", ["s32"], ["s1"], axes=[0], starts=[0], ends=[2]),
            ob.node("Cast", ["s1"], ["s64"], to=7),
            ob.node("Concat", ["s64", "minus1"], ["shape"], axis=0),
            ob.node("Reshape", ["x", "shape"], ["r"]),
            ob.node("Transpose", ["r"], ["t"], perm=[0, 2, 1]),
            ob.node("ReduceMean", ["t"], ["mean"], axes=[-1]),
            ob.node("Sub", ["t", "mean"], ["d"]),
            ob.node("ReduceMean", ["x"], ["rm2"], axes=[1, 3], keepdims=0),
            ob.node("Softmax", ["x"], ["sm"], axis=2),
            ob.node("Slice", ["x"], ["sl"], axes=[1, 3], starts=[1, -2], ends=[100, 3]),
            ob.node("Squeeze", ["sq_in"], ["sq"], axes=[2]),
            ob.node("Concat", ["x", "x"], ["cat"], axis=1),
            ob.node("GlobalAveragePool", ["x"], ["gap"]),
            ob.node("AveragePool", ["x8"], ["ap"], kernel_shape=[3, 2], strides=[2, 2], pads=[0, 1, 0, 0],
                    count_include_pad=0, ceil_mode=1),
            ob.node("AveragePool", ["x8"], ["ap2"], kernel_shape=[3, 2], strides=[3, 2], pads=[1, 1, 1, 1],
                    count_include_pad=1),
            ob.node("BatchNormalization", ["x", "bs", "bb", "bm", "bv"], ["bn"], epsilon=1e-3),
            ob.node("MaxPool", ["x8"], ["mp"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        ]
        inits = {"minus1": np.array([-1], np.int64), "bs": self.randn(6), "bb": self.randn(6), "bm": self.randn(6),
                 "bv": np.abs(self.randn(6)) + 0.1}
        outs = [(n, []) for n in ["d", "rm2", "sm", "sl", "sq", "cat", "gap", "ap", "ap2", "bn", "mp"]]
        self.check(ob.model(nodes, [("x", [2, 6, 4, 3]), ("sq_in", [2, 3, 1, 4]), ("x8", [1, 2, 8, 9])], outs, inits,
                            opset=9), [x, self.randn(2, 3, 1, 4), self.randn(1, 2, 8, 9)])

    def test_opset13_forms(self):
        x = self.randn(2, 5, 4, 3)
        nodes = [
            ob.node("Slice", ["x", "st", "en", "ax", "steps"], ["sl"]),
            ob.node("Clip", ["x", "lo", "hi"], ["cl"]),
            ob.node("Clip", ["x", "", "hi"], ["cl2"]),
            ob.node("Unsqueeze", ["x", "uax"], ["u"]),
            ob.node("Squeeze", ["u", "sax"], ["sq"]),
            ob.node("Softmax", ["x"], ["sm"], axis=1),
            ob.node("Flatten", ["x"], ["fl"], axis=2),
            ob.node("Identity", ["x"], ["id"]),
        ]
        inits = {"st": np.array([4, 0], np.int64), "en": np.array([-100, 3], np.int64),
                 "ax": np.array([1, -1], np.int64), "steps": np.array([-2, 2], np.int64),
                 "lo": np.array(-0.25, np.float32), "hi": np.array(0.5, np.float32),
                 "uax": np.array([0, -1], np.int64), "sax": np.array([0], np.int64)}
        outs = [(n, []) for n in ["sl", "cl", "cl2", "sq", "sm", "fl", "id"]]
        self.check(ob.model(nodes, [("x", [2, 5, 4, 3])], outs, inits, opset=13), [x])

    def test_unsupported_operator_is_a_clear_error(self):
        path = os.path.join(self.tmp.name, "bad.onnx")
        with open(path, "wb") as f:
            f.write(ob.model([ob.node("Einsum", ["x", "x"], ["y"], name="my_einsum")], [("x", [2])], [("y", [2])]))
        r = subprocess.run([ONNX_RUN, path, os.path.join(self.tmp.name, "o"), self.save(self.randn(2))],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unsupported operator 'Einsum' (node 'my_einsum')", r.stderr)

    def test_truncated_model_is_a_clear_error(self):
        data = ob.model([ob.node("Relu", ["x"], ["y"])], [("x", [2])], [("y", [2])])
        for cut in range(1, len(data), 7):
            path = os.path.join(self.tmp.name, "cut.onnx")
            with open(path, "wb") as f:
                f.write(data[:cut])
            r = subprocess.run([ONNX_RUN, path, os.path.join(self.tmp.name, "o"), self.save(self.randn(2))],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, f"cut at {cut}: {r.stderr}")
            self.assertIn("cut.onnx", r.stderr)

    def save(self, x):
        p = os.path.join(self.tmp.name, "x.npy")
        np.save(p, x)
        return p

    def test_real_model_matches_numpy_reference(self):
        self.assertTrue(os.path.exists(REC), f"{REC} missing: run scripts/fetch_realdata.sh")
        m = onnx_numpy.load(REC)
        with open(os.path.join(DIGITS, "3.json")) as f:
            text = f.read()
        values = np.array(text[text.index("[") + 1:text.rindex("]")].split(","), np.float32)
        for d in range(3):
            img = values[d * 784:(d + 1) * 784].reshape(28, 28)
            idx = np.arange(40) * 28 // 40
            canvas = np.ones((48, 64), np.float32)
            canvas[4:44, 12:52] = 1 - img[idx][:, idx]
            x = np.repeat(((canvas - 0.5) / 0.5)[None, None], 3, axis=1)
            ref = onnx_numpy.run(m, {"x": x})[0]
            got, _ = self.run_cpp(REC, [x])
            self.assertEqual(got[0].shape, (1, 8, 6625))
            diff = np.abs(got[0] - ref).max()
            self.assertLess(diff, 1e-4, f"digit {d}: max |diff| {diff}")
            self.assertEqual(got[0].argmax(axis=-1).tolist(), ref.argmax(axis=-1).tolist())


if __name__ == "__main__":
    unittest.main(verbosity=2)
