#!/usr/bin/python3
"""Speed of the digit protocol on the simulated accelerator, against the host executor's run of
the same protocol and plan measured in the same script (the machine is shared and noisy: the
ratio is what we track), and of `make demo` (ResNet-50 with values and timing only).

  /usr/bin/python3 bench/accelerator_accuracy.py [--build build] [--per-class 100] [--processes 2]
      [--arch configs/arch/ttc_vegeta_m8.yaml] [--w-series 4:8+2:8+1:8] [--repeat 1]

Prints a Markdown table; docs/PERFORMANCE.md quotes it. Needs scripts/fetch_realdata.sh.
"""
import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(args):
    t0 = time.perf_counter()
    r = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"accelerator_accuracy: {' '.join(args)} failed:\n{r.stderr}")
    return seconds, r.stdout


def best(args, repeat):
    runs = [timed(args) for _ in range(repeat)]
    return min(runs, key=lambda r: r[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--arch", default=os.path.join(ROOT, "configs", "arch", "ttc_vegeta_m8.yaml"))
    ap.add_argument("--w-series", default="4:8+2:8+1:8")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each command; the fastest counts")
    a = ap.parse_args()
    tasdsim = os.path.join(a.build, "sim", "tasdsim")
    common = ["accuracy", "--per-class", str(a.per_class), "--w-series", a.w_series, "--threads", str(a.processes)]
    host, host_out = best([tasdsim, *common], a.repeat)
    device, device_out = best([tasdsim, *common, "--arch", a.arch], a.repeat)
    acc = re.search(r"accuracy ([0-9.]+) \((\d+)/(\d+)", device_out)
    images = int(acc.group(3)) if acc else 10 * a.per_class
    demo = os.path.join(ROOT, "configs", "experiments", "resnet50_ttc_vegeta_m8.yaml")
    out = os.path.join(ROOT, "out", "bench-demo")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    values, _ = best([tasdsim, "run", demo, "--out", out, "--overwrite", "-q"], a.repeat)
    timing, _ = best([tasdsim, "run", demo, "--out", out, "--overwrite", "-q", "--timing-only"], a.repeat)
    print(f"\n### digits on the simulated accelerator ({images} digits, {a.processes} processes, "
          f"TASD-W {a.w_series}, {os.path.basename(a.arch)})\n")
    print("| measure | seconds | per image (ms) | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| host executor, same plan (baseline) | {host:.2f} | {1e3 * host / images:.1f} | 1.00 |")
    print(f"| simulated accelerator, values and reference checks | {device:.2f} | {1e3 * device / images:.1f} | "
          f"{device / host:.2f} |")
    print(f"| `make demo` ResNet-50 with values (whole run) | {values:.2f} | | |")
    print(f"| ResNet-50 timing only (whole run) | {timing:.2f} | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
