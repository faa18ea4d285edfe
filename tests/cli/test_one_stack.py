#!/usr/bin/python3
"""One network stack: real models and every shipped synthetic workload run on the simulated
accelerator through the graph executor (needs scripts/fetch_realdata.sh).

- tasdsim run takes the OCR ONNX model, the sparse face detector (TFLite), the YAML that
  tasdsim import writes and every configs/workloads file; per-layer stats carry the model's own
  layer names; every layer matches its reference; host layers are reported as such.
- The accelerator's outputs equal the host executor's under the same plan (--compare-executor)
  within a bound far below anything a prediction could notice, and the 1000-digit protocol's
  predictions are identical (a subset here; docs/ACCURACY.md has the full run).
- int8 end to end: scales calibrated on other digits, results requantised on the device and
  checked bit for bit against the independent integer reference.
- BERT-base-like workloads compute their layer norms: the last output's rows are normalised.
- Inputs from .npy, outputs to .npy, and clear errors for inputs that do not fit."""
import glob
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np
import yaml

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
REAL = os.path.join(ROOT, "realdata")
REC = os.path.join(REAL, "ocr-models", "assets", "ch_PP-OCRv4_rec_infer.onnx")
SPARSE = os.path.join(REAL, "face_detection", "face_detection_full_range_sparse.tflite")
ARCH = os.path.join(ROOT, "configs", "arch", "ttc_vegeta_m8.yaml")

# Outputs of the accelerator and of the host executor differ only in the order of fp32 sums:
# relative (Frobenius) difference of a network output at most this.
OUTPUT_BOUND = 1e-5


def run(*args, cwd=ROOT):
    return subprocess.run([TASDSIM, *map(str, args)], capture_output=True, text=True, timeout=900, cwd=cwd)


class OneStackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for f in (REC, SPARSE):
            if not os.path.isfile(f):
                raise AssertionError(f"{f} is missing: run scripts/fetch_realdata.sh")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def experiment(self, workload, plan="{series: dense}", dtype="fp32", extra=""):
        path = os.path.join(self.dir, f"exp{len(os.listdir(self.dir))}.yaml")
        with open(path, "w") as f:
            f.write(f"experiment:\n  name: t\n  arch: {ARCH}\n  workload: {workload}\n  plan: {plan}\n"
                    f"  dtype: {dtype}\n{extra}")
        return path

    def stats(self, out):
        with open(os.path.join(out, "stats.json")) as f:
            return json.load(f)

    def run_ok(self, *args):
        r = run("run", *args, "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def test_ocr_model_with_a_digit_and_the_executor_agreeing(self):
        exp = self.experiment(REC, '{series: "4:8+2:8+1:8", operand: W}',
                              extra="  input_shape: [1, 3, 48, 64]\n  input: {digit: 7, index: 3}\n")
        out = os.path.join(self.dir, "ocr")
        r = self.run_ok(exp, "--out", out, "--compare-executor", "--save-outputs")
        s = self.stats(out)
        self.assertEqual(len(s["layers"]), 51)  # every Conv/Gemm/MatMul, with the host operators that follow
        self.assertTrue(all(l["on_accelerator"] for l in s["layers"]))
        self.assertIn("p2o.Conv.0", [l["name"] for l in s["layers"]])
        self.assertTrue(s["status"]["checks_passed"])
        self.assertEqual(s["experiment"]["input"], "digit 7 #3 (digit protocol)")
        # Constant-weight layers are TASD-W; attention's activation products stay dense.
        matmuls = [l for l in s["layers"] if l["op"] == "MatMul"]
        self.assertTrue(any(l["series"] == "4:8+2:8+1:8" for l in matmuls))
        (agree,) = s["executor_agreement"]
        self.assertLess(agree["relative_difference"], OUTPUT_BOUND)
        self.assertIn("host executor, same plan", r.stdout)
        probs = np.load(os.path.join(out, "outputs", "softmax_11.tmp_0.npy"))
        self.assertEqual(probs.shape, (1, 8, 6625))
        np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-5)  # the executor's softmax ran on host
        with open(os.path.join(out, "wall_clock.json")) as f:
            wall = json.load(f)
        self.assertEqual(len(wall["layers"]), 51)
        self.assertGreater(wall["host_operators_seconds"], 0)

    def test_shipped_real_model_experiment(self):
        out = os.path.join(self.dir, "shipped")
        self.run_ok(os.path.join(ROOT, "configs", "experiments", "ocr_rec_ttc_vegeta_m8.yaml"), "--out", out,
                    "--compare-executor")
        s = self.stats(out)
        self.assertEqual(sum(l["series"] != "dense" for l in s["layers"]), 32)  # as docs/ACCURACY.md
        self.assertLess(s["executor_agreement"][0]["relative_difference"], OUTPUT_BOUND)

    def test_sparse_face_detector_tflite(self):
        exp = self.experiment(SPARSE, '{series: "4:8+1:8", operand: W}')
        out = os.path.join(self.dir, "face")
        self.run_ok(exp, "--out", out, "--compare-executor")
        s = self.stats(out)
        gemm = [l for l in s["layers"] if l["on_accelerator"]]
        self.assertEqual(len(gemm), 91)  # its CONV_2D and DEPTHWISE_CONV_2D operators
        self.assertTrue(s["status"]["checks_passed"])
        depthwise = [l for l in gemm if l["groups"] > 1]
        self.assertTrue(depthwise and all(l["gemm"]["n"] == 1 for l in depthwise))
        for a in s["executor_agreement"]:
            self.assertLess(a["relative_difference"], OUTPUT_BOUND, a)
        # Timing only gives the same cycles (timing does not depend on values).
        out2 = os.path.join(self.dir, "face-timing")
        self.run_ok(exp, "--out", out2, "--timing-only")
        self.assertEqual(self.stats(out2)["network"]["cycles"], s["network"]["cycles"])

    def test_imported_yaml_runs_and_refuses_a_changed_model(self):
        imported = os.path.join(self.dir, "rec.yaml")
        r = run("import", REC, "--input-shape", "1,3,48,64", "--out", imported)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = os.path.join(self.dir, "imported")
        self.run_ok(self.experiment(imported), "--out", out, "--timing-only")
        s = self.stats(out)
        self.assertEqual(s["experiment"]["workload"], "ch_PP-OCRv4_rec_infer")
        self.assertEqual(s["network"]["macs_dense"], 140486208)
        with open(imported) as f:
            y = yaml.safe_load(f)
        y["workload"]["total_macs"] += 1
        with open(imported, "w") as f:
            yaml.safe_dump(y, f)
        r = run("run", self.experiment(imported), "--out", os.path.join(self.dir, "bad"), "--timing-only", "-q")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("the model changed since the import", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "bad")))

    def test_every_shipped_synthetic_workload_runs_with_values(self):
        for path in sorted(glob.glob(os.path.join(ROOT, "configs", "workloads", "*.yaml"))):
            name = os.path.basename(path)[:-5]
            with self.subTest(workload=name):
                out = os.path.join(self.dir, name)
                self.run_ok(self.experiment(path, '{series: "4:8+1:8", operand: W}'), "--out", out)
                s = self.stats(out)
                self.assertTrue(s["status"]["checks_passed"])
                self.assertTrue(s["experiment"]["input"].startswith("synthetic (seed "), s["experiment"]["input"])

    def test_bert_like_encoder_computes_its_layer_norms(self):
        # Two BERT layers at a small size, as scripts/gen_workloads.py writes BERT-base.
        layers = []
        x = "input"
        for i in range(2):
            p = f"enc{i}"
            layers += [f"{{name: {p}.q, op: gemm, input: {x}, out_features: 64}}",
                       f"{{name: {p}.k, op: gemm, input: {x}, out_features: 64}}",
                       f"{{name: {p}.v, op: gemm, input: {x}, out_features: 64}}",
                       f"{{name: {p}.scores, op: matmul, input: {p}.q, input2: {p}.k, n: 16, groups: 4, "
                       f"transpose_b: true, scale: 0.25, act: softmax}}",
                       f"{{name: {p}.context, op: matmul, input: {p}.scores, input2: {p}.v, n: 16, groups: 4, "
                       f"transpose_b: false}}",
                       f"{{name: {p}.attn_out, op: gemm, input: {p}.context, out_features: 64}}",
                       f"{{name: {p}.attn_res, op: add, input: {p}.attn_out, input2: {x}}}",
                       f"{{name: {p}.ln1, op: layernorm, input: {p}.attn_res}}",
                       f"{{name: {p}.ffn1, op: gemm, input: {p}.ln1, out_features: 128, act: gelu}}",
                       f"{{name: {p}.ffn2, op: gemm, input: {p}.ffn1, out_features: 64}}",
                       f"{{name: {p}.ffn_res, op: add, input: {p}.ffn2, input2: {p}.ln1}}",
                       f"{{name: {p}.ln2, op: layernorm, input: {p}.ffn_res}}"]
            x = f"{p}.ln2"
        wl = os.path.join(self.dir, "bert_small.yaml")
        with open(wl, "w") as f:
            f.write("workload:\n  name: bert_small\n  input: {n: 16, h: 1, w: 1, c: 64}\n  layers:\n" +
                    "".join(f"    - {l}\n" for l in layers))
        out = os.path.join(self.dir, "bert")
        self.run_ok(self.experiment(wl, '{series: "4:8+2:8", operand: A}'), "--out", out, "--save-outputs",
                    "--compare-executor")
        s = self.stats(out)
        ops = {l["name"]: (l["op"], l["on_accelerator"]) for l in s["layers"]}
        self.assertEqual(ops["enc0.ln1"], ("layernorm", False))
        self.assertEqual(ops["enc0.attn_res"], ("add", False))
        self.assertEqual(ops["enc1.scores"], ("matmul", True))
        y = np.load(os.path.join(out, "outputs", "enc1.ln2.npy")).reshape(16, 64)
        np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-5)
        np.testing.assert_allclose(y.std(axis=1), 1, rtol=1e-3)
        for a in s["executor_agreement"]:
            self.assertLess(a["relative_difference"], OUTPUT_BOUND, a)

    def test_npy_inputs_and_errors(self):
        wl = os.path.join(ROOT, "configs", "workloads", "tiny_cnn.yaml")
        exp = self.experiment(wl)
        x = np.random.default_rng(5).standard_normal((1, 12, 12, 16)).astype(np.float32)
        np.save(os.path.join(self.dir, "x.npy"), x)
        outs = []
        for name, extra in (("a", ["--input", os.path.join(self.dir, "x.npy")]), ("b", [])):
            out = os.path.join(self.dir, name)
            self.run_ok(exp, "--out", out, "--save-outputs", *extra)
            outs.append(np.load(os.path.join(out, "outputs", "fc.npy")))
        self.assertEqual(outs[0].shape, (1, 1, 1, 10))
        self.assertFalse(np.allclose(outs[0], outs[1]))  # the input made a difference
        np.save(os.path.join(self.dir, "bad.npy"), x[:, :6])
        r = run("run", exp, "--out", os.path.join(self.dir, "bad"), "--input", os.path.join(self.dir, "bad.npy"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("does not match the input of workload 'tiny_cnn'", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "bad")))
        r = run("run", self.experiment(REC), "--out", os.path.join(self.dir, "bad"), "--set", "workload.seed=3")
        self.assertEqual(r.returncode, 2)
        self.assertIn("has no workload keys", r.stderr)


class FaceDetectorStudyTest(unittest.TestCase):
    def test_script_pairs_the_twin_and_reports_consistent_ratios(self):
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "face_detector.py"), "--tasdsim",
                                TASDSIM, "--out", d], capture_output=True, text=True, timeout=900)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(d, "face_detector.json")) as f:
                j = json.load(f)
            with open(os.path.join(d, "runs", "sparse_ttc_vegeta_m8", "stats.json")) as f:
                stats = json.load(f)
        self.assertEqual(j["pruned_layers"], 46)
        m8 = j["engines"][0]
        self.assertEqual(m8["engine"], "TTC-VEGETA-M8")
        self.assertEqual(m8["structured_layers"], 46)  # VEGETA-M8 covers every pruned layer within 1%
        self.assertTrue(m8["checks_passed"])
        self.assertEqual(m8["plan"]["cycles"], stats["network"]["cycles"])
        self.assertLess(m8["plan"]["mac_ops"], m8["twin_on_dense_tc"]["mac_ops"])
        for a in m8["executor_agreement"]:
            self.assertLess(a["relative_difference"], OUTPUT_BOUND)
        self.assertGreater(m8["paired_layers"], 40)
        self.assertIn("| TTC-VEGETA-M8 | 46 |", r.stdout)


class AcceleratorAccuracyTest(unittest.TestCase):
    def test_digits_on_the_accelerator_equal_the_executor(self):
        with tempfile.TemporaryDirectory() as d:
            j = os.path.join(d, "acc.json")
            r = run("accuracy", "--arch", ARCH, "--w-series", "4:8+2:8+1:8", "--per-class", 3, "--compare-executor",
                    "--json", j)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(j) as f:
                acc = json.load(f)
        a = acc["accelerator"]
        self.assertEqual(acc["images"], 30)
        self.assertEqual(a["executor_agreement"]["identical_predictions"], 30)
        self.assertLess(a["executor_agreement"]["max_abs_score_difference"], 1e-4)
        self.assertEqual(a["images_matching_reference"], 30)
        self.assertEqual(len(a["cycles"]), 30)
        self.assertEqual(len(set(a["cycles"])), 1)  # timing does not depend on the digit
        self.assertAlmostEqual(a["total"]["cycles"], 30 * a["cycles"][0])
        self.assertGreater(acc["mean_rel_weight_error"], 0.0)

    def test_int8_on_the_accelerator_is_bit_exact_with_its_reference(self):
        with tempfile.TemporaryDirectory() as d:
            j = os.path.join(d, "acc.json")
            r = run("accuracy", "--arch", ARCH, "--dtype", "int8", "--per-class", 2, "--calibration", 2,
                    "--json", j)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(j) as f:
                acc = json.load(f)
        self.assertEqual(acc["accelerator"]["images_matching_reference"], 20)
        self.assertEqual(acc["accelerator"]["dtype"], "int8")
        self.assertGreaterEqual(acc["accuracy"], 0.5)  # the int8 model still reads digits

    def test_device_options_need_an_arch(self):
        r = run("accuracy", "--compare-executor", "--per-class", 1)
        self.assertEqual(r.returncode, 2)
        self.assertIn("need --arch", r.stderr)


if __name__ == "__main__":
    unittest.main()
