#!/usr/bin/python3
"""scripts/headline.py --quick (ResNet-50 dense and 90% pruned, the three engine families): the
reproduction of the paper's EDP comparison runs end to end and its table is consistent: every
TASD-extended engine meets the quality target, beats its base engine running dense and is never
slower than the dense tensor core (docs/HEADLINE.md)."""
import csv
import os
import subprocess
import sys
import tempfile
import unittest

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(TASDSIM)))


class HeadlineTest(unittest.TestCase):
    def test_quick_run(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out")
            r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "headline.py"), "--build", BUILD,
                                "--out", out, "--quick"], capture_output=True, text=True, timeout=900)
            self.assertEqual(r.returncode, 0, r.stderr)
            for name in ("headline.csv", "headline.md", "headline_edp.png"):
                self.assertTrue(os.path.isfile(os.path.join(out, name)), name)
            with open(os.path.join(out, "headline.csv")) as f:
                rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 6)
        self.assertEqual({r["family"] for r in rows}, {"STC", "VEGETA", "VEGETA-M8"})
        for r in rows:
            with self.subTest(network=r["network"], family=r["family"]):
                self.assertLessEqual(float(r["error_ttc"]), 0.05 + 1e-9)
                improvement = float(r["edp_improvement_vs_base"])
                self.assertGreater(improvement, 0.0)
                self.assertLess(improvement, 1.0)
                self.assertAlmostEqual(improvement, 1 - float(r["edp_ttc"]) / float(r["edp_base_dense"]), places=9)
                self.assertLessEqual(int(r["cycles_ttc"]), int(r["cycles_dense_tc"]))
                self.assertLess(float(r["compute_fraction_ttc"]), 1.0)
        # Sparser networks give more: the 90%-pruned network beats the dense one on every engine.
        by = {(r["network"], r["family"]): float(r["edp_improvement_vs_base"]) for r in rows}
        for fam in ("STC", "VEGETA", "VEGETA-M8"):
            self.assertGreater(by[("ResNet-50 pruned 90%", fam)], by[("ResNet-50 dense", fam)])


if __name__ == "__main__":
    unittest.main()
