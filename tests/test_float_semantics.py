"""Python floats get NumPy's results: inf and nan, never ZeroDivisionError, a math
domain error, an OverflowError or a complex number.

A gradient called with Python floats runs the float specialisation (Python's
own float arithmetic, `math` twins); where that raises, the call is made again
with np.float64 (api.GradFunction._call_numpy_floats).  Each program below is
differentiated at edge inputs with a Python float and an np.float64: the two
must agree with each other and with the original function run on np.float64,
and the gradient of a float is a float.
"""
import warnings

import numpy as np
import pytest

import s2sgrad as sg


def divide(x):
    return np.divide(1.0, x)


def divide_operator(x):
    return 1.0 / x


def power_half(x):
    return np.power(x, 0.5)


def power_operator(x):
    return x ** 0.5


def power_negative(x):
    return np.power(x, -1.0)


def power_of_two(x):
    return np.power(2.0, x)


def power_both(x):
    return np.power(x, x)


def log(x):
    return np.log(x)


def log1p(x):
    return np.log1p(x)


def log10(x):
    return np.log10(x)


def sqrt(x):
    return np.sqrt(x)


def arcsin(x):
    return np.arcsin(x)


def arccos(x):
    return np.arccos(x)


def arctanh(x):
    return np.arctanh(x)


def exp(x):
    return np.exp(x)


def cosh(x):
    return np.cosh(x)


def sin(x):
    return np.sin(x)          # the float specialisation calls math.sin: it raises at inf


def tanh(x):
    return np.tanh(x)


def remainder(x):
    return np.remainder(1.0, x) + x


def floor_divide(x):
    return np.floor_divide(3.0, x) + x


def reciprocal(x):
    return np.reciprocal(x)


def compares_nan(x):
    return np.where(x > 0.0, x, 2.0 * x) + (x == x) * x


def chain(x):
    return np.log(np.sqrt(x) * x) / x


PROGRAMS = [divide, divide_operator, power_half, power_operator, power_negative, power_of_two,
            power_both, log, log1p, log10, sqrt, arcsin, arccos, arctanh, exp, cosh, sin, tanh,
            remainder, floor_divide, reciprocal, compares_nan, chain]
EDGES = [0.0, -0.0, 1.0, -1.0, 2.0, -2.5, 1000.0, -1000.0, float('inf'), float('-inf'),
         float('nan')]


def same(a, b):
    """Equal, nan equal to nan (and -0.0 to 0.0: NumPy itself gives (-0.0) ** 0.5
    as 0.0 on a scalar and -0.0 on an array)."""
    return np.array_equal(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                          equal_nan=True)


@pytest.mark.parametrize('fn', PROGRAMS, ids=[f.__name__ for f in PROGRAMS])
def test_python_floats_give_numpys_results(fn):
    made = sg.value_and_grad(fn)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        for x in EDGES:
            expected_value = fn(np.float64(x))
            value64, grad64 = made(np.float64(x))
            value, grad = made(x)
            assert type(grad) is float, (fn.__name__, x, grad)
            assert same(value64, expected_value), (fn.__name__, x, value64, expected_value)
            assert same(value, value64) and same(grad, grad64), \
                (fn.__name__, x, (value, grad), (value64, grad64))
            # a 0-d array: NumPy's array arithmetic ((-inf) ** 0.5 is nan on an
            # array, inf on a scalar), no exception
            value0, grad0 = made(np.array(x))
            assert same(value0, fn(np.array(x))) and np.shape(grad0) == ()


def test_the_first_call_may_fall_back():
    made = sg.grad(log)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        assert made(0.0) == np.inf          # the first call, before any other
    assert made(2.0) == 0.5


def mixed(w, y):
    return np.sum(w) * np.power(y, 0.5) + np.log(y)


@pytest.mark.parametrize('y', [-1.0, 0.0, 4.0])
def test_a_float_beside_an_array(y):
    """The shape specialisation too: a Python float beside a float32 array."""
    made = sg.value_and_grad(mixed, wrt=(0, 1))
    w = np.ones(2, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        value, (dw, dy) = made(w, y)
        value64, (dw64, dy64) = made(w, np.float64(y))
    assert type(dy) is float and dw.dtype == np.float32
    assert same(value, value64) and same(dw, dw64) and same(dy, dy64), (dy, dy64)


def raises_for_real(x):
    return np.ones(2) @ np.ones(3) * x


def test_a_real_error_still_raises_with_its_note():
    with pytest.raises(ValueError) as info:
        sg.grad(raises_for_real)(1.0)
    assert any('test_float_semantics.py' in note for note in info.value.__notes__)


def tanh_of_an_array_made_from_a_float(x, y):
    v0 = np.matmul(np.ones((2, 2)), np.ones(2)) * y
    v1 = np.sign(y) * y
    return np.sum(np.sign(v1) * v1) + np.sum(v0 * np.tanh(v0)) + np.sin(x)


def sin_of_a_stack(x, y):
    s = np.stack([x, y])
    return np.sum(np.sin(s) * np.cos(s)) + np.tanh(x) * np.arctan(np.array([x, y]))[1]


@pytest.mark.parametrize('fn', [tanh_of_an_array_made_from_a_float, sin_of_a_stack])
@pytest.mark.parametrize('spelling', [float, np.float64, np.array])
def test_a_math_twin_only_for_a_float(fn, spelling):
    """The float specialisation calls math.tanh only where the operand is a float,
    not an array built from one ('only 0-dimensional arrays can be converted')."""
    made = sg.grad(fn, wrt=(0, 1))
    args = (spelling(0.7), spelling(-0.4))
    grads = made(*args)
    if spelling is float:
        assert made.compiled_for_floats.function(*args) == grads     # no fall back
        assert 'math.tanh(v0)' not in made.compiled_for_floats.generated.source
    assert_central_differences(fn, args, grads, rtol=1e-6)


def assert_central_differences(fn, args, grads, rtol):
    """Each gradient agrees with central differences of `fn` at the args' values."""
    for k, grad in enumerate(grads):
        h = 1e-6
        plus, minus = list(map(float, args)), list(map(float, args))
        plus[k] += h
        minus[k] -= h
        numeric = (fn(*plus) - fn(*minus)) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=rtol)


def divides_by_a_zero_constant(x):
    return np.divide(x, 0.0)


def divides_by_zero_in_a_branch_not_taken(x):
    if x > 100.0:
        return x * (1.0 / 0.0)
    return x * 2.0


@pytest.mark.parametrize('x', [1.0, np.float64(1.0), np.array(1.0), np.array([1.0, -2.0])])
def test_a_rule_divides_by_a_zero_constant_as_numpy_does(x):
    # the rule's dy / 0.0 is folded as NumPy computes it (inf), not refused
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        value, grad = sg.value_and_grad(divides_by_a_zero_constant)(x)
        expected = np.divide(x, 0.0)
    assert np.array_equal(value, expected)
    assert np.all(np.isinf(grad)) and np.all(grad > 0)


def test_the_users_division_by_zero_raises_only_where_python_does():
    assert sg.grad(divides_by_zero_in_a_branch_not_taken)(1.0) == 2.0
    with pytest.raises(ZeroDivisionError):
        divides_by_zero_in_a_branch_not_taken(200.0)
    with pytest.raises(ZeroDivisionError):
        sg.graph(divides_by_zero_in_a_branch_not_taken)(200.0)


class _Scale(float):
    """A float subclass with a look of its own (an enum-like constant)."""

    def __repr__(self):
        return 'Scale'


def scales_by_a_default(x, c=_Scale(2.0)):
    return x * c


def test_a_float_subclass_default_gives_a_float_gradient():
    # the float path drops float() only for exact floats: a Python float's gradient
    # is a float (API), never the subclass a default happened to be
    for grad in (sg.grad(scales_by_a_default), sg.grad(scales_by_a_default, wrt=1)):
        g = grad(1.5)
        assert type(g) is float
    assert sg.grad(scales_by_a_default)(1.5) == 2.0
    assert sg.grad(scales_by_a_default, wrt=1)(1.5) == 1.5


# ---- NumPy's functions of floats are math's in the float code -------------------------

def numpy_chain(x, y):
    a = np.sin(x * y) + np.sqrt(y)
    return np.tanh(np.log(np.exp(-a) + y ** 2) / x) * np.cos(a)


@pytest.mark.parametrize('spelling', [float, np.float64, np.array])
def test_numpy_functions_of_floats_run_as_math_functions(spelling):
    g = sg.value_and_grad(numpy_chain, wrt=(0, 1))
    args = (spelling(0.8), spelling(1.7))
    source = g.source_for(*args)
    code = '\n'.join(line for line in source.splitlines() if not line.strip().startswith('#'))
    for twin in ('math.sin(', 'math.sqrt(', 'math.tanh(', 'math.log(', 'math.exp(',
                 'math.cos('):
        assert twin in code, source
    assert 'np.' not in code and 'float(' not in code, source
    value, grads = g(*args)
    assert same(value, numpy_chain(*map(np.float64, args)))
    assert_central_differences(numpy_chain, args, grads, rtol=1e-7)


@pytest.mark.parametrize('fn, x', [(log, -1.0), (log, 0.0), (exp, 1000.0), (sqrt, -4.0),
                                   (chain, -2.0)])
@pytest.mark.parametrize('spelling', [float, np.float64, np.array])
def test_where_math_raises_numpy_warns_as_the_function_does(fn, x, spelling):
    """math.log(-1.0) raises where np.log warns and gives nan: the call gives NumPy's
    result and its warning, as the function itself does (and raises as it does under
    np.errstate(all='raise'))."""
    g = sg.value_and_grad(fn)
    with pytest.warns(RuntimeWarning) as expected_warnings:
        expected = fn(spelling(x))
    with pytest.warns(RuntimeWarning) as warned:
        value, grad = g(spelling(x))
    assert same(value, expected)
    assert {str(w.message) for w in expected_warnings} <= {str(w.message) for w in warned}
    assert type(grad) is type(sg.grad(fn)(spelling(2.0)))
    with np.errstate(all='raise'):
        with pytest.raises(FloatingPointError):
            fn(spelling(x))
        with pytest.raises(FloatingPointError):
            g(spelling(x))


W32 = np.array([0.1, 0.2, 0.3], np.float32)


def abs_of_a_root_of_sin(x):
    return abs(np.sin(x) ** 0.5) + x        # nan below zero, never a complex's abs


def abs_of_a_root_of_log(x):
    return np.abs(np.log(x) ** 0.5) * x


def sum_method_of_exp(x):
    return np.exp(x).sum() * x + np.sin(x).max()


def exp_beside_float32(x):
    return np.sum(np.exp(x) * W32)          # an np.float64 keeps the product float64


def exp_squared(x):
    e = np.exp(-x)
    return e ** 2 + np.arcsinh(e) * np.power(x, 0.5)     # floats and float64 scalars


@pytest.mark.parametrize('fn, x, twins', [
    (abs_of_a_root_of_sin, -1.0, False), (abs_of_a_root_of_sin, 1.0, False),
    (abs_of_a_root_of_log, 0.5, False), (sum_method_of_exp, 0.3, False),
    (exp_beside_float32, 0.3, False), (exp_squared, 0.3, True), (exp_squared, -0.9, True),
    (exp_squared, 0.0, True)])
def test_a_math_twin_only_where_its_float_reads_as_numpys(fn, x, twins):
    """A twin's float stands where the function has an np.float64: `** 0.5` of a
    negative one would be a complex number (abs() of it a number where NumPy gives
    nan), a method fails on it, and beside float32 NumPy would promote it
    differently.  Where so, the NumPy function stays."""
    g = sg.value_and_grad(fn)
    code = '\n'.join(line for line in g.source_for(x).splitlines()
                     if not line.strip().startswith('#'))
    assert ('math.' in code) == twins, code
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        expected = fn(np.float64(x))
        numpys = g._numpy_code((np.float64(x),))[1]       # NumPy's code on np.float64
        for spelling in (float, np.float64, np.array):
            value, grad = g(spelling(x))
            assert same(value, expected) and np.asarray(value).dtype == np.float64
            assert same(grad, numpys) or np.isclose(grad, numpys, rtol=1e-7), (grad, numpys)
        if np.isfinite(numpys):
            h = 1e-6
            numeric = (fn(np.float64(x + h)) - fn(np.float64(x - h))) / (2 * h)
            assert np.isclose(numpys, numeric, rtol=1e-6)


def inverts_a_comparison(x):
    return np.where(~(np.sin(x) > 0.0), x, 2.0 * x) + (np.exp(x) > 1.0) * x


def test_a_comparison_of_a_twin_keeps_numpys_bool():
    # ~ of NumPy's bool is its negation, of Python's True -2: the functions stay
    g = sg.grad(inverts_a_comparison)
    for x in (-0.5, 0.5):
        expected = sg.grad(inverts_a_comparison)(np.array([x]))[0]
        assert g(x) == expected and g(np.float64(x)) == expected
