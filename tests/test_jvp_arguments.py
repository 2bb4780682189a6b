"""sg.jvp with every parameter kind sg.grad takes (positional-only, keyword-only,
*args, **kwargs), passed by position or keyword (`kwargs=`, `kwarg_tangents=`), and
with complex arguments: against central differences and against the gradient
(<grad f, v> is the jvp of a scalar f; Re <g, v> for a complex argument, whose
gradient is dL/dx - i dL/dy, rules/fft.py)."""
import numpy as np
import pytest

import s2sgrad as sg

from test_jvp import assert_jvp, central
from test_ops_fft import COMPLEX_CASES, complex_arg

RNG = np.random.default_rng(31)


def normal(*shape):
    return RNG.standard_normal(shape)


def with_keywords(x, f, kwargs, tangents, kwarg_tangents):
    """jvp with keyword arguments against central differences of f(*x, **kwargs)."""
    out, tangent = sg.jvp(f, x, tangents, kwargs=kwargs, kwarg_tangents=kwarg_tangents)
    np.testing.assert_allclose(out, f(*x, **kwargs), rtol=1e-12)
    eps = 1e-6

    def moved(sign):
        args = [a if t is None else a + sign * eps * t for a, t in zip(x, tangents)]
        kw = {k: v + sign * eps * kwarg_tangents[k] if kwarg_tangents.get(k) is not None
              else v for k, v in kwargs.items()}
        return f(*args, **kw)
    np.testing.assert_allclose(tangent, (moved(1) - moved(-1)) / (2 * eps), rtol=1e-6,
                               atol=1e-8)
    return tangent


# ---- keyword-only and positional-only ------------------------------------------

def scaled(x, /, y, *, scale=2.0, shift):
    return np.sum(np.sin(x) * y) * scale + shift * np.sum(y)


def test_keyword_only_and_positional_only_parameters():
    x, y = normal(3), normal(3)
    dx, dy = normal(3), normal(3)
    tangent = with_keywords([x, y], scaled, {'shift': 0.5, 'scale': 3.0}, [dx, dy],
                            {'shift': 0.7, 'scale': -1.2})
    grads = sg.grad(scaled, wrt=(0, 1, 'scale', 'shift'))(x, y, shift=0.5, scale=3.0)
    assert tangent == pytest.approx(np.sum(grads[0] * dx) + np.sum(grads[1] * dy)
                                    + grads[2] * -1.2 + grads[3] * 0.7, rel=1e-10)
    # a keyword left to its default, one held constant, one given by keyword only
    with_keywords([x, y], scaled, {'shift': 0.5}, [dx, None], {'shift': 1.0})
    with_keywords([x, y], scaled, {'shift': 0.5}, [None, None], {'shift': 1.0})
    with_keywords([x], scaled, {'y': y, 'shift': 0.5}, [dx], {'y': dy})


def test_the_generated_function_takes_every_parameter_by_position():
    fn = sg.jvp_function(scaled)
    x, y = normal(3), normal(3)
    assert fn.source_for((x, y), (normal(3), None), {'shift': 0.5}, {'shift': 1.0}) \
        .startswith('def jvp_scaled(x, y, scale, shift, dx, dshift):')


def test_wrong_calls_are_pythons_type_errors():
    x, y = normal(3), normal(3)
    with pytest.raises(TypeError, match="missing a required argument: 'shift'"):
        sg.jvp(scaled, (x, y), (x, y))
    with pytest.raises(TypeError, match='positional only'):
        sg.jvp(scaled, (), (), kwargs={'x': x, 'y': y, 'shift': 1.0})
    with pytest.raises(ValueError, match=r"tangents of keyword arguments not passed: \['scale'\]"):
        sg.jvp(scaled, (x, y), (x, y), kwargs={'shift': 1.0}, kwarg_tangents={'scale': 1.0})


# ---- *args and **kwargs ---------------------------------------------------------

def summed(W, *layers):
    h = W
    for layer in layers:
        h = np.tanh(h @ layer)
    return np.sum(h) + len(layers)


def indexed(W, *layers):
    total = 0.0
    for i in range(len(layers)):
        total = total + np.sum(np.sin(W @ layers[i]))
    return total * layers[0][0, 0]


def options(x, **kwargs):
    lr = kwargs['lr']
    return np.sum(x ** 2) * lr + kwargs.get('beta', 0.5) * np.sum(x)


@pytest.mark.parametrize('f', [summed, indexed])
def test_var_positional_arguments(f):
    W, A, B = normal(2, 3), normal(3, 3), normal(3, 3)
    tangents = [normal(2, 3), normal(3, 3), normal(3, 3)]
    tangent = assert_jvp(f, [W, A, B], tangents)
    grads = sg.grad(f, wrt=(0, 1))(W, A, B)
    expected = np.sum(grads[0] * tangents[0]) + sum(np.sum(g * t) for g, t in
                                                    zip(grads[1], tangents[1:]))
    np.testing.assert_allclose(tangent, expected, rtol=1e-10)
    # some of them constant, and another count of them (another transformation)
    assert_jvp(f, [W, A, B], [None, tangents[1], None])
    assert_jvp(f, [W, A], tangents[:2])


def test_var_keyword_arguments():
    x = normal(4)
    with_keywords([x], options, {'lr': 0.3, 'beta': 2.0}, [normal(4)], {'lr': 1.0, 'beta': -0.5})
    with_keywords([x], options, {'lr': 0.3}, [None], {'lr': 1.0})
    tangent = with_keywords([x], options, {'lr': 0.3, 'beta': 2.0}, [None], {'beta': 1.0})
    assert tangent == pytest.approx(np.sum(x))


# ---- complex arguments ----------------------------------------------------------

@pytest.mark.parametrize('fn, shape, afn', COMPLEX_CASES)
def test_complex_argument_along_a_complex_tangent(fn, shape, afn):
    z = complex_arg(shape, seed=len(fn.__name__))
    w = complex_arg(shape, seed=2 + len(fn.__name__))
    _, tangent = sg.jvp(fn, (z,), (w,))
    # a real loss: dL = Re <g, dz> with the gradient's convention
    np.testing.assert_allclose(tangent, np.real(np.sum(sg.grad(fn)(z) * w)), rtol=1e-8,
                               atol=1e-10)
    np.testing.assert_allclose(tangent, central(fn, [z], [w]), rtol=1e-6, atol=1e-8)


def holomorphic(z, c):
    return np.exp(z) * c + np.sqrt(z) @ np.fft.fft(z) + np.sum(z ** 3) / c


def mixed(z, x):
    return np.abs(z) ** 2 * x + np.angle(z) + np.real(z * np.conj(z[::-1]))


def test_complex_outputs_and_complex_with_real_arguments():
    z, c = complex_arg((4,), 1), complex_arg((), 2)[()]
    assert_jvp(holomorphic, [z, c], [complex_arg((4,), 3), complex_arg((), 4)[()]])
    assert_jvp(holomorphic, [z, c], [None, complex_arg((), 4)[()]])
    # a real tangent of a complex argument moves it along the real axis
    assert_jvp(mixed, [z, normal(4)], [normal(4), normal(4)])
    assert_jvp(mixed, [z, normal(4)], [complex_arg((4,), 5), None])


def variance(z):
    return np.var(z) + np.linalg.norm(z)


def real_norm(x):
    return np.linalg.norm(np.fft.fft(x))


def test_what_complex_values_cannot_be_proven_for_is_refused():
    z = complex_arg((4,), 1)
    # a real tangent for a complex value is fine, a complex one for a real value is not
    with pytest.raises(TypeError, match='the tangent of z is complex but the value is real'):
        sg.jvp(variance, (np.ones(4),), (z,))
    # reductions with a real result of complex values: their tangents are not proven
    with pytest.raises(LookupError, match='np.var of values that may be complex') as info:
        sg.jvp(variance, (z,), (z,))
    assert f'test_jvp_arguments.py:{variance.__code__.co_firstlineno + 1}' in str(info.value)
    # (complex values made inside count too)
    with pytest.raises(LookupError, match='np.linalg.norm of values that may be complex'):
        sg.jvp(real_norm, (normal(4),), (normal(4),))
    assert_jvp(variance, [normal(4)], [normal(4)])
