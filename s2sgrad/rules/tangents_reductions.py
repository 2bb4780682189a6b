"""Tangents of the reductions that are not linear (forward mode).

Each output element of these depends only on the elements it reduces (its
fibre along `axis`), and the gradient rule gives each element dy times its
partial derivative; with dy = 1 it gives the partials themselves, and the
tangent is their product with the input's tangent summed along the fibre
(`kind='reduction'`: max, min, prod, var, std, ptp, median, average,
norm, logsumexp); an option with a tangent of its own adds its part by a
template (`options=`: initial= of max, min and prod, np.average's weights=,
logsumexp's b=), other ones are refused at the user's line.  Quantiles apply their gradient's
weights the other way (each result the weighted sum of the tangents of the one
or two order statistics it interpolates, tied elements sharing); cumulative
products sum the tangents of their factors, each times the other factors.
"""
import numpy as np

from ..runtime.statistics import _sg_average_weights, _sg_order_statistics_apply
from .reductions import check_quantile_method, cumprod_partials, not_nan, restore_reduced
from .reductions import with_reduced_axes
from .registry import constant, register_tangent, same
from .shape import refuse



def extremum_options_tangent(dx, y, a, axis=None, out=None, keepdims=False, initial=None,
                             where=True):
    # an initial= that ties with the extreme elements shares with them, as in the gradient
    hit = a == restore_reduced(y, a, axis, keepdims)
    if constant(where) is not True:
        hit = hit & where
    won = initial == y
    return dx * won / (np.sum(hit, axis=axis, keepdims=keepdims) + won)


def prod_options_tangent(dx, y, a, axis=None, dtype=None, out=None, keepdims=False,
                         initial=None, where=True):
    # y = initial * prod(a): d initial times the product of the elements
    if constant(where) is True:
        return dx * np.prod(a, axis=axis, keepdims=keepdims)
    return dx * np.prod(a, axis=axis, keepdims=keepdims, where=where)


def nanprod_options_tangent(dx, y, a, axis=None, dtype=None, out=None, keepdims=False,
                            initial=None, where=True):
    return prod_options_tangent(dx, y, a, axis, dtype, out, keepdims, initial,
                                not_nan(a, where))


def average_options_tangent(dx, y, a, axis=None, weights=None, returned=False, *,
                            keepdims=False):
    # y = sum(w a) / sum(w): the weights' tangents times (a - y) / sum(w)
    w = np.broadcast_to(_sg_average_weights(weights, a, axis), np.shape(a))
    dw = np.broadcast_to(_sg_average_weights(dx, a, axis), np.shape(a))
    moved = np.sum(dw * (a - with_reduced_axes(y, axis, keepdims)), axis=axis,
                   keepdims=keepdims)
    return moved / np.sum(w, axis=axis, keepdims=keepdims)


register_tangent(np.max, np.amax, np.min, np.amin, kind='reduction',
                 options=extremum_options_tangent)
register_tangent(np.prod, kind='reduction', options=prod_options_tangent)
register_tangent(np.average, kind='reduction', options=average_options_tangent)
register_tangent(np.var, np.std, np.ptp, np.median, np.linalg.norm, kind='reduction')
register_tangent(np.nanmax, np.nanmin, kind='reduction', skips_nan=True,
                 options=extremum_options_tangent)
register_tangent(np.nanprod, kind='reduction', skips_nan=True, options=nanprod_options_tangent)
register_tangent(np.nanvar, np.nanstd, np.nanmedian, np.nansum, np.nanmean, kind='reduction',
                 skips_nan=True)


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
