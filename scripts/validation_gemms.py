#!/usr/bin/python3
"""The four M-K-N GEMMs of the Sparseloop MICRO'22 artifact's tensor-core set-up on the shipped
dense TC and STC (int8, timing only; the STC with 2:4 weights): cycles against the compute and
DRAM bounds, energy and its DRAM share, and the STC / dense TC ratios (docs/VALIDATION.md).

Usage: scripts/validation_gemms.py [--tasdsim build/sim/tasdsim] [--set KEY=VALUE ...]
                                   [--energy micro22-tc]
Prints a Markdown table. --set passes overrides to every run (e.g. experiment.int8_output=int32).
--energy micro22-tc costs both engines with the action energies of the Sparseloop MICRO'22
artifact's int8 tensor core (its ERT_summary, below), written as an Accelergy ERT_summary and
bound to the engines' components by arch.energy_bind.
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
# The action energies (pJ) of the Sparseloop MICRO'22 artifact's int8 tensor core, from its
# ERT_summary (github.com/Accelergy-Project/micro22-sparseloop-artifact, workspace/
# 2022.micro.artifact/evaluation_setups/fig15_stc_related_setup/architecture_templates/HW_systems/
# ert_art/int8/TC-RF2x-24-bandwidth/ERT_summary.yaml): (table, action, energy, access width in
# bytes from its architecture file). SMEM (256 KiB, 512-bit) holds the operands, the per-
# subpartition RF (8-bit) the outputs, the per-PE LRF (8-bit) feeds each MAC.
MICRO22_TC = [("system.DRAM", "read", 512, 8), ("system.DRAM", "write", 512, 8),
              ("system.SM.SMEM", "read", 536.05005, 64), ("system.SM.SMEM", "write", 599.806, 64),
              ("system.SM.Subpartition[0..3].RF", "read", 3.1647, 1),
              ("system.SM.Subpartition[0..3].RF", "write", 3.20183, 1),
              ("system.SM.Subpartition[0..3].PE[0..255].LRF", "read", 0.02435, 1),
              ("system.SM.Subpartition[0..3].PE[0..255].LRF", "write", 0.02435, 1),
              ("system.SM.Subpartition[0..3].PE[0..255].MAC", "mac_random", 0.44688, 1)]
MICRO22_BIND = ("{mac: {table: system.SM.Subpartition.PE.MAC}, operand: {table: system.SM.Subpartition.PE.LRF}, "
                "s_buffer: {table: system.SM.SMEM, bytes: 64}, d_buffer: {table: system.SM.SMEM, bytes: 64}, "
                "acc_buffer: {table: system.SM.Subpartition.RF}, dram: {table: system.DRAM, bytes: 8}, "
                "index_mux: none, tasd_unit: none, output_path: none, decoder: none, idle: none}")
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


def write_ert_summary(folder, entries):
    """An Accelergy ERT_summary of (table, action, energy, width) entries, energies per access."""
    path = os.path.join(folder, "ERT_summary.yaml")
    tables = {}
    for table, action, energy, _ in entries:
        tables.setdefault(table, []).append((action, energy))
    with open(path, "w") as f:
        f.write("ERT_summary:\n  version: 0.3\n  table_summary:\n")
        for table, actions in tables.items():
            f.write(f"  - name: {table}\n    actions:\n")
            for action, energy in actions:
                f.write(f"    - name: {action}\n      energy: {energy}\n")
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasdsim", default=os.path.join(ROOT, "build", "sim", "tasdsim"))
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--energy", choices=["shipped", "micro22-tc"], default="shipped")
    a = ap.parse_args()
    print("| M-K-N | engine | cycles | K tiling | compute bound | DRAM bound | cycles / max(bounds) "
          "| energy uJ | DRAM share |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|")
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        if a.energy == "micro22-tc":
            a.set += [f"arch.energy={write_ert_summary(folder, MICRO22_TC)}", f"arch.energy_bind={MICRO22_BIND}"]
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
