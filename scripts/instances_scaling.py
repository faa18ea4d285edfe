#!/usr/bin/python3
"""Multi-instance scaling: cycles, energy and EDP of a network on N accelerator instances that
share one interconnect and one DRAM channel (arch.instances, arch.distribute), against a
bandwidth roofline.

For every N and distribution mode it runs `tasdsim run --timing-only` and reads stats.json. The
roofline of a layer on N instances is max(MAC slots / (N x MAC units), DRAM bytes / bytes per
cycle): the instances multiply the compute, not the DRAM channel. The network's bound is the
sum over its layers (they run one after another). A layer is memory-bound at N when its DRAM
time exceeds its compute time. `efficiency` is bound / simulated cycles (1.0 = on the roofline).

Usage: scripts/instances_scaling.py [--build build] [--out out/instances] [--instances 1,2,4,8]
                                   [--bandwidth-gbps 64,512]
Prints Markdown tables (ResNet-50 at batch 8 and BERT-base on TTC-VEGETA-M8, at each DRAM
bandwidth) and writes OUT/scaling.json.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
EXPERIMENT = os.path.join(ROOT, "configs/experiments/resnet50_ttc_vegeta_m8.yaml")

# (name, extra tasdsim arguments)
NETWORKS = [
    ("ResNet-50, batch 8 (TASD-A plan)", ["--set", "workload.input.n=8"]),
    ("BERT-base, sequence 128 (TASD-W 4:8+1:8)",
     ["--workload", os.path.join(ROOT, "configs/workloads/bert_base.yaml"), "--series", "4:8+1:8", "--operand", "W"]),
]


def run(tasdsim, out, args):
    os.makedirs(os.path.dirname(out), exist_ok=True)
    cmd = [tasdsim, "run", EXPERIMENT, "--timing-only", "--out", out, "--overwrite", *args]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"instances_scaling: {' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    with open(os.path.join(out, "stats.json")) as f:
        return json.load(f), cmd


def arch_numbers(stats_dir):
    import yaml  # Debian's python3-yaml
    with open(os.path.join(stats_dir, "resolved_config.yaml")) as f:
        cfg = yaml.safe_load(f)
    arch = cfg["arch"] if "arch" in cfg else cfg["experiment"]["arch"]
    pe = arch["pe_array"]
    mac_units = pe["rows"] * pe["cols"] * pe["lanes"]
    bytes_per_cycle = arch["dram"]["bandwidth_gbps"] / arch["clock_ghz"]
    return mac_units, bytes_per_cycle


def roofline(stats, n, mac_units, bytes_per_cycle):
    bound = 0.0
    memory_bound = 0
    layers = [l for l in stats["layers"] if l.get("on_accelerator")]
    for l in layers:
        compute = l["mac_ops"] / (n * mac_units)
        memory = (l["counters"]["memory_port.read_bytes"] + l["counters"]["memory_port.write_bytes"]) / bytes_per_cycle
        bound += max(compute, memory)
        memory_bound += memory > compute
    return bound, memory_bound, len(layers)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(ROOT, "out/instances"))
    ap.add_argument("--instances", default="1,2,4,8")
    ap.add_argument("--bandwidth-gbps", default="64,512",
                    help="DRAM bandwidths to run (arch.dram.bandwidth_gbps; 64 is the shipped engines')")
    a = ap.parse_args()
    tasdsim = os.path.join(a.build, "sim/tasdsim")
    counts = [int(x) for x in a.instances.split(",")]
    results = []
    for (title, net_args), bw in [(n, float(b)) for n in NETWORKS for b in a.bandwidth_gbps.split(",")]:
        extra = [*net_args, "--set", f"arch.dram.bandwidth_gbps={bw:g}"]
        title_bw = f"{title}, DRAM {bw:g} GB/s"
        print(f"\n### {title_bw}\n")
        print("| instances | distribute | cycles | speedup | energy (mJ) | EDP (J s) | EDP vs 1 | DRAM MB | "
              "roofline cycles | efficiency | memory-bound layers |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        base = None
        for n in counts:
            for mode in (["batch"] if n == 1 else ["batch", "channels"]):
                out = os.path.join(a.out, f"{len(results)}")
                stats, cmd = run(tasdsim, out, [*extra, "--set", f"arch.instances={n}", "--set", f"arch.distribute={mode}"])
                mac_units, bpc = arch_numbers(out)
                net = stats["network"]
                bound, mem_layers, layers = roofline(stats, n, mac_units, bpc)
                dram = net["counters"]["memory_port.read_bytes"] + net["counters"]["memory_port.write_bytes"]
                if base is None:
                    base = net
                row = {"network": title, "bandwidth_gbps": bw, "instances": n, "distribute": mode, "cycles": net["cycles"],
                       "energy_pj": net["energy_pj"]["total"], "edp_js": net["edp_js"], "dram_bytes": dram,
                       "roofline_cycles": bound, "memory_bound_layers": mem_layers, "layers": layers,
                       "command": " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd)}
                results.append(row)
                print(f"| {n} | {mode} | {net['cycles']:,} | {base['cycles'] / net['cycles']:.2f} | "
                      f"{net['energy_pj']['total'] * 1e-9:.3f} | {net['edp_js']:.3e} | "
                      f"{net['edp_js'] / base['edp_js']:.3f} | {dram / 1e6:.1f} | {bound:,.0f} | "
                      f"{bound / net['cycles']:.2f} | {mem_layers}/{layers} |")
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "scaling.json"), "w") as f:
        json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
