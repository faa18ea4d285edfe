"""TASD for PyTorch models: apply a plan to a torch.nn.Module with the C++ decomposer (the
terms are bit-identical to `tasdsim decompose` and to the executor's), and export to ONNX for
`tasdsim run`.

    import tasdsim.torch as tt
    tt.apply_plan(model, "4:8+1:8")                       # TASD-W on every Conv2d and Linear
    tt.apply_plan(model, {"layer1.0.conv1": {"operand": "A", "series": "2:8", "tau": 0.1}})
    tt.apply_plan(model, "plan.yaml")                     # a plan of tasdsim search / search-model
    tt.export_onnx(model, example_input, "model.onnx")    # tasdsim run EXP --workload model.onnx

A layer is a Conv2d or Linear module, named by its qualified name (model.named_modules()) or
by the ONNX node that torch.onnx.export makes of it ("/layer1/layer1.0/conv1/Conv"). Its GEMM is
the one the executor runs: weights Cout x (R*S*C/groups) with K channel-innermost (a Linear's
out x in), activations (output pixels x K). TASD-W replaces the weights by their series
approximation; TASD-A approximates the activation rows of each call (after zeroing |x| <= tau,
the pseudo-density threshold) and computes the layer from them.
"""
import numpy as np
import torch
import torch.nn.functional as F

import tasdsim

__all__ = ["apply_plan", "remove_activation_tasd", "export_onnx", "lowered_weight", "layer_plans", "onnx_module_name"]

GEMM_MODULES = (torch.nn.Conv2d, torch.nn.Linear)


def lowered_weight(module):
    """The weights as the executor's GEMM sees them: Cout x K (K = R*S*C/groups, channel-innermost)."""
    w = module.weight.detach()
    if isinstance(module, torch.nn.Conv2d):
        return w.permute(0, 2, 3, 1).reshape(w.shape[0], -1)
    return w


def _unlower(module, lowered):
    w = module.weight
    if isinstance(module, torch.nn.Conv2d):
        o, c, r, s = w.shape
        return lowered.reshape(o, r, s, c).permute(0, 3, 1, 2)
    return lowered


def _plan_entries(plan):
    """{"default": entry or None, "layers": {name: entry}} from a series, a dict or a plan file."""
    if isinstance(plan, str) and not plan.endswith((".yaml", ".yml")):
        return {"default": {"operand": "W", "series": plan}, "layers": {}}
    if isinstance(plan, str):
        import yaml
        with open(plan) as f:
            doc = yaml.safe_load(f)
        if not isinstance(doc, dict) or "plan" not in doc:
            raise tasdsim.UserError(f"{plan}: not a plan file (no top-level 'plan')")
        p = doc["plan"]
        layers = {e["layer"]: e for e in p.get("layers", [])}
        return {"default": p.get("default"), "layers": layers}
    plan = dict(plan)
    default = plan.pop("default", None)
    return {"default": default, "layers": plan}


def onnx_module_name(node):
    """The module qualified name in a torch.onnx.export node name: "/layer1/layer1.0/conv1/Conv"
    -> "layer1.0.conv1" (each scope is a module's name in its parent; a container's children are
    "<container>.<index>"; the last part is the operator)."""
    qual, last = "", ""
    for seg in [p for p in node.split("/") if p][:-1]:
        if last and seg.startswith(last + "."):
            qual += seg[len(last):]
        else:
            qual = f"{qual}.{seg}" if qual else seg
        last = seg
    return qual


def _module_name(layer, modules):
    """The module a plan's layer names: its qualified name, or the node name torch.onnx.export gave it."""
    if layer in modules:
        return layer
    name = onnx_module_name(layer)
    return name if name in modules else None


def layer_plans(model, plan):
    """{module name: {"operand", "series", "tau", "tau_quantile"}} for every Conv2d/Linear that the
    plan does not leave dense; UserError for a plan layer the model does not have."""
    entries = _plan_entries(plan)
    modules = {n: m for n, m in model.named_modules() if isinstance(m, GEMM_MODULES)}
    chosen = {}
    if entries["default"]:
        for name in modules:
            chosen[name] = dict(entries["default"])
    for layer, entry in entries["layers"].items():
        name = _module_name(layer, modules)
        if name is None:
            raise tasdsim.UserError(f"plan layer '{layer}': the model has no Conv2d or Linear of that name")
        chosen[name] = dict(entry)
    out = {}
    for name, e in chosen.items():
        series = str(e.get("series", "dense"))
        operand = str(e.get("operand", "W"))
        if operand not in ("W", "A"):
            raise tasdsim.UserError(f"plan layer '{name}': operand must be W or A, got '{operand}'")
        if series != "dense":
            out[name] = {"operand": operand, "series": series, "tau": e.get("tau"),
                         "tau_quantile": e.get("tau_quantile")}
    return out


def _approximate(a, series, tau=None, tau_quantile=None):
    """The series approximation of the rows of a 2-D float32 array (after zeroing |x| <= tau)."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    if tau_quantile is not None and tau is None:
        tau = float(np.quantile(np.abs(a), tau_quantile))
    if tau is not None and tau >= 0:
        a = np.where(np.abs(a) <= tau, np.float32(0), a)
    return tasdsim.decompose(a, series, residual=False)["approx"]


@torch.no_grad()
def _apply_weights(module, series):
    lowered = lowered_weight(module).cpu().numpy()
    approx = _approximate(lowered, series)
    module.weight.copy_(_unlower(module, torch.from_numpy(approx)))


def _activation_rows(module, x):
    """Per group, the GEMM's activation rows (N*L x K, K channel-innermost) of a Conv2d call."""
    n, c, _, _ = x.shape
    g = module.groups
    r, s = module.kernel_size
    cols = F.unfold(x, module.kernel_size, dilation=module.dilation, padding=module.padding, stride=module.stride)
    length = cols.shape[-1]
    cols = cols.reshape(n, g, c // g, r * s, length).permute(1, 0, 4, 3, 2)
    return cols.reshape(g, n * length, r * s * (c // g)), length


def _conv_output_size(module, x):
    h, w = x.shape[-2:]
    out = []
    for size, k, st, p, d in zip((h, w), module.kernel_size, module.stride, module.padding, module.dilation):
        out.append((size + 2 * p - d * (k - 1) - 1) // st + 1)
    return out


def _tasd_a_hook(setting):
    series, tau, quantile = setting["series"], setting.get("tau"), setting.get("tau_quantile")

    @torch.no_grad()
    def hook(module, inputs, output):
        x = inputs[0]
        w = lowered_weight(module)
        if isinstance(module, torch.nn.Linear):
            a = x.reshape(-1, x.shape[-1])
            approx = torch.from_numpy(_approximate(a.cpu().numpy(), series, tau, quantile)).to(x.device, x.dtype)
            y = approx @ w.t()
            if module.bias is not None:
                y = y + module.bias
            return y.reshape(*x.shape[:-1], w.shape[0])
        if module.padding_mode != "zeros" or isinstance(module.padding, str):
            raise tasdsim.UserError("TASD-A on a Conv2d needs zero padding given as numbers")
        rows, _ = _activation_rows(module, x)
        g = module.groups
        wg = w.reshape(g, w.shape[0] // g, -1)
        outs = []
        for gi in range(g):
            approx = _approximate(rows[gi].cpu().numpy(), series, tau, quantile)
            outs.append(torch.from_numpy(approx).to(x.device, x.dtype) @ wg[gi].t())
        y = torch.stack(outs)  # g x (N*L) x Cout/g
        oh, ow = _conv_output_size(module, x)
        y = y.reshape(g, x.shape[0], oh * ow, -1).permute(1, 0, 3, 2).reshape(x.shape[0], w.shape[0], oh, ow)
        if module.bias is not None:
            y = y + module.bias.reshape(1, -1, 1, 1)
        return y

    return hook


def apply_plan(model, plan):
    """Applies a plan to model in place and returns it: TASD-W layers get approximated weights,
    TASD-A layers a forward hook that computes them from approximated activations (remove with
    remove_activation_tasd). plan: a series text (TASD-W everywhere), a dict {layer: {"operand",
    "series", "tau", "tau_quantile"}, "default": {...}} or a plan YAML file."""
    settings = layer_plans(model, plan)
    modules = dict(model.named_modules())
    handles = getattr(model, "_tasdsim_handles", [])
    for name, s in settings.items():
        m = modules[name]
        if s["operand"] == "W":
            _apply_weights(m, s["series"])
        else:
            handles.append(m.register_forward_hook(_tasd_a_hook(s)))
    model._tasdsim_handles = handles
    return model


def remove_activation_tasd(model):
    """Removes the TASD-A hooks apply_plan added (TASD-W weights stay)."""
    for h in getattr(model, "_tasdsim_handles", []):
        h.remove()
    model._tasdsim_handles = []
    return model


def export_onnx(model, example_input, path, opset=13, input_names=("input",), output_names=("output",)):
    """Exports model (eval mode, constants folded) to an ONNX file that `tasdsim run` and
    tasdsim.run_model accept. TASD-W weights are exported as they are; TASD-A hooks are not part of
    the graph (give the plan to tasdsim instead), so they must be removed first."""
    if getattr(model, "_tasdsim_handles", []):
        raise tasdsim.UserError("export_onnx: the model has TASD-A hooks; remove_activation_tasd() first and pass "
                                "the plan to tasdsim")
    was_training = model.training
    model.eval()
    try:
        torch.onnx.export(model, example_input, str(path), opset_version=opset, do_constant_folding=True,
                          input_names=list(input_names), output_names=list(output_names))
    finally:
        model.train(was_training)
    return path
