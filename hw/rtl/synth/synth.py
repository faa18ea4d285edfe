#!/usr/bin/python3
"""Synthesises the RTL blocks with Yosys to its generic gate library and reports their size.

Every run: read the SystemVerilog (with SYNTHESIS defined, so the assertions are left out), set
the parameters, `synth -top <block>` (hierarchical: a PE array keeps one synthesised pe and
counts it once per instance), map every flip-flop to a plain D flip-flop (`dfflegalize`, so
enables and synchronous resets become gates that `stat -tech cmos` can count), then

  - `check -assert`: no combinational loop, no conflicting or missing drivers;
  - no latch or set/reset latch cell may be left (a latch fails the run);
  - `stat -tech cmos -top <block>`: cells by type and the CMOS transistor estimate.

Gate equivalents (GE) are transistors / 4 (a two-input NAND has four). docs/AREA.md converts them
to mm^2 and adds SRAM.

  synth.py --group pe --out pe.json [--check results.json]   # one group of the shipped set
  synth.py --all --out results.json                          # the whole set (the reference file)
  synth.py --sources FILE.sv... --top TOP [--param K=V ...]  # any module (exit 1 on a latch/loop)

Exit status: 0 ok, 1 a synthesis check failed or the results differ from --check, 2 bad usage.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

RTL = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PE = [os.path.join(RTL, "pe", "pe.sv")]
ARRAY = [os.path.join(RTL, "pe_array", "pe_array.sv")] + PE
TASD = [os.path.join(RTL, "tasd_unit", "tasd_unit.sv")]
DECODER = [os.path.join(RTL, "decoder", "decoder.sv")]

# The TASD unit as the int8 engines use it: 8-bit elements, up to max_terms (3) terms a pass.
TASD_DW, TASD_TERMS = 8, 3


def _pe(m, lanes):
    return {"block": "pe", "top": "pe", "sources": PE, "params": {"M": m, "LANES": lanes}}


def _array(rows, cols, m, lanes):
    return {"block": "pe_array", "top": "pe_array", "sources": ARRAY,
            "params": {"ROWS": rows, "COLS": cols, "M": m, "LANES": lanes}}


def _tasd(m):
    return {"block": "tasd_unit", "top": "tasd_unit", "sources": TASD,
            "params": {"M": m, "DW": TASD_DW, "TERMS": TASD_TERMS}}


# The shipped set, in groups that run as separate tests. M = 1 is the dense tensor core's PE
# (no index mux), M = 4 STC and VEGETA, M = 8 VEGETA-M8. The shipped engines have 4 MAC lanes.
GROUPS = {
    "pe": [_pe(m, lanes) for m in (1, 2, 4, 8, 16) for lanes in (1, 2, 4, 8)],
    "pe_array_4x4": [_array(4, 4, m, 4) for m in (1, 4, 8)] + [_array(4, 4, 8, lanes) for lanes in (2, 8)],
    "pe_array_8x8": [_array(8, 8, m, 4) for m in (1, 4, 8)] + [_array(8, 4, 8, 4)],
    "pe_array_16x16_m8": [_array(16, 16, 8, 4)],
    "pe_array_16x16_m14": [_array(16, 16, 1, 4), _array(16, 16, 4, 4)],
    "tasd_unit": [_tasd(m) for m in (2, 4, 8, 16)],
    "decoder": [{"block": "decoder", "top": "decoder", "sources": DECODER, "params": {"FW": 40}}],
}

LATCH_CELLS = ["t:$_DLATCH*", "t:$_SR_*", "t:$dlatch*", "t:$adlatch", "t:$sr"]


class SynthError(Exception):
    pass


def name_of(cfg):
    return cfg["top"] + "".join(f" {k}={v}" for k, v in cfg["params"].items())


def _script(cfg, stat_file):
    files = " ".join(cfg["sources"])
    top = cfg["top"]
    lines = [f"read_verilog -sv -DSYNTHESIS {files}"]
    if cfg["params"]:
        lines.append(f"chparam " + " ".join(f"-set {k} {v}" for k, v in cfg["params"].items()) + f" {top}")
    lines += [
        f"hierarchy -check -top {top}",
        f"synth -top {top}",
        # Latches first: dfflegalize would turn a latch into something else or fail on it.
        "select -assert-none " + " ".join(LATCH_CELLS),
        "dfflegalize -cell $_DFF_P_ 01 -cell $_DFF_N_ 01",
        "opt_clean",
        "check -assert",
        f"tee -q -o {stat_file} stat -tech cmos -top {top}",
    ]
    return "\n".join(lines) + "\n"


def _parse_stat(text, top):
    """Cells by type, cell count and transistors of the whole design (the -top block with its
    submodules counted once per instance)."""
    # With submodules, the totals follow "=== design hierarchy ===".
    part = text.split("=== design hierarchy ===")[-1]
    cells = {}
    m = re.search(r"Number of cells:\s+(\d+)\n((?:\s+\S+\s+\d+\n)*)", part)
    if not m:
        raise SynthError(f"{top}: no cell count in Yosys' stat output")
    for line in m.group(2).splitlines():
        t, n = line.split()
        cells[t] = int(n)
    t = re.search(r"Estimated number of transistors:\s+(\d+)(\+?)", part)
    if not t:
        raise SynthError(f"{top}: no transistor estimate in Yosys' stat output")
    if t.group(2):
        unknown = [c for c in cells if not c.startswith("$_") or "DLATCH" in c or "SR_" in c]
        raise SynthError(f"{top}: cells without a CMOS estimate: {', '.join(unknown) or 'some'}")
    return {"cells": int(m.group(1)), "cell_types": cells, "transistors": int(t.group(1)),
            "ge": int(t.group(1)) / 4.0, "dffs": sum(n for c, n in cells.items() if c.startswith("$_DFF"))}


def yosys_version(yosys):
    out = subprocess.run([yosys, "-V"], capture_output=True, text=True, check=True).stdout.strip()
    return out


def synthesise(cfg, yosys):
    """Runs Yosys on one configuration; returns its record or raises SynthError."""
    with tempfile.TemporaryDirectory(prefix="tasdsim-synth-") as tmp:
        stat_file = os.path.join(tmp, "stat.txt")
        script = os.path.join(tmp, "synth.ys")
        with open(script, "w") as f:
            f.write(_script(cfg, stat_file))
        t0 = time.monotonic()
        r = subprocess.run([yosys, "-q", "-l", os.path.join(tmp, "yosys.log"), "-s", script],
                           capture_output=True, text=True)
        seconds = time.monotonic() - t0
        with open(os.path.join(tmp, "yosys.log"), errors="replace") as f:
            log = f.read()
        if r.returncode != 0:
            raise SynthError(f"{name_of(cfg)}: {_diagnose(log + r.stdout + r.stderr)}")
        with open(stat_file) as f:
            rec = _parse_stat(f.read(), cfg["top"])
    # Latches that proc inferred but a later pass removed still mean the RTL describes one.
    if re.search(r"Latch inferred for signal", log):
        raise SynthError(f"{name_of(cfg)}: latch inferred: " + _first(log, r"Latch inferred for signal.*"))
    return {"name": name_of(cfg), "block": cfg["block"], "top": cfg["top"], "params": cfg["params"], **rec,
            "seconds": round(seconds, 1)}


def _first(text, pattern):
    m = re.search(pattern, text)
    return m.group(0).strip() if m else ""


def _diagnose(log):
    if "Assertion failed: selection is not empty" in log:
        inferred = _first(log, r"Latch inferred for signal [^ ]+")
        return "latch in the synthesised netlist" + (f" ({inferred})" if inferred else "")
    loop = _first(log, r"found logic loop.*")
    if loop:
        return "combinational loop: " + loop
    warn = [line.strip() for line in log.splitlines() if line.strip().startswith(("Warning:", "ERROR:"))]
    if warn:
        return "; ".join(warn[-4:])
    return log.strip().splitlines()[-1] if log.strip() else "yosys failed"


def compare(results, reference, same_tool):
    """Differences between fresh results and the reference file: exact with the same Yosys,
    within 2% of the transistors otherwise."""
    ref = {r["name"]: r for r in reference["blocks"]}
    problems = []
    for r in results:
        want = ref.get(r["name"])
        if want is None:
            problems.append(f"{r['name']}: not in the reference file")
            continue
        if same_tool:
            if (r["transistors"], r["cells"]) != (want["transistors"], want["cells"]):
                problems.append(f"{r['name']}: {r['transistors']} transistors, {r['cells']} cells; reference "
                                f"{want['transistors']}, {want['cells']}")
        elif abs(r["transistors"] - want["transistors"]) > 0.02 * want["transistors"]:
            problems.append(f"{r['name']}: {r['transistors']} transistors, reference {want['transistors']} (> 2%)")
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--group", action="append", choices=sorted(GROUPS), help="a group of the shipped set")
    ap.add_argument("--all", action="store_true", help="every group")
    ap.add_argument("--sources", nargs="+", help="Verilog files of one module to check and measure")
    ap.add_argument("--top", help="with --sources: the top module")
    ap.add_argument("--param", action="append", default=[], metavar="K=V", help="with --sources: a parameter")
    ap.add_argument("--out", help="write the results as JSON")
    ap.add_argument("--check", help="compare with this reference results file")
    ap.add_argument("--yosys", default=os.environ.get("YOSYS", "yosys"))
    a = ap.parse_args(argv)

    if a.sources:
        if not a.top or a.group or a.all:
            ap.error("--sources needs --top and excludes --group/--all")
        params = {}
        for p in a.param:
            k, sep, v = p.partition("=")
            if not sep:
                ap.error(f"--param {p}: K=V expected")
            params[k] = int(v) if re.fullmatch(r"-?\d+", v) else v
        configs = [{"block": "custom", "top": a.top, "sources": [os.path.abspath(s) for s in a.sources],
                    "params": params}]
    else:
        groups = sorted(GROUPS) if a.all else (a.group or [])
        if not groups:
            ap.error("--group, --all or --sources expected")
        configs = [c for g in groups for c in GROUPS[g]]

    try:
        version = yosys_version(a.yosys)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"synth: cannot run Yosys ({a.yosys}): {e}; scripts/install_deps.sh installs it", file=sys.stderr)
        return 1

    results, failed = [], False
    for cfg in configs:
        try:
            rec = synthesise(cfg, a.yosys)
        except SynthError as e:
            print(f"synth: FAILED {e}", file=sys.stderr)
            failed = True
            continue
        results.append(rec)
        print(f"{rec['name']:<40} {rec['cells']:>9} cells {rec['transistors']:>10} transistors "
              f"{rec['ge']:>11.0f} GE {rec['dffs']:>7} DFF  {rec['seconds']:>6.1f} s", flush=True)
    if a.out:
        doc = {"yosys": version, "flow": "synth -top; dfflegalize to $_DFF_P_; stat -tech cmos",
               "ge_transistors": 4, "blocks": results}
        tmp = a.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        os.replace(tmp, a.out)
    if failed:
        return 1
    if a.check:
        with open(a.check) as f:
            reference = json.load(f)
        problems = compare(results, reference, reference.get("yosys") == version)
        for p in problems:
            print(f"synth: differs from {os.path.basename(a.check)}: {p}", file=sys.stderr)
        if problems:
            print("synth: regenerate the reference with hw/rtl/synth/synth.py --all --out "
                  "hw/rtl/synth/results.json and update docs/AREA.md", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
