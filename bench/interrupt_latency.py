#!/usr/bin/python3
"""How fast long commands stop on SIGINT/SIGTERM: starts each one, waits until its work has
begun (its staging folder exists), sends the signal, and measures the time to exit. Also
checks what is left (nothing half-written). Prints a Markdown table for docs/ROBUSTNESS.md.

    /usr/bin/python3 bench/interrupt_latency.py [--tasdsim build/sim/tasdsim] [--repeat 5]
"""
import argparse
import glob
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LONG = os.path.join(ROOT, "configs", "experiments", "resnet50_ttc_vegeta_m8.yaml")


def search_file(d):
    path = os.path.join(d, "search.yaml")
    with open(path, "w") as f:
        f.write(f"""experiment:
  name: r50_search
  arch: {ROOT}/configs/arch/ttc_vegeta_m8.yaml
  workload: {ROOT}/configs/workloads/resnet50.yaml
  search: {{cost: edp, quality: {{measure: rel_error, scope: network, target: 0.05}}}}
""")
    return path


def sweep_file(d):
    path = os.path.join(d, "sweep.yaml")
    with open(path, "w") as f:
        f.write(f"""sweep:
  name: interrupt
  base: {LONG}
  timing_only: true
  parameters:
    arch.pe_array.lanes: [1, 2, 4, 8]
    arch.dram.bandwidth_gbps: [16, 32, 64, 128, 256]
""")
    return path


def measure(argv, staging_glob, sig, cwd):
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=cwd)
    deadline = time.monotonic() + 300
    while not glob.glob(os.path.join(cwd, staging_glob), recursive=True):
        if p.poll() is not None:
            raise RuntimeError(f"{argv[:3]} ended before the signal: {p.returncode} {p.stderr.read()}")
        if time.monotonic() > deadline:
            p.kill()
            raise RuntimeError("work never started")
        time.sleep(0.002)
    t0 = time.monotonic()
    p.send_signal(sig)
    p.wait(timeout=120)
    dt = time.monotonic() - t0
    left = glob.glob(os.path.join(cwd, "**", ".*partial*"), recursive=True) + \
        glob.glob(os.path.join(cwd, "**", "*.tmp-*"), recursive=True)
    return dt, p.returncode, left


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasdsim", default=os.environ.get("TASDSIM", os.path.join(ROOT, "build", "sim", "tasdsim")))
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    tasdsim = os.path.abspath(a.tasdsim)
    cases = [
        ("tasdsim run (ResNet-50, values)", lambda d: [tasdsim, "run", LONG, "--out", "out", "-q"], ".out.partial-*"),
        ("tasdsim search (ResNet-50, quality)", lambda d: [tasdsim, "search", search_file(d), "--out", "out", "-q"],
         ".out.partial-*"),
        ("scripts/dse (20 points, 2 jobs)", lambda d: [sys.executable, os.path.join(ROOT, "scripts", "dse"), sweep_file(d),
                                                        "--out", "out", "--jobs", "2", "--no-report", "-q",
                                                        "--tasdsim", tasdsim], "out/points/.*"),
    ]
    print("| command | signal | exit | stop time median (max) over %d | left behind |" % a.repeat)
    print("|---|---|---|---|---|")
    for name, argv, staging in cases:
        for sig in (signal.SIGINT, signal.SIGTERM):
            times, codes, left = [], set(), []
            for _ in range(a.repeat):
                with tempfile.TemporaryDirectory() as d:
                    dt, rc, lf = measure(argv(d), staging, sig, d)
                    times.append(dt)
                    codes.add(rc)
                    left += lf
            print(f"| {name} | {signal.Signals(sig).name} | {', '.join(map(str, sorted(codes)))} | "
                  f"{statistics.median(times) * 1000:.0f} ms ({max(times) * 1000:.0f} ms) | {len(left) or 'nothing'} |")


if __name__ == "__main__":
    main()
