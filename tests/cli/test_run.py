#!/usr/bin/python3
"""tasdsim run end to end: the output files and their stable keys, overrides, timing-only runs,
and bad configs (one-line error with file/line/key path, exit status 2, no output left)."""
import csv
import json
import os
import subprocess
import tempfile
import unittest

import yaml

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
EXP = os.path.join(ROOT, "configs/experiments/tiny_cnn_ttc_vegeta_m8.yaml")


def run(*args):
    return subprocess.run([TASDSIM, *map(str, args)], capture_output=True, text=True, timeout=300)


class RunTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def out(self, name="out"):
        return os.path.join(self.dir, name)

    def test_outputs_and_stable_keys(self):
        r = run("run", EXP, "--out", self.out(), "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("every layer matches its reference", r.stdout)
        files = sorted(os.listdir(self.out()))
        self.assertEqual(files, ["layers.csv", "resolved_config.yaml", "stats.json", "summary.txt",
                                 "tasdsim-manifest.json", "wall_clock.json"])
        # The manifest names every other file with its size, and the tool that wrote them.
        with open(os.path.join(self.out(), "tasdsim-manifest.json")) as f:
            manifest = json.load(f)
        self.assertTrue(manifest["written_by"].startswith("tasdsim "))
        self.assertEqual(manifest["files"], {n: os.path.getsize(os.path.join(self.out(), n))
                                             for n in files if n != "tasdsim-manifest.json"})
        with open(os.path.join(self.out(), "stats.json")) as f:
            s = json.load(f)
        self.assertEqual(s["schema"], "tasdsim-stats/2")
        for key in ("experiment", "status", "network", "layers", "counters"):
            self.assertIn(key, s)
        net = s["network"]
        for key in ("cycles", "seconds", "energy_pj", "edp_js", "macs_dense", "mac_ops", "mac_skipped", "counters"):
            self.assertIn(key, net)
        self.assertAlmostEqual(net["edp_js"], net["energy_pj"]["total"] * 1e-12 * net["seconds"], delta=1e-18)
        acc = [l for l in s["layers"] if l["on_accelerator"]]
        self.assertEqual(sum(l["cycles"] for l in acc), net["cycles"])
        conv1 = acc[0]
        self.assertEqual(conv1["series"], "4:8+1:8")
        self.assertEqual([t["pattern"] for t in conv1["terms"]], ["4:8", "1:8"])
        self.assertTrue(conv1["check"]["passed"])
        for key in ("counters", "energy_pj", "quality", "gemm", "tiling"):
            self.assertIn(key, conv1)
        # The counters are keyed by the counters' own names (`tasdsim params` lists the blocks).
        for key in ("pe_array.busy_cycles", "pe_array.stall.wait_tasd_unit", "tasd_unit.tiles",
                    "buffer.s.read_bytes", "buffer.acc.write_bytes", "memory_port.read_bytes", "load_unit.dram_bytes.s"):
            self.assertIn(key, conv1["counters"])
        self.assertEqual(sum(l["counters"]["pe_array.busy_cycles"] for l in acc),
                         net["counters"]["pe_array.busy_cycles"])
        # A store waits for its accumulator slot's results: that wait is counted.
        self.assertGreater(net["counters"]["store_unit.stall.wait_results"], 0)
        # Per-term MAC slots add up to the layer's MAC slots.
        self.assertEqual(sum(t["mac_ops"] for t in conv1["terms"]), conv1["mac_ops"])
        with open(os.path.join(self.out(), "layers.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), len(s["layers"]))
        self.assertEqual(int(rows[0]["cycles"]), conv1["cycles"])
        with open(os.path.join(self.out(), "resolved_config.yaml")) as f:
            resolved = yaml.safe_load(f)
        self.assertEqual(resolved["arch"]["pe_array"]["rows"], 16)
        self.assertIn("tasd_unit", resolved["arch"])
        self.assertEqual(resolved["plan"]["default"]["series"], "4:8+1:8")

    def test_overrides_series_and_timing_only(self):
        r = run("run", EXP, "--out", self.out(), "-q", "--set", "arch.pe_array.rows=8", "--series", "2:8",
                "--operand", "A", "--timing-only")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.out(), "stats.json")) as f:
            s = json.load(f)
        self.assertTrue(s["experiment"]["timing_only"])
        acc = [l for l in s["layers"] if l["on_accelerator"]]
        self.assertTrue(all(l["series"] == "2:8" and l["operand"] == "A" for l in acc))
        self.assertFalse(any("check" in l for l in acc))
        # Nothing was compared: the run says so and never claims a match.
        self.assertEqual(s["status"]["checks"], "not_performed")
        self.assertIsNone(s["status"]["checks_passed"])
        self.assertEqual(s["status"]["layers_checked"], 0)
        self.assertIn("checks not performed (timing only)", r.stdout)
        self.assertNotIn("matches", r.stdout)
        with open(os.path.join(self.out(), "resolved_config.yaml")) as f:
            self.assertEqual(yaml.safe_load(f)["arch"]["pe_array"]["rows"], 8)

    def test_mapper_estimates_are_reported_and_the_objective_is_chosen(self):
        # Every accelerator layer reports the tile chooser's cycle estimate; the network's
        # mapper_estimate is their error against the simulated cycles.
        runs = {}
        for objective in ["cycles", "edp"]:
            out = self.out(objective)
            r = run("run", EXP, "--out", out, "--timing-only", "--set", f"experiment.mapper_objective={objective}")
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(out, "stats.json")) as f:
                s = json.load(f)
            with open(os.path.join(out, "resolved_config.yaml")) as f:
                self.assertEqual(yaml.safe_load(f)["experiment"]["mapper_objective"], objective)
            acc = [l for l in s["layers"] if l["on_accelerator"]]
            errors = [abs(l["estimated_cycles"] / l["cycles"] - 1) for l in acc]
            self.assertTrue(all(l["estimated_cycles"] > 0 for l in acc))
            m = s["network"]["mapper_estimate"]
            self.assertEqual(m["layers"], len(acc))
            self.assertAlmostEqual(m["mean_abs_error"], sum(errors) / len(errors), places=12)
            self.assertEqual(m["max_abs_error"], max(errors))
            self.assertEqual(m["max_layer"], acc[errors.index(max(errors))]["name"])
            self.assertIn(f"over {len(acc)} layers", r.stdout)
            with open(os.path.join(out, "layers.csv")) as f:
                rows = {row["name"]: row for row in csv.DictReader(f)}
            for l in acc:
                self.assertEqual(float(rows[l["name"]]["estimated_cycles"]), l["estimated_cycles"])
            runs[objective] = s
        r = run("run", EXP, "--out", self.out("bad"), "--set", "experiment.mapper_objective=energy")
        self.assertEqual(r.returncode, 2)
        self.assertIn("experiment.mapper_objective", r.stderr)

    def test_checks_off_and_on_are_reported(self):
        r = run("run", EXP, "--out", self.out("off"), "-q", "--set", "experiment.check=false")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.out("off"), "stats.json")) as f:
            s = json.load(f)
        self.assertEqual(s["status"]["checks"], "off")
        self.assertIsNone(s["status"]["checks_passed"])
        self.assertIn("checks off (experiment.check: false)", r.stdout)
        self.assertNotIn("matches", r.stdout)
        with open(os.path.join(self.out("off"), "layers.csv")) as f:
            self.assertTrue(all(row["check_passed"] == "" for row in csv.DictReader(f)))
        r = run("run", EXP, "--out", self.out("on"), "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.out("on"), "stats.json")) as f:
            s = json.load(f)
        accelerator = sum(l["on_accelerator"] for l in s["layers"])
        self.assertEqual(s["status"]["checks"], "passed")
        self.assertIs(s["status"]["checks_passed"], True)
        self.assertEqual(s["status"]["layers_checked"], accelerator)
        self.assertIn(f"every layer matches its reference ({accelerator} accelerator layers checked)", r.stdout)

    def test_int8_results_leave_through_the_output_path_by_default(self):
        def stats(name, *args):
            r = run("run", EXP, "--out", self.out(name), "-q", "--set", "experiment.dtype=int8", *args)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(self.out(name), "stats.json")) as f:
                return json.load(f)
        on, timing, off = stats("on"), stats("timing", "--timing-only"), stats(
            "off", "--set", "experiment.int8_output=int32")
        self.assertEqual(on["status"]["checks"], "passed")  # bit-exact with the reference
        self.assertEqual(off["status"]["checks"], "passed")
        c_on, c_off = on["network"]["counters"], off["network"]["counters"]
        results = sum(l["gemm"]["m"] * l["gemm"]["n"] * l["groups"] for l in on["layers"] if l["on_accelerator"])
        # Every result requantised on the device: one byte each leaves the chip, not four.
        self.assertEqual(c_on["store_unit.requant_ops"], results)
        self.assertEqual(c_on["store_unit.dram_bytes"], results + c_on["store_unit.table_bytes"])
        self.assertEqual(c_off["store_unit.requant_ops"], 0)
        self.assertEqual(c_off["store_unit.dram_bytes"], 4 * results)
        self.assertGreater(on["network"]["energy_pj"]["output_path"], 0)
        self.assertLess(on["network"]["energy_pj"]["total"], off["network"]["energy_pj"]["total"])
        # The timing does not depend on the calibrated scales: timing-only takes the same cycles.
        self.assertEqual(timing["network"]["cycles"], on["network"]["cycles"])
        self.assertEqual(timing["network"]["counters"]["store_unit.dram_bytes"], c_on["store_unit.dram_bytes"])
        with open(os.path.join(self.out("on"), "resolved_config.yaml")) as f:
            self.assertEqual(yaml.safe_load(f)["experiment"]["int8_output"], "int8")

    def test_decompose_and_run_agree_on_the_compute_fraction(self):
        # K = 37 at 2:4: the last block of each row holds one element and still takes n = 2
        # slots, so both report (ceil(37/4) * 2) / 37, and the run issues exactly that.
        import numpy as np
        rng = np.random.default_rng(3)
        np.save(os.path.join(self.dir, "w.npy"), rng.standard_normal((6, 37)).astype(np.float32))
        r = run("decompose", "--series", "2:4", os.path.join(self.dir, "w.npy"), "--out", self.out("d"))
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.out("d"), "metrics.json")) as f:
            decomposed = json.load(f)["compute_fraction"]
        self.assertAlmostEqual(decomposed, 20 / 37, places=12)
        workload = self.write("k37.yaml", """workload:
  name: k37
  input: {n: 16, h: 1, w: 1, c: 37}
  layers:
    - {name: fc, op: gemm, out_features: 6}
""")
        exp = self.write("k37_exp.yaml", f"""experiment:
  name: k37
  arch: {ROOT}/configs/arch/stc.yaml
  workload: {workload}
  plan: {{series: "2:4", operand: W}}
""")
        r = run("run", exp, "--out", self.out("r"), "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.out("r"), "stats.json")) as f:
            fc = json.load(f)["layers"][0]
        self.assertEqual(fc["compute_fraction"], decomposed)
        self.assertEqual(fc["mac_ops"], 16 * 6 * 20)
        with open(os.path.join(self.out("r"), "layers.csv")) as f:
            row = next(csv.DictReader(f))
        # Full precision: every real reads back to the value in stats.json.
        self.assertEqual(float(row["compute_fraction"]), fc["compute_fraction"])
        self.assertEqual(float(row["energy_pj"]), fc["energy_pj"]["total"])
        self.assertEqual(float(row["edp_js"]), fc["edp_js"])
        self.assertEqual(float(row["seconds"]), fc["seconds"])

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def expect_error(self, args, needles):
        out = self.out("never")
        r = run("run", *args, "--out", out, "-q")
        self.assertEqual(r.returncode, 2, f"{args}: {r.stdout}\n{r.stderr}")
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        for n in needles:
            self.assertIn(n, lines[0])
        self.assertFalse(os.path.exists(out))
        self.assertEqual([f for f in os.listdir(self.dir) if "partial" in f], [])

    def experiment(self, extra="", plan='{series: "4:8+1:8"}', arch="ttc_vegeta_m8.yaml"):
        return self.write("exp.yaml", f"""experiment:
  name: t
  arch: {ROOT}/configs/arch/{arch}
  workload: {ROOT}/configs/workloads/tiny_cnn.yaml
  plan: {plan}
{extra}""")

    def test_bad_configs(self):
        self.expect_error([self.experiment("  bogus: 3\n")], ["exp.yaml:6:3", "experiment.bogus", "unknown key"])
        self.expect_error([self.experiment("  dtype: fp64\n")], ["experiment.dtype", "'fp64' is not one of"])
        self.expect_error([self.experiment("  check: maybe\n")], ["experiment.check", "true or false"])
        self.expect_error([self.experiment(plan='{series: "3:8"}', arch="ttc_vegeta.yaml")],
                          ["conv1", "3:8", "not supported", "TTC-VEGETA"])
        self.expect_error([self.experiment(plan='{series: "2:4"}')], ["pattern 2:4 is not supported"])
        self.expect_error([self.experiment(plan='{series: "4:8", operand: A}', arch="vegeta_m8.yaml")],
                          ["TASD units"])
        self.expect_error([self.experiment(plan='{series: "1:8+1:8+1:8+1:8"}')], ["at most 3"])
        self.expect_error([self.experiment(), "--set", "arch.pe_array.rows=0"], ["arch.pe_array.rows", "[1, 256]"])
        self.expect_error([self.experiment(), "--set", "arch.pe_array.lanes=x"], ["arch.pe_array.lanes"])
        self.expect_error([self.experiment(), "--set", "rows=4"], ["must start with"])
        self.expect_error([os.path.join(self.dir, "missing.yaml")], ["missing.yaml", "cannot open"])
        self.expect_error([self.write("broken.yaml", "experiment: {name: [\n")], ["broken.yaml:", "YAML"])
        self.expect_error([self.experiment().replace("exp.yaml", "exp.yaml"), "--series", "2:7"], ["power of two"])
        os.mkdir(self.out("exists"))
        r = run("run", self.experiment(), "--out", self.out("exists"), "-q")
        self.assertEqual(r.returncode, 2)
        self.assertIn("already exists", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
