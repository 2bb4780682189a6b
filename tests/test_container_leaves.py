"""Leaves of a differentiated container that are not floats -- ints, bools, None,
strings, integer arrays -- are constants: the program reads them as Python does
(a number of steps, a branch on an activation's name, an optional bias), and the
gradient has None at each.  Checked against central differences (check_grads,
orders 1 and 2) and against autograd, run on the float leaves with the constants
closed over (autograd refuses an int leaf)."""
import os
from typing import NamedTuple

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

from test_errors import line_of

THIS_FILE = os.path.basename(__file__)
RNG = np.random.default_rng(3)
W = RNG.standard_normal((3, 3))
B = RNG.standard_normal(3)
X = RNG.standard_normal((4, 3))


def autograd_of(f, floats, constants, *rest):
    """autograd's gradient of f w.r.t. the float leaves of a dict (autograd.numpy in
    np's place), the constant leaves closed over."""
    autograd = pytest.importorskip('autograd')
    import autograd.numpy as anp
    saved = f.__globals__['np']
    f.__globals__['np'] = anp
    try:
        return autograd.grad(lambda fl, *a: f({**fl, **constants}, *a))(floats, *rest)
    finally:
        f.__globals__['np'] = saved


def split(params):
    floats = {k: v for k, v in params.items()
              if isinstance(v, (float, np.ndarray)) and np.issubdtype(np.asarray(v).dtype,
                                                                       np.floating)}
    return floats, {k: v for k, v in params.items() if k not in floats}


def assert_constants_have_none(grad, params):
    assert list(grad) == list(params)
    floats, constants = split(params)
    for k in constants:
        assert grad[k] is None, k
    for k in floats:
        assert np.shape(grad[k]) == np.shape(params[k]) and type(grad[k]) is type(params[k])


# ---- the programs -------------------------------------------------------------------
def steps_by_range(p, x):
    h = x
    for _ in range(p['n']):
        h = np.tanh(h @ p['W'])
    return np.sum(h ** 2)


def steps_by_while(p, x):
    h, i = x, 0
    while i < p['n']:
        h = np.tanh(np.dot(h, p['W']))
        i += 1
    return np.sum(h ** 2)


def branch_on_a_string(p, x):
    h = x @ p['W']
    if p['act'] == 'tanh':
        h = np.tanh(h)
    elif p['act'] == 'sin':
        h = np.sin(h)
    return np.sum(h ** 2)


def optional_bias(p, x):
    h = x @ p['W']
    if p['b'] is not None:
        h = h + p['b']
    if p['flag']:
        h = h * 2.0
    return np.sum(np.tanh(h) * p['scale'])


def integer_array_leaf(p, x):
    h = np.tanh(x @ p['W'])
    return np.sum(h[:, p['idx']] ** 2) + np.sum(h * p['weights'])


def helper(p, h):
    return np.tanh(h @ p['W']) if p['act'] == 'tanh' else np.sin(h @ p['W'])


def through_a_helper_and_items(p, x):
    total = 0.0
    for k, v in p.items():
        if k == 'W':
            total = total + np.sum(v ** 2)
    return total + np.sum(helper(p, x))


PROGRAMS = [
    (steps_by_range, {'W': W, 'n': 2}),
    (steps_by_range, {'n': 3, 'W': W}),
    (steps_by_while, {'W': W, 'n': 2}),
    (branch_on_a_string, {'W': W, 'act': 'tanh'}),
    (branch_on_a_string, {'W': W, 'act': 'sin'}),
    (branch_on_a_string, {'W': W, 'act': 'linear'}),
    (optional_bias, {'W': W, 'b': None, 'flag': True, 'scale': 3}),
    (optional_bias, {'W': W, 'b': B, 'flag': False, 'scale': 0.5}),
    (integer_array_leaf, {'W': W, 'idx': np.array([0, 2]), 'weights': np.array([1, -2, 3])}),
    (through_a_helper_and_items, {'W': W, 'act': 'sin'}),
]


@pytest.mark.parametrize('f, params', PROGRAMS,
                         ids=[f'{f.__name__}-{i}' for i, (f, _) in enumerate(PROGRAMS)])
def test_constant_leaves_are_read_and_get_no_gradient(f, params):
    grad = sg.grad(f)(params, X)
    assert_constants_have_none(grad, params)
    check_grads(f, params, X, order=1)
    floats, constants = split(params)
    want = autograd_of(f, floats, constants, X)
    for k in floats:
        np.testing.assert_allclose(grad[k], want[k], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('f, params', PROGRAMS)
def test_second_order_with_constant_leaves(f, params):
    # (second derivatives through loops are refused: see docs/models.md)
    got = sg.grad(sg.grad(f))(params, X)
    assert_constants_have_none(got, params)
    check_grads(f, params, X, order=2)


def test_each_call_takes_its_own_dicts_branch():
    """One specialisation serves dicts with other strings: the test is a branch when
    the code runs, never a value fixed when transforming."""
    dnet = sg.grad(branch_on_a_string)
    for act in ('tanh', 'sin', 'linear', 'tanh'):
        params = {'W': W, 'act': act}
        floats, constants = split(params)
        want = autograd_of(branch_on_a_string, floats, constants, X)
        np.testing.assert_allclose(dnet(params, X)['W'], want['W'], rtol=1e-10)


class Layer(NamedTuple):
    W: np.ndarray
    act: str
    times: int


def layers_of_namedtuples(layers, x):
    h = x
    for layer in layers:
        for _ in range(layer.times):
            h = h @ layer.W
            h = np.tanh(h) if layer.act == 'tanh' else h
    return np.sum(h ** 2)


def nested(tree, x):
    h = x @ tree['enc'][0]['W']
    if tree['enc'][0]['b'] is not None:
        h = h + tree['enc'][0]['b']
    for W, name in tree['dec']:
        h = np.tanh(h @ W) if name == 'tanh' else h @ W
    return np.sum(h ** 2) * tree['cfg']['scale']


def test_lists_tuples_namedtuples_and_nesting():
    layers = [Layer(W, 'tanh', 2), Layer(W.T.copy(), 'linear', 1)]
    got = sg.grad(layers_of_namedtuples)(layers, X)
    assert type(got) is list and all(type(g) is Layer for g in got)
    assert got[0].act is None and got[0].times is None and got[0].W.shape == (3, 3)
    check_grads(layers_of_namedtuples, layers, X, order=1)
    tree = {'enc': [{'W': W, 'b': None}], 'dec': [(W, 'tanh'), (W.T.copy(), 'id')],
            'cfg': {'scale': 2, 'name': 'm'}}
    got = sg.grad(nested)(tree, X)
    assert got['enc'][0]['b'] is None and got['dec'][0][1] is None
    assert got['cfg'] == {'scale': None, 'name': None}
    check_grads(nested, tree, X, order=1)


def test_value_and_grad_and_a_tuple_wrt():
    params = {'W': W, 'n': 2}
    value, (dparams, dx) = sg.value_and_grad(steps_by_range, wrt=(0, 1))(params, X)
    assert np.isclose(value, steps_by_range(params, X))
    assert dparams['n'] is None and dx.shape == X.shape
    check_grads(steps_by_range, params, X, wrt=(0, 1), order=1)


def test_an_objects_static_attributes_are_copied_not_none():
    """The rule for objects stays: non-float attributes are copied into the gradient
    (a dataclass's gradient is an instance, whose fields cannot be left out)."""
    class Model:
        def __init__(self):
            self.W, self.act, self.cfg = W, 'tanh', {'W2': W, 'n': 2}

    def f(m, x):
        h = np.tanh(x @ m.W) if m.act == 'tanh' else x
        for _ in range(m.cfg['n']):
            h = h @ m.cfg['W2']
        return np.sum(h ** 2)
    got = sg.grad(f)(Model(), X)
    assert got.act == 'tanh'
    assert got.cfg['n'] is None and got.cfg['W2'].shape == (3, 3)    # a dict inside: None
    check_grads(f, Model(), X, order=1)


# ---- what stays refused ---------------------------------------------------------------
def scaled_by(n, x):  # ERR
    return np.sum(x) * n


def test_an_int_argument_in_wrt_is_still_a_type_error():
    with pytest.raises(TypeError, match="argument 'n' of scaled_by .* must be a float") as err:
        sg.grad(scaled_by)(3, X)
    assert f'{THIS_FILE}:{line_of(scaled_by)}' in str(err.value)
    with pytest.raises(TypeError, match='must be a float or an array of floats'):
        sg.grad(scaled_by)(np.arange(3), X)


def test_a_container_with_no_float_leaf_is_a_type_error():
    with pytest.raises(TypeError, match="argument 'n' of scaled_by .* holds no float") as err:
        sg.grad(scaled_by)([3, 'a', None], X)
    assert f'{THIS_FILE}:{line_of(scaled_by)}' in str(err.value)
    with pytest.raises(TypeError, match='holds no float'):
        sg.grad(steps_by_range)({'n': 2, 'W': np.ones((3, 3), dtype=int)}, X)
