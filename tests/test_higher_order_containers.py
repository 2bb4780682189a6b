"""Derivatives of order 1 to 3 with respect to a list and a dict of arrays, and of
entries of a gradient with respect to a list: each order against central
differences of the order below (s2sgrad.testing.check_grads), in the spellings
users write (for-in over the list, range(len(...)), a helper, dict reads)."""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

RNG = np.random.default_rng(7)
X = RNG.normal(size=3)
LAYERS = [(RNG.normal(size=(3, 3)) * 0.5, RNG.normal(size=3)) for _ in range(2)]
MATRICES = [RNG.normal(size=(3, 3)) * 0.5 for _ in range(3)]
PARAMS = {'W': RNG.normal(size=(3, 2)), 'b': RNG.normal(size=2), 'n': 2}


def layers_for_in(x, layers):
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2)


def dense(h, W):
    return np.sin(np.dot(h, W))


def matrices_by_index(x, matrices):
    h = x
    for i in range(len(matrices)):
        h = dense(h, matrices[i])
    return np.sum(h * x)


def dict_model(x, p):
    z = x @ p['W'] + p['b']
    return np.sum(np.tanh(z) ** 2) * p['n']


CASES = [(layers_for_in, LAYERS), (matrices_by_index, MATRICES), (dict_model, PARAMS)]


@pytest.mark.parametrize('f, tree', CASES, ids=[f.__name__ for f, _ in CASES])
def test_orders_one_to_three_with_respect_to_a_container(f, tree):
    # sg.grad(sg.grad(sg.grad(f, wrt=1), wrt=1), wrt=1) against central differences
    check_grads(f, X, tree, wrt=1, order=3)
    check_grads(f, X, tree, wrt=0, order=3)


grad_wrt_layers = sg.grad(layers_for_in, wrt=1)
grad_wrt_params = sg.grad(dict_model, wrt=1)


def picks_from_the_list_gradient(x, layers):
    g = grad_wrt_layers(x, layers)
    return np.sum(g[0][0] * g[0][0]) + np.sum(g[1][1])


def picks_from_the_dict_gradient(x, p):
    g = grad_wrt_params(x, p)
    return np.sum(g['W'] ** 2) + np.sum(g['b'] * x[:2])


@pytest.mark.parametrize('f, tree', [(picks_from_the_list_gradient, LAYERS),
                                     (picks_from_the_dict_gradient, PARAMS)])
def test_derivatives_of_entries_of_a_gradient_with_respect_to_a_container(f, tree):
    # through a gradient w.r.t. a container: orders 1 to 3 w.r.t. x, 1 and 2 w.r.t.
    # the container itself (orders 2 to 4 of the function)
    check_grads(f, X, tree, wrt=0, order=3)
    check_grads(f, X, tree, wrt=1, order=2)


def test_a_third_derivative_of_the_whole_gradient_of_a_list():
    # the case that failed when it ran (a list's gradient broadcast like an array)
    third = sg.grad(sg.grad(sg.grad(layers_for_in, wrt=1), wrt=1), wrt=1)(X, LAYERS)
    assert isinstance(third, list) and len(third) == 2
    assert all(np.shape(g) == np.shape(v) for pair, layer in zip(third, LAYERS)
               for g, v in zip(pair, layer))
