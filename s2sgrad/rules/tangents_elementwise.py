"""Tangents of the elementwise functions (forward mode).

An elementwise function's Jacobian in each input is diagonal, so equal to its
transpose: its gradient rule fed an input's tangent as dy is that input's
contribution to the output's tangent (`kind='diagonal'`).  Sums, differences,
products and quotients are written out, so the generated code reads as a
person would write it (`dx * W + x * dW`).  Broadcasting is handled by the
forward pass (ad/forward.py), as the reverse one sums gradients back.
"""
import math

import numpy as np

from ..runtime.helpers import _sg_cast_like, _sg_if_inexact
from .registry import constant, register_tangent, same


@register_tangent(np.add)
def add_tangent(dx, y, x1, x2):
    dx1, dx2 = dx
    if same(dx2, None):         # (None: that input has no tangent)
        return dx1
    if same(dx1, None):
        return dx2
    return dx1 + dx2


@register_tangent(np.subtract)
def subtract_tangent(dx, y, x1, x2):
    dx1, dx2 = dx
    if same(dx2, None):
        return dx1
    if same(dx1, None):
        return -dx2
    return dx1 - dx2


@register_tangent(np.multiply, full_shape=True)
def multiply_tangent(dx, y, x1, x2):
    dx1, dx2 = dx
    if same(x1, x2):            # x * x
        return 2.0 * x1 * dx1
    if same(dx2, None):
        return dx1 * x2
    if same(dx1, None):
        return x1 * dx2
    return dx1 * x2 + x1 * dx2


@register_tangent(np.true_divide, full_shape=True)
def divide_tangent(dx, y, x1, x2):
    dx1, dx2 = dx
    if same(dx2, None):
        return dx1 / x2
    if same(dx1, None):
        return -y * dx2 / x2
    return (dx1 - y * dx2) / x2


@register_tangent(np.negative)
def negative_tangent(dx, y, x):
    return -dx


@register_tangent(np.absolute, np.fabs, abs, math.fabs)
def absolute_tangent(dx, y, x):
    # real(conj(x) dx) / |x|: sign(x) dx for real x; 0 at 0 (as the gradient)
    zero = y == 0
    return np.where(zero, 0.0, np.real(np.conj(x) * dx) / np.where(zero, 1.0, y))


@register_tangent(np.nan_to_num)
def nan_to_num_tangent(dx, y, x, copy=True, nan=0.0, posinf=None, neginf=None):
    # x's tangent where x is finite; a fill value's where it fills
    dfinite, dnan, dposinf, dneginf = dx
    t = np.zeros_like(y)
    if not same(dfinite, None):
        t = np.where(np.isfinite(x), dfinite, t)
    if not same(dnan, None):
        t = np.where(np.isnan(x), dnan, t)
    if not same(dposinf, None):
        t = np.where(np.isposinf(x), dposinf, t)
    if not same(dneginf, None):
        t = np.where(np.isneginf(x), dneginf, t)
    return t


@register_tangent(np.angle)
def angle_tangent(dx, y, z, deg=False):
    # d angle = Im(dz / z): 0 at z = 0 (as the gradient) and along a real axis
    zero = z == 0
    t = np.where(zero, 0.0, np.imag(dx / np.where(zero, 1.0, z)))
    if deg:
        return t * (180.0 / np.pi)
    return t


@register_tangent(max)
def builtin_max_tangent(dx, y, a, b):
    # the tangent of the argument the gradient goes to (a where a >= b)
    da, db = dx
    first = a >= b
    if same(db, None):
        return np.where(first, da, 0.0)
    if same(da, None):
        return np.where(first, 0.0, db)
    return np.where(first, da, db)


@register_tangent(min)
def builtin_min_tangent(dx, y, a, b):
    da, db = dx
    first = a <= b
    if same(db, None):
        return np.where(first, da, 0.0)
    if same(da, None):
        return np.where(first, 0.0, db)
    return np.where(first, da, db)


@register_tangent(np.astype)
def astype_tangent(dx, y, x, dtype=None, *, copy=True, device=None):
    # a cast to a float type casts the tangent; to an integer or bool type: a constant
    if constant(dtype) is NotImplemented:       # (x.astype(z.dtype): decided when run)
        return _sg_if_inexact(_sg_cast_like(dx, y), y)
    if np.issubdtype(dtype, np.inexact):
        return dx.astype(dtype)
    return None


register_tangent(
    np.power, math.pow, np.float_power, np.positive, np.exp, math.exp, np.exp2, np.expm1,
    math.expm1, np.log, math.log, np.log2, math.log2, np.log10, math.log10, np.log1p,
    math.log1p, np.sqrt, math.sqrt, np.square, np.reciprocal, np.tanh, math.tanh,
    np.sin, math.sin, np.cos, math.cos, np.tan, math.tan, np.arcsin, math.asin,
    np.arccos, math.acos, np.arctan, math.atan, np.sinh, math.sinh, np.cosh, math.cosh,
    np.arcsinh, math.asinh, np.arccosh, math.acosh, np.arctanh, math.atanh,
    np.maximum, np.minimum, np.where, np.clip, np.remainder, np.fmod, np.copysign,
    np.rad2deg, np.degrees, np.deg2rad, np.radians, np.sinc, np.fmax, np.fmin,
    np.logaddexp, np.logaddexp2, np.arctan2, np.hypot, np.float64, np.float32, np.float16,
    np.longdouble, float, np.real_if_close, kind='diagonal')
