#!/usr/bin/python3
"""tasdsim search-model on any classifier with labelled .npy data (docs/tasder.md): the small
version of scripts/fashion_mnist.py (a tiny ResNet trained on a few hundred Fashion-MNIST images,
pruned to 90% with fine-tuning, exported as ONNX) searched on separate search and test splits.
The original accuracy must be PyTorch's on the same examples, the plan must meet its target on
the search split, its test-split accuracy must be what the Python module's executor measures
with the plan, and bad data must be refused with one line and no output."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import yaml

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
SEARCH, TEST, CALIB = (0, 150), (150, 300), (300, 340)


def run(*args):
    return subprocess.run([TASDSIM, *map(str, args)], capture_output=True, text=True, timeout=900, cwd=ROOT)


def split(r):
    return f"{r[0]}:{r[1]}"


class SearchLabelledTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        t = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "fashion_mnist.py"), "--small", "--out",
                            os.path.join(cls.tmp.name, "fm")], capture_output=True, text=True, timeout=600)
        if t.returncode != 0:
            raise AssertionError(t.stderr)
        cls.data = t.stdout.strip().splitlines()[-1]
        cls.model = os.path.join(cls.data, "pruned90.onnx")
        cls.inputs = os.path.join(cls.data, "test_inputs.npy")
        cls.labels = os.path.join(cls.data, "test_labels.npy")
        cls.out = os.path.join(cls.tmp.name, "search")
        cls.result = run("search-model", "--arch", "configs/arch/stc.yaml", "--model", cls.model, "--inputs", cls.inputs,
                         "--labels", cls.labels, "--search-split", split(SEARCH), "--test-split", split(TEST),
                         "--calibration-split", split(CALIB), "--probe-examples", 5, "--target", 0.9, "--threads", 2,
                         "--out", cls.out)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def summary(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        with open(os.path.join(self.out, "search.json")) as f:
            return json.load(f)

    def test_training_is_reproducible_and_pruned(self):
        with open(os.path.join(self.data, "models.json")) as f:
            models = json.load(f)["models"]
        self.assertAlmostEqual(models["pruned90"]["sparsity"], 0.9, delta=0.005)
        self.assertAlmostEqual(models["pruned70"]["sparsity"], 0.7, delta=0.005)
        again = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "fashion_mnist.py"), "--small", "--out",
                                os.path.join(self.tmp.name, "fm2")], capture_output=True, text=True, timeout=600)
        self.assertEqual(again.returncode, 0, again.stderr)
        other = again.stdout.strip().splitlines()[-1]
        self.assertEqual(os.path.basename(other), os.path.basename(self.data))  # same settings, same key
        for name in ("pruned90.onnx", "test_inputs.npy", "test_labels.npy"):
            with open(os.path.join(self.data, name), "rb") as a, open(os.path.join(other, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)
        # Cached: a second run in the same folder does not train again.
        cached = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "fashion_mnist.py"), "--small", "--out",
                                 os.path.join(self.tmp.name, "fm")], capture_output=True, text=True, timeout=600)
        self.assertEqual(cached.stdout.strip(), self.data)
        self.assertEqual(cached.stderr, "")

    def test_outputs_and_splits(self):
        s = self.summary()
        for name in ("plan.yaml", "search.json", "summary.txt", "experiment.yaml"):
            self.assertTrue(os.path.isfile(os.path.join(self.out, name)), name)
        self.assertEqual(s["arch"], "STC")
        self.assertEqual(s["data"]["search_split"], list(SEARCH))
        self.assertEqual(s["data"]["test_split"], list(TEST))
        self.assertEqual(s["data"]["calibration_split"], list(CALIB))
        self.assertEqual(s["data"]["classes"], 10)
        # Every Conv and Gemm of the ResNet: stem, 2 per block, 2 projections, the classifier.
        self.assertEqual(len(s["layers"]), 10)
        self.assertIn("accuracy check 1:", self.result.stderr)

    def test_original_accuracy_is_pytorchs(self):
        s = self.summary()
        labels = np.load(self.labels)
        torch_pred = np.load(os.path.join(self.data, "pruned90_predictions.npy"))
        for key, r in (("original", SEARCH), ("holdout_original", TEST)):
            expected = float((torch_pred[r[0]:r[1]] == labels[r[0]:r[1]]).mean())
            # The executor and PyTorch may break a near-tie differently on one example.
            self.assertAlmostEqual(s["accuracy"][key], expected, delta=1.5 / (r[1] - r[0]), msg=key)

    def test_plan_meets_the_target_and_its_test_accuracy_is_measured(self):
        s = self.summary()
        acc = s["accuracy"]
        self.assertGreaterEqual(acc["plan"], 0.9 * acc["original"])
        self.assertGreater(s["mac_reduction"], 0)  # the 90%-sparse model has layers to structure
        import tasdsim
        x = np.load(self.inputs)
        labels = np.load(self.labels)
        plan = os.path.join(self.out, "plan.yaml")
        correct = 0
        for i in range(*TEST):
            out = tasdsim.run_model(self.model, x[i:i + 1], plan=plan)
            correct += int(np.argmax(next(iter(out.values()))) == labels[i])
        self.assertAlmostEqual(acc["holdout_plan"], correct / (TEST[1] - TEST[0]), places=9)

    def test_plan_matches_the_summary_and_baselines_are_at_its_compute(self):
        s = self.summary()
        with open(os.path.join(self.out, "plan.yaml")) as f:
            plan = yaml.safe_load(f)["plan"]
        by_name = {l["layer"]: l for l in plan["layers"]}
        macs = chosen = 0
        for l in s["layers"]:
            p = by_name[l["name"]]
            self.assertEqual(p["series"], l["series"])
            self.assertEqual(p["operand"], "W")  # STC has no TASD units
            frac = 1.0 if p["series"] == "dense" else 0.5 * p["series"].count("2:4")
            macs += l["macs"]
            chosen += frac * l["macs"]
        self.assertAlmostEqual(s["mac_reduction"], 1 - chosen / macs, places=9)
        b = s["baselines"]
        self.assertAlmostEqual(b["magnitude_pruning"]["mac_fraction"], chosen / macs, places=9)
        self.assertGreaterEqual(b["uniform_w"]["mac_fraction"], chosen / macs - 1e-9)
        self.assertGreaterEqual(b["nm_pruning"]["mac_fraction"], chosen / macs - 1e-9)
        if b["nm_pruning"]["series"] != "dense":
            n, m = map(int, b["nm_pruning"]["series"].split(":"))
            self.assertEqual(m, 4)
            self.assertLess((n - 1) / m, chosen / macs + 1e-9)  # the smallest N at the plan's compute

    def test_plan_runs_on_the_simulator_with_the_edp_it_reported(self):
        s = self.summary()
        out = os.path.join(self.tmp.name, "run")
        r = run("run", os.path.join(self.out, "experiment.yaml"), "--out", out, "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "stats.json")) as f:
            stats = json.load(f)
        planned = {l["name"]: l["series"] for l in s["layers"]}
        self.assertEqual(len(stats["layers"]), len(planned))
        for l in stats["layers"]:
            self.assertEqual(l["series"], planned[l["name"]], l["name"])
        self.assertEqual(stats["network"]["cycles"], s["simulated"]["plan"]["cycles"])

    def test_python_module_finds_the_same_plan(self):
        s = self.summary()
        import tasdsim
        x, y = np.load(self.inputs), np.load(self.labels)
        r = tasdsim.search_model(self.model, x, y, os.path.join(ROOT, "configs", "arch", "stc.yaml"), SEARCH, TEST,
                                 CALIB, probe=5, target=0.9, threads=2,
                                 dense_arch=os.path.join(ROOT, "configs", "arch", "dense_tc.yaml"))
        with open(os.path.join(self.out, "plan.yaml")) as f:
            self.assertEqual(yaml.safe_load(r["plan"]), yaml.safe_load(f.read()))
        self.assertEqual(r["search"]["accuracy"], s["accuracy"])
        self.assertEqual(r["search"]["layers"], s["layers"])
        with self.assertRaises(tasdsim.UserError):
            tasdsim.search_model(self.model, x, y[:5], os.path.join(ROOT, "configs", "arch", "stc.yaml"), SEARCH, TEST)

    def test_bad_data(self):
        bad = os.path.join(self.tmp.name, "baddata")
        os.makedirs(bad, exist_ok=True)
        x = np.load(self.inputs)
        y = np.load(self.labels)

        def save(name, a):
            path = os.path.join(bad, name)
            np.save(path, a)
            return path

        short = save("short_labels.npy", y[:10])
        high = y.copy()
        high[200] = 10
        high = save("high_labels.npy", high)
        neg = y.copy()
        neg[3] = -1
        neg = save("neg_labels.npy", neg)
        flabels = save("float_labels.npy", y.astype(np.float32))
        labels2d = save("labels2d.npy", y.reshape(-1, 1))
        wrong_shape = save("wrong_inputs.npy", np.zeros((len(y), 1, 20, 20), np.float32))
        base = ["--arch", "configs/arch/stc.yaml", "--model", self.model, "--threads", 2]
        good = ["--inputs", self.inputs, "--labels", self.labels]
        splits = ["--search-split", split(SEARCH), "--test-split", split(TEST), "--calibration-split", split(CALIB)]
        cases = (
            (["--inputs", self.inputs, "--labels", short, *splits], "short_labels.npy"),
            (["--inputs", self.inputs, "--labels", high, *splits], "high_labels.npy: label 10"),
            (["--inputs", self.inputs, "--labels", neg, *splits], "neg_labels.npy: label -1"),
            (["--inputs", self.inputs, "--labels", flabels, *splits], "float_labels.npy: labels must be int64"),
            (["--inputs", self.inputs, "--labels", labels2d, *splits], "labels2d.npy: labels must be one-dimensional"),
            (["--inputs", self.labels, "--labels", self.labels, *splits], "inputs must be float32"),
            (["--inputs", wrong_shape, "--labels", self.labels, *splits], "wrong_inputs.npy"),
            ([*good, "--search-split", "0:200", "--test-split", "150:300"], "overlap"),
            ([*good, "--search-split", "0:100", "--test-split", "150:300", "--calibration-split", "290:310"], "overlap"),
            ([*good, "--search-split", "0:100", "--test-split", "150:100000"], "--test-split"),
            ([*good, "--search-split", "10", "--test-split", "150:300"], "--search-split '10'"),
            ([*good, "--search-split", "0:100"], "--test-split"),
            (["--search-split", "0:100", "--test-split", "150:300"], "--inputs"),
        )
        for args, words in cases:
            with self.subTest(args=args):
                out = os.path.join(self.tmp.name, "bad")
                r = run("search-model", *base, *args, "--out", out)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(words, r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertFalse(os.path.exists(out))
        # Data options without a model.
        r = run("search-model", "--arch", "configs/arch/stc.yaml", *good, "--out", os.path.join(self.tmp.name, "bad"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--model", r.stderr)


if __name__ == "__main__":
    unittest.main()
