"""A loop's gradient of `x[index]` added straight into x's accumulator (`_sg_add_at`).

The reverse loop adds the gradient of an item read in the loop at its place in
the accumulator of x (fresh zeros nothing else holds), instead of making an
array of zeros the size of x every iteration and adding it.  Checked against
central differences (order 2: the gradient of the gradient runs through
`_sg_add_at`'s own gradient rule), forward over reverse (its tangent rule) and
autograd.
"""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads


def rows_in_loop(x, w):
    out = 0.0
    for i in range(x.shape[0]):
        out = out + np.sum(np.sin(x[i, :] * w)) * x[i, 0]
    return out


def repeated_index(x, w):
    idx = np.array([0, 2, 2, 1])
    out = 0.0
    for k in range(3):
        out = out + np.sum(x[idx] ** 2) * w[k]
    return out


def mask_index(x, w):
    out = 0.0
    for k in range(3):
        out = out + np.sum(x[x > 0.0] * w[k])
    return out


def loop_before_read(x, w):
    # a region (the inner loop) before the read in the same iteration
    out = 0.0
    for i in range(x.shape[0]):
        s = 0.0
        for j in range(w.shape[0]):
            s = s + w[j] * j
        out = out + s * np.tanh(x[i, 1]) + x[i, 2] ** 3
    return out


def nested_items(x, w):
    out = 0.0
    for i in range(x.shape[0]):
        row = x[i]
        for j in range(row.shape[0]):
            out = out + row[j] * w[j % w.shape[0]] * x[i, j]
    return out


def complex_term(x, w):
    # the gradient of a real item read through complex values: complex terms
    out = 0.0
    for i in range(x.shape[0]):
        z = x[i, 0] * (1.0 + 2.0j) + w[0]
        out = out + np.abs(z * z)
    return out


def whole_and_item(x, w):
    # x's gradient in an iteration: a whole-array term and an item's, in both orders
    out = 0.0
    for k in range(3):
        out = out + np.sum(np.sin(x) * x[0, 1] * w[k]) + np.sum(x[1] * np.cos(x) * w[k])
    return out


PROGRAMS = [rows_in_loop, repeated_index, mask_index, loop_before_read, nested_items,
            complex_term, whole_and_item]


def _args(dtype=np.float64):
    rng = np.random.default_rng(1)
    return rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal(3).astype(dtype)


@pytest.mark.parametrize('f', PROGRAMS, ids=lambda f: f.__name__)
def test_gradient_and_second_order(f):
    check_grads(f, *_args(), wrt=(0, 1), order=2)


@pytest.mark.parametrize('f', PROGRAMS, ids=lambda f: f.__name__)
def test_float32(f):
    check_grads(f, *_args(np.float32), wrt=(0, 1), order=1)


@pytest.mark.parametrize('f', [rows_in_loop, loop_before_read, nested_items],
                         ids=lambda f: f.__name__)
def test_forward_over_reverse(f):
    x, w = _args()
    v = np.random.default_rng(2).standard_normal(x.shape)
    # sg.hvp (forward over reverse) against central differences of the gradient along v
    hv = sg.hvp(f)(x, w, v)
    g = sg.grad(f)
    eps = 1e-6
    want = (g(x + eps * v, w) - g(x - eps * v, w)) / (2 * eps)
    np.testing.assert_allclose(hv, want, rtol=1e-6, atol=1e-7)


def test_against_autograd():
    def f(x, w, np=np):
        out = 0.0
        for i in range(x.shape[0]):
            out = out + np.sum(np.sin(x[i, :] * w)) * x[i, 0]
        return out
    x, w = _args()
    want = autograd.grad(lambda x: f(x, w, anp))(x)
    np.testing.assert_allclose(sg.grad(rows_in_loop)(x, w), want, rtol=1e-12, atol=1e-14)


def test_the_gradient_adds_in_place():
    x, w = _args()
    source = sg.grad(rows_in_loop, wrt=(0, 1)).source_for(x, w)
    assert '_sg_add_at(dx' in source and '_sg_scatter_add' not in source


def test_composed_with_forward_mode():
    # jacrev of jacfwd: the reverse loop over jacfwd's seeds reads x whole and at x[0]
    def f(x):
        return np.sin(x) * x[0]
    x = np.random.default_rng(3).standard_normal(3)
    eps = 1e-6
    want = np.stack([(sg.jacfwd(f)(x + eps * e) - sg.jacfwd(f)(x - eps * e)) / (2 * eps)
                     for e in np.eye(3)], axis=-1)
    np.testing.assert_allclose(sg.jacrev(sg.jacfwd(f))(x), want, atol=1e-7)
