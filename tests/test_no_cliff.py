"""One specialisation serves every call whose arrays have the same dtypes, ranks and
unit dimensions: a smaller last batch or another sequence length reuses the fast
code, and there is no fallback to the general code after some number of shapes.

Each test calls one gradient with a second size after the first, where a
decision taken for the first would be wrong for the second if it depended on
the sizes (a dimension that becomes 1, a constant count): every result is
checked against central differences.
"""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad import api
from s2sgrad.testing import check_grads

RNG = np.random.default_rng(0)


def right(g, fn, *args):
    """g's gradient (the same GradFunction, compiled for earlier calls) against
    central differences at these arguments."""
    check_grads(fn, *args, wrt=g.indices, order=1, grad=lambda f, wrt: g)


def kinds(g):
    """The specialisations compiled: (shape-free, for exact sizes)."""
    exact = [k for k in g._for_shapes if k and k[0] == api._EXACT]
    return len(g._for_shapes) - len(exact), len(exact)


def layer(W, b, x):
    return np.sum(np.tanh(x @ W + b) ** 2)


def test_a_smaller_batch_reuses_the_code_and_a_batch_of_one_gets_its_own():
    g = sg.grad(layer, wrt=(0, 1, 2))
    W, b = RNG.normal(size=(3, 4)), RNG.normal(size=4)
    for batch in (32, 17, 5):
        right(g, layer, W, b, RNG.normal(size=(batch, 3)))
    assert kinds(g) == (1, 0)
    right(g, layer, W, b, RNG.normal(size=(1, 3)))        # b against (1, 4): no sum
    assert kinds(g) == (2, 0)
    right(g, layer, W, b, RNG.normal(size=(2, 3)))
    assert kinds(g) == (2, 0)


def rnn(W, U, xs, h):
    for x in xs:
        h = np.tanh(h @ W + x @ U)
    return 0.5 * np.sum(h * h)


def test_sequences_of_varying_length_reuse_the_code():
    g = sg.grad(rnn, wrt=(0, 1, 3))
    W, U = RNG.normal(size=(4, 4)) * 0.5, RNG.normal(size=(3, 4))
    for steps, batch in ((6, 2), (3, 2), (9, 5), (2, 3)):
        right(g, rnn, W, U, RNG.normal(size=(steps, batch, 3)), RNG.normal(size=(batch, 4)))
    assert kinds(g) == (1, 0)


def euler(q, v, k, dt):
    t = 0.0
    while t < 0.05:
        q, v, t = q + dt * v, v - dt * k * q, t + dt
    return np.sum(q * q) + np.sum(v * v)


def test_a_while_loop_over_states_of_varying_size():
    g = sg.grad(euler, wrt=(0, 1, 2))
    for n in (8, 5, 3):
        right(g, euler, RNG.normal(size=n), RNG.normal(size=n), 1.3, 0.01)
    assert kinds(g) == (1, 0)


def test_no_fallback_to_the_general_code_after_many_shapes():
    g = sg.grad(layer, wrt=(0, 1))
    W, b = RNG.normal(size=(3, 4)), RNG.normal(size=4)
    for batch in range(2, 2 + 2 * api._SPECIALISATIONS):
        g(W, b, RNG.normal(size=(batch, 3)))
    assert kinds(g) == (1, 0) and g._compiled is None      # never the general code


# ---- a dimension that becomes 1 at another size: the code made for exact sizes

def middle(x, y):
    return np.sum(np.tanh(x[1:3] * y))          # x[1:3]: (2,) for 5 items, (1,) for 2


def test_a_slice_with_bounds_gets_code_for_its_sizes():
    g = sg.grad(middle, wrt=(0, 1))
    right(g, middle, RNG.normal(size=5), RNG.normal(size=2))
    right(g, middle, RNG.normal(size=2), RNG.normal(size=2))    # broadcasts now
    right(g, middle, RNG.normal(size=7), RNG.normal(size=2))
    assert kinds(g) == (0, 3)


def halves(x, w):
    return np.sum(np.sin(np.reshape(x, (2, -1)) * w))   # (2, 2) for 4 items, (2, 1) for 2


def test_a_reshape_gets_code_for_its_sizes():
    g = sg.grad(halves, wrt=(0, 1))
    right(g, halves, RNG.normal(size=4), RNG.normal(size=2))
    right(g, halves, RNG.normal(size=2), RNG.normal(size=2))
    assert kinds(g) == (0, 2)


def above_diagonal(A, w):
    return np.sum(np.cos(np.diagonal(A, 1) * w))      # (2,) for 3x3, (1,) for 2x2


def test_a_diagonal_gets_code_for_its_sizes():
    g = sg.grad(above_diagonal, wrt=(0, 1))
    right(g, above_diagonal, RNG.normal(size=(3, 3)), RNG.normal(size=2))
    right(g, above_diagonal, RNG.normal(size=(2, 2)), RNG.normal(size=2))
    assert kinds(g) == (0, 2)


def picks(x, k):
    total = 0.0
    for i in range(3):
        total = total + np.sum(x[i, 1:] * k)    # (3,) for 4 columns, (1,) for 2
    return total


def test_a_slice_in_a_loop_gets_code_for_its_sizes():
    g = sg.grad(picks, wrt=(0, 1))
    right(g, picks, RNG.normal(size=(3, 4)), RNG.normal(size=3))
    right(g, picks, RNG.normal(size=(3, 2)), RNG.normal(size=3))
    assert kinds(g) == (0, 2)


def mean_loss(W, x, t):
    return np.mean((np.tanh(x @ W) - t) ** 2)   # the count is read at run time


def mean_over_batch(W, x):
    return np.sum(np.mean(np.tanh(x @ W), axis=0) ** 2)


def spread(W, x):
    z = np.tanh(x @ W)
    return np.sum(np.var(z, axis=0)) + np.sum(np.std(z - 0.5, axis=1, keepdims=True))


@pytest.mark.parametrize('fn', [mean_loss, mean_over_batch, spread])
def test_a_mean_over_a_batch_divides_by_this_batchs_count(fn):
    g = sg.grad(fn, wrt=(0, 1))
    W = RNG.normal(size=(3, 2))
    for batch in (8, 5, 8, 2):
        args = (W, RNG.normal(size=(batch, 3))) + ((RNG.normal(size=(batch, 2)),)
                                                   if fn is mean_loss else ())
        right(g, fn, *args)
    assert kinds(g) == (1, 0)       # one code for every batch size: the count read at run time
    source = g.source_for(*args)
    assert 'np.size(' in source
    assert '_power' not in source and '_multiply' not in source   # not computed for its size


def mean_of_row_sums(W, x, y):
    logp = np.tanh(x @ W)
    return -np.mean(np.sum(y * logp, axis=1))


def test_a_mean_of_row_sums_counts_the_rows_of_an_operand():
    """np.mean's count of `np.sum(y * logp, axis=1)` is `len(y)`: neither the row sums
    nor `y * logp` computed for their sizes, one code for every batch size."""
    g = sg.grad(mean_of_row_sums, wrt=(0, 1))
    W = RNG.normal(size=(3, 2))
    for batch in (8, 5, 8, 1, 2):
        args = (W, RNG.normal(size=(batch, 3)), RNG.normal(size=(batch, 2)))
        right(g, mean_of_row_sums, *args)
    assert kinds(g) == (2, 0)       # (a batch of 1 has a unit dimension: its own code)
    source = g.source_for(*args)
    assert 'len(y)' in source and '_multiply' not in source and 'np.size' not in source, source


def pairwise(X):
    D = X[:, None, :] - X[None, :, :]
    return np.sum(np.sqrt(np.sum(D * D, axis=-1) + 0.1))


def expanded(X):
    return np.sum(np.sin(X[:, None, :]))


def test_a_shape_a_rule_asks_is_read_at_run_time():
    for fn in (pairwise, expanded):
        g = sg.grad(fn)
        for n in (6, 4, 9):
            right(g, fn, RNG.uniform(size=(n, 3)))
        assert kinds(g) == (1, 0)
        source = g.source_for(RNG.uniform(size=(5, 3)))
        # (a reshape back to X's shape is read at run time, or gone where the sum
        # gives X's shape itself: `dD.sum(axis=1)`)
        assert '5, 3' not in source and ('np.shape(X)' in source or 'reshape' not in source), source
    # (expanded's gradient asks for X's shape at run time)
    assert 'np.shape(X)' in source, source


def columns(x, v):
    s = np.sum(x * v, axis=0, keepdims=True)    # v (n,) against x (m, n)
    return np.sum(np.exp(s) * x)


def test_sums_back_to_an_operands_shape_for_any_size():
    g = sg.grad(columns, wrt=(0, 1))
    for m, n in ((4, 3), (2, 5), (7, 3)):
        right(g, columns, RNG.normal(size=(m, n)), RNG.normal(size=n))
    assert kinds(g) == (1, 0)
    right(g, columns, RNG.normal(size=(3, 1)), RNG.normal(size=1))
    right(g, columns, RNG.normal(size=(3, 4)), RNG.normal(size=1))     # v broadcasts
    assert kinds(g) == (3, 0)


def elementwise(w, x, y):
    z = np.tanh(w * x + y)
    return np.sum((z - y) ** 2) + 0.5 * np.sum(w * w)


@pytest.mark.parametrize('sizes', [(1 << 14, 1 << 13, 1 << 15), (1 << 14, 100, 1 << 14),
                                   (100, 1 << 14, 3)])
def test_writes_into_operands_and_released_arrays_hold_for_other_sizes(sizes):
    # big arrays: results written into dead operands, released once dead (passes.inplace,
    # compiler.BIG_BYTES); one size after another, big and small
    g = sg.grad(elementwise, wrt=(0, 1, 2))
    for n in sizes:
        w, x, y = (RNG.normal(size=n) for _ in range(3))
        before = [a.copy() for a in (w, x, y)]
        dw, dx, dy = g(w, x, y)
        z = np.tanh(w * x + y)
        dz = 2.0 * (z - y) * (1.0 - z * z)
        np.testing.assert_allclose(dw, dz * x + w, rtol=1e-12)
        np.testing.assert_allclose(dx, dz * w, rtol=1e-12)
        np.testing.assert_allclose(dy, dz - 2.0 * (z - y), rtol=1e-12)
        assert all(np.array_equal(a, b) for a, b in zip(before, (w, x, y)))
    if sizes[0] == sizes[-1] == 1 << 14:
        assert kinds(g) == (2, 0)


def test_the_key_is_ranks_dtypes_and_unit_dimensions():
    a, b = np.ones((5, 3)), np.ones((9, 3))
    assert api._signature((a,)) == api._signature((b,))
    assert api._signature((a,)) != api._signature((np.ones((1, 3)),))
    assert api._signature((a,)) != api._signature((np.ones((0, 3)),))
    assert api._signature((a,)) != api._signature((np.ones(3),))
    assert api._signature((a,)) != api._signature((a.astype(np.float32),))
    assert api._signature(([a, 1.0],)) == api._signature(([b, 2.0],))


def weighted_list(ws, x):
    total = 0.0
    for w in ws:
        total = total + np.sum(np.sin(w * x))
    return total


def test_a_list_of_arrays_of_another_size():
    g = sg.grad(weighted_list, wrt=(0, 1))
    for n in (4, 7):
        right(g, weighted_list, [RNG.normal(size=n), RNG.normal(size=n)], RNG.normal(size=n))
    assert kinds(g) == (1, 0)


def energy(x, k):
    return np.sum(k * np.tanh(x) ** 2)


d_energy = sg.grad(energy)


def energy_slope(x, k):
    return np.sum(d_energy(x, k))


def test_a_second_derivative_at_another_size():
    dd = sg.grad(energy_slope)
    for n in (5, 3, 1):
        x, k = RNG.normal(size=n), RNG.normal(size=n)
        t = np.tanh(x)
        # d/dx sum(2 k t (1 - t^2)) = 2 k (1 - t^2) (1 - 3 t^2)
        np.testing.assert_allclose(dd(x, k), 2 * k * (1 - t * t) * (1 - 3 * t * t), rtol=1e-12)
    assert kinds(dd) == (2, 0)


# ---- a constant array's shape is known in a specialisation, and watched ----------------
G_ROW = np.array([[0.5, -1.0, 2.0]])


def times_a_global_row(x):
    return np.sum(np.tanh(G_ROW * x) ** 2)


def _dx_by_hand(x):
    y = np.tanh(G_ROW * x)
    return np.sum(2.0 * y * (1.0 - y * y) * G_ROW, axis=tuple(range(np.ndim(y) - np.ndim(x))))


def test_a_global_arrays_shape_is_known_and_its_change_seen():
    global G_ROW
    x = np.array([0.3, -0.2, 0.9])
    g = sg.grad(times_a_global_row)
    assert '_sg_unbroadcast' not in g.source_for(x)     # the shape (1, 3) was known
    np.testing.assert_allclose(g(x), _dx_by_hand(x), rtol=1e-12)
    saved = G_ROW
    try:
        G_ROW.shape = (3,)              # the same array, another shape: no sum any more
        np.testing.assert_allclose(g(x), _dx_by_hand(x), rtol=1e-12)
        G_ROW = np.array([[0.5, -1.0, 2.0], [1.0, 0.25, -0.5]])     # rebound, two rows
        np.testing.assert_allclose(g(x), _dx_by_hand(x), rtol=1e-12)
    finally:
        saved.shape = (1, 3)
        G_ROW = saved


def times_a_default_row(x, row=np.array([[0.5, -1.0, 2.0]]), scale=1.5):
    return np.sum(np.tanh(row * x) ** 2) * scale


def _dx_default_by_hand(x, row, scale):
    y = np.tanh(row * x)
    return scale * np.sum(2.0 * y * (1.0 - y * y) * row,
                          axis=tuple(range(np.ndim(y) - np.ndim(x))))


def test_defaults_shapes_are_known_and_their_changes_seen():
    x = np.array([0.3, -0.2, 0.9])
    g = sg.grad(times_a_default_row)
    assert '_sg_unbroadcast' not in g.source_for(x)     # the default's shape was known
    row = times_a_default_row.__defaults__[0]
    np.testing.assert_allclose(g(x), _dx_default_by_hand(x, row, 1.5), rtol=1e-12)
    saved = times_a_default_row.__defaults__
    try:
        row.shape = (3,)                # the default array, another shape
        np.testing.assert_allclose(g(x), _dx_default_by_hand(x, row, 1.5), rtol=1e-12)
        two = np.array([[0.5, -1.0, 2.0], [1.0, 0.25, -0.5]])
        times_a_default_row.__defaults__ = (two, 2.0)   # defaults rebound
        np.testing.assert_allclose(g(x), _dx_default_by_hand(x, two, 2.0), rtol=1e-12)
        # passed explicitly, the argument is what counts
        np.testing.assert_allclose(g(x, row), _dx_default_by_hand(x, row, 2.0), rtol=1e-12)
    finally:
        row.shape = (1, 3)
        times_a_default_row.__defaults__ = saved
