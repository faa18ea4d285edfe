#!/usr/bin/python3
"""tasdsim decompose end to end: outputs checked with NumPy, bad inputs checked for a one-line
error, exit status 2 and no output left behind."""
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

import numpy as np

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]


def run(*args):
    return subprocess.run([TASDSIM, *map(str, args)], capture_output=True, text=True, timeout=120)


def top_n_reference(a, n, m):
    """Independent greedy term: per block of m along the last axis, the n largest |x|,
    ties to the lower index, zeros never kept."""
    rows, k = a.shape
    term = np.zeros_like(a)
    for r in range(rows):
        for b in range(0, k, m):
            block = a[r, b:b + m]
            order = sorted([j for j in range(len(block)) if block[j] != 0], key=lambda j: (-abs(block[j]), j))
            for j in order[:n]:
                term[r, b + j] = block[j]
    return term


class DecomposeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_float32_terms_sum_to_input_and_match_reference(self):
        rng = np.random.default_rng(1)
        a = rng.standard_normal((13, 45)).astype(np.float32)
        a[rng.random(a.shape) < 0.6] = 0
        np.save(self.path("a.npy"), a)
        r = run("decompose", "--series", "2:8+1:8", self.path("a.npy"), "--out", self.path("out"))
        self.assertEqual(r.returncode, 0, r.stderr)
        out = self.path("out")
        t0, t1 = np.load(f"{out}/term0.npy"), np.load(f"{out}/term1.npy")
        res, approx = np.load(f"{out}/residual.npy"), np.load(f"{out}/approx.npy")
        np.testing.assert_array_equal(t0 + t1 + res, a)
        np.testing.assert_array_equal(approx, t0 + t1)
        ref0 = top_n_reference(a, 2, 8)
        np.testing.assert_array_equal(t0, ref0)
        np.testing.assert_array_equal(t1, top_n_reference(a - ref0, 1, 8))
        with open(f"{out}/metrics.json") as f:
            m = json.load(f)
        self.assertEqual(m["series"], "2:8+1:8")
        # K = 45: six blocks of 8 per row (the last zero-padded) take 2 + 1 slots each.
        self.assertAlmostEqual(m["compute_fraction"], 6 * 3 / 45)
        err = np.linalg.norm(a - approx) / np.linalg.norm(a)
        self.assertAlmostEqual(m["total"]["rel_frobenius_error"], err, places=5)
        self.assertEqual(m["total"]["kept_nonzeros"], int(np.count_nonzero(approx)))
        # Compressed file: header + values + metadata, sizes as the format says.
        raw = open(f"{out}/term0_2x8.tasd", "rb").read()
        self.assertEqual(raw[:8], b"TASDTERM")
        dtype, n, mm = raw[12], raw[13], raw[14]
        rows, cols = struct.unpack("<QQ", raw[16:32])
        self.assertEqual((dtype, n, mm, rows, cols), (0, 2, 8, 13, 45))
        blocks = (45 + 7) // 8
        self.assertEqual(len(raw), 32 + 13 * blocks * 2 * 4 + 13 * ((blocks * 2 * 3 + 7) // 8))
        self.assertIn("total", r.stdout)

    def test_int8_conv_weights_with_layout(self):
        rng = np.random.default_rng(2)
        w = rng.integers(-128, 128, size=(4, 3, 3, 16), dtype=np.int8)  # OHWI
        np.save(self.path("w.npy"), w)
        r = run("decompose", "-s", "1:4", self.path("w.npy"), "--layout", "OHWI", "-o", self.path("o"))
        self.assertEqual(r.returncode, 0, r.stderr)
        t0 = np.load(self.path("o/term0.npy"))
        self.assertEqual(t0.dtype, np.int8)
        lowered = w.reshape(4, -1)  # OHWI is already channel-innermost
        np.testing.assert_array_equal(t0, top_n_reference(lowered.astype(np.int32), 1, 4).astype(np.int8))
        # OIHW of the same weights gives the same lowered matrix.
        np.save(self.path("w2.npy"), np.ascontiguousarray(w.transpose(0, 3, 1, 2)))
        r = run("decompose", "-s", "1:4", self.path("w2.npy"), "--layout", "OIHW", "-o", self.path("o2"))
        self.assertEqual(r.returncode, 0, r.stderr)
        np.testing.assert_array_equal(np.load(self.path("o2/term0.npy")), t0)

    def test_float16_and_bf16(self):
        a = np.array([[1.5, -3.0, 0.25, 0.0]], dtype=np.float16)
        np.save(self.path("h.npy"), a)
        r = run("decompose", "-s", "1:4", self.path("h.npy"), "--dtype", "bf16", "-o", self.path("o"))
        self.assertEqual(r.returncode, 0, r.stderr)
        np.testing.assert_array_equal(np.load(self.path("o/term0.npy")), [[0, -3.0, 0, 0]])

    def test_bf16_storage_warns_about_values_that_become_inf(self):
        a = np.ones((2, 8), dtype=np.float32)
        a[0, 0] = 3.4e38  # finite in fp32, above bf16's largest value after rounding
        a[1, 3] = -3.397e38
        a[1, 4] = 3.38e38  # rounds down to bf16's largest finite value
        np.save(self.path("big.npy"), a)
        r = run("decompose", "--series", "2:8", self.path("big.npy"), "--dtype", "bf16")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.splitlines(),
                         [f"tasdsim: warning: {self.path('big.npy')}: 2 finite values are too large for bf16 "
                          "(|x| >= 2^128 - 2^119) and become Inf"])
        r = run("decompose", "--series", "2:8", self.path("big.npy"))  # fp32: nothing to say
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_sweep_is_sorted_by_compute_fraction(self):
        rng = np.random.default_rng(3)
        a = rng.standard_normal((8, 64)).astype(np.float32)
        np.save(self.path("a.npy"), a)
        r = run("decompose", "--sweep", self.path("a.npy"), "-o", self.path("sw"))
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.path("sw/sweep.json")) as f:
            rows = json.load(f)["series"]
        fr = [x["compute_fraction"] for x in rows]
        self.assertEqual(fr, sorted(fr))
        names = [x["series"] for x in rows]
        self.assertIn("4:8+2:8+1:8", names)
        self.assertEqual(names[-1], "dense")
        by_name = {x["series"]: x["quality"]["rel_frobenius_error"] for x in rows}
        self.assertEqual(by_name["dense"], 0.0)
        self.assertLess(by_name["4:8+2:8"], by_name["4:8"])

    def expect_error(self, args, needle, out=None):
        r = run(*args)
        self.assertEqual(r.returncode, 2, f"{args}: {r.stdout} {r.stderr}")
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("error", lines[0])
        self.assertIn(needle, lines[0])
        if out:
            self.assertFalse(os.path.exists(out), f"{out} left behind")
            leftovers = [f for f in os.listdir(os.path.dirname(out)) if "partial" in f]
            self.assertEqual(leftovers, [])

    def test_bad_inputs(self):
        a = np.ones((2, 8), dtype=np.float32)
        np.save(self.path("a.npy"), a)
        good = self.path("a.npy")
        out = self.path("never")
        self.expect_error(["decompose", "-s", "2:8+", good, "-o", out], "series '2:8+'", out)
        self.expect_error(["decompose", "-s", "9:8", good, "-o", out], "n must be in [1, m]", out)
        self.expect_error(["decompose", "-s", "2:6", good, "-o", out], "power of two", out)
        self.expect_error(["decompose", "-s", "2:8", self.path("missing.npy"), "-o", out], "cannot open", out)
        raw = open(good, "rb").read()
        open(self.path("trunc.npy"), "wb").write(raw[:-5])
        self.expect_error(["decompose", "-s", "2:8", self.path("trunc.npy"), "-o", out], "truncated", out)
        np.save(self.path("f64.npy"), a.astype(np.float64))
        self.expect_error(["decompose", "-s", "2:8", self.path("f64.npy"), "-o", out], "unsupported dtype '<f8'", out)
        np.save(self.path("w4.npy"), np.ones((2, 2, 2, 2), dtype=np.float32))
        self.expect_error(["decompose", "-s", "1:2", self.path("w4.npy"), "-o", out], "--layout", out)
        os.mkdir(self.path("exists"))
        self.expect_error(["decompose", "-s", "2:8", good, "-o", self.path("exists")], "already exists")
        self.expect_error(["decompose", good], "--series is required")
        self.expect_error(["decompose", "-s", "2:8", good, "--dtype", "int8"], "int8")
        self.expect_error(["decompose", "-s", "2:8", good, "--bogus"], "bogus")


if __name__ == "__main__":
    unittest.main(verbosity=2)
