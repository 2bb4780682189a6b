"""Interpolation and polynomials: interp, polyval.

np.interp is piecewise linear: between two knots the value is
fp[i] + (x - xp[i]) * slope.  At a knot x takes the slope of the segment to
its right (the last knot: of the segment to its left); outside the knots the
value is fp[0] / fp[-1] (or `left` / `right`), with no gradient w.r.t. x.
"""
import numpy as np

from ..runtime.helpers import _sg_scatter_add
from ..runtime.statistics import _sg_interp_segments, _sg_powers
from .elementwise import filled_grad
from .registry import constant, register_constant, register_gradient
from .shape import refuse

# which segment each x falls in: a matter of comparisons only
register_constant(_sg_interp_segments)


def interp_segment(x, xp, fp):
    """Where each x falls among the knots (a template): the index i of its segment's
    left knot, whether it is below or above the knots or inside, the segment's slope
    and how far along it x lies (t)."""
    xp, fp = np.asarray(xp), np.asarray(fp)
    i, below, above = _sg_interp_segments(x, xp)
    width = xp[i + 1] - xp[i]
    return (i, below, above, ~(below | above), (fp[i + 1] - fp[i]) / width,
            (x - xp[i]) / width)


@register_gradient(np.interp, differentiable=('left', 'right'))
def interp_grad(dy, y, x, xp, fp, left=None, right=None, period=None):
    # x gets the slope of its segment (0 outside the knots); fp the weights 1 - t and t
    # of the two knots around x; xp -slope times them; left / right computed in the
    # function get the gradient where they were used.  period= is refused
    if constant(period) is not None:
        refuse('np.interp: period= has no gradient yet')
    i, below, above, inside, slope, t = interp_segment(x, xp, fp)
    xp, fp = np.asarray(xp), np.asarray(fp)
    w0 = np.where(inside, dy * (1.0 - t), 0.0)
    w1 = np.where(inside, dy * t, 0.0)
    dxp = -(_sg_scatter_add(w0 * slope, xp, i) + _sg_scatter_add(w1 * slope, xp, i + 1))
    if constant(left) is None:
        w0 = w0 + np.where(below, dy, 0.0)         # fp[0] stands below the knots
    if constant(right) is None:
        w1 = w1 + np.where(above, dy, 0.0)         # fp[-1] above them
    dfp = _sg_scatter_add(w0, fp, i) + _sg_scatter_add(w1, fp, i + 1)
    return (np.where(inside, dy * slope, 0.0), dxp, dfp, filled_grad(dy, left, below),
            filled_grad(dy, right, above))


@register_gradient(np.polyval)
def polyval_grad(dy, y, p, x):
    # p[k] gets sum(dy * x ** (n-1-k)); x gets dy times the derivative polynomial
    # (exact at x == 0: no 0 * inf)
    p = np.asarray(p)
    n = np.size(p)
    powers = np.reshape(_sg_powers(x, n), (np.size(x), n))
    return (np.ravel(dy) @ powers,
            dy * np.polyval(p[:-1] * np.arange(n - 1, 0, -1), x))


@register_gradient(_sg_powers, static=('n',))
def powers_grad(dout, out, x, n):
    # d x ** m = m x ** (m - 1)
    return np.sum(dout[..., :-1] * np.arange(n - 1, 0, -1) * _sg_powers(x, n - 1), axis=-1)
