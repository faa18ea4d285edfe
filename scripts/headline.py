#!/usr/bin/python3
"""The paper's main comparison: EDP of the TASD-extended engines against their base engines and
the dense engine, on dense networks (TASD-A on ReLU activations) and pruned networks (TASD-W).

For every network variant and engine family (STC, VEGETA, VEGETA-M8):
  - the dense tensor core runs the network dense;
  - the base engine runs it dense (no fine-tuning: unstructured sparsity is of no use to it),
    and also with a TASD-W plan found by `tasdsim search` for that engine (weights only: a base
    engine has no TASD units; a series runs term by term);
  - the TASD-extended engine runs a plan found by `tasdsim search` (weights or activations),
all at the same quality target, all as timing-only simulations (timing does not depend on values).
One extra functional run per network (dense TC, values computed) measures the density of the
layer inputs, for the report.

Usage: scripts/headline.py [--build build] [--out out/headline] [--target 0.05] [--quick] [--docs]
Writes OUT/headline.csv, OUT/headline.md and OUT/headline_edp.png; --docs copies the report
and plot into docs/ (HEADLINE.md, headline_edp.png). The report also gives the breakdowns the
"Differences from the paper" section is built from (cycles, energy, DRAM traffic, search error).
"""
import argparse
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

NETWORKS = [
    # label, workload file, weight sparsity, what the network offers TASD
    ("ResNet-50 dense", "resnet50.yaml", 0.0, "dense"),
    ("ResNet-50 pruned 70%", "resnet50.yaml", 0.7, "pruned"),
    ("ResNet-50 pruned 80%", "resnet50.yaml", 0.8, "pruned"),
    ("ResNet-50 pruned 90%", "resnet50.yaml", 0.9, "pruned"),
    ("ResNet-50 pruned 95%", "resnet50.yaml", 0.95, "pruned"),
    ("BERT-base pruned 70%", "bert_base.yaml", 0.7, "pruned"),
    ("BERT-base pruned 90%", "bert_base.yaml", 0.9, "pruned"),
]
FAMILIES = [("STC", "stc.yaml", "ttc_stc.yaml"), ("VEGETA", "vegeta.yaml", "ttc_vegeta.yaml"),
            ("VEGETA-M8", "vegeta_m8.yaml", "ttc_vegeta_m8.yaml")]
DTYPE = "int8"
PAPER_MAX, PAPER_AVG = 0.83, 0.74


def tasdsim(build, *args):
    r = subprocess.run([os.path.join(build, "sim", "tasdsim"), *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"tasdsim {' '.join(args)}: {r.stderr.strip()}")
    return r


def experiment(work, name, arch, workload, search=None):
    path = os.path.join(work, f"{name}.yaml")
    lines = ["experiment:", f"  name: {name}", f"  arch: {ROOT}/configs/arch/{arch}",
             f"  workload: {ROOT}/configs/workloads/{workload}", f"  dtype: {DTYPE}",
             "  plan: {series: dense}"]
    if search:
        lines += ["  search:", f"    operands: [{', '.join(search['operands'])}]", f"    cost: {search['cost']}",
                  f"    quality: {{measure: rel_error, scope: network, target: {search['target']}}}"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def is_dense(layer):
    return layer.get("series") in (None, "", "dense")


def run(build, exp, sparsity, out, plan=None, timing_only=True):
    args = ["run", exp, "-q", "--overwrite", "--out", out, "--set", f"workload.weight_sparsity={sparsity}"]
    if timing_only:
        args.insert(2, "--timing-only")
    if plan:
        args += ["--plan", plan]
    tasdsim(build, *args)
    with open(os.path.join(out, "stats.json")) as f:
        s = json.load(f)
    n = s["network"]
    e, b = n["energy_pj"], n["counters"]
    layers = [l for l in s["layers"] if l.get("on_accelerator") and l.get("macs_dense")]
    macs = {"W": 0, "A": 0, "dense": 0}
    for l in layers:
        macs["dense" if is_dense(l) else l.get("operand", "W")] += l["macs_dense"]
    return {"cycles": n["cycles"], "energy_uj": e["total"] * 1e-6, "edp": n["edp_js"],
            "compute_fraction": n["compute_fraction"], "energy_dram_uj": e["dram"] * 1e-6,
            "dram_read": b["memory_port.read_bytes"], "dram_write": b["memory_port.write_bytes"],
            "dram_read_s": b["load_unit.dram_bytes.s"], "dram_read_d": b["load_unit.dram_bytes.d"],
            "dram_read_c": b["load_unit.dram_bytes.c"],
            "tasd_exposed": n["counters"]["pe_array.stall.wait_tasd_unit"],
            "mac_share": {k: v / max(1, n["macs_dense"]) for k, v in macs.items()}, "layers": layers}


def search(build, exp, sparsity, out):
    tasdsim(build, "search", exp, "-q", "--overwrite", "--out", out, "--set", f"workload.weight_sparsity={sparsity}")
    with open(os.path.join(out, "search.json")) as f:
        s = json.load(f)
    worst = max(s["layers"], key=lambda l: l["candidates"][l["chosen"]]["error"])
    s["max_layer_error"] = worst["candidates"][worst["chosen"]]["error"]
    s["max_layer_error_layer"] = worst["name"]
    return os.path.join(out, "plan.yaml"), s


def input_density(layers):
    """MAC-weighted mean density of the layer inputs (values computed), and its range."""
    tot = sum(l["macs_dense"] for l in layers)
    d = [l["input_density"] for l in layers]
    return sum(l["macs_dense"] * l["input_density"] for l in layers) / tot, min(d), max(d)


def slow_layers(ttc, dense):
    """Layers the TTC runs in more cycles than the dense TC does: count, extra cycles, and the worst one."""
    ref = {l["name"]: l for l in dense["layers"]}
    slow = [(l["cycles"] - ref[l["name"]]["cycles"], l, ref[l["name"]]) for l in ttc["layers"]
            if l["cycles"] > ref[l["name"]]["cycles"]]
    worst = None
    if slow:
        extra, t, d = max(slow, key=lambda x: x[0])
        worst = {"name": t["name"], "operand": t.get("operand"), "series": t["series"], "cycles_dense": d["cycles"],
                 "cycles_ttc": t["cycles"], "pe_busy_dense": d["counters"]["pe_array.busy_cycles"],
                 "pe_busy_ttc": t["counters"]["pe_array.busy_cycles"],
                 "load_busy_dense": d["counters"]["load_unit.busy_cycles"],
                 "load_busy_ttc": t["counters"]["load_unit.busy_cycles"],
                 "store_busy_dense": d["counters"]["store_unit.busy_cycles"],
                 "read_dense": d["counters"]["memory_port.read_bytes"], "read_ttc": t["counters"]["memory_port.read_bytes"],
                 "loads_dense": d["counters"]["load_unit.requests"], "loads_ttc": t["counters"]["load_unit.requests"],
                 "wait_tasd": t["counters"]["pe_array.stall.wait_tasd_unit"]}
    return len(slow), sum(x[0] for x in slow), worst


def worst_tasd_layer(ttc):
    """The layer whose TASD-unit work the PE array waited for longest."""
    ls = [l for l in ttc["layers"] if l["counters"]["pe_array.stall.wait_tasd_unit"] > 0]
    if not ls:
        return None
    l = max(ls, key=lambda l: l["counters"]["pe_array.stall.wait_tasd_unit"])
    m_block = int(l["series"].split("+")[0].split(":")[1])
    g = l["gemm"]
    operand_blocks = l.get("groups", 1) * g["m"] * -(-g["k"] // m_block)
    return {"name": l["name"], "series": l["series"], "exposed": l["counters"]["pe_array.stall.wait_tasd_unit"],
            "blocks": l["counters"]["tasd_unit.blocks"], "operand_blocks": operand_blocks,
            "cycles": l["cycles"]}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def shown_path(p, what):
    p = os.path.abspath(p)
    return os.path.relpath(p, ROOT) if p.startswith(ROOT + os.sep) else what


def main():
    start = time.time()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "headline"))
    ap.add_argument("--target", type=float, default=0.05, help="network MAC-weighted output error target")
    ap.add_argument("--cost", default="edp", choices=["macs", "cycles", "energy", "edp"])
    ap.add_argument("--quick", action="store_true", help="ResNet-50 dense and 90%% only (for tests)")
    ap.add_argument("--docs", action="store_true", help="also write docs/HEADLINE.md and docs/headline_edp.png")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    # Run a private copy of the binary: a rebuild of the build directory during the run cannot mix two builds.
    build_dir = a.build
    a.build = os.path.join(a.out, "bin")
    binary = os.path.join(a.build, "sim", "tasdsim")
    os.makedirs(os.path.dirname(binary), exist_ok=True)
    shutil.copy2(os.path.join(build_dir, "sim", "tasdsim"), binary)
    env = {"binary_sha256": sha256(binary), "version": tasdsim(a.build, "--version").stdout.strip(),
           "cpus": os.cpu_count(), "load": os.getloadavg()[0], "build": build_dir}
    work = os.path.join(a.out, "work")
    os.makedirs(work, exist_ok=True)
    nets = [n for n in NETWORKS if not a.quick or n[0] in ("ResNet-50 dense", "ResNet-50 pruned 90%")]
    rows, netinfo = [], {}
    t0 = time.time()
    for label, wl, sp, kind in nets:
        key = label.replace(" ", "_").replace("%", "").replace("-", "")
        dense_exp = experiment(work, f"{key}_densetc", "dense_tc.yaml", wl)
        dense = run(a.build, dense_exp, sp, os.path.join(work, f"{key}_densetc"))
        func = run(a.build, dense_exp, sp, os.path.join(work, f"{key}_densetc_values"), timing_only=False)
        netinfo[label] = {"workload": wl, "kind": kind, "sparsity": sp, "dense": dense, "input_density": input_density(func["layers"])}
        for fam, base_arch, ttc_arch in FAMILIES:
            fk = f"{key}_{fam.replace('-', '')}"
            base_exp = experiment(work, f"{fk}_base", base_arch, wl,
                                  {"operands": ["W"], "cost": a.cost, "target": a.target})
            base_dense = run(a.build, base_exp, sp, os.path.join(work, f"{fk}_base_dense"))
            plan_b, sb = search(a.build, base_exp, sp, os.path.join(work, f"{fk}_base_search"))
            base_tasd = run(a.build, base_exp, sp, os.path.join(work, f"{fk}_base_tasd"), plan_b)
            ttc_exp = experiment(work, f"{fk}_ttc", ttc_arch, wl,
                                 {"operands": ["W", "A"], "cost": a.cost, "target": a.target})
            plan_t, st = search(a.build, ttc_exp, sp, os.path.join(work, f"{fk}_ttc_search"))
            ttc = run(a.build, ttc_exp, sp, os.path.join(work, f"{fk}_ttc"), plan_t)
            n_slow, slow_cycles, worst_slow = slow_layers(ttc, dense)
            rows.append({
                "network": label, "kind": kind, "family": fam,
                "edp_dense_tc": dense["edp"], "edp_base_dense": base_dense["edp"], "edp_base_tasd": base_tasd["edp"],
                "edp_ttc": ttc["edp"],
                "compute_fraction_base_tasd": base_tasd["compute_fraction"],
                "compute_fraction_ttc": ttc["compute_fraction"],
                "error_base_tasd": sb["network_error"], "error_ttc": st["network_error"],
                "edp_improvement_vs_base": 1 - ttc["edp"] / base_dense["edp"],
                "edp_improvement_vs_base_tasd": 1 - ttc["edp"] / base_tasd["edp"],
                "edp_improvement_vs_dense_tc": 1 - ttc["edp"] / dense["edp"],
                "cycles_dense_tc": dense["cycles"], "cycles_base_dense": base_dense["cycles"],
                "cycles_base_tasd": base_tasd["cycles"], "cycles_ttc": ttc["cycles"],
                "energy_uj_dense_tc": dense["energy_uj"], "energy_uj_base_dense": base_dense["energy_uj"],
                "energy_uj_base_tasd": base_tasd["energy_uj"], "energy_uj_ttc": ttc["energy_uj"],
                "cycles_ratio_vs_base": ttc["cycles"] / base_dense["cycles"],
                "energy_ratio_vs_base": ttc["energy_uj"] / base_dense["energy_uj"],
                "dram_energy_share_ttc": ttc["energy_dram_uj"] / ttc["energy_uj"],
                "dram_bytes_ttc": ttc["dram_read"] + ttc["dram_write"],
                "dram_weight_bytes_ttc": ttc["dram_read_s"],
                "dram_result_bytes_ttc": ttc["dram_write"],
                "mac_share_w_ttc": ttc["mac_share"]["W"], "mac_share_a_ttc": ttc["mac_share"]["A"],
                "mac_share_dense_ttc": ttc["mac_share"]["dense"],
                "tasd_exposed_cycles_ttc": ttc["tasd_exposed"],
                "slower_layers_ttc": n_slow, "slower_layers_extra_cycles_ttc": slow_cycles,
                "search_predicted_cost_reduction_ttc": st["cost_reduction"],
                "max_layer_error_ttc": st["max_layer_error"], "max_layer_error_layer_ttc": st["max_layer_error_layer"],
            })
            rows[-1]["_worst_tasd"] = worst_tasd_layer(ttc)
            rows[-1]["_worst_slow"] = worst_slow
            print(f"{label:22s} {fam:10s} TTC EDP {ttc['edp']:.3e}  vs base {100 * rows[-1]['edp_improvement_vs_base']:5.1f}%"
                  f"  vs dense TC {100 * rows[-1]['edp_improvement_vs_dense_tc']:5.1f}%  ({time.time() - t0:.0f} s)",
                  flush=True)
    with open(os.path.join(a.out, "headline.csv"), "w", newline="") as f:
        fields = [k for k in rows[0] if not k.startswith("_")]
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    env["seconds"] = time.time() - start
    write_report(rows, netinfo, a, env)
    plot(rows, os.path.join(a.out, "headline_edp.png"))
    if a.docs:
        shutil.copy(os.path.join(a.out, "headline.md"), os.path.join(ROOT, "docs", "HEADLINE.md"))
        shutil.copy(os.path.join(a.out, "headline_edp.png"), os.path.join(ROOT, "docs", "headline_edp.png"))
    return 0


def pct(x):
    return f"{100 * x:.1f}%"


def mean(xs):
    xs = list(xs)
    return sum(xs) / len(xs) if xs else float("nan")


def write_report(rows, netinfo, a, env):
    fams = list(dict.fromkeys(r["family"] for r in rows))
    nets = list(dict.fromkeys(r["network"] for r in rows))
    imp = [r["edp_improvement_vs_base"] for r in rows]
    best = max(rows, key=lambda r: r["edp_improvement_vs_base"])
    dense_rows = [r for r in rows if r["kind"] == "dense"]
    pruned_rows = [r for r in rows if r["kind"] == "pruned"]
    base_is_dense_tc = all(r["edp_base_dense"] == r["edp_dense_tc"] for r in rows)
    cmd = (f"python3 scripts/headline.py --build {shown_path(env['build'], 'BUILD')} --out {shown_path(a.out, 'OUT')} "
           f"--target {a.target} --cost {a.cost}" + (" --quick" if a.quick else "") + (" --docs" if a.docs else ""))
    L = [
        "# Headline comparison: EDP of TASD-extended engines",
        "",
        "Produced, from the repository root, by",
        "",
        f"    {cmd}",
        "",
        f"Wall time {env['seconds']:.0f} s ({env['seconds'] / 60:.1f} min, measured by the script from start to this "
        f"report) on a {env['cpus']}-CPU machine shared with other work (load average {env['load']:.1f} at the start). "
        f"Simulator: {env['version']}, binary sha256 `{env['binary_sha256'][:16]}...` (a copy of the build's binary "
        "taken at the start runs every simulation). "
        "OUT is any scratch directory; it receives the experiment files, every run's stats.json/layers.csv, the "
        "plans and search.json files, and headline.csv with every number below and more. "
        "All results are simulated, timing-only (timing does not depend on values) except one functional run per "
        "network on the dense TC that measures the density of the layer inputs; the simulations are deterministic, "
        "so a rerun gives the same numbers (only the wall time changes).",
        "",
        "**Bottom line.** "
        f"EDP improvement of the TASD-extended engines (TTC) over their base engines: up to {pct(max(imp))} "
        f"({best['network']}, TTC-{best['family']}), {pct(mean(imp))} on average over the {len(rows)} network x engine "
        f"points (dense network {pct(mean(r['edp_improvement_vs_base'] for r in dense_rows))}, pruned networks "
        f"{pct(mean(r['edp_improvement_vs_base'] for r in pruned_rows))} on average). The paper reports up to 83% and "
        "74% (\"on average\" in the v1/v2 abstract; a reading of v3 gives 83% for dense and 74% for sparse networks). "
        "The measured gains are lower; see *Differences from the paper*.",
        "",
        "## Summary per engine",
        "",
        "EDP improvement of each TASD-extended engine over the stated reference, over the networks below.",
        "",
        "| engine | vs base: average | vs base: max | vs dense TC: average | vs dense TC: max | dense network (TASD-A) | pruned networks: average |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for fam in fams:
        fr = [r for r in rows if r["family"] == fam]
        vb = [r["edp_improvement_vs_base"] for r in fr]
        vd = [r["edp_improvement_vs_dense_tc"] for r in fr]
        L.append(f"| TTC-{fam} | {pct(mean(vb))} | {pct(max(vb))} | {pct(mean(vd))} | {pct(max(vd))} | "
                 f"{pct(mean(r['edp_improvement_vs_base'] for r in fr if r['kind'] == 'dense'))} | "
                 f"{pct(mean(r['edp_improvement_vs_base'] for r in fr if r['kind'] == 'pruned'))} |")
    vd_all = [r["edp_improvement_vs_dense_tc"] for r in rows]
    L.append(f"| all | {pct(mean(imp))} | {pct(max(imp))} | {pct(mean(vd_all))} | {pct(max(vd_all))} | "
             f"{pct(mean(r['edp_improvement_vs_base'] for r in dense_rows))} | "
             f"{pct(mean(r['edp_improvement_vs_base'] for r in pruned_rows))} |")
    L += [""]
    if base_is_dense_tc:
        L += ["In this model a base engine running a network dense has exactly the dense TC's cycles and energy (same "
              "array, buffers and DRAM; a dense plan uses no metadata or index muxes), so *vs base* and *vs dense TC* are "
              "the same numbers here.", ""]
    L += [
        "## Results per network",
        "",
        "EDP improvement = 1 - EDP(TTC) / EDP(reference). *Base (TASD-W)* is the base engine running its own TASD-W "
        "plan term by term (partial sums through memory), so that column isolates what the TASD extension (series "
        "sequencing, decomposition-aware dataflow, TASD units) adds. Cycles and energy are the TTC's relative to the "
        "base engine running dense. *W / A / dense* are the shares of the network's MACs in layers the TTC plan "
        "decomposes on weights, on activations, or leaves dense.",
        "",
        "| network | engine | W / A / dense MACs | TTC compute fraction | TTC error | TTC cycles | TTC energy | EDP vs base | EDP vs base (TASD-W) | EDP vs dense TC |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        L.append(f"| {r['network']} | TTC-{r['family']} | {100 * r['mac_share_w_ttc']:.0f} / {100 * r['mac_share_a_ttc']:.0f} / "
                 f"{100 * r['mac_share_dense_ttc']:.0f} | {r['compute_fraction_ttc']:.3f} | {r['error_ttc']:.4f} | "
                 f"{r['cycles_ratio_vs_base']:.3f} | {r['energy_ratio_vs_base']:.3f} | "
                 f"{pct(r['edp_improvement_vs_base'])} | {pct(r['edp_improvement_vs_base_tasd'])} | "
                 f"{pct(r['edp_improvement_vs_dense_tc'])} |")
    L += [
        "",
        "![EDP relative to the base engine](headline_edp.png)",
        "",
        "## Assumptions",
        "",
        "- Engines (configs/arch/): 1024-MAC class, 16 x 16 PEs x 4 MAC lanes at 1 GHz; S and D buffers 256 KiB and "
        "an accumulator buffer 128 KiB, each split into two slots; DRAM 64 GB/s with 100 ns latency. STC supports "
        "2:4; VEGETA 1:4, 2:4, 4:4; VEGETA-M8 1:8, 2:8, 4:8, 8:8; at most 3 terms per series. The TASD-extended "
        "engines (TTC-*) add series sequencing with the decomposition-aware dataflow (the D tile and the "
        "accumulators stay in place while the terms stream) and 16 TASD units at 1 cycle per block element (M cycles "
        "per M-block). Base engines run a series as one GEMM per term.",
        f"- Data types: {DTYPE} values, int32 accumulation; results leave the device requantised to int8 on its "
        "output path (one byte each; static per-channel scales calibrated on the run's input), the default for int8.",
        "- Energy: configs/energy/horowitz_45nm.yaml (Horowitz, ISSCC 2014, 45 nm, plus marked estimates): int8 MAC "
        "0.3 pJ, index mux 0.1 pJ per structured MAC slot, SRAM 1.25-12.5 pJ/byte by bank size, DRAM 160 pJ/byte, "
        "TASD compare 0.1 pJ, no leakage. EDP = total energy x total delay of the network (layers run one after "
        "another, batch 1).",
        "- Networks (configs/workloads/): exact layer shapes of ResNet-50 v1.5 (224 x 224, batch 1) and BERT-base "
        "(sequence 128, batch 1) with SYNTHETIC values (seeded): He-normal weights; for the pruned variants every "
        "weight tensor is magnitude-pruned to the stated sparsity, i.e. synthetic unstructured magnitude-style "
        "sparsity with the same sparsity in every layer (`workload.weight_sparsity`). No trained or really "
        "pruned checkpoint is used.",
    ]
    for label in nets:
        info = netinfo[label]
        if info["kind"] == "dense":
            avg, lo, hi = info["input_density"]
            L.append(f"- Activations ({label}): the input is standard normal and activations are computed through the "
                     f"real topology, so the post-ReLU inputs of TASD-A are those of a random network: the measured "
                     f"MAC-weighted input density of the accelerator layers is {avg:.2f} (per layer {lo:.2f}-{hi:.2f}).")
    bert = [l for l in nets if l.startswith("BERT")]
    if bert:
        avg, lo, hi = netinfo[bert[0]]["input_density"]
        L.append("- BERT-base: the inputs of the Q/K/V and first FFN layers are synthetic standard normal and the attention "
                 "probabilities synthetic softmax rows; the other inputs are computed (the second FFN layer's is a GELU "
                 f"output). They have almost no exact zeros (measured MAC-weighted input density {avg:.4f}, "
                 f"{bert[0]}), so TASD-A has only magnitude pseudo-density to work with. The attention score and "
                 "context products have no weights, so only TASD-A could apply to them.")
    L += [
        f"- Quality: every plan comes from `tasdsim search` (greedy TASDER, cost = per-layer {a.cost.upper()}, operands W only "
        "on base engines, W or A on TTCs) with the constraint *MAC-weighted mean, over the layers, of the relative "
        f"output error <= {a.target}*. A layer's relative output error is ||Y - Y'||_F / ||Y||_F of its GEMM on 64 "
        "sampled calibration rows, fp32, with the layer's dense inputs (errors do not propagate between layers). "
        "No model accuracy is measured (synthetic values have none); the paper's constraint is 99% of the original "
        "accuracy.",
        "- Base engines run the network dense (they cannot use unstructured sparsity without fine-tuning); the "
        "*base (TASD-W)* column gives them a TASD-W plan found for them, run term by term.",
        "- The paper's setup (simulator, array, buffers, bandwidth, energy numbers, models, checkpoints) is not "
        "known; everything above is this model's own choice.",
    ]
    L += differences(rows, netinfo, a)
    with open(os.path.join(a.out, "headline.md"), "w") as f:
        f.write("\n".join(L) + "\n")


def differences(rows, netinfo, a):
    imp = [r["edp_improvement_vs_base"] for r in rows]
    best = max(rows, key=lambda r: r["edp_improvement_vs_base"])
    dense_rows = [r for r in rows if r["kind"] == "dense"]
    er = [r["energy_ratio_vs_base"] for r in rows]
    cr = [r["cycles_ratio_vs_base"] for r in rows]
    dshare = [r["dram_energy_share_ttc"] for r in rows]
    act_share = [1 - r["dram_weight_bytes_ttc"] / r["dram_bytes_ttc"] for r in rows]
    L = [
        "",
        "## Differences from the paper",
        "",
        f"Measured: up to {pct(max(imp))} and {pct(mean(imp))} on average over the base engines; the paper: up to "
        f"{pct(PAPER_MAX)} and {pct(PAPER_AVG)}. On the dense network (TASD-A) the TTCs gain "
        f"{', '.join(pct(r['edp_improvement_vs_base']) for r in dense_rows)} "
        f"({', '.join('TTC-' + r['family'] for r in dense_rows)}), far from 83% if that number is the paper's "
        "dense-network figure. The gap follows from the numbers above:",
        "",
        f"1. **Energy falls little: DRAM dominates it.** DRAM is {pct(min(dshare))}-{pct(max(dshare))} of the TTC "
        f"runs' energy. TASD shrinks the MACs and the (compressed) weight bytes, but {pct(min(act_share))}-"
        f"{pct(max(act_share))} of the TTC runs' DRAM bytes are activations and int8 results, which TASD does not "
        f"compress (activation reads change only with the tiling). So a TTC's energy stays at {min(er):.2f}-{max(er):.2f} of the base engine's, and its EDP "
        "improvement comes mostly from cycles (EDP ratio = cycles ratio x energy ratio).",
    ]
    seen = set()
    for label, info in netinfo.items():
        if info["workload"] in seen:
            continue
        seen.add(info["workload"])
        d = info["dense"]
        res = d["dram_write"]
        share = d["energy_dram_uj"] * res / (d["dram_read"] + d["dram_write"]) / d["energy_uj"]
        L.append(f"   - {label.split(' ')[0]}: the int8 results alone are {res / 1e6:.1f} MB of DRAM writes per "
                 f"inference, {pct(share)} of the dense TC's energy; every engine writes the same results.")
    need = [(1 - PAPER_MAX) / r["energy_ratio_vs_base"] for r in rows]
    L += [
        f"   - With these energy ratios, an {pct(PAPER_MAX)} EDP gain would need the cycles to fall to "
        f"{min(need):.2f}-{max(need):.2f} of the base engine's; the TTCs reach {min(cr):.2f}-{max(cr):.2f}. "
        "A model that keeps results on chip between layers, counts per-MAC operand delivery, or has a lower "
        "DRAM energy would raise the improvements; the paper's energy model is not known.",
    ]
    # compute fraction limits
    L.append(f"2. **The quality target limits the compute saved.** The TTC compute fractions are "
             f"{min(r['compute_fraction_ttc'] for r in rows):.3f}-{max(r['compute_fraction_ttc'] for r in rows):.3f}, "
             "well above the weight density of the pruned networks:")
    for label, info in netinfo.items():
        if info["kind"] != "pruned":
            continue
        nr = [r for r in rows if r["network"] == label]
        L.append(f"   - {label} (weight density {1 - info['sparsity']:.2f}): "
                 + ", ".join(f"TTC-{r['family']} {r['compute_fraction_ttc']:.3f}" for r in nr) + ".")
    L += [
        "   The relative error is a Frobenius norm, so it grows with the square root of the dropped output energy: "
        f"a {a.target} error allows about {100 * a.target ** 2:.2f}% of a layer's output energy (squared norm) to be lost. With "
        "unstructured (not N:M-shaped) sparsity, a few blocks hold more nonzeros than the cheap patterns keep, so "
        "the search must add terms or denser patterns. STC has only 2:4: one term halves a layer's MACs at best and "
        "two terms cost as much as dense, so TTC-STC can never go below 0.5; the finer M8 patterns do best.",
    ]
    nets = list(dict.fromkeys(r["network"] for r in rows))
    winners = {max((r for r in rows if r["network"] == n), key=lambda r: r["edp_improvement_vs_base"])["family"]
               for n in nets}
    if len(winners) == 1:
        L.append(f"   TTC-{winners.pop()} has the best EDP on every network.")
    for label, info in netinfo.items():
        if info["kind"] == "dense":
            avg = info["input_density"][0]
            nr = [r for r in rows if r["network"] == label]
            L.append(f"   - {label}: the post-ReLU activations are only about half zeros (input density {avg:.2f}), "
                     "so a 2:4 or 4:8 activation term drops many nonzeros; the TTC plans put "
                     + ", ".join(f"{100 * r['mac_share_a_ttc']:.0f}% (TTC-{r['family']})" for r in nr)
                     + " of the MACs on TASD-A and leave "
                     + ", ".join(f"{100 * r['mac_share_dense_ttc']:.0f}%" for r in nr)
                     + " dense. Trained ResNet-50 activations may be sparser or denser than these random-network ones; that was "
                     "not measured.")
    # slow layers and TASD units
    slow = [r for r in rows if r["slower_layers_ttc"]]
    if slow:
        L.append("3. **Some layers get slower, not faster.** In "
                 f"{len(slow)} of the {len(rows)} TTC runs some layers take more cycles on the TTC than on the dense TC "
                 f"(up to {max([r['slower_layers_ttc'] for r in rows] + [0])} layers and "
                 f"{max([r['slower_layers_extra_cycles_ttc'] for r in rows] + [0])} extra cycles in one run).")
    else:
        L.append(f"3. **No layer gets slower.** In none of the {len(rows)} TTC runs does a layer take more cycles on the TTC than "
                 "on the dense TC (the tiling counts the TASD units' work when it chooses which operand stays; "
                 "without that, activation tiles were decomposed again for every weight tile in some layers).")
    ws = [(r, r["_worst_slow"]) for r in rows if r.get("_worst_slow") and not r["_worst_slow"]["wait_tasd"]]
    if ws:
        r, w = max(ws, key=lambda x: x[1]["cycles_ttc"] - x[1]["cycles_dense"])
        L.append(f"   - Without TASD units involved, the worst is {w['name']} in {r['network']} on TTC-{r['family']} "
                 f"({w['operand']} {w['series']}): {w['cycles_dense']} cycles on the dense TC, {w['cycles_ttc']} on the "
                 f"TTC. The layer is memory-bound: on the dense TC the result stores take {w['store_busy_dense']} "
                 f"and the loads {w['load_busy_dense']} cycles against {w['pe_busy_dense']} of PE-array work. On the TTC "
                 f"the PE work falls to {w['pe_busy_ttc']} cycles, but its tiling makes "
                 f"{w['loads_ttc']} load requests instead of {w['loads_dense']} ({w['read_ttc']} bytes instead of "
                 f"{w['read_dense']}), so the loads take {w['load_busy_ttc']} cycles and the array waits for them.")
    wt = [(r, r["_worst_tasd"]) for r in rows if r.get("_worst_tasd")]
    if wt:
        r, w = max(wt, key=lambda x: x[1]["exposed"])
        L.append(f"   - The PE array waited for the TASD units most in {r['network']} on TTC-{r['family']}: "
                 f"{r['tasd_exposed_cycles_ttc']} cycles, {pct(r['tasd_exposed_cycles_ttc'] / r['cycles_ttc'])} of the "
                 f"network. Its worst layer, {w['name']} (TASD-A {w['series']}), waited {w['exposed']} cycles: the units "
                 f"decomposed {w['blocks']} blocks, {w['blocks'] / w['operand_blocks']:.1f}x the blocks of the layer's "
                 "activation GEMM operand: the activations are decomposed again each time a tile of them is loaded. "
                 "Notes on the paper say 16 units hide the decomposition latency on TTC-VEGETA-M8; in this model they "
                 "do not for such layers.")
    pred = [(r["search_predicted_cost_reduction_ttc"], r["edp_improvement_vs_base"]) for r in rows]
    L.append("4. **The search's cost is a per-layer estimate.** `tasdsim search` minimises the sum of per-layer EDP; "
             f"it predicted {pct(mean(p for p, _ in pred))} less on average over the TTC plans, while the network EDP "
             f"(total energy x total delay) fell {pct(mean(m for _, m in pred))}. "
             + (f"The greedy search also finds a slightly worse plan for a TTC than for its base engine in {neg} of the "
                "rows (negative *base (TASD-W)* entries), though the TTC could have run the base engine's plan."
                if (neg := sum(1 for r in rows if r["edp_improvement_vs_base_tasd"] < 0)) else
                "The TTC plan is never worse than the base engine's own TASD-W plan."))
    stc_zero = [r for r in rows if r["family"] == "STC" and r["kind"] == "pruned" and r["edp_improvement_vs_base_tasd"] == 0]
    tw = [r["edp_improvement_vs_base_tasd"] for r in rows]
    L.append(f"5. **Most of the gain is TASD itself, not the extension.** Against a base engine that runs its own TASD-W "
             f"plan term by term, the TTCs gain {pct(min(tw))} to {pct(max(tw))} ({pct(mean(tw))} on average). On STC "
             f"the best plans have one 2:4 term, which the base engine runs just as well ({len(stc_zero)} of "
             f"{sum(1 for r in rows if r['family'] == 'STC' and r['kind'] == 'pruned')} pruned-network rows at 0.0%). Comparing TTCs with base engines that run dense credits the TTC with the whole TASD gain; "
             "the paper's baselines may differ (the DSTC baseline it reportedly includes is not modelled here).")
    worst = max(rows, key=lambda r: r["max_layer_error_ttc"])
    L.append(f"6. **The quality proxy is not accuracy.** The target constrains a MAC-weighted mean, so small layers "
             f"can carry large errors: the largest per-layer error in a TTC plan is {worst['max_layer_error_ttc']:.3f} "
             f"({worst['max_layer_error_layer_ttc']}, {worst['network']}, TTC-{worst['family']}). A real accuracy target "
             "could forbid that (making plans denser) or tolerate more error in robust layers (making them sparser); "
             "which way the paper's 99% accuracy constraint would move these numbers cannot be told without trained "
             "weights.")
    L.append("7. **Workloads.** Synthetic He-normal weights pruned by magnitude to the same sparsity in every layer, "
             "batch 1, and the two networks above; the paper's models, pruning (per-layer sparsity varies in real "
             "pruned checkpoints) and datasets were not available.")
    return L


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    nets = list(dict.fromkeys(r["network"] for r in rows))
    fams = list(dict.fromkeys(r["family"] for r in rows))
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(fams)
    for i, fam in enumerate(fams):
        vals = [next((r["edp_ttc"] / r["edp_base_dense"] for r in rows if r["network"] == n and r["family"] == fam),
                     float("nan")) for n in nets]
        bars = ax.bar([j + i * width for j in range(len(nets))], vals, width, label=f"TTC-{fam}")
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in vals], fontsize=6)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.axhline(1 - PAPER_MAX, color="grey", linestyle="--", linewidth=0.8, label="paper: up to 83% (0.17)")
    ax.axhline(1 - PAPER_AVG, color="grey", linestyle=":", linewidth=0.8, label="paper: 74% (0.26)")
    ax.set_xticks([j + width * (len(fams) - 1) / 2 for j in range(len(nets))])
    ax.set_xticklabels(nets, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("EDP relative to the base engine (dense)")
    ax.set_title("TASD-extended engines vs their base engines (lower is better)")
    ax.set_ylim(0, 1.25)
    ax.legend(fontsize=7, ncol=5, loc="upper center")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
