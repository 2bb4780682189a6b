"""Methods of objects passed in, inlined from their class (s2sgrad/classes.py,
frontend/objects.py), and attribute assignments as new versions of the object:
checked against central differences (check_grads) and against autograd running
the same programs (tests/methods_programs.py with autograd.numpy as np)."""
import copy
import dataclasses
import os
import sys
import types

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

import methods_programs as P
from test_errors import line_of

autograd = pytest.importorskip('autograd')

PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'methods_programs.py')


def _autograd_programs():
    """methods_programs.py with autograd.numpy as np (its own classes; autograd
    needs no source file)."""
    with open(PROGRAMS) as f:
        text = f.read().replace('import numpy as np', 'import autograd.numpy as np')
    module = types.ModuleType('methods_programs_autograd')
    sys.modules[module.__name__] = module
    exec(compile(text, '<methods_programs with autograd>', 'exec'), vars(module))
    return module


A = _autograd_programs()


def _leaves(obj, path=()):
    """(path, array) for every float array an object holds (attributes, list items)."""
    if isinstance(obj, np.ndarray):
        return [(path, obj)]
    if isinstance(obj, (list, tuple)):
        return [leaf for k, item in enumerate(obj) for leaf in _leaves(item, path + (k,))]
    if hasattr(obj, '__dict__'):
        return [leaf for name, v in vars(obj).items() for leaf in _leaves(v, path + (name,))]
    return []


def _at(obj, path):
    for step in path:
        obj = obj[step] if isinstance(step, int) else getattr(obj, step)
    return obj


def _replaced(obj, path, value):
    """A copy of obj (shallow along `path`) with the leaf at `path` replaced."""
    if not path:
        return value
    step = path[0]
    if isinstance(step, int):
        out = list(obj)
        out[step] = _replaced(obj[step], path[1:], value)
        return out
    out = copy.copy(obj)
    object.__setattr__(out, step, _replaced(getattr(obj, step), path[1:], value))
    return out


def _autograd_of(loss, model, *rest):
    """autograd's gradient of loss(model, *rest) w.r.t. every leaf of model, by path."""
    paths = [p for p, _ in _leaves(model)]

    def flat(values):
        m = model
        for p, v in zip(paths, values):
            m = _replaced(m, p, v)
        return loss(m, *rest)
    grads = autograd.grad(flat)([_at(model, p) for p in paths])
    return dict(zip(paths, grads))


def _agrees_with_autograd(dmodel, ag_loss, ag_model, *rest):
    expected = _autograd_of(ag_loss, ag_model, *rest)
    got = dict(_leaves(dmodel))
    assert set(got) == set(expected)
    for path in expected:
        np.testing.assert_allclose(got[path], expected[path], rtol=1e-9, atol=1e-12)


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(8, 3)), rng.normal(size=(8, 2))


def _mlp(module):
    rng = np.random.default_rng(1)
    return module.MLP(rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)))


# ---- a dataclass with __call__ --------------------------------------------------
def test_dataclass_call():
    model, (x, y) = _mlp(P), _data()
    before = copy.deepcopy(model)
    dmodel = sg.grad(P.mlp_loss)(model, x, y)
    assert type(dmodel) is P.MLP and dmodel.name == 'mlp'
    _agrees_with_autograd(dmodel, A.mlp_loss, _mlp(A), x, y)
    check_grads(P.mlp_loss, model, x, y, order=2)
    check_grads(P.mlp_loss, model, x, y, wrt=1, order=2)
    value, (dm, dx) = sg.value_and_grad(P.mlp_loss, wrt=(0, 1))(model, x, y)
    assert np.isclose(value, P.mlp_loss(model, x, y))
    np.testing.assert_allclose(dm.W1, dmodel.W1)
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(_leaves(model), _leaves(before)))


# ---- a class with forward and loss ----------------------------------------------
def test_class_forward_loss_bound_method():
    model, (x, y) = P.Net(np.random.default_rng(2)), _data()
    ag_model = A.Net(np.random.default_rng(2))
    dmodel = sg.grad(model.loss, wrt='self')(x, y)
    assert type(dmodel) is P.Net and dmodel.width == 2
    _agrees_with_autograd(dmodel, A.net_loss, ag_model, x, y)
    dx = sg.grad(model.loss)(x, y)
    np.testing.assert_allclose(dx, autograd.grad(ag_model.loss)(x, y), rtol=1e-9)
    np.testing.assert_allclose(sg.grad(P.net_loss, wrt=0)(model, x, y).W, dmodel.W)
    check_grads(P.net_loss, model, x, y, order=2)
    check_grads(P.net_loss, model, x, y, wrt=1, order=2)


def test_static_and_class_methods_and_helpers():
    model, (x, y) = P.Net(np.random.default_rng(3)), _data()
    dmodel = sg.grad(P.net_helpers)(model, x, y)
    _agrees_with_autograd(dmodel, A.net_helpers, A.Net(np.random.default_rng(3)), x, y)
    check_grads(P.net_helpers, model, x, y, order=2)


# ---- an RNN cell object -----------------------------------------------------------
@pytest.mark.parametrize('name', ['rnn_for', 'rnn_range'])
def test_rnn_cell_reused(name):
    rng = np.random.default_rng(4)
    cell, h, xs = P.Cell(rng, 4, 3), rng.normal(size=(2, 4)), rng.normal(size=(5, 2, 3))
    ag_cell = A.Cell(np.random.default_rng(4), 4, 3)
    f, ag_f = getattr(P, name), getattr(A, name)
    _agrees_with_autograd(sg.grad(f)(cell, h, xs), ag_f, ag_cell, h, xs)
    np.testing.assert_allclose(sg.grad(f, wrt=1)(cell, h, xs),
                               autograd.grad(ag_f, 1)(ag_cell, h, xs), rtol=1e-9)
    check_grads(f, cell, h, xs, order=1)
    check_grads(f, cell, h, xs, wrt=1, order=1)


# ---- nested objects ---------------------------------------------------------------
@pytest.mark.parametrize('name', ['deep_loss', 'deep_indexed'])
def test_nested_objects(name):
    model, (x, y) = P.Deep(np.random.default_rng(5)), _data()
    f = getattr(P, name)
    dmodel = sg.grad(f)(model, x, y)
    assert type(dmodel.layers) is list and type(dmodel.layers[0]) is P.Layer
    assert type(dmodel.cell) is P.Cell
    _agrees_with_autograd(dmodel, getattr(A, name), A.Deep(np.random.default_rng(5)), x, y)
    check_grads(f, model, x, y, order=1)


def test_bound_method_of_nested_model():
    model, (x, y) = P.Deep(np.random.default_rng(6)), _data()
    dmodel = sg.grad(model.loss, wrt='self')(x, y)
    _agrees_with_autograd(dmodel, A.deep_loss, A.Deep(np.random.default_rng(6)), x, y)


# ---- attribute assignments: versions of the object ---------------------------------
def test_stateful_cell_writes_its_state():
    rng = np.random.default_rng(7)
    cell, xs = P.StatefulCell(rng), rng.normal(size=(4, 3))
    before = copy.deepcopy(cell)
    dcell = sg.grad(P.stateful)(cell, xs)
    assert np.array_equal(cell.h, before.h) and np.array_equal(cell.W, before.W)
    _agrees_with_autograd(dcell, A.stateful_copied, A.StatefulCell(np.random.default_rng(7)),
                          xs)
    check_grads(P.stateful_copied, cell, xs, order=1,
                grad=lambda f, wrt: sg.grad(P.stateful, wrt=wrt))
    check_grads(P.stateful_copied, cell, xs, wrt=1, order=1,
                grad=lambda f, wrt: sg.grad(P.stateful, wrt=wrt))


def test_assignment_in_the_top_function():
    model, (x, y) = P.Net(np.random.default_rng(8)), _data()
    W = model.W.copy()
    dmodel = sg.grad(P.doubles_weights)(model, x, y)
    assert np.array_equal(model.W, W)
    _agrees_with_autograd(dmodel, A.doubles_weights_copied, A.Net(np.random.default_rng(8)),
                          x, y)
    check_grads(P.doubles_weights_copied, model, x, y, order=1,
                grad=lambda f, wrt: sg.grad(P.doubles_weights, wrt=wrt))
    check_grads(P.doubles_weights, model, x, y, order=3)     # (third: every rule of a write)


# ---- what stays refused, where ------------------------------------------------------
THIS_FILE = os.path.basename(__file__)


class Child(P.Net):
    def loss(self, x, y):
        return super().loss(x, y)  # ERR


class Transposed(P.Net):
    @property
    def W_t(self):
        return self.W.T

    def loss(self, x, y):
        return np.sum(x @ self.W_t.T)  # ERR


class Activated(P.Net):
    def __init__(self, rng):
        super().__init__(rng)
        self.act = np.tanh

    def loss(self, x, y):
        return np.sum(self.act(x @ self.W))  # ERR


class Mixed:
    def __init__(self, rng):
        self.layers = [P.Layer(rng, 3, 3), P.Cell(rng, 3, 3)]


def mixed_layers(model, x, y):
    h = x
    for layer in model.layers:
        h = layer(h)  # ERR
    return np.sum(h)


def writes_an_attribute_of_an_attribute(model, x, y):
    cell = model.cell
    cell.Wh = cell.Wh * 2.0  # ERR
    return np.sum(model.cell(y, x))


def writes_an_object_held_in_a_tuple(model, x, y):
    pair = (model, x)
    model.W = model.W * 2.0  # ERR
    return pair[0].loss(x, y)


def writes_a_shared_object(a, b, x, y):
    a.W = a.W * 2.0  # ERR
    return b.loss(x, y)


def passes_the_object_before_its_write(model, x, y):
    return np.sum(model_and_doubled(model, model.double(), x))  # ERR


def model_and_doubled(model, _, x):
    return model.W * x


def holds_the_object_before_its_write(model, x, y):
    pair = (model, model.double())  # ERR
    return np.sum(pair[0].W * x)


def writes_into_an_attribute_array(model, x, y):
    W = model.W
    model.W[0, 0] = 0.0  # ERR
    return np.sum(x @ W) + np.sum(x @ model.W)


def adds_to_an_attribute(model, x, y):
    model.b += 1.0  # ERR
    return model.loss(x, y)


def loss_of(model, x, y):
    return model.loss(x, y)  # ERR


def _deep_xy():
    rng = np.random.default_rng(9)
    return P.Deep(rng), rng.normal(size=(8, 3)), rng.normal(size=(8, 2))


def _net_xy(cls=P.Net):
    rng = np.random.default_rng(9)
    return cls(rng), rng.normal(size=(8, 3)), rng.normal(size=(8, 2))


@pytest.mark.parametrize('where, f, args, wording', [
    (Child.loss, loss_of, lambda: _net_xy(Child), 'super() cannot be transformed'),
    (Activated.loss, loss_of, lambda: _net_xy(Activated),
     "Activated has no method 'act' (an attribute holding a function"),
    (mixed_layers, mixed_layers,
     lambda: (Mixed(np.random.default_rng(0)),) + _net_xy()[1:],
     'calling a run-time value is not supported'),
    (writes_an_attribute_of_an_attribute, writes_an_attribute_of_an_attribute, _deep_xy,
     "'cell' is not (here, or on some path) an object passed in"),
    (writes_an_object_held_in_a_tuple, writes_an_object_held_in_a_tuple, _net_xy,
     "'model' is also held in a list, tuple or dict here"),
    (writes_into_an_attribute_array, writes_into_an_attribute_array, _net_xy,
     'writing into an array read from an attribute'),
    (adds_to_an_attribute, adds_to_an_attribute, _net_xy,
     'augmented assignment to an attribute (obj.h += x) cannot be transformed'),
    (passes_the_object_before_its_write, passes_the_object_before_its_write,
     lambda: (P.Scorer(np.random.default_rng(0)), np.ones(3), None),
     'has its attributes assigned by a call later in the same expression'),
    (holds_the_object_before_its_write, holds_the_object_before_its_write,
     lambda: (P.Scorer(np.random.default_rng(0)), np.ones(3), None),
     'has its attributes assigned by a call later in the same expression'),
])
def test_refused_at_the_line(where, f, args, wording):
    with pytest.raises(sg.TransformError) as info:
        sg.grad(f)(*args())
    assert wording in str(info.value)
    assert f'{THIS_FILE}:{line_of(where)}' in str(info.value)


def test_an_object_passed_twice_is_not_written():
    model, x, y = _net_xy()
    with pytest.raises(sg.TransformError, match='one object is reachable twice') as info:
        sg.grad(writes_a_shared_object)(model, model, x, y)
    assert f'{THIS_FILE}:{line_of(writes_a_shared_object)}' in str(info.value)
    other, _, _ = _net_xy()
    check_grads(writes_a_shared_object, model, other, x, y, wrt=(0, 1), order=1)


def test_a_property_read_through_the_object_is_refused_when_it_runs():
    model, x, y = _net_xy(Transposed)
    with pytest.raises(TypeError, match="attribute 'W_t' of a Transposed is computed by "
                                        "its class") as info:
        sg.grad(loss_of)(model, x, y)
    assert f'{THIS_FILE}:{line_of(Transposed.loss)}' in ' '.join(info.value.__notes__)


def test_a_frozen_dataclass_refuses_an_assignment_as_python_does():
    @dataclasses.dataclass(frozen=True)
    class Frozen:
        W: np.ndarray

    def doubles(m, x):
        m.W = m.W * 2.0
        return np.sum(x @ m.W)
    with pytest.raises(dataclasses.FrozenInstanceError):
        doubles(Frozen(np.ones((3, 2))), np.ones((4, 3)))
    with pytest.raises(AttributeError, match="cannot assign to field 'W'"):
        sg.grad(doubles)(Frozen(np.ones((3, 2))), np.ones((4, 3)))


def test_the_general_code_asks_for_arguments():
    grad = sg.grad(loss_of)
    with pytest.raises(sg.TransformError) as info:
        grad.source
    assert 'source_for(*args) or export(path, like=args)' in str(info.value)
    assert f'{THIS_FILE}:{line_of(loss_of)}' in str(info.value)
    model, x, y = _net_xy()
    source = grad.source_for(model, x, y)
    assert 'def grad_loss_of(model, x, y):' in source and '_sg_field(model, ' in source


def test_export_like_a_call(tmp_path):
    model, x, y = _net_xy()
    grad = sg.grad(loss_of)
    path = tmp_path / 'exported_loss_of.py'
    grad.export(str(path), like=(model, x, y))
    namespace = {}
    exec(compile(path.read_text(), str(path), 'exec'), namespace)
    np.testing.assert_allclose(namespace['grad_loss_of'](model, x, y).W, grad(model, x, y).W)


def test_a_method_redefined_means_a_new_transformation():
    class Scaled:
        def __init__(self):
            self.W = np.ones(3)

        def forward(self, x):
            return self.W * x

    def f(m, x):
        return np.sum(m.forward(x))
    grad, m, x = sg.grad(f), Scaled(), np.arange(3.0)
    np.testing.assert_allclose(grad(m, x).W, x)
    Scaled.forward = lambda self, x: self.W * x * 2.0
    np.testing.assert_allclose(grad(m, x).W, 2.0 * x)


def test_a_global_model_and_class_methods_through_the_class():
    model, x, y = _net_xy()

    def uses_the_global(x):
        return model.loss(x, y) + np.sum(P.Net.scale(x)) + np.sum(P.Net.activation(x))
    dx = sg.grad(uses_the_global)(x)
    np.testing.assert_allclose(dx, autograd.grad(lambda x: A.Net(np.random.default_rng(9))
                                                 .loss(x, y) + A.np.sum(A.Net.scale(x))
                                                 + A.np.sum(A.Net.activation(x)))(x),
                               rtol=1e-9)
    check_grads(uses_the_global, x, order=2)


def with_extras(model, *xs):
    return model.loss(xs[0], xs[1])  # ERR


def test_a_function_with_star_args_calling_methods_is_refused():
    model, x, y = _net_xy()
    with pytest.raises(sg.TransformError, match=r'not supported yet in a function with '
                                                r'\*args') as info:
        sg.grad(with_extras)(model, x, y)
    assert f'{THIS_FILE}:{line_of(with_extras)}' in str(info.value)


def loss_and_output(model, x, y):
    return model.loss(x, y), {'output': model.forward(x)}


def test_has_aux_and_graph():
    model, x, y = _net_xy()
    dmodel, aux = sg.grad(loss_and_output, has_aux=True)(model, x, y)
    (value, aux2), dmodel2 = sg.value_and_grad(loss_and_output, has_aux=True)(model, x, y)
    np.testing.assert_allclose(dmodel.W, sg.grad(loss_of)(model, x, y).W)
    np.testing.assert_allclose(dmodel2.W, dmodel.W)
    np.testing.assert_allclose(aux['output'], model.forward(x))
    assert np.isclose(value, model.loss(x, y))
    graph = sg.graph(loss_of)
    assert np.isclose(graph(model, x, y), model.loss(x, y))
    assert np.isclose(graph(model, x, y), model.loss(x, y))        # (the second call too)


def test_the_gradient_of_a_gradient_called_inside():
    model, x, y = _net_xy()
    direction, _, _ = _net_xy()
    dloss = sg.grad(P.net_loss)

    def along(model):
        g = dloss(model, x, y)
        return np.sum(g.W * direction.W) + np.sum(g.b * direction.b)
    assert type(sg.grad(along)(model)) is P.Net
    check_grads(along, model, order=1)


def test_a_tuple_state_written_by_one_method_read_by_another():
    rng = np.random.default_rng(10)
    cell, h, xs = P.TupleStateCell(rng), rng.normal(size=3), rng.normal(size=(4, 3))
    state = cell.state
    dcell, dh = sg.grad(P.tuple_state, wrt=(0, 1))(cell, h, xs)
    assert cell.state is state and type(dcell.state) is tuple
    ag_cell = A.TupleStateCell(np.random.default_rng(10))
    _agrees_with_autograd(dcell, A.tuple_state_copied, ag_cell, h, xs)
    np.testing.assert_allclose(dh, autograd.grad(A.tuple_state_copied, 1)(ag_cell, h, xs),
                               rtol=1e-9)
    check_grads(P.tuple_state_copied, cell, h, xs, wrt=(0, 1), order=1,
                grad=lambda f, wrt: sg.grad(P.tuple_state, wrt=wrt))


@pytest.mark.parametrize('name', ['bank_generator', 'bank_list_comprehension', 'bank_enumerate',
                                  'bank_zip', 'bank_reversed'])
def test_a_list_of_objects_walked_in_every_spelling(name):
    rng = np.random.default_rng(11)
    bank, x = P.Bank(rng), rng.normal(size=(2, 3))
    f = getattr(P, name)
    _agrees_with_autograd(sg.grad(f)(bank, x), getattr(A, name),
                          A.Bank(np.random.default_rng(11)), x)
    check_grads(f, bank, x, wrt=(0, 1), order=1)


def test_a_closure_and_another_name_see_the_assignment():
    rng = np.random.default_rng(12)
    model, x = P.Scorer(rng), rng.normal(size=3)
    W = model.W.copy()
    assert np.isclose(sg.graph(P.closure_sees_the_write)(model, x),
                      P.closure_sees_the_write_copied(model, x))
    dmodel = sg.grad(P.closure_sees_the_write)(model, x)
    np.testing.assert_allclose(dmodel.W, 4.0 * x)
    assert np.array_equal(model.W, W)
    check_grads(P.closure_sees_the_write_copied, model, x, wrt=(0, 1), order=1,
                grad=lambda f, wrt: sg.grad(P.closure_sees_the_write, wrt=wrt))


def test_objects_in_a_list_or_dict_passed_in():
    rng = np.random.default_rng(13)
    layers, x = [P.Layer(rng, 3, 3) for _ in range(3)], rng.normal(size=(2, 3))
    dlayers = sg.grad(P.layers_in_a_list)(layers, x)
    assert type(dlayers) is list and type(dlayers[0]) is P.Layer
    rng_ag = np.random.default_rng(13)
    ag_layers = [A.Layer(rng_ag, 3, 3) for _ in range(3)]
    _agrees_with_autograd(dlayers, A.layers_in_a_list, ag_layers, x)
    check_grads(P.layers_in_a_list, layers, x, order=1)
    parts = {'enc': layers[0], 'dec': layers[1]}
    dparts = sg.grad(P.layers_in_a_dict)(parts, x)
    assert type(dparts) is dict and type(dparts['enc']) is P.Layer
    check_grads(P.layers_in_a_dict, parts, x, order=2)


# ---- methods named as array methods ---------------------------------------------------
@dataclasses.dataclass
class NamedLikeArrays:
    W: np.ndarray

    def repeat(self, x):
        return np.tanh(x @ self.W)

    def copy(self, x):
        return 2.0 * (x @ self.W)

    def dot(self, x):
        return np.sin(x @ self.W)

    def sum(self, x):
        return np.sum(x @ self.W) ** 2


def calls_methods_named_as_array_methods(x, model):
    return np.sum(model.repeat(x)) + np.sum(model.copy(x)) + np.sum(model.dot(x)) + \
        np.sum(x.repeat(2) * 0.5)


def calls_a_method_named_sum(x, model):
    return model.sum(x) + np.sum(x.sum(axis=0))


@pytest.mark.parametrize('wrt', [0, 1])
def test_methods_named_as_array_methods_are_the_objects(wrt):
    # the general lowering took model.repeat(x) for ndarray.repeat: a zero gradient
    rng = np.random.default_rng(4)
    x, model = rng.standard_normal((4, 3)), NamedLikeArrays(0.5 * rng.standard_normal((3, 2)))
    assert sg.graph(calls_methods_named_as_array_methods)(x, model) == \
        pytest.approx(calls_methods_named_as_array_methods(x, model), rel=1e-12)
    check_grads(calls_methods_named_as_array_methods, x, model, wrt=wrt, order=2)
    # (at second order, model.sum(x) is refused: the gradient inlined is lowered
    # before the call's classes are asked for)
    check_grads(calls_a_method_named_sum, x, model, wrt=wrt, order=1)
