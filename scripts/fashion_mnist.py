#!/usr/bin/python3
"""A small ResNet-style CNN trained on Fashion-MNIST (Debian's dataset-fashion-mnist), pruned by
magnitude to unstructured sparsities with fine-tuning, each model exported as ONNX for tasdsim,
with the test images as labelled data (docs/tasder.md, "A pruned model trained here").

Seeded and deterministic (torch.manual_seed, torch.use_deterministic_algorithms, a fixed thread
count); everything is cached in OUT/<hash of the settings>/, so a second run with the same
settings only prints where the files are. Writes, in that folder:

  dense.onnx, pruned70.onnx, ...   the models (input [1, 1, 28, 28] normalised, output [1, 10])
  test_inputs.npy, test_labels.npy the test images (N x 1 x 28 x 28 float32, normalised) and
                                   labels (N int64), in a seeded shuffled order
  NAME_predictions.npy             each model's predicted classes (PyTorch) on the test images
  models.json                      settings, per-model test accuracy (PyTorch) and sparsity

Usage: scripts/fashion_mnist.py [--out out/fashion-mnist] [--small] [--sparsities 0.7,0.9,0.95]
--small: a few hundred images, one epoch, a tiny network (the tests).
"""
import argparse
import gzip
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DATA_DIRS = ["/usr/share/datasets/fashion-mnist"]
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training-set pixel statistics
VERSION = 2  # bump when the training procedure changes (part of the cache key)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    dims = magic & 0xFF
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_split(data_dir, kind):
    images = read_idx(os.path.join(data_dir, f"{kind}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{kind}-labels-idx1-ubyte.gz"))
    x = (images.astype(np.float32) / 255.0 - MEAN) / STD
    return x[:, None, :, :], labels.astype(np.int64)


class Block(nn.Module):
    """A ResNet basic block: two 3x3 convolutions with batch norm, a 1x1 projection when the
    shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


class ResNet(nn.Module):
    def __init__(self, widths, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        blocks, cin = [], widths[0]
        for i, w in enumerate(widths):
            blocks.append(Block(cin, w, 1 if i == 0 else 2))
            cin = w
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def prunable(model):
    return [(m, "weight") for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def sparsity(model):
    zeros = total = 0
    for m, _ in prunable(model):
        w = m.weight.detach()
        zeros += int((w == 0).sum())
        total += w.numel()
    return zeros / total


def train(model, x, y, epochs, lr, batch, seed):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    steps = epochs * ((len(x) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g)
        for s in range(0, len(x), batch):
            idx = order[s:s + batch]
            xb = xt[idx]
            # Augmentation: random horizontal flips (clothes are left-right symmetric).
            flip = torch.rand(len(idx), generator=g) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = F.cross_entropy(model(xb), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()


@torch.no_grad()
def predictions(model, x):
    model.eval()
    return np.concatenate([model(torch.from_numpy(x[s:s + 500])).argmax(1).numpy() for s in range(0, len(x), 500)])


def evaluate(model, x, y, out, name):
    """Test accuracy (PyTorch); the predictions are saved as NAME_predictions.npy."""
    p = predictions(model, x)
    np.save(os.path.join(out, name + "_predictions.npy"), p.astype(np.int64))
    return float((p == y).mean())


def export(model, path):
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path + ".tmp", opset_version=13, do_constant_folding=True,
                      input_names=["input"], output_names=["output"])
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "fashion-mnist"))
    ap.add_argument("--data", default=None, help="folder with the four *-ubyte.gz files")
    ap.add_argument("--small", action="store_true", help="tiny version for the tests")
    ap.add_argument("--sparsities", default=None, help="comma-separated, e.g. 0.7,0.9,0.95")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="PyTorch threads (part of the cache key)")
    a = ap.parse_args()
    if a.small:
        s = dict(widths=[4, 8, 8], train_images=800, finetune_images=800, test_images=400, epochs=2,
                 finetune_epochs=1, lr=0.1, batch=20, sparsities=[0.7, 0.9])
    else:
        s = dict(widths=[8, 16, 32], train_images=40000, finetune_images=40000, test_images=10000, epochs=3,
                 finetune_epochs=1, lr=0.1, batch=64, sparsities=[0.7, 0.9, 0.95])
    if a.sparsities:
        s["sparsities"] = [float(v) for v in a.sparsities.split(",")]
    if any(not 0 < v < 1 for v in s["sparsities"]) or s["sparsities"] != sorted(s["sparsities"]):
        sys.exit("fashion_mnist.py: --sparsities must be increasing values in (0, 1)")
    s.update(seed=a.seed, threads=a.threads, version=VERSION)
    data_dir = a.data or next((d for d in DATA_DIRS if os.path.isdir(d)), None)
    if not data_dir or not os.path.isfile(os.path.join(data_dir, "train-images-idx3-ubyte.gz")):
        sys.exit("fashion_mnist.py: Fashion-MNIST not found; install Debian's dataset-fashion-mnist "
                 "(scripts/install_deps.sh) or give --data")
    key = hashlib.sha256(json.dumps(s, sort_keys=True).encode()).hexdigest()[:12]
    out = os.path.join(a.out, key)
    done = os.path.join(out, "models.json")
    if os.path.isfile(done):
        print(out)
        return
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    log = lambda m: print(f"[{time.monotonic() - t0:6.1f} s] {m}", file=sys.stderr, flush=True)
    t0 = time.monotonic()

    xtr, ytr = load_split(data_dir, "train")
    xte, yte = load_split(data_dir, "t10k")
    rng = np.random.default_rng(a.seed)
    tr = rng.permutation(len(xtr))[:s["train_images"]]
    te = rng.permutation(len(xte))[:s["test_images"]]
    xtr, ytr, xte, yte = xtr[tr], ytr[tr], np.ascontiguousarray(xte[te]), yte[te]
    np.save(os.path.join(out, "test_inputs.npy"), xte)
    np.save(os.path.join(out, "test_labels.npy"), yte)

    model = ResNet(s["widths"])
    train(model, xtr, ytr, s["epochs"], s["lr"], s["batch"], a.seed)
    models = {"dense": {"file": "dense.onnx", "sparsity": sparsity(model), "accuracy": evaluate(model, xte, yte, out, "dense")}}
    export(model, os.path.join(out, "dense.onnx"))
    log(f"dense: test accuracy {models['dense']['accuracy']:.4f}")
    # Global magnitude pruning of every Conv2d/Linear weight, gradually: each level prunes the
    # previous one's survivors and fine-tunes with the mask (pruned weights stay zero).
    prev = 0.0
    for k, target in enumerate(s["sparsities"]):
        amount = 1 - (1 - target) / (1 - prev)
        prune.global_unstructured(prunable(model), pruning_method=prune.L1Unstructured, amount=amount)
        ft = slice(k * s["finetune_images"] % len(xtr), None)
        train(model, xtr[ft][:s["finetune_images"]], ytr[ft][:s["finetune_images"]], s["finetune_epochs"], s["lr"] / 10, s["batch"], a.seed + 1 + k)
        prev = target
        pruned = ResNet(s["widths"])
        state = {n: t for n, t in model.state_dict().items() if not n.endswith("_mask") and not n.endswith("_orig")}
        for m_name, m in model.named_modules():
            if hasattr(m, "weight_orig"):
                state[m_name + ".weight"] = m.weight.detach().clone()
        pruned.load_state_dict(state)
        name = f"pruned{round(100 * target)}"
        models[name] = {"file": name + ".onnx", "sparsity": sparsity(pruned), "accuracy": evaluate(pruned, xte, yte, out, name)}
        export(pruned, os.path.join(out, name + ".onnx"))
        log(f"{name}: sparsity {models[name]['sparsity']:.4f}, test accuracy {models[name]['accuracy']:.4f}")
    with open(done + ".tmp", "w") as f:
        json.dump({"settings": s, "models": models, "seconds": time.monotonic() - t0}, f, indent=1)
    os.replace(done + ".tmp", done)
    print(out)


if __name__ == "__main__":
    main()
