#!/usr/bin/python3
"""The Python module's overhead, as ratios to the C++ it wraps, measured in one run:

- tasdsim.decompose of a 4096 x 4096 fp32 matrix (4:8+1:8; compressed terms, unpacked indices
  and the approximation, the default) against the C++ library's decompose() of the same size
  (bench/bench_decompose, BM_Decompose/s4_8_1_8: compressed terms and the residual), and the
  module with both the approximation and the residual (residual=True);
- tasdsim.simulate of ResNet-50 timing-only (in process: prepared here, simulated in a child)
  against `tasdsim run --timing-only` of the same experiment (a process, start to exit).

Usage: bench/python_speed.py [--build build] [--repetitions 5]   (median of the repetitions)
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

    out = subprocess.run([os.path.join(a.build, "bench", "bench_decompose"), "--benchmark_format=json",
                          "--benchmark_filter=^BM_Decompose(Approx)?/s4_8_1_8",
                          f"--benchmark_repetitions={a.repetitions}", "--benchmark_report_aggregates_only=true"],
                         capture_output=True, text=True, check=True).stdout

    def cpp_median(name):
        b = next(b for b in json.loads(out)["benchmarks"] if b["name"] == name + "_median")
        return b["real_time"] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
    cpp_s = cpp_median("BM_Decompose/s4_8_1_8/real_time")
    cpp_approx_s = cpp_median("BM_DecomposeApprox/s4_8_1_8/real_time")
    x = np.random.default_rng(1).standard_normal((4096, 4096)).astype(np.float32)
    py_default = median_seconds(lambda: tasdsim.decompose(x, "4:8+1:8"), a.repetitions)
    py_all = median_seconds(lambda: tasdsim.decompose(x, "4:8+1:8", residual=True), a.repetitions)
    print("| decompose 4096 x 4096, 4:8+1:8 | seconds | ratio to C++ |")
    print("|---|---|---|")
    print(f"| C++ library (bench_decompose BM_Decompose: terms and residual) | {cpp_s:.3f} | 1.00 |")
    print(f"| C++ library, the module's call (BM_DecomposeApprox: terms and approximation) | {cpp_approx_s:.3f} | "
          f"{cpp_approx_s / cpp_s:.2f} |")
    print(f"| tasdsim.decompose: terms, indices, approx (default) | {py_default:.3f} | {py_default / cpp_s:.2f} |")
    print(f"| tasdsim.decompose(residual=True): also the residual | {py_all:.3f} | {py_all / cpp_s:.2f} |")

    tasdsim_bin = os.path.join(a.build, "sim", "tasdsim")
    with tempfile.TemporaryDirectory() as d:
        def cli():
            subprocess.run([tasdsim_bin, "run", RESNET50, "--timing-only", "-q", "--out", os.path.join(d, "r"),
                            "--overwrite"], check=True, capture_output=True)
        cli_s = median_seconds(cli, a.repetitions)
    py_s = median_seconds(lambda: tasdsim.simulate(RESNET50, timing_only=True), a.repetitions)
    print()
    print("| ResNet-50 timing-only | seconds | ratio to CLI |")
    print("|---|---|---|")
    print(f"| tasdsim run --timing-only | {cli_s:.3f} | 1.00 |")
    print(f"| tasdsim.simulate(timing_only=True) | {py_s:.3f} | {py_s / cli_s:.2f} |")


if __name__ == "__main__":
    main()
