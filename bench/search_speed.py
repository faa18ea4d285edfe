#!/usr/bin/python3
"""Speed of the TASDER search on ResNet-50 (all 54 layers, proxy target) with MAC and simulated
EDP costs, as a ratio to a baseline measured in the same run: one timing-only simulation of
ResNet-50 (`tasdsim run --timing-only`). Median of --repeat runs. Prints a Markdown table.

    /usr/bin/python3 bench/search_speed.py [--tasdsim build/sim/tasdsim] [--repeat 3]
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SEARCH = os.path.join(ROOT, "configs", "experiments", "resnet50_search_ttc_vegeta_m8.yaml")
RUN = os.path.join(ROOT, "configs", "experiments", "resnet50_ttc_vegeta_m8.yaml")


def wall(argv):
    with tempfile.TemporaryDirectory() as d:
        t = time.monotonic()
        subprocess.run([*argv, "--out", os.path.join(d, "out"), "-q"], check=True, stdout=subprocess.DEVNULL)
        return time.monotonic() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasdsim", default=os.path.join(ROOT, "build", "sim", "tasdsim"))
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    cases = [("baseline: tasdsim run ResNet-50 --timing-only", [a.tasdsim, "run", RUN, "--timing-only"]),
             ("tasdsim search ResNet-50, cost macs", [a.tasdsim, "search", SEARCH, "--set", "experiment.search.cost=macs"]),
             ("tasdsim search ResNet-50, cost edp", [a.tasdsim, "search", SEARCH, "--set", "experiment.search.cost=edp"])]
    times = {name: [] for name, _ in cases}
    for _ in range(a.repeat):  # interleaved, so that load changes hit every case alike
        for name, argv in cases:
            times[name].append(wall(argv))
    base = statistics.median(times[cases[0][0]])
    print("| command | median wall (s) | ratio to baseline |")
    print("|---|---:|---:|")
    for name, _ in cases:
        m = statistics.median(times[name])
        print(f"| {name} | {m:.2f} | {m / base:.2f} |")


if __name__ == "__main__":
    main()
