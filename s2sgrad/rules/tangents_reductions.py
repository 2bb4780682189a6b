"""Tangents of the reductions that are not linear (forward mode).

Each output element of these depends only on the elements it reduces (its
fibre along `axis`), and the gradient rule gives each element dy times its
partial derivative; with dy = 1 it gives the partials themselves, and the
tangent is their product with the input's tangent summed along the fibre
(`kind='reduction'`: max, min, prod, var, std, ptp, median, average,
norm, logsumexp).  A differentiable option with a tangent of its own (initial=,
weights) is refused at the user's line.  Quantiles apply their gradient's
weights the other way (each result the weighted sum of the tangents of the one
or two order statistics it interpolates, tied elements sharing); cumulative
products sum the tangents of their factors, each times the other factors.
"""
import numpy as np

from ..runtime.statistics import _sg_order_statistics_apply
from .reductions import check_quantile_method, cumprod_partials
from .registry import register_tangent, same
from .shape import refuse

register_tangent(np.max, np.amax, np.min, np.amin, np.prod, np.var, np.std, np.ptp,
                 np.median, np.average, np.linalg.norm, kind='reduction')
register_tangent(np.nanmax, np.nanmin, np.nanprod, np.nanvar, np.nanstd, np.nanmedian,
                 np.nansum, np.nanmean, kind='reduction', skips_nan=True)


def quantile_tangent_of(dx, a, fraction, axis, keepdims, method, skip_nan):
    """The tangent of np.quantile(a, fraction, ...) (np.nanquantile's with skip_nan)
    for the tangents dx = (da, dq): q is a position, with no derivative."""
    da, dq = dx
    if not same(dq, None):
        refuse('np.quantile / percentile: a q that varies has no tangent (q is a position, '
               'not a value: hold it constant)')
    check_quantile_method(method)
    return _sg_order_statistics_apply(da, a, fraction, axis, keepdims, method, skip_nan)


@register_tangent(np.quantile)
def quantile_tangent(dx, y, a, q, axis=None, out=None, overwrite_input=False, method='linear',
                     keepdims=False, *, weights=None):
    return quantile_tangent_of(dx, a, q, axis, keepdims, method, False)


@register_tangent(np.nanquantile)
def nanquantile_tangent(dx, y, a, q, axis=None, out=None, overwrite_input=False,
                        method='linear', keepdims=False, *, weights=None):
    return quantile_tangent_of(dx, a, q, axis, keepdims, method, True)


@register_tangent(np.percentile)
def percentile_tangent(dx, y, a, q, axis=None, out=None, overwrite_input=False,
                       method='linear', keepdims=False, *, weights=None):
    return quantile_tangent_of(dx, a, np.true_divide(q, 100.0), axis, keepdims, method, False)


@register_tangent(np.nanpercentile)
def nanpercentile_tangent(dx, y, a, q, axis=None, out=None, overwrite_input=False,
                          method='linear', keepdims=False, *, weights=None):
    return quantile_tangent_of(dx, a, np.true_divide(q, 100.0), axis, keepdims, method, True)


def cumprod_tangent_of(da, a, axis):
    """The tangent of np.cumprod(a, axis): partial product i gets the tangent of each
    of its factors k <= i times the product of the others (exact where `a` has
    zeros, as the gradient)."""
    dm = np.expand_dims(np.moveaxis(da, axis, -1), -2)
    return np.moveaxis(np.sum(cumprod_partials(a, axis) * dm, axis=-1), -1, axis)


@register_tangent(np.cumprod)
def cumprod_tangent(dx, y, a, axis=None, dtype=None, out=None):
    if axis is None:
        return cumprod_tangent_of(np.ravel(dx), np.ravel(a), 0)
    return cumprod_tangent_of(dx, a, axis)


@register_tangent(np.nancumprod)
def nancumprod_tangent(dx, y, a, axis=None, dtype=None, out=None):
    # as np.cumprod with NaNs counted as 1, whose tangents are left out
    nan = np.isnan(a)
    ones, dx = np.where(nan, 1.0, a), np.where(nan, 0.0, dx)
    if axis is None:
        return cumprod_tangent_of(np.ravel(dx), np.ravel(ones), 0)
    return cumprod_tangent_of(dx, ones, axis)


@register_tangent(np.nancumsum)
def nancumsum_tangent(dx, y, a, axis=None, dtype=None, out=None):
    # as np.cumsum with NaNs counted as 0, whose tangents are left out
    return np.cumsum(np.where(np.isnan(a), 0.0, dx), axis=axis)
