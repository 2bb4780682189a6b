"""Calls with Python floats only run a specialisation of the same gradient.

Nothing can broadcast between floats, so the specialisation sums nothing back
to a shape: the gradient code is the bare chain rule.  Its numbers must be
those of the general code.
"""
import numpy as np

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


def rnn(W, U, xs, h):
    for x in xs:                        # x = xs[_i], _i from range(len(xs)): an int
        h = np.tanh(h @ W + x @ U)
    return np.sum(h * h)


def picks(x, k):
    total = 0.0
    for i in range(3):
        total = total + np.sum(x[i, 1:] * k)    # x[i, 1:]: a row of a known shape
    return total


def test_a_loop_over_an_array_knows_the_shapes_of_its_items():
    rng = np.random.default_rng(0)
    W, U = rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(3, 4))
    xs, h = rng.normal(size=(5, 2, 3)), rng.normal(size=(2, 4))
    g = sg.grad(rnn, wrt=(0, 1))
    g(W, U, xs, h)
    special = g.compiled_for((W, U, xs, h)).generated.source
    # no shape looked up when it runs, nothing saved only for its shape
    assert '_sg_unbroadcast' not in special and '_sg_shape_of' not in special, special
    from s2sgrad.testing import check_grads
    check_grads(rnn, W, U, xs, h, wrt=(0, 1), order=1)
    x = rng.normal(size=(3, 4))
    check_grads(picks, x, rng.normal(size=3), wrt=(0, 1), order=1)
