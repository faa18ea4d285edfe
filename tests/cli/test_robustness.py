#!/usr/bin/python3
"""Bad inputs to every loader that tasdsim reads, through the program itself: each gets a
one-line error naming what and where, exit status 2, and leaves no output folder, staging folder
or temporary file behind. The same cases make the table in docs/ROBUSTNESS.md:

    TASDSIM=build/sim/tasdsim TASDSIM_SOURCE_DIR=. /usr/bin/python3 tests/cli/test_robustness.py --markdown

prints it, and the test fails when the committed table differs (messages changed: regenerate)."""
import glob
import os
import struct
import subprocess
import sys
import tempfile
import unittest

TASDSIM = os.environ.get("TASDSIM", "build/sim/tasdsim")
ROOT = os.path.abspath(os.environ.get("TASDSIM_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")))
REAL = os.environ.get("TASDSIM_REALDATA", os.path.join(ROOT, "realdata"))
CLS = os.path.join(REAL, "ocr-models", "assets", "ch_ppocr_mobile_v2.0_cls_infer.onnx")
DET = os.path.join(REAL, "ocr-models", "assets", "ch_PP-OCRv4_det_infer.onnx")
FACE = os.path.join(REAL, "face_detection", "face_detection_short_range.tflite")
ARCH = os.path.join(ROOT, "configs", "arch", "ttc_vegeta_m8.yaml")
WORKLOAD = os.path.join(ROOT, "configs", "workloads", "tiny_cnn.yaml")
ENERGY = os.path.join(ROOT, "configs", "energy", "horowitz_45nm.yaml")


def npy(header, payload=b"", magic=b"\x93NUMPY\x01\x00"):
    h = header.encode()
    pad = 64 - (len(magic) + 2 + len(h) + 1) % 64
    h = h + b" " * pad + b"\n"
    return magic + struct.pack("<H", len(h)) + h + payload


def f32(n):
    return struct.pack(f"<{n}f", *[float(i % 7 - 3) for i in range(n)])


def experiment(d, body=None, arch=ARCH, workload=WORKLOAD, plan='{series: "4:8+1:8", operand: W}', extra=""):
    text = body if body is not None else f"""experiment:
  name: robust
  arch: {arch}
  workload: {workload}
  plan: {plan}
{extra}"""
    return write(d, "exp.yaml", text)


def arch_file(d, replace=None, add=""):
    with open(ARCH) as f:
        text = f.read().replace("../energy/horowitz_45nm.yaml", ENERGY)
    if replace:
        assert replace[0] in text, replace[0]
        text = text.replace(*replace)
    return write(d, "arch.yaml", text + add)


def workload_file(d, replace):
    with open(WORKLOAD) as f:
        text = f.read()
    assert replace[0] in text, replace[0]
    return write(d, "workload.yaml", text.replace(*replace))


def write(d, name, data):
    p = os.path.join(d, name)
    with open(p, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return p


def out(d):
    return os.path.join(d, "out")


# (loader, what is wrong, argv builder (tmp dir -> args), expected text in the message)
CASES = [
    # .npy tensors (tasdsim decompose)
    ("npy", "file does not exist", lambda d: ["decompose", os.path.join(d, "missing.npy"), "-s", "2:8"], "cannot open"),
    ("npy", "a folder", lambda d: ["decompose", d, "-s", "2:8"], "is a directory"),
    ("npy", "a device (endless)", lambda d: ["decompose", "/dev/zero", "-s", "2:8"], "not a regular file"),
    ("npy", "empty file", lambda d: ["decompose", write(d, "e.npy", b""), "-s", "2:8"], "npy"),
    ("npy", "wrong magic", lambda d: ["decompose", write(d, "m.npy", b"PK\x03\x04" + b"\0" * 60), "-s", "2:8"], "magic"),
    ("npy", "header cut short", lambda d: ["decompose", write(d, "h.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 8), }")[:20]), "-s", "2:8"], "npy"),
    ("npy", "data cut short", lambda d: ["decompose", write(d, "t.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 8), }", f32(20))), "-s", "2:8"], "bytes"),
    ("npy", "float64", lambda d: ["decompose", write(d, "f8.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 8), }", b"\0" * 128)), "-s", "2:8"], "<f8"),
    ("npy", "big-endian float32", lambda d: ["decompose", write(d, "be.npy", npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 8), }", b"\0" * 64)), "-s", "2:8"], ">f4"),
    ("npy", "Fortran order", lambda d: ["decompose", write(d, "fo.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 8), }", f32(16))), "-s", "2:8"], "ortran"),
    ("npy", "3-D array", lambda d: ["decompose", write(d, "3d.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 4), }", f32(16))), "-s", "2:8"], "3 dimensions"),
    ("npy", "4-D without --layout", lambda d: ["decompose", write(d, "4d.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2, 2), }", f32(16))), "-s", "2:8"], "layout"),
    ("npy", "unknown --layout", lambda d: ["decompose", write(d, "4l.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2, 2), }", f32(16))), "-s", "2:8", "--layout", "NCHW"], "NCHW"),
    ("npy", "header is not a dict", lambda d: ["decompose", write(d, "g.npy", npy("garbage")), "-s", "2:8"], "header"),
    ("npy", "header dimension overflows", lambda d: ["decompose", write(d, "o.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }")), "-s", "2:8"], "npy"),
    ("npy", "int8 input with --dtype bf16", lambda d: ["decompose", write(d, "i8.npy", npy("{'descr': '|i1', 'fortran_order': False, 'shape': (2, 8), }", b"\x01" * 16)), "-s", "2:8", "--dtype", "bf16"], "int8"),
    # series strings (decompose, run --series, plans)
    ("series", "trailing '+'", lambda d: ["decompose", write(d, "a.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8), }", f32(16))), "-s", "2:8+"], "2:8+"),
    ("series", "m not a power of two", lambda d: ["decompose", write(d, "a.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8), }", f32(16))), "-s", "3:6"], "power of two"),
    ("series", "n > m", lambda d: ["decompose", write(d, "a.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8), }", f32(16))), "-s", "9:8"], "9:8"),
    ("series", "n = 0", lambda d: ["decompose", write(d, "a.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8), }", f32(16))), "-s", "0:8"], "0:8"),
    ("series", "m too large", lambda d: ["decompose", write(d, "a.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8), }", f32(16))), "-s", "2:64"], "2:64"),
    # output folders
    ("output", "--out exists", lambda d: ["decompose", write(d, "a.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8), }", f32(16))), "-s", "2:8", "--out", d], "already exists"),
    ("output", "--out parent missing", lambda d: ["run", experiment(d), "--out", os.path.join(d, "no", "such", "out")], "does not exist"),
    # YAML configs (tasdsim run)
    ("yaml", "experiment file missing", lambda d: ["run", os.path.join(d, "none.yaml"), "--out", out(d)], "none.yaml"),
    ("yaml", "experiment is empty", lambda d: ["run", experiment(d, body=""), "--out", out(d)], "exp.yaml"),
    ("yaml", "YAML syntax error", lambda d: ["run", experiment(d, body="experiment: {name: x, arch: [\n"), "--out", out(d)], "exp.yaml:"),
    ("yaml", "required key missing", lambda d: ["run", experiment(d, body="experiment:\n  name: x\n"), "--out", out(d)], "missing required key"),
    ("yaml", "unknown key (typo)", lambda d: ["run", experiment(d, extra="  dtpye: fp32\n"), "--out", out(d)], "unknown key"),
    ("yaml", "a key that is a list", lambda d: ["run", experiment(d, extra="  [a, b]: 1\n"), "--out", out(d)], "plain name"),
    ("yaml", "referenced arch file missing", lambda d: ["run", experiment(d, arch=os.path.join(d, "nope.yaml")), "--out", out(d)], "nope.yaml"),
    ("yaml", "wrong type", lambda d: ["run", experiment(d, arch=arch_file(d, ("rows: 16", "rows: sixteen"))), "--out", out(d)], "sixteen"),
    ("yaml", "value out of range", lambda d: ["run", experiment(d, arch=arch_file(d, ("rows: 16", "rows: 0"))), "--out", out(d)], "rows"),
    ("yaml", "pattern the engine cannot have", lambda d: ["run", experiment(d, arch=arch_file(d, ('"8:8"]', '"3:6"]'))), "--out", out(d)], "3:6"),
    ("yaml", "energy table missing a value", lambda d: ["run", experiment(d, arch=arch_file(d, (ENERGY, os.path.join(d, "energy.yaml")))), "--out", out(d)] if write(d, "energy.yaml", "energy: {}\n") else [], "energy"),
    ("yaml", "workload: zero output channels", lambda d: ["run", experiment(d, workload=workload_file(d, ("cout: 32, kernel: 3, pad: 1, act: relu", "cout: 0, kernel: 3, pad: 1, act: relu"))), "--out", out(d)], "cout"),
    ("yaml", "workload: input of an unknown layer", lambda d: ["run", experiment(d, workload=workload_file(d, ("input: conv2", "input: conv9"))), "--out", out(d)], "conv9"),
    ("yaml", "plan: series the engine does not support", lambda d: ["run", experiment(d, plan='{series: "2:4", operand: W}'), "--out", out(d)], "2:4"),
    ("yaml", "plan: a layer the workload lacks", lambda d: ["run", experiment(d, plan="{file: " + write(d, "plan.yaml", "plan:\n  name: p\n  default: {operand: W, series: dense}\n  layers:\n    - {layer: conv99, operand: W, series: \"4:8\"}\n") + "}"), "--out", out(d)], "conv99"),
    ("yaml", "--set without '='", lambda d: ["run", experiment(d), "--set", "arch.pe_array.rows", "--out", out(d)], "--set"),
    ("yaml", "--set of an unknown file", lambda d: ["run", experiment(d), "--set", "nothing.rows=3", "--out", out(d)], "nothing"),
    ("yaml", "--set value of the wrong type", lambda d: ["run", experiment(d), "--set", "arch.pe_array.lanes=many", "--out", out(d)], "many"),
    ("yaml", "--series with --plan", lambda d: ["run", experiment(d), "--series", "4:8", "--plan", os.path.join(ROOT, "configs/plans/resnet50_tasd_a_m8.yaml"), "--out", out(d)], "exclude"),
    ("yaml", "search without a search section", lambda d: ["search", experiment(d), "--out", out(d)], "search"),
    # ONNX models (tasdsim import)
    ("onnx", "not a model (text)", lambda d: ["import", write(d, "m.onnx", "hello, world\n" * 10)], "m.onnx"),
    ("onnx", "truncated model", lambda d: ["import", write(d, "cut.onnx", open(CLS, "rb").read()[:200000])], "cut.onnx"),
    ("onnx", "dynamic input size without --input-shape", lambda d: ["import", CLS], "--input-shape"),
    ("onnx", "--input-shape of the wrong rank", lambda d: ["import", CLS, "--input-shape", "1,3,48"], "dimensions"),
    ("onnx", "unsupported operator", lambda d: ["import", DET, "--input-shape", "1,3,64,64"], "unsupported operator"),
    ("onnx", "--input-shape not numbers", lambda d: ["import", CLS, "--input-shape", "1x3x48x64"], "--input-shape"),
    # TFLite models (tasdsim import)
    ("tflite", "wrong file identifier", lambda d: ["import", write(d, "m.tflite", b"\x10\0\0\0XXXX" + b"\0" * 64)], "m.tflite"),
    ("tflite", "truncated model", lambda d: ["import", write(d, "cut.tflite", open(FACE, "rb").read()[:50000])], "cut.tflite"),
    # labelled data and plans for accuracy
    ("accuracy", "realdata folder missing", lambda d: ["accuracy", "--realdata", os.path.join(d, "nothing")], "nothing"),
    ("accuracy", "plan with an unknown layer", lambda d: ["accuracy", "--plan", write(d, "p.yaml", "plan:\n  name: p\n  default: {operand: W, series: dense}\n  layers:\n    - {layer: nope, operand: W, series: \"4:8\"}\n"), "--first", "1", "--realdata", REAL], "nope"),
]


def run_case(argv):
    with tempfile.TemporaryDirectory() as d:
        args = argv(d)
        before = set(os.listdir(d))
        r = subprocess.run([TASDSIM, *args], capture_output=True, text=True, timeout=300, cwd=d)
        after = set(os.listdir(d))
        leftovers = sorted((after - before) | {os.path.relpath(p, d) for p in glob.glob(os.path.join(d, "**", "*.tmp-*"), recursive=True)})
        msg = r.stderr.strip().replace(d, "DIR").replace(REAL, "realdata").replace(ROOT, ".")
        return r.returncode, msg, leftovers, r.stderr


def markdown():
    rows = ["| loader | bad input | exit | message |", "|---|---|---|---|"]
    for loader, what, argv, _ in CASES:
        rc, msg, leftovers, _ = run_case(argv)
        msg = msg.replace("|", "\\|")
        rows.append(f"| {loader} | {what} | {rc} | `{msg}` |" + ("" if not leftovers else f" left: {leftovers}"))
    return "\n".join(rows) + "\n"


class RobustnessTest(unittest.TestCase):
    def test_every_case(self):
        for loader, what, argv, expect in CASES:
            with self.subTest(loader=loader, what=what):
                rc, msg, leftovers, raw = run_case(argv)
                self.assertEqual(rc, 2, raw)
                self.assertEqual(len(raw.strip().splitlines()), 1, raw)
                self.assertTrue(raw.startswith("tasdsim: error: "), raw)
                self.assertIn(expect, raw)
                self.assertEqual(leftovers, [], "output left behind")

    def test_docs_table_is_current(self):
        with open(os.path.join(ROOT, "docs", "ROBUSTNESS.md")) as f:
            doc = f.read()
        begin, end = "<!-- cases:begin -->\n", "<!-- cases:end -->"
        self.assertIn(begin, doc)
        table = doc[doc.index(begin) + len(begin):doc.index(end)]
        self.assertEqual(table, markdown(), "docs/ROBUSTNESS.md is out of date; regenerate it (see the test's docstring)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--markdown"]:
        sys.stdout.write(markdown())
    else:
        unittest.main()
