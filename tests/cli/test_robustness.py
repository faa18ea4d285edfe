#!/usr/bin/python3
"""Bad inputs to every loader that tasdsim reads, and requests it must refuse (outputs it may not
replace, special files, sizes that cannot fit, options without effect), through the program
itself: each gets a one-line error naming what and where, exit status 2, and leaves the case's
folder exactly as it was: nothing created (no output, staging folder, lock or temporary file),
nothing changed or removed (the user's files, links, FIFOs). The same cases make the table in
docs/ROBUSTNESS.md:

    TASDSIM=build/sim/tasdsim TASDSIM_SOURCE_DIR=. /usr/bin/python3 tests/cli/test_robustness.py --markdown

prints it, and the test fails when the committed table differs (messages changed: regenerate)."""
import fcntl
import hashlib
import os
import resource
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


def fifo(d, name="fifo"):
    p = os.path.join(d, name)
    os.mkfifo(p)
    return p


def symlink(d, target, name):
    p = os.path.join(d, name)
    os.symlink(target, p)
    return p


def user_folder(d):
    """A folder of the user's own: a thesis and a photo album."""
    p = os.path.join(d, "userdir")
    os.makedirs(os.path.join(p, "photos"))
    write(p, "thesis.tex", "\\chapter{Results}\n")
    write(os.path.join(p, "photos"), "a.jpg", b"\xff\xd8\xff")
    return p


def tasdsim_folder(d, name="result"):
    """An output folder tasdsim wrote (decompose of a small tensor)."""
    a = write(d, "a.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8), }", f32(16)))
    p = os.path.join(d, name)
    subprocess.run([TASDSIM, "decompose", a, "-s", "2:8", "--out", p], check=True, capture_output=True)
    return p


def tasdsim_file(d, name="report.json"):
    """A JSON file tasdsim wrote (import --json)."""
    p = os.path.join(d, name)
    subprocess.run([TASDSIM, "import", FACE, "--json", p], check=True, capture_output=True)
    return p


HELD_LOCKS = []


def held_lock(d, name):
    """The claim of another tasdsim process on DIR/name: its lock file, locked (by this test)."""
    f = open(os.path.join(d, f".{name}.lock"), "w")
    f.write("tasdsim lock, pid 4242\n")
    f.flush()
    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    HELD_LOCKS.append(f)
    return os.path.join(d, name)


def synthetic_workload(d, layers, inp="{n: 1, h: 1, w: 1, c: 64}"):
    return write(d, "workload.yaml", f"workload:\n  name: synth\n  input: {inp}\n  layers:\n" +
                 "".join(f"    - {l}\n" for l in layers))


NPY_2x8 = lambda d: write(d, "a.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8), }", f32(16)))
GIB = 1 << 30


# (loader, what is wrong, argv builder (tmp dir -> args), expected text in the message[, resource
# limits of the tasdsim process])
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
    # output folders and files: what tasdsim may replace and where it may write
    ("output", "--out exists", lambda d: ["decompose", write(d, "a.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8), }", f32(16))), "-s", "2:8", "--out", d], "already exists"),
    ("output", "--out parent missing", lambda d: ["run", experiment(d), "--out", os.path.join(d, "no", "such", "out")], "does not exist"),
    ("output", "--out inside a regular file", lambda d: ["run", experiment(d), "--out", os.path.join(write(d, "afile", "x\n"), "sub")], "not a folder"),
    ("output", "--out is '.'", lambda d: ["run", experiment(d), "--out", "."], "'.'"),
    ("output", "--overwrite of the user's folder", lambda d: ["run", experiment(d), "--out", user_folder(d), "--overwrite"], "no tasdsim-manifest.json"),
    ("output", "--overwrite of a regular file", lambda d: ["run", experiment(d), "--out", write(d, "notes.txt", "notes\n"), "--overwrite"], "regular file"),
    ("output", "--overwrite of a symbolic link to a result", lambda d: ["run", experiment(d), "--out", symlink(d, tasdsim_folder(d), "link"), "--overwrite"], "symbolic link"),
    ("output", "--overwrite of a result the user added a file to", lambda d: ["run", experiment(d), "--out", os.path.dirname(write(tasdsim_folder(d), "notes.txt", "mine\n")), "--overwrite"], "notes.txt"),
    ("output", "--overwrite of a result whose file changed", lambda d: ["run", experiment(d), "--out", os.path.dirname(write(tasdsim_folder(d), "metrics.json", "{}\n")), "--overwrite"], "changed"),
    ("output", "a file named like the lock that is not tasdsim's", lambda d: ["run", experiment(d), "--out", os.path.join(d, "out")] if write(d, ".out.lock", "my notes\n") else [], "not a tasdsim lock file"),
    ("output", "another tasdsim process writes the same --out", lambda d: ["run", experiment(d), "--out", held_lock(d, "out")], "another tasdsim process"),
    ("output", "experiment name '../../victim' (default out/<name>)", lambda d: ["run", experiment(d, body=f"experiment:\n  name: ../../victim\n  arch: {ARCH}\n  workload: {WORKLOAD}\n  plan: {{series: dense}}\n")], "path separator"),
    ("output", "--json over a symbolic link", lambda d: ["import", FACE, "--json", symlink(d, write(d, "notes.txt", "notes\n"), "link.json"), "--overwrite"], "symbolic link"),
    ("output", "--json over a FIFO", lambda d: ["import", FACE, "--json", fifo(d)], "FIFO"),
    ("output", "--json /dev/stdout", lambda d: ["import", FACE, "--json", "/dev/stdout"], "symbolic link"),
    ("output", "--json over a character device", lambda d: ["accuracy", "--json", "/dev/null", "--overwrite", "--realdata", REAL], "character device"),
    ("output", "import --out over an existing file", lambda d: ["import", FACE, "--out", tasdsim_file(d, "w.yaml")], "already exists"),
    ("output", "import --out over the user's file with --overwrite", lambda d: ["import", FACE, "--out", write(d, "w.yaml", "my: notes\n"), "--overwrite"], "not a file tasdsim wrote"),
    ("output", "accuracy --json over an existing file", lambda d: ["accuracy", "--json", tasdsim_file(d), "--realdata", REAL], "already exists"),
    # special files as inputs: refused before they are opened (a FIFO would block)
    ("input", "experiment is a FIFO", lambda d: ["run", fifo(d), "--out", out(d)], "FIFO"),
    ("input", "--set names a FIFO as the arch", lambda d: ["run", experiment(d), "--set", f"experiment.arch={fifo(d)}", "--out", out(d)], "FIFO"),
    ("input", "plan is a FIFO", lambda d: ["run", experiment(d), "--plan", fifo(d), "--out", out(d)], "FIFO"),
    ("input", ".npy is a FIFO", lambda d: ["decompose", fifo(d), "-s", "2:8"], "FIFO"),
    ("input", "ONNX model is a FIFO", lambda d: ["import", fifo(d, "m.onnx")], "FIFO"),
    ("input", "--compare twin is a FIFO", lambda d: ["import", FACE, "--compare", fifo(d)], "FIFO"),
    ("input", "digit labels (--keys) are a FIFO", lambda d: ["accuracy", "--keys", fifo(d), "--realdata", REAL], "FIFO"),
    # sizes: checked arithmetic, and runs that cannot fit are refused before anything is allocated
    ("size", "matmul n x groups overflows 32 bits", lambda d: ["run", experiment(d, workload=synthetic_workload(d, ["{name: mm, op: matmul, input: input, input2: synthetic, n: 16777216, groups: 256, transpose_b: true, synthetic2: {shape: {n: 4096, h: 4096, w: 1, c: 256}}}", "{name: fc, op: gemm, out_features: 8}"], "{n: 1, h: 1, w: 1, c: 256}"), plan="{series: dense}"), "--out", out(d)], "n x groups"),
    ("size", "a tensor's element count overflows 64 bits", lambda d: ["run", experiment(d, workload=synthetic_workload(d, ["{name: c1, op: conv, cout: 8}"], "{n: 4096, h: 65536, w: 65536, c: 1048576}"), plan="{series: dense}"), "--out", out(d)], "overflows 64 bits"),
    ("size", "a MAC count overflows 64 bits", lambda d: ["run", experiment(d, workload=synthetic_workload(d, ["{name: fc, op: gemm, out_features: 16777216}"], "{n: 1, h: 65536, w: 65536, c: 1048576}"), plan="{series: dense}"), "--out", out(d)], "MAC count"),
    ("size", "batch too large for the microcode field", lambda d: ["run", experiment(d), "--set", "workload.input.n=300", "--out", out(d)], "CFG_CONV.batch"),
    ("size", "channels too many for the microcode field", lambda d: ["run", experiment(d), "--set", "workload.input.c=70000", "--timing-only", "--out", out(d)], "CFG_CONV.channels"),
    ("size", "buffers smaller than one tile", lambda d: ["run", experiment(d), "--set", "arch.buffer.s.size_kib=1", "--set", "arch.buffer.acc.size_kib=1", "--out", out(d)], "arch.buffer."),
    ("size", "layer too large for device memory", lambda d: ["run", experiment(d, workload=synthetic_workload(d, ["{name: fc, op: gemm, out_features: 4096}"], "{n: 1, h: 1, w: 1, c: 1048576}"), plan="{series: dense}"), "--timing-only", "--out", out(d)], "arch.dram.size_mib"),
    ("size", "layer too large for host memory (ulimit -v 2 GiB)", lambda d: ["run", experiment(d, workload=synthetic_workload(d, ["{name: fc, op: gemm, out_features: 8192}"], "{n: 1, h: 1, w: 1, c: 65536}"), plan="{series: dense}"), "--out", out(d)], "host memory", {"address_space": 2 * GIB}),
    ("size", "--threads 100000", lambda d: ["accuracy", "--threads", "100000", "--realdata", REAL], "--threads"),
    ("size", "--threads -1", lambda d: ["accuracy", "--threads", "-1", "--realdata", REAL], "'-1'"),
    # strictness: duplicate keys, empty values, NaN and out-of-range numbers, options without effect
    ("strict", "duplicate YAML key", lambda d: ["run", experiment(d, extra="  check: true\n  check: false\n"), "--out", out(d)], "duplicate key"),
    ("strict", "empty value in a config", lambda d: ["run", experiment(d, extra="  dtype:\n"), "--out", out(d)], "empty value"),
    ("strict", "--set key= (empty value)", lambda d: ["run", experiment(d), "--set", "experiment.dtype=", "--out", out(d)], "empty value"),
    ("strict", "--tau-quantile 5", lambda d: ["run", experiment(d), "--series", "4:8", "--operand", "A", "--tau-quantile", "5", "--out", out(d)], "'5'"),
    ("strict", "--tau-quantile nan", lambda d: ["run", experiment(d), "--series", "4:8", "--operand", "A", "--tau-quantile", "nan", "--out", out(d)], "'nan'"),
    ("strict", "--tau-quantile without --series", lambda d: ["run", experiment(d), "--tau-quantile", "0.5", "--out", out(d)], "--series"),
    ("strict", "--operand without --series", lambda d: ["run", experiment(d), "--operand", "A", "--out", out(d)], "--series"),
    ("strict", "--tau-quantile with --operand W", lambda d: ["run", experiment(d), "--series", "4:8", "--tau-quantile", "0.5", "--out", out(d)], "operand A"),
    ("strict", "search tau_quantiles: [nan]", lambda d: ["search", experiment(d, extra="  search: {tau_quantiles: [nan]}\n"), "--out", out(d)], "nan"),
    ("strict", "search operands: []", lambda d: ["search", experiment(d, extra="  search: {operands: []}\n"), "--out", out(d)], "operands"),
    ("strict", "pooling padding larger than the kernel", lambda d: ["run", experiment(d, workload=workload_file(d, ("{name: pool, op: maxpool, kernel: 2, stride: 2}", "{name: pool, op: maxpool, kernel: 2, stride: 2, pad: 2}"))), "--out", out(d)], "padding"),
    ("strict", ".npy header with text after the dictionary", lambda d: ["decompose", write(d, "x.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8), } extra", f32(16))), "-s", "2:8"], "after the header"),
    ("strict", "decompose --patterns without --sweep", lambda d: ["decompose", NPY_2x8(d), "-s", "2:8", "--patterns", "1:8"], "--sweep"),
    ("strict", "import --max-error nan", lambda d: ["import", FACE, "--max-error", "nan"], "'nan'"),
    ("strict", "accuracy --a-quantile nan", lambda d: ["accuracy", "--a-quantile", "nan", "--realdata", REAL], "'nan'"),
    ("strict", "accuracy --exclude without a series or plan", lambda d: ["accuracy", "--exclude", "conv", "--realdata", REAL], "--exclude"),
    ("strict", "a value with a line break (shown escaped)", lambda d: ["run", experiment(d), "--set", 'experiment.name="a\\nb"', "--out", out(d)], "\\n"),
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
    ("yaml", "energy table in the earlier form", lambda d: ["run", experiment(d, arch=arch_file(d, (ENERGY, os.path.join(d, "energy.yaml")))), "--out", out(d)] if write(d, "energy.yaml", "energy: {}\n") else [], "ERT"),
    ("yaml", "energy table: an action without energy", lambda d: ["run", experiment(d, arch=arch_file(d, (ENERGY, os.path.join(d, "energy.yaml")))), "--out", out(d)] if write(d, "energy.yaml", "ERT:\n  tables:\n  - {name: tasdsim.DRAM, actions: [{name: read, arguments: null}]}\n") else [], "actions[0]"),
    ("yaml", "energy table: negative energy", lambda d: ["run", experiment(d, arch=arch_file(d, (ENERGY, os.path.join(d, "energy.yaml")))), "--out", out(d)] if write(d, "energy.yaml", "ERT_summary:\n  table_summary:\n  - {name: tasdsim.DRAM, actions: [{name: read, energy: -1}]}\n") else [], "energy"),
    ("yaml", "energy table: a component's table missing", lambda d: ["run", experiment(d, arch=arch_file(d, add="  energy_bind: {dram: {table: system.DRAM, bytes: 8}}\n")), "--out", out(d)], "system.DRAM"),
    ("yaml", "workload: zero output channels", lambda d: ["run", experiment(d, workload=workload_file(d, ("cout: 32, kernel: 3, pad: 1, act: relu", "cout: 0, kernel: 3, pad: 1, act: relu"))), "--out", out(d)], "cout"),
    ("yaml", "workload: input of an unknown layer", lambda d: ["run", experiment(d, workload=workload_file(d, ("input: conv2", "input: conv9"))), "--out", out(d)], "conv9"),
    ("yaml", "plan: series the engine does not support", lambda d: ["run", experiment(d, plan='{series: "2:4", operand: W}'), "--out", out(d)], "2:4"),
    ("yaml", "plan: a layer the workload lacks", lambda d: ["run", experiment(d, plan="{file: " + write(d, "plan.yaml", "plan:\n  name: p\n  default: {operand: W, series: dense}\n  layers:\n    - {layer: conv99, operand: W, series: \"4:8\"}\n") + "}"), "--out", out(d)], "conv99"),
    ("yaml", "--set without '='", lambda d: ["run", experiment(d), "--set", "arch.pe_array.rows", "--out", out(d)], "--set"),
    ("yaml", "--set of an unknown file", lambda d: ["run", experiment(d), "--set", "nothing.rows=3", "--out", out(d)], "nothing"),
    ("yaml", "--set value of the wrong type", lambda d: ["run", experiment(d), "--set", "arch.pe_array.lanes=many", "--out", out(d)], "many"),
    ("yaml", "arch.instances out of range", lambda d: ["run", experiment(d), "--set", "arch.instances=17", "--out", out(d)], "arch.instances"),
    ("yaml", "register windows overlapping the DRAM", lambda d: ["run", experiment(d), "--set", "arch.address_map.reg_base=4096", "--out", out(d)], "overlap"),
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


def snapshot(folder):
    """Everything under folder: type, and the content of files and links (FIFOs are not opened)."""
    seen = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, folder)
            if os.path.islink(p):
                seen[rel] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                seen[rel] = ("dir",)
            elif os.path.isfile(p) and st.st_mode & 0o444:
                with open(p, "rb") as f:
                    seen[rel] = ("file", hashlib.sha256(f.read()).hexdigest())
            else:
                seen[rel] = ("special", st.st_mode & 0o170000)
    return seen


def limits_of(limits):
    def apply():
        if "address_space" in limits:
            resource.setrlimit(resource.RLIMIT_AS, (limits["address_space"], limits["address_space"]))
    return apply


def run_case(argv, limits=None):
    with tempfile.TemporaryDirectory() as d:
        args = argv(d)
        before = snapshot(d)
        try:
            r = subprocess.run([TASDSIM, *args], capture_output=True, text=True, timeout=300, cwd=d,
                               preexec_fn=limits_of(limits) if limits else None)
        finally:
            for f in HELD_LOCKS:
                f.close()
            HELD_LOCKS.clear()
        after = snapshot(d)
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        msg = r.stderr.strip().replace(d, "DIR").replace(REAL, "realdata").replace(ROOT, ".")
        return r.returncode, msg, changed, r.stderr


def cases():
    for case in CASES:
        loader, what, argv, expect = case[:4]
        yield loader, what, argv, expect, case[4] if len(case) > 4 else None


def markdown():
    rows = ["| loader | bad input | exit | message |", "|---|---|---|---|"]
    for loader, what, argv, _, limits in cases():
        rc, msg, changed, _ = run_case(argv, limits)
        msg = msg.replace("|", "\\|")
        rows.append(f"| {loader} | {what} | {rc} | `{msg}` |" + ("" if not changed else f" changed: {changed}"))
    return "\n".join(rows) + "\n"


class RobustnessTest(unittest.TestCase):
    def test_every_case(self):
        for loader, what, argv, expect, limits in cases():
            with self.subTest(loader=loader, what=what):
                rc, msg, changed, raw = run_case(argv, limits)
                self.assertEqual(rc, 2, raw)
                self.assertEqual(len(raw.strip().splitlines()), 1, raw)
                self.assertTrue(raw.startswith("tasdsim: error: "), raw)
                self.assertIn(expect, raw)
                self.assertEqual(changed, [], "files created, changed or removed")

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
