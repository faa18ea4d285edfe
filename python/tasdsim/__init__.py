"""TASDsim from Python: TASD decomposition, the structured-sparse accelerator simulator and the
graph executor, in process (the C++ library through pybind11).

    import tasdsim
    d = tasdsim.decompose(weights, "4:8+1:8")        # terms, approximation, metrics
    r = tasdsim.simulate("configs/experiments/tiny_cnn_ttc_vegeta_m8.yaml",
                         {"arch.pe_array.rows": 32}, timing_only=True)
    r.stats["network"], r.layers                      # dicts; a pandas DataFrame when pandas is there
    outs = tasdsim.run_model("model.onnx", x)          # the graph executor (or experiment=... for
                                                      # the simulated accelerator)

Bad input raises tasdsim.UserError (a ValueError) with the message `tasdsim` prints; a
simulation that fails raises tasdsim.SimulationError, whose .result holds what was produced.
"""
import csv
import io

from . import _core
from ._core import UserError

__version__ = _core.__version__
__all__ = ["decompose", "simulate", "run_model", "search_model", "SimulationResult", "SimulationError", "UserError"]


class SimulationError(RuntimeError):
    """A simulation that failed, or whose layers do not match their reference (`tasdsim run`
    exits 1); .result is the SimulationResult it produced."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


def decompose(array, series, dtype=None, layout=None, approx=True, residual=False):
    """TASD of one tensor, as `tasdsim decompose`: a 2-D array (rows x K, blocks along K) or 4-D
    conv weights with their layout ("OIHW", "OHWI", "HWIO"), lowered to Cout x (R*S*C).

    float arrays are decomposed as float32 (dtype "bf16": rounded to bf16 first), int8 arrays
    exactly as int8. Returns a dict: "terms" (per term "pattern", "values" and "indices", each
    rows x blocks x n: the compressed form, empty slots value 0 index 0), "approx" (the sum of the
    terms, rows x K; approx=False leaves it out), "residual" (what was dropped, A - approx; only
    with residual=True), "metrics" (quality of the whole series), "cumulative" (quality after each
    term) and "compute_fraction". The input is read in place (no copy when it is C-contiguous
    float32 or int8) and the outputs are moved into their arrays."""
    return _core.decompose(array, series, dtype, layout, approx, residual)


def _override_text(key, value):
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"{key}={value}"


def _overrides(overrides):
    if overrides is None:
        return []
    if isinstance(overrides, dict):
        return [_override_text(k, v) for k, v in overrides.items()]
    return [str(o) for o in overrides]


def _inputs(input):
    if input is None:
        return [], ""
    if isinstance(input, str):
        return [], input
    import numpy as np
    if isinstance(input, (list, tuple)):
        return [np.asarray(a) for a in input], ""
    return [np.asarray(input)], ""


class SimulationResult:
    """What `tasdsim run` writes, in memory: stats (the stats.json dict) and stats_json (its text),
    layers (the layers.csv table: a pandas DataFrame when pandas is installed, else a list of
    dicts), layers_csv, wall_clock and wall_clock_json, summary, resolved_config (YAML text) and outputs (name -> array, runs with
    values)."""

    def __init__(self, raw):
        self.stats = raw["stats"]
        self.stats_json = raw["stats_json"]  # the text of stats.json, as `tasdsim run` writes it
        self.layers_csv = raw["layers_csv"]
        self.wall_clock = raw["wall_clock"]
        self.wall_clock_json = raw["wall_clock_json"]
        self.summary = raw["summary"]
        self.resolved_config = raw["resolved_config"]
        self.outputs = raw["outputs"]
        self.fail_reason = raw["fail_reason"]
        self.checks = raw["checks"]  # "passed", "failed", "off" or "not_performed"
        self.checks_passed = raw["checks_passed"]  # None when nothing was compared
        self.layers = _table(self.layers_csv)

    def __repr__(self):
        return self.summary


def _table(text):
    try:
        import pandas
    except ImportError:
        return list(csv.DictReader(io.StringIO(text)))
    return pandas.read_csv(io.StringIO(text))


def simulate(experiment, overrides=None, *, workload=None, input=None, plan=None, series=None,
             operand="W", tau_quantile=None, timing_only=False, compare_executor=False):
    """Simulates an experiment as `tasdsim run EXPERIMENT` does, in a child process of this one
    (the GIL is released meanwhile), and returns a SimulationResult.

    overrides: {"arch.pe_array.rows": 32, ...} or ["arch.pe_array.rows=32", ...] (--set);
    workload: a workload or model file replacing the experiment's (--workload); input: a .npy
    path (--input) or the input set as arrays (one per model input); plan: a plan file (--plan);
    series/operand/tau_quantile: one series for every layer (--series, --operand, --tau-quantile)."""
    arrays, npy = _inputs(input)
    raw = _core.simulate(str(experiment), _overrides(overrides), str(workload or ""), npy, arrays, timing_only,
                         compare_executor, str(plan or ""), series or "", operand,
                         -1.0 if tau_quantile is None else float(tau_quantile))
    result = SimulationResult(raw)
    if result.fail_reason:
        raise SimulationError(f"simulation failed: {result.fail_reason}", result)
    if result.checks == "failed":
        raise SimulationError("some layers do not match their reference (see stats['layers'][i]['check'])", result)
    return result


def run_model(model, input=None, *, experiment=None, overrides=None, plan=None, series=None, operand="W",
              tau_quantile=None, input_shape=None):
    """Runs a model file (.onnx, .tflite or the YAML of `tasdsim import`) on one input set and
    returns its outputs (name -> array).

    Without experiment: on the host graph executor, with the plan's or series' TASD applied as the
    executor applies it. With experiment: every Conv, Gemm and MatMul on the simulated accelerator
    of that experiment (its arch, dtype and plan unless plan/series are given)."""
    if experiment is not None:
        return simulate(experiment, overrides, workload=model, input=input, plan=plan, series=series,
                        operand=operand, tau_quantile=tau_quantile).outputs
    arrays, npy = _inputs(input)
    if npy:
        import numpy as np
        arrays = [np.load(npy)]
    return _core.run_on_executor(str(model), arrays, list(input_shape or []), str(plan or ""), series or "",
                                 operand, -1.0 if tau_quantile is None else float(tau_quantile))


def search_model(model, inputs, labels, arch, search_split, test_split, calibration_split=None, *, probe=10,
                 target=0.99, cost="macs", dtype="int8", operands="W,A", rounds=4, threads=0,
                 dense_arch="configs/arch/dense_tc.yaml"):
    """TASDER on a classifier with labelled examples, as `tasdsim search-model --model`: inputs
    N x C x H x W (float32), labels N (integers), splits as (begin, end) index pairs or "BEGIN:END"
    (the test split must not overlap the search or calibration split). Returns a dict: "plan"
    (the plan YAML text, for tasdsim.torch.apply_plan or `tasdsim run --plan`), "search" (the
    search.json dict: accuracies, MAC reduction, baselines, simulated EDP, every check),
    "summary" (the printed table) and "experiment" (YAML that simulates the plan)."""
    import json
    import numpy as np

    def text(s):
        if s is None:
            return ""
        return s if isinstance(s, str) else f"{int(s[0])}:{int(s[1])}"

    r = _core.search_model(str(model), np.asarray(inputs, dtype=np.float32), np.asarray(labels).astype(np.int64),
                           str(arch), text(search_split), text(test_split), text(calibration_split), int(probe),
                           float(target), cost, dtype, operands, int(rounds), int(threads), str(dense_arch))
    return {"plan": r["plan"], "search": json.loads(r["search_json"]), "summary": r["summary"],
            "experiment": r["experiment"]}
