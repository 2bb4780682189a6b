"""sg.jacrev (= sg.jacobian) and sg.jacfwd with respect to containers and objects
other than a flat dict of arrays: lists and tuples of arrays, NamedTuples,
dataclasses and plain objects, nestings of them (a list of (W, b) tuples, a
list of dicts), passed by position or by keyword.  The Jacobian is in the
argument's structure (each float leaf's, shape out.shape + leaf.shape; None at
an integer leaf; an object's static attributes copied, as in its gradient):
against central differences, against autograd's jacobian of the flattened
leaves, jacfwd against jacrev; and what is still refused (class, file, line)."""
import dataclasses
import inspect
import types
from typing import NamedTuple

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import s2sgrad as sg

RNG = np.random.default_rng(7)
X3 = RNG.normal(size=3)
W33, B3 = RNG.normal(size=(3, 3)) / 2, RNG.normal(size=3)
W23, B2 = RNG.normal(size=(2, 3)) / 2, RNG.normal(size=2)


def _line_of(fn, text):
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


class Layer(NamedTuple):
    W: np.ndarray
    b: np.ndarray


@dataclasses.dataclass
class Dense:
    W: np.ndarray
    b: np.ndarray
    width: int
    name: str = 'dense'


class Plain:
    def __init__(self, W, b, scale):
        self.W, self.b, self.scale = W, b, scale


# ---- flattening, for the oracles ---------------------------------------------

def _is_float(v):
    return isinstance(v, float) or isinstance(v, np.ndarray) and v.dtype.kind == 'f'


def flatten(x, path=()):
    """[(path, leaf)] of x's float leaves, depth first."""
    if isinstance(x, dict):
        return [pl for k, v in x.items() for pl in flatten(v, path + (k,))]
    if isinstance(x, (list, tuple)):
        return [pl for i, v in enumerate(x) for pl in flatten(v, path + (i,))]
    if hasattr(x, '__dict__'):
        return [pl for k, v in vars(x).items() for pl in flatten(v, path + (k,))]
    return [(path, x)] if _is_float(x) else []


def replaced(x, values, path=()):
    """x with its float leaves (`flatten`'s order) taken from the dict `values`."""
    if path in values:
        return values[path]
    if isinstance(x, dict):
        return {k: replaced(v, values, path + (k,)) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        items = [replaced(v, values, path + (i,)) for i, v in enumerate(x)]
        return type(x)(*items) if hasattr(x, '_fields') else type(x)(items)
    if hasattr(x, '__dict__'):
        new = object.__new__(type(x))
        new.__dict__.update({k: replaced(v, values, path + (k,)) for k, v in vars(x).items()})
        return new
    return x


def at(tree, path):
    for step in path:
        tree = getattr(tree, step) if isinstance(step, str) and hasattr(tree, '__dict__') \
            else tree[step]
    return tree


def central(f, p, x, path, eps=1e-6):
    leaf = np.asarray(at(p, path), dtype=float)
    out = np.asarray(f(p, x))
    jac = np.zeros(out.shape + leaf.shape)
    for k in np.ndindex(leaf.shape):
        plus, minus = leaf.copy(), leaf.copy()
        plus[k] += eps
        minus[k] -= eps
        hi = f(replaced(p, {path: plus}), x)
        lo = f(replaced(p, {path: minus}), x)
        jac[(Ellipsis,) + k] = (np.asarray(hi) - np.asarray(lo)) / (2 * eps)
    return jac


def with_autograd(f):
    return types.FunctionType(f.__code__, {**f.__globals__, 'np': anp}, f.__name__)


def autograd_jacobians(f, p, x):
    """autograd's jacobian of f w.r.t. each float leaf of p (p rebuilt from them)."""
    g = with_autograd(f)
    paths = [path for path, _ in flatten(p)]
    leaves = [leaf for _, leaf in flatten(p)]

    def of_leaves(*values):
        return g(replaced(p, dict(zip(paths, values))), x)
    return {path: autograd.jacobian(of_leaves, i)(*leaves) for i, path in enumerate(paths)}


# ---- programs, in several spellings -------------------------------------------

def pair_by_index(p, x):
    return np.tanh(p[0] @ x + p[1])


def pair_unpacked(p, x):
    W, b = p
    return np.tanh(W @ x + b)


def by_attribute(p, x):
    return np.tanh(p.W @ x + p.b)


def plain_scaled(p, x):
    return np.tanh(p.W @ x + p.b) * p.scale


def layers_unpacked(layers, x):
    for W, b in layers:
        x = np.tanh(W @ x + b)
    return x


def layers_indexed(layers, x):
    for i in range(len(layers)):
        x = np.tanh(layers[i][0] @ x + layers[i][1])
    return x


def layers_fields(layers, x):
    for layer in layers:
        x = np.tanh(layer.W @ x + layer.b)
    return x


def dict_layers(layers, x):
    for layer in layers:
        x = np.tanh(layer['W'] @ x + layer['b']) * layer['gain']
    return x


def nested_mixed(p, x):
    h = np.tanh(p['first'][0] @ x + p['first'][1])
    return np.sum(p['rest'].W @ h) * p['rest'].b + p['scale'] * h[0]


def scalar_out(p, x):
    return np.sum(np.tanh(p[0] @ x + p[1]) ** 2) + p[2] * x[0]


CASES = [
    (pair_by_index, [W23, B2]),
    (pair_by_index, (W23, B2)),
    (pair_unpacked, (W23, B2)),
    (pair_by_index, Layer(W23, B2)),
    (by_attribute, Layer(W23, B2)),
    (by_attribute, Dense(W23, B2, width=2)),
    (plain_scaled, Plain(W23, B2, 1.5)),
    (layers_unpacked, [(W33, B3), (W23, B2)]),
    (layers_indexed, [(W33, B3), (W23, B2)]),
    (layers_indexed, [[W33, B3], [W23, B2]]),
    (layers_fields, [Layer(W33, B3), Layer(W23, B2)]),
    (dict_layers, [{'W': W33, 'b': B3, 'gain': 2.0}, {'W': W23, 'b': B2, 'gain': 3}]),
    (nested_mixed, {'first': (W33, B3), 'rest': Layer(W23, B2), 'scale': 0.5}),
    (scalar_out, [W23, B2, 1.5]),
]


def _ids(cases=CASES):
    return [f'{f.__name__}-{type(p).__name__}-{i}' for i, (f, p) in enumerate(cases)]


@pytest.mark.parametrize('f, p', CASES, ids=_ids())
def test_jacrev_against_central_differences_and_autograd(f, p):
    J = sg.jacrev(f)(p, X3)
    oracle = autograd_jacobians(f, p, X3)
    assert len(flatten(J)) == len(oracle)
    for path, expected in oracle.items():
        got = at(J, path)
        assert np.shape(got) == np.shape(f(p, X3)) + np.shape(at(p, path))
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(got, central(f, p, X3, path), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize('f, p', CASES, ids=_ids())
def test_jacfwd_equals_jacrev(f, p):
    rev, fwd = sg.jacrev(f)(p, X3), sg.jacfwd(f)(p, X3)
    assert type(fwd) is type(rev)
    paths = [path for path, _ in flatten(rev)]
    assert paths == [path for path, _ in flatten(fwd)] == [path for path, _ in flatten(p)]
    for path in paths:
        np.testing.assert_allclose(at(fwd, path), at(rev, path), rtol=1e-10, atol=1e-12)


def test_the_jacobian_has_the_arguments_structure():
    J = sg.jacrev(layers_unpacked)([(W33, B3), (W23, B2)], X3)
    assert type(J) is list and all(type(j) is tuple for j in J)
    J = sg.jacrev(layers_fields)([Layer(W33, B3), Layer(W23, B2)], X3)
    assert all(type(j) is Layer for j in J) and J[1].W.shape == (2, 2, 3)
    J = sg.jacrev(by_attribute)(Dense(W23, B2, width=2), X3)
    assert type(J) is Dense and J.width == 2 and J.name == 'dense'   # static: as grad's
    assert J.W.shape == (2, 2, 3) and J.b.shape == (2, 2)
    J = sg.jacfwd(plain_scaled)(Plain(W23, B2, 1.5), X3)
    assert type(J) is Plain and J.scale.shape == (2,)
    assert sg.grad(lambda p, x: np.sum(plain_scaled(p, x)))(Plain(W23, B2, 1.5), X3).scale \
        == pytest.approx(np.sum(J.scale))


def test_integer_leaves_are_none():
    p = [{'W': W33, 'b': B3, 'gain': 2}, {'W': W23, 'b': B2, 'gain': 3}]
    for transform in (sg.jacrev, sg.jacfwd):
        J = transform(dict_layers)(p, X3)
        assert J[0]['gain'] is None and J[1]['gain'] is None
        assert J[0]['W'].shape == (2, 3, 3)
    J = sg.jacrev(scalar_out)([W23, B2, 2], X3)
    assert J[2] is None and J[0].shape == (2, 3)


def test_passed_by_keyword_and_with_wrt_tuple():
    p = [(W33, B3), (W23, B2)]
    by_position = sg.jacrev(layers_unpacked)(p, X3)
    for transform in (sg.jacrev, sg.jacobian, sg.jacfwd):
        for J in (transform(layers_unpacked)(layers=p, x=X3),
                  transform(layers_unpacked)(x=X3, layers=p),
                  transform(layers_unpacked)(p, x=X3)):
            for (path, got), (_, expected) in zip(flatten(J), flatten(by_position)):
                np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    Jp, Jx = sg.jacrev(layers_unpacked, wrt=(0, 1))(p, X3)
    np.testing.assert_allclose(Jp[1][0], by_position[1][0])
    np.testing.assert_allclose(Jx, central(lambda x, p: layers_unpacked(p, x), X3, p, ()),
                               rtol=1e-5, atol=1e-7)
    Fp, Fx = sg.jacfwd(layers_unpacked, wrt=(0, 1))(p, X3)
    np.testing.assert_allclose(Fp[0][1], by_position[0][1])
    np.testing.assert_allclose(Fx, Jx)


def test_source_and_export(tmp_path):
    source_and_export(sg.jacrev(layers_fields), [Layer(W33, B3), Layer(W23, B2)],
                      '_sg_jacobian_like', tmp_path)


def source_and_export(transformed, p, helper, tmp_path):
    """The source for a call's specialisation calls `helper` in a seed loop, and its
    export run gives what the call gives."""
    source = transformed.source_for(p, X3)
    assert helper in source and 'for k in range(n):' in source
    transformed.export(tmp_path / 'exported.py', like=(p, X3))
    import runpy
    exported = runpy.run_path(str(tmp_path / 'exported.py'))[transformed.__name__](p, X3)
    for (_, got), (_, expected) in zip(flatten(exported), flatten(transformed(p, X3))):
        np.testing.assert_allclose(got, expected)


def test_still_refused():
    def deep(p, x):
        return np.tanh(p[0][0][0][0][0][0][0][0] @ x)
    nested = [[[[[[[[W23]]]]]]]]

    def kw(x, *, p):
        return np.tanh(p[0] @ x)
    for name in ('jacrev', 'hessian'):      # (checked before any code is made)
        with pytest.raises(TypeError, match=rf"{name}: argument 'p' of deep \("
                                            rf"test_pytree_jacobians\.py:"
                                            rf"{_line_of(deep, 'def deep')}\) is a list: .*"
                                            rf"not supported yet"):
            getattr(sg, name)(deep)(nested, X3)
        with pytest.raises(TypeError, match=rf"{name}: argument 'p' of kw \("
                                            rf"test_pytree_jacobians\.py:"
                                            rf"{_line_of(kw, 'def kw')}\) is a list: a "
                                            rf"Jacobian w.r.t. a container needs it passed by "
                                            rf"position"):
            getattr(sg, name)(kw, wrt='p')(X3, p=[W23])

    def as_pair(p, x):
        return p[0] @ x, p[1]
    with pytest.raises(sg.TransformError) as info:
        sg.jacrev(as_pair)([W23, B2], X3)
    assert info.value.lineno == _line_of(as_pair, 'return')
    assert info.value.filename.endswith('test_pytree_jacobians.py')


def test_a_container_of_integers_only_is_refused():
    def f(p, x):
        return np.sin(x) * p[0]
    with pytest.raises(TypeError, match=rf"argument 'p' of f \(test_pytree_jacobians.py:"
                                        rf"{_line_of(f, 'def f')}\) holds no float"):
        sg.jacrev(f)([2, 3], X3)


def test_a_dict_of_too_many_items_is_refused():
    def f(p, x):
        return np.tanh(p['k0'] * x)
    p = {f'k{i}': 1.0 for i in range(300)}
    with pytest.raises(TypeError, match=rf"jacrev: argument 'p' of f \(test_pytree_jacobians"
                                        rf"\.py:{_line_of(f, 'def f')}\) is a dict: .* more "
                                        rf"than 256 items, is not supported yet"):
        sg.jacrev(f)(p, X3)


def test_a_string_leaf_is_static():
    def f(p, x):
        return np.tanh(p['W'] @ x)
    J = sg.jacrev(f)({'W': W23, 'name': 'first'}, X3)
    assert J['name'] is None and J['W'].shape == (2, 2, 3)
