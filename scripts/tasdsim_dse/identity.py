"""What a point's result depends on, as one hash: the point definition (base experiment and run
arguments), the content of every input file the run reads (the experiment and the arch,
workload, plan and energy files it names, recursively), and the identity of the tasdsim binary
(its version line and a SHA-256 of the executable, so a rebuild invalidates old results)."""
import hashlib
import json
import os
import subprocess

import yaml

from .execute import YamlLoader

# --set prefixes -> the key under which the experiment (or arch) names that file.
_PREFIX_FILE = {"arch": ("experiment", "arch"), "workload": ("experiment", "workload"),
                "plan": ("experiment", "plan", "file"), "energy": ("arch", "energy")}


def sha256_file(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def binary_identity(tasdsim):
    """{"path", "version", "sha256"} of the tasdsim executable."""
    version = subprocess.run([tasdsim, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    return {"path": os.path.abspath(tasdsim), "version": version, "sha256": sha256_file(tasdsim)}


class InputHasher:
    """Content hashes of the files a run reads; each file is read once per sweep."""

    def __init__(self):
        self._file = {}
        self._refs = {}

    def file_hash(self, path):
        if path not in self._file:
            self._file[path] = sha256_file(path)
        return self._file[path]

    def _references(self, path):
        """Files named by string values in a YAML file (paths relative to its folder)."""
        if path not in self._refs:
            refs = {}
            try:
                with open(path) as f:
                    doc = yaml.load(f, Loader=YamlLoader)
            except (OSError, yaml.YAMLError):
                doc = None
            folder = os.path.dirname(path)
            for keys, value in _strings(doc, ()):
                cand = os.path.normpath(os.path.join(folder, value))
                if len(value) < 4096 and os.path.isfile(cand):
                    refs[keys] = cand
            self._refs[path] = refs
        return self._refs[path]

    def closure(self, base, settings):
        """Every input file of a point: the experiment, what it names (after the point's file
        overrides such as experiment.arch=...), and so on recursively."""
        files = {}
        # Override values that name files, resolved like tasdsim does: relative to the folder of
        # the file the key's first part refers to.
        by_prefix = {"experiment": base}
        pending = [base]
        overrides = {}
        for key, value in settings:
            if value is None:
                continue
            parts = tuple(key.split("."))
            for keys, s in _strings(value, parts):
                overrides[keys] = s
        while pending:
            path = pending.pop()
            if path in files:
                continue
            files[path] = self.file_hash(path)
            for keys, ref in self._references(path).items():
                pending.append(ref)
                for prefix, at in _PREFIX_FILE.items():
                    if keys == at:
                        by_prefix.setdefault(prefix, ref)
        # Second pass for files named only by overrides (their folder is known now).
        for keys, s in overrides.items():
            folder_of = by_prefix.get(keys[0])
            if folder_of is None:
                continue
            cand = os.path.normpath(os.path.join(os.path.dirname(folder_of), s))
            if os.path.isfile(cand):
                stack = [cand]
                while stack:
                    p = stack.pop()
                    if p in files:
                        continue
                    files[p] = self.file_hash(p)
                    stack += list(self._references(p).values())
        return files

    def config_hash(self, point, binary):
        files = self.closure(point.base, point.settings)
        blob = {"definition": point.definition, "binary": binary["sha256"], "version": binary["version"],
                "inputs": sorted(files.values())}
        return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


def _strings(node, keys):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, keys + (str(k),))
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v, keys)
    elif isinstance(node, str) and node:
        yield keys, node
