#!/usr/bin/python3
"""The Python module tasdsim against the tasdsim program: the same terms, metrics, statistics and
error messages, from the build tree (PYTHONPATH=<build>/python)."""
import json
import os
import subprocess
import tempfile
import threading
import unittest

import numpy as np

import tasdsim

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
TINY = os.path.join(ROOT, "configs", "experiments", "tiny_cnn_ttc_vegeta_m8.yaml")


def cli(*args):
    return subprocess.run([TASDSIM, *map(str, args)], capture_output=True, text=True, timeout=300)


def cli_error(*args):
    r = cli(*args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    prefix = "tasdsim: error: "
    line = r.stderr.strip()
    assert line.startswith(prefix), line
    return line[len(prefix):]


def dense_term(term, cols):
    """The dense form of a term from its values and in-block indices (rows x blocks x n)."""
    values, indices = term["values"], term["indices"]
    rows, blocks, n = values.shape
    m = int(term["pattern"].split(":")[1])
    out = np.zeros((rows, blocks * m), dtype=values.dtype)
    r = np.repeat(np.arange(rows), blocks * n)
    c = (np.arange(blocks).repeat(n)[None, :] * m + indices.reshape(rows, -1)).reshape(-1)
    v = values.reshape(-1)
    keep = v != 0
    out[r[keep], c[keep]] = v[keep]
    return out[:, :cols]


class DecomposeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def cli_decompose(self, a, series, *extra):
        np.save(os.path.join(self.dir, "a.npy"), a)
        out = os.path.join(self.dir, "out")
        r = cli("decompose", "--series", series, os.path.join(self.dir, "a.npy"), "--out", out, *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "metrics.json")) as f:
            return out, json.load(f)

    def test_float32_terms_approx_and_metrics_equal_the_cli(self):
        rng = np.random.default_rng(7)
        a = rng.standard_normal((37, 70)).astype(np.float32)  # K not a multiple of 8: padded blocks
        a[rng.random(a.shape) < 0.5] = 0
        d = tasdsim.decompose(a, "2:8+1:8", residual=True)
        out, metrics = self.cli_decompose(a, "2:8+1:8")
        self.assertEqual([t["pattern"] for t in d["terms"]], ["2:8", "1:8"])
        for i, t in enumerate(d["terms"]):
            self.assertEqual(t["values"].shape, (37, 9, int(t["pattern"][0])))
            np.testing.assert_array_equal(dense_term(t, 70), np.load(os.path.join(out, f"term{i}.npy")))
            self.assertEqual(t["nonzeros"], metrics["terms"][i]["nonzeros"])
        np.testing.assert_array_equal(d["approx"], np.load(os.path.join(out, "approx.npy")))
        np.testing.assert_array_equal(d["residual"], np.load(os.path.join(out, "residual.npy")))
        np.testing.assert_array_equal(d["approx"] + d["residual"], a)
        for key, value in metrics["total"].items():
            self.assertEqual(d["metrics"][key], value, key)
        for k, c in enumerate(d["cumulative"]):
            self.assertEqual(c["kept_energy"], metrics["terms"][k]["cumulative"]["kept_energy"])
        self.assertAlmostEqual(d["compute_fraction"], 3 / 8)

    def test_indices_of_every_index_width_rebuild_the_approximation(self):
        # 2- to 5-bit indices (m = 4 to 32), rows whose slot count is not a multiple of 8 (the
        # unpacker's 8-slot groups and its tail), and the 8-slot groups at the end of the metadata.
        rng = np.random.default_rng(11)
        for series, cols in [("3:4", 301), ("5:16", 300), ("7:32+1:32", 333), ("1:8", 1031)]:
            a = rng.standard_normal((41, cols)).astype(np.float32)
            d = tasdsim.decompose(a, series)
            rebuilt = sum(dense_term(t, cols) for t in d["terms"])
            np.testing.assert_array_equal(rebuilt, d["approx"], series)

    def test_int8_is_exact_and_bf16_rounds_like_the_cli(self):
        rng = np.random.default_rng(3)
        a = rng.integers(-128, 128, size=(16, 32)).astype(np.int8)
        d = tasdsim.decompose(a, "2:4", residual=True)
        self.assertEqual(d["terms"][0]["values"].dtype, np.int8)
        self.assertEqual(d["storage_dtype"], "int8")
        np.testing.assert_array_equal(d["approx"].astype(np.int16) + d["residual"], a)
        f = rng.standard_normal((8, 64)).astype(np.float32)
        d = tasdsim.decompose(f, "4:8", dtype="bf16")
        out, _ = self.cli_decompose(f, "4:8", "--dtype", "bf16")
        np.testing.assert_array_equal(d["approx"], np.load(os.path.join(out, "approx.npy")))

    def test_conv_weights_are_lowered_as_the_cli_lowers_them(self):
        rng = np.random.default_rng(5)
        w = rng.standard_normal((6, 5, 3, 3)).astype(np.float32)
        d = tasdsim.decompose(w, "1:8+1:8", layout="OIHW")
        out, _ = self.cli_decompose(w, "1:8+1:8", "--layout", "OIHW")
        self.assertEqual(d["approx"].shape, (6, 45))
        np.testing.assert_array_equal(d["approx"], np.load(os.path.join(out, "approx.npy")))

    def test_input_is_not_modified_and_dense_returns_it(self):
        a = np.arange(24, dtype=np.float32).reshape(3, 8) - 10
        before = a.copy()
        d = tasdsim.decompose(a, "dense")
        np.testing.assert_array_equal(a, before)
        np.testing.assert_array_equal(d["approx"], a)
        self.assertNotIn("residual", d)
        self.assertEqual(d["terms"], [])
        self.assertEqual(d["metrics"]["rel_frobenius_error"], 0)
        # A strided view is read as the values it shows.
        d = tasdsim.decompose(np.asfortranarray(a), "1:4")
        np.testing.assert_array_equal(d["approx"], tasdsim.decompose(a, "1:4")["approx"])

    def test_bad_input_raises_the_cli_message(self):
        a = np.ones((2, 8), dtype=np.float32)
        np.save(os.path.join(self.dir, "a.npy"), a)
        for series in ("3:7", "2:8+", "9:8"):
            message = cli_error("decompose", "--series", series, os.path.join(self.dir, "a.npy"))
            with self.assertRaises(tasdsim.UserError) as e:
                tasdsim.decompose(a, series)
            self.assertEqual(str(e.exception), message)
            self.assertIsInstance(e.exception, ValueError)
        with self.assertRaisesRegex(tasdsim.UserError, "4-D array needs layout"):
            tasdsim.decompose(np.ones((2, 2, 2, 2), np.float32), "1:2")
        with self.assertRaisesRegex(tasdsim.UserError, "expected a float or int8 array"):
            tasdsim.decompose(np.ones((2, 8), np.int32), "1:2")


class SimulateTest(unittest.TestCase):
    def test_stats_and_layers_equal_the_cli(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "run")
            r = cli("run", TINY, "--out", out, "-q", "--set", "arch.pe_array.rows=8")
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(out, "stats.json")) as f:
                stats_text = f.read()
            stats = json.loads(stats_text)
            with open(os.path.join(out, "layers.csv")) as f:
                layers_csv = f.read()
        res = tasdsim.simulate(TINY, {"arch.pe_array.rows": 8})
        self.assertEqual(res.stats, stats)
        self.assertEqual(res.stats_json, stats_text)  # the file's text, byte for byte
        self.assertEqual(json.loads(res.wall_clock_json), res.wall_clock)
        self.assertEqual(res.layers_csv, layers_csv)
        self.assertEqual(len(res.layers), len(stats["layers"]))
        self.assertGreater(len(res.outputs), 0)
        # Another simulation in the same process (each runs in a child: one elaboration each).
        timing = tasdsim.simulate(TINY, ["arch.pe_array.rows=8"], timing_only=True)
        self.assertEqual(timing.stats["network"]["cycles"], stats["network"]["cycles"])
        self.assertEqual(timing.outputs, {})

    def test_series_and_input_arrays(self):
        base = tasdsim.simulate(TINY, timing_only=True, series="dense")
        sparse = tasdsim.simulate(TINY, timing_only=True, series="1:8", operand="W")
        self.assertLess(sparse.stats["network"]["cycles"], base.stats["network"]["cycles"])
        x = np.random.default_rng(11).standard_normal((1, 12, 12, 16)).astype(np.float32)
        with tempfile.TemporaryDirectory() as d:
            np.save(os.path.join(d, "x.npy"), x)
            out = os.path.join(d, "run")
            r = cli("run", TINY, "--input", os.path.join(d, "x.npy"), "--save-outputs", "--out", out, "-q")
            self.assertEqual(r.returncode, 0, r.stderr)
            saved = {f[:-4]: np.load(os.path.join(out, "outputs", f)) for f in os.listdir(os.path.join(out, "outputs"))}
        res = tasdsim.simulate(TINY, input=x)
        self.assertEqual(sorted(res.outputs), sorted(saved))
        for name, value in saved.items():
            np.testing.assert_array_equal(res.outputs[name], value)
        with self.assertRaisesRegex(tasdsim.UserError, "does not match the input"):
            tasdsim.simulate(TINY, input=x[:, :6])

    def test_bad_input_raises_the_cli_message(self):
        for args, kwargs in ((["--set", "arch.pe_array.rows=0"], {"overrides": {"arch.pe_array.rows": 0}}),
                             (["--set", "nokey=1"], {"overrides": ["nokey=1"]}),
                             (["--series", "5:8"], {"series": "5:8"}),
                             (["--timing-only", "--compare-executor"], {"timing_only": True,
                                                                        "compare_executor": True})):
            with tempfile.TemporaryDirectory() as d:
                message = cli_error("run", TINY, "--out", os.path.join(d, "o"), *args)
            with self.assertRaises(tasdsim.UserError) as e:
                tasdsim.simulate(TINY, **kwargs)
            self.assertEqual(str(e.exception), message)
        with self.assertRaisesRegex(tasdsim.UserError, "no-such.yaml"):
            tasdsim.simulate(os.path.join(ROOT, "no-such.yaml"))

    def test_gil_is_released_while_simulating(self):
        started, done = threading.Event(), threading.Event()
        result = {}

        def work():
            started.set()
            result["r"] = tasdsim.simulate(TINY)
            done.set()

        t = threading.Thread(target=work)
        t.start()
        started.wait()
        steps = 0
        while not done.is_set():
            steps += 1  # runs only while the simulation does not hold the GIL
        t.join()
        self.assertIn("r", result)
        self.assertGreater(steps, 1000)


if __name__ == "__main__":
    unittest.main()
