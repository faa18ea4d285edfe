#!/usr/bin/python3
"""SIGINT/SIGTERM during long tasdsim commands: the program ends with 128 + signal, leaves no
staging folder or temporary file, keeps a result that was already complete (--overwrite), and
the next run completes normally. (How fast it stops is measured in docs/ROBUSTNESS.md, not
asserted here.)"""
import glob
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
LONG = os.path.join(ROOT, "configs/experiments/resnet50_ttc_vegeta_m8.yaml")  # values: ~1 s or more
SHORT = os.path.join(ROOT, "configs/experiments/tiny_cnn_ttc_vegeta_m8.yaml")


def leftovers(folder):
    return [p for p in glob.glob(os.path.join(folder, ".*")) + glob.glob(os.path.join(folder, "**", "*.tmp-*"),
                                                                           recursive=True)]


class InterruptTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def interrupt(self, args, sig, staging_name):
        """Starts tasdsim, waits until its staging folder exists (work has started), sends sig."""
        p = subprocess.Popen([TASDSIM, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not glob.glob(os.path.join(self.dir, "." + staging_name + ".partial-*")):
            if p.poll() is not None:
                self.fail(f"tasdsim ended before it could be interrupted: {p.returncode} {p.stderr.read()}")
            if time.monotonic() > deadline:
                p.kill()
                self.fail("no staging folder appeared")
            time.sleep(0.005)
        p.send_signal(sig)
        out, err = p.communicate(timeout=60)
        return p.returncode, err

    def test_sigint_during_a_run_removes_the_staging_folder(self):
        out = os.path.join(self.dir, "out")
        rc, err = self.interrupt(["run", LONG, "--out", out, "-q"], signal.SIGINT, "out")
        self.assertEqual(rc, 130, err)
        self.assertIn("interrupted (SIGINT)", err)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(leftovers(self.dir), [])
        # The next run completes.
        r = subprocess.run([TASDSIM, "run", SHORT, "--out", out, "-q"], capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(os.path.join(out, "stats.json")))

    def test_sigterm_during_an_overwrite_keeps_the_complete_result(self):
        out = os.path.join(self.dir, "out")
        r = subprocess.run([TASDSIM, "run", SHORT, "--out", out, "-q"], capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "stats.json")) as f:
            before = f.read()
        rc, err = self.interrupt(["run", LONG, "--out", out, "--overwrite", "-q"], signal.SIGTERM, "out")
        self.assertEqual(rc, 143, err)
        self.assertIn("interrupted (SIGTERM)", err)
        with open(os.path.join(out, "stats.json")) as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(json.loads(before)["experiment"]["workload"], "tiny_cnn")
        self.assertEqual(leftovers(self.dir), [])

    def test_sigint_during_a_search(self):
        exp = os.path.join(self.dir, "search.yaml")
        with open(exp, "w") as f:
            f.write(f"""experiment:
  name: r50_search
  arch: {ROOT}/configs/arch/ttc_vegeta_m8.yaml
  workload: {ROOT}/configs/workloads/resnet50.yaml
  search: {{cost: edp, quality: {{measure: rel_error, scope: network, target: 0.05}}}}
""")
        out = os.path.join(self.dir, "search")
        rc, err = self.interrupt(["search", exp, "--out", out, "-q"], signal.SIGINT, "search")
        self.assertEqual(rc, 130, err)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(leftovers(self.dir), [])


if __name__ == "__main__":
    unittest.main()
