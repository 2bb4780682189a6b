"""sg.hessian with respect to containers and objects: dicts, lists, tuples,
NamedTuples, dataclasses, plain objects and nestings, by position or keyword.
The Hessian is JAX's: the argument's structure whose each float leaf i holds
the structure again, H[i][j] of shape leaf_i.shape + leaf_j.shape (None at an
integer leaf, on either side): against autograd's hessian of a function of the
flattened leaves, against central differences of sg.grad, symmetric; and what
is still refused (class, file, line; the refusals jacrev shares:
test_pytree_jacobians)."""
import autograd
import numpy as np
import pytest

import s2sgrad as sg
from test_pytree_jacobians import (B2, B3, W23, W33, X3, Dense, Layer, Plain, _ids, _line_of,
                                   at, flatten, replaced, source_and_export,
                                   with_autograd)


def pair_by_index(p, x):
    return np.sum(np.tanh(p[0] @ x + p[1]) ** 2)


def pair_unpacked(p, x):
    W, b = p
    return np.sum(np.sin(W @ x) * b + b ** 3)


def by_attribute(p, x):
    return np.sum(np.tanh(p.W @ x + p.b) ** 2)


def plain_scaled(p, x):
    return np.sum(np.tanh(p.W @ x + p.b) ** 2) * p.scale ** 2


def by_key(p, x):
    return np.sum(np.tanh(p['W'] @ x + p['b']) ** 2) * p['gain']


def layers_unpacked(layers, x):
    for W, b in layers:
        x = np.tanh(W @ x + b)
    return np.sum(x ** 2)


def layers_fields(layers, x):
    for layer in layers:
        x = np.tanh(layer.W @ x + layer.b)
    return np.sum(x ** 2)


def dict_layers(layers, x):
    for layer in layers:
        x = np.tanh(layer['W'] @ x + layer['b']) * layer['gain']
    return np.sum(x ** 2)


def nested_mixed(p, x):
    h = np.tanh(p['first'][0] @ x + p['first'][1])
    return np.sum(p['rest'].W @ h * p['rest'].b) + p['scale'] ** 2 * h[0]


def with_integer(p, x):
    return np.sum(np.tanh(p[0] @ x + p[1]) ** 2) * p[2]


CASES = [
    (pair_by_index, [W23, B2]),
    (pair_by_index, (W23, B2)),
    (pair_unpacked, (W23, B2)),
    (pair_by_index, Layer(W23, B2)),
    (by_attribute, Layer(W23, B2)),
    (by_attribute, Dense(W23, B2, width=2)),
    (plain_scaled, Plain(W23, B2, 1.5)),
    (by_key, {'W': W23, 'b': B2, 'gain': 0.7}),
    (layers_unpacked, [(W33, B3), (W23, B2)]),
    (layers_fields, [Layer(W33, B3), Layer(W23, B2)]),
    (dict_layers, [{'W': W33, 'b': B3, 'gain': 2.0}, {'W': W23, 'b': B2, 'gain': 3}]),
    (nested_mixed, {'first': (W33, B3), 'rest': Layer(W23, B2), 'scale': 0.5}),
    (with_integer, [W23, B2, 3]),
]


def autograd_hessian(f, p, x):
    """{(path_i, path_j): block} of autograd's hessian of f of p's flattened float leaves."""
    g = with_autograd(f)
    paths = [path for path, _ in flatten(p)]
    leaves = [np.asarray(leaf, dtype=float) for _, leaf in flatten(p)]
    sizes = [leaf.size for leaf in leaves]
    starts = np.cumsum([0] + sizes)

    def of_flat(v):
        values = {path: np.reshape(v[starts[k]:starts[k + 1]], np.shape(leaf))
                  for k, (path, leaf) in enumerate(flatten(p))}
        return g(replaced(p, values), x)
    H = autograd.hessian(of_flat)(np.concatenate([leaf.ravel() for leaf in leaves]))
    return {(pi, pj): np.reshape(H[starts[i]:starts[i + 1], starts[j]:starts[j + 1]],
                                 leaves[i].shape + leaves[j].shape)
            for i, pi in enumerate(paths) for j, pj in enumerate(paths)}


def central_of_grad(f, p, x, path_j, eps=1e-6):
    """{path_i: block} of central differences of sg.grad along leaf j."""
    grad = sg.grad(f)
    leaf = np.asarray(at(p, path_j), dtype=float)
    blocks = {path: np.zeros(np.shape(value) + leaf.shape) for path, value in flatten(p)}
    for k in np.ndindex(leaf.shape):
        plus, minus = leaf.copy(), leaf.copy()
        plus[k] += eps
        minus[k] -= eps
        hi, lo = grad(replaced(p, {path_j: plus}), x), grad(replaced(p, {path_j: minus}), x)
        for path in blocks:
            blocks[path][(Ellipsis,) + k] = (np.asarray(at(hi, path)) -
                                             np.asarray(at(lo, path))) / (2 * eps)
    return blocks


@pytest.mark.parametrize('f, p', CASES, ids=_ids(CASES))
def test_blocks_against_autograd_central_differences_and_symmetry(f, p):
    H = sg.hessian(f)(p, X3)
    oracle = autograd_hessian(f, p, X3)
    paths = [path for path, _ in flatten(p)]
    # p's structure twice: its float leaves' paths, each followed by them again
    assert [path for path, _ in flatten(H)] == [pi + pj for pi in paths for pj in paths]
    for path_j in paths:
        differences = central_of_grad(f, p, X3, path_j)
        for path_i in paths:
            got = at(at(H, path_i), path_j)
            assert np.shape(got) == np.shape(at(p, path_i)) + np.shape(at(p, path_j))
            np.testing.assert_allclose(got, oracle[path_i, path_j], rtol=1e-7, atol=1e-10)
            np.testing.assert_allclose(got, differences[path_i], rtol=1e-5, atol=1e-6)
            # symmetric: H[i][j] is H[j][i] with its leaf axes swapped
            other = at(at(H, path_j), path_i)
            ri, rj = np.ndim(at(p, path_i)), np.ndim(at(p, path_j))
            np.testing.assert_allclose(
                got, np.transpose(other, tuple(range(rj, rj + ri)) + tuple(range(rj))),
                rtol=1e-9, atol=1e-12)


def test_the_hessian_has_the_arguments_structure_twice():
    H = sg.hessian(layers_unpacked)([(W33, B3), (W23, B2)], X3)
    assert type(H) is list and all(type(h) is tuple for h in H)
    assert type(H[0][1]) is list and type(H[0][1][1]) is tuple
    assert H[0][1][1][0].shape == (3, 2, 3)
    H = sg.hessian(layers_fields)([Layer(W33, B3), Layer(W23, B2)], X3)
    assert type(H[1]) is Layer and type(H[1].W) is list and type(H[1].W[0]) is Layer
    H = sg.hessian(by_attribute)(Dense(W23, B2, width=2), X3)
    assert type(H) is Dense and H.width == 2 and H.name == 'dense'
    assert type(H.W) is Dense and H.W.b.shape == (2, 3, 2) and H.b.W.shape == (2, 2, 3)
    H = sg.hessian(by_key)({'W': W23, 'b': B2, 'gain': 0.7}, X3)
    assert type(H) is dict and list(H['b']) == ['W', 'b', 'gain']
    assert H['gain']['gain'].shape == () and H['gain']['gain'] == 0.0


def test_integer_leaves_are_none():
    H = sg.hessian(with_integer)([W23, B2, 3], X3)
    assert H[2] is None and H[0][2] is None and H[1][2] is None
    assert H[0][0].shape == (2, 3, 2, 3)
    H = sg.hessian(dict_layers)([{'W': W33, 'b': B3, 'gain': 2}, {'W': W23, 'b': B2,
                                                                    'gain': 3}], X3)
    assert H[0]['gain'] is None and H[1]['W'][0]['gain'] is None
    assert H[1]['W'][0]['W'].shape == (2, 3, 3, 3)
    H = sg.hessian(by_key)({'W': W23, 'b': B2, 'gain': 2, 'name': 'first'}, X3)
    assert H['gain'] is None and H['name'] is None and H['W']['name'] is None


def test_spellings_by_keyword_and_by_name():
    p = [(W33, B3), (W23, B2)]
    expected = sg.hessian(layers_unpacked)(p, X3)
    for H in (sg.hessian(layers_unpacked)(layers=p, x=X3),
              sg.hessian(layers_unpacked)(x=X3, layers=p),
              sg.hessian(layers_unpacked)(p, x=X3),
              sg.hessian(layers_unpacked, wrt='layers')(p, X3)):
        for (_, got), (_, want) in zip(flatten(H), flatten(expected)):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    Hx = sg.hessian(layers_unpacked, wrt=1)(p, X3)
    np.testing.assert_allclose(Hx, autograd.hessian(
        lambda x: with_autograd(layers_unpacked)(p, x))(X3), rtol=1e-7, atol=1e-10)


def test_source_and_export(tmp_path):
    source_and_export(sg.hessian(layers_fields), [Layer(W33, B3), Layer(W23, B2)],
                      '_sg_hessian_like', tmp_path)


def cube_leaf(x):
    return x ** 3


@sg.register_gradient(cube_leaf)
def cube_leaf_grad(dy, y, x):
    return dy * 3.0 * x * x


def test_refused_where_forward_mode_cannot_follow_f():
    # without a tangent rule (and with a keyword-only parameter) the Hessian of an
    # array is jacrev of the gradient; of a container, not yet
    def uses_cube(p, x):
        return np.sum(cube_leaf(p[0] @ x) * p[1])
    with pytest.raises(TypeError, match=rf"hessian: argument 'p' of uses_cube \("
                                        rf"test_pytree_hessians\.py:"
                                        rf"{_line_of(uses_cube, 'def uses_cube')}\) is a "
                                        rf"container or an object: .*'cube_leaf'"):
        sg.hessian(uses_cube)([W23, B2], X3)
    H = sg.hessian(uses_cube, wrt=1)([W23, B2], X3)       # (an array: jacrev of the gradient)
    np.testing.assert_allclose(H, H.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(H, central_of_grad(lambda x, p: uses_cube(p, x), X3,
                                                  [W23, B2], ())[()], rtol=1e-5, atol=1e-6)

    def scaled(p, x, *, scale=2.0):
        return np.sum(np.tanh(p['W'] @ x) ** 2) * scale
    with pytest.raises(TypeError, match=rf"hessian: argument 'p' of scaled \("
                                        rf"test_pytree_hessians\.py:"
                                        rf"{_line_of(scaled, 'def scaled')}\) is a container "
                                        rf"or an object: .*keyword-only parameter"):
        sg.hessian(scaled)({'W': W23}, X3)
