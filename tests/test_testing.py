"""Self-tests of s2sgrad.testing, the numerical gradient checker.

They need no part of s2sgrad's core: the checker is loaded from its file, and
the gradients it checks come from autograd (skipped when it is not installed)
or are written by hand.  Each correct gradient must pass and each deliberately
wrong one must raise AssertionError.
"""
import importlib.util
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
TESTING_PY = HERE.parent / "s2sgrad" / "testing.py"
CORPUS_PY = HERE / "grad_corpus.py"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


testing = _load("_s2sgrad_testing_standalone", TESTING_PY)
corpus = _load("_grad_corpus_numpy", CORPUS_PY)
reference = _load("_autograd_reference", HERE / "autograd_reference.py")
autograd_grad = reference.autograd_grad
check_grads = testing.check_grads
check_vjp = testing.check_vjp
nd = testing.numerical_directional_derivative


# ---------------------------------------------------------------- autograd

def _anp():
    return pytest.importorskip("autograd").numpy


def _rng():
    return np.random.default_rng(1234)


# A dozen functions written with autograd.numpy, each with its arguments and
# wrt.  Built lazily so that collecting this file never needs autograd.
def _autograd_cases():
    anp = _anp()
    r = _rng()

    def sin_times_x(x):
        return anp.sum(anp.sin(x) * x)

    def tanh_layer(W, b, x):
        return anp.tanh(x @ W + b)

    def scalar_poly(a, c):
        return a ** 3 * c + anp.sin(a)

    def two_outputs(x, y):
        return anp.sin(x) * y, x ** 2

    def list_output(x):
        return [anp.exp(x), anp.log1p(x ** 2)]

    def gram_tanh(x):
        return anp.sum(anp.tanh(x @ x.T))

    def weighted_norm(x, y):
        return anp.sum(y * x ** 2) / anp.sqrt(anp.sum(y ** 2))

    def scaled_square(s, x):
        return s * anp.sum(x ** 2)

    def normalise_rows(x):
        return anp.sum(x / anp.sum(x ** 2, axis=1, keepdims=True))

    def gather(x):
        return anp.sum(x[anp.array([0, 2, 2])] ** 3) + x[1] * x[3]

    def zero_dim(a, x):
        return anp.sum(anp.exp(a * x))

    def outer_broadcast(x, y):
        return anp.cos(x[:, None] * y[None, :])

    def exp_cos(x):
        return anp.sum(anp.exp(x) * anp.cos(x))

    return [
        (sin_times_x, (r.standard_normal(5),), 0),
        (tanh_layer, (r.standard_normal((3, 4)), r.standard_normal(4),
                      r.standard_normal((5, 3))), (0, "b")),
        (scalar_poly, (1.3, -0.7), (0, 1)),
        (two_outputs, (r.standard_normal(4), r.standard_normal(4)), (0, 1)),
        (list_output, (r.standard_normal((2, 3)),), 0),
        (gram_tanh, (r.standard_normal((3, 2)).astype(np.float32),), 0),
        (weighted_norm, (r.standard_normal(4), r.random(4) + 0.5), "y"),
        (scaled_square, (np.float64(1.5), r.standard_normal(3)), 0),
        (normalise_rows, (r.standard_normal((3, 4)),), 0),
        (gather, (r.standard_normal(4),), 0),
        (zero_dim, (np.array(0.7), r.standard_normal(3)), (0, 1)),
        (outer_broadcast, (r.standard_normal(3), r.standard_normal(2)),
         ("x", "y")),
        (exp_cos, (r.standard_normal(4),), 0),
    ]


@pytest.mark.filterwarnings("ignore:Output seems independent of input")
@pytest.mark.parametrize("case", range(13))
def test_autograd_gradients_pass(case):
    f, args, wrt = _autograd_cases()[case]
    check_grads(f, *args, wrt=wrt, order=2, grad=autograd_grad)


def test_autograd_third_order_passes():
    anp = _anp()

    def f(x, y):
        return anp.sum(anp.exp(0.3 * x) * anp.sin(y) * x)

    r = _rng()
    check_grads(f, r.standard_normal(3), r.standard_normal(3), wrt=(0, 1),
                order=3, grad=autograd_grad)


@pytest.mark.parametrize("name", sorted(corpus.ARGS))
def test_corpus_with_autograd(name):
    """The corpus of tests/test_transforms.py is checkable: with autograd's
    gradients (same source, autograd.numpy as np) the checker passes to
    second order at the arguments used there."""
    twin = reference.autograd_twin(CORPUS_PY)
    _, make_args, wrt = corpus.ARGS[name]
    args = make_args(np.random.default_rng(0))
    check_grads(twin[name], *args, wrt=wrt, order=2, grad=autograd_grad)


def test_autograd_gradient_of_wrong_function_fails():
    anp = _anp()

    def f(W, b, x):
        return anp.sum(anp.tanh(x @ W + b) ** 2)

    def almost_f(W, b, x):  # drops the square
        return anp.sum(anp.tanh(x @ W + b))

    r = _rng()
    args = (r.standard_normal((3, 2)), r.standard_normal(2),
            r.standard_normal((4, 3)))
    with pytest.raises(AssertionError, match="disagrees"):
        check_grads(f, *args, wrt=(0, 1),
                    grad=lambda fn, wrt: autograd_grad(almost_f, wrt))


def test_autograd_wrong_second_order_fails():
    """A gradient with the right values but a wrong derivative of its own:
    order 1 passes, order 2 fails."""
    anp = _anp()
    from autograd.extend import defvjp, primitive

    def f(x):
        return anp.sum(x ** 3)

    @primitive
    def grad_f(x):
        return 3.0 * x ** 2

    defvjp(grad_f, lambda ans, x: lambda g: g * 5.0 * x)  # should be 6x

    def grad(fn, wrt=0):
        return grad_f if fn is f else autograd_grad(fn, wrt)

    x = _rng().standard_normal(4)
    check_grads(f, x, order=1, grad=grad)
    with pytest.raises(AssertionError, match="order-2"):
        check_grads(f, x, order=2, grad=grad)


def test_check_vjp_with_autograd():
    autograd = pytest.importorskip("autograd")
    anp = autograd.numpy

    def f(x, y):
        return anp.sin(x) * y, anp.sum(x ** 2), [anp.exp(y)]

    def inner(u, out):
        if isinstance(out, (tuple, list)):
            return sum(inner(a, b) for a, b in zip(u, out))
        return anp.sum(u * out)

    def vjp(u, x, y):
        return autograd.grad(lambda a, b: inner(u, f(a, b)), (0, 1))(x, y)

    r = _rng()
    check_vjp(f, vjp, r.standard_normal(3), r.standard_normal(3), wrt=(0, 1))
    with pytest.raises(AssertionError):
        check_vjp(f, lambda u, x, y: tuple(2.0 * g for g in vjp(u, x, y)),
                  r.standard_normal(3), r.standard_normal(3), wrt=(0, 1))


# -------------------------------------------------- hand-written gradients

def cube_sum(x):
    return np.sum(x ** 3)


def grad_cube_sum(x):
    return 3.0 * x ** 2


def grad_grad_cube_sum(x):
    return 6.0 * x


def grad_grad_grad_cube_sum(x):
    return np.full_like(x, 6.0)


def table_grad(table):
    """A ``grad`` that looks the derivative up in ``table`` and checks that
    ``wrt`` is passed on unchanged."""
    def grad(f, wrt=0):
        gf, expected_wrt = table[f]
        assert wrt == expected_wrt
        return gf
    return grad


CUBE_TABLE = {cube_sum: (grad_cube_sum, 0),
              grad_cube_sum: (grad_grad_cube_sum, 0),
              grad_grad_cube_sum: (grad_grad_grad_cube_sum, 0)}


def test_handwritten_correct_gradient_passes():
    x = _rng().standard_normal((2, 3))
    check_grads(cube_sum, x, order=3, grad=table_grad(CUBE_TABLE))


def test_handwritten_wrong_gradient_fails_with_details():
    def wrong(x):
        return 3.0 * x ** 2 * 1.001

    x = _rng().standard_normal(5)
    with pytest.raises(AssertionError) as info:
        check_grads(cube_sum, x, order=1,
                    grad=table_grad({cube_sum: (wrong, 0)}))
    message = str(info.value)
    assert "analytic" in message and "numeric" in message
    assert "direction v[0]" in message


def test_handwritten_wrong_second_derivative_fails_only_at_order_2():
    def wrong_second(x):
        return 5.0 * x

    table = {cube_sum: (grad_cube_sum, 0),
             grad_cube_sum: (wrong_second, 0)}
    x = _rng().standard_normal(4)
    check_grads(cube_sum, x, order=1, grad=table_grad(table))
    with pytest.raises(AssertionError, match="order-2"):
        check_grads(cube_sum, x, order=2, grad=table_grad(table))


def test_sign_error_fails():
    x = _rng().standard_normal(4)
    with pytest.raises(AssertionError):
        check_grads(cube_sum, x, order=1,
                    grad=table_grad({cube_sum: (lambda x: -3.0 * x ** 2, 0)}))


def bilinear(x, y):
    return np.sum(x * y) + np.sum(x ** 2)


def test_handwritten_tuple_and_names():
    r = _rng()
    x, y = r.standard_normal(3), r.standard_normal(3)
    good = lambda x, y: (y + 2.0 * x, x)  # noqa: E731
    check_grads(bilinear, x, y, wrt=(0, 1), order=1,
                grad=table_grad({bilinear: (good, (0, 1))}))
    check_grads(bilinear, x, y, wrt=("x", "y"), order=1,
                grad=table_grad({bilinear: (good, ("x", "y"))}))
    check_grads(bilinear, x, y, wrt="y", order=1,
                grad=table_grad({bilinear: (lambda x, y: x, "y")}))
    # Only one of the two gradients wrong.
    with pytest.raises(AssertionError):
        check_grads(bilinear, x, y, wrt=(0, 1), order=1,
                    grad=table_grad({bilinear: (lambda x, y: (y + 2 * x, y),
                                                (0, 1))}))
    # Gradients swapped: same shapes, wrong values.
    with pytest.raises(AssertionError):
        check_grads(bilinear, x, y, wrt=(1, 0), order=1,
                    grad=table_grad({bilinear: (good, (1, 0))}))


@pytest.mark.parametrize("bad, why", [
    (lambda x, y: [y + 2.0 * x, x], "list instead of tuple"),
    (lambda x, y: (y + 2.0 * x,), "too few"),
    (lambda x, y: (y + 2.0 * x, x, x), "too many"),
    (lambda x, y: (y + 2.0 * x, None), "None"),
])
def test_tuple_structure_errors(bad, why):
    x, y = np.ones(3), np.ones(3)
    with pytest.raises(AssertionError):
        check_grads(bilinear, x, y, wrt=(0, 1), order=1,
                    grad=table_grad({bilinear: (bad, (0, 1))}))


def test_wrong_shape_fails():
    x = _rng().standard_normal((2, 3))
    with pytest.raises(AssertionError, match="shape"):
        check_grads(cube_sum, x, order=1, grad=table_grad(
            {cube_sum: (lambda x: (3.0 * x ** 2).ravel(), 0)}))


def test_wrong_dtype_fails():
    x = _rng().standard_normal(3).astype(np.float32)
    with pytest.raises(AssertionError, match="dtype"):
        check_grads(cube_sum, x, order=1, grad=table_grad(
            {cube_sum: (lambda x: 3.0 * x.astype(np.float64) ** 2, 0)}))


def test_float32_gradient_checked_in_float64_and_at_float32():
    x = _rng().standard_normal(4).astype(np.float32)
    right = lambda x: (3.0 * x ** 2).astype(x.dtype)  # noqa: E731
    check_grads(cube_sum, x, order=1, grad=table_grad({cube_sum: (right, 0)}))

    def wrong_only_in_float32(x):
        scale = 1.01 if x.dtype == np.float32 else 1.0
        return (3.0 * scale * x ** 2).astype(x.dtype)

    with pytest.raises(AssertionError, match="float32"):
        check_grads(cube_sum, x, order=1, grad=table_grad(
            {cube_sum: (wrong_only_in_float32, 0)}))


def test_python_float_needs_float_gradient():
    def f(a, b):
        return a ** 3 * b

    check_grads(f, 1.5, 2.0, wrt=0, order=1, grad=table_grad(
        {f: (lambda a, b: 3.0 * a ** 2 * b, 0)}))
    with pytest.raises(AssertionError, match="float"):
        check_grads(f, 1.5, 2.0, wrt=0, order=1, grad=table_grad(
            {f: (lambda a, b: np.array(3.0 * a ** 2 * b), 0)}))


def test_gradient_that_modifies_its_argument_fails():
    def mutating(x):
        g = 3.0 * x ** 2
        x *= 1.0 + 1e-12  # an in-place update of the caller's array
        return g

    x = _rng().standard_normal(3)
    with pytest.raises(AssertionError, match="modified"):
        check_grads(cube_sum, x, order=1,
                    grad=table_grad({cube_sum: (mutating, 0)}))


def test_nan_gradient_fails():
    x = _rng().standard_normal(3)
    with pytest.raises(AssertionError):
        check_grads(cube_sum, x, order=1, grad=table_grad(
            {cube_sum: (lambda x: np.full_like(x, np.nan), 0)}))


def test_non_float_argument_in_wrt_is_not_perturbed():
    def scale(x, n):
        return np.sum(x * n)

    x, n = _rng().standard_normal(3), np.arange(3)
    calls = []

    def grad_scale(x, n):
        calls.append(n.dtype)
        return (n.astype(x.dtype), None)

    check_grads(scale, x, n, wrt=(0, 1), order=1,
                grad=table_grad({scale: (grad_scale, (0, 1))}))
    assert calls and all(d == n.dtype for d in calls)


def test_invalid_wrt_and_order():
    x = np.ones(2)
    grad = table_grad(CUBE_TABLE)
    with pytest.raises(ValueError):
        check_grads(cube_sum, x, wrt="nope", grad=grad)
    with pytest.raises(ValueError):
        check_grads(cube_sum, x, wrt=3, grad=grad)
    with pytest.raises(ValueError):
        check_grads(cube_sum, x, order=0, grad=grad)


# ----------------------------------------------------- finite differences

def test_directional_derivative_accuracy():
    r = _rng()
    x, v = r.standard_normal((3, 4)), r.standard_normal((3, 4))
    got = nd(lambda x: np.sin(x), (x,), 0, v)
    assert got == pytest.approx(np.sum(np.cos(x) * v), rel=1e-10, abs=1e-12)


def test_directional_derivative_large_values_and_tuples():
    r = _rng()
    x, y = 50.0 + r.standard_normal(4), r.standard_normal(4)
    u, v = r.standard_normal(4), r.standard_normal(4)

    def f(x, y):
        return (np.log(x) * y, [x * y])

    expected = np.sum(u * y / x + v * np.log(x)) + np.sum(u * y + x * v)
    assert nd(f, (x, y), ("x", "y"), (u, v)) == pytest.approx(
        expected, rel=1e-9)
    assert nd(f, (x, y), (1,), (v,)) == pytest.approx(
        np.sum(v * np.log(x)) + np.sum(x * v), rel=1e-9)


def test_directional_derivative_python_float_and_explicit_eps():
    def f(a, x):
        return np.exp(a) * x

    x = np.arange(3.0)
    expected = np.exp(0.3) * np.sum(x) * 2.0
    assert nd(f, (0.3, x), 0, 2.0) == pytest.approx(expected, rel=1e-9)
    assert nd(f, (0.3, x), 0, 2.0, eps=1e-3) == pytest.approx(expected,
                                                              rel=1e-9)


def test_directional_derivative_is_taken_in_float64():
    r = _rng()
    x = r.standard_normal(6).astype(np.float32)
    v = r.standard_normal(6)
    got = nd(lambda x: x * x * 1000.0, (x,), 0, v)
    # In float32 the differences would be off by ~1e-3 relative.
    assert got == pytest.approx(2000.0 * np.sum(x.astype(np.float64) * v),
                                rel=1e-10)
    assert x.dtype == np.float32  # the argument is not modified
    # Float arguments outside wrt are evaluated in float64 too.
    for s in (np.float32(0.1), np.full(6, 0.1, dtype=np.float32)):
        got = nd(lambda x, s: x * (s / 3.0), (x, s), 0, v)
        expected = np.sum(v * s.astype(np.float64) / 3.0)
        assert got == pytest.approx(expected, rel=1e-12)


def test_directional_derivative_argument_errors():
    with pytest.raises(ValueError):
        nd(np.sin, (np.ones(2),), (0,), (np.ones(2), np.ones(2)))
    with pytest.raises(ValueError):
        nd(np.sin, (np.ones(2),), 0, np.ones(3))
    with pytest.raises(TypeError):
        nd(lambda n: n * 2, (np.arange(3),), 0, np.ones(3))


# ---------------------------------------------------------------- check_vjp

def sin_and_square(x, y):
    return np.sin(x) * y, (np.sum(x ** 2),)


def vjp_sin_and_square(u, x, y):
    u0, (u1,) = u
    return u0 * np.cos(x) * y + 2.0 * u1 * x, u0 * np.sin(x)


def test_check_vjp_handwritten():
    r = _rng()
    x, y = r.standard_normal(3), r.standard_normal(3)
    check_vjp(sin_and_square, vjp_sin_and_square, x, y, wrt=(0, 1))

    def wrong(u, x, y):
        u0, (u1,) = u
        return u0 * np.cos(x) * y + u1 * x, u0 * np.sin(x)

    with pytest.raises(AssertionError):
        check_vjp(sin_and_square, wrong, x, y, wrt=(0, 1))
    with pytest.raises(AssertionError):
        check_vjp(sin_and_square, lambda u, x, y: (x, y), x, y, wrt=(0, 1))


# -------------------------------------------------- no s2sgrad at import

def test_module_loads_and_works_without_s2sgrad(tmp_path):
    """The checker imports nothing from s2sgrad until grad= is left out."""
    script = textwrap.dedent(f"""
        import importlib.abc, importlib.util, sys
        import numpy as np

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "s2sgrad":
                    raise ImportError("s2sgrad blocked")
                return None

        sys.meta_path.insert(0, Block())
        spec = importlib.util.spec_from_file_location("t", {str(TESTING_PY)!r})
        t = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(t)
        f = lambda x: np.sum(x ** 2)
        t.check_grads(f, np.ones(3), order=1,
                      grad=lambda fn, wrt: (lambda x: 2.0 * x))
        try:
            t.check_grads(f, np.ones(3))
        except ImportError as exc:
            print("lazy:", exc)
        print("ok", sorted(m for m in sys.modules if m.startswith("s2sgrad")))
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path,
                            env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "lazy: s2sgrad blocked" in result.stdout
    assert "ok []" in result.stdout
