"""Calls with Python floats only run a specialisation of the same gradient.

Nothing can broadcast between floats, so the specialisation sums nothing back
to a shape: the gradient code is the bare chain rule.  Its numbers must be
those of the general code.
"""
import math

import numpy as np
import pytest

import s2sgrad as sg


def chain(a, b, c):
    x = a * b + c
    y = np.sin(x) * a
    z = np.exp(-y * y) + b / c
    return np.tanh(z * a - c) * x


def test_floats_use_a_specialisation_without_unbroadcasting():
    g = sg.grad(chain, wrt=(0, 1, 2))
    floats = g(0.3, 0.7, 1.2)
    assert all(type(d) is float for d in floats)
    assert '_sg_unbroadcast' in g.source
    assert '_sg_unbroadcast' not in g.compiled_for_floats.generated.source
    general = g(np.float64(0.3), np.array(0.7), 1.2)       # not all Python floats
    np.testing.assert_allclose(floats, [float(d) for d in general], rtol=1e-15)


def test_arrays_still_broadcast():
    g = sg.grad(chain, wrt=1)
    b = np.array([0.7, -0.4])
    d = g(0.3, b, 1.2)
    assert d.shape == (2,)
    np.testing.assert_allclose(d, [g(0.3, 0.7, 1.2), g(0.3, -0.4, 1.2)], rtol=1e-14)


def layer(W, b, x):
    return np.sum(np.tanh(x @ W + b) ** 2)


def grows_in_a_loop(x, w):
    for _ in range(3):
        x = np.concatenate([x, x * w])      # the carried value changes shape
    return np.sum(np.sin(x))


def test_a_call_runs_the_specialisation_for_its_argument_shapes():
    rng = np.random.default_rng(0)
    W, b, x = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(5, 3))
    g = sg.grad(layer, wrt=(0, 1))
    dW, db = g(W, b, x)
    special = g.compiled_for((W, b, x)).generated.source
    # b (4,) broadcasts against (5, 4): summed back, written out; x @ W is (5, 4):
    # nothing to sum, and its gradients are the products themselves
    assert '_sg_unbroadcast' not in special and 'np.sum(' in special, special
    assert 'x.T @' in special, special
    general_dW, general_db = g.compiled.function(W, b, x)
    np.testing.assert_allclose(dW, general_dW, rtol=1e-14)
    np.testing.assert_allclose(db, general_db, rtol=1e-14)
    from s2sgrad.testing import check_grads
    check_grads(layer, W, b, x, wrt=(0, 1), order=2)


def test_a_loop_whose_carried_shape_changes_is_not_trusted():
    from s2sgrad.testing import check_grads
    check_grads(grows_in_a_loop, np.array([0.3, -0.2]), np.array([1.5]), wrt=(0, 1), order=1)
    check_grads(grows_in_a_loop, np.array([0.3, -0.2]), 1.5, wrt=(0, 1), order=1)


# ---- shapes through indexing, and what the specialisation then leaves out

def rnn(W, U, xs, h):
    for x in xs:                            # x = xs[_i]: a row of known shape
        h = np.tanh(h @ W + x @ U)
    return 0.5 * np.sum(h * h)


def pairwise(X):
    D = X[:, None, :] - X[None, :, :]       # new axes: the gradient is a reshape
    return np.sum(np.sqrt(np.sum(D * D, axis=-1) + 0.1))


def matrix_vector(L, q, p):
    return np.sum(np.sin(L @ q) * (p @ L)) + q @ p


def rectangular(L, q, p):
    return np.sum(np.sin(L @ q[:3]) * p) + np.sum(np.cos(p @ L) * q[:3])


def special_source(g, *args):
    g(*args)
    return g.compiled_for(args).generated.source


def test_rows_of_a_known_array_have_known_shapes_in_a_loop():
    rng = np.random.default_rng(1)
    W, U = rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(3, 4))
    xs, h = rng.normal(size=(6, 2, 3)), rng.normal(size=(2, 4))
    g = sg.grad(rnn, wrt=(0, 1))
    special = special_source(g, W, U, xs, h)
    # every shape in the loop is known: no run-time unbroadcasting, no shapes on
    # the tape, matrix products written out, no broadcast seed
    for general_only in ('_sg_unbroadcast', '_sg_shape_of', '_sg_matmul', 'broadcast_to'):
        assert general_only in g.source or general_only == 'broadcast_to'
        assert general_only not in special, special
    from s2sgrad.testing import check_grads
    check_grads(rnn, W, U, xs, h, wrt=(0, 1), order=1)
    for special_d, general_d in zip(g(W, U, xs, h), g.compiled.function(W, U, xs, h)):
        np.testing.assert_allclose(special_d, general_d, rtol=1e-13)


def test_new_axes_give_back_a_sum():
    X = np.random.default_rng(2).uniform(size=(5, 3))
    g = sg.grad(pairwise)
    special = special_source(g, X)
    # the sum back over a new axis has X's shape: no reshape (nor scatter) needed
    assert '_sg_scatter_add' not in special and 'np.reshape(' not in special, special
    assert 'keepdims' not in special, special
    assert 'np.sum(-' not in special     # negated after summing, on fewer elements
    from s2sgrad.testing import check_grads
    check_grads(pairwise, X, order=2)


def test_matrix_vector_products_are_written_out():
    rng = np.random.default_rng(3)
    L, q, p = rng.normal(size=(4, 4)), rng.normal(size=4), rng.normal(size=4)
    g = sg.grad(matrix_vector, wrt=(0, 1, 2))
    special = special_source(g, L, q, p)
    assert '_sg_matmul' not in special and 'np.outer(' in special, special
    from s2sgrad.testing import check_grads
    check_grads(matrix_vector, L, q, p, wrt=(0, 1, 2), order=2)
    # a rectangular matrix: each operand's gradient keeps its own shape
    L = rng.normal(size=(4, 3))
    check_grads(rectangular, L, q, p, wrt=(0, 1, 2))


# ---- broadcast seeds left out only where NumPy broadcasts them anyway

def mixed_readers(x, y, v):
    s = np.sum(x * y)                       # seed broadcast to x*y's shape
    t = np.sum(np.tanh(x) * v)              # v (3,) against x (2, 3): v's own gradient
    return s + t                            #   is summed back, x's is not


def outer_seed(a, b):
    return np.sum(a[:, None] * b[None, :])  # both operands broadcast: the seed must stay


def test_broadcast_seeds_are_dropped_only_where_the_shape_comes_anyway():
    rng = np.random.default_rng(4)
    x, y, v = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=3)
    from s2sgrad.testing import check_grads
    check_grads(mixed_readers, x, y, v, wrt=(0, 1, 2), order=2)
    g = sg.grad(mixed_readers, wrt=(0, 1, 2))
    # x*y's seed goes; tanh(x)*v's stays: v alone would not give the (2, 3) shape
    assert special_source(g, x, y, v).count('broadcast_to') == 1
    a, b = rng.normal(size=4), rng.normal(size=3)
    g = sg.grad(outer_seed, wrt=(0, 1))
    da, db = g(a, b)
    np.testing.assert_allclose(da, np.full(4, b.sum()), rtol=1e-14)
    np.testing.assert_allclose(db, np.full(3, a.sum()), rtol=1e-14)
    check_grads(outer_seed, a, b, wrt=(0, 1), order=2)
    # float32 stays float32 where the seed was a float64 array of ones before
    x32 = x.astype(np.float32)
    assert g is not None and sg.grad(mixed_readers)(x32, y, v).dtype == np.float32


def python_math(x, y):
    return math.tanh(x * y) * math.sin(y) + x / y


def cosh_chain(x, y):
    return np.cosh(x * y) + x


def test_floats_that_are_surely_floats_are_returned_as_they_are():
    g = sg.grad(python_math, wrt=(0, 1))
    dx, dy = g(0.3, 0.7)
    assert type(dx) is float and type(dy) is float
    special = g.compiled_for_floats.generated.source
    assert 'float(' not in special, special
    # np.exp, np.sin, np.tanh of floats: their math twins, floats too
    d = sg.grad(chain, wrt=(0, 1, 2))(0.3, 0.7, 1.2)
    assert all(type(v) is float for v in d)
    assert 'float(' not in sg.grad(chain, wrt=(0, 1, 2)).compiled_for_floats.generated.source
    # np.cosh of a float gives np.float64 (no math twin): its gradient is made a float
    g = sg.grad(cosh_chain, wrt=(0, 1))
    assert all(type(v) is float for v in g(0.3, 0.7))
    assert 'float(' in g.compiled_for_floats.generated.source
    from s2sgrad.testing import check_grads
    check_grads(python_math, 0.3, 0.7, wrt=(0, 1), order=2)


def attention(X, Wq, Wk, Wv):
    Q, K, V = X @ Wq, X @ Wk, X @ Wv
    scores = Q @ K.T / np.sqrt(Q.shape[-1])             # K.T: a transposed shape
    e = np.exp(scores - np.max(scores, axis=-1, keepdims=True))
    heads = (e / np.sum(e, axis=-1, keepdims=True)) @ V
    return np.sum(np.tanh(heads.reshape(-1, 2)))        # reshape with -1


def test_shapes_through_transposes_and_reshapes():
    rng = np.random.default_rng(5)
    X, Wq, Wk, Wv = (rng.normal(size=s) * 0.5 for s in [(5, 4), (4, 4), (4, 4), (4, 6)])
    g = sg.grad(attention, wrt=(1, 2, 3))
    special = special_source(g, X, Wq, Wk, Wv)
    assert '_sg_unbroadcast' not in special and '_sg_matmul' not in special, special
    from s2sgrad.testing import check_grads
    check_grads(attention, X, Wq, Wk, Wv, wrt=(1, 2, 3), order=2)


def picks(x, k):
    total = 0.0
    for i in range(3):
        total = total + np.sum(x[i, 1:] * k)    # x[i, 1:]: a row of a known shape
    return total


def test_an_item_by_a_loop_counter_has_a_known_shape():
    rng = np.random.default_rng(0)
    x, k = rng.normal(size=(3, 4)), rng.normal(size=3)
    g = sg.grad(picks, wrt=(0, 1))
    assert '_sg_unbroadcast' not in special_source(g, x, k)
    from s2sgrad.testing import check_grads
    check_grads(picks, x, k, wrt=(0, 1), order=1)


def damped(q, v, c, dt):
    t = 0.0
    while t < 0.1:
        a = -q - c * v * v              # c: a Python float against the state vector
        q, v, t = q + dt * v, v + dt * a, t + dt
    return np.sum(q * q) + np.sum(v)


def test_a_reverse_loop_knows_the_shapes_the_forward_saved():
    rng = np.random.default_rng(6)
    q, v = rng.normal(size=5), rng.normal(size=5)
    g = sg.grad(damped, wrt=(0, 1, 2))
    special = special_source(g, q, v, 0.3, 0.01)
    # c's gradient, a sum over the state of products with saved values: a dot product
    assert '_sg_unbroadcast' not in special and ' @ v' in special, special
    from s2sgrad.testing import check_grads
    check_grads(damped, q, v, 0.3, 0.01, wrt=(0, 1, 2), order=1)


def gaussian(w, x):
    return np.sum(np.exp(-w * w) * x) + np.sum(w * (-x))


def test_the_two_terms_of_minus_w_times_w_are_computed_once():
    rng = np.random.default_rng(7)
    w, x = rng.normal(size=4), rng.normal(size=4)
    g = sg.grad(gaussian, wrt=(0, 1))
    special = special_source(g, w, x)
    # d * (-w) and -(d * w) are the same number: one of them, added twice
    assert special.count('np.negative') + special.count('-(') <= 1, special
    from s2sgrad.testing import check_grads
    check_grads(gaussian, w, x, wrt=(0, 1), order=2)
    dw, dx = g(w, x)
    np.testing.assert_allclose(dw, -2.0 * w * np.exp(-w * w) * x - x, rtol=1e-15)


def weighted(w, x):
    return np.sum(w * x) + np.sum(np.exp(w))


def test_a_seed_of_ones_times_a_value_is_the_value_but_never_the_callers_array():
    rng = np.random.default_rng(8)
    w, x = rng.normal(size=6), rng.normal(size=6)
    g = sg.grad(weighted, wrt=(0, 1))
    special = special_source(g, w, x)
    assert '1.0 * np.exp' not in special and '1.0 * _exp' not in special, special
    dw, dx = g(w, x)
    assert dx is not w and not np.shares_memory(dx, w)     # dx = 1.0 * w, a new array
    assert dw is not x and not np.shares_memory(dw, x)
    np.testing.assert_allclose(dw, x + np.exp(w), rtol=1e-15)
    np.testing.assert_array_equal(dx, w)
    dx[:] = 0.0
    assert np.all(w != 0.0)
    x32 = x.astype(np.float32)                  # float32 stays float32 (1.0 is weak)
    assert sg.grad(weighted, wrt=1)(w.astype(np.float32), x32).dtype == np.float32


SCALE = 2.0


def scaled_mean(w, x):
    return np.mean(np.tanh(x @ w) * SCALE)


def test_calls_alternating_between_exact_size_specialisations_get_their_own_code():
    """np.mean's count is a constant: each batch size has its own code, found by the
    call's exact shapes; calls alternating between sizes get each its own, and a
    rebound global a new transformation."""
    global SCALE
    w = np.linspace(-1.0, 1.0, 3)
    xs = [np.linspace(0.0, 1.0, 3 * n).reshape(n, 3) for n in (4, 7)]
    g = sg.grad(scaled_mean)

    def want(x, scale):
        return scale * x.T @ (1.0 - np.tanh(x @ w) ** 2) / len(x)

    for x in xs + xs:
        np.testing.assert_allclose(g(w, x), want(x, 2.0), rtol=1e-12)
    saved, SCALE = SCALE, 3.0
    try:
        for x in xs:
            np.testing.assert_allclose(g(w, x), want(x, 3.0), rtol=1e-12)
    finally:
        SCALE = saved


def gaussian_penalty(w):
    return 0.5 * np.sum(np.exp(-w * w))


def gaussian_penalty_of_square(w):
    return 0.5 * np.exp(-w ** 2).sum()


def test_factors_of_an_elementwise_gradient_are_folded_across_products_and_negations():
    """0.5 * sum(exp(-w * w)): the two terms of `-w * w` (one, shared) are that term
    twice, and 0.5 * 2.0 goes: one product, `_exp * _negative`.  Of -(w ** 2):
    0.5, the negation and 2.0 are one factor -1.0."""
    w = np.random.default_rng(4).normal(size=20000)
    special = special_source(sg.grad(gaussian_penalty), w)
    assert 'dw = _exp\n    dw *= _negative\n' in special, special
    assert '0.5' not in special.split('# ---- grad')[1].split('\n', 2)[2], special
    special = special_source(sg.grad(gaussian_penalty_of_square), w)
    assert 'dw *= -1.0\n    dw *= w\n' in special and '2.0' not in special, special
    from s2sgrad.testing import check_grads
    for fn in (gaussian_penalty, gaussian_penalty_of_square):
        check_grads(fn, w[:7], order=2)
        np.testing.assert_allclose(sg.grad(fn)(w), -w * np.exp(-w * w), rtol=1e-13)


def inverse_root(x):
    return 0.5 * np.sum(1.0 / np.sqrt(x + 1.0))


def test_factors_fold_across_a_quotient():
    """(d * -0.5) / s * 0.5 (the rules of 1 / u and sqrt, then 0.5's): one factor,
    -0.25, after the quotient."""
    x = np.random.default_rng(5).uniform(size=20000)
    special = special_source(sg.grad(inverse_root), x)
    assert special.count('*= ') == 1 and '*= -0.25' in special, special
    from s2sgrad.testing import check_grads
    check_grads(inverse_root, x[:6], order=2)
    np.testing.assert_allclose(sg.grad(inverse_root)(x), -0.25 * (x + 1.0) ** -1.5, rtol=1e-13)


def squared_sum(x, y):
    return np.sum((x + y) ** 2)


def summed_sines(x, y, z):
    return np.sum(np.sin(x + y + z))


@pytest.mark.parametrize('fn, shape', [(squared_sum, (6,)), (squared_sum, (300, 40)),
                                       (summed_sines, (5, 2)), (summed_sines, ())])
def test_two_arguments_never_get_the_same_gradient_array(fn, shape):
    """x + y: both gradients are the same numbers, but a caller updating one in place
    (`dx *= lr`) must not change the other: the second is a copy, in the general
    code and in a shape specialisation (small and big arrays, 0-d arrays)."""
    rng = np.random.default_rng(9)
    args = [np.asarray(rng.normal(size=shape)) for _ in range(fn.__code__.co_argcount)]
    g = sg.grad(fn, wrt=tuple(range(len(args))))
    general = sg.grad(fn, wrt=tuple(range(len(args)))).compiled.function
    for grads in (g(*args), g(*args), general(*args)):
        for i, gi in enumerate(grads):
            for gj in grads[i + 1:]:
                assert gi is not gj and not np.shares_memory(gi, gj)
        np.testing.assert_array_equal(grads[0], grads[-1])


def gated_cell(weight, bias, hidden, cell, x):
    """An LSTM cell written as ADBench writes it: gates sliced by a size read off a shape."""
    gates = np.concatenate((x, hidden, x, hidden)) * weight + bias
    n = hidden.shape[0]
    forget = 1.0 / (1.0 + np.exp(-gates[0:n]))
    ingate = 1.0 / (1.0 + np.exp(-gates[n:2 * n]))
    outgate = 1.0 / (1.0 + np.exp(-gates[2 * n:3 * n]))
    cell = cell * forget + ingate * np.tanh(gates[3 * n:])
    return outgate * np.tanh(cell), cell


def gated_steps(weights, state, xs):
    state = state.copy()
    total = 0.0
    for x in xs:
        for i in range(0, len(state), 2):
            state[i], state[i + 1] = gated_cell(weights[i], weights[i + 1],
                                                state[i], state[i + 1], x)
            x = state[i]
        total += np.sum(x * x)
    return total


@pytest.mark.parametrize('n', [3, 5])
def test_slices_by_sizes_read_off_shapes_and_concatenations_have_known_shapes(n):
    """`gates[n:2 * n]` with n = hidden.shape[0], a concatenation, and a row written
    into a state carried by a loop have known shapes: nothing is summed back, a
    written row's gradient is the gradient's row, the gates' gradients are
    concatenated (passes/scatters.py), also in the nested loop walked back; the code holds for these sizes only, so each size gets its own."""
    rng = np.random.default_rng(n)
    weights, state, xs = rng.normal(size=(4, 4 * n)), rng.normal(size=(4, n)), \
        rng.normal(size=(3, n))
    g = sg.grad(gated_steps, wrt=(0, 1))
    special = special_source(g, weights, state, xs)
    assert '_sg_unbroadcast' not in special, special
    # the gradients of the rows written and of the gates: items and one concatenation
    assert '_sg_written_grad' not in special and 'np.concatenate((d' in special, special
    from s2sgrad.testing import check_grads
    check_grads(gated_steps, weights, state, xs, wrt=(0, 1), order=1)
    other = rng.normal(size=(4, 4 * (n + 1))), rng.normal(size=(4, n + 1)), \
        rng.normal(size=(3, n + 1))
    check_grads(gated_steps, *other, wrt=(0, 1), order=1)
    check_grads(gated_steps, weights, state, xs, wrt=(0, 1), order=1)


def kept_states(weights, state, xs):
    """ADBench's PyTorch LSTM: every step's state appended to a list, read back by index."""
    all_states = [state]
    total = 0.0
    for t in range(len(xs)):
        s = all_states[t]
        new = s * weights[0] + np.tanh(s * weights[1] + xs[t])
        all_states.append(new)
        total += np.sum(new * new)
    return total


def test_items_of_a_list_of_one_shape_have_it():
    rng = np.random.default_rng(3)
    weights, state, xs = rng.normal(size=(2, 4)) * 0.5, rng.normal(size=4), \
        rng.normal(size=(5, 4))
    g = sg.grad(kept_states, wrt=(0, 1))
    assert '_sg_unbroadcast' not in special_source(g, weights, state, xs)
    from s2sgrad.testing import check_grads
    check_grads(kept_states, weights, state, xs, wrt=(0, 1), order=1)
    # a list whose items differ in shape: each item's own shape, summed back where needed
    check_grads(kept_states, weights, state[:1], xs, wrt=(0, 1), order=1)


def sigmoid_sum(w, x):
    return np.sum(1.0 / (1.0 + np.exp(-(w * x))) * x)


def test_a_negation_of_a_product_of_a_negation_is_the_product():
    """A sigmoid's gradient, -(-g * y / u * e): g * y / u * e, the same numbers."""
    rng = np.random.default_rng(7)
    w, x = rng.normal(size=5), rng.normal(size=5)
    g = sg.grad(sigmoid_sum, wrt=(0, 1))
    special = special_source(g, w, x)
    assert '-(-' not in special, special
    from s2sgrad.testing import check_grads
    check_grads(sigmoid_sum, w, x, wrt=(0, 1), order=2)
