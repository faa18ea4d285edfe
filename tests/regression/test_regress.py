#!/usr/bin/python3
"""scripts/regress fails for real: a change of the model's timing or energy is reported as
changed keys with a non-zero exit and the regenerate command; missing and extra keys are
reported; tolerances accept what they state and nothing more; a run whose checks fail can
neither pass nor be regenerated; --regenerate reproduces the shipped golden files."""
import json
import os
import stat
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
REGRESS = os.path.join(ROOT, "scripts", "regress")
GOLDEN = os.path.join(ROOT, "tests", "regression", "golden")
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from tasdsim_dse import regress  # noqa: E402

CASE = "ttc_vegeta_m8.tiny_cnn.fp32"


class RegressTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def regress(self, *args, tasdsim=TASDSIM):
        work = os.path.join(self.dir, "work")
        r = subprocess.run([sys.executable, REGRESS, "--tasdsim", tasdsim, "--work-dir", work, "-q", *args],
                           capture_output=True, text=True, timeout=600)
        return r, os.path.join(work, "junit.xml")

    def junit(self, path):
        suite = ET.parse(path).getroot().find("testsuite")
        return suite, {f"{tc.get('classname')}.{tc.get('name')}": tc for tc in suite.iter("testcase")}

    def test_shipped_golden_passes_and_junit_lists_every_case(self):
        r, junit = self.regress()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        listed = subprocess.run([sys.executable, REGRESS, "--list"], capture_output=True, text=True).stdout.splitlines()
        suite, cases = self.junit(junit)
        self.assertEqual(int(suite.get("tests")), len(listed))
        self.assertEqual(int(suite.get("failures")), 0)
        # Every shipped arch whose PE array is the C++ model is covered with both workloads and dtypes.
        archs = sorted(n.split(".")[0] for n in (line.split()[0] for line in listed))
        for arch in ("dense_tc", "stc", "vegeta", "vegeta_m8", "ttc_stc", "ttc_vegeta", "ttc_vegeta_m8"):
            self.assertEqual(archs.count(arch), 4, arch)
        self.assertIn("regression.ttc_vegeta_m8.tiny_transformer.int8", cases)

    def test_timing_change_fails_with_changed_cycles(self):
        r, junit = self.regress("--only", "ttc_vegeta_m8.tiny_cnn.*", "--set", "arch.pe_array.pipeline_latency_cycles=40")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("changed network.cycles: golden", r.stdout)
        self.assertIn("changed layers[conv1].cycles", r.stdout)
        self.assertIn("scripts/regress --regenerate", r.stdout)
        self.assertIn("regression FAILED: 2 of 2 cases", r.stdout)
        suite, cases = self.junit(junit)
        self.assertEqual(int(suite.get("failures")), 2)
        text = cases["regression.ttc_vegeta_m8.tiny_cnn.fp32"].find("failure").text
        self.assertIn("changed network.cycles", text)
        # The golden cycles are the shipped value; the new one is larger (8 more cycles of fill and drain per stream).
        with open(os.path.join(GOLDEN, f"{CASE}.json")) as f:
            golden_cycles = json.load(f)["values"]["network.cycles"]
        line = next(l for l in text.splitlines() if l.startswith("changed network.cycles"))
        self.assertIn(f"golden {golden_cycles}, now ", line)
        self.assertGreater(int(line.split("now ")[1].split()[0]), golden_cycles)

    def test_dram_latency_change_fails(self):
        r, _ = self.regress("--only", "dense_tc.tiny_transformer.int8", "--set", "arch.dram.latency_ns=150")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("changed network.cycles", r.stdout)

    def test_small_energy_change_is_caught_but_cycles_unchanged(self):
        # DRAM reads 160 -> 160.001 pJ/byte in a copy of the shipped energy table: a 6e-6 relative
        # change of DRAM energy, beyond the 1e-9 tolerance.
        with open(os.path.join(ROOT, "configs", "energy", "horowitz_45nm.yaml")) as f:
            text = f.read()
        old = "{name: read, arguments: null, energy: 160}"
        self.assertIn(old, text)
        energy = os.path.join(self.dir, "energy.yaml")
        with open(energy, "w") as f:
            f.write(text.replace(old, old.replace("160", "160.001")))
        r, junit = self.regress("--only", CASE, "--set", f"arch.energy={energy}")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("changed network.energy_pj.dram", r.stdout)
        _, cases = self.junit(junit)
        text = cases["regression.ttc_vegeta_m8.tiny_cnn.fp32"].find("failure").text
        self.assertNotIn("cycles", text.split("command:")[0])

    def test_missing_and_extra_keys_are_reported(self):
        golden = os.path.join(self.dir, "golden")
        os.mkdir(golden)
        with open(os.path.join(GOLDEN, f"{CASE}.json")) as f:
            doc = json.load(f)
        del doc["values"]["network.counters.pe_array.stall.wait_operands"]
        doc["values"]["network.energy_pj.bogus"] = 1.0
        with open(os.path.join(golden, f"{CASE}.json"), "w") as f:
            json.dump(doc, f)
        r, _ = self.regress("--only", CASE, "--golden-dir", golden)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("0 changed, 1 missing, 1 extra keys", r.stdout)
        self.assertIn("missing network.energy_pj.bogus: in the golden file", r.stdout)
        self.assertIn("extra   network.counters.pe_array.stall.wait_operands: in the result", r.stdout)
        self.assertIn(f"--golden-dir {golden}", r.stdout)

    def test_missing_golden_file(self):
        golden = os.path.join(self.dir, "empty")
        os.mkdir(golden)
        r, _ = self.regress("--only", CASE, "--golden-dir", golden)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no golden file", r.stdout)
        self.assertIn("scripts/regress --regenerate", r.stdout)

    def test_regenerate_reproduces_shipped_files_and_removes_stale(self):
        golden = os.path.join(self.dir, "golden")
        os.mkdir(golden)
        with open(os.path.join(golden, "gone.tiny_cnn.fp32.json"), "w") as f:
            f.write("{}\n")
        r, _ = self.regress("--regenerate", "--golden-dir", golden)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("removed", r.stdout)
        self.assertEqual(sorted(os.listdir(golden)), sorted(os.listdir(GOLDEN)))
        for name in os.listdir(GOLDEN):
            with open(os.path.join(GOLDEN, name)) as a, open(os.path.join(golden, name)) as b:
                self.assertEqual(a.read(), b.read(), name)
        r, _ = self.regress("--regenerate", "--set", "arch.dram.latency_ns=1")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--regenerate with --set", r.stderr)

    def fake_tasdsim(self):
        """tasdsim that runs the real one, then marks the first layer's check as failed."""
        path = os.path.join(self.dir, "tasdsim_failing_check")
        with open(path, "w") as f:
            f.write(f"""#!{sys.executable}
import json, os, subprocess, sys
args = sys.argv[1:]
r = subprocess.run([{TASDSIM!r}, *args])
if args and args[0] == "run" and r.returncode == 0:
    out = args[args.index("--out") + 1]
    p = os.path.join(out, "stats.json")
    s = json.load(open(p))
    s["status"]["checks_passed"] = False
    json.dump(s, open(p, "w"))
    sys.exit(1)
sys.exit(r.returncode)
""")
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        return path

    def test_failed_checks_fail_and_cannot_be_regenerated(self):
        fake = self.fake_tasdsim()
        r, _ = self.regress("--only", CASE, tasdsim=fake)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("checks_passed is not true", r.stdout)
        golden = os.path.join(self.dir, "golden")
        r, _ = self.regress("--regenerate", "--only", CASE, "--golden-dir", golden, tasdsim=fake)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("not regenerating", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(golden, f"{CASE}.json")))


class CompareTest(unittest.TestCase):
    """The comparator and its tolerances, on the shipped golden values."""

    def setUp(self):
        self.suite = regress.load_suite()
        with open(os.path.join(GOLDEN, f"{CASE}.json")) as f:
            self.golden = json.load(f)["values"]

    def changed(self, key, value):
        now = dict(self.golden, **{key: value})
        return [c[0] for c in regress.compare(self.golden, now, self.suite)["changed"]]

    def test_tolerances(self):
        e = self.golden["network.energy_pj.total"]
        self.assertEqual(self.changed("network.energy_pj.total", e * (1 + 1e-12)), [])
        self.assertEqual(self.changed("network.energy_pj.total", e * (1 + 1e-7)), ["network.energy_pj.total"])
        self.assertEqual(self.changed("network.cycles", self.golden["network.cycles"] + 1), ["network.cycles"])
        q = self.golden["layers[conv1].quality.rel_frobenius_error"]
        self.assertEqual(self.changed("layers[conv1].quality.rel_frobenius_error", q * (1 + 1e-8)), [])
        self.assertEqual(self.changed("layers[conv1].quality.rel_frobenius_error", q * (1 + 1e-4)),
                         ["layers[conv1].quality.rel_frobenius_error"])
        self.assertEqual(self.changed("status.checks_passed", False), ["status.checks_passed"])
        self.assertEqual(self.changed("layers[conv1].series", "4:8"), ["layers[conv1].series"])
        # A count that turns into a float of the same value is still a count: equal numbers pass.
        self.assertEqual(self.changed("network.cycles", float(self.golden["network.cycles"])), [])

    def test_selection(self):
        keys = set(self.golden)
        self.assertIn("network.cycles", keys)
        self.assertIn("layers[conv1].terms[1].cycles", keys)
        self.assertIn("network.energy_pj.dram", keys)
        self.assertFalse(any(k.startswith("counters") for k in keys))
        self.assertFalse(any(k.endswith("check.max_abs_error") for k in keys))


if __name__ == "__main__":
    unittest.main(verbosity=2)
