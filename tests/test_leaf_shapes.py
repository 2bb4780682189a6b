"""Leaves of container and object arguments in a call's specialisation
(analyses/leaves.py, passes/containers.py): their shapes and dtypes known, each
read once and named after its key, the gradient returned as a display of the
argument's structure; one specialisation per ranks, dtypes and unit dimensions
of the leaves, another where they differ."""
import dataclasses
from typing import NamedTuple

import numpy as np
import pytest

import s2sgrad as sg

from test_containers import assert_same_tree, check, with_autograd

RNG = np.random.default_rng(3)


def mlp(params, x, t):
    h = np.tanh(x @ params['W1'] + params['b1'])
    y = h @ params['W2'] + params['b2']
    return np.mean((y - t) ** 2)


def mlp_dot(params, x, t):          # another spelling: np.dot, a leaf read twice
    h = np.tanh(np.dot(x, params['W1']) + params['b1'])
    y = np.dot(h, params['W2']) + params['b2']
    return np.mean((y - t) ** 2) + 0.1 * np.sum(params['W1'] ** 2)


def layers_net(layers, x, t):
    (W1, b1), (W2, b2) = layers
    h = np.tanh(x @ W1 + b1)
    return np.mean((h @ W2 + layers[1][1] - t) ** 2)


def nested(p, x, t):
    h = np.tanh(x @ p['enc']['W'] + p['enc']['b'])
    return np.mean((h @ p['dec'][0] + p['dec'][1] - t) ** 2) + p['lr'] * np.sum(p['enc']['W'])


def first_layer_only(params, x, t):
    return np.mean((np.tanh(x @ params['W1']) @ params['W2'] - t) ** 2)


class Params(NamedTuple):
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray


@dataclasses.dataclass
class Model:
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    name: str = 'mlp'


def by_attribute(m, x, t):
    h = np.tanh(x @ m.W1 + m.b1)
    return np.mean((h @ m.W2 + m.b2 - t) ** 2)


def arrays(batch=6):
    return (RNG.standard_normal((3, 4)), RNG.standard_normal(4), RNG.standard_normal((4, 2)),
            RNG.standard_normal(2), RNG.standard_normal((batch, 3)),
            RNG.standard_normal((batch, 2)))


def as_dict(W1, b1, W2, b2):
    return {'W1': W1, 'b1': b1, 'W2': W2, 'b2': b2}


def test_the_dict_mlp_reads_each_leaf_once_and_returns_a_dict_display():
    W1, b1, W2, b2, x, t = arrays()
    params = as_dict(W1, b1, W2, b2)
    source = sg.grad(mlp).source_for(params, x, t)
    assert "W1 = params['W1']" in source
    assert "return {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}" in source
    for general in ('_sg_scatter_add', '_sg_accumulate', '_sg_cast_like', '_sg_unbroadcast',
                    '_sg_matmul'):
        assert general not in source
    got = check(mlp, params, x, t)
    assert_same_tree(got, with_autograd(mlp, params, x, t))


@pytest.mark.parametrize('f', [mlp_dot, first_layer_only])
def test_dict_spellings(f):
    W1, b1, W2, b2, x, t = arrays()
    params = as_dict(W1, b1, W2, b2)
    got = check(f, params, x, t)
    assert_same_tree(got, with_autograd(f, params, x, t))
    source = sg.grad(f).source_for(params, x, t)
    assert source.count("= params['W1']") == 1 and '_sg_accumulate' not in source


def test_keys_not_reached_get_zeros_of_their_leaf():
    W1, b1, W2, b2, x, t = arrays()
    got = check(first_layer_only, as_dict(W1, b1, W2, b2), x, t)
    assert not got['b1'].any() and not got['b2'].any()
    assert "'b1': np.zeros_like(params['b1'])" in \
        sg.grad(first_layer_only).source_for(as_dict(W1, b1, W2, b2), x, t)


def test_a_list_of_layers_unpacked_and_indexed():
    W1, b1, W2, b2, x, t = arrays()
    layers = [(W1, b1), (W2, b2)]
    got = check(layers_net, layers, x, t)
    assert_same_tree(got, with_autograd(layers_net, layers, x, t))
    assert 'return [(dW1, db1), (dW2, ' in sg.grad(layers_net).source_for(layers, x, t)


def test_nested_containers_and_a_float_leaf():
    W1, b1, W2, b2, x, t = arrays()
    p = {'enc': {'W': W1, 'b': b1}, 'dec': (W2, b2), 'lr': 0.5}
    check(nested, p, x, t)      # (autograd gives a 0-d array for the float)
    assert "return {'enc': {'W': dW, 'b': db}, 'dec': (ddec_0, ddec_1), 'lr': float(dlr)}" in \
        sg.grad(nested).source_for(p, x, t)


def test_a_namedtuple_and_a_dataclass():
    W1, b1, W2, b2, x, t = arrays()
    for params, display in ((Params(W1, b1, W2, b2), '_sg_cast_like((dW1, db1, dW2, db2), m)'),
                            (Model(W1, b1, W2, b2),
                             "_sg_object_like({'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}, m)")):
        got = check(by_attribute, params, x, t)
        assert type(got) is type(params)
        assert display in sg.grad(by_attribute).source_for(params, x, t)


def test_one_specialisation_serves_every_size_with_the_same_ranks():
    grad = sg.grad(mlp)
    for batch in (5, 7, 9):
        W1, b1, W2, b2, x, t = arrays(batch)
        assert_same_tree(grad(as_dict(W1, b1, W2, b2), x, t),
                         with_autograd(mlp, as_dict(W1, b1, W2, b2), x, t))
    assert len(grad._for_shapes) == 1


def test_a_leaf_of_another_rank_or_dtype_gets_its_own_specialisation():
    grad = sg.grad(mlp)
    W1, b1, W2, b2, x, t = arrays()
    grad(as_dict(W1, b1, W2, b2), x, t)
    params = as_dict(W1, b1[None, :], W2, b2)       # a row: its gradient is summed back to it
    got = grad(params, x, t)
    assert got['b1'].shape == (1, 4)
    assert_same_tree(got, with_autograd(mlp, params, x, t))
    params = as_dict(W1.astype(np.float32), b1, W2, b2)
    assert grad(params, x, t)['W1'].dtype == np.float32
    assert len(grad._for_shapes) == 3


def test_a_dict_changed_between_calls_is_described_again():
    grad = sg.grad(mlp)
    W1, b1, W2, b2, x, t = arrays()
    params = as_dict(W1, b1, W2, b2)
    grad(params, x, t)
    params['b2'] = np.zeros((1, 2))
    assert grad(params, x, t)['b2'].shape == (1, 2)


def test_a_key_that_is_no_identifier_is_named_apart():
    def f(p, x):
        return np.sum(np.tanh(x @ p['layer 1']) * p[2])

    p = {'layer 1': RNG.standard_normal((3, 2)), 2: RNG.standard_normal(2)}
    x = RNG.standard_normal((4, 3))
    check(f, p, x)
    source = sg.grad(f).source_for(p, x)
    assert "return {'layer 1': dp_layer_1, 2: dp_2}" in source


def test_the_exported_specialisation_checks_the_leaves(tmp_path):
    import importlib.util
    W1, b1, W2, b2, x, t = arrays()
    params = as_dict(W1, b1, W2, b2)
    path = tmp_path / 'exported.py'
    sg.grad(mlp).export(path, like=(params, x, t))
    spec = importlib.util.spec_from_file_location('exported', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert_same_tree(module.grad_mlp(params, x, t), sg.grad(mlp)(params, x, t))
    with pytest.raises(ValueError, match='exported for arguments'):
        module.grad_mlp(as_dict(W1, b1[None, :], W2, b2), x, t)


dmlp = sg.grad(mlp)


def test_second_order_through_the_dict():
    W1, b1, W2, b2, x, t = arrays()
    params = as_dict(W1, b1, W2, b2)

    def squared_norm(params, x, t):
        g = dmlp(params, x, t)
        return np.sum(g['W1'] ** 2) + np.sum(g['b2'] ** 2)

    check(squared_norm, params, x, t)
    source = sg.grad(squared_norm).source_for(params, x, t)
    assert "return {'W1': " in source


def test_a_leaf_read_twice_and_returned_in_aux():
    def with_aux(params, x, t):
        h = np.tanh(x @ params['W1'] + params['b1'])
        loss = np.mean((h @ params['W2'] + params['b2'] - t) ** 2)
        return loss, {'h': h, 'W1': params['W1']}

    W1, b1, W2, b2, x, t = arrays()
    params = as_dict(W1, b1, W2, b2)
    grad, aux = sg.grad(with_aux, has_aux=True)(params, x, t)
    assert_same_tree(grad, sg.grad(mlp)(params, x, t))
    np.testing.assert_array_equal(aux['W1'], W1)
    (value, aux), same = sg.value_and_grad(with_aux, has_aux=True)(params, x, t)
    assert_same_tree(same, grad)
    assert value == pytest.approx(mlp(params, x, t))


def test_several_arguments_differentiated():
    W1, b1, W2, b2, x, t = arrays()
    params = as_dict(W1, b1, W2, b2)
    dparams, dx = sg.grad(mlp, wrt=(0, 1))(params, x, t)
    assert_same_tree(dparams, with_autograd(mlp, params, x, t))
    np.testing.assert_allclose(dx, with_autograd(mlp, params, x, t, wrt=1))


def test_no_leaf_gets_an_argument_or_another_leafs_array():
    def f(p, x):
        return np.sum(x * (p['a'] + p['b']))

    p, x = {'a': RNG.standard_normal(3), 'b': RNG.standard_normal(3)}, RNG.standard_normal(3)
    got = check(f, p, x)
    assert not np.shares_memory(got['a'], x) and not np.shares_memory(got['b'], x)
    assert not np.shares_memory(got['a'], got['b'])


@dataclasses.dataclass
class Layer:
    W: np.ndarray
    b: np.ndarray


@dataclasses.dataclass
class Net:
    layers: list
    scale: float
    name: str = 'net'


def net_loss(net, x):
    h = np.tanh(x @ net.layers[0].W + net.layers[0].b)
    return net.scale * np.sum(h @ net.layers[1].W + net.layers[1].b)


def state_loss(s, x):
    return np.sum(np.tanh(x @ s['params'].W1 + s['params'].b1) @ s['params'].W2) * s['lr']


def test_objects_in_a_list_in_an_object_and_a_namedtuple_in_a_dict():
    W1, b1, W2, b2, x, t = arrays()
    net = Net([Layer(W1, b1), Layer(W2, b2)], 0.5)
    got = check(net_loss, net, x)
    assert type(got.layers[0]) is Layer and got.name == 'net'
    assert "_sg_object_like({'layers': [{'W': " in sg.grad(net_loss).source_for(net, x)
    s = {'params': Params(W1, b1, W2, b2), 'lr': 0.1}
    got = check(state_loss, s, x)
    assert type(got['params']) is Params and not got['params'].b2.any()


@dataclasses.dataclass(frozen=True)
class Frozen:
    W: np.ndarray
    b: np.ndarray


def affine(m, x):
    return np.sum(np.tanh(x @ m.W + m.b))


def test_an_attribute_rebound_between_calls_is_described_again():
    W1, b1, _, _, x, _ = arrays()
    grad = sg.grad(affine)
    m = Layer(W1, b1)
    grad(m, x)
    m.b = b1[None, :]
    assert grad(m, x).b.shape == (1, 4)
    check(affine, m, x)


def test_a_frozen_dataclass():
    W1, b1, _, _, x, _ = arrays()
    got = check(affine, Frozen(W1, b1), x)
    assert type(got) is Frozen
    assert "_sg_object_like({'W': dW, 'b': db}, m)" in \
        sg.grad(affine).source_for(Frozen(W1, b1), x)


def test_a_dict_holding_a_long_list_is_not_described():
    """The api describes the arguments at each call: a long history held beside the
    parameters is not walked (the general code runs, as right)."""
    W1, b1, W2, b2, x, t = arrays()
    params = dict(as_dict(W1, b1, W2, b2), history=[0.5] * 1000)
    check(mlp, {k: v for k, v in params.items() if k != 'history'}, x, t)
    got = sg.grad(mlp)(params, x, t)
    assert len(got['history']) == 1000 and not any(got['history'])
    assert '_sg_cast_like(' in sg.grad(mlp).source_for(params, x, t)
