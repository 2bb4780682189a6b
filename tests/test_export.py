"""Exported modules are standalone: they run, with NumPy alone, in a process
where s2sgrad cannot be imported, and give the numbers s2sgrad gives
(API.md sections 1 and 3)."""
import ast
import inspect
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import s2sgrad as sg


def affine(x, W, b):
    return x @ W + b


@sg.graph
def mlp_loss(W, b, V, x, t):
    h = np.tanh(affine(x, W, b))
    y = h @ V
    return np.mean((y - t) ** 2) + 0.01 * np.sum(W * W)


@sg.graph
def train_step(W, b, V, x, t):
    h = np.tanh(affine(x, W, b))
    loss = np.mean((h @ V - t) ** 2)
    dW, db = sg.gradients(loss, [W, b])
    return loss, W - 0.1 * dW, b - 0.1 * db


PARAMS = ["W", "b", "V", "x", "t"]

# case -> (what to export, the function name the module must define)
CASES = {
    "graph": (lambda: mlp_loss, "mlp_loss"),
    "graph_with_gradients": (lambda: train_step, "train_step"),
    "grad": (lambda: sg.grad(mlp_loss, wrt=(0, "b")), "grad_mlp_loss"),
    "grad_single": (lambda: sg.grad(mlp_loss, wrt="V"), "grad_mlp_loss"),
    "value_and_grad": (lambda: sg.value_and_grad(mlp_loss, wrt=(0, 1, 2)),
                       "value_and_grad_mlp_loss"),
}


def make_args():
    r = np.random.default_rng(0)
    return [r.standard_normal(s) for s in [(3, 4), (4,), (4, 2), (5, 3),
                                           (5, 2)]]


def flatten(value):
    """The arrays of a (nested tuple/list) result, and its structure."""
    if isinstance(value, (tuple, list)):
        leaves, kinds = [], []
        for item in value:
            item_leaves, item_kind = flatten(item)
            leaves += item_leaves
            kinds.append(item_kind)
        return leaves, [type(value).__name__, kinds]
    return [np.asarray(value)], type(value).__name__


RUNNER = '''
import importlib, importlib.abc, inspect, json, sys


class BlockS2sgrad(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "s2sgrad":
            raise ImportError("an exported module imported " + name)
        return None


sys.meta_path.insert(0, BlockS2sgrad())
sys.path.insert(0, {export_dir!r})
import numpy as np

{flatten}

module = importlib.import_module({module!r})
fn = getattr(module, {function!r})
args = [np.load(p) for p in {arg_paths!r}]
leaves, structure = flatten(fn(*args))
np.savez({out!r}, *leaves)
print(json.dumps({{
    "structure": structure,
    "params": list(inspect.signature(fn).parameters),
    "loaded": sorted(m for m in sys.modules
                     if m.split(".")[0] in ("s2sgrad", "test_export")),
}}))
'''


def run_exported(tmp_path, module, function, args):
    arg_paths = []
    for i, a in enumerate(args):
        path = tmp_path / f"arg{i}.npy"
        np.save(path, a)
        arg_paths.append(str(path))
    out = tmp_path / "result.npz"
    script = RUNNER.format(export_dir=str(tmp_path), module=module,
                           function=function, arg_paths=arg_paths,
                           out=str(out),
                           flatten=textwrap.dedent(inspect.getsource(flatten)))
    # -I: no PYTHONPATH, no user site, no current directory on sys.path.
    result = subprocess.run([sys.executable, "-I", "-c", script],
                            cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout.strip().splitlines()[-1])
    with np.load(out) as saved:
        leaves = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    return leaves, info


def imported_modules(text):
    names = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
    return names


@pytest.mark.parametrize("case", sorted(CASES))
def test_exported_module_runs_without_s2sgrad(tmp_path, case):
    make, function = CASES[case]
    exported = make()
    module = f"exported_{case}"
    path = tmp_path / f"{module}.py"
    exported.export(str(path))
    text = path.read_text()

    imports = imported_modules(text)
    assert not [m for m in imports if m.split(".")[0] == "s2sgrad"
                or m.startswith(".")], imports
    assert "test_export" not in imports

    args = make_args()
    copies = [a.copy() for a in args]
    expected_leaves, expected_structure = flatten(exported(*args))
    leaves, info = run_exported(tmp_path, module, function, args)

    assert info["loaded"] == []
    assert info["params"] == PARAMS
    assert info["structure"] == expected_structure
    assert len(leaves) == len(expected_leaves)
    for got, want in zip(leaves, expected_leaves):
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    for a, c in zip(args, copies):
        np.testing.assert_array_equal(a, c)


def test_exported_gradient_matches_finite_differences(tmp_path):
    """The exported gradient is the gradient, not only what s2sgrad says."""
    from s2sgrad.testing import numerical_directional_derivative

    grad_fn = sg.grad(mlp_loss, wrt=(0, 1, 2))
    grad_fn.export(str(tmp_path / "exported_grad.py"))
    args = make_args()
    leaves, _ = run_exported(tmp_path, "exported_grad", "grad_mlp_loss", args)
    r = np.random.default_rng(1)
    directions = [r.standard_normal(a.shape) for a in args[:3]]
    numeric = numerical_directional_derivative(mlp_loss, args, (0, 1, 2),
                                               directions)
    analytic = sum(np.sum(g * v) for g, v in zip(leaves, directions))
    assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_an_export_like_example_arguments_is_the_specialisation(tmp_path):
    """export(path, like=args): the code a call with such arguments runs, checked
    against finite differences in a process without s2sgrad; other shapes are
    refused there with a ValueError, not answered wrongly."""
    from s2sgrad.testing import numerical_directional_derivative

    grad_fn = sg.grad(mlp_loss, wrt=(0, 1, 2))
    args = make_args()
    grad_fn.export(str(tmp_path / "special_grad.py"), like=args)
    text = (tmp_path / "special_grad.py").read_text()
    assert "_sg_unbroadcast" not in text and "_sg_expect_signature((W, b, V, x, t)" in text
    leaves, _ = run_exported(tmp_path, "special_grad", "grad_mlp_loss", args)
    for got, want in zip(leaves, grad_fn(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-13)
    r = np.random.default_rng(2)
    directions = [r.standard_normal(a.shape) for a in args[:3]]
    numeric = numerical_directional_derivative(mlp_loss, args, (0, 1, 2), directions)
    analytic = sum(np.sum(g * v) for g, v in zip(leaves, directions))
    assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-9)

    other = [np.concatenate([a, a]) if i == 2 else a for i, a in enumerate(args)]
    sys.path.insert(0, str(tmp_path))
    try:
        import special_grad
        with pytest.raises(ValueError, match="argument 2 is"):
            special_grad.grad_mlp_loss(*other)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("special_grad", None)
    with pytest.raises(TypeError, match="takes|missing"):
        grad_fn.export(str(tmp_path / "wrong.py"), like=args[:2])
    assert not (tmp_path / "wrong.py").exists()
