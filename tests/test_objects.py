"""Dataclasses and plain objects as differentiated arguments: their array attributes
read (`model.W`, `model.layers[i].b`), bound methods given to `sg.grad`, and the
gradient an instance of the argument's class (made without `__init__`).  Each model
is checked against central differences and, through the same program run on
autograd's boxes, against autograd; the caller's object is never modified."""
import os
import re
from dataclasses import dataclass

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads
from s2sgrad.errors import TransformError

from test_containers import assert_same_tree, leaves, numerical, replaced
from test_errors import line_of
from test_frontend import _import_file

THIS_FILE = os.path.basename(__file__)
RNG = np.random.default_rng(0)


# ---- central differences over an object's float attributes (test_containers.py) ---------
def snapshot(tree):
    return [(path, leaf.copy()) for path, leaf in leaves(tree) if isinstance(leaf, np.ndarray)]


def check(f, *args, wrt=0):
    before = snapshot(args[wrt])
    got = sg.grad(f, wrt=wrt)(*args)
    after = snapshot(args[wrt])
    assert [p for p, _ in before] == [p for p, _ in after]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(before, after))    # untouched
    assert_same_tree(got, numerical(f, args, wrt), rtol=1e-4, atol=1e-6)
    return got


def with_autograd(f, *args, wrt=0):
    """autograd's gradient of the same program w.r.t. each float leaf of args[wrt] (the
    object rebuilt around autograd's boxes), as a list in `leaves` order."""
    autograd = pytest.importorskip('autograd')
    import autograd.numpy as anp
    paths = [path for path, _ in leaves(args[wrt])]

    def of_leaves(values):
        tree = args[wrt]
        for path, value in zip(paths, values):
            tree = replaced(tree, path, value)
        call = list(args)
        call[wrt] = tree
        return f(*call)

    saved = f.__globals__['np']
    f.__globals__['np'] = anp
    try:
        return autograd.grad(of_leaves)([leaf for _, leaf in leaves(args[wrt])])
    finally:
        f.__globals__['np'] = saved


def agrees_with_autograd(got, f, *args, wrt=0):
    want = with_autograd(f, *args, wrt=wrt)
    mine = [leaf for _, leaf in leaves(got)]
    assert len(mine) == len(want)
    for a, b in zip(mine, want):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


def data(n=5, d=3, k=2):
    return RNG.normal(size=(n, d)), RNG.normal(size=(n, k))


# ---- a @dataclass MLP -------------------------------------------------------------------
@dataclass
class MLP:
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    activation: str = 'tanh'        # static: copied into the gradient
    width: int = 4

    def __call__(self, x):
        return np.tanh(x @ self.W1 + self.b1) @ self.W2 + self.b2


def dataclass_loss(model, x, t):
    h = np.tanh(x @ model.W1 + model.b1)
    return np.mean((h @ model.W2 + model.b2 - t) ** 2)


def a_mlp(d=3, h=4, k=2):
    return MLP(RNG.normal(size=(d, h)), RNG.normal(size=h), RNG.normal(size=(h, k)),
               RNG.normal(size=k))


def test_a_dataclass_mlp():
    model, (x, t) = a_mlp(), data()
    got = check(dataclass_loss, model, x, t)
    assert type(got) is MLP and got.activation == 'tanh' and got.width == 4
    agrees_with_autograd(got, dataclass_loss, model, x, t)


def test_value_and_grad_of_a_dataclass():
    model, (x, t) = a_mlp(), data()
    value, got = sg.value_and_grad(dataclass_loss)(model, x, t)
    assert value == pytest.approx(dataclass_loss(model, x, t))
    assert_same_tree(got, sg.grad(dataclass_loss)(model, x, t), rtol=1e-12, atol=0)


def test_the_gradient_of_a_dataclass_is_made_without_init():
    calls = []

    @dataclass
    class Counted:
        w: np.ndarray

        def __post_init__(self):
            calls.append(1)

    model = Counted(RNG.normal(size=3))
    del calls[:]
    got = sg.grad(lambda m: np.sum(m.w ** 2))(model)
    assert calls == [] and type(got) is Counted
    np.testing.assert_allclose(got.w, 2 * model.w)


@dataclass(frozen=True)
class Frozen:
    W: np.ndarray
    b: np.ndarray
    scale: float


def frozen_loss(p, x):
    return np.sum(np.sin(x @ p.W + p.b) * p.scale)


def test_a_frozen_dataclass():
    p = Frozen(RNG.normal(size=(3, 2)), RNG.normal(size=2), 1.5)
    x, _ = data()
    got = check(frozen_loss, p, x)
    assert type(got) is Frozen and isinstance(got.scale, float)
    agrees_with_autograd(got, frozen_loss, p, x)


def test_the_object_can_be_any_argument():
    model, (x, t) = a_mlp(), data()

    def loss(x, t, model):
        return dataclass_loss(model, x, t)

    check(loss, x, t, model, wrt=2)
    got = sg.grad(loss, wrt='model')(x, t, model)
    assert type(got) is MLP


# ---- a class with __init__ building parameters from an RNG ---------------------------
class Regressor:
    def __init__(self, rng, d, k):
        self.W = rng.normal(size=(d, k)) / np.sqrt(d)
        self.b = np.zeros(k)
        self.steps = 2                  # static

    def loss(self, x, y):
        z = x @ self.W + self.b
        for _ in range(self.steps):
            z = np.tanh(z)
        return np.sum((z - y) ** 2)


def plain_loss(model, x, y):
    z = x @ model.W + model.b
    for _ in range(model.steps):
        z = np.tanh(z)
    return np.sum((z - y) ** 2)


def test_a_plain_object_from_an_rng():
    model = Regressor(np.random.default_rng(1), 3, 2)
    x, y = data()
    got = check(plain_loss, model, x, y)
    assert type(got) is Regressor and got.steps == 2     # made without __init__
    agrees_with_autograd(got, plain_loss, model, x, y)


def test_a_bound_method_differentiates_its_first_explicit_argument():
    model = Regressor(np.random.default_rng(2), 3, 2)
    x, y = data()
    dx = sg.grad(model.loss)(x, y)
    np.testing.assert_allclose(dx, numerical(model.loss, (x, y)), rtol=1e-4, atol=1e-6)
    dy = sg.grad(model.loss, wrt=1)(x, y)
    np.testing.assert_allclose(dy, numerical(model.loss, (x, y), wrt=1), rtol=1e-4, atol=1e-6)
    assert sg.grad(model.loss).__name__ == 'grad_loss'


def test_a_bound_method_with_wrt_self():
    model = Regressor(np.random.default_rng(3), 3, 2)
    x, y = data()
    before = snapshot(model)
    got = sg.grad(model.loss, wrt='self')(x, y)
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(before, snapshot(model)))
    assert_same_tree(got, numerical(plain_loss, (model, x, y)), rtol=1e-4, atol=1e-6)
    value, (dmodel, dx) = sg.value_and_grad(model.loss, wrt=('self', 0))(x, y)
    assert value == pytest.approx(model.loss(x, y))
    assert_same_tree(dmodel, got, rtol=1e-12, atol=0)
    np.testing.assert_allclose(dx, sg.grad(model.loss)(x, y), rtol=1e-12)
    assert 'def grad_loss(self, x, y)' in sg.grad(model.loss, wrt='self').source_for(x, y)


def test_a_bound_methods_wrt_out_of_range_names_its_explicit_parameters():
    model = Regressor(np.random.default_rng(3), 3, 2)
    with pytest.raises(ValueError, match=r"wrt=2 is out of range: the bound method loss has "
                                         r"2 explicit parameters \(wrt='self' is the object\)"):
        sg.grad(model.loss, wrt=2)


# ---- an RNN cell object reused over a sequence ------------------------------------------
class RNNCell:
    def __init__(self, rng, d, h):
        self.Wx = rng.normal(size=(d, h)) * 0.5
        self.Wh = rng.normal(size=(h, h)) * 0.5
        self.b = np.zeros(h)
        self.size = h


def rnn_loss(cell, xs):
    h = np.zeros(cell.size)
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ cell.Wx + h @ cell.Wh + cell.b)
    return np.sum(h ** 2)


def rnn_while(cell, xs):
    h = np.zeros(cell.size)
    t = 0
    while t < xs.shape[0]:
        h = np.tanh(xs[t] @ cell.Wx + h @ cell.Wh + cell.b)
        t += 1
    return np.sum(h ** 2)


@pytest.mark.parametrize('loss', [rnn_loss, rnn_while])
def test_an_rnn_cell_over_a_sequence(loss):
    cell, xs = RNNCell(np.random.default_rng(4), 3, 4), RNG.normal(size=(6, 3))
    got = check(loss, cell, xs)
    assert got.size == 4
    agrees_with_autograd(got, loss, cell, xs)


# ---- nested: a model holding a list of layer objects -------------------------------------
@dataclass
class Dense:
    W: np.ndarray
    b: np.ndarray


@dataclass
class Stack:
    layers: list
    name: str = 'stack'


def stack_loss(model, x, t):
    h = x
    for i in range(len(model.layers) - 1):
        h = np.tanh(h @ model.layers[i].W + model.layers[i].b)
    last = model.layers[-1]
    return np.sum((h @ last.W + last.b - t) ** 2)


def stack_loss_iterated(model, x, t):
    h = x
    for layer in model.layers:
        h = np.tanh(h @ layer.W + layer.b)
    return np.sum((h - t) ** 2)


def a_stack(sizes=(3, 4, 2)):
    return Stack([Dense(RNG.normal(size=(a, b)), RNG.normal(size=b))
                  for a, b in zip(sizes, sizes[1:])])


@pytest.mark.parametrize('loss', [stack_loss, stack_loss_iterated])
def test_a_model_holding_a_list_of_layer_objects(loss):
    model, (x, t) = a_stack(), data()
    got = check(loss, model, x, t)
    assert type(got) is Stack and type(got.layers) is list and type(got.layers[0]) is Dense
    assert got.name == 'stack'
    agrees_with_autograd(got, loss, model, x, t)


def test_an_object_inside_a_dict():
    model, (x, t) = a_stack(), data()

    def loss(params, x, t):
        return stack_loss(params['model'], x, t) + np.sum(params['scale'] ** 2)

    got = check(loss, {'model': model, 'scale': RNG.normal(size=2)}, x, t)
    assert type(got['model']) is Stack


def test_an_attribute_on_no_path_gets_zeros():
    model, (x, t) = a_mlp(), data()
    got = sg.grad(lambda m, x: np.sum(x @ m.W1))(model, x)
    assert np.all(got.W2 == 0) and got.W2.shape == model.W2.shape and got.b2.dtype == float


# ---- second order ---------------------------------------------------------------------
dloss_dx = sg.grad(dataclass_loss, wrt=1)
dloss_dmodel = sg.grad(dataclass_loss)


def input_gradient_norm(model, x, t):
    return np.sum(dloss_dx(model, x, t) ** 2)


def parameter_gradient_norm(model, x, t):
    g = dloss_dmodel(model, x, t)
    return np.sum(g.W1 ** 2) + np.sum(g.b2 ** 2)


@pytest.mark.parametrize('f', [input_gradient_norm, parameter_gradient_norm])
def test_second_order_through_an_object(f):
    model, (x, t) = a_mlp(), data()
    got = check(f, model, x, t)
    assert type(got) is MLP


def dict_loss(p, x):
    return np.sum(np.tanh(x @ p['W'] + p['b']) ** 2)


ddict_loss = sg.grad(dict_loss)


def dict_gradient_part(p, x):
    return np.sum(ddict_loss(p, x)['W'] ** 2)     # 'b' of the gradient not read


def test_second_order_reading_part_of_a_dict_gradient():
    p = {'W': RNG.normal(size=(3, 2)), 'b': RNG.normal(size=2)}
    check(dict_gradient_part, p, RNG.normal(size=(4, 3)))


def test_a_class_attribute_is_static():
    class Scaled:
        scale = 2.0             # the class's, not the instance's: not differentiated

        def __init__(self):
            self.w = np.arange(3.0)

    got = sg.grad(lambda m: np.sum(m.w * m.scale))(Scaled())
    np.testing.assert_allclose(got.w, 2.0)
    assert vars(got).keys() == {'w'}


# ---- what is refused, where -------------------------------------------------------------
def calls_a_method(model, x):
    return np.sum(model.forward(x))  # ERR


def calls_the_object(model, x):
    return np.sum(model(x))  # ERR


class Stateful:
    def __init__(self):
        self.W = np.ones((3, 2))

    def loss(self, x):
        self.h = x @ self.W  # ERR
        return np.sum(self.h)


def writes_an_attribute(model, x):
    model.h = x @ model.W1  # ERR
    return np.sum(model.h)


def test_what_is_refused_is_refused_at_the_line():
    model, (x, _) = a_mlp(), data()
    with pytest.raises(TransformError) as info:
        sg.grad(calls_a_method)(model, x)
    assert "MLP has no method 'forward'" in str(info.value)
    assert f'{THIS_FILE}:{line_of(calls_a_method)}' in str(info.value)


@pytest.mark.parametrize('f', [calls_the_object, writes_an_attribute])
def test_calls_and_attribute_writes_once_refused_now_work(f):
    # (tests/test_methods.py tests these at length)
    model, (x, _) = a_mlp(), data()
    check_grads(f, model, x, order=1)
    assert not hasattr(model, 'h')


def test_an_attribute_written_in_a_bound_method_is_a_version():
    model, (x, _) = Stateful(), data()
    dmodel = sg.grad(model.loss, wrt='self')(x)
    np.testing.assert_allclose(dmodel.W, np.outer(np.sum(x, axis=0), np.ones(2)))
    assert not hasattr(model, 'h') and not hasattr(dmodel, 'h')


def test_a_property_is_refused_when_it_runs():
    class Transposed:
        def __init__(self):
            self.W = np.ones((3, 2))

        @property
        def W_t(self):
            return self.W.T

    def f(m, x):
        return np.sum(x @ m.W_t)  # ERR
    with pytest.raises(TypeError, match="attribute 'W_t' of a Transposed is computed by "
                                        "its class") as err:
        sg.grad(f)(Transposed(), np.ones((4, 2)))
    assert f'{THIS_FILE}:{line_of(f)}' in ' '.join(err.value.__notes__)


def test_an_attribute_from_getattr_is_refused_when_it_runs():
    class Dynamic:
        def __init__(self):
            self.W = np.ones((3, 2))

        def __getattr__(self, name):
            return self.W * 2 if name == 'W2' else super().__getattribute__(name)

    with pytest.raises(TypeError, match="attribute 'W2' of a Dynamic is computed by its "
                                        "class"):
        sg.grad(lambda m: np.sum(m.W2))(Dynamic())


def test_an_object_without_attributes_of_floats_is_refused_clearly():
    class Slots:
        __slots__ = ('w',)

        def __init__(self):
            self.w = np.ones(2)

    with pytest.raises(TypeError, match="argument 'm' of .* must be a float or an array of "
                                        "floats .* got Slots"):
        sg.grad(lambda m: np.sum(m.w))(Slots())


# ---- export -------------------------------------------------------------------------
def test_the_exported_module_takes_and_returns_the_object(tmp_path):
    model, (x, t) = a_stack(), data()
    dloss = sg.grad(stack_loss)
    dloss.export(tmp_path / 'stack_grad.py')
    got = _import_file(tmp_path / 'stack_grad.py', 'stack_grad').grad_stack_loss(model, x, t)
    assert_same_tree(got, dloss(model, x, t), rtol=1e-12, atol=0)


def test_a_bound_methods_export_takes_the_object_first(tmp_path):
    model, (x, y) = Regressor(np.random.default_rng(5), 3, 2), data()
    dloss = sg.grad(model.loss, wrt='self')
    dloss.export(tmp_path / 'loss_grad.py')
    got = _import_file(tmp_path / 'loss_grad.py', 'loss_grad').grad_loss(model, x, y)
    assert_same_tree(got, dloss(x, y), rtol=1e-12, atol=0)


@dataclass
class _Single:
    W: np.ndarray
    name: str = 'single'


class _Plain:
    def __init__(self, W, b):
        self.W, self.b, self.steps = W, b, 3


def _through_single(m, x):
    return np.sum(np.tanh(x @ m.W))


def _through_plain(p, x):
    return np.sum(np.sin(x @ p.W + p.b) ** 2)


@pytest.mark.parametrize('fn, make', [
    (_through_single, lambda rng: _Single(rng.normal(size=(3, 2)))),
    (_through_plain, lambda rng: _Plain(rng.normal(size=(3, 2)), rng.normal(size=2)))])
def test_the_gradient_of_an_objects_gradient_is_seeded_by_attribute(fn, make):
    """sg.grad(sg.grad(f))(model, x): the inner gradient returns an object, whose
    sum the outer one differentiates; its seed is ones by attribute (a run-time
    error in the generated code before: an object indexed by an attribute's name)."""
    rng = np.random.default_rng(3)
    model, x = make(rng), rng.normal(size=(4, 3))
    check_grads(fn, model, x, order=2)
    check_grads(fn, model, x, wrt=1, order=2)


class Owned:
    pass


@pytest.mark.parametrize('holder', ['object', 'dict', 'list'])
def test_an_argument_that_holds_itself_is_a_type_error_before_any_code_runs(holder):
    model = Owned()
    model.W = RNG.standard_normal((3, 2))
    if holder == 'object':
        model.owner, arg, path = model, model, "['owner']"
    elif holder == 'dict':
        arg = {'W': model.W}
        arg['again'], path = arg, "['again']"
    else:
        arg = [model.W]
        arg.append(arg)
        path = '[1]'

    def loss(m, x):
        return np.sum(x)

    with pytest.raises(TypeError, match=re.escape(f'holds itself again (through {path})')):
        sg.grad(loss)(arg, RNG.standard_normal(3))
