"""Callables with no source and no registered gradient (API.md section 7).

On the gradient path: LookupError naming the function and the user's file and
line (the line marked `# ERR`).  Off it (constant inputs): they run.  Never an
internal crash such as TypeError "unhashable type" (a ctypes function is
unhashable).
"""
import ctypes
import ctypes.util
import functools
import inspect
import os
import zlib

import numpy as np
import pytest

import s2sgrad as sg

THIS_FILE = os.path.abspath(__file__)

pyfunc = np.frompyfunc(lambda a: a * 2.0, 1, 1)
vectorized = np.vectorize(lambda a: a * 2.0)
_libm = ctypes.CDLL(ctypes.util.find_library('m') or None)
c_cos = _libm.cos
c_cos.restype = ctypes.c_double
c_cos.argtypes = [ctypes.c_double]


def on_path_frompyfunc(x):
    y = pyfunc(x)  # ERR
    return np.sum(y.astype(float))


def on_path_vectorize(x):
    return np.sum(vectorized(x))  # ERR


def on_path_ctypes(x):
    return c_cos(x) * 2.0  # ERR


def on_path_reduce(x):
    return np.sum(functools.reduce(np.add, [x, x]))  # ERR


def on_path_c_extension(x):
    return zlib.crc32(x) * x  # ERR


def in_a_helper(x):
    return c_cos(x)  # ERR


def calls_the_helper(x):
    return in_a_helper(x) + x


CASES = [(on_path_frompyfunc, 'pyfunc', np.ones(3)), (on_path_vectorize, 'vectorized', np.ones(3)),
         (on_path_ctypes, 'c_cos', 0.5), (on_path_ctypes, 'c_cos', np.float64(0.5)),
         (on_path_reduce, 'reduce', np.ones(3)), (on_path_c_extension, 'crc32', 0.5),
         (calls_the_helper, 'c_cos', 0.5)]


def marked_line(fn):
    lines, start = inspect.getsourcelines(fn)
    (line,) = [start + i for i, text in enumerate(lines) if '# ERR' in text]
    return line


@pytest.mark.parametrize('fn, name, x', CASES,
                         ids=[f'{fn.__name__}-{type(x).__name__}' for fn, _, x in CASES])
@pytest.mark.parametrize('transform', [sg.grad, sg.value_and_grad,
                                       lambda f: sg.grad(sg.graph(f))])
def test_on_the_gradient_path_a_lookup_error_at_the_users_line(fn, name, x, transform):
    with pytest.raises(LookupError) as info:
        transform(fn)(x)
    message = str(info.value)
    source = in_a_helper if fn is calls_the_helper else fn
    assert name in message, message
    assert f'{THIS_FILE}:{marked_line(source)}' in message, message


def off_path(x):
    k = c_cos(0.0) + float(pyfunc(np.array(1.0))) + np.sum(vectorized(np.ones(2)))
    return np.sum(x * k)


@pytest.mark.parametrize('x', [0.5, np.float64(0.5), np.array([0.5, 1.5])])
def test_off_the_gradient_path_they_run(x):
    np.testing.assert_allclose(sg.graph(off_path)(x), off_path(x))
    np.testing.assert_allclose(sg.grad(off_path)(x), (1.0 + 2.0 + 4.0) * np.ones_like(x))


def uses_registered_sin(x):
    return c_sin_registered(x) * x


c_sin_registered = _libm.sin
c_sin_registered.restype = ctypes.c_double
c_sin_registered.argtypes = [ctypes.c_double]


@sg.register_gradient(c_sin_registered)
def _c_sin_grad(dy, y, x):
    return dy * np.cos(x)


def test_a_registered_gradient_of_a_ctypes_function_is_used():
    x = 0.7
    np.testing.assert_allclose(sg.grad(uses_registered_sin)(x), np.sin(x) + x * np.cos(x))
