"""Command lines of scripts/dse and scripts/report."""
import argparse
import json
import os
import sys

from . import sweep as sweep_mod
from .sweep import REPO_ROOT, SweepError


def default_tasdsim():
    return os.environ.get("TASDSIM") or os.path.join(REPO_ROOT, "build", "sim", "tasdsim")


def _err(prog, msg):
    print(f"{prog}: error: {msg}", file=sys.stderr)
    return 2


def dse_main(argv):
    ap = argparse.ArgumentParser(prog="dse", description="Run a design-space sweep of tasdsim experiments.")
    ap.add_argument("sweep", help="sweep file (configs/sweeps/*.yaml)")
    ap.add_argument("--out", help="output folder (default out/dse/<sweep name>)")
    ap.add_argument("--jobs", "-j", type=int, help="points run at once on this machine (default: all cores)")
    ap.add_argument("--scheduler", help="Dask scheduler address (tcp://HOST:PORT) or scheduler file; "
                                        "points then run on its workers")
    ap.add_argument("--scheduler-timeout", type=float, default=30.0, metavar="S",
                    help="seconds to wait for the scheduler (default 30)")
    ap.add_argument("--timing-only", action="store_true", help="run every point with --timing-only")
    ap.add_argument("--retry-failed", action="store_true", help="rerun points recorded as failed or bad_input")
    ap.add_argument("--limit", type=int, help="only the first N points")
    ap.add_argument("--dry-run", action="store_true", help="print the points and their commands, run nothing")
    ap.add_argument("--no-report", action="store_true", help="no plots and no report.md")
    ap.add_argument("--profile", action="store_true", help="print where the sweep's time went")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a point did not finish ok")
    ap.add_argument("--prune", action="store_true", help="delete point folders that are not part of this sweep")
    ap.add_argument("--tasdsim", default=default_tasdsim(), help="tasdsim binary (default $TASDSIM or "
                                                                  "build/sim/tasdsim)")
    ap.add_argument("--backend", choices=("cli", "module"), default="cli",
                    help="how a point is simulated: cli (default), a `tasdsim run` process; module, "
                         "tasdsim.simulate() of the Python module in this process (needs it importable: "
                         "PYTHONPATH=build/python or pip install; local runs only)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    a = ap.parse_args(argv)
    if a.jobs is not None and a.jobs < 1:
        return _err("dse", f"--jobs must be at least 1, got {a.jobs}")
    if a.limit is not None and a.limit < 0:
        return _err("dse", f"--limit must be at least 0, got {a.limit}")
    try:
        sw = sweep_mod.load(a.sweep)
    except SweepError as e:
        return _err("dse", str(e))
    if a.dry_run:
        points = sw.expand(a.timing_only)
        if a.limit is not None:
            points = points[:a.limit]
        try:
            for p in points:
                print(json.dumps({"point": p.index, "id": p.id, "columns": p.columns,
                                  "command": ["tasdsim", "run", sweep_mod.repo_relative(p.base), *p.args]}))
        except BrokenPipeError:  # e.g. piped into head
            sys.stderr.close()
        return 0
    if a.backend == "module":
        if a.scheduler:
            return _err("dse", "--backend module runs points in this process; use --backend cli with --scheduler")
        from . import modulerun
        try:
            modulerun.load_module()
        except modulerun.ModuleUnavailable as e:
            return _err("dse", str(e))
    elif not (os.path.isfile(a.tasdsim) and os.access(a.tasdsim, os.X_OK)):
        return _err("dse", f"tasdsim binary '{a.tasdsim}' not found (build with `make build`, or pass --tasdsim)")
    out = a.out or os.path.join("out", "dse", sw.name)
    from . import runner
    log = (lambda *x: None) if a.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    # SIGTERM (a batch system ending the job) stops the sweep as SIGINT does: running points are
    # stopped, finished ones kept.
    import signal
    received = []

    def on_term(signum, _frame):
        received.append(signum)
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_term)
    try:
        rows, summary = runner.run(sw, out, a.tasdsim, jobs=a.jobs, scheduler=a.scheduler,
                                   force_timing_only=a.timing_only, retry_failed=a.retry_failed, limit=a.limit,
                                   quiet=a.quiet, prune=a.prune, log=log,
                                   scheduler_timeout_s=a.scheduler_timeout, backend=a.backend)
    except runner.SchedulerError as e:
        return _err("dse", str(e))
    except runner.SweepInterrupted:
        print(f"dse: interrupted; finished points are kept in {out}/points, rerun to continue", file=sys.stderr)
        return 128 + (received[0] if received else signal.SIGINT)
    except RuntimeError as e:
        return _err("dse", str(e))
    except OSError as e:
        return _err("dse", f"{e.filename or out}: {e.strerror}")
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary["statuses"].items()))
    print(f"sweep {sw.name}: {summary['points']} points ({counts}); ran {summary['ran']}, reused "
          f"{summary['reused']}; table {os.path.join(out, 'results.csv')}")
    failed = [r for r in rows if r["status"] != "ok"]
    for r in failed[:10]:
        print(f"  point {r['point']} ({r['id']}) {r['status']}: {r['error']}", file=sys.stderr)
    if len(failed) > 10:
        print(f"  ... {len(failed) - 10} more, see the status and error columns", file=sys.stderr)
    if not a.no_report:
        import time
        from . import report
        t = time.perf_counter()
        path = report.render(out)
        summary["profile"]["report_s"] = time.perf_counter() - t
        print(f"report {path}")
    if a.profile:
        p = summary["profile"]
        print("profile: " + ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in p.items()))
    return 1 if (a.strict and failed) else 0


def report_main(argv):
    ap = argparse.ArgumentParser(prog="report", description="Render a Markdown report of a tasdsim run folder "
                                                            "or a sweep folder, with plots next to it.")
    ap.add_argument("result_dir", help="a tasdsim run output folder (stats.json) or a scripts/dse folder")
    ap.add_argument("--out", help="report file (default RESULT_DIR/report.md; plots go to a plots/ folder "
                                  "next to it)")
    ap.add_argument("--top", type=int, default=20, help="rows of the sweep summary table (default 20)")
    a = ap.parse_args(argv)
    from . import report
    try:
        path = report.render(a.result_dir, a.out, top=a.top)
    except report.ReportError as e:
        return _err("report", str(e))
    print(path)
    return 0
