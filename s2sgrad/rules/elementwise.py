"""Elementwise functions: arithmetic, exp/log, trigonometric, max/min, where, clip,
angle conversions, sinc, nan_to_num, fmax/fmin, logaddexp, arctan2, hypot, fmod,
copysign, float_power.

The `math` module's scalar functions share the NumPy rules.

Rules of several inputs are registered with `broadcasts=True`: the AD pass
sums each gradient back to its input's shape, so the rules never do.
Non-smooth points follow TensorFlow (API.md section 4).
"""
import math

import numpy as np

from ..runtime.helpers import _sg_unbroadcast
from .registry import constant, register_constant, register_gradient, same

# a step function: piecewise constant
register_constant(np.heaviside)


@register_gradient(np.add, broadcasts=True)
def add_grad(dy, y, x1, x2):
    return dy, dy


@register_gradient(np.subtract, broadcasts=True)
def subtract_grad(dy, y, x1, x2):
    return dy, -dy


@register_gradient(np.multiply, broadcasts=True)
def multiply_grad(dy, y, x1, x2):
    if same(x1, x2):                    # x * x: one term, 2 x dy
        return dy * 2.0 * x1, None
    return dy * x2, dy * x1


@register_gradient(np.true_divide, broadcasts=True)
def divide_grad(dy, y, x1, x2):
    # -x1 / x2**2 as -y / x2: no overflow or underflow of the square
    return dy / x2, -dy * y / x2


def power_adjoint(dy, y, x1, x2, power):
    """The gradients of `power(x1, x2)` (np.power or np.float_power; a template)."""
    p = constant(x2)
    if p == 2:
        return dy * 2.0 * x1, None
    if p == 1:
        return dy, None
    if power is np.power and (isinstance(p, int) or isinstance(p, float)) and p % 1 == 0:
        return dy * x2 * x1 ** (x2 - 1), None       # the operator, as users write it
    # (np.power, not **: on a Python float base, ** of a fractional exponent gives
    # a complex number where NumPy gives nan; the float specialisation spells it
    # ** again, for speed)
    return dy * x2 * power(x1, x2 - 1), dy * y * np.log(np.where(x1 > 0, x1, 1.0))


@register_gradient((np.power, math.pow), broadcasts=True)
def power_grad(dy, y, x1, x2):
    # x ** p at x == 0: the p-1 power is exact (0 for p > 1); log(x) is replaced
    # by 0 there, where the exponent's gradient is 0 * log(0) by convention.
    return power_adjoint(dy, y, x1, x2, np.power)


@register_gradient(np.float_power, broadcasts=True)
def float_power_grad(dy, y, x1, x2):
    # as np.power, computed in float64 as np.float_power is (the gradient of a float32
    # input is cast back to float32)
    return power_adjoint(dy, y, x1, x2, np.float_power)


@register_gradient(np.negative)
def negative_grad(dy, y, x):
    return -dy


@register_gradient(np.positive)
def positive_grad(dy, y, x):
    return dy


@register_gradient((np.exp, math.exp))
def exp_grad(dy, y, x):
    return dy * y


@register_gradient(np.exp2)
def exp2_grad(dy, y, x):
    return dy * y * np.log(2.0)


@register_gradient((np.expm1, math.expm1))
def expm1_grad(dy, y, x):
    return dy * (y + 1.0)


@register_gradient((np.log, math.log))
def log_grad(dy, y, x):
    return dy / x


@register_gradient((np.log2, math.log2))
def log2_grad(dy, y, x):
    return dy / (x * np.log(2.0))


@register_gradient((np.log10, math.log10))
def log10_grad(dy, y, x):
    return dy / (x * np.log(10.0))


@register_gradient((np.log1p, math.log1p))
def log1p_grad(dy, y, x):
    return dy / (1.0 + x)


@register_gradient((np.sqrt, math.sqrt))
def sqrt_grad(dy, y, x):
    return dy * 0.5 / y


@register_gradient(np.square)
def square_grad(dy, y, x):
    return dy * 2.0 * x


@register_gradient(np.reciprocal)
def reciprocal_grad(dy, y, x):
    return -dy * y * y


@register_gradient((np.abs, np.fabs, abs, math.fabs))
def abs_grad(dy, y, x):
    # conj(x) / |x|: sign(x) for real x, the complex convention of rules/fft.py for
    # complex x (|x| is real: only the real part of dy counts); 0 at 0 (TensorFlow's)
    zero = y == 0
    return np.real(dy) * np.where(zero, 0.0, np.conj(x) / np.where(zero, 1.0, y))


@register_gradient((np.tanh, math.tanh))
def tanh_grad(dy, y, x):
    return dy * (1.0 - y * y)


@register_gradient((np.sin, math.sin))
def sin_grad(dy, y, x):
    return dy * np.cos(x)


@register_gradient((np.cos, math.cos))
def cos_grad(dy, y, x):
    return -dy * np.sin(x)


@register_gradient((np.tan, math.tan))
def tan_grad(dy, y, x):
    return dy * (1.0 + y * y)


@register_gradient((np.arcsin, math.asin))
def arcsin_grad(dy, y, x):
    return dy / np.sqrt(1.0 - x * x)


@register_gradient((np.arccos, math.acos))
def arccos_grad(dy, y, x):
    return -dy / np.sqrt(1.0 - x * x)


@register_gradient((np.arctan, math.atan))
def arctan_grad(dy, y, x):
    return dy / (1.0 + x * x)


@register_gradient((np.sinh, math.sinh))
def sinh_grad(dy, y, x):
    return dy * np.cosh(x)


@register_gradient((np.cosh, math.cosh))
def cosh_grad(dy, y, x):
    return dy * np.sinh(x)


@register_gradient((np.arcsinh, math.asinh))
def arcsinh_grad(dy, y, x):
    return dy / np.sqrt(x * x + 1.0)


@register_gradient((np.arccosh, math.acosh))
def arccosh_grad(dy, y, x):
    return dy / np.sqrt(x * x - 1.0)


@register_gradient((np.arctanh, math.atanh))
def arctanh_grad(dy, y, x):
    return dy / (1.0 - x * x)


@register_gradient(np.maximum, broadcasts=True)
def maximum_grad(dy, y, x1, x2):
    # the whole gradient goes to x1 where x1 >= x2 (TensorFlow's convention)
    first = x1 >= x2
    return np.where(first, dy, 0.0), np.where(first, 0.0, dy)


@register_gradient(np.minimum, broadcasts=True)
def minimum_grad(dy, y, x1, x2):
    # the whole gradient goes to x1 where x1 <= x2 (TensorFlow's convention)
    first = x1 <= x2
    return np.where(first, dy, 0.0), np.where(first, 0.0, dy)


@register_gradient(np.where, broadcasts=True)
def where_grad(g, out, condition, x, y):
    # to x where the condition holds, to y elsewhere, never to the condition; x and y
    # may broadcast (autograd: they must have the result's shape)
    return None, np.where(condition, g, 0.0), np.where(condition, 0.0, g)


@register_gradient(np.clip, broadcasts=True, unsupported={'out': None})
def clip_grad(dy, y, a, a_min, a_max, out=None):
    # inside [a_min, a_max] (bounds included) the gradient goes to a, outside to
    # the bound that was hit.  A bound of None is known at transform time.
    # Limitation: where a_min > a_max (np.clip then returns a_max) and a < a_min,
    # both bounds get the gradient.
    if constant(a_min) is None:
        if constant(a_max) is None:
            return dy, None, None
        above = a > a_max
        return np.where(above, 0.0, dy), None, np.where(above, dy, 0.0)
    below = a < a_min
    if constant(a_max) is None:
        return np.where(below, 0.0, dy), np.where(below, dy, 0.0), None
    above = a > a_max
    return (np.where(below | above, 0.0, dy), np.where(below, dy, 0.0),
            np.where(above, dy, 0.0))


@register_gradient((np.float64, np.float32, np.float16, np.longdouble, float))
def float_cast_grad(dy, y, x):
    return dy


@register_gradient(np.remainder, broadcasts=True)
def remainder_grad(dy, y, x1, x2):
    # x1 - floor(x1 / x2) x2: dy for x1, -floor(x1 / x2) dy for x2
    return dy, -dy * np.floor_divide(x1, x2)


@register_gradient(np.fmod, broadcasts=True)
def fmod_grad(dy, y, x1, x2):
    # x1 - trunc(x1 / x2) x2 (C's fmod: the result has x1's sign): dy for x1,
    # -trunc(x1 / x2) dy for x2
    return dy, -dy * np.trunc(x1 / x2)


@register_gradient(np.copysign, broadcasts=True)
def copysign_grad(dy, y, x1, x2):
    # |x1| with x2's sign: sign(x1) times x2's sign (0 at x1 == 0, as for abs); x2 only
    # chooses a sign (piecewise constant: no gradient)
    return dy * np.sign(x1) * np.copysign(1.0, x2), None


@register_gradient((np.rad2deg, np.degrees))
def rad2deg_grad(dy, y, x):
    return dy * (180.0 / np.pi)


@register_gradient((np.deg2rad, np.radians))
def deg2rad_grad(dy, y, x):
    return dy * (np.pi / 180.0)


@register_gradient(np.sinc)
def sinc_grad(dy, y, x):
    # (cos(pi x) - sinc(x)) / x; for |x| < 0.1, where that difference cancels, its
    # Taylor series (to x**9): 0 at 0, and so are its derivatives there
    small = np.abs(x) < 0.1
    t = (np.pi * x) ** 2
    series = (-np.pi ** 2 / 3.0) * x * (1.0 - t / 10.0 * (1.0 - t / 28.0 * (
        1.0 - t / 54.0 * (1.0 - t / 88.0))))
    far = np.where(small, 1.0, x)
    return dy * np.where(small, series, (np.cos(np.pi * far) - np.sinc(far)) / far)


def filled_grad(dy, value, filled):
    """The gradient of a replacement value computed in the function (a template)."""
    if constant(value) is not NotImplemented:       # None or a constant
        return None
    return _sg_unbroadcast(np.where(filled, dy, 0.0), value)


@register_gradient(np.nan_to_num, unsupported={'copy': True},
                   differentiable=('nan', 'posinf', 'neginf'))
def nan_to_num_grad(dy, y, x, copy=True, nan=0.0, posinf=None, neginf=None):
    # the gradient passes where x is finite; replacement values computed in the
    # function get the gradient of the places they fill
    return (np.where(np.isfinite(x), dy, 0.0), filled_grad(dy, nan, np.isnan(x)),
            filled_grad(dy, posinf, np.isposinf(x)), filled_grad(dy, neginf, np.isneginf(x)))


@register_gradient(np.fmax, broadcasts=True)
def fmax_grad(dy, y, x1, x2):
    # as np.maximum (ties to x1), and a NaN loses: the other argument gets the gradient
    first = (x1 >= x2) | np.isnan(x2)
    return np.where(first, dy, 0.0), np.where(first, 0.0, dy)


@register_gradient(np.fmin, broadcasts=True)
def fmin_grad(dy, y, x1, x2):
    # as np.minimum (ties to x1), and a NaN loses: the other argument gets the gradient
    first = (x1 <= x2) | np.isnan(x2)
    return np.where(first, dy, 0.0), np.where(first, 0.0, dy)


@register_gradient(np.logaddexp, broadcasts=True)
def logaddexp_grad(dy, y, x1, x2):
    # the weights exp(x - y) are at most 1: no overflow for large inputs; 0 (not NaN)
    # where both inputs are -inf
    top = np.where(y == -np.inf, 0.0, y)
    return dy * np.exp(x1 - top), dy * np.exp(x2 - top)


@register_gradient(np.logaddexp2, broadcasts=True)
def logaddexp2_grad(dy, y, x1, x2):
    # the weights 2 ** (x - y) are at most 1; 0 (not NaN) where both inputs are -inf
    top = np.where(y == -np.inf, 0.0, y)
    return dy * np.exp2(x1 - top), dy * np.exp2(x2 - top)


@register_gradient(np.arctan2, broadcasts=True)
def arctan2_grad(dy, y, x1, x2):
    # (x2, -x1) / (x1**2 + x2**2), divided by hypot twice (no overflow or underflow
    # of the squares); 0 at the origin
    r = np.hypot(x1, x2)
    r = np.where(r == 0.0, 1.0, r)
    return dy * (x2 / r) / r, -dy * (x1 / r) / r


@register_gradient(np.hypot, broadcasts=True)
def hypot_grad(dy, y, x1, x2):
    # x / hypot for each argument; 0 at the origin
    r = np.where(y == 0.0, 1.0, y)
    return dy * x1 / r, dy * x2 / r
