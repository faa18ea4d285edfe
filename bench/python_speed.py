#!/usr/bin/python3
"""The Python module's overhead, as ratios to the C++ it wraps, measured in one run:

- tasdsim.decompose of a 4096 x 4096 fp32 matrix (4:8+1:8; compressed terms, unpacked indices
  and the approximation, the default) against the C++ library's decompose() of the same size
  (bench/bench_decompose, BM_Decompose/s4_8_1_8: compressed terms and the residual), and the
  module with both the approximation and the residual (residual=True);
- tasdsim.simulate of ResNet-50 timing-only (in process: prepared here, simulated in a child)
  against `tasdsim run --timing-only` of the same experiment (a process, start to exit).

Each comparison alternates the two sides for --repetitions rounds after one warm-up call of each
(the C++ side is a Google Benchmark run, which warms up itself); the ratio is the median of the
rounds' ratios, the seconds the medians of each side.

Usage: bench/python_speed.py [--build build] [--repetitions 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESNET50 = os.path.join(ROOT, "configs", "experiments", "resnet50_ttc_vegeta_m8.yaml")


def median_seconds(fn, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repetitions", type=int, default=5)
    a = ap.parse_args()
    sys.path.insert(0, os.path.join(a.build, "python"))
    import numpy as np
    import tasdsim

    def cpp_seconds():
        """One Google Benchmark measurement of each C++ call (its own warm-up and iterations)."""
        out = subprocess.run([os.path.join(a.build, "bench", "bench_decompose"), "--benchmark_format=json",
                              "--benchmark_filter=^BM_Decompose(Approx)?/s4_8_1_8", "--benchmark_min_time=0.5"],
                             capture_output=True, text=True, check=True).stdout
        unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
        return {b["name"].split("/")[0]: b["real_time"] * unit[b["time_unit"]] for b in json.loads(out)["benchmarks"]}

    x = np.random.default_rng(1).standard_normal((4096, 4096)).astype(np.float32)
    tasdsim.decompose(x, "4:8+1:8")  # warm-up, as Google Benchmark warms up the C++ call
    # Rounds that alternate the C++ benchmark and the module, so that both see the same machine;
    # each round's ratio, then the median over the rounds.
    rounds = []
    for _ in range(a.repetitions):
        c = cpp_seconds()
        py_d = median_seconds(lambda: tasdsim.decompose(x, "4:8+1:8"), 3)
        py_r = median_seconds(lambda: tasdsim.decompose(x, "4:8+1:8", residual=True), 3)
        rounds.append((c["BM_Decompose"], c["BM_DecomposeApprox"], py_d, py_r))
    med = lambda i: statistics.median(r[i] for r in rounds)  # noqa: E731
    ratio = lambda i: statistics.median(r[i] / r[0] for r in rounds)  # noqa: E731
    cpp_s, cpp_approx_s, py_default, py_all = med(0), med(1), med(2), med(3)
    print("| decompose 4096 x 4096, 4:8+1:8 | seconds | ratio to C++ |")
    print("|---|---|---|")
    print(f"| C++ library (bench_decompose BM_Decompose: terms and residual) | {cpp_s:.3f} | 1.00 |")
    print(f"| C++ library, the module's call (BM_DecomposeApprox: terms and approximation) | {cpp_approx_s:.3f} | "
          f"{ratio(1):.2f} |")
    print(f"| tasdsim.decompose: terms, indices, approx (default) | {py_default:.3f} | {ratio(2):.2f} |")
    print(f"| tasdsim.decompose(residual=True): also the residual | {py_all:.3f} | {ratio(3):.2f} |")

    tasdsim_bin = os.path.join(a.build, "sim", "tasdsim")
    sim_rounds = []
    with tempfile.TemporaryDirectory() as d:
        def cli():
            subprocess.run([tasdsim_bin, "run", RESNET50, "--timing-only", "-q", "--out", os.path.join(d, "r"),
                            "--overwrite"], check=True, capture_output=True)
        cli()
        tasdsim.simulate(RESNET50, timing_only=True)  # warm-up of both
        for _ in range(a.repetitions):  # alternating, as above
            c = median_seconds(cli, 1)
            sim_rounds.append((c, median_seconds(lambda: tasdsim.simulate(RESNET50, timing_only=True), 1)))
    cli_s = statistics.median(r[0] for r in sim_rounds)
    py_s = statistics.median(r[1] for r in sim_rounds)
    sim_ratio = statistics.median(r[1] / r[0] for r in sim_rounds)
    print()
    print("| ResNet-50 timing-only | seconds | ratio to CLI |")
    print("|---|---|---|")
    print(f"| tasdsim run --timing-only | {cli_s:.3f} | 1.00 |")
    print(f"| tasdsim.simulate(timing_only=True) | {py_s:.3f} | {sim_ratio:.2f} |")


if __name__ == "__main__":
    main()
