"""passes/scatters.py: a written row's gradient read as the gradient's row, the
gradients of slices that tile an array concatenated -- and where either does
not hold, the general code, with the same numbers."""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads


def tiled(w, x):
    g = w * x
    return np.sum(np.tanh(g[:2]) * 2.0) + np.sum(np.exp(g[2:5])) + np.sum(g[5:] ** 2)


def gap(w, x):          # g[2:3] is read by nothing: its gradient stays zero
    g = w * x
    return np.sum(np.tanh(g[:2])) + np.sum(np.exp(g[3:]))


def overlapping(w, x):
    g = w * x
    return np.sum(np.tanh(g[:4])) + np.sum(np.exp(g[2:]))


def strided(w, x):
    g = w * x
    return np.sum(np.tanh(g[::2])) + np.sum(np.exp(g[1::2]))


def broadcast_row(w, x):
    s = np.zeros((3, 6))
    for i in range(3):
        s[i] = np.sum(w * x) * (i + 1.0)        # a scalar written across a row
        s[i, :2] = w[:2]
    return np.sum(s * s)


def written_rows(w, x):
    s = np.zeros((3, 6))
    for i in range(3):
        s[i] = np.tanh(w * x * (i + 1.0))
    return np.sum(s[1:] * s[:-1])


@pytest.mark.parametrize('fn', [tiled, gap, overlapping, strided, broadcast_row, written_rows])
def test_gradients_put_together_piecewise(fn):
    rng = np.random.default_rng(1)
    w, x = rng.normal(size=6), rng.normal(size=6)
    check_grads(fn, w, x, wrt=(0, 1), order=1)
    g = sg.grad(fn, wrt=(0, 1))
    g(w, x)
    special = g.compiled_for((w, x)).generated.source
    if fn is tiled:
        assert 'np.concatenate((d' in special and '_sg_scatter_add' not in special, special
    if fn in (gap, overlapping, strided):
        assert 'np.concatenate((d' not in special, special


def test_a_float32_array_tiled_by_float64_gradients_keeps_the_sums_dtype():
    rng = np.random.default_rng(2)
    w, x = rng.normal(size=6).astype(np.float32), rng.normal(size=6)
    got = sg.grad(tiled, wrt=(0, 1))(w, x)
    want = sg.grad(tiled, wrt=(0, 1))(w.astype(np.float64), x)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def rows_read(W, x):
    total = 0.0
    for i in range(len(W)):
        total += np.sum(np.tanh(W[i] * x) * W[i])
    return total


def rows_read_reversed(W, x):       # W[i, ::-1]: a tuple index, the general code
    total = 0.0
    for i in range(len(W)):
        total += np.sum(np.tanh(W[i] * x) * W[i, ::-1])
    return total


@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_a_loop_adds_its_rows_gradients_in_place(dtype):
    """The gradient of rows read in a loop: each row's added where it belongs, in
    place (float64); float32 keeps the general code (a write would keep a dtype
    the sum does not have)."""
    rng = np.random.default_rng(3)
    W, x = rng.normal(size=(3, 5)).astype(dtype), rng.normal(size=5)
    g = sg.grad(rows_read, wrt=(0, 1))
    got = g(W, x)
    special = g.compiled_for((W, x)).generated.source
    if dtype is np.float64:
        check_grads(rows_read, W, x, wrt=(0, 1), order=1)
        assert '_sg_scatter_add' not in special and '_sg_copy_to_write' not in special, special
    else:
        want = g(W.astype(np.float64), x)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-4)
        assert got[0].dtype == np.float32


def test_rows_read_with_a_tuple_index_keep_the_general_code():
    rng = np.random.default_rng(4)
    W, x = rng.normal(size=(3, 5)), rng.normal(size=5)
    check_grads(rows_read_reversed, W, x, wrt=(0, 1), order=1)

