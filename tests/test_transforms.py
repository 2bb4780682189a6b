"""sg.grad and sg.value_and_grad: the function transforms of API.md section 3.

Expected values are computed by hand in NumPy, by finite differences
(s2sgrad.testing.check_grads, first and second order) and by autograd on the
same source (tests/grad_corpus.py run with autograd.numpy as its np).
"""
import pathlib

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

HERE = pathlib.Path(__file__).resolve().parent


import autograd_reference as reference  # noqa: E402  (tests/ is on sys.path)
import grad_corpus as corpus  # noqa: E402


# ------------------------------------------------------------- the loss

def loss(W, b, x, t):
    h = np.tanh(x @ W + b)
    return np.mean((h - t) ** 2)


@sg.graph
def graph_loss(W, b, x, t):
    h = np.tanh(x @ W + b)
    return np.mean((h - t) ** 2)


def loss_grads_by_hand(W, b, x, t):
    """(dW, db, dx, dt) of ``loss``, written out."""
    h = np.tanh(x @ W + b)
    dh = 2.0 * (h - t) / h.size
    dz = dh * (1.0 - h ** 2)
    return x.T @ dz, dz.sum(axis=0), dz @ W.T, -dh


def loss_args(dtype=np.float64, seed=0):
    r = np.random.default_rng(seed)
    return tuple(a.astype(dtype) for a in (
        r.standard_normal((3, 4)), r.standard_normal(4),
        r.standard_normal((5, 3)), r.standard_normal((5, 4))))


def assert_close(actual, expected, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- wrt

def test_wrt_defaults_to_first_argument():
    args = loss_args()
    dW = sg.grad(loss)(*args)
    assert isinstance(dW, np.ndarray)
    assert_close(dW, loss_grads_by_hand(*args)[0])


@pytest.mark.parametrize("wrt, k", [(0, 0), (1, 1), (2, 2), (3, 3),
                                    ("W", 0), ("b", 1), ("x", 2), ("t", 3)])
def test_wrt_single_index_or_name(wrt, k):
    args = loss_args()
    g = sg.grad(loss, wrt=wrt)(*args)
    assert not isinstance(g, tuple)
    assert_close(g, loss_grads_by_hand(*args)[k])


@pytest.mark.parametrize("wrt, ks", [
    ((0, 1), (0, 1)), (("W", "b"), (0, 1)), ((0, "b"), (0, 1)),
    ((1, 0), (1, 0)), ((1,), (1,)), (("t",), (3,)), ((0, 1, 2, 3), (0, 1, 2, 3)),
])
def test_wrt_tuple_gives_tuple(wrt, ks):
    args = loss_args()
    grads = sg.grad(loss, wrt=wrt)(*args)
    expected = loss_grads_by_hand(*args)
    assert isinstance(grads, tuple) and len(grads) == len(ks)
    for g, k in zip(grads, ks):
        assert_close(g, expected[k])


def test_value_and_grad():
    args = loss_args()
    value, (dW, db) = sg.value_and_grad(loss, wrt=(0, 1))(*args)
    assert value == pytest.approx(loss(*args), rel=1e-12)
    expected = loss_grads_by_hand(*args)
    assert_close(dW, expected[0])
    assert_close(db, expected[1])

    value, db = sg.value_and_grad(loss, wrt="b")(*args)
    assert value == pytest.approx(loss(*args), rel=1e-12)
    assert_close(db, expected[1])

    value, dW = sg.value_and_grad(loss)(*args)
    assert value == pytest.approx(loss(*args), rel=1e-12)
    assert_close(dW, expected[0])


def test_value_and_grad_value_of_non_scalar_function():
    """The value is what the function returns (not its sum); only the
    gradient follows the sum rule."""
    x = np.random.default_rng(1).standard_normal(4)
    value, g = sg.value_and_grad(elementwise)(x)
    assert_close(value, elementwise(x))
    assert_close(g, np.cos(x) * x + np.sin(x))


# ----------------------------------------------------------- sum rule

def elementwise(x):
    return np.sin(x) * x


def linear_map(W, x):
    return x @ W


def test_sum_rule_for_non_scalar_output():
    r = np.random.default_rng(2)
    x = r.standard_normal(6)
    assert_close(sg.grad(elementwise)(x), np.cos(x) * x + np.sin(x))

    W, xs = r.standard_normal((3, 2)), r.standard_normal((5, 3))
    # d/dW sum(x @ W) = x.T @ ones: every column gets the column sums of x.
    expected = np.repeat(xs.sum(axis=0)[:, None], 2, axis=1)
    assert_close(sg.grad(linear_map)(W, xs), expected)
    assert_close(sg.grad(linear_map, wrt=1)(W, xs),
                 np.repeat(W.sum(axis=1)[None, :], 5, axis=0))


# ------------------------------------------------- higher order

def cubic_plus_sine(x):
    return x ** 3 + np.sin(x)


def test_second_derivative_of_scalar_function():
    d2 = sg.grad(sg.grad(cubic_plus_sine))
    for x in (0.7, -1.3, 2.0):
        value = d2(x)
        assert isinstance(value, float)
        assert value == pytest.approx(6.0 * x - np.sin(x), rel=1e-12)


def test_third_derivative_elementwise():
    x = np.random.default_rng(3).standard_normal(5)
    d3 = sg.grad(sg.grad(sg.grad(cubic_plus_sine)))
    assert_close(d3(x), 6.0 - np.cos(x))


def test_second_derivative_mixed_partials():
    def f(a, b):
        return np.sin(a * b) + a ** 2 * b

    a, b = 0.4, -1.1
    d_ab = sg.grad(sg.grad(f, wrt=0), wrt=1)(a, b)
    expected = np.cos(a * b) - a * b * np.sin(a * b) + 2.0 * a
    assert d_ab == pytest.approx(expected, rel=1e-12)


# -------------------------------------------- plain and graph functions

def test_graph_function_and_plain_function_agree():
    args = loss_args()
    expected = loss_grads_by_hand(*args)
    for f in (loss, graph_loss, sg.graph(loss)):
        dW, db = sg.grad(f, wrt=(0, 1))(*args)
        assert_close(dW, expected[0])
        assert_close(db, expected[1])
        value, dW = sg.value_and_grad(f)(*args)
        assert value == pytest.approx(loss(*args), rel=1e-12)
        assert_close(dW, expected[0])


def test_graph_function_named_wrt():
    args = loss_args()
    assert_close(sg.grad(graph_loss, wrt="b")(*args),
                 loss_grads_by_hand(*args)[1])


def test_names():
    assert sg.grad(loss).__name__ == "grad_loss"
    assert sg.grad(loss, wrt=(0, 1)).__name__ == "grad_loss"
    assert sg.value_and_grad(loss).__name__ == "value_and_grad_loss"
    assert sg.grad(graph_loss).__name__ == "grad_graph_loss"
    assert sg.value_and_grad(graph_loss).__name__ == \
        "value_and_grad_graph_loss"
    assert sg.grad(sg.grad(cubic_plus_sine)).__name__ == \
        "grad_grad_cubic_plus_sine"


def test_source_is_readable_python_defining_the_gradient():
    src = sg.grad(loss, wrt=(0, 1)).source
    assert isinstance(src, str)
    compile(src, "<grad_loss>", "exec")
    assert "def grad_loss" in src
    assert "def value_and_grad_loss" in sg.value_and_grad(loss).source


# ----------------------------------------------------- dtype and shape

def test_float32_arguments_get_float32_gradients():
    args = loss_args(np.float32)
    grads = sg.grad(loss, wrt=(0, 1, 2, 3))(*args)
    expected = loss_grads_by_hand(*(a.astype(np.float64) for a in args))
    for g, a, e in zip(grads, args, expected):
        assert g.dtype == np.float32 and g.shape == a.shape
        assert_close(g, e, rtol=1e-4, atol=1e-6)


def test_float32_argument_among_float64_ones():
    W, b, x, t = loss_args()
    W32 = W.astype(np.float32)
    dW, db = sg.grad(loss, wrt=(0, 1))(W32, b, x, t)
    assert dW.dtype == np.float32 and dW.shape == W.shape
    assert db.dtype == np.float64 and db.shape == b.shape
    expected = loss_grads_by_hand(W32.astype(np.float64), b, x, t)
    assert_close(dW, expected[0], rtol=1e-5, atol=1e-7)

    dW, dx = sg.grad(tanh_sum, wrt=(0, 2))(W32, b, x)
    assert dW.dtype == np.float32 and dW.shape == W.shape
    assert dx.dtype == np.float64 and dx.shape == x.shape
    dz = 1.0 - np.tanh(x @ W32 + b) ** 2
    assert_close(dW, x.T @ dz, rtol=1e-5, atol=1e-7)
    assert_close(dx, dz @ W32.T.astype(np.float64), rtol=1e-12, atol=1e-12)


def tanh_sum(W, b, x):
    return np.sum(np.tanh(x @ W + b))


def scaled_norm(a, x):
    return a * np.sum(x ** 2)


def test_python_float_gets_float():
    x = np.arange(1.0, 4.0)
    g = sg.grad(scaled_norm)(1.5, x)
    assert isinstance(g, float)
    assert g == pytest.approx(14.0, rel=1e-12)
    value, g = sg.value_and_grad(scaled_norm)(1.5, x)
    assert isinstance(g, float) and value == pytest.approx(21.0)
    gx = sg.grad(scaled_norm, wrt=1)(1.5, x)
    assert gx.shape == (3,) and gx.dtype == np.float64
    assert_close(gx, 3.0 * x)


def test_broadcast_argument_gets_its_own_shape():
    r = np.random.default_rng(4)
    x, b, c = r.standard_normal((4, 3)), r.standard_normal(3), r.standard_normal((4, 1))

    def f(x, b, c):
        return np.sum(np.sin(x + b) * c)

    gb, gc = sg.grad(f, wrt=(1, 2))(x, b, c)
    assert gb.shape == (3,) and gc.shape == (4, 1)
    assert_close(gb, np.sum(np.cos(x + b) * c, axis=0))
    assert_close(gc, np.sum(np.sin(x + b), axis=1, keepdims=True))


def test_arguments_are_never_modified():
    args = loss_args()
    copies = [a.copy() for a in args]
    sg.grad(loss, wrt=(0, 1, 2, 3))(*args)
    sg.value_and_grad(loss, wrt=(0, 1))(*args)
    sg.grad(sg.grad(loss))(*args)
    graph_loss(*args)
    for a, c in zip(args, copies):
        np.testing.assert_array_equal(a, c)


# --------------------------------------------------------- helpers

def softplus(z):
    return np.log1p(np.exp(z))


def log_sigmoid(z):
    return -softplus(-z)


@sg.graph
def squared_norm(v):
    return np.sum(v * v)


def uses_helpers(w, x):
    return np.sum(softplus(x @ w)) + squared_norm(w) - np.sum(log_sigmoid(x[:, 0]))


def test_helper_functions_are_differentiated_through():
    r = np.random.default_rng(5)
    w, x = r.standard_normal(3), r.standard_normal((6, 3))
    sigmoid = 1.0 / (1.0 + np.exp(-(x @ w)))
    assert_close(sg.grad(uses_helpers)(w, x), x.T @ sigmoid + 2.0 * w)
    dx = np.outer(sigmoid, w)
    dx[:, 0] -= 1.0 / (1.0 + np.exp(x[:, 0]))
    assert_close(sg.grad(uses_helpers, wrt=1)(w, x), dx)
    check_grads(uses_helpers, w, x, wrt=(0, 1), order=2)
    check_grads(sg.graph(uses_helpers), w, x, wrt=(0, 1), order=2)


# ---------------------------------------------------------- the corpus

CORPUS = sorted(corpus.ARGS)


def corpus_case(name, seed=0):
    f, make_args, wrt = corpus.ARGS[name]
    return f, make_args(np.random.default_rng(seed)), wrt


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_first_and_second_order(name):
    f, args, wrt = corpus_case(name)
    check_grads(f, *args, wrt=wrt, order=2)


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_through_graph_function(name):
    f, args, wrt = corpus_case(name, seed=1)
    check_grads(sg.graph(f), *args, wrt=wrt, order=1)


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_against_autograd(name):
    """The same source differentiated by autograd (np bound to
    autograd.numpy) gives the same gradients; value_and_grad agrees with
    grad and with calling the function."""
    twin = reference.autograd_twin(HERE / "grad_corpus.py")
    f, args, wrt = corpus_case(name, seed=2)
    copies = [np.copy(a) for a in args]
    multi = isinstance(wrt, tuple)
    ours = sg.grad(f, wrt=wrt)(*args)
    theirs = reference.autograd_grad(twin[name], wrt=wrt)(*args)
    value, ours_too = sg.value_and_grad(f, wrt=wrt)(*args)
    if not multi:
        ours, theirs, ours_too = (ours,), (theirs,), (ours_too,)
    indices = wrt if multi else (wrt,)
    assert len(ours) == len(theirs) == len(ours_too) == len(indices)
    for i, g, h, k in zip(indices, ours, theirs, ours_too):
        if np.asarray(args[i]).dtype == np.float32:
            assert_close(g, h, rtol=1e-5, atol=1e-6)
        else:
            assert_close(g, h, rtol=1e-9, atol=1e-12)
        assert_close(k, g, rtol=1e-12, atol=0)
    assert_close(np.sum(value), np.sum(f(*args)), rtol=1e-12, atol=0)
    for a, c in zip(args, copies):
        np.testing.assert_array_equal(a, c)
