"""Globals, closure cells and attributes read when a function runs, as Python reads them.

A transformation reads them once (it folds values in, picks branches, inlines
helpers); each read is guarded (s2sgrad/frontend/guards.py) and the function
is transformed again when one would give something else.  Every test here
rebinds or mutates something between calls and compares with the original
Python function (and its gradient with central differences).
"""
import types

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

SCALE = 2.0
POWER = 2
W = np.array([1.0, 2.0, 3.0])
USE_SIN = True
LAYERS = [np.array([0.5, 1.0, 1.5])]
CONFIG = types.SimpleNamespace(scale=3.0, inner=types.SimpleNamespace(shift=0.5),
                               weights=np.array([1.0, -1.0, 2.0]))
COEFFS = np.array([1.0, 0.5, 0.25])
TABLE = {'a': 1.0}


@pytest.fixture(autouse=True)
def restore_globals():
    saved = {name: globals()[name] for name in
             ('SCALE', 'POWER', 'W', 'USE_SIN', 'LAYERS', 'CONFIG', 'COEFFS', 'TABLE',
              'helper')}
    saved_w, saved_coeffs = W.copy(), COEFFS.copy()
    yield
    globals().update(saved)
    W[...] = saved_w
    COEFFS[...] = saved_coeffs


def uses_scale(x):
    return np.sum(np.sin(x) * SCALE)


def uses_scale_and_array(x):
    return np.sum(np.tanh(x) * SCALE * W)


def uses_power(x):
    return np.sum(x ** POWER)


def branches_on_flag(x):
    if USE_SIN:
        return np.sum(np.sin(x))
    return np.sum(np.cos(x))


def helper(x):
    return x * SCALE


def times_seven(x):
    return x * 7.0


def calls_helper(x):
    return np.sum(helper(x) ** 2)


def loops_over_layers(x):
    for w in LAYERS:
        x = np.tanh(x * w)
    return np.sum(x)


def reads_attributes(x):
    return np.sum(x * CONFIG.scale + CONFIG.inner.shift) + np.sum(CONFIG.weights * x)


def folds_an_item(x):
    # (float(): an np.float64 constant is written into the source by its repr,
    # which NumPy 2 spells `np.float64(...)`, a separate issue)
    return np.sum(x * float(COEFFS[0])) + np.sum(x ** 2) * float(COEFFS[2]) + \
        np.sum(x[1:] * COEFFS[1:])


def branches_on_an_item(x):
    if COEFFS[0] > 0:
        return np.sum(np.sin(x))
    return np.sum(np.cos(x))


def reads_a_dict(x):
    return np.sum(x) * TABLE['a']


def scalar_uses_scale(x, y):
    return np.sin(x * y) * SCALE + y * SCALE


def make_closure(factor):
    def closed(x):
        return np.sum(np.exp(x * factor))

    def rebind(value):
        nonlocal factor
        factor = value
    return closed, rebind


X = np.array([0.3, -0.7, 1.2])


def numerical_grad(fn, args, k, h=1e-6):
    """Central differences of fn w.r.t. argument k (a float or an array), in float64."""
    x = np.array(args[k], dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        plus = list(args)
        minus = list(args)
        plus[k], minus[k] = x + step, x - step
        grad[i] = (np.sum(fn(*plus)) - np.sum(fn(*minus))) / (2 * h)
    return grad


def transforms(fn):
    """Each public way of running fn: the graph, grad, value_and_grad, grad of grad."""
    return {'graph': sg.graph(fn), 'grad': sg.grad(fn), 'value_and_grad': sg.value_and_grad(fn)}


def check_all(fn, made, x=X):
    expected = fn(x)
    np.testing.assert_allclose(made['graph'](x), expected, rtol=1e-12)
    value, grad = made['value_and_grad'](x)
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    reference = numerical_grad(fn, (x,), 0)
    np.testing.assert_allclose(grad, reference, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(made['grad'](x), reference, rtol=1e-6, atol=1e-8)


def rebind(name, value):
    globals()[name] = value


CASES = [
    (uses_scale, lambda: rebind('SCALE', 5.0)),
    (uses_scale, lambda: rebind('SCALE', -0.5)),
    (uses_scale_and_array, lambda: rebind('SCALE', 5.0)),
    (uses_scale_and_array, lambda: rebind('W', np.array([3.0, 2.0, 1.0]))),
    (uses_scale_and_array, lambda: W.__setitem__(0, 10.0)),        # in place
    (uses_scale_and_array, lambda: W.__imul__(-2.0)),
    (uses_power, lambda: rebind('POWER', 3)),
    (uses_power, lambda: rebind('POWER', 4.0)),
    (branches_on_flag, lambda: rebind('USE_SIN', False)),
    (calls_helper, lambda: rebind('SCALE', 4.0)),
    (calls_helper, lambda: rebind('helper', times_seven)),
    (loops_over_layers, lambda: LAYERS.append(np.array([2.0, 1.0, 0.5]))),
    (loops_over_layers, lambda: rebind('LAYERS', [np.ones(3), 2 * np.ones(3)])),
    (loops_over_layers, lambda: LAYERS[0].__imul__(3.0)),
    (reads_attributes, lambda: setattr(CONFIG, 'scale', -1.0)),
    (reads_attributes, lambda: setattr(CONFIG.inner, 'shift', 4.0)),
    (reads_attributes, lambda: rebind('CONFIG', types.SimpleNamespace(
        scale=1.5, inner=types.SimpleNamespace(shift=0.0), weights=np.zeros(3)))),
    (reads_attributes, lambda: CONFIG.weights.__setitem__(1, 7.0)),
    (folds_an_item, lambda: COEFFS.__setitem__(0, -3.0)),
    (folds_an_item, lambda: COEFFS.__setitem__(2, 10.0)),
    (folds_an_item, lambda: COEFFS.__setitem__(1, 6.0)),
    (branches_on_an_item, lambda: COEFFS.__setitem__(0, -1.0)),
    (reads_a_dict, lambda: TABLE.__setitem__('a', 4.0)),
]


@pytest.mark.parametrize('fn, change', CASES,
                         ids=[f'{fn.__name__}-{k}' for k, (fn, _) in enumerate(CASES)])
def test_a_change_between_calls_is_seen(fn, change):
    made = transforms(fn)
    check_all(fn, made)
    change()
    check_all(fn, made)


@pytest.mark.parametrize('fn, change', CASES,
                         ids=[f'{fn.__name__}-{k}' for k, (fn, _) in enumerate(CASES)])
def test_a_change_between_transform_and_first_call_is_seen(fn, change):
    made = transforms(fn)
    made['grad'].source             # transformed now, called later
    made['graph'].source
    change()
    check_all(fn, made)


def test_source_shows_the_code_that_runs():
    made = sg.grad(uses_scale)
    made(X)
    assert '2.0' in made.source
    rebind('SCALE', 7.25)
    assert '7.25' in made.source and '2.0' not in made.source
    np.testing.assert_allclose(made(X), 7.25 * np.cos(X))


def test_closure_cell_rebound():
    closed, set_factor = make_closure(0.5)
    made = transforms(closed)
    check_all(closed, made)
    set_factor(-2.0)
    check_all(closed, made)


@pytest.mark.parametrize('spelling', [float, np.float64, np.array])
def test_scalar_arguments(spelling):
    dg = sg.value_and_grad(scalar_uses_scale, wrt=(0, 1))
    args = (spelling(0.4), spelling(1.3))
    for scale in (2.0, 3.5, -1.0):
        rebind('SCALE', scale)
        value, grads = dg(*args)
        np.testing.assert_allclose(value, scalar_uses_scale(*args), rtol=1e-12)
        for k in (0, 1):
            np.testing.assert_allclose(grads[k], numerical_grad(scalar_uses_scale, args, k),
                                       rtol=1e-6)


def test_grad_of_grad_and_grad_inside_a_graph():
    second = sg.grad(sg.grad(scalar_uses_scale))
    inner = sg.grad(scalar_uses_scale)

    @sg.graph
    def uses_inner(x, y):
        return inner(x, y) * 2.0

    for scale in (2.0, -3.0):
        rebind('SCALE', scale)
        # d2/dx2 of sin(x y) * SCALE
        np.testing.assert_allclose(second(0.4, 1.3), -SCALE * 1.3 ** 2 * np.sin(0.4 * 1.3),
                                   rtol=1e-10)
        np.testing.assert_allclose(uses_inner(0.4, 1.3), 2.0 * SCALE * 1.3 * np.cos(0.4 * 1.3),
                                   rtol=1e-10)


def test_gradients_inside_a_graph():
    @sg.graph
    def with_site(x):
        y = np.sum(np.sin(x) * SCALE * W)
        (g,) = sg.gradients(y, x)
        return g

    for change in (lambda: None, lambda: rebind('SCALE', 3.0), lambda: W.__setitem__(1, 0.0)):
        change()
        np.testing.assert_allclose(with_site(X), SCALE * W * np.cos(X), rtol=1e-12)


def test_an_equal_value_rebound_is_not_transformed_again():
    made = sg.grad(uses_scale)
    made(X)
    compiled = made.compiled
    rebind('SCALE', float('2.0'))             # another object, the same value
    made(X)
    assert made.compiled is compiled
    rebind('SCALE', -0.0 + 2.5)
    made(X)
    assert made.compiled is not compiled


def test_check_grads_after_each_change():
    for scale in (1.0, 4.0):
        rebind('SCALE', scale)
        check_grads(uses_scale_and_array, X)
