#!/usr/bin/python3
"""tasdsim import on the real models: the PP-OCRv4 rec ONNX file (weights in Constant nodes),
MediaPipe's sparse face detector (CSR float16 weights behind DENSIFY/DEQUANTIZE) and its
dense twin. Layer shapes, MACs, densities and the chosen series are checked independently
with NumPy; malformed files must give exit status 2, never a crash. Needs
scripts/fetch_realdata.sh; fails (not skips) without it."""
import itertools
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(__file__))
import onnx_numpy  # noqa: E402

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
REALDATA = os.path.join(ROOT, "realdata")
REC = os.path.join(REALDATA, "ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx")
SPARSE = os.path.join(REALDATA, "face_detection/face_detection_full_range_sparse.tflite")
DENSE = os.path.join(REALDATA, "face_detection/face_detection_full_range.tflite")


def run(*args):
    return subprocess.run([TASDSIM, *map(str, args)], capture_output=True, text=True, errors="replace", timeout=300)


def greedy(w, series):
    """Independent greedy TASD: per term, per block of m along K, the n largest |x| (ties to the
    lower index, zeros never kept); returns the kept part."""
    resid = w.astype(np.float64).copy()
    kept = np.zeros_like(resid)
    for n, m in series:
        rows, k = resid.shape
        pad = (-k) % m
        r = np.pad(resid, ((0, 0), (0, pad))).reshape(rows, -1, m)
        order = np.argsort(-np.abs(r), axis=2, kind="stable")[:, :, :n]
        mask = np.zeros_like(r, dtype=bool)
        np.put_along_axis(mask, order, True, axis=2)
        mask &= r != 0
        take = np.where(mask, r, 0).reshape(rows, -1)[:, :k]
        kept += take
        resid -= take
    return kept


def series_error(w, series):
    k = greedy(w, series)
    return np.linalg.norm(w - k) / np.linalg.norm(w)


def all_series(patterns, max_terms=3):
    out = set()
    for t in range(1, max_terms + 1):
        for combo in itertools.product(patterns, repeat=t):
            if sum(n / m for n, m in combo) < 1:
                out.add(combo)
    return out


def parse_series(text):
    return tuple(tuple(map(int, p.split(":"))) for p in text.split("+")) if text != "dense" else ()


class ImportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for p in (REC, SPARSE, DENSE):
            if not os.path.exists(p):
                raise AssertionError(f"{p} missing: run scripts/fetch_realdata.sh")
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def test_onnx_rec_workload(self):
        r = run("import", REC, "--input-shape", "1,3,48,64", "--out", self.path("w.yaml"), "--json", self.path("r.json"))
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.path("w.yaml")) as f:
            w = yaml.safe_load(f)["workload"]
        with open(self.path("r.json")) as f:
            j = json.load(f)
        layers = w["layers"]
        nodes, consts, _, _, _ = onnx_numpy.load(REC)
        convs = [n for n in nodes if n["op"] == "Conv"]
        matmuls = [n for n in nodes if n["op"] == "MatMul"]
        self.assertEqual(len(layers), len(convs) + len(matmuls))
        cst = {n["output"][0]: n["attr"]["value"] for n in nodes if n["op"] == "Constant"}
        for layer in layers:
            self.assertEqual(layer["macs"], layer["gemm"]["groups"] * layer["gemm"]["m"] * layer["gemm"]["n"] *
                             layer["gemm"]["k"])
            if layer["weights"]:
                shape = list(cst[layer["weights"]["tensor"]].shape)
                self.assertEqual(layer["weights"]["shape"], shape)
        self.assertEqual(w["total_macs"], sum(l["macs"] for l in layers))
        first = layers[0]
        self.assertEqual((first["gemm"]["m"], first["gemm"]["n"], first["gemm"]["k"]), (24 * 32, 16, 27))
        self.assertEqual(first["output_shape"], [1, 16, 24, 32])
        head = next(l for l in layers if l["gemm"]["n"] == 6625)
        self.assertEqual((head["op"], head["gemm"]["k"], head["weights"]["layout"]), ("MatMul", 120, "KN"))
        depthwise = layers[1]
        self.assertEqual((depthwise["gemm"]["groups"], depthwise["gemm"]["n"], depthwise["gemm"]["k"]), (16, 1, 9))
        self.assertEqual(depthwise["activation"], "hardswish")
        attention = [l for l in layers if not l["weights"]]
        self.assertEqual(len(attention), 4)  # Q*K^T and P*V of two SVTR blocks
        self.assertEqual(j["total_macs"], w["total_macs"])

        # The cheapest VEGETA-M8 series of one layer, checked against every cheaper candidate.
        idx = next(l["index"] for l in j["layers"] if l.get("best", {}).get("VEGETA-M8", {}).get("series", "dense")
                   != "dense")
        layer = layers[idx]
        wt = cst[layer["weights"]["tensor"]]
        lowered = wt.transpose(0, 2, 3, 1).reshape(wt.shape[0], -1)  # OIHW -> O x (H W I)
        best = j["layers"][idx]["best"]["VEGETA-M8"]
        chosen = parse_series(best["series"])
        self.assertLessEqual(series_error(lowered, chosen), 0.01)
        self.assertAlmostEqual(series_error(lowered, chosen), best["rel_error"], places=5)
        for s in all_series([(1, 8), (2, 8), (4, 8), (8, 8)]):
            if sum(n / m for n, m in s) < best["compute_fraction"] - 1e-12:
                self.assertGreater(series_error(lowered, s), 0.01, f"{s} is cheaper and within 1%")

    def test_sparse_face_detector(self):
        r = run("import", SPARSE, "--compare", DENSE, "--json", self.path("f.json"))
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.path("f.json")) as f:
            j = json.load(f)
        sparse = [l for l in j["layers"] if l.get("stored_sparse")]
        self.assertEqual(len(sparse), 46)
        self.assertEqual(j["sparse_stored"], {"tensors": 46, "values": 138776, "dense_elements": 462592})
        nnz = sum(l["weight_nonzeros"] for l in sparse)
        elements = sum(l["weight_elements"] for l in sparse)
        self.assertEqual(elements, 462592)
        self.assertAlmostEqual(nnz / elements, 0.30, places=2)  # 70% unstructured sparsity
        for l in sparse:
            self.assertEqual((l["op"], l["groups"]), ("Conv", 1))  # a 1x1 convolution in the graph
            self.assertEqual(l["weight_nonzeros"], l["stored_values"])  # densified = stored CSR entries
            self.assertLessEqual(l["best"]["VEGETA-M8"]["rel_error"], 0.01)
            self.assertLess(l["best"]["VEGETA-M8"]["compute_fraction"], 1.0)
        self.assertEqual(j["twin"]["twin_layers"], 89)
        self.assertEqual(j["twin"]["sparse_identical"], 0)  # a separately trained network, not a pruned copy
        r = run("import", DENSE, "--json", self.path("d.json"))
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.path("d.json")) as f:
            d = json.load(f)
        self.assertNotIn("sparse_stored", d)
        self.assertTrue(all(l["stored_type"] == "float16" for l in d["layers"]))

    def test_malformed_files_are_user_errors(self):
        rng = np.random.default_rng(3)
        for source, suffix in ((SPARSE, ".tflite"), (REC, ".onnx")):
            with open(source, "rb") as f:
                data = f.read()
            cases = [data[:n] for n in (0, 7, 8, 100, len(data) // 3, len(data) - 1)]
            for _ in range(12):
                b = bytearray(data)
                for pos in rng.integers(0, len(b), 8):
                    b[pos] = rng.integers(0, 256)
                cases.append(bytes(b))
            for k, case in enumerate(cases):
                p = self.path(f"bad{k}{suffix}")
                with open(p, "wb") as f:
                    f.write(case)
                r = run("import", p, "--input-shape", "1,3,48,64")
                self.assertIn(r.returncode, (0, 2), f"{source} case {k}: status {r.returncode}: {r.stderr[-300:]}")
                if r.returncode == 2:
                    self.assertTrue(r.stderr.startswith("tasdsim: error: "), r.stderr)
                    self.assertEqual(r.stderr.count("\n"), 1, r.stderr)

    def test_other_paddle_models(self):
        cls = os.path.join(REALDATA, "ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx")
        r = run("import", cls, "--input-shape", "1,3,48,192", "--json", self.path("c.json"))
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.path("c.json")) as f:
            j = json.load(f)
        self.assertEqual(j["layers"][-1]["op"], "MatMul")
        self.assertEqual(j["layers"][-1]["n"], 2)  # 0 or 180 degrees
        det = os.path.join(REALDATA, "ocr-models/assets/ch_PP-OCRv4_det_infer.onnx")
        r = run("import", det, "--input-shape", "1,3,64,64")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unsupported operator", r.stderr)  # the detector needs Resize/ConvTranspose

    def test_dynamic_input_needs_a_shape(self):
        r = run("import", REC)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--input-shape", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
