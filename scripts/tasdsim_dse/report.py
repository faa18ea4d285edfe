"""A Markdown report of one tasdsim run folder or of a sweep folder, with PNG plots in a plots/
folder next to it (linked relative, so the folder can be moved or published as is)."""
import json
import math
import os

from . import execute, fsutil, table


class ReportError(Exception):
    pass


def _fmt(v, digits=4):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "-"
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e6):
            return f"{v:.{digits - 1}e}"
        return f"{v:.{digits}g}"
    return str(v).replace("|", "\\|").replace("\n", " ")


def _table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(_fmt(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _img(report_dir, path, alt):
    if not path:
        return ""
    return f"![{alt}]({os.path.relpath(path, report_dir)})\n"


def render(result_dir, out=None, top=20):
    """Writes the report (default RESULT_DIR/report.md) and its plots; returns the report path."""
    if not os.path.isdir(result_dir):
        raise ReportError(f"{result_dir}: not a folder")
    out = out or os.path.join(result_dir, "report.md")
    report_dir = os.path.dirname(os.path.abspath(out))
    plots_dir = os.path.join(report_dir, "plots")
    os.makedirs(plots_dir, exist_ok=True)
    if os.path.isfile(os.path.join(result_dir, "results.csv")):
        text = _sweep(result_dir, report_dir, plots_dir, top)
    elif os.path.isfile(os.path.join(result_dir, "stats.json")):
        text = _run(result_dir, report_dir, plots_dir)
    else:
        raise ReportError(f"{result_dir}: neither a run folder (stats.json) nor a sweep folder (results.csv)")
    fsutil.write_text_atomic(out, text)
    return out


def _load_stats(folder):
    try:
        with open(os.path.join(folder, "stats.json")) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise ReportError(f"{folder}/stats.json: {e}")


def _run(run_dir, report_dir, plots_dir, prefix=""):
    from . import plots
    s = _load_stats(run_dir)
    exp, st, net = s["experiment"], s["status"], s["network"]
    title = exp.get("name", os.path.basename(os.path.abspath(run_dir)))
    lines = [f"# tasdsim run: {title}", ""]
    lines += [_table(["arch", "workload", "plan", "dtype", "timing only", "status", "checks passed"],
                     [[exp.get("arch"), exp.get("workload"), exp.get("plan"), exp.get("dtype"), exp.get("timing_only"),
                       "ok" if st.get("ok") else f"failed: {st.get('fail_reason')}", st.get("checks_passed")]]), ""]
    layers = s.get("layers", [])
    err = _weighted_error(layers)
    lines += ["## Network", ""]
    lines += [_table(["cycles", "seconds", "energy [uJ]", "EDP [J*s]", "dense MACs", "MAC slots", "compute fraction",
                      "error proxy"],
                     [[net["cycles"], net["seconds"], net["energy_pj"]["total"] * 1e-6, net["edp_js"], net["macs_dense"],
                       net["mac_ops"], net["compute_fraction"], err]]), ""]
    lines += ["The error proxy is the relative Frobenius error of each layer's structured operand, weighted by the "
              "layer's dense MACs (absent in timing-only runs).", ""]
    energy = net["energy_pj"]
    lines += ["## Energy by component", ""]
    lines += [_table(["component", "energy [uJ]", "share"],
                     [[k, v * 1e-6, f"{100 * v / energy['total']:.1f}%" if energy["total"] else "-"]
                      for k, v in energy.items() if k != "total"]), ""]
    lines.append(_img(report_dir, plots.network_energy(s, os.path.join(plots_dir, f"{prefix}network_energy.png"),
                                                       title), "network energy by component"))
    lines += ["## Stalls", "", _table(["reason", "PE-array stall cycles"], list(execute.stalls(net).items())), ""]
    lines += ["## Layers", ""]
    rows = []
    for l in layers:
        if not l.get("on_accelerator"):
            rows.append([l["name"], l["op"], "host", "-", "-", "-", "-", "-", "-"])
            continue
        rows.append([l["name"], l["op"], l.get("operand"), l.get("series"), l.get("cycles"),
                     l.get("energy_pj", {}).get("total", 0) * 1e-6, l.get("compute_fraction"),
                     (l.get("quality") or {}).get("rel_frobenius_error"), (l.get("check") or {}).get("passed")])
    lines += [_table(["layer", "op", "operand", "series", "cycles", "energy [uJ]", "compute fraction",
                      "rel. error", "check"], rows), ""]
    lines.append(_img(report_dir, plots.layers_cycles(s, os.path.join(plots_dir, f"{prefix}layers_cycles.png"), title),
                      "cycles per layer"))
    lines.append(_img(report_dir, plots.layers_energy(s, os.path.join(plots_dir, f"{prefix}layers_energy.png"), title),
                      "energy per layer"))
    return "\n".join(lines).rstrip() + "\n"


def _weighted_error(layers):
    num = den = 0.0
    for l in layers:
        q = l.get("quality")
        if l.get("on_accelerator") and q and "rel_frobenius_error" in q:
            num += l["macs_dense"] * q["rel_frobenius_error"]
            den += l["macs_dense"]
    return num / den if den else None


def _sweep(sweep_dir, report_dir, plots_dir, top):
    from . import plots
    rows = table.read_csv(os.path.join(sweep_dir, "results.csv"))
    try:
        with open(os.path.join(sweep_dir, "sweep.json")) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        meta = {}
    columns = meta.get("parameters") or meta.get("columns") or []  # a group shows its label only
    name = meta.get("name", os.path.basename(os.path.abspath(sweep_dir)))
    ok = [r for r in rows if r["status"] == "ok"]
    counts = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    lines = [f"# DSE sweep: {name}", ""]
    tasdsim = meta.get("tasdsim", {})
    info = [["points", len(rows)], ["status", ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))],
            ["sampling", meta.get("method", "-") + (f", {meta['samples']} samples, seed {meta['seed']}"
                                                     if meta.get("method") == "random" else "")],
            ["swept", ", ".join(columns) or "-"], ["tasdsim", tasdsim.get("version", "-")],
            ["table", "results.csv"]]
    lines += [_table(["", ""], info), ""]

    if not ok:
        lines += ["No point finished ok: nothing to compare or plot.", ""]
        return "\n".join(lines + _failures(rows, columns)).rstrip() + "\n"
    metric_cols = ["cycles", "energy_pj", "edp_js", "compute_fraction", "utilization", "area_mm2", "error_proxy"]
    has_err = any(r.get("error_proxy") is not None for r in ok)
    if not has_err:
        metric_cols.remove("error_proxy")
    best = sorted(ok, key=lambda r: r["edp_js"])[:top]
    lines += [f"## Best {len(best)} points by EDP", ""]
    lines += [_table(["point"] + columns + metric_cols + ["dir"],
                     [[r["point"]] + [r.get(c) for c in columns] + [r.get(m) for m in metric_cols] +
                      [f"[{r['id']}]({os.path.relpath(os.path.join(sweep_dir, r['dir']), report_dir)})"]
                      for r in best]), ""]
    lines += ["Energy in pJ, EDP in J*s. Area in mm^2 at 45 nm: the PE array, decoder and TASD units from "
              "their synthesised RTL (fitted per block), SRAM from a bit-cell model (docs/AREA.md).", ""]

    lines += ["## Pareto fronts", ""]
    p = plots.pareto(rows, "area_mm2", "area [mm^2, 45 nm, from synthesis]", "pareto_edp_area",
                     os.path.join(plots_dir, "pareto_edp_area.png"), f"{name}: EDP vs area")
    lines.append(_img(report_dir, p, "EDP vs area"))
    front = sorted((r for r in ok if r.get("pareto_edp_area")), key=lambda r: r["area_mm2"])
    lines += [f"EDP vs area: {len(front)} Pareto points: " + ", ".join(str(r["point"]) for r in front), ""]
    if has_err:
        p = plots.pareto(rows, "error_proxy", "error proxy (MAC-weighted rel. Frobenius error)", "pareto_edp_error",
                         os.path.join(plots_dir, "pareto_edp_error.png"), f"{name}: EDP vs error proxy")
        lines.append(_img(report_dir, p, "EDP vs error proxy"))
        front = sorted((r for r in ok if r.get("pareto_edp_error")), key=lambda r: r["error_proxy"])
        lines += [f"EDP vs error: {len(front)} Pareto points: " + ", ".join(str(r["point"]) for r in front), ""]
    else:
        lines += ["No error proxy: no point computed values (timing-only runs have no approximation quality).", ""]

    lines += ["## Energy and cycles by component", "",
              "Pareto points and the best points by EDP, sorted by EDP.", ""]
    lines.append(_img(report_dir, plots.sweep_energy(rows, os.path.join(plots_dir, "energy_breakdown.png")),
                      "energy by component"))
    lines.append(_img(report_dir, plots.sweep_cycles(rows, os.path.join(plots_dir, "cycle_breakdown.png")),
                      "cycles by component"))
    lines += ["## Parameter effects", ""]
    lines.append(_img(report_dir, plots.param_effects(rows, columns, os.path.join(plots_dir, "param_effects.png")),
                      "median EDP per parameter value"))
    if best:
        b = best[0]
        bdir = os.path.join(sweep_dir, b["dir"])
        if os.path.isfile(os.path.join(bdir, "stats.json")):
            s = _load_stats(bdir)
            title = f"point {b['point']}"
            lines += [f"## Per layer: best point by EDP (point {b['point']}, {b['id']})", ""]
            lines.append(_img(report_dir, plots.layers_cycles(s, os.path.join(plots_dir, "best_layers_cycles.png"),
                                                              title), "cycles per layer"))
            lines.append(_img(report_dir, plots.layers_energy(s, os.path.join(plots_dir, "best_layers_energy.png"),
                                                              title), "energy per layer"))
    lines += _failures(rows, columns)
    return "\n".join(lines).rstrip() + "\n"


def _failures(rows, columns):
    failed = [r for r in rows if r["status"] != "ok"]
    if not failed:
        return []
    return [f"## Points that did not finish ok ({len(failed)})", "",
            _table(["point", "id"] + columns + ["status", "exit code", "error"],
                   [[r["point"], r["id"]] + [r.get(c) for c in columns] +
                    [r["status"], r.get("exit_code"), r.get("error")] for r in failed]), ""]
