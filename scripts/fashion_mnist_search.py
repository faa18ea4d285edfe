#!/usr/bin/python3
"""TASDER on the pruned Fashion-MNIST ResNets of scripts/fashion_mnist.py: for every model and
engine, the cheapest plan `tasdsim search-model --model` finds at >= 99% of the model's own
accuracy on the search split, with its MAC reduction, test-split accuracy, the same-compute
baselines (one uniform TASD-W series; uniform N:M pruning; unstructured magnitude pruning, none
fine-tuned) and simulated EDP against the engine run dense and the dense engine.

Usage: scripts/fashion_mnist_search.py [--build build] [--out out/fashion-mnist-search]
           [--models pruned70,pruned90,pruned95] [--engines stc,ttc_vegeta_m8,...]
           [--search 0:2000] [--test 2000:10000] [--cost edp] [--docs]
--docs replaces the results table in docs/tasder.md (between its markers).
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ENGINES = ["stc", "ttc_stc", "vegeta", "ttc_vegeta", "vegeta_m8", "ttc_vegeta_m8"]
BEGIN, END = "<!-- fashion-mnist-search:begin -->\n", "<!-- fashion-mnist-search:end -->"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "fashion-mnist-search"))
    ap.add_argument("--data-out", default=os.path.join(ROOT, "out", "fashion-mnist"))
    ap.add_argument("--models", default="pruned70,pruned90,pruned95")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--search", default="0:2000")
    ap.add_argument("--test", default="2000:10000")
    ap.add_argument("--calibration", default="0:100")
    ap.add_argument("--cost", default="edp", choices=["macs", "cycles", "energy", "edp"])
    ap.add_argument("--target", type=float, default=0.99)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--docs", action="store_true")
    a = ap.parse_args()
    tasdsim = os.path.join(a.build, "sim", "tasdsim")
    t = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "fashion_mnist.py"), "--out", a.data_out],
                       capture_output=True, text=True)
    if t.returncode != 0:
        sys.exit(f"fashion_mnist_search: training failed: {t.stderr.strip()}")
    data = t.stdout.strip().splitlines()[-1]
    with open(os.path.join(data, "models.json")) as f:
        trained = json.load(f)
    os.makedirs(a.out, exist_ok=True)
    rows = []
    for m in a.models.split(","):
        for e in a.engines.split(","):
            out = os.path.join(a.out, f"{m}-{e}")
            start = time.monotonic()
            cmd = [tasdsim, "search-model", "--arch", os.path.join("configs", "arch", e + ".yaml"), "--model",
                   os.path.join(data, m + ".onnx"), "--inputs", os.path.join(data, "test_inputs.npy"), "--labels",
                   os.path.join(data, "test_labels.npy"), "--search-split", a.search, "--test-split", a.test,
                   "--calibration-split", a.calibration, "--cost", a.cost, "--target", str(a.target), "--threads",
                   str(a.threads), "--out", out, "--overwrite", "-q"]
            print("running", " ".join(os.path.relpath(c, ROOT) if os.path.isabs(c) else c for c in cmd[1:]),
                  file=sys.stderr, flush=True)
            r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"fashion_mnist_search: {m} on {e}: {r.stderr.strip()}")
            with open(os.path.join(out, "search.json")) as f:
                j = json.load(f)
            j["wall"] = time.monotonic() - start
            j["name"] = m
            rows.append(j)
            print(f"{m} {j['arch']}: MACs {100 * j['mac_reduction']:.1f}% less, EDP x{j['simulated']['edp_vs_engine_dense']:.3f}"
                  f" of the engine dense, {j['wall']:.0f} s", file=sys.stderr, flush=True)
    s = trained["settings"]
    lines = [
        f"Measured with `scripts/fashion_mnist_search.py --models {a.models} --engines {a.engines} --search {a.search} "
        f"--test {a.test} --cost {a.cost}` (target {a.target} of each model's own accuracy on the search split; "
        f"calibration examples {a.calibration}, the first 10 of them score the candidates). Models: "
        f"`scripts/fashion_mnist.py` (ResNet widths {s['widths']}, {s['train_images']} training images x {s['epochs']} "
        f"epochs; PyTorch test accuracy on all {s['test_images']} test images: "
        + ", ".join(f"{k} {v['accuracy']:.4f} at sparsity {v['sparsity']:.3f}" for k, v in trained["models"].items())
        + ").",
        "",
        "| model | engine | MACs less | EDP vs engine dense | EDP vs DenseTC | accuracy search (original) "
        "| test (original) | uniform TASD-W, test | N:M pruning, test | magnitude pruning, test | checks | time |",
        "|---|---|---:|---:|---:|---|---|---|---|---|---:|---:|"]
    for j in rows:
        acc, base, sim = j["accuracy"], j["baselines"], j["simulated"]
        lines.append(
            f"| {j['name']} | {j['arch']} | {100 * j['mac_reduction']:.1f}% | {sim['edp_vs_engine_dense']:.3f} | "
            f"{sim['edp_vs_dense_engine']:.3f} | {acc['plan']:.4f} ({acc['original']:.4f}) | "
            f"{acc['holdout_plan']:.4f} ({acc['holdout_original']:.4f}) | {base['uniform_w']['series']}: "
            f"{base['uniform_w']['holdout_accuracy']:.4f} | {base['nm_pruning']['series']}: "
            f"{base['nm_pruning']['holdout_accuracy']:.4f} | {base['magnitude_pruning']['holdout_accuracy']:.4f} | "
            f"{j['search']['accuracy_checks']} | {j['wall']:.0f} s |")
    table = "\n".join(lines) + "\n"
    print(table)
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write(table)
    if a.docs:
        path = os.path.join(ROOT, "docs", "tasder.md")
        with open(path) as f:
            doc = f.read()
        if BEGIN not in doc or END not in doc:
            sys.exit(f"fashion_mnist_search: {path} has no {BEGIN.strip()} ... {END} markers")
        doc = doc[:doc.index(BEGIN) + len(BEGIN)] + table + doc[doc.index(END):]
        with open(path + ".tmp", "w") as f:
            f.write(doc)
        os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
