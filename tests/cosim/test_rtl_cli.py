#!/usr/bin/python3
"""tasdsim run with RTL blocks end to end: a small network and a single layer with the Verilated
PE array (and TASD units and decoder) inside the simulator match their references; the PE array
and decoder give the model's cycles; --trace writes VCDs; unsupported combinations exit with
status 2 and a message naming what the RTL supports."""
import json
import os
import subprocess
import tempfile
import unittest

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
RTL_EXP = os.path.join(ROOT, "configs/experiments/tiny_cnn_ttc_vegeta_m8_rtl.yaml")
STOCK_EXP = os.path.join(ROOT, "configs/experiments/tiny_cnn_ttc_vegeta_m8.yaml")
ALL_MODEL = ["--set", "arch.pe_array.impl=model", "--set", "arch.tasd_unit.impl=model",
             "--set", "arch.decoder.impl=model"]


def run(*args):
    return subprocess.run([TASDSIM, "run", *map(str, args), "-q"], capture_output=True, text=True, timeout=300)


class RtlRunTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def out(self, name):
        return os.path.join(self.dir, name)

    def stats(self, name):
        with open(os.path.join(self.out(name), "stats.json")) as f:
            return json.load(f)

    def test_network_with_rtl_blocks_matches_reference_and_model_cycles(self):
        r = run(RTL_EXP, "--out", self.out("rtl"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("every layer matches its reference", r.stdout)
        self.assertEqual(sorted(os.listdir(self.out("rtl"))),
                         ["layers.csv", "resolved_config.yaml", "stats.json", "summary.txt",
                          "tasdsim-manifest.json", "wall_clock.json"])  # no VCD unasked
        r = run(RTL_EXP, "--out", self.out("model"), *ALL_MODEL)
        self.assertEqual(r.returncode, 0, r.stderr)
        rtl, model = self.stats("rtl"), self.stats("model")
        self.assertEqual(rtl["network"]["cycles"], model["network"]["cycles"])
        self.assertEqual(rtl["counters"], model["counters"])
        self.assertEqual(rtl["experiment"]["dtype"], "int8")

    def test_clock_period_that_is_not_whole_picoseconds_keeps_the_model_cycles(self):
        # 0.7 GHz: a period of 1428.57 ps; the RTL clock's edges are computed from the call's start.
        for impl, extra in (("rtl", []), ("model", ALL_MODEL)):
            r = run(RTL_EXP, "--out", self.out(impl), "--set", "arch.clock_ghz=0.7", *extra)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.stats("rtl")["counters"], self.stats("model")["counters"])

    def test_tasd_a_with_rtl_units_matches_reference(self):
        r = run(RTL_EXP, "--out", self.out("a"), "--series", "4:8+1:8", "--operand", "A", "--tau-quantile", "0.25")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("every layer matches its reference", r.stdout)
        s = self.stats("a")
        self.assertGreater(s["counters"]["accel.tasd_unit.tiles"], 0)

    def test_stock_experiment_with_rtl_pe_array_as_asked(self):
        # The stock engine resized to a Verilated variant: values match; its configured fill and
        # drain (32 cycles, for 16 x 16) differs from the 8 x 8 RTL's 16 per STREAM.
        r = run(STOCK_EXP, "--out", self.out("stock"), "--set", "experiment.dtype=int8",
                "--set", "arch.pe_array.impl=rtl", "--set", "arch.pe_array.rows=8", "--set", "arch.pe_array.cols=8",
                "--set", "arch.pe_array.overlap_streams=false")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("every layer matches its reference", r.stdout)

    def test_single_layer(self):
        workload = self.out("layer.yaml")
        with open(workload, "w") as f:
            f.write("workload:\n  name: one_layer\n  seed: 3\n  input: {n: 1, h: 9, w: 9, c: 24}\n"
                    "  layers:\n    - {name: conv, op: conv, cout: 20, kernel: 3, pad: 1, act: relu}\n")
        exp = self.out("exp.yaml")
        with open(exp, "w") as f:
            f.write(f"experiment:\n  name: layer\n  arch: {ROOT}/configs/arch/rtl/ttc_vegeta_m8_8x8.yaml\n"
                    f"  workload: {workload}\n  plan: {{series: \"2:8+1:8\", operand: W}}\n  dtype: int8\n")
        for impl, extra in (("rtl", []), ("model", ALL_MODEL)):
            r = run(exp, "--out", self.out(impl), *extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("every layer matches its reference", r.stdout)
        self.assertEqual(self.stats("rtl")["network"]["cycles"], self.stats("model")["network"]["cycles"])

    def test_trace_writes_a_vcd_per_rtl_block(self):
        # One small layer: the 8x8 array's 2048-bit buses make the waveform of a network large.
        workload = self.out("small.yaml")
        with open(workload, "w") as f:
            f.write("workload:\n  name: small\n  input: {n: 1, h: 6, w: 6, c: 16}\n"
                    "  layers:\n    - {name: conv, op: conv, cout: 12, kernel: 3, pad: 1}\n")
        r = run(RTL_EXP, "--out", self.out("t"), "--trace", "--series", "2:8", "--operand", "A",
                "--set", f"experiment.workload={workload}")
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("pe_array.vcd", "tasd_unit.vcd", "decoder.vcd"):
            path = os.path.join(self.out("t"), name)
            self.assertTrue(os.path.exists(path), name)
            with open(path) as f:
                text = f.read()
            self.assertIn("$enddefinitions", text)
            self.assertRegex(text, r"\n#[1-9]")  # value changes after time 0

    def test_unsupported_combinations_exit_2_naming_what_is_supported(self):
        cases = [
            ((STOCK_EXP, "--set", "arch.pe_array.impl=rtl", "--set", "experiment.dtype=int8"), ["16x16", "4x4, 8x8"]),
            ((RTL_EXP, "--set", "experiment.dtype=fp32"), ["int8", "fp32"]),
            ((RTL_EXP, "--set", "arch.pe_array.overlap_streams=true"), ["overlap_streams: false"]),
            ((RTL_EXP, "--timing-only"), ["timing-only"]),
            ((STOCK_EXP, "--trace"), ["--trace", "rtl"]),
            ((RTL_EXP, "--set", "arch.decoder.cycles_per_instruction=2"), ["one instruction per cycle"]),
        ]
        for args, words in cases:
            r = run(*args, "--out", self.out("bad"))
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            for w in words:
                self.assertIn(w, r.stderr, args)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertFalse(os.path.exists(self.out("bad")))


if __name__ == "__main__":
    unittest.main()
