#!/usr/bin/python3
"""scripts/dse and scripts/report end to end: sweep expansion (grid, seeded random), parallel
runs whose table agrees with each point's stats.json and with a direct tasdsim run, resume
(a rerun runs nothing; a changed input or binary reruns), failure recording, interruption
without half-written folders, a Dask LocalCluster on loopback, plots (valid PNGs) and reports.

Run one class with: test_dse.py ExpandTest (ctest runs each class as its own test)."""
import csv
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

import yaml

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
DSE = os.path.join(ROOT, "scripts", "dse")
REPORT = os.path.join(ROOT, "scripts", "report")
TINY = os.path.join(ROOT, "configs", "sweeps", "tiny_cnn_grid.yaml")
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from tasdsim_dse import sweep as sweep_mod  # noqa: E402
from tasdsim_dse import table  # noqa: E402
from tasdsim_dse import area  # noqa: E402


def dse(*args, timeout=600):
    return subprocess.run([sys.executable, DSE, "--tasdsim", TASDSIM, *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def png_size(path):
    """(width, height) of a PNG after checking its signature and every chunk's CRC."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    pos, chunks = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"{path}: bad CRC in {kind}"
        chunks.append(kind)
        if kind == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and b"IDAT" in chunks, f"{path}: chunks {chunks}"
    return w, h


class Tmp(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def sweep_file(self, body, name="s", base=None):
        base = base or os.path.join(ROOT, "configs", "experiments", "tiny_cnn_ttc_vegeta_m8.yaml")
        return self.write(f"{name}.yaml", f"sweep:\n  name: {name}\n  base: {base}\n" + body)

    def interrupt_sweep(self, sig, *extra):
        path = self.sweep_file("""  timing_only: true
  parameters:
    arch.pe_array.lanes: [1, 2, 4, 8]
    arch.dram.bandwidth_gbps: [16, 32, 64, 128, 256]
""", base=os.path.join(ROOT, "configs", "experiments", "resnet50_ttc_vegeta_m8.yaml"))
        out = os.path.join(self.dir, "out")
        proc = subprocess.Popen([sys.executable, DSE, path, "--out", out, "--jobs", "2", "--no-report", "--tasdsim",
                                 TASDSIM, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        points = os.path.join(out, "points")
        deadline = time.time() + 120
        while time.time() < deadline and (not os.path.isdir(points) or
                                          len([d for d in os.listdir(points) if not d.startswith(".")]) < 2):
            time.sleep(0.02)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        if proc.returncode == 0:
            self.skipTest("the sweep finished before the interrupt")
        self.assertEqual(proc.returncode, 128 + sig, err)
        names = os.listdir(points)
        self.assertEqual([n for n in names if n.startswith(".")], [])  # no staging folder left
        for n in names:
            with open(os.path.join(points, n, "point.json")) as f:
                rec = json.load(f)
            self.assertEqual(rec["status"], "ok")
            self.assertTrue(os.path.isfile(os.path.join(points, n, "stats.json")))
        done = len(names)
        self.assertLess(done, 20)
        r = dse(path, "--out", out, "--no-report", "-q", *extra)
        self.assertIn(f"ran {20 - done}, reused {done}", r.stdout, r.stderr)


class ExpandTest(Tmp):
    def test_grid(self):
        s = sweep_mod.load(TINY)
        pts = s.expand()
        self.assertEqual(len(pts), 2 * 2 * 3)
        self.assertEqual(s.columns, ["pe_shape", "arch.pe_array.rows", "arch.pe_array.cols", "arch.pe_array.lanes",
                                     "series", "operand"])
        # Row-major in file order: the last parameter varies fastest.
        self.assertEqual([p.columns["series"] for p in pts[:3]], ["4:8", "4:8+1:8", "2:8+1:8"])
        self.assertEqual(pts[3].columns["arch.pe_array.lanes"], 4)
        self.assertEqual(pts[6].columns["pe_shape"], "8x32")
        self.assertEqual(pts[6].args[:4], ["--set", "arch.pe_array.rows=8", "--set", "arch.pe_array.cols=32"])
        self.assertEqual(pts[0].args[-4:], ["--series", "4:8", "--operand", "W"])
        self.assertEqual(len({p.id for p in pts}), len(pts))
        self.assertEqual([p.id for p in pts], [p.id for p in sweep_mod.load(TINY).expand()])

    def test_values_keep_their_yaml_type(self):
        path = self.sweep_file("""  fixed: {arch.dram.latency_ns: 50.5, arch.pe_array.patterns: [1:8, 4:8]}
  parameters:
    arch.pe_array.rows: {pow2: [4, 32]}
    arch.tasd_unit.count: {int: [1, 3]}
    series: [4:8, dense]
""")
        pts = sweep_mod.load(path).expand()
        self.assertEqual(len(pts), 4 * 3 * 2)
        self.assertEqual(pts[0].args[:4], ["--set", "arch.dram.latency_ns=50.5",
                                           "--set", 'arch.pe_array.patterns=["1:8", "4:8"]'])
        self.assertEqual(sorted({p.columns["arch.pe_array.rows"] for p in pts}), [4, 8, 16, 32])
        self.assertIn("--series", pts[0].args)
        self.assertEqual(pts[0].args[pts[0].args.index("--series") + 1], "4:8")  # not YAML 1.1's base-60 integer 248

    def test_random_is_seeded_distinct_and_in_range(self):
        body = """  sampling: {{method: random, samples: {n}, seed: {seed}}}
  parameters:
    arch.pe_array.rows: [4, 8, 16, 32]
    arch.pe_array.lanes: [1, 2, 4, 8]
    series: ["4:8", "2:8"]
"""
        a = sweep_mod.load(self.sweep_file(body.format(n=10, seed=3), "a")).expand()
        b = sweep_mod.load(self.sweep_file(body.format(n=10, seed=3), "b")).expand()
        c = sweep_mod.load(self.sweep_file(body.format(n=10, seed=4), "c")).expand()
        self.assertEqual([p.id for p in a], [p.id for p in b])
        self.assertNotEqual([p.id for p in a], [p.id for p in c])
        self.assertEqual(len({p.id for p in a}), 10)
        every = sweep_mod.load(self.sweep_file(body.format(n=1000, seed=3), "d")).expand()
        self.assertEqual(len(every), 32)  # more samples than the grid has points: the whole grid, once
        cont = sweep_mod.load(self.sweep_file("""  sampling: {method: random, samples: 50, seed: 1}
  parameters:
    arch.dram.bandwidth_gbps: {loguniform: [8, 512]}
    arch.dram.latency_ns: {uniform: [10, 20]}
    arch.pe_array.lanes: {choice: [2, 4]}
""", "e")).expand()
        self.assertEqual(len(cont), 50)
        bw = [p.columns["arch.dram.bandwidth_gbps"] for p in cont]
        self.assertTrue(all(8 <= x <= 512 for x in bw))
        self.assertTrue(min(bw) < 32 and max(bw) > 128, bw)  # log-uniform spreads over the decades
        self.assertTrue(all(10 <= p.columns["arch.dram.latency_ns"] <= 20 for p in cont))
        self.assertEqual({p.columns["arch.pe_array.lanes"] for p in cont}, {2, 4})

    def test_bad_sweep_files(self):
        cases = [
            ("  parameters: {arch.pe_array.rows: [8]}\n  bogus: 1\n", ["sweep.bogus", "unknown key"]),
            ("  parameters: {rows: [8]}\n", ["sweep.parameters.rows", "not a key path"]),
            ("  parameters: {series: [68]}\n", ["sweep.parameters.series[0]", "quoted"]),
            ("  parameters: {arch.dram.latency_ns: {uniform: [1, 2]}}\n", ["needs random sampling"]),
            ("  sampling: {method: random, samples: 5}\n  parameters: {arch.pe_array.rows: [8]}\n",
             ["sampling.seed", "seeded"]),
            ("  fixed: {arch.pe_array.rows: 8}\n  parameters: {arch.pe_array.rows: [8]}\n", ["set twice"]),
            ("  parameters: {operand: [X]}\n", ["W or A"]),
        ]
        for i, (body, needles) in enumerate(cases):
            path = self.sweep_file(body, f"bad{i}")
            r = dse(path, "--out", os.path.join(self.dir, "never"))
            self.assertEqual(r.returncode, 2, body + r.stderr)
            for n in needles:
                self.assertIn(n, r.stderr, body)
            self.assertIn(f"bad{i}.yaml", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.dir, "never")))
        r = dse(self.write("nobase.yaml", "sweep: {name: x, base: missing.yaml, parameters: {series: [dense]}}\n"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("sweep.base", r.stderr)

    def test_dry_run_lists_commands(self):
        r = dse(TINY, "--dry-run", "--limit", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines[0]["command"][:3], ["tasdsim", "run", "configs/experiments/tiny_cnn_ttc_vegeta_m8.yaml"])


class RunTest(Tmp):
    def test_parallel_run_table_and_resume(self):
        out = os.path.join(self.dir, "out")
        r = dse(TINY, "--out", out, "--jobs", "2", "--no-report")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("12 points (ok 12); ran 12, reused 0", r.stdout)
        rows = read_rows(os.path.join(out, "results.csv"))
        self.assertEqual(len(rows), 12)
        cols = list(rows[0])
        for c in ["point", "id", "status", "pe_shape", "arch.pe_array.rows", "arch.pe_array.lanes", "series", "cycles",
                  "energy_pj", "edp_js", "macs_dense", "mac_ops", "compute_fraction", "error_proxy", "area_mm2",
                  "checks_passed", "energy_dram_pj", "stall_wait_operands_cycles", "pareto_edp_area", "wall_s"]:
            self.assertIn(c, cols)
        self.assertEqual([int(r["point"]) for r in rows], list(range(12)))
        starts = []
        for row in rows:
            folder = os.path.join(out, row["dir"])
            self.assertEqual(sorted(os.listdir(folder)),
                             ["layers.csv", "point.json", "resolved_config.yaml", "stats.json", "summary.txt",
                              "tasdsim-manifest.json", "wall_clock.json"])
            with open(os.path.join(folder, "stats.json")) as f:
                s = json.load(f)
            net = s["network"]
            self.assertEqual(int(row["cycles"]), net["cycles"])
            self.assertEqual(float(row["energy_pj"]), net["energy_pj"]["total"])
            self.assertEqual(float(row["edp_js"]), net["edp_js"])
            self.assertEqual(float(row["energy_dram_pj"]), net["energy_pj"]["dram"])
            acc = [l for l in s["layers"] if l["on_accelerator"]]
            w = sum(l["macs_dense"] for l in acc)
            err = sum(l["macs_dense"] * l["quality"]["rel_frobenius_error"] for l in acc) / w
            self.assertAlmostEqual(float(row["error_proxy"]), err, places=12)
            with open(os.path.join(folder, "resolved_config.yaml")) as f:
                arch = yaml.safe_load(f)["arch"]
            self.assertEqual(arch["pe_array"]["rows"], int(row["arch.pe_array.rows"]))
            self.assertEqual(arch["pe_array"]["lanes"], int(row["arch.pe_array.lanes"]))
            self.assertTrue(all(l["series"] == row["series"] for l in acc))
            sram = sum(b["size_kib"] for b in arch["buffer"].values())
            pe = arch["pe_array"]
            want = area.model().engine(pe["rows"], pe["cols"], pe["lanes"], 8, sram, 16)
            self.assertAlmostEqual(float(row["area_mm2"]), want["total"])
            self.assertGreater(want["tasd_unit"], 0)
            self.assertAlmostEqual(want["total"], want["pe_array"] + want["decoder"] + want["tasd_unit"] + want["sram"])
            with open(os.path.join(folder, "point.json")) as f:
                starts.append(json.load(f))
        # More lanes, same work: fewer cycles; a longer series: more MAC slots.
        by = {(r["pe_shape"], r["arch.pe_array.lanes"], r["series"]): r for r in rows}
        self.assertLess(int(by[("16x16", "4", "4:8")]["cycles"]), int(by[("16x16", "2", "4:8")]["cycles"]))
        self.assertGreater(int(by[("16x16", "2", "4:8+1:8")]["mac_ops"]), int(by[("16x16", "2", "4:8")]["mac_ops"]))
        self.assertTrue(all(p["status"] == "ok" and p["exit_code"] == 0 for p in starts))
        # Two jobs: some tasdsim processes ran at the same time.
        spans = sorted((p["started_at"], p["started_at"] + p["wall_s"]) for p in starts)
        self.assertTrue(any(b[0] < a[1] for a, b in zip(spans, spans[1:])), spans)

        # A point equals a direct tasdsim run with the same overrides.
        p = starts[7]
        direct = os.path.join(self.dir, "direct")
        cmd = [TASDSIM, "run", os.path.join(ROOT, p["definition"]["base"]), "--out", direct, "-q",
               *p["definition"]["args"]]
        subprocess.run(cmd, check=True, capture_output=True)
        with open(os.path.join(direct, "stats.json")) as f:
            self.assertEqual(json.load(f)["network"]["cycles"], int(rows[7]["cycles"]))

        # Resume: nothing runs again, no folder is touched.
        mtimes = {d: os.stat(os.path.join(out, "points", d)).st_mtime_ns for d in os.listdir(os.path.join(out, "points"))}
        r = dse(TINY, "--out", out, "--no-report")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ran 0, reused 12", r.stdout)
        self.assertEqual(mtimes, {d: os.stat(os.path.join(out, "points", d)).st_mtime_ns
                                  for d in os.listdir(os.path.join(out, "points"))})
        self.assertEqual(read_rows(os.path.join(out, "results.csv")), rows)

        # A point whose files were damaged runs again; so does everything after the binary changes.
        os.unlink(os.path.join(out, rows[3]["dir"], "stats.json"))
        r = dse(TINY, "--out", out, "--no-report")
        self.assertIn("ran 1, reused 11", r.stdout)
        wrapper = self.write("tasdsim_wrapper", f"#!/bin/sh\nexec {TASDSIM} \"$@\"\n")
        os.chmod(wrapper, 0o755)
        r = subprocess.run([sys.executable, DSE, TINY, "--out", out, "--no-report", "--tasdsim", wrapper],
                           capture_output=True, text=True)
        self.assertIn("ran 12, reused 0", r.stdout, r.stderr)
        self.assertEqual([x["cycles"] for x in read_rows(os.path.join(out, "results.csv"))], [x["cycles"] for x in rows])

    def test_input_file_change_reruns_only_affected_points(self):
        # Private copies of the configs: the sweep reads an arch named by the base experiment and
        # a workload named only by an override.
        cfg = os.path.join(self.dir, "configs")
        shutil.copytree(os.path.join(ROOT, "configs"), cfg)
        base = os.path.join(cfg, "experiments", "tiny_cnn_ttc_vegeta_m8.yaml")
        path = self.sweep_file("""  parameters:
    experiment.workload: [../workloads/tiny_cnn.yaml, ../workloads/tiny_transformer.yaml]
    series: ["4:8"]
    operand: [A]
""", base=base)
        out = os.path.join(self.dir, "out")
        self.assertIn("ran 2, reused 0", dse(path, "--out", out, "--no-report").stdout)
        with open(os.path.join(cfg, "workloads", "tiny_transformer.yaml"), "a") as f:
            f.write("# edited\n")
        self.assertIn("ran 1, reused 1", dse(path, "--out", out, "--no-report").stdout)
        with open(os.path.join(cfg, "arch", "ttc_vegeta_m8.yaml"), "a") as f:
            f.write("# edited\n")
        self.assertIn("ran 2, reused 0", dse(path, "--out", out, "--no-report").stdout)
        with open(os.path.join(cfg, "workloads", "resnet18.yaml"), "a") as f:
            f.write("# edited\n")  # not read by any point
        self.assertIn("ran 0, reused 2", dse(path, "--out", out, "--no-report").stdout)

    def test_failures_are_recorded_and_the_sweep_goes_on(self):
        path = self.sweep_file("""  parameters:
    arch.pe_array.rows: [16, 0]
    series: ["4:8", "2:4"]
""")
        out = os.path.join(self.dir, "out")
        r = dse(path, "--out", out, "--no-report")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = {(x["arch.pe_array.rows"], x["series"]): x for x in read_rows(os.path.join(out, "results.csv"))}
        self.assertEqual(rows[("16", "4:8")]["status"], "ok")
        bad = rows[("0", "4:8")]
        self.assertEqual((bad["status"], bad["exit_code"]), ("bad_input", "2"))
        self.assertIn("arch.pe_array.rows", bad["error"])
        self.assertEqual(bad["cycles"], "")
        self.assertIn("2:4", rows[("16", "2:4")]["error"])
        self.assertTrue(os.path.isfile(os.path.join(out, bad["dir"], "point.json")))
        self.assertIn("bad_input 3", r.stdout)
        rep = subprocess.run([sys.executable, REPORT, out], capture_output=True, text=True)
        self.assertEqual(rep.returncode, 0, rep.stderr)
        with open(os.path.join(out, "report.md")) as f:
            text = f.read()
        self.assertIn("## Points that did not finish ok (3)", text)
        self.assertIn(f"| {bad['point']} | {bad['id']} | 0 | 4:8 | bad_input | 2 |", text)
        self.assertEqual(dse(path, "--out", out, "--no-report", "--strict").returncode, 1)
        r = dse(path, "--out", out, "--no-report")
        self.assertIn("ran 0, reused 4", r.stdout)  # a bad input is final ...
        r = dse(path, "--out", out, "--no-report", "--retry-failed")
        self.assertIn("ran 3, reused 1", r.stdout)  # ... unless asked

    def test_timeout_is_recorded_and_retried(self):
        path = self.sweep_file("""  timing_only: true
  timeout_s: 0.001
  parameters:
    arch.pe_array.lanes: [2, 4]
""", base=os.path.join(ROOT, "configs", "experiments", "resnet50_ttc_vegeta_m8.yaml"))
        out = os.path.join(self.dir, "out")
        r = dse(path, "--out", out, "--no-report")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = read_rows(os.path.join(out, "results.csv"))
        self.assertEqual([x["status"] for x in rows], ["timeout", "timeout"])
        self.assertIn("killed after the point timeout of 0.001 s", rows[0]["error"])
        self.assertEqual(sorted(n for n in os.listdir(os.path.join(out, "points")) if n.startswith(".")), [])
        self.assertIn("ran 2, reused 0", dse(path, "--out", out, "--no-report").stdout)  # not final: retried

    def test_interrupted_sweep_leaves_only_complete_points(self):
        self.interrupt_sweep(signal.SIGINT)

    def test_terminated_sweep_leaves_only_complete_points(self):
        self.interrupt_sweep(signal.SIGTERM)

class ModuleTest(Tmp):
    """--backend module (tasdsim.simulate() in the dse process) against the CLI backend: the same
    point folders, records and table for the same sweep; needs PYTHONPATH to the built module."""

    # Record keys that say how and when a point ran, not what it gave.
    HOW = {"backend", "started_at", "wall_s", "worker", "config_hash", "files"}

    def records(self, out):
        recs = {}
        for name in os.listdir(os.path.join(out, "points")):
            with open(os.path.join(out, "points", name, "point.json")) as f:
                recs[name] = json.load(f)
        return recs

    def both(self, sweep, *args):
        outs = {}
        for backend in ("cli", "module"):
            out = outs[backend] = os.path.join(self.dir, backend)
            r = dse(sweep, "--out", out, "--no-report", "--backend", backend, *args)
            self.assertEqual(r.returncode, 0, r.stderr)
        return outs

    def test_same_folders_records_and_table_as_cli(self):
        outs = self.both(TINY, "--jobs", "2")
        cli, mod = self.records(outs["cli"]), self.records(outs["module"])
        self.assertEqual(sorted(cli), sorted(mod))
        self.assertEqual(len(mod), 12)
        for pid, c in cli.items():
            m = mod[pid]
            self.assertEqual((c["backend"], m["backend"]), ("cli", "module"))
            self.assertEqual({k: v for k, v in c.items() if k not in self.HOW},
                             {k: v for k, v in m.items() if k not in self.HOW}, pid)
            self.assertEqual(m["status"], "ok")
            self.assertEqual(sorted(c["files"]), sorted(m["files"]))
            # The files tasdsim run writes, byte for byte (wall_clock.json and the lines of
            # summary.txt that say "wall" hold times).
            for name in ["stats.json", "layers.csv", "resolved_config.yaml", "summary.txt"]:
                texts = []
                for out in outs.values():
                    with open(os.path.join(out, "points", pid, name), "rb") as f:
                        texts.append([l for l in f.read().split(b"\n") if b" wall" not in l])
                self.assertEqual(texts[0], texts[1], f"{pid}/{name}")
                self.assertGreater(len(texts[0]), 3)
            with open(os.path.join(outs["module"], "points", pid, "wall_clock.json")) as f:
                self.assertIsInstance(json.load(f), dict)
            manifests = []
            for out in outs.values():
                with open(os.path.join(out, "points", pid, "tasdsim-manifest.json")) as f:
                    text = f.read()
                manifests.append(json.loads(text))
                self.assertTrue(text.startswith('{\n  "written_by": "tasdsim'), text[:40])
            self.assertEqual([list(m) for m in manifests[:1]], [list(m) for m in manifests[1:]])
            self.assertEqual(sorted(manifests[0]["files"]), sorted(manifests[1]["files"]))
            folder = os.path.join(outs["module"], "points", pid)
            for name, size in manifests[1]["files"].items():
                self.assertEqual(os.path.getsize(os.path.join(folder, name)), size)
        drop = {"wall_s", "worker"}
        rows = [[{k: v for k, v in r.items() if k not in drop} for r in read_rows(os.path.join(o, "results.csv"))]
                for o in outs.values()]
        self.assertEqual(rows[0], rows[1])
        with open(os.path.join(outs["module"], "sweep.json")) as f:
            self.assertEqual(json.load(f)["backend"], "module")
        # Two jobs: two points simulated at the same time (threads; the GIL is released).
        spans = sorted((p["started_at"], p["started_at"] + p["wall_s"]) for p in mod.values())
        self.assertTrue(any(b[0] < a[1] for a, b in zip(spans, spans[1:])), spans)

        # Resume: a module sweep reuses its own points; the CLI's results are not the module's.
        r = dse(TINY, "--out", outs["module"], "--no-report", "--backend", "module")
        self.assertIn("ran 0, reused 12", r.stdout, r.stderr)
        os.unlink(os.path.join(outs["module"], "points", sorted(mod)[0], "layers.csv"))
        r = dse(TINY, "--out", outs["module"], "--no-report", "--backend", "module")
        self.assertIn("ran 1, reused 11", r.stdout, r.stderr)
        r = dse(TINY, "--out", outs["module"], "--no-report", "--backend", "cli", "--limit", "3")
        self.assertIn("ran 3, reused 0", r.stdout, r.stderr)

    def test_module_backend_runs_no_tasdsim_process(self):
        out = os.path.join(self.dir, "out")
        r = subprocess.run([sys.executable, DSE, TINY, "--out", out, "--no-report", "--limit", "2", "--backend", "module",
                            "--tasdsim", os.path.join(self.dir, "no-such-binary")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("2 points (ok 2)", r.stdout)

    def test_error_records_match_cli(self):
        path = self.sweep_file("""  parameters:
    arch.pe_array.rows: [16, 0]
    series: ["4:8", "2:4"]
""")
        outs = self.both(path)
        cli, mod = self.records(outs["cli"]), self.records(outs["module"])
        self.assertEqual(sorted(cli), sorted(mod))
        statuses = sorted(m["status"] for m in mod.values())
        self.assertEqual(statuses, ["bad_input"] * 3 + ["ok"])
        for pid, c in cli.items():
            m = mod[pid]
            self.assertEqual({k: v for k, v in c.items() if k not in self.HOW},
                             {k: v for k, v in m.items() if k not in self.HOW}, pid)
            if m["status"] == "bad_input":
                self.assertEqual(m["exit_code"], 2)
                self.assertTrue(m["error"].startswith("tasdsim: error: "), m["error"])
                self.assertEqual(m["files"], {})
        # Bad inputs are final in module mode too.
        r = dse(path, "--out", outs["module"], "--no-report", "--backend", "module")
        self.assertIn("ran 0, reused 4", r.stdout, r.stderr)

    def test_timeout_matches_cli(self):
        path = self.sweep_file("""  timing_only: true
  timeout_s: 0.001
  parameters:
    arch.pe_array.lanes: [2, 4]
""", base=os.path.join(ROOT, "configs", "experiments", "resnet50_ttc_vegeta_m8.yaml"))
        outs = self.both(path, "--jobs", "2")
        cli, mod = self.records(outs["cli"]), self.records(outs["module"])
        for pid, c in cli.items():
            m = mod[pid]
            self.assertEqual((m["status"], m["error"], m["exit_code"]),
                             ("timeout", "killed after the point timeout of 0.001 s", -signal.SIGKILL))
            self.assertEqual({k: v for k, v in c.items() if k not in self.HOW},
                             {k: v for k, v in m.items() if k not in self.HOW}, pid)
        self.assertEqual(sorted(n for n in os.listdir(os.path.join(outs["module"], "points")) if n.startswith(".")),
                         [])
        r = dse(path, "--out", outs["module"], "--no-report", "--backend", "module")
        self.assertIn("ran 2, reused 0", r.stdout, r.stderr)  # not final: retried

    def test_interrupted_module_sweep_leaves_only_complete_points(self):
        self.interrupt_sweep(signal.SIGINT, "--backend", "module")

    def test_missing_module_is_a_clear_error(self):
        out = os.path.join(self.dir, "out")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        if subprocess.run([sys.executable, "-c", "import tasdsim"], env=env, capture_output=True).returncode == 0:
            self.skipTest("tasdsim is installed for this Python")
        r = subprocess.run([sys.executable, DSE, TINY, "--out", out, "--backend", "module"], env=env,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("dse: error: --backend module needs the Python module tasdsim", r.stderr)
        self.assertIn("PYTHONPATH=build/python", r.stderr)
        self.assertIn("pip install", r.stderr)
        self.assertFalse(os.path.exists(out))
        # A module that fails to load is named the same way.
        broken = os.path.join(self.dir, "broken", "tasdsim")
        os.makedirs(broken)
        with open(os.path.join(broken, "__init__.py"), "w") as f:
            f.write("raise ImportError('undefined symbol: _ZN7tasdsim')\n")
        r = subprocess.run([sys.executable, DSE, TINY, "--out", out, "--backend", "module"],
                           env=dict(env, PYTHONPATH=os.path.dirname(broken)), capture_output=True, text=True)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("cannot be imported (undefined symbol: _ZN7tasdsim)", r.stderr)
        # The CLI backend (the default) does not need the module.
        r = subprocess.run([sys.executable, DSE, TINY, "--out", out, "--limit", "1", "--no-report", "--tasdsim",
                            TASDSIM], env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_module_backend_is_local_only(self):
        r = dse(TINY, "--out", os.path.join(self.dir, "x"), "--backend", "module", "--scheduler", "tcp://127.0.0.1:9")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--backend module runs points in this process", r.stderr)


class DaskTest(Tmp):
    def test_loopback_local_cluster(self):
        from dask.distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", scheduler_port=0,
                               dashboard_address=None, memory_limit="1GiB")
        client = Client(cluster)
        try:
            worker_pids = set(client.run(os.getpid).values())
            out = os.path.join(self.dir, "dask")
            r = dse(TINY, "--out", out, "--scheduler", cluster.scheduler_address, "--no-report")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("ran 12, reused 0", r.stdout)
            self.assertIn(f"dask: {cluster.scheduler_address}, 2 workers", r.stderr)
        finally:
            client.close()
            cluster.close()
        rows = read_rows(os.path.join(out, "results.csv"))
        self.assertEqual({x["status"] for x in rows}, {"ok"})
        used = {int(x["worker"].rsplit(":", 1)[1]) for x in rows}
        self.assertTrue(used <= worker_pids, (used, worker_pids))
        self.assertNotIn(os.getpid(), used)
        # Same points, same results as a local run.
        local = os.path.join(self.dir, "local")
        self.assertEqual(dse(TINY, "--out", local, "--no-report", "-q").returncode, 0)
        key = lambda rs: {x["id"]: (x["cycles"], x["energy_pj"], x["error_proxy"]) for x in rs}
        self.assertEqual(key(rows), key(read_rows(os.path.join(local, "results.csv"))))

    def test_scheduler_file_with_command_line_workers(self):
        # The processes a SLURM job starts (docs/DSE.md): dask-scheduler writing a scheduler file,
        # dask-worker reading it; scripts/dse is given the file.
        sched_file = os.path.join(self.dir, "scheduler.json")
        procs = []
        try:
            procs.append(subprocess.Popen(["dask-scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                           "--scheduler-file", sched_file], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
            deadline = time.time() + 60
            while not os.path.exists(sched_file) and time.time() < deadline:
                time.sleep(0.1)
            procs.append(subprocess.Popen(["dask-worker", "--scheduler-file", sched_file, "--nworkers", "2",
                                           "--nthreads", "1", "--memory-limit", "1GiB", "--no-dashboard",
                                           "--local-directory", os.path.join(self.dir, "worker")],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            out = os.path.join(self.dir, "out")
            r = dse(TINY, "--out", out, "--scheduler", sched_file, "--no-report", "--limit", "4")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("4 points (ok 4); ran 4", r.stdout)
            workers = {x["worker"] for x in read_rows(os.path.join(out, "results.csv"))}
            self.assertNotIn(f"{os.uname().nodename}:{os.getpid()}", workers)
        finally:
            for p in reversed(procs):
                p.terminate()
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    def test_unreachable_scheduler(self):
        r = dse(TINY, "--out", os.path.join(self.dir, "x"), "--scheduler", "tcp://127.0.0.1:9", "--scheduler-timeout", "2", "--no-report",
                timeout=120)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("cannot use scheduler tcp://127.0.0.1:9", r.stderr)


class ReportTest(Tmp):
    def test_sweep_plots_and_report(self):
        out = os.path.join(self.dir, "out")
        r = dse(TINY, "--out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        report = os.path.join(out, "report.md")
        self.assertIn(report, r.stdout)
        with open(report) as f:
            text = f.read()
        for name in ["pareto_edp_area", "pareto_edp_error", "energy_breakdown", "cycle_breakdown", "param_effects",
                     "best_layers_cycles", "best_layers_energy"]:
            png = os.path.join(out, "plots", f"{name}.png")
            w, h = png_size(png)
            self.assertGreater(w, 200)
            self.assertGreater(h, 200)
            self.assertIn(f"(plots/{name}.png)", text)
        rows = table.read_csv(os.path.join(out, "results.csv"))
        best = min(rows, key=lambda x: x["edp_js"])
        # The summary table starts with the best point by EDP, linked to its folder.
        first = next(l for l in text.splitlines() if l.startswith(f"| {best['point']} |"))
        self.assertIn(f"[{best['id']}](points/{best['id']})", first)
        self.assertIn(f"## Per layer: best point by EDP (point {best['point']}, {best['id']})", text)
        front = sorted((x for x in rows if x["pareto_edp_area"]), key=lambda x: x["area_mm2"])
        self.assertIn("EDP vs area: %d Pareto points: %s" % (len(front), ", ".join(str(x["point"]) for x in front)),
                      text)
        # No Pareto point is dominated by another point.
        ok = [x for x in rows if x["status"] == "ok"]
        for f in front:
            self.assertFalse(any(o["edp_js"] <= f["edp_js"] and o["area_mm2"] <= f["area_mm2"] and
                                 (o["edp_js"], o["area_mm2"]) != (f["edp_js"], f["area_mm2"]) for o in ok))
        # Rendering again from the folder (scripts/report) gives the same report.
        r = subprocess.run([sys.executable, REPORT, out], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(report) as f:
            self.assertEqual(f.read(), text)

    def test_run_report(self):
        run = os.path.join(self.dir, "run")
        subprocess.run([TASDSIM, "run", os.path.join(ROOT, "configs", "experiments", "tiny_cnn_ttc_vegeta_m8.yaml"),
                        "--out", run, "-q"], check=True, capture_output=True)
        target = os.path.join(self.dir, "pub", "tiny.md")
        os.makedirs(os.path.dirname(target))
        r = subprocess.run([sys.executable, REPORT, run, "--out", target], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(target) as f:
            text = f.read()
        with open(os.path.join(run, "stats.json")) as f:
            s = json.load(f)
        self.assertIn("# tasdsim run: tiny_cnn_ttc_vegeta_m8", text)
        self.assertIn(f"| {s['network']['cycles']} |", text)
        for l in s["layers"]:
            self.assertIn(f"| {l['name']} |", text)
        for name in ["network_energy", "layers_cycles", "layers_energy"]:
            self.assertIn(f"(plots/{name}.png)", text)
            png_size(os.path.join(self.dir, "pub", "plots", f"{name}.png"))
        r = subprocess.run([sys.executable, REPORT, self.dir], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("neither a run folder", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
