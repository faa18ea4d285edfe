#!/usr/bin/python3
"""Runs the Google Benchmark programs and prints each result as a ratio against a baseline
measured in the same run (the machine is shared and noisy; ratios are what we track).

Usage: scripts/bench.py [--build build] [--only PROGRAM_SUBSTRING] [--repetitions N]
Writes Markdown tables to stdout; docs/PERFORMANCE.md quotes them.
"""
import argparse
import json
import os
import re
import subprocess
import sys

# program -> how to compare. "baseline": a benchmark every other one is compared with, or a
# (pattern, replacement) pair that turns a benchmark's name into its baseline's name.
# "mode": "rate" compares bytes/s, "time" compares times (result time / baseline time).
PROGRAMS = {
    "bench/bench_decompose": {"baseline": "BM_StreamCopy/real_time", "mode": "rate", "repetitions": 3},
    "bench/bench_simulator": {"baseline": (r"^BM_(SimulateLayer|RunLayer)/([^/]+)/.*$", r"BM_Sgemm1T/\2/real_time"),
                              "mode": "time", "repetitions": 1},
    "bench/bench_executor": {"baseline": "BM_DenseGemmsOfModel/real_time", "mode": "time", "repetitions": 3},
    "bench/bench_rtl": {"baseline": (r"^BM_RtlPeArrayRate/([^/]+)/.*$", r"BM_ModelPeArrayRate/\1/real_time"),
                        "mode": "time", "repetitions": 1},
}


def run(path, flt, reps):
    args = [path, "--benchmark_format=json"]
    if flt:
        args.append(f"--benchmark_filter={flt}")
    if reps > 1:
        args += [f"--benchmark_repetitions={reps}", "--benchmark_report_aggregates_only=true"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def baseline_of(name, spec):
    base = spec["baseline"]
    if isinstance(base, str):
        return base
    pattern, repl = base
    return re.sub(pattern, repl, name) if re.match(pattern, name) else None


def ms(b):
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
    return b["real_time"] * scale


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--only", default="", help="run only programs whose path contains this")
    ap.add_argument("--filter", default="")
    ap.add_argument("--repetitions", type=int, default=0, help="override the per-program repetitions")
    a = ap.parse_args()
    status = 0
    for prog, spec in PROGRAMS.items():
        if a.only not in prog:
            continue
        path = os.path.join(a.build, prog)
        if not os.path.exists(path):
            print(f"bench: {path} not built", file=sys.stderr)
            status = 1
            continue
        reps = a.repetitions or spec["repetitions"]
        data = run(path, a.filter, reps)
        rows = {}
        for b in data["benchmarks"]:
            if reps > 1 and b.get("aggregate_name") != "median":
                continue
            rows[re.sub(r"_median$", "", b["name"])] = b
        print(f"\n### {prog} ({'median of %d' % reps if reps > 1 else 'one run'})\n")
        print("| benchmark | time (ms) | throughput | baseline | ratio | counters |")
        print("|---|---:|---:|---|---:|---|")
        for name, b in rows.items():
            base_name = baseline_of(name, spec)
            base = rows.get(base_name) if base_name else None
            rate = f'{b["bytes_per_second"] / 1e9:.2f} GB/s' if "bytes_per_second" in b else ""
            if base is None or base is b:
                ratio = ""
            elif spec["mode"] == "rate":
                ratio = f'{100 * b["bytes_per_second"] / base["bytes_per_second"]:.1f}% of baseline'
            else:
                ratio = f"{ms(b) / ms(base):.2f}x baseline"
            counters = ", ".join(f"{k}={v:.4g}" for k, v in b.items()
                                 if k in ("ratio_total", "ratio_worst_layer", "sgemm_ms", "MACs",
                                          "rtl_cycles_per_s", "model_cycles_per_s", "model_ms", "slowdown"))
            print(f"| {name} | {ms(b):.2f} | {rate} | {base_name if base is not None and base is not b else ''} | "
                  f"{ratio} | {counters} |")
    return status


if __name__ == "__main__":
    sys.exit(main())
