#!/usr/bin/python3
"""tasdsim search-model: TASDER with a digit-accuracy target on the real PP-OCRv4 rec model
(docs/tasder.md). A small search (few digits, the STC engine: weights only) must write a plan
whose accuracy, measured independently by `tasdsim accuracy --plan`, meets the target; the plan
must run on the simulator; the summary must be consistent. Needs scripts/fetch_realdata.sh."""
import json
import os
import subprocess
import tempfile
import unittest

import yaml

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
REALDATA = os.path.join(ROOT, "realdata")
PER_CLASS = 3


def run(*args):
    return subprocess.run([TASDSIM, *map(str, args)], capture_output=True, text=True, timeout=900, cwd=ROOT)


class SearchModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(REALDATA, "ocr-models")) or not os.path.isdir(os.path.join(REALDATA, "mnist")):
            raise AssertionError(f"{REALDATA} is missing the real model data: run scripts/fetch_realdata.sh")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "stc")
        cls.result = run("search-model", "--arch", "configs/arch/stc.yaml", "--per-class", PER_CLASS, "--calibration", 1,
                         "--target", 0.9, "--out", cls.out, "--threads", 2)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def summary(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        with open(os.path.join(self.out, "search.json")) as f:
            return json.load(f)

    def test_outputs_and_progress(self):
        s = self.summary()
        for name in ("plan.yaml", "search.json", "summary.txt", "experiment.yaml"):
            self.assertTrue(os.path.isfile(os.path.join(self.out, name)), name)
        self.assertIn("accuracy check 1:", self.result.stderr)
        self.assertIn("held-out digits", self.result.stderr)
        self.assertEqual(s["arch"], "STC")
        self.assertEqual(len(s["layers"]), 47)  # the Conv/Gemm/MatMul layers with constant weights
        self.assertEqual(s["quality"], {"measure": "accuracy", "target": 0.9})

    def test_plan_meets_the_target_when_measured_independently(self):
        s = self.summary()
        acc = s["accuracy"]
        self.assertGreaterEqual(acc["plan"], 0.9 * acc["original"])
        # The original accuracy on these digits, and the plan's, by the accuracy command.
        r = run("accuracy", "--per-class", PER_CLASS, "--plan", os.path.join(self.out, "plan.yaml"), "--json",
                os.path.join(self.tmp.name, "acc.json"))
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.tmp.name, "acc.json")) as f:
            measured = json.load(f)
        self.assertAlmostEqual(measured["accuracy"], acc["plan"], places=9)

    def test_plan_names_engine_series_and_matches_the_summary(self):
        s = self.summary()
        with open(os.path.join(self.out, "plan.yaml")) as f:
            plan = yaml.safe_load(f)["plan"]
        self.assertEqual(plan["quality_measure"], "accuracy")
        by_name = {l["layer"]: l for l in plan["layers"]}
        macs = chosen = 0
        for l in s["layers"]:
            p = by_name[l["name"]]
            self.assertEqual(p["series"], l["series"])
            self.assertEqual(p["operand"], "W")  # STC has no TASD units
            self.assertIn(p["series"], ("dense", "2:4", "2:4+2:4", "2:4+2:4+2:4"))
            frac = 1.0 if p["series"] == "dense" else 0.5 * p["series"].count("2:4")
            macs += l["macs"]
            chosen += frac * l["macs"]
        self.assertAlmostEqual(s["mac_reduction"], 1 - chosen / macs, places=9)
        # Baselines are at the plan's compute.
        self.assertAlmostEqual(s["baselines"]["magnitude_pruning"]["mac_fraction"], chosen / macs, places=9)
        self.assertGreaterEqual(s["baselines"]["uniform_w"]["mac_fraction"], chosen / macs - 1e-9)

    def test_plan_runs_on_the_simulator_with_the_edp_it_reported(self):
        s = self.summary()
        out = os.path.join(self.tmp.name, "run")
        r = run("run", os.path.join(self.out, "experiment.yaml"), "--out", out, "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "stats.json")) as f:
            stats = json.load(f)
        # The real model: every Conv/Gemm/MatMul layer (47 with weights, 4 of two activations).
        self.assertEqual(len(stats["layers"]), 51)
        self.assertEqual(stats["experiment"]["workload"], "ch_PP-OCRv4_rec_infer")
        planned = {l["name"]: l["series"] for l in s["layers"]}
        for l in stats["layers"]:
            self.assertEqual(l["series"], planned.get(l["name"], "dense"), l["name"])
        # The search's simulated cost is that of the whole network on this engine.
        self.assertEqual(stats["network"]["cycles"], s["simulated"]["plan"]["cycles"])
        self.assertAlmostEqual(stats["network"]["edp_js"], s["simulated"]["plan"]["edp_js"], delta=1e-12 * s["simulated"]["plan"]["edp_js"])

    def test_bad_arguments(self):
        for args, words in ((["--arch", "configs/arch/nope.yaml"], "nope.yaml"),
                            (["--arch", "configs/arch/stc.yaml", "--target", "1.5"], "--target"),
                            (["--arch", "configs/arch/stc.yaml", "--operands", "X"], "--operands"),
                            (["--arch", "configs/arch/stc.yaml", "--cost", "speed"], "--cost"),
                            (["--arch", "configs/arch/stc.yaml", "--realdata", "/nonexistent"], "fetch_realdata")):
            with self.subTest(args=args):
                r = run("search-model", *args, "--out", os.path.join(self.tmp.name, "bad"))
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(words, r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "bad")))


if __name__ == "__main__":
    unittest.main()
