#!/usr/bin/python3
"""The four M-K-N GEMMs of the Sparseloop MICRO'22 artifact's tensor-core set-up on the shipped
dense TC and STC (int8, timing only; the STC with 2:4 weights): cycles against the compute and
DRAM bounds, energy and its DRAM share, and the STC / dense TC ratios (docs/VALIDATION.md).

Usage: scripts/validation_gemms.py [--tasdsim build/sim/tasdsim] [--set KEY=VALUE ...]
Prints a Markdown table. --set passes overrides to every run (e.g. experiment.int8_output=int32).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
POINTS = [(128, 1152, 1024), (512, 1024, 256), (512, 128, 1024), (512, 256, 1024)]
ENGINES = [("dense TC", "dense_tc.yaml", 'plan: {series: dense, operand: W}'),
           ("STC", "stc.yaml", 'plan: {series: "2:4", operand: W}')]
MACS_PER_CYCLE = 1024
DRAM_BYTES_PER_CYCLE = 64  # 64 GB/s at 1 GHz


def run_point(tasdsim, folder, m, k, n, arch, plan, overrides):
    workload = os.path.join(folder, f"gemm_{m}_{k}_{n}.yaml")
    with open(workload, "w") as f:
        f.write(f"workload:\n  name: gemm_{m}_{k}_{n}\n  input: {{n: {m}, h: 1, w: 1, c: {k}}}\n"
                f"  layers:\n    - {{name: fc, op: gemm, out_features: {n}}}\n")
    exp = os.path.join(folder, "exp.yaml")
    with open(exp, "w") as f:
        f.write(f"experiment:\n  name: point\n  arch: {ROOT}/configs/arch/{arch}\n  workload: {workload}\n"
                f"  dtype: int8\n  {plan}\n")
    out = os.path.join(folder, "out")
    args = [tasdsim, "run", exp, "--timing-only", "--out", out, "--overwrite", "-q"]
    for o in overrides:
        args += ["--set", o]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"validation_gemms: {' '.join(args)} failed:\n{r.stderr}")
    with open(os.path.join(out, "stats.json")) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasdsim", default=os.path.join(ROOT, "build", "sim", "tasdsim"))
    ap.add_argument("--set", action="append", default=[])
    a = ap.parse_args()
    print("| M-K-N | engine | cycles | K tiling | compute bound | DRAM bound | cycles / max(bounds) "
          "| energy uJ | DRAM share |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|")
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        for m, k, n in POINTS:
            row = {}
            for label, arch, plan in ENGINES:
                s = run_point(a.tasdsim, folder, m, k, n, arch, plan, a.set)
                layer = s["layers"][0]
                net = s["network"]
                c = net["counters"]
                cycles = net["cycles"]
                compute = m * k * n / MACS_PER_CYCLE * layer["compute_fraction"]
                dram = (c["memory_port.read_bytes"] + c["memory_port.write_bytes"]) / DRAM_BYTES_PER_CYCLE
                energy = net["energy_pj"]["total"]
                kt = int(layer["tiling"].split("x")[2])
                tiles = -(-k // kt)
                tiling = f"{tiles} x {kt}" if tiles > 1 else str(kt)
                print(f"| {m}-{k}-{n} | {label} | {cycles} | {tiling} | {compute:.0f} | {dram:.0f} | "
                      f"{cycles / max(compute, dram):.3f} | {energy * 1e-6:.2f} | "
                      f"{net['energy_pj']['dram'] / energy:.3f} |")
                row[label] = (cycles, energy)
            ratios.append((row["STC"][0] / row["dense TC"][0], row["STC"][1] / row["dense TC"][1]))
    print()
    print("STC / dense TC: cycles " + ", ".join(f"{r[0]:.3f}" for r in ratios) +
          "; energy " + ", ".join(f"{r[1]:.3f}" for r in ratios) + ".")


if __name__ == "__main__":
    main()
