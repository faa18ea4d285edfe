"""The sweep table: one row per point (swept parameters, status, metrics), the area from synthesis
and the Pareto fronts, written atomically as CSV (and Parquet when pyarrow is installed)."""
import csv
import io
import json
import math
import os

from . import area, fsutil

HEAD = ["point", "id", "status", "exit_code", "error"]
METRICS = ["cycles", "seconds", "energy_pj", "edp_js", "macs_dense", "mac_ops", "mac_skipped", "compute_fraction",
           "utilization", "error_proxy", "kept_energy_proxy", "checks_passed", "area_mm2", "pareto_edp_area",
           "pareto_edp_error", "arch_name", "workload_name", "plan_name", "dtype", "timing_only", "mac_units", "pe_rows", "pe_cols",
           "pe_lanes", "max_block_m", "sram_kib", "tasd_unit", "clock_ghz", "dram_bandwidth_gbps", "dram_read_bytes",
           "dram_write_bytes", "pe_busy_cycles", "tasd_exposed_cycles"]
TAIL = ["wall_s", "worker", "dir"]
TEXT_COLUMNS = {"id", "status", "error", "arch_name", "workload_name", "plan_name", "dtype", "worker", "dir"}


def reserved(name):
    """Column names of the table itself, which a swept parameter cannot take."""
    return name in HEAD or name in METRICS or name in TAIL or name == "fail_reason" or \
        name.startswith(("energy_", "stall_"))


def pareto_front(points):
    """Indices of the points (x, y) that no other point beats in both (lower is better)."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    front, best_y = [], math.inf
    for i in order:
        if points[i][1] < best_y:
            front.append(i)
            best_y = points[i][1]
    return set(front)


def _num(v):
    return v is not None and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def build_rows(records, sweep_columns, points_dir):
    """records: [(index, point.json dict)] -> table rows (dicts) in point order."""
    rows = []
    for index, rec in sorted(records, key=lambda r: r[0]):
        m = dict(rec.get("metrics") or {})
        row = {"point": index, "id": rec["id"], "status": rec["status"], "exit_code": rec.get("exit_code"),
               "error": rec.get("error", "")}
        cols = rec.get("columns", {})
        for c in sweep_columns:
            row[c] = cols.get(c)
        # Engine area in mm^2 (45 nm) from the synthesised RTL and the SRAM model (area.py).
        m["area_mm2"] = area.area_mm2(m) if rec["status"] == "ok" else None
        row.update(m)
        row["wall_s"] = rec.get("wall_s")
        row["worker"] = rec.get("worker")
        row["dir"] = os.path.join(os.path.basename(points_dir), rec["id"])
        rows.append(row)
    _mark_pareto(rows, "area_mm2", "pareto_edp_area")
    _mark_pareto(rows, "error_proxy", "pareto_edp_error")
    return rows


def _mark_pareto(rows, ykey, flag):
    ok = [r for r in rows if r["status"] == "ok" and _num(r.get("edp_js")) and _num(r.get(ykey))]
    front = pareto_front([(r["edp_js"], r[ykey]) for r in ok])
    for r in rows:
        r[flag] = None
    for i, r in enumerate(ok):
        r[flag] = i in front


def columns_of(rows, sweep_columns):
    extra = []
    for r in rows:
        for k in r:
            if k not in HEAD and k not in sweep_columns and k not in METRICS and k not in TAIL and k not in extra \
                    and k != "fail_reason":
                extra.append(k)
    energy = sorted(k for k in extra if k.startswith("energy_"))
    stalls = sorted(k for k in extra if k.startswith("stall_"))
    rest = [k for k in extra if k not in energy and k not in stalls]
    return HEAD + list(sweep_columns) + METRICS + energy + stalls + rest + TAIL


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return str(v)


def write_csv(path, rows, sweep_columns):
    cols = columns_of(rows, sweep_columns)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in cols])
    fsutil.write_text_atomic(path, buf.getvalue())
    return cols


def write_parquet(path, rows, sweep_columns):
    """Writes Parquet when pyarrow is available; returns False (and writes nothing) otherwise."""
    try:
        import pyarrow  # noqa: F401
        import pandas as pd
    except ImportError:
        return False
    cols = columns_of(rows, sweep_columns)
    df = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return True


def read_csv(path):
    """The table back as dicts with numbers and booleans converted."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k, v in r.items():
            r[k] = v if k in TEXT_COLUMNS else _parse(v)
    return rows


def _parse(v):
    if v == "":
        return None
    if v in ("true", "false"):
        return v == "true"
    try:
        return int(v)
    except ValueError:
        pass
    try:
        return float(v)
    except ValueError:
        return v
