#!/usr/bin/python3
"""tasdsim.torch: a plan applied to a PyTorch model with the same terms as tasdsim's, and models
exported by torch.onnx.export (torchvision resnet18 and mobilenet_v2, a TransformerEncoder) run in
the executor and on the simulated accelerator with PyTorch's outputs.

Bound (docs/python.md): max |tasdsim - torch| <= 1e-4 * max |torch| per output; the two differ
only in the order of fp32 sums."""
import os
import subprocess
import tempfile
import unittest

import numpy as np
import torch
import torchvision

import tasdsim
import tasdsim.torch as tt

TASDSIM = os.environ["TASDSIM"]
ROOT = os.environ["TASDSIM_SOURCE_DIR"]
# An experiment whose arch is the TASD-extended VEGETA-M8 engine; its workload is replaced.
EXPERIMENT = os.path.join(ROOT, "configs", "experiments", "tiny_cnn_ttc_vegeta_m8.yaml")
SEED = 0


def bound(reference):
    return 1e-4 * float(np.abs(reference).max())


def calibrated(model, shape):
    """model in eval mode with batch-norm statistics from a seeded batch (fresh statistics leave a
    random mobilenet_v2's outputs near 1e-10: no test of anything)."""
    model.train()
    with torch.no_grad():
        model(torch.randn(8, *shape[1:]))
    return model.eval()


def models():
    """(name, model, example input): seeded, eval mode, small inputs."""
    torch.manual_seed(SEED)
    layer = torch.nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, batch_first=True,
                                             activation="gelu", dropout=0.0)
    image = (1, 3, 32, 32)
    return [
        ("resnet18", calibrated(torchvision.models.resnet18(num_classes=10), image), torch.randn(image)),
        ("mobilenet_v2", calibrated(torchvision.models.mobilenet_v2(num_classes=10), image), torch.randn(image)),
        ("transformer", torch.nn.TransformerEncoder(layer, num_layers=2).eval(), torch.randn(1, 8, 32)),
    ]


class TorchPlanTest(unittest.TestCase):
    def test_tasd_w_weights_equal_the_cli_terms(self):
        torch.manual_seed(SEED)
        model = torch.nn.Sequential(torch.nn.Conv2d(5, 12, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                                    torch.nn.Linear(12 * 4 * 4, 7))
        original = {n: m.weight.detach().clone().numpy() for n, m in model.named_modules()
                    if isinstance(m, tt.GEMM_MODULES)}
        tt.apply_plan(model, "2:8+1:8")
        with tempfile.TemporaryDirectory() as d:
            for name, layout in (("0", ["--layout", "OIHW"]), ("3", [])):
                np.save(os.path.join(d, f"{name}.npy"), original[name])
                out = os.path.join(d, f"out{name}")
                r = subprocess.run([TASDSIM, "decompose", "--series", "2:8+1:8", os.path.join(d, f"{name}.npy"),
                                    "--out", out, *layout], capture_output=True, text=True, timeout=120)
                self.assertEqual(r.returncode, 0, r.stderr)
                module = dict(model.named_modules())[name]
                got = tt.lowered_weight(module).numpy()
                np.testing.assert_array_equal(got, np.load(os.path.join(out, "approx.npy")))
                self.assertLess(np.count_nonzero(got), np.count_nonzero(original[name]))

    def test_plan_layers_by_onnx_node_name_and_errors(self):
        model = torchvision.models.resnet18(num_classes=10)
        plans = tt.layer_plans(model, {"/layer1/layer1.0/conv1/Conv": {"operand": "A", "series": "2:8"},
                                       "fc": {"series": "4:8"}})
        self.assertEqual(sorted(plans), ["fc", "layer1.0.conv1"])
        self.assertEqual(plans["fc"]["operand"], "W")
        self.assertEqual(tt.onnx_module_name("/layer2/layer2.0/downsample/downsample.0/Conv"),
                         "layer2.0.downsample.0")
        self.assertEqual(tt.onnx_module_name("/layers.1/linear2/MatMul"), "layers.1.linear2")
        with self.assertRaisesRegex(tasdsim.UserError, "plan layer 'nope'"):
            tt.layer_plans(model, {"nope": {"series": "2:8"}})
        with self.assertRaisesRegex(tasdsim.UserError, "3:7"):
            tt.apply_plan(model, "3:7")


class OnnxRoundTripTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.cases = []
        for name, model, x in models():
            path = os.path.join(cls.tmp.name, f"{name}.onnx")
            tt.export_onnx(model, x, path)
            with torch.no_grad():
                y = model(x).numpy()
            assert np.abs(y).max() > 0.01, (name, np.abs(y).max())  # outputs with something to compare
            cls.cases.append((name, model, x.numpy(), path, y))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_executor_equals_pytorch(self):
        for name, _, x, path, y in self.cases:
            with self.subTest(model=name):
                out = tasdsim.run_model(path, x)
                self.assertEqual(list(out), ["output"])
                self.assertEqual(out["output"].shape, y.shape)
                self.assertLessEqual(np.abs(out["output"] - y).max(), bound(y))

    def test_accelerator_equals_pytorch(self):
        for name, _, x, path, y in self.cases:
            with self.subTest(model=name):
                out = tasdsim.run_model(path, x, experiment=EXPERIMENT, series="dense")
                self.assertLessEqual(np.abs(out["output"] - y).max(), bound(y))

    def test_tasdsim_run_accepts_the_export(self):
        name, _, x, path, y = self.cases[0]
        with tempfile.TemporaryDirectory() as d:
            np.save(os.path.join(d, "x.npy"), x)
            out = os.path.join(d, "run")
            r = subprocess.run([TASDSIM, "run", EXPERIMENT, "--workload", path, "--input", os.path.join(d, "x.npy"),
                                "--series", "dense", "--save-outputs", "--out", out, "-q"],
                               capture_output=True, text=True, timeout=600)
            self.assertEqual(r.returncode, 0, r.stderr)
            got = np.load(os.path.join(out, "outputs", "output.npy"))
        self.assertLessEqual(np.abs(got - y).max(), bound(y))

    def test_tasd_w_in_pytorch_equals_tasd_w_in_the_executor(self):
        # Every Conv and Gemm of the CNNs is a Conv2d or Linear module: one series for all of them
        # means the same on both sides.
        for name, model, x, path, _ in self.cases[:2]:
            with self.subTest(model=name):
                approx = tt.apply_plan(_copy(model), "4:8+1:8")
                with torch.no_grad():
                    y = approx(torch.from_numpy(x)).numpy()
                out = tasdsim.run_model(path, x, series="4:8+1:8")
                self.assertLessEqual(np.abs(out["output"] - y).max(), bound(y))
                # The approximation changed the model: the comparison is not trivially dense.
                self.assertGreater(np.abs(y - self.cases_output(name)).max(), 10 * bound(y))

    def test_transformer_plan_by_node_names(self):
        # The feed-forward layers by the node names of the export: the same plan file on both sides.
        name, model, x, path, y0 = self.cases[2]
        layers = [f"/layers.{i}/{l}/MatMul" for i in range(2) for l in ("linear1", "linear2")]
        with tempfile.TemporaryDirectory() as d:
            plan_file = os.path.join(d, "plan.yaml")
            with open(plan_file, "w") as f:
                f.write("plan:\n  layers:\n" + "".join(
                    f'    - {{layer: {l}, operand: W, series: "2:8+1:8"}}\n' for l in layers))
            approx = tt.apply_plan(_copy(model), plan_file)
            out = tasdsim.run_model(path, x, plan=plan_file)
        with torch.no_grad():
            y = approx(torch.from_numpy(x)).numpy()
        self.assertLessEqual(np.abs(out["output"] - y).max(), bound(y))
        self.assertGreater(np.abs(y - y0).max(), 10 * bound(y))

    def test_tasd_a_in_pytorch_equals_tasd_a_in_the_executor(self):
        name, model, x, path, _ = self.cases[0]  # resnet18: its first convolution sees the same input
        plan = {"/conv1/Conv": {"operand": "A", "series": "2:8", "tau": 0.05}}
        approx = tt.apply_plan(_copy(model), plan)
        with torch.no_grad():
            y = approx(torch.from_numpy(x)).numpy()
        with tempfile.TemporaryDirectory() as d:
            plan_file = os.path.join(d, "plan.yaml")
            with open(plan_file, "w") as f:
                f.write('plan:\n  layers:\n    - {layer: /conv1/Conv, operand: A, series: "2:8", tau: 0.05}\n')
            out = tasdsim.run_model(path, x, plan=plan_file)
        self.assertLessEqual(np.abs(out["output"] - y).max(), bound(y))
        self.assertGreater(np.abs(y - self.cases_output(name)).max(), 10 * bound(y))

    def cases_output(self, name):
        return next(c[4] for c in self.cases if c[0] == name)


def _copy(model):
    import copy
    return copy.deepcopy(model)


if __name__ == "__main__":
    unittest.main()
