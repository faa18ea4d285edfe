"""Runs a sweep: expands it, skips points whose valid results exist, runs the rest on local cores
or on a Dask cluster, and writes the table (results.csv) and sweep.json, atomically.

Output folder:
    sweep.json      the sweep, the tasdsim identity, counts and timings
    results.csv     one row per point (results.parquet too when pyarrow is installed)
    points/ID/      point.json and the tasdsim outputs of one point (ID: hash of its definition)
    plots/, report.md  (scripts/report)
"""
import fcntl
import json
import os
import shutil
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from . import execute, fsutil, identity, table

SWEEP_SCHEMA = "tasdsim-dse-sweep/1"
TABLE_REFRESH_S = 5.0  # rewrite results.csv at most this often while a sweep runs


class SweepInterrupted(Exception):
    pass


class SchedulerError(Exception):
    """The Dask scheduler cannot be reached or used."""


def load_record(points_dir, point_id, config_hash):
    """A point's existing point.json if it belongs to the same config hash and its files are
    intact; None otherwise."""
    folder = os.path.join(points_dir, point_id)
    try:
        with open(os.path.join(folder, "point.json")) as f:
            rec = json.load(f)
    except (OSError, ValueError):
        return None
    if rec.get("schema") != execute.POINT_SCHEMA or rec.get("config_hash") != config_hash:
        return None
    for name, size in rec.get("files", {}).items():
        if name == "point.json":
            continue
        try:
            if os.path.getsize(os.path.join(folder, name)) != size:
                return None
        except OSError:
            return None
    if rec.get("metrics_version") != execute.METRICS_VERSION and rec.get("metrics"):
        try:
            rec["metrics"] = execute.folder_metrics(folder)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        rec["metrics_version"] = execute.METRICS_VERSION
        fsutil.write_json_atomic(os.path.join(folder, "point.json"), rec)
    return rec


def make_spec(point, config_hash, tasdsim, points_dir, timeout_s, backend="cli"):
    return {"tasdsim": os.path.abspath(tasdsim), "base": point.base, "args": point.args,
            "points_dir": os.path.abspath(points_dir), "id": point.id, "config_hash": config_hash,
            "definition": point.definition, "columns": point.columns, "timeout_s": timeout_s,
            "backend": backend}


def error_record(spec, message):
    """A point whose run could not complete (worker lost, file system error): not final, so it
    is retried by the next run of the sweep."""
    return {"schema": execute.POINT_SCHEMA, "id": spec["id"], "config_hash": spec["config_hash"],
            "definition": spec["definition"], "columns": spec["columns"], "status": "error", "exit_code": None,
            "error": message.splitlines()[0] if message else "error", "wall_s": None, "worker": None,
            "metrics": {}, "files": {}}


class _LocalHooks:
    def __init__(self):
        self.procs = set()
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def started(self, proc):
        with self.lock:
            self.procs.add(proc)
            if self.stop.is_set():
                proc.kill()

    def cancelled(self):
        return self.stop.is_set()

    def kill_all(self):
        self.stop.set()
        with self.lock:
            for p in self.procs:
                if p.poll() is None:
                    p.kill()


def _run_local(specs, jobs, on_done):
    hooks = _LocalHooks()
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        pending = {pool.submit(execute.run_point, t, hooks): t for t in specs}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                spec = pending.pop(fut)
                try:
                    rec = fut.result()
                except Exception as e:  # noqa: BLE001 - any failure is recorded, the sweep goes on
                    rec = error_record(spec, f"{type(e).__name__}: {e}")
                if rec is not None:
                    on_done(spec, rec)
    except KeyboardInterrupt:
        hooks.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise SweepInterrupted()
    pool.shutdown(wait=True)


def connect(scheduler, timeout_s=30):
    """A Dask client for `tcp://HOST:PORT` (or any Dask address) or a scheduler file."""
    try:
        import cloudpickle
        from dask.distributed import Client
    except ImportError as e:
        raise SchedulerError(f"Dask is not installed ({e}); apt-get install python3-distributed")
    # Workers receive execute.run_point by value: they need no copy of this package.
    if execute.__name__ not in cloudpickle.list_registry_pickle_by_value():
        cloudpickle.register_pickle_by_value(execute)
    try:
        if "://" not in scheduler and os.path.isfile(scheduler):
            return Client(scheduler_file=scheduler, timeout=timeout_s)
        return Client(scheduler, timeout=timeout_s)
    except (OSError, ValueError, TypeError) as e:  # includes asyncio/distributed timeouts
        raise SchedulerError(f"cannot use scheduler {scheduler}: {e}")


def _run_dask(specs, scheduler, on_done, quiet, timeout_s):
    from dask.distributed import as_completed

    client = connect(scheduler, timeout_s)
    try:
        if not quiet:
            n = len(client.scheduler_info().get("workers", {}))
            print(f"dask: {scheduler}, {n} workers", file=sys.stderr)
        futures = {}
        for t in specs:
            fut = client.submit(execute.run_point, t, pure=False, key=f"tasdsim-point-{t['id']}-{os.urandom(4).hex()}")
            futures[fut.key] = (fut, t)
        try:
            for fut in as_completed([f for f, _ in futures.values()]):
                spec = futures[fut.key][1]
                try:
                    rec = fut.result()
                except Exception as e:  # noqa: BLE001 - a lost worker or a remote error is recorded
                    rec = error_record(spec, f"{type(e).__name__}: {e}")
                on_done(spec, rec)
        except KeyboardInterrupt:
            client.cancel([f for f, _ in futures.values()])
            raise SweepInterrupted()
    finally:
        client.close()


def _clean_staging(points_dir):
    """Removes what an interrupted run left: every entry starting with a dot is a staging or
    stale folder (finished point folders never start with one)."""
    for name in os.listdir(points_dir):
        if name.startswith("."):
            path = os.path.join(points_dir, name)
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)


def tool_identity(backend, tasdsim):
    """What the config hash takes of the simulator: the binary (cli) or the Python module's
    extension (module), so results of one are not reused by the other."""
    if backend == "module":
        from . import modulerun
        return modulerun.module_identity(modulerun.load_module())
    return identity.binary_identity(tasdsim)


def run(sweep, out_dir, tasdsim, jobs=None, scheduler=None, force_timing_only=False, retry_failed=False,
        limit=None, quiet=False, prune=False, log=print, scheduler_timeout_s=30, backend="cli"):
    """Runs the sweep; returns (rows, summary dict). backend: "cli" (a tasdsim process per point)
    or "module" (tasdsim.simulate() in this process, local runs only)."""
    if backend == "module" and scheduler:
        raise RuntimeError("--backend module runs points in this process; use --backend cli with --scheduler")
    t0 = time.perf_counter()
    jobs = jobs or os.cpu_count() or 1
    points_dir = os.path.join(out_dir, "points")
    os.makedirs(points_dir, exist_ok=True)
    lock = open(os.path.join(out_dir, ".lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise RuntimeError(f"{out_dir}: another sweep is running in this folder")
    try:
        _clean_staging(points_dir)
        t_id = time.perf_counter()
        binary = tool_identity(backend, tasdsim)
        t_expand = time.perf_counter()
        points = sweep.expand(force_timing_only)
        if limit is not None:
            points = points[:limit]
        hasher = identity.InputHasher()
        by_id = {p.id: p for p in points}
        records, specs = {}, []
        reused = 0
        for p in points:
            ch = hasher.config_hash(p, binary)
            rec = load_record(points_dir, p.id, ch)
            if rec is not None and (rec["status"] == "ok" or (rec["status"] in execute.FINAL_STATUSES
                                                              and not retry_failed)):
                records[p.id] = rec
                reused += 1
            else:
                specs.append(make_spec(p, ch, tasdsim, points_dir, sweep.timeout_s, backend))
        t_run = time.perf_counter()
        if prune:
            for name in os.listdir(points_dir):
                if name not in by_id:
                    shutil.rmtree(os.path.join(points_dir, name), ignore_errors=True)

        state = {"last_write": time.perf_counter(), "done": 0}

        def write_outputs(final):
            rows = table.build_rows([(by_id[i].index, _with_columns(r, by_id[i])) for i, r in records.items()],
                                    sweep.columns, points_dir)
            table.write_csv(os.path.join(out_dir, "results.csv"), rows, sweep.columns)
            if final:
                table.write_parquet(os.path.join(out_dir, "results.parquet"), rows, sweep.columns)
            return rows

        def on_done(spec, rec):
            records[spec["id"]] = rec
            state["done"] += 1
            if not quiet:
                extra = f" {rec['error']}" if rec["status"] != "ok" else ""
                wall = f"{rec['wall_s']:.2f}s" if rec.get("wall_s") is not None else "-"
                log(f"[{state['done']}/{len(specs)}] {spec['id']} {rec['status']} {wall}{extra}")
            if time.perf_counter() - state["last_write"] > TABLE_REFRESH_S:
                write_outputs(False)
                state["last_write"] = time.perf_counter()

        summary = {"schema": SWEEP_SCHEMA, "name": sweep.name, "sweep_file": sweep.path, "base": sweep.base,
                   "method": sweep.method, "samples": sweep.samples, "seed": sweep.seed, "columns": sweep.columns,
                   "parameters": [p.name for p in sweep.parameters],
                   "area_model": "docs/AREA.md", "tasdsim": binary, "points": len(points),
                   "executor": scheduler or f"local, {jobs} jobs", "backend": backend}
        if not quiet:
            log(f"sweep {sweep.name}: {len(points)} points, {reused} with valid results, {len(specs)} to run "
                f"({summary['executor']})")
        interrupted = False
        try:
            if specs:
                if scheduler:
                    _run_dask(specs, scheduler, on_done, quiet, scheduler_timeout_s)
                else:
                    _run_local(specs, jobs, on_done)
        except SweepInterrupted:
            interrupted = True
        t_done = time.perf_counter()
        rows = write_outputs(True)
        t_table = time.perf_counter()
        counts = {}
        for r in rows:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        ran = [records[t["id"]] for t in specs if t["id"] in records]
        sim_wall = sum(r["wall_s"] or 0 for r in ran)
        summary.update({
            "interrupted": interrupted, "ran": len(ran), "reused": reused, "statuses": counts,
            "profile": {
                "jobs": None if scheduler else jobs,
                "binary_identity_s": t_expand - t_id, "expand_and_hash_s": t_run - t_expand,
                "run_phase_s": t_done - t_run, "table_s": t_table - t_done,
                "sum_point_wall_s": sim_wall, "wall_s_without_plots": t_table - t0,
            },
        })
        if ran and not scheduler:
            # Everything but the tasdsim processes, per point run: with J jobs, J points run at once.
            p = summary["profile"]
            p["overhead_per_point_s"] = (p["wall_s_without_plots"] * jobs - sim_wall) / len(ran)
        fsutil.write_json_atomic(os.path.join(out_dir, "sweep.json"), summary)
        if interrupted:
            raise SweepInterrupted()
        return rows, summary
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def _with_columns(rec, point):
    # The current sweep's column values (a relabelled group keeps the point's id and results).
    return dict(rec, columns=point.columns)
