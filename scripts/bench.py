#!/usr/bin/python3
"""Runs the Google Benchmark programs and prints each result as a ratio against the baseline
measured in the same run (the machine is shared and noisy; ratios are what we track).

Usage: scripts/bench.py [--build build] [--filter REGEX] [--repetitions N]
Writes a Markdown table to stdout; docs/PERFORMANCE.md quotes it.
"""
import argparse
import json
import os
import re
import subprocess
import sys

# program -> (baseline benchmark name, how to compare: "rate" = bytes/s or items/s ratio,
# "time" = baseline time / benchmark time)
PROGRAMS = {
    "bench/bench_decompose": ("BM_StreamCopy/real_time", "rate"),
}


def run(path, flt, reps):
    args = [path, "--benchmark_format=json"]
    if flt:
        args.append(f"--benchmark_filter={flt}")
    if reps > 1:
        args += [f"--benchmark_repetitions={reps}", "--benchmark_report_aggregates_only=true"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--filter", default="")
    ap.add_argument("--repetitions", type=int, default=3)
    a = ap.parse_args()
    for prog, (baseline, mode) in PROGRAMS.items():
        path = os.path.join(a.build, prog)
        if not os.path.exists(path):
            print(f"bench: {path} not built", file=sys.stderr)
            return 1
        data = run(path, a.filter, a.repetitions)
        rows = {}
        for b in data["benchmarks"]:
            if b.get("aggregate_name", "median" if a.repetitions > 1 else "") not in ("median", ""):
                continue
            name = re.sub(r"_median$", "", b["name"])
            rows[name] = b
        if baseline not in rows:
            print(f"bench: baseline {baseline} missing from {prog}", file=sys.stderr)
            return 1
        base = rows[baseline]
        print(f"\n### {prog} (median of {a.repetitions}; baseline {baseline})\n")
        print("| benchmark | time (ms) | throughput | ratio to baseline |")
        print("|---|---:|---:|---:|")
        for name, b in rows.items():
            t = b["real_time"] if b["time_unit"] == "ms" else b["real_time"] / 1e6
            if mode == "rate" and "bytes_per_second" in b:
                rate = f'{b["bytes_per_second"] / 1e9:.2f} GB/s'
                ratio = b["bytes_per_second"] / base["bytes_per_second"]
            else:
                rate = ""
                ratio = base["real_time"] / b["real_time"]
            print(f"| {name} | {t:.2f} | {rate} | {ratio * 100:.1f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
