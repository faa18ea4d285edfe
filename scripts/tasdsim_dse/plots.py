"""PNG plots (matplotlib, Agg backend) of a sweep table or of one run's stats.json."""
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .execute import stalls  # noqa: E402

ENERGY_ORDER = ["pe_macs", "operand_delivery", "index_mux", "s_buffer", "d_buffer", "acc_buffer", "dram", "tasd_unit",
                "output_path", "decoder",
                "static"]
STALL_ORDER = ["wait_operands", "wait_tasd_unit", "wait_accumulator", "buffer_bandwidth"]
DPI = 110


def _ok(rows):
    return [r for r in rows if r.get("status") == "ok" and _finite(r.get("edp_js"))]


def _finite(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _save(fig, path):
    fig.tight_layout()
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp.png")
    fig.savefig(tmp, dpi=DPI)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def _ordered(keys, order):
    return [k for k in order if k in keys] + sorted(k for k in keys if k not in order)


def pareto(rows, xkey, xlabel, flag, path, title):
    """EDP against xkey (area or error proxy), the Pareto front (lower is better) highlighted."""
    pts = [r for r in _ok(rows) if _finite(r.get(xkey))]
    if not pts:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ax.scatter([r[xkey] for r in pts], [r["edp_js"] for r in pts], s=14, c="0.6", label="points")
    front = sorted((r for r in pts if r.get(flag)), key=lambda r: r[xkey])
    if front:
        ax.step([r[xkey] for r in front], [r["edp_js"] for r in front], where="post", color="C3", lw=1)
        ax.scatter([r[xkey] for r in front], [r["edp_js"] for r in front], s=28, c="C3", label="Pareto front")
        for r in front[:12]:
            ax.annotate(str(r["point"]), (r[xkey], r["edp_js"]), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("EDP [J*s] (log)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def _stacked(ax, labels, series, order, ylabel):
    bottom = [0.0] * len(labels)
    for i, name in enumerate(order):
        vals = [float(v or 0) for v in series[name]]
        ax.bar(range(len(labels)), vals, bottom=bottom, label=name, color=f"C{i % 10}", width=0.8)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=90, fontsize=7)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    ax.grid(axis="y", alpha=0.3)


def selected_points(rows, limit=30):
    """The points the breakdown plots show: Pareto points first, then the best by EDP, sorted by EDP."""
    ok = _ok(rows)
    pick = [r for r in ok if r.get("pareto_edp_area") or r.get("pareto_edp_error")]
    for r in sorted(ok, key=lambda r: r["edp_js"]):
        if len(pick) >= limit:
            break
        if r not in pick:
            pick.append(r)
    return sorted(pick[:limit], key=lambda r: r["edp_js"])


def sweep_energy(rows, path):
    pts = selected_points(rows)
    keys = {k[len("energy_"):-len("_pj")] for r in pts for k in r if k.startswith("energy_") and k.endswith("_pj")
            and k != "energy_pj"}
    if not pts or not keys:
        return None
    order = _ordered(keys, ENERGY_ORDER)
    fig, ax = plt.subplots(figsize=(max(6.4, 0.28 * len(pts) + 2), 4.4))
    _stacked(ax, [str(r["point"]) for r in pts], {k: [r.get(f"energy_{k}_pj", 0) * 1e-6 for r in pts] for k in order},
             order, "energy [uJ]")
    ax.set_xlabel("point (sorted by EDP)")
    ax.set_title("Energy by component", fontsize=10)
    return _save(fig, path)


def _cycle_parts(total, busy, stalls):
    parts = {"busy": float(busy or 0)}
    for k, v in stalls.items():
        parts[f"stall {k}"] = float(v or 0)
    # PE-array time that is neither MAC work nor a counted stall: fill/drain, idle between layers'
    # streams while loads or stores finish.
    parts["other"] = max(0.0, float(total or 0) - sum(parts.values()))
    return parts


def sweep_cycles(rows, path):
    pts = selected_points(rows)
    if not pts:
        return None
    reasons = _ordered({k[len("stall_"):-len("_cycles")] for r in pts for k in r if k.startswith("stall_")},
                       STALL_ORDER)
    parts = [_cycle_parts(r["cycles"], r.get("pe_busy_cycles"), {k: r.get(f"stall_{k}_cycles") for k in reasons})
             for r in pts]
    order = ["busy"] + [f"stall {k}" for k in reasons] + ["other"]
    fig, ax = plt.subplots(figsize=(max(6.4, 0.28 * len(pts) + 2), 4.4))
    _stacked(ax, [str(r["point"]) for r in pts], {k: [p[k] for p in parts] for k in order}, order, "cycles")
    ax.set_xlabel("point (sorted by EDP)")
    ax.set_title("PE-array cycles: busy, stalls by reason, other", fontsize=10)
    return _save(fig, path)


def param_effects(rows, columns, path):
    """Median EDP for each value of each swept column (ok points)."""
    ok = _ok(rows)
    cols = [c for c in columns if len({str(r.get(c)) for r in ok}) > 1]
    if not ok or not cols:
        return None
    n = len(cols)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.2 * nrows), squeeze=False)
    for ax, c in zip(axes.flat, cols):
        groups = {}
        for r in ok:
            groups.setdefault(r.get(c), []).append(r["edp_js"])
        keys = sorted(groups, key=lambda k: (not isinstance(k, (int, float)), k if isinstance(k, (int, float))
                                             else str(k)))
        med = [sorted(groups[k])[len(groups[k]) // 2] for k in keys]
        ax.bar(range(len(keys)), med, color="C0")
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([str(k) for k in keys], rotation=45, fontsize=7, ha="right")
        ax.set_yscale("log")
        ax.set_title(c, fontsize=9)
        ax.set_ylabel("median EDP [J*s]", fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    return _save(fig, path)


def layers_energy(stats, path, title):
    layers = [l for l in stats["layers"] if l.get("on_accelerator")]
    if not layers:
        return None
    keys = {k for l in layers for k in l.get("energy_pj", {}) if k != "total"}
    order = _ordered(keys, ENERGY_ORDER)
    fig, ax = plt.subplots(figsize=(max(6.4, 0.22 * len(layers) + 2), 4.4))
    _stacked(ax, [l["name"] for l in layers], {k: [l["energy_pj"].get(k, 0) * 1e-6 for l in layers] for k in order},
             order, "energy [uJ]")
    ax.set_title(f"{title}: energy per layer by component", fontsize=10)
    return _save(fig, path)


def layers_cycles(stats, path, title):
    layers = [l for l in stats["layers"] if l.get("on_accelerator")]
    if not layers:
        return None
    reasons = _ordered({k for l in layers for k in stalls(l)}, STALL_ORDER)
    parts = [_cycle_parts(l["cycles"], l.get("counters", {}).get("pe_array.busy_cycles"),
                          {k: stalls(l).get(k) for k in reasons}) for l in layers]
    order = ["busy"] + [f"stall {k}" for k in reasons] + ["other"]
    fig, ax = plt.subplots(figsize=(max(6.4, 0.22 * len(layers) + 2), 4.4))
    _stacked(ax, [l["name"] for l in layers], {k: [p[k] for p in parts] for k in order}, order, "cycles")
    ax.set_title(f"{title}: cycles per layer (PE array busy, stalls, other)", fontsize=10)
    return _save(fig, path)


def network_energy(stats, path, title):
    e = {k: v for k, v in stats["network"]["energy_pj"].items() if k != "total"}
    order = _ordered(set(e), ENERGY_ORDER)
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.barh(range(len(order)), [e[k] * 1e-6 for k in order], color=[f"C{i % 10}" for i in range(len(order))])
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels(order, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("energy [uJ]")
    ax.set_title(f"{title}: network energy by component", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)
