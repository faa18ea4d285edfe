"""The `module` backend of scripts/dse: a point simulated by tasdsim.simulate() (the Python module,
python/) in this process instead of a `tasdsim run` process.

simulate() prepares the run in the calling thread and simulates it in a forked child of that
thread (SystemC elaborates once per process), with the GIL released; so points run in threads,
any number of them per process. What `tasdsim run` would have written into the point folder is
written here from the returned result (the same texts: the module returns what the CLI writes),
and the outcome is reported as the CLI reports it (exit code and stderr line), so that
execute.run_point makes the same record from either backend.

A timeout or an interrupted sweep kills the child of the thread that runs the point (found in
/proc/self/task/TID/children); loading the experiment before the child starts is not interrupted.
"""
import json
import os
import signal
import socket
import threading
import time

from .execute import STATUS_BY_EXIT

# Messages of sw/runtime/Isolated.cpp when the child did not return a result.
_CRASHED = "child simulation crashed ("
_CHILD_FAILED = "child simulation failed"
_POLL_S = 0.05


class ModuleUnavailable(Exception):
    """The tasdsim Python module cannot be imported."""


def load_module():
    """The tasdsim module (python/), or ModuleUnavailable saying what to set."""
    try:
        import tasdsim
        tasdsim.simulate, tasdsim.SimulationError, tasdsim.UserError  # noqa: B018 - the API used here
    except (ImportError, AttributeError) as e:
        raise ModuleUnavailable(
            f"--backend module needs the Python module tasdsim, which cannot be imported ({e}): build it "
            f"with `make build` and set PYTHONPATH=build/python, or install it with `pip install .` "
            f"(docs/python.md)") from None
    return tasdsim


def module_identity(mod):
    """{"path", "version", "sha256"} of the module's extension, as identity.binary_identity is for
    the binary: a rebuilt module reruns every point."""
    from .identity import sha256_file
    path = os.path.abspath(mod._core.__file__)
    return {"path": path, "version": mod.__version__, "sha256": sha256_file(path), "backend": "module"}


def call_arguments(args):
    """simulate() keyword arguments for a point's `tasdsim run` arguments (sweep.run_args)."""
    kw = {"overrides": [], "timing_only": False}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--timing-only":
            kw["timing_only"] = True
            i += 1
            continue
        if i + 1 >= len(args):
            raise ValueError(f"run option {a} without a value")
        v = args[i + 1]
        if a == "--set":
            kw["overrides"].append(v)
        elif a == "--series":
            kw["series"] = v
        elif a == "--operand":
            kw["operand"] = v
        elif a == "--tau-quantile":
            kw["tau_quantile"] = float(v)
        else:
            raise ValueError(f"run option {a} has no tasdsim.simulate() argument")
        i += 2
    return kw


def one_line(message):
    """The message as `tasdsim` prints it (sim/main.cpp oneLine): control characters escaped."""
    out = []
    for c in message:
        if c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif ord(c) < 0x20 or ord(c) == 0x7f:
            out.append(f"\\x{ord(c):02x}")
        else:
            out.append(c)
    return "".join(out)


def _signal_by_description():
    by = {}
    for s in signal.valid_signals():
        try:
            text = signal.strsignal(s)
        except ValueError:
            continue
        if text:
            by.setdefault(text, int(s))
    return by


def _kill_children(tid):
    """SIGKILL to the processes forked by thread `tid` of this process (its running simulation)."""
    try:
        with open(f"/proc/self/task/{tid}/children") as f:
            pids = [int(p) for p in f.read().split()]
    except OSError:
        return
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


class _Watch:
    """While a point simulates in the calling thread: kills its child when the timeout passes or
    the sweep is cancelled (hooks.cancelled())."""

    def __init__(self, timeout_s, hooks):
        self.tid = threading.get_native_id()
        self.deadline = time.monotonic() + timeout_s
        self.hooks = hooks
        self.timed_out = False
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.done.wait(_POLL_S):
            cancelled = self.hooks is not None and self.hooks.cancelled()
            if time.monotonic() >= self.deadline and not cancelled:
                self.timed_out = True
            if self.timed_out or cancelled:
                _kill_children(self.tid)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()


def simulate_point(spec, staged, hooks=None):
    """Simulates the point and writes its files into `staged` as `tasdsim run --out staged` does;
    returns (status, exit code, stderr) as the CLI backend does."""
    mod = load_module()
    if hooks and hooks.cancelled():
        return "error", None, "cancelled"
    try:
        kw = call_arguments(spec["args"])
    except ValueError as e:
        return "error", None, str(e)
    result, rc, stderr = None, 0, ""
    with _Watch(spec["timeout_s"], hooks) as watch:
        try:
            result = mod.simulate(spec["base"], **kw)
        except mod.SimulationError as e:
            result, rc = e.result, 1
            if result.fail_reason:
                stderr = f"tasdsim: simulation failed: {result.fail_reason}"
            else:
                stderr = "tasdsim: some layers do not match their reference (see stats.json, layers[].check)"
        except mod.UserError as e:
            message = str(e)
            if message.startswith(_CRASHED):
                # The child died of a signal (the kill of a timeout, or a crash).
                sig = _signal_by_description().get(message[len(_CRASHED):].rstrip(")"))
                rc, stderr = (-sig if sig else None), ("" if sig else message)
                if watch.timed_out:
                    return "timeout", rc, stderr
                return "crashed", rc, stderr
            if message.startswith(_CHILD_FAILED):
                return "crashed", None, message
            rc, stderr = 2, f"tasdsim: error: {one_line(message)}"
        except Exception as e:  # noqa: BLE001 - a C++ exception other than UserError: the CLI's exit 3
            rc, stderr = 3, f"tasdsim: internal error: {one_line(str(e))}"
    status = STATUS_BY_EXIT.get(rc, "crashed")
    if result is not None:
        try:
            write_outputs(staged, result, mod.__version__)
        except OSError as e:
            return "error", None, f"cannot write the results: {e}"
    return status, rc, stderr


def write_outputs(folder, result, tool_identity):
    """The files `tasdsim run --out FOLDER` writes (sim/CmdRun.cpp), from a SimulationResult."""
    os.makedirs(folder, exist_ok=True)

    def write(name, text):
        with open(os.path.join(folder, name), "w", encoding="utf-8", newline="") as f:
            f.write(text)

    write("stats.json", result.stats_json)
    write("layers.csv", result.layers_csv)
    write("wall_clock.json", result.wall_clock_json)
    write("resolved_config.yaml", result.resolved_config)
    folders = []
    if result.outputs and not result.fail_reason and _saves_outputs(result.resolved_config):
        import numpy as np
        os.makedirs(os.path.join(folder, "outputs"), exist_ok=True)
        folders.append("outputs")
        for name, array in result.outputs.items():
            safe = "".join("_" if c in "/\\:" else c for c in name)
            np.save(os.path.join(folder, "outputs", safe + ".npy"), np.asarray(array, dtype=np.float32))
    write("summary.txt", result.summary)
    write("tasdsim-manifest.json", _manifest(folder, folders, tool_identity))


def _saves_outputs(resolved_yaml):
    # experiment.save_outputs of the resolved config (the only place the module reports it).
    import yaml
    from .execute import YamlLoader
    doc = yaml.load(resolved_yaml, Loader=YamlLoader) or {}
    return bool((doc.get("experiment") or {}).get("save_outputs", False))


def _manifest(folder, folders, tool_identity):
    """tasdsim-manifest.json as tasdsim writes it (sw/common/Output.cpp manifestText): every file
    with its size, the subfolders, the writing process; signed with the tool identity."""
    files = {}
    for root, dirs, names in os.walk(folder):
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), folder).replace(os.sep, "/")
            if rel != "tasdsim-manifest.json":
                files[rel] = os.path.getsize(os.path.join(root, n))
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot_id = f.readline().rstrip("\n")
        with open("/proc/self/stat") as f:
            stat = f.read()
        start_ticks = int(stat[stat.rindex(")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        boot_id, start_ticks = "", 0
    body = {"files": dict(sorted(files.items())), "process": {"boot_id": boot_id, "host": socket.gethostname(),
                                                              "pid": os.getpid(), "start_ticks": start_ticks},
            "schema": "tasdsim-manifest/1"}
    if folders:
        body["folders"] = sorted(folders)
    return json.dumps({"written_by": f"{tool_identity} output folder", **dict(sorted(body.items()))}, indent=2,
                      ensure_ascii=False) + "\n"
