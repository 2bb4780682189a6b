"""Elementwise functions: arithmetic, exp/log, trigonometric, max/min, where, clip.

The `math` module's scalar functions share the NumPy rules.

Rules of several inputs are registered with `broadcasts=True`: the AD pass
sums each gradient back to its input's shape, so the rules never do.
Non-smooth points follow TensorFlow (API.md section 4).
"""
import math

import numpy as np

from .registry import constant, register_gradient, same


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
    return dy / x2, -dy * x1 / (x2 * x2)


@register_gradient((np.power, math.pow), broadcasts=True)
def power_grad(dy, y, x1, x2):
    # x ** p at x == 0: the p-1 power is exact (0 for p > 1); log(x) is replaced
    # by 0 there, where the exponent's gradient is 0 * log(0) by convention.
    p = constant(x2)
    if p == 2:
        return dy * 2.0 * x1, None
    if p == 1:
        return dy, None
    return (dy * x2 * x1 ** (x2 - 1),
            dy * y * np.log(np.where(x1 > 0, x1, 1.0)))


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
    return dy * np.sign(x)


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
    first = x1 <= x2
    return np.where(first, dy, 0.0), np.where(first, 0.0, dy)


@register_gradient(np.where, broadcasts=True)
def where_grad(g, out, condition, x, y):
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
    return dy, -dy * np.floor_divide(x1, x2)
