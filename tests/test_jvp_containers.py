"""sg.jvp with containers and objects passed in (API.md section 8): dicts, lists,
NamedTuples, dataclasses, plain objects with methods, writes into them, constant
leaves.  A tangent has its argument's structure (None, or nothing, at a constant
leaf); the jvp is checked against central differences and <gradient, tangent>."""
import copy
import dataclasses
import typing

import numpy as np
import pytest

import s2sgrad as sg

from test_jvp import _moved, _tangent_like, docs_example

RNG = np.random.default_rng(41)


def normal(*shape):
    return RNG.standard_normal(shape)


def check(f, args, wrt, against_gradient=True):
    """jvp along random tangents of the arguments in `wrt` against central
    differences and against the gradient."""
    from fuzz.oracle import leaves, paired
    tangents = [_tangent_like(a, RNG) if k in wrt else None for k, a in enumerate(args)]
    out, tangent = sg.jvp(f, args, tangents)
    # (Python's own runs get copies: some of these functions write into their arguments)
    np.testing.assert_allclose(out, f(*copy.deepcopy(args)), rtol=1e-12)
    eps = 1e-6
    numeric = (f(*_moved(copy.deepcopy(args), tangents, eps))
               - f(*_moved(copy.deepcopy(args), tangents, -eps))) / (2 * eps)
    np.testing.assert_allclose(tangent, numeric, rtol=1e-6, atol=1e-8)
    if not against_gradient:
        return
    grads = sg.grad(f, wrt=tuple(wrt))(*args)
    expected = sum(np.sum(g * t) for k, grad in zip(wrt, grads)
                   for g, t in zip(paired(grad, args[k]), leaves(tangents[k])))
    np.testing.assert_allclose(np.sum(tangent), expected, rtol=1e-9, atol=1e-12)


# ---- dicts and lists, with writes and constant leaves ----------------------------

def dict_loss(p, x):
    p = dict(p)
    p['b'] = p['b'] * 0.5 + x[0]                 # a write into a copy
    h = np.tanh(x @ p['W'] + p['b']) * p['n']     # an integer leaf: a constant
    return np.sum(h ** 2) + np.sum(p.get('c', x) ** 2)


def dict_written(p, x):
    p['h'] = np.sin(x @ p['W'])                 # a write into the dict passed in
    total = 0.0
    for key in ('h', 'b'):
        total = total + np.sum(p[key] * x[:2])
    return total


def list_loss(layers, x):
    for W, b in layers:
        x = np.tanh(x @ W + b)
    return np.sum(x) + np.sum(layers[0][0])


def list_written(rows, x):
    rows[0] = rows[0] * x                       # a write into the list
    total = 0.0
    for i in range(len(rows)):
        total = total + np.sum(np.sin(rows[i]) * x)
    return total


def _dict():
    return {'W': normal(3, 2), 'b': normal(2), 'n': 3, 'name': 'layer'}


def test_dicts_with_constant_leaves_and_writes():
    check(dict_loss, [_dict(), normal(3)], (0, 1))
    check(dict_loss, [_dict(), normal(3)], (0,))
    p = _dict()
    check(dict_written, [p, normal(3)], (0, 1))
    assert 'h' not in p                            # the caller's dict is left as it was


def test_lists_of_tuples():
    layers = [(normal(3, 3), normal(3)), (normal(3, 2), normal(2))]
    check(list_loss, [layers, normal(3)], (0, 1))
    # (sg.grad of a write into a list passed in fails when it runs, in np.copy of
    # the list: a fault of the general gradient code, not of forward mode)
    check(list_written, [[normal(3), normal(3)], normal(3)], (0, 1), against_gradient=False)


def test_a_tangent_with_none_at_float_leaves_holds_them_constant():
    p, x = _dict(), normal(3)
    dW = normal(3, 2)
    _, tangent = sg.jvp(dict_loss, (p, x), ({'W': dW}, None))
    _, full = sg.jvp(dict_loss, (p, x), ({'W': dW, 'b': np.zeros(2), 'n': None,
                                          'name': None}, None))
    np.testing.assert_allclose(tangent, full)
    with pytest.raises(TypeError, match=r"p\['n'\] is an integer, boolean or other constant"):
        sg.jvp(dict_loss, (p, x), ({'n': 1.0}, None))
    with pytest.raises(TypeError, match='must have the structure of its value'):
        sg.jvp(dict_loss, (p, x), ([dW], None))


# ---- NamedTuples, dataclasses, objects with methods and attribute writes ----------

class Layer(typing.NamedTuple):
    W: np.ndarray
    b: np.ndarray
    act: str = 'tanh'


def named_loss(layer, x):
    z = x @ layer.W + layer.b
    return np.sum(np.tanh(z) if layer.act == 'tanh' else np.sin(z))


@dataclasses.dataclass
class Model:
    W: np.ndarray
    h: np.ndarray
    steps: int = 2

    def step(self, x):
        self.h = np.tanh(self.h @ self.W + x)      # an attribute write
        return self.h

    def __call__(self, x):
        x = self.step(x)
        if self.steps > 1:
            x = self.step(x * 0.5)
        return x


def model_loss(model, x):
    return np.sum(model(x) ** 2) + np.sum(model.h)


class Plain:
    def __init__(self, W, scale):
        self.W = W
        self.scale = scale
        self.label = 'plain'

    def forward(self, x):
        return np.sin(x @ self.W) * self.scale


def plain_loss(obj, x):
    return np.sum(obj.forward(x))


def test_named_tuples_dataclasses_and_objects():
    check(named_loss, [Layer(normal(3, 2), normal(2)), normal(3)], (0, 1))
    check(named_loss, [Layer(normal(3, 2), normal(2), 'sin'), normal(3)], (0,))
    model = Model(normal(3, 3) * 0.5, normal(3))
    h = model.h.copy()
    check(model_loss, [model, normal(3)], (0, 1))
    np.testing.assert_array_equal(model.h, h)      # the caller's object is left as it was
    check(plain_loss, [Plain(normal(3, 2), 0.7), normal(3)], (0, 1))
    check(plain_loss, [Plain(normal(3, 2), 0.7), normal(3)], (1,))


def test_the_tangent_of_an_object_is_an_object_of_its_class():
    model, x = Model(normal(3, 3) * 0.5, normal(3)), normal(3)
    dmodel = Model(normal(3, 3), normal(3))       # (steps=2 repeated: a constant)
    _, tangent = sg.jvp(model_loss, (model, x), (dmodel, None))
    eps = 1e-6
    numeric = (model_loss(*_moved(copy.deepcopy([model, x]), [dmodel, None], eps))
               - model_loss(*_moved(copy.deepcopy([model, x]), [dmodel, None], -eps))) / (2 * eps)
    np.testing.assert_allclose(tangent, numeric, rtol=1e-6)
    with pytest.raises(TypeError, match=r'model.steps is an integer'):
        sg.jvp(model_loss, (model, x), (Model(normal(3, 3), normal(3), 3), None))
    with pytest.raises(TypeError, match="the tangent of model must have the structure"):
        sg.jvp(model_loss, (model, x), (normal(3), None))


def test_the_docs_coverage_example_runs(tmp_path, monkeypatch):
    m = docs_example('Forward-mode coverage', 'jvp_coverage_example', tmp_path, monkeypatch)
    eps = 1e-6

    def moved(s):
        cell = m.Cell(m.cell.W + s * eps * m.dcell.W)
        return m.rollout(cell, m.h, [m.xs[0], m.xs[1] + s * eps], leak=0.1 + s * eps)
    np.testing.assert_allclose(m.dout, (moved(1) - moved(-1)) / (2 * eps), rtol=1e-6)
    assert m.dvalue == 4.0
