"""`sg.gradients(ys, xs)` inside `@sg.graph` with xs any nesting of lists, tuples and
dicts of values, container arguments themselves among them: the gradients come
back in the structure of xs (a list for a list, as tf.gradients; nested lists,
tuples and dicts as they were, as tf.nest packs them).  ys may be nested too
(summed over its leaves), grad_ys then matching it leaf by leaf.  Checked
against sg.grad of the same loss and central differences."""
import os
from typing import NamedTuple

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

from test_containers import assert_same_tree
from test_errors import line_of

RNG = np.random.default_rng(7)
THIS_FILE = os.path.basename(__file__)


class Layer(NamedTuple):
    W: np.ndarray
    b: np.ndarray


def loss(p, x):
    h = np.tanh(x @ p['W'] + p['b'])
    return np.sum(h * p['W'][0])


def loss_twice(p, x):                # p['W'] read at two places: both count
    return loss(p, x) + np.sum(p['W'] ** 2)


def params():
    return {'W': RNG.standard_normal((3, 3)), 'b': RNG.standard_normal(3)}


@pytest.mark.parametrize('f', [loss, loss_twice])
def test_a_dict_argument_and_its_items_nested_in_xs(f):
    @sg.graph
    def grads(p, x):
        y = f(p, x)
        return sg.gradients(y, [p, {'a': [p['W']], 'b': (p['b'],)}])

    p, x = params(), RNG.standard_normal((4, 3))
    dp, inner = grads(p, x)
    want = sg.grad(f)(p, x)
    check_grads(f, p, x, order=1)
    assert_same_tree(dp, want)
    assert type(inner) is dict and list(inner) == ['a', 'b']
    assert type(inner['a']) is list and type(inner['b']) is tuple
    np.testing.assert_allclose(inner['a'][0], want['W'])
    np.testing.assert_allclose(inner['b'][0], want['b'])
    assert inner['a'][0] is not dp['W']          # two xs never share an array


def test_a_read_kept_in_a_variable_counts_every_read_of_the_same_item():
    @sg.graph
    def grads(p, x):
        W = p['W']
        y = np.sum(np.tanh(x @ W)) + np.sum(p['W'] ** 2)
        return sg.gradients(y, W)

    p, x = params(), RNG.standard_normal((4, 3))
    [dW] = grads(p, x)
    f = lambda p, x: np.sum(np.tanh(x @ p['W'])) + np.sum(p['W'] ** 2)   # noqa: E731
    np.testing.assert_allclose(dW, sg.grad(f)(p, x)['W'])


def test_an_item_of_an_array_argument_is_its_own_value():
    @sg.graph
    def grads(x):
        y = np.sum(x[0] ** 2) + np.sum(x[0] * 3.0)
        row = x[0]
        return sg.gradients(y, [x, row])

    x = RNG.standard_normal((2, 3))
    dx, drow = grads(x)
    np.testing.assert_allclose(dx[0], 2 * x[0] + 3.0)
    assert drow is None                         # a new array: no path from it


def test_a_list_of_layer_tuples_and_namedtuples():
    def net(layers, x):
        h = x
        for W, b in layers:
            h = np.tanh(h @ W + b)
        return np.sum(h)

    @sg.graph
    def grads(layers, x):
        b0 = layers[0][1]           # read by index: this read's own value
        h = np.tanh(x @ layers[0][0] + b0)
        y = np.sum(np.tanh(h @ layers[1].W + layers[1].b))
        return sg.gradients(y, [layers, [layers[1].W, (b0,)]])

    layers = [(RNG.standard_normal((3, 3)), RNG.standard_normal(3)),
              Layer(RNG.standard_normal((3, 2)), RNG.standard_normal(2))]
    x = RNG.standard_normal((4, 3))
    dlayers, (dW1, (db0,)) = grads(layers, x)
    want = sg.grad(net)(layers, x)
    assert type(dlayers[0]) is tuple and type(dlayers[1]) is Layer
    assert_same_tree(dlayers, want)
    np.testing.assert_allclose(dW1, want[1].W)
    np.testing.assert_allclose(db0, want[0][1])
    check_grads(net, layers, x, order=1)


def test_values_of_the_function_in_a_nested_structure_and_a_dict_at_the_top():
    @sg.graph
    def grads(W, b, x):
        h = x @ W
        y = np.sum(np.sin(h + b))
        return (sg.gradients(y, (W, [b, (h,)])),
                sg.gradients(y, {'W': W, 'inner': {'b': b}}))

    W, b, x = RNG.standard_normal((3, 2)), RNG.standard_normal(2), RNG.standard_normal((4, 3))
    (dW, (db, (dh,))), by_name = grads(W, b, x)
    c = np.cos(x @ W + b)
    np.testing.assert_allclose(dW, x.T @ c)
    np.testing.assert_allclose(db, c.sum(0))
    np.testing.assert_allclose(dh, c)
    assert list(by_name) == ['W', 'inner'] and list(by_name['inner']) == ['b']
    np.testing.assert_allclose(by_name['W'], dW)
    np.testing.assert_allclose(by_name['inner']['b'], db)


def test_unconnected_leaves_of_a_container_are_none_or_zeros():
    @sg.graph
    def grads(p, q, x, zero):
        y = np.sum(x @ p['W'])
        if zero:
            return sg.gradients(y, [p, q, p['b']], unconnected_gradients='zero')
        return sg.gradients(y, [p, q, p['b']])

    p, x = params(), RNG.standard_normal((4, 3))
    q = {'c': np.ones(2), 'n': 3}
    dp, dq, db = grads(p, q, x, False)
    assert dp['b'] is None and db is None and dq is None    # (q: no path at all)
    np.testing.assert_allclose(dp['W'], sg.grad(lambda p: np.sum(x @ p['W']))(p)['W'])
    dp, dq, db = grads(p, q, x, True)
    np.testing.assert_array_equal(dp['b'], np.zeros(3))
    np.testing.assert_array_equal(db, np.zeros(3))
    np.testing.assert_array_equal(dq['c'], np.zeros(2))
    assert dq['n'] == 0                         # an integer: zeros, as for an integer x


def test_nested_ys_grad_ys_and_stop_gradients():
    @sg.graph
    def grads(a, b):
        c = a * b
        ys = [c, {'sum': np.sum(c * a)}]
        weights = [np.ones(3), {'sum': 2.0}]
        return (sg.gradients(ys, [a, b]),
                sg.gradients(ys, [a, b], grad_ys=weights),
                sg.gradients(ys, [a, b], stop_gradients=[(c,)]))

    a, b = RNG.standard_normal(3), RNG.standard_normal(3)
    (da, db), (da2, db2), (da3, db3) = grads(a, b)
    np.testing.assert_allclose(da, b + 2 * a * b)
    np.testing.assert_allclose(db, a + a * a)
    np.testing.assert_allclose(da2, b + 4 * a * b)
    np.testing.assert_allclose(db2, a + 2 * a * a)
    np.testing.assert_allclose(da3, a * b)      # c a constant: only c * a's own a
    assert db3 is None


def test_objects_and_namedtuples_as_xs():
    class Model:
        def __init__(self):
            self.W = RNG.standard_normal((3, 2))
            self.name = 'm'

    def f(model, state, x):
        return np.sum(np.tanh(x @ model.W) * state.b)

    @sg.graph
    def grads(model, state, x):
        return sg.gradients(f(model, state, x), [model, {'state': state}])

    model, state, x = Model(), Layer(np.ones(2), RNG.standard_normal(2)), RNG.standard_normal((4, 3))
    dmodel, inner = grads(model, state, x)
    assert type(dmodel) is Model and dmodel.name == 'm'
    assert type(inner['state']) is Layer and inner['state'].W is None
    np.testing.assert_allclose(dmodel.W, sg.grad(f)(model, state, x).W)
    np.testing.assert_allclose(inner['state'].b, sg.grad(f, wrt=1)(model, state, x).b)


def test_grad_ys_of_another_structure_is_an_error_at_the_line():
    @sg.graph
    def grads(a):
        return sg.gradients([a, {'b': a * 2.0}], [a], grad_ys=[1.0])  # ERR

    with pytest.raises(ValueError, match=r'Passed 1 grad_ys for 2 ys') as info:
        grads(1.0)
    assert f'{THIS_FILE}:{line_of(grads.python_function)}' in str(info.value)


def gradient_norm(p, x):
    y = np.sum(np.tanh(x @ p['W']) * p['b'])
    dW, (db,) = sg.gradients(y, [p['W'], (p['b'],)])
    return np.sum(dW ** 2) + np.sum(db * p['b'])


def row_gradient_norm(x):
    y = np.sum(np.sin(x[0]) * x[1])
    row = x[0]
    dx, drow = sg.gradients(y, [x, row])
    return np.sum(dx ** 2) + (0.0 if drow is None else np.sum(drow))


@pytest.mark.parametrize('f, make', [
    (gradient_norm, lambda: (params(), RNG.standard_normal((4, 3)))),
    (row_gradient_norm, lambda: (RNG.standard_normal((2, 3)),))])
def test_second_order_through_the_gradient_of_a_read(f, make):
    args = make()
    check_grads(sg.graph(f), *args, order=1)
