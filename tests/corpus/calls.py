"""Calls: helpers here and in another module, nested defs and closures,
lambdas, functions as arguments, keyword/default and variadic arguments,
functools.wraps decorators, the math module, array methods."""
import functools
import math

import numpy as np

from . import Case
from . import shared
from .shared import sigmoid

SCALE = 1.5


def helpers_from_another_module(x, W):
    z = x @ W
    return np.sum(shared.softplus(z)) + np.sum(shared.smooth_abs(z))


def logistic_loss(w, X, y):
    p = sigmoid(X @ w)
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def nested_predict_loss(W, b, x, t):
    def predict(inputs):
        return np.tanh(inputs @ W + b)

    return np.sum((predict(x) - t) ** 2) + 0.1 * np.sum(predict(t[:, :1] * x))


def _make_scaler(s):
    def scale(z):
        return s * z
    return scale


def scaler_from_factory(alpha, x):
    f = _make_scaler(alpha)
    return np.sum(np.sin(f(x)))


def lambda_activation(x, w):
    act = lambda z: z * np.tanh(z)
    return np.sum(act(x @ w))


def lambda_closure(x, a):
    penalty = lambda z: a * z ** 2 + np.sin(a * z)
    return np.sum(penalty(x)) + penalty(a)


def _apply_twice(f, x):
    return f(f(x))


def twice_applied(x):
    return np.sum(_apply_twice(np.sin, x)) + np.sum(_apply_twice(shared.softplus, x))


def _cube(z):
    return z ** 3


def _compose(f, g, x):
    return f(g(x))


def composed_helpers(x):
    return np.sum(_compose(shared.softplus, _cube, x))


def _smooth_relu(z, beta=1.0, shift=0.0, factor=SCALE):
    return factor * np.log1p(np.exp(beta * (z - shift))) / beta


def keyword_and_default_arguments(x):
    return np.sum(_smooth_relu(x, shift=0.5)) + np.sum(_smooth_relu(x, 2.0)) \
        + np.sum(_smooth_relu(beta=0.5, z=x))


def _weighted_sum(*terms, weights):
    total = 0.0
    for t, w in zip(terms, weights):
        total = total + w * np.sum(t)
    return total


def star_args_sum(x, y):
    return _weighted_sum(x, y, x * y, np.sin(x), weights=(1.0, 0.5, 2.0, 1.0))


def _activate(z, slope=0.1, power=1.0):
    return np.where(z > 0, z, slope * z) ** power + np.tanh(z)


def _layer(x, W, **options):
    return _activate(x @ W, **options)


def forwarded_kwargs(x, W):
    h = _layer(x, W, slope=0.2, power=2.0)
    args = (h, np.ones((W.shape[1], 2)))
    return np.sum(_layer(*args, slope=0.3))


def penalized(weight):
    """Decorator: adds ``weight * |first argument|^2`` to a loss."""
    def decorate(loss):
        @functools.wraps(loss)
        def wrapper(*args, **kwargs):
            return loss(*args, **kwargs) + weight * np.sum(args[0] ** 2)
        return wrapper
    return decorate


@penalized(0.1)
def _fit_loss(w, X, y):
    return np.mean((X @ w - y) ** 2)


def ridge_fit(w, X, y):
    return _fit_loss(w, X, y)


def scaled_output(factor):
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return factor * fn(*args, **kwargs)
        return wrapper
    return decorate


@scaled_output(2.0)
def doubled_energy(x, k):
    return 0.5 * k * np.sum(x ** 2) + np.sum(np.cos(x))


def math_on_scalars(a, b):
    return math.exp(a) * math.sin(b) + math.log1p(a * a) + math.sqrt(b * b + 1.0)


def fourier_series(theta, n):
    s = 0.0
    for k in range(1, n + 1):
        s += math.cos(k * theta) / k ** 2 + math.sin(k * theta) / k ** 3
    return s


def _trapezoid(f, lo, hi, n):
    h = (hi - lo) / n
    total = 0.5 * (f(lo) + f(hi))
    for i in range(1, n):
        total = total + f(lo + i * h)
    return h * total


def gaussian_integral(a):
    return _trapezoid(lambda t: np.exp(-a * t * t), 0.0, 1.0, 20)


def array_methods(x, W):
    pairs = x.reshape(-1, 2)
    y = pairs.mean(axis=1) @ W
    return y.sum() + x.cumsum().max() + (W.T @ W).trace() + x.reshape(2, 3).prod(axis=0).sum()


def builtin_scalar_functions(a, b):
    return abs(a) * max(a, b) + min(a, 0.5 * b)


def _elman(h, x, W):
    return np.tanh(x @ W + h)


def alternating_cells(W1, W2, b, xs):
    h = np.zeros(W1.shape[1])
    for t in range(xs.shape[0]):
        if t % 2 == 0:
            h = _elman(h, xs[t], W1)
        else:
            h = shared.dense(np.tanh(h), W2, b)
    return np.sum(h ** 2)


def nested_step_in_loop(x0, k):
    def step(x, v):
        a = -k * x
        return x + 0.1 * v, v + 0.1 * a

    x, v = x0, np.zeros_like(x0)
    for _ in range(10):
        x, v = step(x, v)
    return np.sum(x * x + v * v)


def _integrate(rhs, y, n):
    for _ in range(n):
        y = y + 0.1 * rhs(y)
    return y


def closure_passed_to_helper(y0, rate):
    def rhs(y):
        return -rate * y + np.sin(y)

    return np.sum(_integrate(rhs, y0, 8))


# ------------------------------------------------------------------ cases

def _xw(rng):
    return rng.standard_normal((4, 3)), rng.standard_normal((3, 2))


def _logistic_args(rng):
    return rng.standard_normal(3), rng.standard_normal((6, 3)), \
        np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])


def _nested_args(rng):
    return (rng.standard_normal((3, 2)), rng.standard_normal(2),
            rng.standard_normal((4, 3)), rng.standard_normal((4, 2)))


def _vec(n):
    def make(rng):
        return (rng.standard_normal(n),)
    return make


def _ridge_args(rng):
    return rng.standard_normal(3), rng.standard_normal((5, 3)), rng.standard_normal(5)


def _alternating_args(rng):
    return (0.5 * rng.standard_normal((3, 4)), 0.5 * rng.standard_normal((4, 4)),
            0.1 * rng.standard_normal(4), rng.standard_normal((5, 3)))


CASES = [
    Case(helpers_from_another_module, _xw, (0, 1), {'other_module', 'kwargs'},
         order=2),
    Case(logistic_loss, _logistic_args, (0, 1), {'other_module'}, order=2,
         float32=True),
    Case(nested_predict_loss, _nested_args, (0, 1, 2, 3),
         {'nested_def', 'closure'}, order=2),
    Case(scaler_from_factory, lambda r: (0.7, r.standard_normal(4)), (0, 1),
         {'helper', 'nested_def', 'closure', 'higher_order'}, order=2),
    Case(lambda_activation, lambda r: (r.standard_normal((4, 3)), r.standard_normal(3)),
         (0, 1), {'lambda'}, order=2),
    Case(lambda_closure, lambda r: (r.standard_normal(4), 0.8), (0, 1),
         {'lambda', 'closure'}, order=2),
    Case(twice_applied, _vec(4), 0, {'helper', 'higher_order', 'other_module'},
         order=2),
    Case(composed_helpers, _vec(4), 0, {'helper', 'higher_order', 'other_module'},
         order=2),
    Case(keyword_and_default_arguments, _vec(4), 0,
         {'helper', 'kwargs', 'constant'}, order=2),
    Case(star_args_sum, lambda r: (r.standard_normal(3), r.standard_normal(3)),
         (0, 1), {'helper', 'varargs', 'kwargs', 'zip'}),
    Case(forwarded_kwargs, _xw, (0, 1), {'helper', 'varargs', 'kwargs', 'tuple'}),
    Case(ridge_fit, _ridge_args, (0, 1, 2), {'helper', 'decorator'}, order=2),
    Case(doubled_energy, lambda r: (r.standard_normal(4), 1.3), (0, 1),
         {'decorator'}, order=2),
    Case(math_on_scalars, lambda r: (0.6, -1.1), (0, 1), {'math'},
         autograd_ok=False, order=2),
    Case(fourier_series, lambda r: (0.9, 6), 0,
         {'math', 'for_range', 'augassign'}, autograd_ok=False, order=2),
    Case(gaussian_integral, lambda r: (0.8,), 0,
         {'lambda', 'closure', 'higher_order', 'helper', 'for_range'}, order=2),
    Case(array_methods, lambda r: (r.standard_normal(6), r.standard_normal((3, 2))),
         (0, 1), {'methods'}, order=2),
    Case(builtin_scalar_functions, lambda r: (0.7, -1.3), (0, 1), set(),
         order=2),
    Case(alternating_cells, _alternating_args, (0, 1, 2, 3),
         {'for_range', 'if', 'helper', 'other_module'}),
    Case(nested_step_in_loop, lambda r: (r.standard_normal(3), 2.0), (0, 1),
         {'nested_def', 'closure', 'for_range', 'tuple'}, order=2),
    Case(closure_passed_to_helper, lambda r: (r.standard_normal(3), 0.6), (0, 1),
         {'nested_def', 'closure', 'higher_order', 'helper', 'for_range'}),
]
