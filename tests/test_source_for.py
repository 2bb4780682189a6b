"""`source_for(*args)` is the code a call with such arguments runs, and
`export(path, like=args)` writes it; float64 NumPy scalars and 0-d arrays run
the float code, their gradients of their own types."""
import ast
import math
import warnings

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad import api


def layer(W, b, x):
    return np.sum(np.tanh(x @ W + b) ** 2)


def chain(x, y):
    z = np.sin(x) * y + x * x
    return np.tanh(z) / (1.0 + y * y)


def _ran(g, args, kwargs=None):
    """The Compiled a call ran: the one whose function a call made just now."""
    before = {id(c) for c in _all_compiled(g)}
    g(*args, **(kwargs or {}))
    chosen = g._compiled_for_call(args, kwargs)
    assert id(chosen) in before | {id(c) for c in _all_compiled(g)}
    return chosen


def _all_compiled(g):
    return [c for c in [g._compiled, g._for_floats, *g._for_shapes.values()] if c is not None]


def test_arrays_get_their_shape_specialisation():
    rng = np.random.default_rng(0)
    args = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(5, 3))
    g = sg.grad(layer, wrt=(0, 1))
    source = g.source_for(*args)
    assert source == g.compiled_for(args).generated.source
    assert source != g.source and '_sg_unbroadcast' not in source
    assert _ran(g, args).generated.source == source


@pytest.mark.parametrize('spelling', [float, np.float64, np.array])
def test_scalars_get_the_float_code(spelling):
    g = sg.grad(chain, wrt=(0, 1))
    args = spelling(0.3), spelling(-0.7)
    assert g.source_for(*args) == g.compiled_for_floats.generated.source
    assert _ran(g, args) is g.compiled_for_floats


def test_keywords_get_the_general_code():
    g = sg.grad(layer, wrt=(0, 1))
    W, b, x = np.ones((3, 4)), np.ones(4), np.ones((5, 3))
    assert g.source_for(W, b, x=x) == g.source


def test_source_for_checks_its_arguments_as_a_call():
    g = sg.grad(layer)
    with pytest.raises(TypeError, match='missing'):
        g.source_for(np.ones((3, 4)), np.ones(4))
    with pytest.raises(TypeError, match='must be a float'):
        g.source_for(np.ones((3, 4), int), np.ones(4), np.ones((5, 3)))


def _function_text(module_text, name):
    """A module's function `name`, the exported argument check left out."""
    tree = ast.parse(module_text)
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    lines = module_text.splitlines()[function.lineno - 1:function.end_lineno]
    return '\n'.join(line for line in lines if '_sg_expect_signature(' not in line)


@pytest.mark.parametrize('like', [
    (np.ones((3, 4)), np.ones(4), np.ones((5, 3))),
    (np.ones((3, 4)), np.ones((1, 4)), np.ones((5, 3))),
])
def test_export_like_writes_the_source_for_those_arguments(tmp_path, like):
    g = sg.grad(layer, wrt=(0, 1))
    path = tmp_path / 'out.py'
    g.export(path, like=like)
    source = g.source_for(*like)
    assert _function_text(path.read_text(), g.__name__) == _function_text(source, g.__name__)


def test_export_like_scalars_writes_the_float_code(tmp_path):
    g = sg.grad(chain, wrt=(0, 1))
    like = (np.float64(0.3), np.array(-0.7))
    path = tmp_path / 'out.py'
    g.export(path, like=like)
    assert _function_text(path.read_text(), g.__name__) == \
        _function_text(g.source_for(*like), g.__name__)


# ---- float64 NumPy scalars and 0-d arrays: the float code, their own types back

def test_numpy_scalars_and_0d_arrays_run_the_float_code():
    g = sg.value_and_grad(chain, wrt=(0, 1))
    expected_value, expected = g(0.3, -0.7)
    for spelling, kind in [(np.float64, np.float64), (np.array, np.ndarray)]:
        value, grads = g(spelling(0.3), spelling(-0.7))
        assert type(value) is np.float64 and value == expected_value
        assert all(type(d) is kind and np.shape(d) == () and d.dtype == np.float64
                   for d in grads)
        assert [float(d) for d in grads] == list(expected)
    value, (dx, dy) = g(np.float64(0.3), -0.7)     # beside a Python float
    assert type(dx) is np.float64 and type(dy) is float
    assert all(set(key) == {float} for key in g._for_shapes), 'no shape specialisation'


def test_a_0d_gradient_is_a_new_array():
    x = np.array(0.3)
    d = sg.grad(chain)(x, np.array(0.5))
    assert d is not x and not np.shares_memory(d, x)


@pytest.mark.parametrize('spelling', [np.float32, lambda v: np.array(v, np.float32),
                                      lambda v: np.array(v).astype('>f8')])
def test_other_scalars_keep_their_specialisation(spelling):
    g = sg.grad(chain, wrt=(0, 1))
    grads = g(spelling(0.3), spelling(-0.7))
    assert g._for_shapes, 'float32 is not computed in float64'
    assert all(np.asarray(d).dtype == np.asarray(spelling(0.3)).dtype for d in grads)


def power_half(x):
    return np.power(x, 0.5) + 1.0 / x


@pytest.mark.parametrize('x', [-math.inf, 0.0, -0.0, -1.0, math.nan, 4.0])
def test_inf_or_nan_runs_numpys_own_code(x):
    # NumPy's 0-d arrays and scalars differ at such points ((-inf) ** 0.5):
    # the float code's result is kept only where everything is finite
    g = sg.value_and_grad(power_half)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        for spelling in (np.float64, np.array):
            value, grad = g(spelling(x))
            expected = g._call_compiled(g.compiled_for((spelling(x),)), (spelling(x),), {})
            assert type(grad) is type(expected[1])
            assert np.array_equal(value, expected[0], equal_nan=True)
            assert np.array_equal(grad, expected[1], equal_nan=True)
            assert np.array_equal(value, power_half(spelling(x)), equal_nan=True)


def test_a_real_error_is_raised_with_its_note():
    def bad(x):
        return np.ones(2) @ np.ones(3) * x
    with pytest.raises(ValueError) as info:
        sg.grad(bad)(np.float64(1.0))
    assert any('test_source_for.py' in note for note in info.value.__notes__)
    with pytest.raises(TypeError):
        sg.grad(chain)(np.float64(1.0))


def test_numpy_scalars_are_fast():
    """A few times the Python float call (it was 6x, and 20x for 0-d arrays; now
    about 2.5x and 3x): the float code plus a conversion each way."""
    import timeit
    g = sg.grad(chain, wrt=(0, 1))
    timings = {}
    for spelling in (float, np.float64, np.array):
        args = spelling(0.3), spelling(-0.7)
        g(*args)
        timings[spelling] = min(timeit.repeat(lambda: g(*args), number=300, repeat=7))
    assert timings[np.float64] < 5 * timings[float] and timings[np.array] < 8 * timings[float]


def test_no_float64_scalars_without_numpy():
    assert not api._numpy_scalars((0.3, 1.0))
    assert not api._numpy_scalars(())
    assert api._numpy_scalars((0.3, np.float64(1.0)))
    assert not api._numpy_scalars((np.array([1.0]),))
