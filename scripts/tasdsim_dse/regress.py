"""Hardware-team regression: every shipped model arch x small workloads x dtypes, selected
stats.json keys compared with golden files under stated tolerances (tests/regression/suite.yaml).

scripts/regress [--regenerate] [--only PATTERN] [--set key=value] [--golden-dir DIR]
                [--work-dir DIR] [--junit FILE] [--jobs N] [--tasdsim PATH] [-q]
Exit status: 0 every case matches, 1 a case differs or failed, 2 bad option or suite file.
"""
import argparse
import fnmatch
import glob
import json
import math
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import yaml

from . import fsutil
from .execute import YamlLoader
from .sweep import REPO_ROOT

SUITE = os.path.join(REPO_ROOT, "tests", "regression", "suite.yaml")
GOLDEN_SCHEMA = "tasdsim-regression-golden/1"
REGENERATE = "scripts/regress --regenerate"
MAX_LINES_PER_CASE = 12  # on the terminal; the JUnit file has every difference


class RegressError(Exception):
    pass


def rel(path):
    r = os.path.relpath(path, REPO_ROOT)
    return path if r.startswith("..") else r


# ---------------------------------------------------------------- suite and cases

def load_suite(path=SUITE):
    with open(path) as f:
        doc = yaml.load(f, Loader=YamlLoader)
    s = doc["regression"]
    folder = os.path.dirname(os.path.abspath(path))
    s["experiment"] = os.path.join(folder, s["experiment"])
    s["_folder"] = folder
    s["tolerances"] = [(glob_regex(t["match"]), t.get("rel", 0.0), t.get("abs", 0.0), t["match"])
                       for t in s["tolerances"]]
    s["select"] = [glob_regex(p) for p in s["select"]]
    return s


def glob_regex(pattern):
    """`*` matches text without brackets (one layer name, one key level or several); `**`
    matches anything; everything else is literal."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append(r"[^\[\]]*")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("^" + "".join(out) + "$")


def _arch_info(path):
    with open(path) as f:
        a = yaml.load(f, Loader=YamlLoader)["arch"]
    pe = a.get("pe_array", {})
    units = a.get("tasd_unit")
    has_units = bool(a.get("tasd_extension", True) and units is not None and units.get("count", 16) > 0)
    return {"impl": pe.get("impl", "model"), "patterns": [str(p) for p in pe.get("patterns", [])],
            "max_terms": a.get("max_terms", 3), "tasd_unit": has_units}


def automatic_plan(info):
    pats = [p for p in info["patterns"] if p.split(":")[0] != p.split(":")[1]]
    if not pats:
        return {"operand": "W", "series": "dense"}
    frac = lambda p: int(p.split(":")[0]) / int(p.split(":")[1])
    dense_first = sorted(pats, key=frac, reverse=True)
    series = dense_first[0] if info["max_terms"] < 2 or len(pats) == 1 else f"{dense_first[0]}+{dense_first[-1]}"
    return {"operand": "A" if info["tasd_unit"] else "W", "series": series}


def cases(suite):
    """[(name, case dict)] in a stable order."""
    out = []
    archs = sorted(glob.glob(os.path.join(suite["_folder"], suite["archs"])))
    for arch in archs:
        info = _arch_info(arch)
        if info["impl"] != "model":
            continue
        stem = os.path.splitext(os.path.basename(arch))[0]
        plan = suite["plans"].get(stem) or automatic_plan(info)
        for wl in suite["workloads"]:
            wl_path = os.path.normpath(os.path.join(suite["_folder"], wl))
            wstem = os.path.splitext(os.path.basename(wl_path))[0]
            dense_layers = [] if info["tasd_unit"] else suite.get("activation_only_layers", {}).get(wstem, [])
            for dtype in suite["dtypes"]:
                name = f"{stem}.{wstem}.{dtype}"
                out.append((name, {"arch": rel(arch), "workload": rel(wl_path), "dtype": dtype,
                                   "operand": plan["operand"], "series": plan["series"],
                                   "dense_layers": list(dense_layers)}))
    return out


def case_args(suite, case, extra_sets):
    exp_dir = os.path.dirname(suite["experiment"])
    to_exp = lambda p: os.path.relpath(os.path.join(REPO_ROOT, p), exp_dir)
    args = ["--set", f"experiment.arch={to_exp(case['arch'])}",
            "--set", f"experiment.workload={to_exp(case['workload'])}",
            "--set", f"experiment.dtype={case['dtype']}",
            "--set", "plan.default=" + json.dumps({"operand": case["operand"], "series": case["series"]})]
    if case["dense_layers"]:
        layers = [{"layer": l, "operand": "W", "series": "dense"} for l in case["dense_layers"]]
        args += ["--set", "plan.layers=" + json.dumps(layers)]
    for s in extra_sets:
        args += ["--set", s]
    return args


# ---------------------------------------------------------------- flattening and comparison

def flatten(node, prefix=""):
    """stats.json as {dotted key: scalar}; list items by name (layers[conv1]) or index (terms[0])."""
    out = {}
    if isinstance(node, dict):
        for k, v in node.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(node, list):
        named = all(isinstance(x, dict) and "name" in x for x in node)
        for i, x in enumerate(node):
            out.update(flatten(x, f"{prefix}[{x['name'] if named else i}]"))
    else:
        out[prefix] = node
    return out


def select(stats, suite):
    flat = flatten({k: v for k, v in stats.items() if k != "counters"})
    return {k: v for k, v in flat.items() if any(rx.match(k) for rx in suite["select"])}


def tolerance(key, suite):
    for rx, r, a, pattern in suite["tolerances"]:
        if rx.match(key):
            return r, a, pattern
    return 0.0, 0.0, "exact"


def _key_order(key):
    # Network and status keys first: they say the most.
    return (key.startswith("layers"), key)


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def compare(golden, now, suite):
    """{'changed': [(key, golden, now, rule)], 'missing': [keys], 'extra': [keys]}"""
    changed, missing, extra = [], [], []
    for k in sorted(golden, key=_key_order):
        if k not in now:
            missing.append(k)
            continue
        g, n = golden[k], now[k]
        if _is_num(g) and _is_num(n):
            r, a, pattern = tolerance(k, suite)
            ok = (g == n) if (r == 0 and a == 0) else \
                (math.isfinite(g) and math.isfinite(n) and abs(n - g) <= max(a, r * abs(g)))
            if not ok:
                rule = "exact" if (r == 0 and a == 0) else f"rel {r:g}" + (f", abs {a:g}" if a else "")
                changed.append((k, g, n, rule))
        elif g != n or type(g) is not type(n):
            changed.append((k, g, n, "exact"))
    extra = sorted((k for k in now if k not in golden), key=_key_order)
    return {"changed": changed, "missing": missing, "extra": extra}


# ---------------------------------------------------------------- running

def run_case(tasdsim, suite, name, case, work_dir, extra_sets):
    out = os.path.join(work_dir, "runs", name)
    cmd = [tasdsim, "run", suite["experiment"], "--out", out, "--overwrite", "-q", *case_args(suite, case, extra_sets)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       env=dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1"), timeout=600)
    result = {"name": name, "case": case, "exit_code": p.returncode, "stderr": p.stderr.strip(),
              "wall_s": time.perf_counter() - t0, "out": out,
              "command": " ".join(["build/sim/tasdsim", "run", rel(suite["experiment"]), "--out", "OUT"] +
                                  [_quote(a) for a in cmd[7:]])}
    stats_path = os.path.join(out, "stats.json")
    if p.returncode in (0, 1) and os.path.isfile(stats_path):
        with open(stats_path) as f:
            result["stats"] = json.load(f)
    return result


def _quote(a):
    return a if re.fullmatch(r"[\w.,:=/+-]+", a) else "'" + a.replace("'", "'\\''") + "'"


def golden_path(golden_dir, name):
    return os.path.join(golden_dir, f"{name}.json")


def evaluate(result, suite, golden_dir):
    """Adds 'problems' (run failures) and 'diff' to a case result; returns True when it passes."""
    problems = []
    stats = result.get("stats")
    if stats is None:
        first = result["stderr"].splitlines()[0] if result["stderr"] else ""
        problems.append(f"tasdsim exited with {result['exit_code']} and wrote no stats: {first}")
    else:
        st = stats.get("status", {})
        if not st.get("ok"):
            problems.append(f"simulation failed: {st.get('fail_reason')}")
        if st.get("checks_passed") is not True:
            problems.append("checks_passed is not true: a layer does not match its reference")
    result["problems"] = problems
    path = golden_path(golden_dir, result["name"])
    try:
        with open(path) as f:
            golden = json.load(f)
    except FileNotFoundError:
        result["problems"].append(f"no golden file {rel(path)}")
        return False
    except ValueError as e:
        result["problems"].append(f"golden file {rel(path)} is not JSON: {e}")
        return False
    if golden.get("case") != result["case"]:
        result["problems"].append(f"the case definition changed (golden {golden.get('case')}, now {result['case']})")
    if stats is not None:
        result["diff"] = compare(golden.get("values", {}), select(stats, suite), suite)
    d = result.get("diff", {})
    return not result["problems"] and not any(d.get(k) for k in ("changed", "missing", "extra"))


def describe(result, limit=None):
    """Lines explaining why a case failed."""
    lines = list(result.get("problems", []))
    d = result.get("diff", {})
    for k, g, n, rule in d.get("changed", []):
        lines.append(f"changed {k}: golden {g!r}, now {n!r} ({rule})")
    for k in d.get("missing", []):
        lines.append(f"missing {k}: in the golden file, not in the result")
    for k in d.get("extra", []):
        lines.append(f"extra   {k}: in the result, not in the golden file")
    if limit is not None and len(lines) > limit:
        lines = lines[:limit] + [f"... {len(lines) - limit} more (see the JUnit file)"]
    return lines


def write_junit(path, results, total_s):
    failures = sum(1 for r in results if not r["passed"])
    suite_el = ET.Element("testsuite", name="tasdsim.regression", tests=str(len(results)), failures=str(failures),
                          errors="0", time=f"{total_s:.3f}")
    for r in results:
        arch, rest = r["name"].split(".", 1)
        tc = ET.SubElement(suite_el, "testcase", classname=f"regression.{arch}", name=rest, time=f"{r['wall_s']:.3f}")
        if not r["passed"]:
            d = r.get("diff", {})
            msg = (f"{len(d.get('changed', []))} changed, {len(d.get('missing', []))} missing, "
                   f"{len(d.get('extra', []))} extra keys" + (f"; {r['problems'][0]}" if r["problems"] else ""))
            fail = ET.SubElement(tc, "failure", message=msg, type="golden mismatch")
            fail.text = "\n".join(describe(r) + [f"command: {r['command']}",
                                                 f"if intended, regenerate: {REGENERATE}"])
        out = ET.SubElement(tc, "system-out")
        out.text = r["command"]
    root = ET.Element("testsuites")
    root.append(suite_el)
    ET.indent(root)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fsutil.write_text_atomic(path, ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n")


def golden_doc(result, suite):
    return {"schema": GOLDEN_SCHEMA, "case": result["case"], "command": result["command"],
            "values": select(result["stats"], suite)}


# ---------------------------------------------------------------- command line

def main(argv):
    ap = argparse.ArgumentParser(prog="regress", description="Run the golden-stats regression of tasdsim.")
    ap.add_argument("--regenerate", action="store_true", help="write the golden files from this build's results")
    ap.add_argument("--only", action="append", default=[], help="cases whose name matches this glob "
                                                                "(ARCH.WORKLOAD.DTYPE, e.g. 'ttc_*.tiny_cnn.*'); repeatable")
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                    help="extra tasdsim override for every case (to see what a change would do)")
    ap.add_argument("--golden-dir", default=os.path.join(REPO_ROOT, "tests", "regression", "golden"))
    ap.add_argument("--suite", default=SUITE)
    ap.add_argument("--work-dir", help="run folders and the JUnit file (default build/regression)")
    ap.add_argument("--junit", help="JUnit XML file (default WORK_DIR/junit.xml)")
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--tasdsim", default=os.environ.get("TASDSIM") or os.path.join(REPO_ROOT, "build", "sim", "tasdsim"))
    ap.add_argument("--list", action="store_true", help="print the cases and their commands, run nothing")
    ap.add_argument("-q", "--quiet", action="store_true", help="print failures and the summary only")
    a = ap.parse_args(argv)
    try:
        suite = load_suite(a.suite)
    except (OSError, KeyError, TypeError, yaml.YAMLError) as e:
        print(f"regress: error: {a.suite}: {e}", file=sys.stderr)
        return 2
    all_cases = cases(suite)
    selected = [(n, c) for n, c in all_cases if not a.only or any(fnmatch.fnmatchcase(n, p) for p in a.only)]
    if not selected:
        print(f"regress: error: no case matches {a.only}", file=sys.stderr)
        return 2
    if a.list:
        for n, c in selected:
            print(n, " ".join(_quote(x) for x in case_args(suite, c, a.sets)))
        return 0
    if not (os.path.isfile(a.tasdsim) and os.access(a.tasdsim, os.X_OK)):
        print(f"regress: error: tasdsim binary '{a.tasdsim}' not found (make build, or --tasdsim)", file=sys.stderr)
        return 2
    if a.regenerate and a.sets:
        print("regress: error: --regenerate with --set would write golden files of a modified model", file=sys.stderr)
        return 2
    work = a.work_dir or os.path.join(REPO_ROOT, "build", "regression")
    os.makedirs(os.path.join(work, "runs"), exist_ok=True)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        results = list(pool.map(lambda nc: run_case(a.tasdsim, suite, nc[0], nc[1], work, a.sets), selected))
    total = time.perf_counter() - t0
    version = subprocess.run([a.tasdsim, "--version"], capture_output=True, text=True).stdout.strip()
    if a.regenerate:
        return _regenerate(results, suite, a, all_cases, total)

    for r in results:
        r["passed"] = evaluate(r, suite, a.golden_dir)
    stale = []
    if not a.only:
        names = {n for n, _ in all_cases}
        stale = sorted(p for p in glob.glob(os.path.join(a.golden_dir, "*.json"))
                       if os.path.basename(p)[:-5] not in names)
    failed = [r for r in results if not r["passed"]]
    junit = a.junit or os.path.join(work, "junit.xml")
    write_junit(junit, results, total)
    print(f"regression: {len(results)} cases ({version}), golden files {rel(a.golden_dir)}, "
          f"{total:.1f} s on {a.jobs} jobs")
    for r in results:
        if r["passed"]:
            if not a.quiet:
                print(f"PASS {r['name']} ({r['wall_s']:.2f} s)")
            continue
        d = r.get("diff", {})
        print(f"FAIL {r['name']}: {len(d.get('changed', []))} changed, {len(d.get('missing', []))} missing, "
              f"{len(d.get('extra', []))} extra keys")
        for line in describe(r, MAX_LINES_PER_CASE):
            print(f"    {line}")
        print(f"    rerun: {r['command']}")
    for p in stale:
        print(f"STALE {rel(p)}: no case produces it any more (regenerate removes it)")
    print(f"JUnit: {rel(junit)}")
    if failed or stale:
        print(f"regression FAILED: {len(failed)} of {len(results)} cases differ from the golden stats"
              + (f", {len(stale)} stale golden files" if stale else "") + ".")
        print(f"If the change is intended, regenerate the golden files and review the diff:\n"
              f"    {REGENERATE}" + (f" --golden-dir {rel(a.golden_dir)}" if a.golden_dir != os.path.join(
                  REPO_ROOT, "tests", "regression", "golden") else "") + " && git diff tests/regression/golden")
        return 1
    print(f"regression passed: {len(results)} cases match the golden stats")
    return 0


def _regenerate(results, suite, a, all_cases, total):
    bad = []
    for r in results:
        evaluate(r, suite, a.golden_dir)  # problems: run failures (and missing golden, harmless here)
        run_problems = [p for p in r["problems"] if not p.startswith(("no golden file", "golden file",
                                                                      "the case definition"))]
        if run_problems:
            bad.append((r, run_problems))
    if bad:
        for r, probs in bad:
            print(f"FAIL {r['name']}: {'; '.join(probs)}\n    rerun: {r['command']}")
        print(f"regress: not regenerating: {len(bad)} cases did not run cleanly (a golden file is only written "
              f"from a passing run)")
        return 1
    os.makedirs(a.golden_dir, exist_ok=True)
    changed = 0
    for r in results:
        path = golden_path(a.golden_dir, r["name"])
        doc = golden_doc(r, suite)
        try:
            with open(path) as f:
                same = json.load(f) == doc
        except (OSError, ValueError):
            same = False
        if not same:
            fsutil.write_json_atomic(path, doc)
            changed += 1
            print(f"wrote {rel(path)}")
    removed = 0
    if not a.only:
        names = {n for n, _ in all_cases}
        for p in glob.glob(os.path.join(a.golden_dir, "*.json")):
            if os.path.basename(p)[:-5] not in names:
                os.unlink(p)
                removed += 1
                print(f"removed {rel(p)}")
    print(f"regenerated: {len(results)} cases in {total:.1f} s, {changed} golden files written, {removed} removed")
    return 0
