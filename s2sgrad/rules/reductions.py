"""Reductions and scans: sum, mean, prod, max/min (ties share equally), var, std,
their nan-skipping forms (nansum, nanmean, ...), average, ptp, median and the
quantiles, cumsum, cumprod, diff, gradient.

`where=` masks are honoured (masked-out elements get no gradient); an `initial=`
value, np.diff's `prepend=`/`append=` and np.gradient's spacings computed in the
function get their gradients too (`differentiable=`).
"""
import numpy as np

from ..runtime.helpers import _sg_diff_adjoint, _sg_diff_pad, _sg_gradient_adjoint
from ..runtime.helpers import _sg_inner_parts, _sg_scalar_spacing
from ..runtime.helpers import _sg_scale_parts, _sg_spacing_grad
from ..runtime.products import (_sg_prod_others, _sg_prod_others_1, _sg_prod_others_2,
                                _sg_prod_others_3)
from ..runtime.helpers import _sg_split_like, _sg_unbroadcast
from ..runtime.special import _sg_special_no_gradient
from ..runtime.statistics import _sg_average_weights, _sg_order_statistics_adjoint
from ..runtime.statistics import _sg_order_statistics_apply
from .registry import constant, register_constant, register_gradient, transform_time
from .shape import refuse


@transform_time
def indices(n):
    return tuple(range(n))


def restore_reduced(g, x, axis, keepdims):
    """Broadcast a reduction's gradient back over the reduced axes of `x`."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


def with_reduced_axes(v, axis, keepdims):
    """A reduction's result with its reduced axes kept (as keepdims=True gives it)."""
    if axis is not None and not keepdims:
        return np.expand_dims(v, axis)
    return v


def not_nan(a, where):
    """The elements a nan-reduction (np.nansum, ...) counts: where= and not NaN (a template)."""
    if constant(where) is True:
        return ~np.isnan(a)
    return where & ~np.isnan(a)


def without_nan(a):
    """`a` with its NaNs set to 0, where a nan-reduction's gradient leaves them out: no
    0 * NaN in its derivatives (a template)."""
    return np.where(np.isnan(a), 0.0, a)


def sum_adjoint(dy, a, axis, keepdims, initial, where):
    """The gradients of np.sum w.r.t. a and initial (a template)."""
    g = restore_reduced(dy, a, axis, keepdims)
    if constant(where) is not True:
        g = np.where(where, g, 0.0)
    if constant(initial) is not NotImplemented:         # None or a constant
        return g, None
    return g, _sg_unbroadcast(dy, initial)


@register_gradient(np.sum, unsupported={'out': None}, differentiable=('initial',))
def sum_grad(dy, y, a, axis=None, dtype=None, out=None, keepdims=False, initial=None,
             where=True):
    # every summed element gets dy, those left out by where= none; an initial value
    # is added once to each sum
    return sum_adjoint(dy, a, axis, keepdims, initial, where)


@register_gradient(np.nansum, unsupported={'out': None}, differentiable=('initial',))
def nansum_grad(dy, y, a, axis=None, dtype=None, out=None, keepdims=False, initial=None,
                where=True):
    # as np.sum; NaNs (counted as 0) get no gradient
    return sum_adjoint(dy, a, axis, keepdims, initial, not_nan(a, where))


def mean_adjoint(dy, y, a, axis, keepdims, where):
    """The gradient of np.mean (a template)."""
    if constant(where) is not True:
        count = np.sum(np.broadcast_to(where, np.shape(a)), axis=axis, keepdims=True)
        return np.where(where, restore_reduced(dy, a, axis, keepdims) / count, 0.0)
    if axis is None:
        return np.broadcast_to(dy / np.size(a), np.shape(a))
    return restore_reduced(dy * (np.size(y) / np.size(a)), a, axis, keepdims)


@register_gradient(np.mean, unsupported={'out': None})
def mean_grad(dy, y, a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    # dy over the number of elements averaged (those where= selects)
    return mean_adjoint(dy, y, a, axis, keepdims, where)


@register_gradient(np.nanmean, unsupported={'out': None})
def nanmean_grad(dy, y, a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    # dy over the number of elements that are not NaN (they get no gradient)
    return mean_adjoint(dy, y, a, axis, keepdims, not_nan(a, where))


@register_gradient(np.average, unsupported={'returned': False}, differentiable=('weights',))
def average_grad(dy, y, a, axis=None, weights=None, returned=False, *, keepdims=False):
    # sum(w a) / sum(w): a gets dy w / sum(w), the weights dy (a - average) / sum(w);
    # weights of a's shape or 1-D along axis; returned=True is refused
    if constant(weights) is None:
        return mean_adjoint(dy, y, a, axis, keepdims, True), None
    w = _sg_average_weights(weights, a, axis)
    g = restore_reduced(dy, a, axis, keepdims) / np.sum(
        np.broadcast_to(w, np.shape(a)), axis=axis, keepdims=True)
    gw = _sg_unbroadcast(g * (a - with_reduced_axes(y, axis, keepdims)), w)
    return g * w, np.reshape(gw, np.shape(weights))


@register_gradient(_sg_average_weights, static=('a', 'axis'))
def average_weights_grad(dout, out, weights, a, axis):
    return np.reshape(dout, np.shape(weights))


@register_gradient(np.prod, unsupported={'out': None}, differentiable=('initial',))
def prod_grad(dy, y, a, axis=None, dtype=None, out=None, keepdims=False, initial=None,
              where=True):
    # the product of the other elements: exact where `a` has zeros (no 0/0), up to
    # the fourth derivative; where= leaves elements out; an initial value multiplies
    # each product
    return prod_adjoint(dy, a, axis, keepdims, initial, where)


@register_gradient(np.nanprod, unsupported={'out': None}, differentiable=('initial',))
def nanprod_grad(dy, y, a, axis=None, dtype=None, out=None, keepdims=False, initial=None,
                 where=True):
    # as np.prod; NaNs (counted as 1) get no gradient
    return prod_adjoint(dy, a, axis, keepdims, initial, not_nan(a, where))


def prod_adjoint(dy, a, axis, keepdims, initial, where):
    """The gradients of np.prod w.r.t. a and initial (a template)."""
    if constant(where) is not True:
        others = _sg_prod_others(np.where(where, a, 1.0), axis)
        g = np.where(where, restore_reduced(dy, a, axis, keepdims) * others, 0.0)
    else:
        g = restore_reduced(dy, a, axis, keepdims) * _sg_prod_others(a, axis)
    if constant(initial) is None:
        return g, None
    if constant(initial) is not NotImplemented:         # a constant factor
        return g * initial, None
    if constant(where) is True:
        rest = np.prod(a, axis=axis, keepdims=keepdims)
    else:
        rest = np.prod(a, axis=axis, keepdims=keepdims, where=where)
    return g * initial, _sg_unbroadcast(dy * rest, initial)


# d/dx_m of sum_k dout_k prod_{j != k} x_j is sum_{k != m} dout_k prod_{j != k, m} x_j:
# the next helper, which sums products over pairs of distinct positions (no division,
# so second derivatives of prod are exact at zeros too; and so on up to the fourth).
@register_gradient(_sg_prod_others, static=('axis',))
def prod_others_grad(dout, out, x, axis=None):
    return _sg_prod_others_1(x, dout, axis)


@register_gradient(_sg_prod_others_1, static=('axis',))
def prod_others_1_grad(g, out, x, v, axis=None):
    return _sg_prod_others_2(x, g, v, axis), _sg_prod_others_1(x, g, axis)


@register_gradient(_sg_prod_others_2, static=('axis',))
def prod_others_2_grad(g, out, x, u, v, axis=None):
    # (beyond the fourth derivative of prod, _sg_prod_others_3 has no rule)
    return (_sg_prod_others_3(x, g, u, v, axis), _sg_prod_others_2(x, g, v, axis),
            _sg_prod_others_2(x, g, u, axis))


def tie_shares(a, extreme, axis):
    """Each element's share of a max / min reduction's gradient: 1 / (number of ties)
    where it equals the extreme (a template; `extreme` has the reduced axes kept)."""
    hit = a == extreme
    return hit / np.sum(hit, axis=axis, keepdims=True)


@register_gradient((np.max, np.amax, np.min, np.amin, np.nanmax, np.nanmin),
                   unsupported={'out': None}, differentiable=('initial',))
def max_grad(dy, y, a, axis=None, out=None, keepdims=False, initial=None, where=True):
    # tied extreme elements share the gradient equally (TensorFlow's convention), with
    # an initial value that ties with them; where= leaves elements out; NaNs (which
    # np.nanmax / nanmin skip) get none
    hit = a == restore_reduced(y, a, axis, keepdims)
    if constant(where) is not True:
        hit = hit & where
    if constant(initial) is None:
        share = hit / np.sum(hit, axis=axis, keepdims=True)
        return restore_reduced(dy, a, axis, keepdims) * share, None
    won = initial == y
    count = np.sum(hit, axis=axis, keepdims=True) + with_reduced_axes(won, axis, keepdims)
    g = restore_reduced(dy, a, axis, keepdims) * (hit / count)
    if constant(initial) is not NotImplemented:
        return g, None
    return g, _sg_unbroadcast(dy * won / np.reshape(count, np.shape(y)), initial)


def var_adjoint(g, a, axis, ddof, keepdims, where, mean):
    """The gradient of np.var for the upstream gradient `g` (a template, inlined):
    2 conj(a - mean) / n, the complex convention of abs_grad (var is real)."""
    if constant(where) is True:
        n = np.size(a) / np.size(g)         # (a count at run time, where sizes vary)
        if constant(ddof) != 0:
            n = n - ddof
        if constant(mean) is None:
            mean = np.mean(a, axis=axis, keepdims=True)
        return restore_reduced(g, a, axis, keepdims) * np.conj(a - mean) * (2.0 / n)
    count = np.sum(np.broadcast_to(where, np.shape(a)), axis=axis, keepdims=True)
    if constant(mean) is None:
        mean = np.mean(a, axis=axis, keepdims=True, where=where)
    g = restore_reduced(g, a, axis, keepdims) * np.conj(a - mean) * 2.0 / (count - ddof)
    return np.where(where, g, 0.0)


@register_gradient(np.var, unsupported={'out': None})
def var_grad(dy, y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *,
             where=True, mean=None, correction=None):
    # 2 conj(a - mean) / (N - ddof) (correction= is ddof's other name); where= leaves
    # elements out; a mean= passed in is used as NumPy uses it (NumPy requires it to
    # be the mean of a, where its own gradient is zero)
    if constant(correction) is not None:
        ddof = correction
    return var_adjoint(dy, a, axis, ddof, keepdims, where, mean)


@register_gradient(np.nanvar, unsupported={'out': None})
def nanvar_grad(dy, y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *,
                where=True, mean=None, correction=None):
    # as np.var over the elements that are not NaN (they get no gradient)
    if constant(correction) is not None:
        ddof = correction
    return var_adjoint(dy, without_nan(a), axis, ddof, keepdims, not_nan(a, where), mean)


def std_adjoint(dy, y, a, axis, ddof, keepdims, where, mean):
    """The gradient of np.std: the variance's over 2 std (a template)."""
    scale = dy * 0.5 / np.where(y == 0, 1.0, y)
    return var_adjoint(np.where(y == 0, 0.0, scale), a, axis, ddof, keepdims, where, mean)


@register_gradient(np.std, unsupported={'out': None})
def std_grad(dy, y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *,
             where=True, mean=None, correction=None):
    # the variance's gradient over 2 std; 0 where std is 0 (all elements equal)
    if constant(correction) is not None:
        ddof = correction
    return std_adjoint(dy, y, a, axis, ddof, keepdims, where, mean)


@register_gradient(np.nanstd, unsupported={'out': None})
def nanstd_grad(dy, y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *,
                where=True, mean=None, correction=None):
    # as np.std over the elements that are not NaN (they get no gradient)
    if constant(correction) is not None:
        ddof = correction
    return std_adjoint(dy, y, without_nan(a), axis, ddof, keepdims, not_nan(a, where), mean)


@register_gradient(np.ptp, unsupported={'out': None})
def ptp_grad(dy, y, a, axis=None, out=None, keepdims=False):
    # max - min: tied maxima share +dy, tied minima -dy (0 where all are equal)
    top = tie_shares(a, np.max(a, axis=axis, keepdims=True), axis)
    bottom = tie_shares(a, np.min(a, axis=axis, keepdims=True), axis)
    return restore_reduced(dy, a, axis, keepdims) * (top - bottom)


def cumprod_partials(a, axis):
    """[..., i, k]: the derivative of partial product i of np.cumprod(a, axis) in
    factor k, the product of its other factors (0 for k > i), with `axis` moved
    last (a template)."""
    x = np.moveaxis(a, axis, -1)
    upto = np.tri(np.shape(x)[-1], dtype=bool)             # [i, k]: k <= i
    factors = np.where(upto, np.expand_dims(x, -2), 1.0)   # the factors of product i
    return np.where(upto, _sg_prod_others(factors, -1), 0.0)


def cumprod_adjoint(g, a, axis):
    """The gradient of np.cumprod(a, axis) for the upstream gradient g (a template).

    Element j of partial product i gets the product of the other factors of
    that product: exact where `a` has zeros (no 0/0), and to the fourth
    derivative, as np.prod is; n x n work for n elements along the axis."""
    others = cumprod_partials(a, axis)
    gm = np.expand_dims(np.moveaxis(g, axis, -1), -1)
    return np.moveaxis(np.sum(gm * others, axis=-2), -1, axis)


@register_gradient(np.cumprod, unsupported={'out': None})
def cumprod_grad(dy, y, a, axis=None, dtype=None, out=None):
    # each element gets the sum over the later partial products of dy times the
    # product of their other factors (zeros in a: no NaN)
    if axis is None:
        return np.reshape(cumprod_adjoint(np.ravel(dy), np.ravel(a), 0), np.shape(a))
    return cumprod_adjoint(dy, a, axis)


@register_gradient(np.nancumsum, unsupported={'out': None})
def nancumsum_grad(dy, y, a, axis=None, dtype=None, out=None):
    # as np.cumsum; NaNs (counted as 0) get no gradient
    return np.where(np.isnan(a), 0.0, cumsum_grad(dy, y, a, axis))


@register_gradient(np.nancumprod, unsupported={'out': None})
def nancumprod_grad(dy, y, a, axis=None, dtype=None, out=None):
    # as np.cumprod with NaNs counted as 1; they get no gradient
    ones = np.where(np.isnan(a), 1.0, a)
    if axis is None:
        g = np.reshape(cumprod_adjoint(np.ravel(dy), np.ravel(ones), 0), np.shape(a))
    else:
        g = cumprod_adjoint(dy, ones, axis)
    return np.where(np.isnan(a), 0.0, g)


def check_quantile_method(method):
    """The interpolation methods of np.quantile that have derivatives (a template)."""
    if method not in ('linear', 'lower', 'higher', 'midpoint', 'nearest'):
        refuse('np.quantile / percentile: method={!r} has no gradient (linear, lower, '
               'higher, midpoint and nearest have one)', method)


def quantile_adjoint(dy, a, fraction, axis, keepdims, method, skip_nan):
    """The gradient of np.quantile(a, fraction, ...) w.r.t. a (np.nanquantile's with
    skip_nan; a template)."""
    check_quantile_method(method)
    return _sg_order_statistics_adjoint(dy, a, fraction, axis, keepdims, method, skip_nan)


def fraction_grad(dy, q, name):
    """The gradient of a quantile's q: none for a constant q (a template)."""
    if constant(q) is not NotImplemented:
        return None
    return _sg_special_no_gradient(dy, name, 'q', 'q is a position, not a value')


QUANTILE_OPTIONS = {'out': None, 'weights': None, 'overwrite_input': False}


@register_gradient(np.quantile, unsupported=QUANTILE_OPTIONS)
def quantile_grad(dy, y, a, q, axis=None, out=None, overwrite_input=False, method='linear',
                  keepdims=False, *, weights=None):
    # the one or two order statistics each quantile interpolates get dy times their
    # weight; tied elements share it equally (as max / min do); any axis, q arrays.
    # Methods linear (NumPy's default), lower, higher, midpoint, nearest; not weights=,
    # nor overwrite_input=True (it reorders the input the gradient reads).
    # No gradient w.r.t. q (a run-time q that needs one raises)
    return (quantile_adjoint(dy, a, q, axis, keepdims, method, False),
            fraction_grad(dy, q, 'np.quantile'))


@register_gradient(np.nanquantile, unsupported=QUANTILE_OPTIONS)
def nanquantile_grad(dy, y, a, q, axis=None, out=None, overwrite_input=False,
                     method='linear', keepdims=False, *, weights=None):
    # as np.quantile over the elements that are not NaN (they get no gradient)
    return (quantile_adjoint(dy, a, q, axis, keepdims, method, True),
            fraction_grad(dy, q, 'np.nanquantile'))


@register_gradient(np.percentile, unsupported=QUANTILE_OPTIONS)
def percentile_grad(dy, y, a, q, axis=None, out=None, overwrite_input=False,
                    method='linear', keepdims=False, *, weights=None):
    # np.quantile's at q / 100
    return (quantile_adjoint(dy, a, np.true_divide(q, 100.0), axis, keepdims, method, False),
            fraction_grad(dy, q, 'np.percentile'))


@register_gradient(np.nanpercentile, unsupported=QUANTILE_OPTIONS)
def nanpercentile_grad(dy, y, a, q, axis=None, out=None, overwrite_input=False,
                       method='linear', keepdims=False, *, weights=None):
    # np.nanquantile's at q / 100
    return (quantile_adjoint(dy, a, np.true_divide(q, 100.0), axis, keepdims, method, True),
            fraction_grad(dy, q, 'np.nanpercentile'))


@register_gradient(np.median, unsupported={'out': None, 'overwrite_input': False})
def median_grad(dy, y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    # np.quantile's at 0.5: the middle element, or half to each of the two middle
    # ones; tied elements share equally
    return _sg_order_statistics_adjoint(dy, a, 0.5, axis, keepdims, 'linear', False)


@register_gradient(np.nanmedian, unsupported={'out': None, 'overwrite_input': False})
def nanmedian_grad(dy, y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    # np.median's over the elements that are not NaN (they get no gradient)
    return _sg_order_statistics_adjoint(dy, a, 0.5, axis, keepdims, 'linear', True)


ORDER_STATISTICS_STATIC = ('a', 'q', 'axis', 'keepdims', 'method', 'skip_nan')


@register_gradient(_sg_order_statistics_adjoint, static=ORDER_STATISTICS_STATIC)
def order_statistics_adjoint_grad(dout, out, g, a, q, axis, keepdims, method, skip_nan=False):
    # linear in g; the weights are piecewise constant in a
    return _sg_order_statistics_apply(dout, a, q, axis, keepdims, method, skip_nan)


@register_gradient(_sg_order_statistics_apply, static=ORDER_STATISTICS_STATIC)
def order_statistics_apply_grad(dout, out, v, a, q, axis, keepdims, method, skip_nan=False):
    return _sg_order_statistics_adjoint(dout, a, q, axis, keepdims, method, skip_nan)


@register_gradient(np.cumsum, unsupported={'out': None})
def cumsum_grad(dy, y, a, axis=None, dtype=None, out=None):
    # each element feeds every later partial sum: a cumulative sum from the end
    if axis is None:
        flat = np.flip(np.cumsum(np.flip(np.ravel(dy))))
        return np.reshape(flat, np.shape(a))
    return np.flip(np.cumsum(np.flip(dy, axis), axis), axis)


@register_gradient(np.diff, differentiable=('prepend', 'append'))
def diff_grad(dy, y, a, n=1, axis=-1, prepend=None, append=None):
    # differencing's adjoint: minus the differences of dy with a zero on each side, n
    # times; values prepended or appended (scalars broadcast) get their part of it
    g = _sg_diff_adjoint(dy, n, axis)
    if constant(prepend) is None and constant(append) is None:
        return g, None, None
    if constant(prepend) is None:
        ga, gq = _sg_split_like(g, (a, _sg_diff_pad(a, append, axis)), axis)
        return ga, None, _sg_unbroadcast(gq, append)
    if constant(append) is None:
        gp, ga = _sg_split_like(g, (_sg_diff_pad(a, prepend, axis), a), axis)
        return ga, _sg_unbroadcast(gp, prepend), None
    gp, ga, gq = _sg_split_like(g, (_sg_diff_pad(a, prepend, axis), a,
                                    _sg_diff_pad(a, append, axis)), axis)
    return ga, _sg_unbroadcast(gp, prepend), _sg_unbroadcast(gq, append)


@register_gradient(_sg_diff_adjoint, static=('n', 'axis'))
def diff_adjoint_grad(dout, out, g, n=1, axis=-1):
    return np.diff(dout, n=n, axis=axis)


# np.gradient takes its spacings as *varargs; a rule names a fixed number of them.
GRADIENT_SPACINGS = 8
SPACINGS = tuple(f's{k}' for k in range(GRADIENT_SPACINGS))


@transform_time
def count_given(*missing):
    return list(missing).index(True) if True in missing else len(missing)


@transform_time
def spacing_parts(n, k):
    """The results of np.gradient that its k-th of n spacings enters (None: all)."""
    return None if n == 1 else (k,)


@register_gradient(np.gradient, differentiable=SPACINGS)
def gradient_grad(dy, y, f, s0=None, s1=None, s2=None, s3=None, s4=None, s5=None, s6=None,
                  s7=None, *, axis=None, edge_order=1):
    # linear in f: the adjoint of each axis's differences (any spacings, edge_order 1 or
    # 2, exact coefficients); a scalar spacing h gets -sum(dy * y) / h over the axes it
    # serves, coordinates their exact partial derivatives (first order only)
    n = count_given(constant(s0) is None, constant(s1) is None, constant(s2) is None,
                    constant(s3) is None, constant(s4) is None, constant(s5) is None,
                    constant(s6) is None, constant(s7) is None)
    spacings = (s0, s1, s2, s3, s4, s5, s6, s7)
    gf = _sg_gradient_adjoint(dy, f, spacings[:n], axis, edge_order)
    return (gf,) + tuple(_sg_spacing_grad(dy, y, spacings[k], f, k, n, axis, edge_order)
                         if k < n else None for k in indices(GRADIENT_SPACINGS))


@register_gradient(_sg_gradient_adjoint, static=('f', 'axis', 'edge_order'),
                   differentiable=('spacings',))
def gradient_adjoint_grad(dout, out, dy, f, spacings=(), axis=None, edge_order=1):
    # the adjoint's adjoint is np.gradient itself; a scalar spacing h divides it
    ddy = np.gradient(dout, *spacings, axis=axis, edge_order=edge_order)
    n = len(spacings)
    return ddy, tuple(-_sg_inner_parts(dy, ddy, spacing_parts(n, k))
                      / _sg_scalar_spacing(spacings[k]) for k in indices(n))


@register_gradient(_sg_inner_parts, static=('parts',))
def inner_parts_grad(g, out, a, b, parts=None):
    return _sg_scale_parts(b, g, parts), _sg_scale_parts(a, g, parts)


@register_gradient(_sg_scale_parts, static=('parts',))
def scale_parts_grad(g, out, a, s, parts=None):
    return _sg_scale_parts(g, s, parts), _sg_inner_parts(g, a, parts)


@register_gradient(_sg_spacing_grad, static=('f', 'k', 'n', 'axis', 'edge_order'))
def spacing_grad_grad(g, out, dy, y, h, f, k, n, axis=None, edge_order=1):
    # -sum(dy * y) / h for a scalar h; coordinate arrays are refused when the code runs
    h = _sg_scalar_spacing(h)
    parts = spacing_parts(n, k)
    return (_sg_scale_parts(y, -g / h, parts), _sg_scale_parts(dy, -g / h, parts),
            g * _sg_inner_parts(dy, y, parts) / (h * h))


@register_gradient(_sg_scalar_spacing)
def scalar_spacing_grad(dout, out, h):
    return dout


register_constant(_sg_diff_pad, np.tri)
