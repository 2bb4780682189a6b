"""A gradient's call goes straight into its entry (s2sgrad/entry.py): the float
code for all Python floats or all float64 NumPy scalars, behind the guards'
tests inline; anything else takes the API's general path.  The entry gives what
the general path gives, and a change the guards watch reaches it."""
import inspect
import math

import numpy as np
import pytest

import s2sgrad as sg

SCALE = 2.0


def chain(x, y, z):
    a = x * y
    b = np.sin(a) + z
    d = np.exp(-b * x)
    e = d + y ** 2
    return np.tanh(np.log(e) / z) * e * SCALE


def with_default(x, y, c=0.5):
    return np.sin(x * y) * c


def keyword_only(x, *, c=3.0):
    return np.sin(x) * c


ARGS = (0.8, 0.6, 1.3)


def _fast(g):
    """Is the call going to the generated entry (float code at hand)?"""
    return g.__call__.__code__.co_filename.startswith('<s2sgrad entry')


def _general(g, args, kwargs=None):
    """What the API's general path gives for this call."""
    return g._call(tuple(args), kwargs or {})


@pytest.mark.parametrize('wrt', [0, 2, (0, 1, 2), (1,), ('z', 'x')])
@pytest.mark.parametrize('make', [sg.grad, sg.value_and_grad])
@pytest.mark.parametrize('spelling', [float, np.float64, np.array])
def test_the_entry_gives_what_the_general_path_gives(make, wrt, spelling):
    g = make(chain, wrt=wrt)
    args = tuple(map(spelling, ARGS))
    first = g(*args)
    assert _fast(g)
    for result in (g(*args), first):
        expected = _general(g, args)
        assert type(result) is type(expected)
        flat = result if isinstance(result, tuple) else (result,)
        flat_expected = expected if isinstance(expected, tuple) else (expected,)
        for got, want in zip(flat, flat_expected):
            assert type(got) is type(want) and np.array_equal(got, want)


@pytest.mark.parametrize('spelling', [float, np.float64])
def test_gradients_come_back_in_the_arguments_types(spelling):
    value, grads = sg.value_and_grad(chain, wrt=(0, 1, 2))(*map(spelling, ARGS))
    kind = float if spelling is float else np.float64
    assert all(type(d) is kind for d in grads)
    assert type(value) in (float, np.float64)
    mixed = sg.grad(chain, wrt=(0, 1, 2))(np.float64(ARGS[0]), *ARGS[1:])
    assert [type(d) for d in mixed] == [np.float64, float, float]


@pytest.mark.parametrize('spelling', [float, np.float64, np.array])
def test_central_differences_agree(spelling):
    grads = sg.grad(chain, wrt=(0, 1, 2))(*map(spelling, ARGS))
    for k in range(3):
        h = 1e-6
        plus, minus = list(ARGS), list(ARGS)
        plus[k] += h
        minus[k] -= h
        numeric = (float(chain(*plus)) - float(chain(*minus))) / (2 * h)
        assert math.isclose(float(grads[k]), numeric, rel_tol=1e-7)


def test_a_rebound_global_reaches_the_entry():
    global SCALE
    g = sg.grad(chain, wrt=(0, 1, 2))
    for spelling in (float, np.float64):
        before = g(*map(spelling, ARGS))
        try:
            SCALE = 3.0
            after = g(*map(spelling, ARGS))
        finally:
            SCALE = 2.0
        assert all(math.isclose(a, 1.5 * b) for a, b in zip(after, before))
        assert g(*map(spelling, ARGS)) == before


def test_an_equal_value_rebound_keeps_the_entry_fast():
    global SCALE
    g = sg.grad(chain)
    g(*ARGS)
    compiled = g.compiled_for_floats
    SCALE = float('2.0')        # another object, the same value
    g(*ARGS)
    assert g.compiled_for_floats is compiled and _fast(g)
    assert g._entry_version == g._guards.version      # identity tests of the new object
    assert g(*ARGS) == _general(g, ARGS)


def test_rebound_defaults_reach_the_entry():
    g = sg.grad(with_default, wrt=(0, 1))
    assert g(0.3, 0.7, 0.5) == g(0.3, 0.7)
    saved = with_default.__defaults__
    try:
        with_default.__defaults__ = (2.0,)
        assert g(0.3, 0.7) == pytest.approx(tuple(4.0 * d for d in g(0.3, 0.7, 0.5)))
    finally:
        with_default.__defaults__ = saved
    assert g(0.3, 0.7) == g(0.3, 0.7, 0.5)


def test_calls_python_would_refuse_are_refused_alike():
    g = sg.grad(chain)
    g(*ARGS)
    assert _fast(g)
    for args, kwargs in [(ARGS[:2], {}), (ARGS + (1.0,), {}), (ARGS, {'x': 1.0}),
                         (ARGS, {'w': 1.0})]:
        with pytest.raises(TypeError, match=r'chain\(\).*defined at'):
            g(*args, **kwargs)


def test_keywords_and_defaults_give_the_same_gradient():
    g = sg.grad(chain, wrt=(0, 1, 2))
    expected = g(*ARGS)
    by_keyword = g(ARGS[0], z=ARGS[2], y=ARGS[1])
    assert all(math.isclose(a, b, rel_tol=1e-15) for a, b in zip(by_keyword, expected))
    d = sg.grad(with_default, wrt=(0, 1))
    assert d(0.3, 0.7) == d(0.3, 0.7, 0.5) == d(0.3, y=0.7)


def test_a_keyword_only_parameter_takes_the_general_path():
    g = sg.grad(keyword_only)
    assert g(0.3) == g.compiled_for_floats.function(0.3) == 3.0 * math.cos(0.3)
    assert g(0.3, c=2.0) == 2.0 * math.cos(0.3) and not _fast(g)


def test_the_signature_is_the_functions():
    assert inspect.signature(sg.grad(chain)) == inspect.signature(chain)
    assert inspect.signature(sg.value_and_grad(with_default)) == \
        inspect.signature(with_default)
