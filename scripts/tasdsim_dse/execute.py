"""One sweep point: run `tasdsim run` into a staging folder, add point.json (status, error,
config hash, metrics), and move the folder into place in one rename.

This module runs on Dask workers too: it uses the standard library and PyYAML only, and it is
shipped to workers by value (cloudpickle), so workers need no copy of the scripts folder. They do
need the tasdsim binary, the configs and the sweep's output folder at the same paths (a shared
file system, as on a SLURM cluster).
"""
import glob
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid

import yaml

_INT = "tag:yaml.org,2002:int"


class YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """A safe loader (libyaml when present) without YAML 1.1 base-60 integers: PyYAML would read
    the pattern 1:8 as the integer 68, tasdsim (yaml-cpp) reads it as the string "1:8"."""


YamlLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != _INT] for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
YamlLoader.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"))

POINT_SCHEMA = "tasdsim-dse-point/1"
# Bumped when metrics() changes: reused points get their metrics recomputed from their files.
METRICS_VERSION = 3
# Exit codes of tasdsim run (README): 0 ok, 1 simulation failed or reference mismatch (files
# written), 2 bad input (nothing written).
STATUS_BY_EXIT = {0: "ok", 1: "failed", 2: "bad_input"}
# Results that rerunning would reproduce; crashes and timeouts are retried on resume.
FINAL_STATUSES = ("ok", "failed", "bad_input")


def run_point(spec, hooks=None):
    """Runs one point described by `spec` (a plain dict, see runner.make_spec); returns point.json.

    spec["backend"] is "cli" (a `tasdsim run` process) or "module" (tasdsim.simulate() in this
    process; modulerun.py). Both write the same files into the staging folder and report the same
    (status, exit code, stderr), from which one record is made here.

    `hooks` (local runs only) has `started(proc)`, called with the tasdsim process so that an
    interrupted sweep can stop it, and `cancelled()`: when true after the run, nothing is kept
    and None is returned."""
    points_dir, pid = spec["points_dir"], spec["id"]
    staged = os.path.join(points_dir, f".{pid}.run-{uuid.uuid4().hex[:8]}")
    cmd = [spec["tasdsim"], "run", spec["base"], "--out", staged, "-q", *spec["args"]]
    backend = spec.get("backend", "cli")
    started_at = time.time()
    t0 = time.perf_counter()
    if backend == "module":
        from . import modulerun  # imports the tasdsim module: only where it is used
        status, rc, stderr = modulerun.simulate_point(spec, staged, hooks)
    else:
        status, rc, stderr = _run_cli(spec, cmd, staged, hooks)
    wall = time.perf_counter() - t0
    if hooks and hooks.cancelled():
        shutil.rmtree(staged, ignore_errors=True)
        return None

    have_files = status in ("ok", "failed") and os.path.isdir(staged)
    if not have_files:
        if os.path.isdir(staged):
            shutil.rmtree(staged)
        os.makedirs(staged)
    record = {
        "schema": POINT_SCHEMA,
        "id": pid,
        "config_hash": spec["config_hash"],
        "definition": spec["definition"],
        "columns": spec["columns"],
        "command": cmd[:4] + ["<point folder>"] + cmd[5:],
        "status": status,
        "exit_code": rc,
        "backend": backend,
        "error": "",
        "started_at": round(started_at, 6),
        "wall_s": round(wall, 6),
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "metrics": {},
        "metrics_version": METRICS_VERSION,
        "files": {},
    }
    if have_files:
        try:
            record["metrics"] = folder_metrics(staged)
            record["files"] = {n: os.path.getsize(os.path.join(staged, n)) for n in sorted(os.listdir(staged))}
        except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as e:
            record["status"] = "error"
            record["error"] = f"unreadable results: {e}"
    if not record["error"]:
        record["error"] = error_line(status, rc, stderr, record["metrics"], spec["timeout_s"])
    with open(os.path.join(staged, "point.json"), "w") as f:
        json.dump(record, f, indent=1, sort_keys=True)
        f.write("\n")
    final = os.path.join(points_dir, pid)
    _replace_dir(staged, final)
    return record


def _run_cli(spec, cmd, staged, hooks):
    """`tasdsim run` into `staged`; returns (status, exit code, stderr)."""
    points_dir = spec["points_dir"]
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    timed_out = False
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        if hooks:
            hooks.started(proc)
        try:
            _, stderr = proc.communicate(timeout=spec["timeout_s"])
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.kill()
            _, stderr = proc.communicate()
        rc = proc.returncode
    except OSError as e:
        rc, stderr = None, f"cannot start {spec['tasdsim']}: {e.strerror}"
    # A killed tasdsim may leave its own staging folder (.NAME.partial-PID) and the lock file that
    # claimed the output (.NAME.lock) behind.
    for leftover in glob.glob(os.path.join(points_dir, f".{os.path.basename(staged)}.partial-*")):
        shutil.rmtree(leftover, ignore_errors=True)
    lock = os.path.join(points_dir, f".{os.path.basename(staged)}.lock")
    if os.path.exists(lock):
        os.unlink(lock)
    if timed_out:
        status = "timeout"
    elif rc is None:
        status = "error"
    elif rc < 0:
        status = "crashed"
    else:
        status = STATUS_BY_EXIT.get(rc, "crashed")
    return status, rc, stderr


def _replace_dir(staged, final):
    # Moves the complete staging folder into place (one rename; an older folder is renamed away
    # first). Between the two renames the point is briefly absent, never half written; a
    # leftover `.stale-` folder (dot name) is removed by the next sweep.
    stale = None
    if os.path.exists(final):
        stale = os.path.join(os.path.dirname(final), f".{os.path.basename(final)}.stale-{uuid.uuid4().hex[:8]}")
        os.rename(final, stale)
    os.rename(staged, final)
    if stale:
        shutil.rmtree(stale, ignore_errors=True)


def error_line(status, rc, stderr, m, timeout_s):
    lines = [ln.strip() for ln in (stderr or "").splitlines() if ln.strip()]
    if status == "ok":
        return ""
    if status == "timeout":
        return f"killed after the point timeout of {timeout_s:g} s"
    if status == "failed" and m.get("fail_reason"):
        return m["fail_reason"]
    if status == "failed" and m.get("checks_passed") is False:
        return "a layer does not match its reference"
    if status == "crashed" and rc is not None and rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = f"signal {-rc}"
        return f"killed by {name}" + (f": {lines[-1]}" if lines else "")
    if not lines:
        return f"exit code {rc}"
    # tasdsim prints a bad input as one line; otherwise the last line says the most.
    return lines[0] if status == "bad_input" else lines[-1]


def folder_metrics(folder):
    with open(os.path.join(folder, "stats.json")) as f:
        stats = json.load(f)
    return metrics(stats, read_arch_section(os.path.join(folder, "resolved_config.yaml")))


def read_arch_section(path):
    """The `arch:` mapping of resolved_config.yaml, parsing only that section (the workload
    section of a large network is most of the file)."""
    with open(path) as f:
        lines = f.read().split("\n")
    try:
        first = next(i for i, ln in enumerate(lines) if ln.startswith("arch:"))
    except StopIteration:
        raise ValueError(f"{path}: no arch section")
    last = first + 1
    while last < len(lines) and (not lines[last] or lines[last][0] in " \t#"):
        last += 1
    return yaml.load("\n".join(lines[first:last]), Loader=YamlLoader)["arch"]


def _weighted(layers, key):
    num = den = 0.0
    for layer in layers:
        q = layer.get("quality")
        if not layer.get("on_accelerator") or not q or key not in q:
            continue
        w = float(layer.get("macs_dense", 0))
        num += w * float(q[key])
        den += w
    return num / den if den > 0 else math.nan


def _max_block(patterns):
    ms = [int(str(p).split(":")[1]) for p in patterns or [] if ":" in str(p)]
    return max(ms) if ms else 1


STALL_PREFIX = "pe_array.stall."


def stalls(section):
    """PE-array stall cycles by reason of a stats.json layer or network section (its counters
    `pe_array.stall.<reason>`)."""
    return {k[len(STALL_PREFIX):]: v for k, v in section.get("counters", {}).items() if k.startswith(STALL_PREFIX)}


def metrics(stats, arch):
    """The table columns of one result: network numbers, proxies and the arch's size."""
    exp, status, net = stats["experiment"], stats["status"], stats["network"]
    pe = arch.get("pe_array", {})
    bufs = arch.get("buffer", {})
    counters = net.get("counters", {})  # keyed by the counters' names (docs/outputs.md)
    mac_units = int(pe.get("rows", 0)) * int(pe.get("cols", 0)) * int(pe.get("lanes", 0))
    m = {
        "arch_name": exp.get("arch"), "workload_name": exp.get("workload"), "plan_name": exp.get("plan"),
        "dtype": exp.get("dtype"), "timing_only": exp.get("timing_only"),
        "checks_passed": status.get("checks_passed"), "fail_reason": status.get("fail_reason", ""),
        "cycles": net["cycles"], "seconds": net["seconds"], "energy_pj": net["energy_pj"]["total"],
        "edp_js": net["edp_js"], "macs_dense": net["macs_dense"], "mac_ops": net["mac_ops"],
        "mac_skipped": net["mac_skipped"], "compute_fraction": net["compute_fraction"],
        "utilization": net["mac_ops"] / (net["cycles"] * mac_units) if net["cycles"] and mac_units else math.nan,
        "error_proxy": _weighted(stats.get("layers", []), "rel_frobenius_error"),
        "kept_energy_proxy": _weighted(stats.get("layers", []), "kept_energy"),
        "mac_units": mac_units,
        "pe_rows": pe.get("rows"), "pe_cols": pe.get("cols"), "pe_lanes": pe.get("lanes"),
        "max_block_m": _max_block(pe.get("patterns")),
        "sram_kib": sum(float(b.get("size_kib", 0)) for b in bufs.values()),
        "tasd_unit": int(arch.get("tasd_unit", {}).get("count", 0)) if arch.get("tasd_unit") else 0,
        "clock_ghz": arch.get("clock_ghz"),
        "dram_bandwidth_gbps": arch.get("dram", {}).get("bandwidth_gbps"),
        "dram_read_bytes": counters.get("memory_port.read_bytes"),
        "dram_write_bytes": counters.get("memory_port.write_bytes"),
        "pe_busy_cycles": counters.get("pe_array.busy_cycles"),
        "tasd_exposed_cycles": counters.get("pe_array.stall.wait_tasd_unit"),
    }
    for comp, v in net["energy_pj"].items():
        if comp != "total":
            m[f"energy_{comp}_pj"] = v
    for reason, v in stalls(net).items():
        m[f"stall_{reason}_cycles"] = v
    for k, v in list(m.items()):
        if isinstance(v, float) and math.isnan(v):
            m[k] = None  # JSON has no NaN
    return m
