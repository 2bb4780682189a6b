"""Writes into a dict passed in are new versions of it (a shallow copy with one item
replaced), never a change of the caller's dict; reads after the write see the new
value, and the gradient flows through the versions.  Dict methods of a
differentiated dict (.get, .values(), dict(p), p.copy(), {**p, ...}) have
gradients.  Each program is checked against central differences of the same
program given a copy of the dict (Python's own semantics for a function that
copies first), at orders 1 and 2, and against autograd."""
import os

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

from test_containers import assert_same_tree, numerical
from test_errors import line_of

THIS_FILE = os.path.basename(__file__)
RNG = np.random.default_rng(5)
X = RNG.standard_normal((4, 3))


def params():
    return {'W': RNG.standard_normal((3, 3)), 'b': RNG.standard_normal(3), 'n': 2}


def copying(f):
    """f as Python runs it on a copy of its dict: what the transformed f computes."""
    def run(p, x):
        return f(dict(p), x)
    run.__name__ = f'copying_{f.__name__}'
    return run


def checked_grad(f):
    """sg.grad(f) at a fresh dict, which it must leave as it was; and autograd's
    gradient of f given a copy, which it must equal."""
    p = params()
    before = dict(p)
    got = sg.grad(f)(p, X)
    assert list(p) == list(before) and all(p[k] is before[k] for k in p)
    assert list(got) == list(p) and got['n'] is None
    want = autograd_of(copying(f), p, X)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-10, atol=1e-12)
    return p


def autograd_of(f, p, x):
    autograd = pytest.importorskip('autograd')
    import autograd.numpy as anp
    saved = f.__globals__['np']
    f.__globals__['np'] = anp
    floats = {k: v for k, v in p.items() if k != 'n'}
    try:
        return autograd.grad(lambda fl, x: f({**fl, 'n': p['n']}, x))(floats, x)
    finally:
        f.__globals__['np'] = saved


# ---- writes -------------------------------------------------------------------------------
def scale_in_place(p, x):
    p['W'] = p['W'] * 2.0
    return np.sum(np.tanh(x @ p['W'] + p['b']))


def through_another_name(p, x):
    q = p
    p['W'] = p['W'] * 2.0                 # q is the same dict: it sees the write
    return np.sum(np.tanh(x @ q['W'] + p['b']))


def a_new_key_and_del(p, x):
    p['c'] = p['b'] * 3.0
    del p['b']
    return np.sum(np.tanh(x @ p['W'] + p['c'])) + len(p)


def update_setdefault_pop(p, x):
    p.update({'W': p['W'] ** 2, 'z': x[0]})
    v = p.setdefault('b', x[1])
    u = p.setdefault('y', x[2] * 2.0)
    b = p.pop('b')
    return np.sum(np.tanh(x @ p['W'] + p['z'] + v + u + b)) + len(p)


def write_helper(d, s):
    d['W'] = d['W'] * s                   # the caller's variable sees the write


def in_a_helper(p, x):
    write_helper(p, 3.0)
    return np.sum(np.tanh(x @ p['W'] + p['b']))


def in_a_branch(p, x):
    if np.sum(x) > 0:
        p['W'] = p['W'] * 2.0
    else:
        p['b'] = np.sin(p['b'])
    p['W'] = p['W'] + p['b']
    return np.sum(np.tanh(x @ p['W'] + p['b']))


def in_a_loop(p, x):
    for _ in range(p['n']):
        p['W'] = np.tanh(p['W'] * 1.5)
        p['b'] = p['b'] + p['W'][0]
    return np.sum(np.tanh(x @ p['W'] + p['b']))


def items_after_a_write(p, x):
    p['b'] = p['b'] * p['W'][1]
    total = 0.0
    for k, v in p.items():
        if k != 'n':
            total = total + np.sum(v ** 2)
    return total


def in_a_tuple_built_here(p, x):
    pair = (p, x)
    p['W'] = p['W'] * 2.0                 # pair[0] is the same dict
    return np.sum(np.tanh(pair[1] @ pair[0]['W'] + p['b']))


WRITES = [scale_in_place, through_another_name, a_new_key_and_del, update_setdefault_pop,
          in_a_helper, in_a_branch, in_a_loop, items_after_a_write, in_a_tuple_built_here]


@pytest.mark.parametrize('f', WRITES)
def test_a_write_is_a_new_version_and_the_callers_dict_is_unchanged(f):
    p = checked_grad(f)
    check_grads(copying(f), p, X, order=1)
    np.testing.assert_allclose(sg.graph(f)(p, X), copying(f)(p, X), rtol=1e-12)


@pytest.mark.parametrize('f', WRITES)
def test_second_order_through_writes(f):
    p = params()
    check_grads(copying(f), p, X, order=2)
    got = sg.grad(sg.grad(f))(p, X)
    assert got['n'] is None


def test_the_written_version_is_what_grad_of_x_sees():
    def f(p, x):
        p['W'] = p['W'] * x[0, 0]
        return np.sum(x @ p['W'])
    p = params()
    check_grads(copying(f), p, X, wrt=1, order=2)


# ---- append to a list passed in -----------------------------------------------------------
def appends_a_layer(layers, x):
    layers.append((layers[0][0] * 2.0, layers[1][1]))
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2) + len(layers)


def appends_in_a_helper(layers, x):
    grow(layers, layers[-1][0].T)
    W, b = layers[2]
    return np.sum(np.tanh(x @ layers[0][0] + layers[0][1]) @ W) + np.sum(b)


def grow(layers, W):
    layers.append((W, layers[0][1] * 3.0))     # the caller's variable sees it


@pytest.mark.parametrize('f', [appends_a_layer, appends_in_a_helper])
def test_append_to_a_list_passed_in_is_a_new_version(f):
    layers = [(RNG.standard_normal((3, 3)), RNG.standard_normal(3)) for _ in range(2)]
    before = list(layers)
    got = sg.grad(f)(layers, X)
    assert len(layers) == 2 and all(a is b for a, b in zip(layers, before))
    assert type(got) is list and len(got) == 2 and type(got[0]) is tuple
    # central differences of Python's own run, on a copy
    assert_same_tree(got, numerical(lambda L, x: f(list(L), x), (layers, X)),
                     rtol=1e-5, atol=1e-7)


# ---- dict methods -------------------------------------------------------------------------
def by_get(p, x):
    return np.sum(np.tanh(x @ p.get('W') + p.get('b', 0.0) + p.get('missing', x[0])))


def by_values(p, x):
    values = list(p.values())
    return np.sum(np.tanh(x @ values[0] + values[1]))


def by_tuple_of_values(p, x):
    W, b, _ = tuple(p.values())
    return np.sum(np.tanh(x @ W + b))


def by_dict_copy(p, x):
    q = dict(p)
    q['W'] = q['W'] * 2.0                 # the copy only
    return np.sum(np.tanh(x @ q['W'] + p['b'])) + np.sum(p['W'])


def by_method_copy(p, x):
    q = p.copy()
    q['b'] = q['b'] * 2.0
    return np.sum(np.tanh(x @ q['W'] + q['b'])) + np.sum(p['b'])


def by_splat(p, x):
    q = {**p, 'W': p['W'].T, 'extra': x[0]}
    q['W'] = q['W'] * 2.0
    return np.sum(np.tanh(x @ q['W'] + q['b'] + q['extra'])) + np.sum(p['W'][0])


def by_keys(p, x):
    total = 0.0
    for k in p.keys():
        if k != 'n':
            total = total + np.sum(p[k] ** 2)
    return total


METHODS = [by_get, by_values, by_tuple_of_values, by_dict_copy, by_method_copy, by_splat, by_keys]


@pytest.mark.parametrize('f', METHODS)
def test_dict_methods_have_gradients(f):
    p = checked_grad(f)
    check_grads(copying(f), p, X, order=1)
    check_grads(copying(f), p, X, order=2)


def default_times_entry(x, p):
    return np.sum(p.get('b', x) * p.get('missing', x))


def default_in_a_helper(x, p):
    def pick(d, key, fallback):
        return d.get(key, fallback)
    return np.sum(np.tanh(pick(p, 'b', x)) * pick(p, 'absent', x) ** 2)


def default_scalar(x, p):
    return np.sum(np.sin(p.get('W', x)) * p.get('missing', x))


@pytest.mark.parametrize('f, x', [(default_times_entry, X[0]), (default_in_a_helper, X[0]),
                                  (default_scalar, 0.7)])
@pytest.mark.parametrize('has_key', [True, False])
def test_a_defaults_higher_derivatives_where_the_key_is_there_or_not(f, x, has_key):
    # the default's gradient is None where the dict has the key: its second order
    # multiplied that None (found by the fuzzer: a TypeError inside generated code)
    p = {'b': RNG.standard_normal(3), 'W': RNG.standard_normal((2, 3)), 'n': 2}
    if not has_key:
        p = {'c': RNG.standard_normal(3), 'n': 2}
    check_grads(f, x, p, order=3)
    check_grads(f, x, p, wrt=(0, 1), order=1)


def test_the_generated_code_shows_the_versions():
    source = sg.grad(scale_in_place).source_for(params(), X)
    assert "_sg_replaced(p, 'W'," in source


# ---- what is refused, at the line -------------------------------------------------------
def into_an_item_of_another_container(p, x):
    q = p['inner']
    q['W'] = q['W'] * 2.0  # ERR
    return np.sum(x @ q['W'])


def after_a_list_holds_it(p, x):
    kept = []
    for _ in range(2):
        kept.append(p)
    p['W'] = p['W'] * 2.0  # ERR
    return np.sum(x @ kept[0]['W'])


def kept_by_a_loop(p, x):
    kept = []
    for _ in range(2):
        p['W'] = p['W'] * 2.0  # ERR
        kept.append(p)
    return np.sum(x @ kept[0]['W'])


def another_name_through_a_branch(p, x):
    q = p
    if np.sum(x) > 0:
        p['W'] = p['W'] * 2.0
    p['W'] = p['W'] + 1.0  # ERR
    return np.sum(x @ q['W'])


def one_of_two_dicts(p, x):
    q = p if np.sum(x) > 0 else p['inner']
    q['W'] = q['W'] * 2.0  # ERR
    return np.sum(x @ p['W'])


def one_of_two_arguments(p, x, r):
    q = p if np.sum(x) > 0 else r
    q['W'] = q['W'] * 2.0  # ERR
    return np.sum(x @ p['W']) + np.sum(r['W'])


def update_with_a_dict_passed_in(p, x):
    p.update(p['inner'])  # ERR
    return np.sum(x @ p['W'])


def splat_after_items(p, x):
    q = {'c': x[0], **p}  # ERR
    return np.sum(q['c'])


@pytest.mark.parametrize('f, match', [
    (into_an_item_of_another_container, 'not an argument nor a copy made here'),
    (after_a_list_holds_it, 'it is held by the value made at'),
    (kept_by_a_loop, 'in a loop whose iterations keep it'),
    (update_with_a_dict_passed_in, 'update'),
    (another_name_through_a_branch, "'q' may be the same dict"),
    (one_of_two_dicts, 'not an argument nor a copy made here'),
    (one_of_two_arguments, "'p' may be the same dict"),
    (splat_after_items, 'dict built here'),
])
def test_writes_the_lowering_cannot_follow_are_refused_at_the_line(f, match):
    p = params()
    p['inner'] = {'W': p['W']}
    with pytest.raises(sg.TransformError, match=match) as err:
        sg.grad(f)(p, X, *([dict(p)] if f is one_of_two_arguments else []))
    assert f'{THIS_FILE}:{line_of(f)}' in str(err.value)


def test_dict_of_a_value_that_is_not_a_dict_is_a_type_error_when_it_runs():
    def f(p, x):
        q = dict(p)  # ERR
        return np.sum(x @ q['W'])
    with pytest.raises(TypeError, match='only a dict is copied here') as err:
        sg.grad(f)(np.ones((3, 3)), X)
    assert f'{THIS_FILE}:{line_of(f)}' in ' '.join(err.value.__notes__)


def test_reads_that_keep_nothing_allow_a_write_after_them():
    def f(p, x):
        total = len(p) + ('W' in p) + sum(1 for k in p if k != 'n')
        p['W'] = p['W'] * total
        return np.sum(x @ p['W'])
    check_grads(copying(f), params(), X, order=1)


def walk_keys(q):
    total = 0.0
    for k in q:
        if k == 'W' or k == 'b':
            total = total + np.sum(q[k] ** 2)
    return total + sum(1 for k in q if k != 'n')


def walks_dict_of(p, x):
    return walk_keys(dict(p))


def walks_method_copy(p, x):
    return walk_keys(p.copy())


def walks_splat(p, x):
    return walk_keys({**p})


def walks_splat_with_a_key(p, x):
    return walk_keys({**p, 'c': x[0]})


def walks_comprehension(p, x):
    return walk_keys({k: p[k] for k in p})


def walks_written(p, x):
    p['W'] = p['W'] * 2.0
    return walk_keys(p)


@pytest.mark.parametrize('f', [walks_dict_of, walks_method_copy, walks_splat,
                               walks_splat_with_a_key, walks_comprehension, walks_written])
def test_a_copy_or_version_iterates_its_keys(f):
    """A loop over a copy of a dict (or a version of one) walks its keys, as Python's."""
    check_grads(copying(f), params(), X, order=1)


def test_a_write_at_a_key_known_only_when_the_code_runs_fails_at_the_line():
    def f(p, x):
        for k in p:
            p[k] = p[k] * 2.0  # ERR
        return np.sum(x @ p['W'])
    with pytest.raises(IndexError) as err:
        sg.grad(f)({'W': np.ones((3, 3))}, X)
    assert f'{THIS_FILE}:{line_of(f)}' in ' '.join(err.value.__notes__)


def nested_write(p, x):
    model = {'params': p, 'x': x}
    model['params']['W'] = model['params']['W'] * 2.0   # p is that dict: it sees the write
    return np.sum(np.tanh(x @ p['W'] + model['params']['b']))


def test_a_write_through_a_dict_built_here_reaches_every_holder():
    checked_grad(nested_write)
    check_grads(copying(nested_write), params(), X, order=2)


# ---- writes into arrays that a container, a loop or an unpacking handed out -----------
# Each of these was a silent wrong result: the write reached a copy (or a version of the
# walked sequence) that the container, the array walked or a later read did not see.
def writes_into_a_list_item(ws, x):
    ws[0][0] = x[0]  # ERR
    return np.sum(ws[0] * x) + np.sum(ws[1])


def writes_into_a_dict_item(p, x):
    p['h'][0] = x[0]  # ERR
    return np.sum(p['h'] * x)


def adds_into_a_dict_item(p, x):
    h = p['h']
    p['h'] += x  # ERR
    return np.sum(h * x) + np.sum(p['h'])


def writes_into_a_row_of_a_loop(X, x):
    for row in X:
        row[0] = x[0]  # ERR
    return np.sum(X * X)


def writes_into_a_list_item_of_a_loop(ws, x):
    s = 0.0
    for w in ws:
        w[0] = x[0]  # ERR
        s = s + np.sum(w * x)
    return s + np.sum(ws[0])


def writes_into_an_unpacked_item(layers, x):
    W, b = layers[0]
    W[0] = x[0]  # ERR
    return np.sum(layers[0][0] * x)


def writes_into_an_item_of_items(p, x):
    for k, v in p.items():
        v[0] = x[0]  # ERR
    return np.sum(p['h'] * x)


@pytest.mark.parametrize('f, arg', [
    (writes_into_a_dict_item, lambda: {'h': RNG.standard_normal(3)}),
    (adds_into_a_dict_item, lambda: {'h': RNG.standard_normal(3)}),
    (writes_into_a_row_of_a_loop, lambda: RNG.standard_normal((2, 3))),
    (writes_into_a_list_item_of_a_loop, lambda: [RNG.standard_normal(3) for _ in range(2)]),
    (writes_into_an_unpacked_item, lambda: [(RNG.standard_normal(3), RNG.standard_normal(3))]),
    (writes_into_an_item_of_items, lambda: {'h': RNG.standard_normal(3)}),
])
@pytest.mark.parametrize('wrt', [0, 1])
def test_a_write_into_an_array_handed_out_is_refused_at_the_line(f, arg, wrt):
    with pytest.raises(sg.TransformError) as err:
        sg.grad(f, wrt=wrt)(arg(), RNG.standard_normal(3))
    assert f'{THIS_FILE}:{line_of(f)}' in str(err.value)


@pytest.mark.parametrize('ws', [[np.ones(3), np.ones(3)], (np.ones(3), np.ones(3))])
def test_a_write_into_an_array_of_a_list_argument_is_refused_when_it_runs(ws):
    with pytest.raises(TypeError, match='writing into an array read from a') as err:
        sg.grad(writes_into_a_list_item, wrt=1)(ws, RNG.standard_normal(3))
    assert f'{THIS_FILE}:{line_of(writes_into_a_list_item)}' in ' '.join(err.value.__notes__)


def writes_through_one_name(r, p, p2):  # ERR
    p2['b'] = p2['b'] * 0.5 + r
    return np.sum(p['b'] * 1.0)


@pytest.mark.parametrize('transform', [sg.grad, sg.value_and_grad, sg.graph])
def test_one_dict_in_two_places_of_a_function_that_writes_is_a_type_error(transform):
    # each name got its own version: Python's value without the aliasing, silently
    d, r = {'b': RNG.standard_normal(3)}, RNG.standard_normal(3)
    with pytest.raises(TypeError, match='one dict or list in two places') as err:
        transform(writes_through_one_name)(r, d, d)
    assert f'{THIS_FILE}:{line_of(writes_through_one_name)}' in str(err.value)
    with pytest.raises(TypeError, match='one dict or list in two places'):
        transform(writes_through_one_name)(r, d, {'b': [d]})
    np.testing.assert_allclose(sg.grad(writes_through_one_name)(r, d, dict(d)), np.zeros(3))
