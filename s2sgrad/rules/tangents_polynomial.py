"""Tangents of interpolation and polynomials (forward mode): interp, polyval.

np.interp is fp[i] + (x - xp[i]) * slope between the knots i and i + 1 around x:
the tangent of x times the slope, the knots' values' tangents weighted 1 - t and
t, the knots' positions' tangents times -slope weighted alike; outside the knots
the tangent of fp[0] / fp[-1] (or of `left` / `right`), none of x.  The same
segments and conventions as the gradient (rules/polynomial.py).
"""
import numpy as np

from .polynomial import interp_segment
from .registry import constant, register_tangent, same
from .shape import refuse


@register_tangent(np.interp)
def interp_tangent(dx, y, x, xp, fp, left=None, right=None, period=None):
    if constant(period) is not None:
        refuse('np.interp: period= has no tangent yet')
    dpoint, dknots, dvalues, dleft, dright = dx
    i, below, above, inside, slope, t = interp_segment(x, xp, fp)
    tangent = np.zeros_like(y)
    if not same(dpoint, None):
        tangent = tangent + np.where(inside, dpoint * slope, 0.0)
    if not same(dknots, None):
        dknots = np.asarray(dknots)
        moved = (1.0 - t) * dknots[i] + t * dknots[i + 1]
        tangent = tangent - np.where(inside, slope * moved, 0.0)
    if not same(dvalues, None):
        dvalues = np.asarray(dvalues)
        low, high = dvalues[i], dvalues[i + 1]
        tangent = tangent + np.where(inside, (1.0 - t) * low + t * high, 0.0)
        if constant(left) is None:
            tangent = tangent + np.where(below, low, 0.0)      # fp[0] below the knots
        if constant(right) is None:
            tangent = tangent + np.where(above, high, 0.0)     # fp[-1] above them
    if not same(dleft, None):
        tangent = tangent + np.where(below, dleft, 0.0)
    if not same(dright, None):
        tangent = tangent + np.where(above, dright, 0.0)
    return tangent


@register_tangent(np.polyval)
def polyval_tangent(dx, y, p, x):
    # the polynomial of the coefficients' tangents, and the tangent of x times the
    # derivative polynomial
    dp, dpoint = dx
    p = np.asarray(p)
    n = np.size(p)
    if same(dpoint, None):
        return np.polyval(np.asarray(dp), x)
    moved = dpoint * np.polyval(p[:-1] * np.arange(n - 1, 0, -1), x)
    if same(dp, None):
        return moved
    return np.polyval(np.asarray(dp), x) + moved
