"""Containers as differentiated arguments: dicts, lists, tuples, NamedTuples and their
nesting, with float arrays and floats as leaves.  The gradient has the argument's
structure and types; each model is checked against central differences and,
where autograd runs the same program, against autograd."""
import os
from typing import NamedTuple

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import _replaced as replaced     # (a copy, one leaf replaced)

from test_errors import line_of

THIS_FILE = os.path.basename(__file__)
RNG = np.random.default_rng(0)


# ---- central differences over a container's leaves -------------------------------------
def leaves(tree, path=()):
    """(path, leaf) of each float array or float of a container."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from leaves(v, path + (k,))
    elif isinstance(tree, (list, tuple)):
        for i, v in enumerate(tree):
            yield from leaves(v, path + (i,))
    elif isinstance(tree, (float, np.ndarray)):
        yield path, tree
    elif hasattr(tree, '__dict__'):         # an object (tests/test_objects.py)
        for k, v in vars(tree).items():
            yield from leaves(v, path + (k,))


def numerical(f, args, wrt=0, eps=1e-6):
    """Central differences of f's output w.r.t. every leaf of args[wrt], in its structure."""
    tree = args[wrt]
    grad = tree
    for path, leaf in leaves(tree):
        arr = np.array(leaf, dtype=float)
        g = np.zeros_like(arr)
        for i in np.ndindex(arr.shape):
            for sign in (1, -1):
                moved = arr.copy()
                moved[i] += sign * eps
                new = float(moved) if isinstance(leaf, float) else moved
                call = list(args)
                call[wrt] = replaced(tree, path, new)
                g[i] += sign * np.sum(f(*call)) / (2 * eps)
        grad = replaced(grad, path, float(g) if isinstance(leaf, float) else g)
    return grad


def assert_same_tree(got, want, rtol=1e-5, atol=1e-7):
    """The same structure and types, leaves close."""
    assert type(got) is type(want), (type(got), type(want))
    if isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            assert_same_tree(got[k], want[k], rtol, atol)
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for a, b in zip(got, want):
            assert_same_tree(a, b, rtol, atol)
    elif hasattr(want, '__dict__'):
        assert list(vars(got)) == list(vars(want))
        for k in vars(want):
            assert_same_tree(getattr(got, k), getattr(want, k), rtol, atol)
    elif not isinstance(want, (float, np.ndarray)):
        assert got == want          # an object's static attribute: copied
    else:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
        if isinstance(want, np.ndarray):
            assert got.shape == want.shape and got.dtype == want.dtype


def check(f, *args, wrt=0):
    before = [leaf.copy() for _, leaf in leaves(args[wrt]) if isinstance(leaf, np.ndarray)]
    got = sg.grad(f, wrt=wrt)(*args)
    after = [leaf for _, leaf in leaves(args[wrt]) if isinstance(leaf, np.ndarray)]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))     # never modified
    assert_same_tree(got, numerical(f, args, wrt), rtol=1e-4, atol=1e-6)
    return got


def with_autograd(f, *args, wrt=0):
    """autograd's gradient of the same program (autograd.numpy in np's place)."""
    autograd = pytest.importorskip('autograd')
    import autograd.numpy as anp
    saved = f.__globals__['np']
    f.__globals__['np'] = anp
    try:
        return autograd.grad(f, wrt)(*args)
    finally:
        f.__globals__['np'] = saved


# ---- the models -----------------------------------------------------------------------
def mlp(params, x, t):
    h = np.tanh(x @ params['W1'] + params['b1'])
    y = h @ params['W2'] + params['b2']
    return np.mean((y - t) ** 2)


def dict_params():
    return {'W1': RNG.standard_normal((3, 4)), 'b1': RNG.standard_normal(4),
            'W2': RNG.standard_normal((4, 2)), 'b2': RNG.standard_normal(2)}


def data(n=5):
    return RNG.standard_normal((n, 3)), RNG.standard_normal((n, 2))


def test_an_mlp_with_a_dict_of_parameters():
    params, (x, t) = dict_params(), data()
    got = check(mlp, params, x, t)
    assert_same_tree(got, with_autograd(mlp, params, x, t))
    value, same = sg.value_and_grad(mlp)(params, x, t)
    assert value == pytest.approx(mlp(params, x, t))
    assert_same_tree(same, got)


def test_float32_leaves_keep_their_dtype():
    params = {k: v.astype(np.float32) for k, v in dict_params().items()}
    x, t = data()
    got = sg.grad(mlp)(params, x.astype(np.float32), t.astype(np.float32))
    assert all(got[k].dtype == np.float32 for k in params)


def list_of_tuples(layers, x, t):
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.sum((h - t) ** 2)


def list_of_dicts(layers, x, t):
    h = x
    for layer in layers:
        h = np.tanh(h @ layer['W'] + layer['b'])
    return np.sum((h - t) ** 2)


def zipped(Ws, bs, x):
    h = x
    for W, b in zip(Ws, bs):
        h = np.tanh(h @ W + b)
    return np.sum(h)


def layer_sizes():
    return [(3, 4), (4, 2)]


def test_layers_as_a_list_of_W_b_tuples():
    layers = [(RNG.standard_normal(s), RNG.standard_normal(s[1])) for s in layer_sizes()]
    x, t = data()
    got = check(list_of_tuples, layers, x, t)
    assert_same_tree(got, [tuple(g) for g in with_autograd(list_of_tuples, layers, x, t)])


def test_layers_as_a_list_of_dicts():
    layers = [{'W': RNG.standard_normal(s), 'b': RNG.standard_normal(s[1])}
              for s in layer_sizes()]
    x, t = data()
    got = check(list_of_dicts, layers, x, t)
    assert_same_tree(got, with_autograd(list_of_dicts, layers, x, t))


def test_zip_over_two_lists():
    Ws = [RNG.standard_normal(s) for s in layer_sizes()]
    bs = [RNG.standard_normal(s[1]) for s in layer_sizes()]
    x, _ = data()
    check(zipped, Ws, bs, x)
    check(zipped, Ws, bs, x, wrt=1)


def by_keys(params):
    total = 0.0
    for k in params:
        total = total + np.sum(params[k] ** 2)
    return total * len(params)


def by_items(params):
    return sum(np.sum(np.sin(v)) for k, v in params.items())


def by_values(params):
    total = 0.0
    for v in params.values():
        total = total + np.sum(v ** 3)
    return total


def by_comprehension(params):
    doubled = {k: 2.0 * params[k] for k in params}
    return np.sum(doubled['W1'] ** 2) + np.sum(np.cos(doubled['b2']))


@pytest.mark.parametrize('f', [by_keys, by_items, by_values, by_comprehension])
def test_walking_a_dict(f):
    params = dict_params()
    check(f, params)


def test_a_dict_with_a_float_leaf_and_a_tuple_of_floats():
    def f(p):
        return p['scale'] * np.sum(p['w'] ** 2) + p['pair'][0] * p['pair'][1]
    got = check(f, {'scale': 1.5, 'w': RNG.standard_normal(3), 'pair': (2.0, 3.0)})
    assert type(got['scale']) is float


# ---- NamedTuples --------------------------------------------------------------------------
class Adam(NamedTuple):
    m: np.ndarray
    v: np.ndarray


def by_attribute(state):
    return np.sum(state.m * state.v ** 2)


def by_position(state):
    m, v = state
    return np.sum(np.exp(m) * v) + np.sum(state[1])


@pytest.mark.parametrize('f', [by_attribute, by_position])
def test_a_namedtuple_gets_a_namedtuple_of_its_class(f):
    state = Adam(RNG.standard_normal(3), RNG.standard_normal(3))
    got = check(f, state)
    assert type(got) is Adam


def grad_mlp(params, x, t):
    return sg.grad(mlp)(params, x, t)


dmlp = sg.grad(mlp)


def training_step(params, state, x, t, lr=0.1, beta=0.9, steps=3):
    """A differentiated unrolled training step: momentum (a NamedTuple state) updated
    in a loop, the parameters a new dict each step."""
    for _ in range(steps):
        g = dmlp(params, x, t)
        state = Adam({k: beta * state.m[k] + g[k] for k in params}, state.v)
        params = {k: params[k] - lr * state.m[k] for k in params}
    return mlp(params, x, t)


def hand_step(params, state, x, t, lr=0.1, beta=0.9, steps=3):
    """The same with a hand-written gradient step (the gradient of the first layer only)."""
    for _ in range(steps):
        h = np.tanh(x @ params['W1'] + params['b1'])
        state = Adam({'W1': beta * state.m['W1'] + x.T @ (1.0 - h ** 2)}, state.v)
        params = {k: params[k] - lr * state.m[k] if k == 'W1' else params[k] for k in params}
    return mlp(params, x, t)


def adam_state(params):
    return Adam({k: 0.1 * RNG.standard_normal(v.shape) for k, v in params.items()},
                {k: np.zeros_like(v) for k, v in params.items()})


@pytest.mark.parametrize('step', [training_step, hand_step])
def test_a_namedtuple_optimiser_state_in_a_differentiated_training_step(step):
    params, (x, t) = dict_params(), data()
    state = adam_state(params)
    check(step, params, state, x, t)
    got = check(step, params, state, x, t, wrt=1)
    assert type(got) is Adam and type(got.m) is dict


def three_deep(tree, x):
    enc = tree['encoder']
    h = np.tanh(x @ enc['layers'][0][0] + enc['layers'][0][1])
    h = np.tanh(h @ enc['layers'][1].W + enc['layers'][1].b)
    return np.sum(h * tree['head']['scale'])


class Layer(NamedTuple):
    W: np.ndarray
    b: np.ndarray


def test_nested_containers_three_levels_deep():
    tree = {'encoder': {'layers': [(RNG.standard_normal((3, 4)), RNG.standard_normal(4)),
                                   Layer(RNG.standard_normal((4, 2)), RNG.standard_normal(2))]},
            'head': {'scale': 0.5}}
    x, _ = data()
    got = check(three_deep, tree, x)
    assert type(got['encoder']['layers'][1]) is Layer


def test_has_aux_with_a_dict_of_metrics_and_dict_params():
    def loss(params, x, t):
        value = mlp(params, x, t)
        return value, {'loss': value, 'norm': np.sum(params['W1'] ** 2)}
    params, (x, t) = dict_params(), data()
    grads, aux = sg.grad(loss, has_aux=True)(params, x, t)
    assert_same_tree(grads, sg.grad(mlp)(params, x, t))
    assert aux['norm'] == pytest.approx(np.sum(params['W1'] ** 2))
    (value, aux), same = sg.value_and_grad(loss, has_aux=True)(params, x, t)
    assert value == pytest.approx(mlp(params, x, t))
    assert_same_tree(same, grads)


def regularised(params, x, t, *, weight_decay=0.01):
    return mlp(params, x, t) + weight_decay * sum(np.sum(w ** 2) for w in params.values())


def test_keyword_only_hyper_parameters():
    params, (x, t) = dict_params(), data()
    got = sg.grad(regularised)(params, x, t, weight_decay=0.5)
    assert_same_tree(got, numerical(lambda p, x, t: regularised(p, x, t, weight_decay=0.5),
                                    (params, x, t)), rtol=1e-4, atol=1e-6)
    assert_same_tree(sg.grad(regularised, wrt='params')(params, x, t), check(regularised,
                                                                           params, x, t))


def test_second_order_on_the_dict_mlp():
    """sg.grad of a function of sg.grad's dict: a Hessian-vector product."""
    params, (x, t) = dict_params(), data()
    direction = {k: RNG.standard_normal(v.shape) for k, v in params.items()}

    def along(p):
        g = dmlp(p, x, t)
        return sum(np.sum(g[k] * direction[k]) for k in direction)
    got = sg.grad(along)(params)
    assert_same_tree(got, numerical(along, (params,)), rtol=1e-4, atol=1e-5)


def test_grad_of_grad_of_the_dict_mlp():
    """sg.grad(sg.grad(mlp)): the gradient of the sum of the dict's gradients."""
    params, (x, t) = dict_params(), data()
    got = sg.grad(sg.grad(mlp))(params, x, t)

    def summed(p, x, t):
        return sum(np.sum(g) for g in dmlp(p, x, t).values())
    assert_same_tree(got, numerical(summed, (params, x, t)), rtol=1e-4, atol=1e-5)


def test_grad_of_grad_through_a_namedtuple_and_a_list_of_layers():
    state = adam_state(dict_params())

    def cubed(st):
        return np.sum(st.m['W1'] ** 3) + np.sum(np.sin(st[1]['b1']))
    got = sg.grad(sg.grad(cubed))(state)
    assert type(got) is Adam
    summed = sg.grad(cubed)
    assert_same_tree(got, numerical(lambda st: sum(np.sum(g) for part in summed(st)
                                                   for g in part.values()), (state,)),
                     rtol=1e-4, atol=1e-5)
    layers = [(RNG.standard_normal(s), RNG.standard_normal(s[1])) for s in layer_sizes()]
    x, t = data()


    def two_layers(layers, x, t):
        h = np.tanh(x @ layers[0][0] + layers[0][1])
        return np.sum((np.tanh(h @ layers[1][0] + layers[1][1]) - t) ** 2)
    got = sg.grad(sg.grad(two_layers))(layers, x, t)
    dlayers = sg.grad(two_layers)
    assert_same_tree(got, numerical(lambda L, x, t: sum(np.sum(g) for layer in dlayers(L, x, t)
                                                        for g in layer), (layers, x, t)),
                     rtol=1e-4, atol=1e-5)


def test_export_of_a_training_step_that_builds_a_namedtuple(tmp_path):
    """The exported module writes the NamedTuple class the step builds as
    collections.namedtuple; the gradient of the state argument is the caller's class."""
    params, (x, t) = dict_params(), data()
    state = adam_state(params)
    dstep = sg.grad(training_step, wrt=(0, 1))
    path = tmp_path / 'step_grad.py'
    dstep.export(str(path), like=(params, state, x, t, 0.1, 0.9, 3))
    text = path.read_text()
    assert "Adam = collections.namedtuple('Adam', ('m', 'v'))" in text
    namespace = {}
    exec(compile(text, str(path), 'exec'), namespace)
    got = namespace['grad_training_step'](params, state, x, t, 0.1, 0.9, 3)
    want = dstep(params, state, x, t)
    assert_same_tree(got[0], want[0])
    assert_same_tree(got[1], want[1])


def test_source_and_export_of_a_dict_gradient(tmp_path):
    params, (x, t) = dict_params(), data()
    dloss = sg.grad(mlp)
    source = dloss.source_for(params, x, t)
    assert "params['W1']" in source
    path = tmp_path / 'mlp_grad.py'
    dloss.export(str(path), like=(params, x, t))
    namespace = {}
    exec(compile(path.read_text(), str(path), 'exec'), namespace)
    assert_same_tree(namespace['grad_mlp'](params, x, t), dloss(params, x, t))
    general = tmp_path / 'mlp_grad_general.py'
    dloss.export(str(general))
    namespace = {}
    exec(compile(general.read_text(), str(general), 'exec'), namespace)
    assert_same_tree(namespace['grad_mlp'](params, x, t), dloss(params, x, t))


# ---- what is refused ------------------------------------------------------------------------
def test_an_attribute_of_an_object_without_a_dict_is_refused_when_it_runs():
    class Slotted:          # (an object's attributes: tests/test_objects.py)
        __slots__ = ('w',)

        def __init__(self):
            self.w = 2.0

    def f(x, obj):
        return np.sum(x * obj.w)   # ERR
    with pytest.raises(TypeError, match="attribute 'w' of a Slotted cannot be read") as err:
        sg.grad(f)(np.ones(2), Slotted())
    assert f'{THIS_FILE}:{line_of(f)}' in ' '.join(err.value.__notes__)
