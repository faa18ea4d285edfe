"""Sweep files: load, validate strictly, and expand into points.

A sweep names a base experiment and the parameters to vary. Every parameter is a `--set` key
path (`arch.pe_array.rows`), one of the run options `series`, `operand`, `tau_quantile`,
`timing_only`, or a named group whose values set several keys together (a PE array shape). See
docs/DSE.md for the format.
"""
import hashlib
import itertools
import json
import math
import os
import random

import yaml

from .execute import YamlLoader

# Keys that map to tasdsim run options instead of --set.
RUN_OPTIONS = {"series": "--series", "operand": "--operand", "tau_quantile": "--tau-quantile"}
FILE_PREFIXES = ("experiment.", "arch.", "energy.", "workload.", "plan.")
SWEEP_KEYS = {"name", "description", "base", "timing_only", "sampling", "fixed", "parameters", "timeout_s"}
SAMPLING_KEYS = {"method", "samples", "seed"}
CONTINUOUS = ("uniform", "loguniform")
DISCRETE = ("choice", "int", "pow2")

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class SweepError(Exception):
    """A bad sweep file or option: the message names the file, key path and what is allowed."""


def is_setting_key(key):
    return key in RUN_OPTIONS or key == "timing_only" or key.startswith(FILE_PREFIXES)


class Parameter:
    """One swept dimension. `values` (discrete) is a list of (column value, [(key, value), ...]);
    `dist` (continuous) is (kind, lo, hi) for the key `name`."""

    def __init__(self, name, values=None, dist=None, group_keys=()):
        self.name = name
        self.values = values
        self.dist = dist
        self.group_keys = list(group_keys)

    @property
    def discrete(self):
        return self.values is not None


class Point:
    def __init__(self, index, columns, settings, base, timing_only):
        self.index = index
        self.columns = columns  # column name -> value shown in the table
        self.settings = settings  # ordered [(key, value)]: what the run gets
        self.base = base
        self.timing_only = timing_only
        self.args = run_args(settings, timing_only)
        self.definition = {"base": repo_relative(base), "args": self.args}
        self.def_hash = hashlib.sha256(json.dumps(self.definition, sort_keys=True).encode()).hexdigest()
        self.id = self.def_hash[:12]


class Sweep:
    def __init__(self, path, name, base, timing_only, method, samples, seed, fixed, parameters, timeout_s,
                 description=""):
        self.path = path
        self.name = name
        self.description = description
        self.base = base
        self.timing_only = timing_only
        self.method = method
        self.samples = samples
        self.seed = seed
        self.fixed = fixed
        self.parameters = parameters
        self.timeout_s = timeout_s

    @property
    def columns(self):
        cols = []
        for p in self.parameters:
            cols.append(p.name)
            cols += [k for k in p.group_keys if k not in cols]
        return cols

    def grid_size(self):
        if not all(p.discrete for p in self.parameters):
            return None
        return math.prod(len(p.values) for p in self.parameters)

    def expand(self, force_timing_only=False):
        """The sweep's points, in a deterministic order (grid: row-major in file order; random:
        the order drawn from `seed`)."""
        combos = self._grid() if self.method == "grid" else self._random()
        points = []
        seen = set()
        for combo in combos:
            columns = {}
            settings = [(k, v) for k, v in self.fixed.items()]
            for p, (col_value, sets) in zip(self.parameters, combo):
                columns[p.name] = col_value
                for k, v in sets:
                    if k != p.name:
                        columns[k] = v
                settings += sets
            timing_only = self.timing_only
            for k, v in settings:
                if k == "timing_only" and v is not None:
                    timing_only = bool(v)
            timing_only = timing_only or force_timing_only
            point = Point(len(points), columns, settings, self.base, timing_only)
            if point.def_hash in seen:  # two combinations that run the same thing
                continue
            seen.add(point.def_hash)
            points.append(point)
        return points

    def _grid(self):
        return itertools.product(*[p.values for p in self.parameters])

    def _random(self):
        rng = random.Random(self.seed)
        total = self.grid_size()
        if total is not None:
            # Distinct points, drawn without replacement from the whole grid (mixed-radix index).
            picks = rng.sample(range(total), min(self.samples, total))
            radices = [len(p.values) for p in self.parameters]
            for flat in picks:
                combo = []
                for p, r in zip(reversed(self.parameters), reversed(radices)):
                    flat, digit = divmod(flat, r)
                    combo.append(p.values[digit])
                yield list(reversed(combo))
            return
        for _ in range(self.samples):
            combo = []
            for p in self.parameters:
                if p.discrete:
                    combo.append(p.values[rng.randrange(len(p.values))])
                else:
                    kind, lo, hi = p.dist
                    x = rng.uniform(lo, hi) if kind == "uniform" else math.exp(rng.uniform(math.log(lo), math.log(hi)))
                    x = float(f"{x:.6g}")  # readable values; six digits are plenty for a design knob
                    combo.append((x, [(p.name, x)]))
            yield combo


def repo_relative(path):
    path = os.path.abspath(path)
    rel = os.path.relpath(path, REPO_ROOT)
    return path if rel.startswith("..") else rel


def format_value(value):
    """A value for `--set key=value`: JSON is valid YAML flow, so strings stay strings ("2:4")."""
    return json.dumps(value)


def run_args(settings, timing_only):
    """tasdsim run arguments of a point (without the experiment and --out). None keeps the base."""
    args = []
    for key, value in settings:
        if value is None or key == "timing_only":
            continue
        if key in RUN_OPTIONS:
            args += [RUN_OPTIONS[key], str(value)]
        else:
            args += ["--set", f"{key}={format_value(value)}"]
    if timing_only:
        args.append("--timing-only")
    return args


def load(path):
    """Reads and validates a sweep file; raises SweepError naming the file and key path."""
    try:
        with open(path) as f:
            doc = yaml.load(f, Loader=YamlLoader)
    except OSError as e:
        raise SweepError(f"{path}: cannot open: {e.strerror}")
    except yaml.YAMLError as e:
        raise SweepError(f"{path}: YAML error: {e}".replace("\n", " "))
    where = lambda key: f"{path}: sweep.{key}" if key else f"{path}: sweep"
    if not isinstance(doc, dict) or set(doc) != {"sweep"} or not isinstance(doc["sweep"], dict):
        raise SweepError(f"{path}: expected one top-level mapping 'sweep'")
    s = doc["sweep"]
    for key in s:
        if key == "area_weights":
            raise SweepError(f"{where(key)}: no longer a sweep key: the area comes from the synthesised RTL "
                             "(docs/AREA.md)")
        if key not in SWEEP_KEYS:
            raise SweepError(f"{where(key)}: unknown key (allowed: {', '.join(sorted(SWEEP_KEYS))})")
    for key in ("name", "base", "parameters"):
        if key not in s:
            raise SweepError(f"{where(key)}: required key missing")
    name = s["name"]
    if not isinstance(name, str) or not name or "/" in name:
        raise SweepError(f"{where('name')}: a non-empty name without '/' is required")
    base = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), str(s["base"])))
    if not os.path.isfile(base):
        raise SweepError(f"{where('base')}: experiment file '{s['base']}' not found (relative to the sweep file)")
    timing_only = s.get("timing_only", False)
    if not isinstance(timing_only, bool):
        raise SweepError(f"{where('timing_only')}: true or false expected, got {timing_only!r}")

    method, samples, seed = _sampling(s.get("sampling", "grid"), where)
    fixed = s.get("fixed") or {}
    if not isinstance(fixed, dict):
        raise SweepError(f"{where('fixed')}: a mapping of key paths to values expected")
    for key, value in fixed.items():
        _check_setting(key, value, f"{where('fixed')}.{key}")

    params = s["parameters"]
    if not isinstance(params, dict) or not params:
        raise SweepError(f"{where('parameters')}: a non-empty mapping expected")
    from . import table  # the table's own columns live there
    parameters = []
    used = set(fixed)
    for pname, spec in params.items():
        if table.reserved(str(pname)):
            raise SweepError(f"{where('parameters')}.{pname}: '{pname}' is a column of the results table; "
                             f"choose another name for this parameter")
        param = _parameter(str(pname), spec, f"{where('parameters')}.{pname}", method)
        keys = param.group_keys or [param.name]
        for k in keys:
            if k in used:
                raise SweepError(f"{where('parameters')}.{pname}: key '{k}' is set twice (fixed or another parameter)")
            used.add(k)
        parameters.append(param)

    timeout_s = s.get("timeout_s", 3600)
    if not isinstance(timeout_s, (int, float)) or isinstance(timeout_s, bool) or timeout_s <= 0:
        raise SweepError(f"{where('timeout_s')}: a positive number of seconds expected, got {timeout_s!r}")
    return Sweep(os.path.abspath(path), name, base, timing_only, method, samples, seed, fixed, parameters,
                 float(timeout_s), str(s.get("description", "")))


def _sampling(spec, where):
    if spec == "grid":
        return "grid", None, None
    if not isinstance(spec, dict) or spec.get("method") not in ("grid", "random"):
        raise SweepError(f"{where('sampling')}: 'grid' or {{method: random, samples: N, seed: S}} expected")
    for key in spec:
        if key not in SAMPLING_KEYS:
            raise SweepError(f"{where('sampling')}.{key}: unknown key (allowed: method, samples, seed)")
    if spec["method"] == "grid":
        return "grid", None, None
    samples, seed = spec.get("samples"), spec.get("seed")
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        raise SweepError(f"{where('sampling')}.samples: a positive integer is required, got {samples!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise SweepError(f"{where('sampling')}.seed: an integer seed is required (random sampling is seeded)")
    return "random", samples, seed


def _check_setting(key, value, where):
    if not isinstance(key, str) or not is_setting_key(key):
        raise SweepError(f"{where}: '{key}' is not a key path (must start with "
                         f"{', '.join(FILE_PREFIXES)}) or one of {', '.join([*RUN_OPTIONS, 'timing_only'])}")
    if value is None:
        return
    if key == "timing_only" and not isinstance(value, bool):
        raise SweepError(f"{where}: true or false expected, got {value!r}")
    if key == "operand" and value not in ("W", "A"):
        raise SweepError(f"{where}: W or A expected, got {value!r}")
    if key == "series" and not isinstance(value, str):
        raise SweepError(f"{where}: a series such as \"4:8+1:8\" (quoted) expected, got {value!r}")
    if key == "tau_quantile" and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        raise SweepError(f"{where}: a number expected, got {value!r}")


def _discrete_values(spec, where):
    if isinstance(spec, list):
        values = spec
    elif isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in DISCRETE:
        kind, arg = next(iter(spec.items()))
        if kind == "choice":
            values = arg
        else:
            if (not isinstance(arg, list) or len(arg) != 2 or not all(isinstance(x, int) for x in arg)
                    or arg[0] > arg[1] or (kind == "pow2" and arg[0] < 1)):
                raise SweepError(f"{where}.{kind}: [lo, hi] integers with lo <= hi expected, got {arg!r}")
            values = list(range(arg[0], arg[1] + 1)) if kind == "int" else \
                [1 << e for e in range(arg[0].bit_length() - 1, arg[1].bit_length()) if arg[0] <= (1 << e) <= arg[1]]
    else:
        return None
    if not isinstance(values, list) or not values:
        raise SweepError(f"{where}: a non-empty list of values expected")
    return values


def _parameter(name, spec, where, method):
    values = _discrete_values(spec, where)
    if values is not None and all(isinstance(v, dict) for v in values) and not is_setting_key(name):
        return _group(name, values, where)
    if not is_setting_key(name):
        raise SweepError(f"{where}: '{name}' is not a key path (must start with {', '.join(FILE_PREFIXES)}), "
                         f"a run option ({', '.join([*RUN_OPTIONS, 'timing_only'])}), or a group whose values "
                         f"are mappings of key paths")
    if values is not None:
        for i, v in enumerate(values):
            _check_setting(name, v, f"{where}[{i}]")
        return Parameter(name, values=[(v, [(name, v)]) for v in values])
    if isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in CONTINUOUS:
        kind, arg = next(iter(spec.items()))
        if (not isinstance(arg, list) or len(arg) != 2 or not all(isinstance(x, (int, float)) for x in arg)
                or arg[0] >= arg[1] or (kind == "loguniform" and arg[0] <= 0)):
            raise SweepError(f"{where}.{kind}: [lo, hi] with lo < hi (lo > 0 for loguniform) expected, got {arg!r}")
        if method == "grid":
            raise SweepError(f"{where}: a {kind} distribution needs random sampling "
                             f"(sampling: {{method: random, samples: N, seed: S}})")
        return Parameter(name, dist=(kind, float(arg[0]), float(arg[1])))
    raise SweepError(f"{where}: a list of values, {{choice: [...]}}, {{int: [lo, hi]}}, {{pow2: [lo, hi]}}, "
                     f"{{uniform: [lo, hi]}} or {{loguniform: [lo, hi]}} expected, got {spec!r}")


def _group(name, values, where):
    out, keys, labels = [], [], set()
    for i, v in enumerate(values):
        sets = []
        for k, x in v.items():
            if k == "label":
                continue
            _check_setting(k, x, f"{where}[{i}].{k}")
            sets.append((k, x))
            if k not in keys:
                keys.append(k)
        if not sets:
            raise SweepError(f"{where}[{i}]: a group value sets at least one key")
        label = str(v.get("label", ",".join(f"{k.rsplit('.', 1)[-1]}={x}" for k, x in sets)))
        if label in labels:
            raise SweepError(f"{where}[{i}]: label '{label}' used twice")
        labels.add(label)
        out.append((label, sets))
    # A key missing from one group value keeps its base value in that point.
    out = [(label, sets + [(k, None) for k in keys if k not in dict(sets)]) for label, sets in out]
    return Parameter(name, values=out, group_keys=keys)
