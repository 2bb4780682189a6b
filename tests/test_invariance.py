"""The max shift of a softmax passes no gradient, and only there.

`z - max(z)` followed by a softmax or log-softmax over the same axis does not
depend on the shift, so s2sgrad leaves the argmax mask out of the gradient.
Every case here is checked against central differences; the ones where the
shift does matter (the max read elsewhere, another axis, the shifted value
read elsewhere) must keep the mask.
"""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads


def log_softmax_xent(z, y):
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp)


def softmax_weighted(z, w):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    p = e / np.sum(e, axis=-1, keepdims=True)
    return np.sum(p * w)


def max_read_again(z, y):
    m = np.max(z, axis=1, keepdims=True)
    s = z - m
    logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(y * logp) + np.sum(m)        # the max itself is part of the loss


def shifted_read_again(z, y):
    s = z - np.max(z, axis=1, keepdims=True)
    logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(y * logp) + np.sum(s * s)    # s depends on the shift


def other_axis(z, y):
    s = z - np.max(z, axis=0, keepdims=True)    # shift per column, softmax per row
    logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(y * logp)


def exp_read_again(z, w):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    return np.sum(p * w) + np.sum(e)            # exp of the shifted value: not invariant


# ---- other spellings of the shift: the same gradient without the mask (in a call's
# specialisation, where passes/canonical.py gives each reduction one form)

def shift_broadcast_back(z, y):
    z = z - z.max(axis=1)[:, None]
    logp = z - np.log(np.exp(z).sum(1))[:, None]
    return -np.sum(y * logp)


def shift_positional(z, y):
    z = z - np.max(z, 1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), 1, keepdims=True))
    return -np.sum(y * logp)


def shift_last_axis(z, y):
    z = z - np.max(z, axis=-1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp)


def shift_expand_dims(z, w):
    e = np.exp(z - np.expand_dims(np.amax(z, axis=1), -1))
    return np.sum(e / e.sum(axis=1).reshape(-1, 1) * w)


def log_sum_exp_by_hand(z, y):
    m = np.max(z, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
    return -np.sum(y * (z - lse))


def log_sum_exp_added_after(z, y):
    m = z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z - m).sum(axis=1, keepdims=True)) + m
    return -np.sum(y * (z - lse))


# ---- and shifts that are no row constant of a softmax: the gradient keeps the mask

def shift_by_row_max_per_column(z, y):
    s = z - z.max(axis=1)[None, :]              # (square z) row i's max from column i
    return -np.sum(y * (s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))))


def log_sum_exp_other_axis(z, y):
    m = np.max(z, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(z - m), axis=0, keepdims=True))
    return -np.sum(y * (z - lse))


def log_sum_exp_times_max(z, y):
    m = np.max(z, axis=1, keepdims=True)
    lse = m * np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
    return -np.sum(y * (z - lse))


def log_sum_exp_exp_read_again(z, y):
    m = np.max(z, axis=1, keepdims=True)
    e = np.exp(z - m)
    lse = m + np.log(np.sum(e, axis=1, keepdims=True))
    return -np.sum(y * (z - lse)) + np.sum(e * y)


def max_broadcast_back_and_read(z, y):
    m = z.max(axis=1)
    s = z - m[:, None]
    return -np.sum(y * (s - np.log(np.exp(s).sum(1))[:, None])) + np.sum(m * m)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 4))
    z[2, 1] = z[2, 3] = z[2].max() + 0.5       # a tie for the max
    y = rng.uniform(size=(5, 4))
    return z, y


@pytest.mark.parametrize('fn', [log_softmax_xent, softmax_weighted])
def test_the_shift_of_a_softmax_passes_no_gradient(fn, data):
    z, y = data
    g = sg.grad(fn)
    g(z, y)
    special = g.compiled_for((z, y)).generated.source
    assert '_hit' not in special and ' == ' not in special, special
    assert '_hit' not in g.source
    check_grads(fn, z + 1e-3 * np.arange(20).reshape(5, 4), y, order=2)


@pytest.mark.parametrize('fn', [max_read_again, shifted_read_again, other_axis,
                                exp_read_again])
def test_a_shift_that_matters_keeps_its_gradient(fn, data):
    z, y = data
    assert '_hit' in sg.grad(fn).source
    check_grads(fn, z + 1e-3 * np.arange(20).reshape(5, 4), y, order=2)


def test_the_max_as_a_requested_gradient_is_still_computed():
    @sg.graph
    def f(z):
        m = np.max(z, axis=1, keepdims=True)
        s = z - m
        logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
        return sg.gradients(np.sum(logp), [z, m])

    z = np.random.default_rng(1).normal(size=(3, 4))
    dz, dm = f(z)
    np.testing.assert_allclose(dm, np.zeros((3, 1)), atol=1e-12)   # mathematically 0
    assert dm.shape == (3, 1)


@pytest.mark.parametrize('fn', [shift_broadcast_back, shift_positional, shift_last_axis,
                                shift_expand_dims, log_sum_exp_by_hand,
                                log_sum_exp_added_after])
def test_every_spelling_of_the_shift_passes_no_gradient(fn, data):
    z, y = data
    g = sg.grad(fn)
    g(z, y)
    special = g.source_for(z, y)
    assert '_hit' not in special and ' == ' not in special, special
    check_grads(fn, z + 1e-3 * np.arange(20).reshape(5, 4), y, order=2)


@pytest.mark.parametrize('fn', [shift_by_row_max_per_column, log_sum_exp_other_axis,
                                log_sum_exp_times_max, log_sum_exp_exp_read_again,
                                max_broadcast_back_and_read])
def test_a_shift_that_matters_keeps_its_gradient_in_every_spelling(fn):
    rng = np.random.default_rng(2)
    z = rng.normal(size=(4, 4))
    z[1, 0] = z[1, 2] = z[1].max() + 0.5        # a tie for the max
    y = rng.uniform(size=(4, 4))
    g = sg.grad(fn)
    g(z, y)
    assert '_hit' in g.source_for(z, y)
    check_grads(fn, z + 1e-3 * np.arange(16).reshape(4, 4), y, order=2)
