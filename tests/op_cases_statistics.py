"""The functions of tests/test_ops_statistics.py: one small function per (rule, call form).

The NaN-skipping reductions, np.average, np.ptp, the order statistics (median,
percentile, quantile), cumprod, take, interp and polyval, called the ways users
write them: axis None / int / tuple, keepdims, keywords, the array method,
Python lists of constants.
"""
import numpy as np
from numpy import nanmean, percentile

import s2sgrad as sg

# fixed places of NaN in the 3x4 inputs of the nan-reductions
NAN_AT = np.array([[False, True, False, False],
                   [False, False, False, False],
                   [True, False, False, True]])
KNOTS = np.array([0.0, 0.7, 1.5, 2.2, 3.0])
VALUES = np.array([0.5, 2.0, -1.0, 1.0, 0.3])


def with_nans(x):
    return np.where(NAN_AT, np.nan, x)


# ------------------------------------------------------------ nan-reductions

def nansum_axis0(x):
    return np.nansum(with_nans(x) ** 2, axis=0)


def nansum_all(x):
    return np.nansum(with_nans(x)) * x[1, 1]


def nanmean_axis1_keepdims(x):
    return nanmean(with_nans(x) ** 2, axis=1, keepdims=True)


def nanmean_all(x):
    return np.nanmean(with_nans(x) ** 3)


def nanvar_ddof(x):
    return np.nanvar(with_nans(x), axis=1, ddof=1)


def nanstd_all(x):
    return np.nanstd(with_nans(x))


def nanstd_axis_tuple(x):
    return np.nanstd(with_nans(x), axis=(0, 1), keepdims=True)


def nanprod_axis0(x):
    return np.nanprod(with_nans(x), axis=0)


def nanmax_axis0(x):
    return np.nanmax(with_nans(x), axis=0) ** 2


def nanmin_all_keepdims(x):
    return np.nanmin(with_nans(x), keepdims=True) ** 2


def nancumsum_axis1(x):
    return np.nancumsum(with_nans(x) ** 2, axis=1)


def nancumprod_flat(x):
    return np.nancumprod(with_nans(x))


# ------------------------------------------------------------ average, ptp

def average_weighted(x, w):
    return np.average(x, weights=w) ** 2


def average_1d_weights(x, w):
    return np.average(x ** 2, axis=1, weights=w)


def average_keepdims(x, w):
    return np.average(x ** 2, axis=0, weights=w, keepdims=True)


def average_unweighted(x):
    return np.average(x ** 2, axis=-1)


def average_constant_weights(x):
    return np.average(x ** 2, axis=0, weights=[1.0, 2.0, 0.5])


def ptp_axis1(x):
    return np.ptp(x, axis=1) ** 2


def ptp_all(x):
    return np.ptp(x * x)


def ptp_keepdims(x):
    return np.ptp(x, axis=0, keepdims=True) * x


# ------------------------------------------------------------ order statistics

def median_all(x):
    return np.median(x) ** 2


def median_axis0(x):
    return np.median(x, axis=0) ** 2


def median_keepdims(x):
    return np.median(x ** 3, axis=1, keepdims=True)


def median_axis_tuple(x):
    return np.median(x, axis=(0, 2)) ** 2


def percentile_axis0(x):
    return percentile(x, 30, axis=0) ** 2


def percentile_list(x):
    return np.percentile(x, [10, 50, 90], axis=1) ** 2


def percentile_methods(x):
    return (np.percentile(x, 40, method='lower') + np.percentile(x, 40, method='higher')
            + np.percentile(x, 40, method='midpoint') + np.percentile(x, 40, method='nearest'))


def quantile_all(x):
    return np.quantile(x, 0.3) ** 2


def quantile_array_q(x):
    return np.quantile(x, np.array([[0.2, 0.7], [0.0, 1.0]]), axis=-1, keepdims=True) ** 2


# ------------------------------------------------------------ cumprod

def cumprod_axis0(x):
    return np.cumprod(x, axis=0)


def cumprod_flat(x):
    return np.cumprod(x)


def cumprod_method(x):
    return x.cumprod(axis=-1)


def cumprod_product(x):
    return np.cumprod(x * x, axis=1)[:, -1]


# ------------------------------------------------------------ take

def take_axis1(x):
    return np.take(x, [0, 2, 2], axis=1) ** 2


def take_flat(x):
    return np.take(x, np.array([[5, 0], [5, 11]])) ** 2


def take_method(x):
    return x.take([1, -1, 1], axis=0) ** 2


def take_wrap(x):
    return np.take(x, [3, 7, -9], axis=-1, mode='wrap') ** 2


def take_clip(x):
    return np.take(x, [3, 7, -9], axis=-1, mode='clip') ** 2


def take_scalar(x, i):
    return np.take(x, i) ** 2


# ------------------------------------------------------------ interp, polyval

def interp_lists(x):
    return np.interp(x, [0.0, 0.7, 1.5, 2.2, 3.0], [0.5, 2.0, -1.0, 1.0, 0.3]) ** 2


def interp_values(x, fp):
    return np.interp(x, KNOTS, fp) * fp[1]


def interp_knots(x, xp):
    return np.interp(x, xp, VALUES, left=0.1, right=xp[0])


def interp_outside(x, low):
    return np.interp(x, KNOTS, VALUES, left=low, right=2.0 * low) ** 2


def polyval_lists(x):
    return np.polyval([1.0, -2.0, 0.5, 3.0], x) ** 2


def polyval_both(p, x):
    return np.polyval(p, x) ** 2


@sg.graph
def cumprod_gradient_inside(x):
    (g,) = sg.gradients(np.sum(np.cumprod(x)), x)
    return g * x


# ------------------------------------------------------------ refused (# ERR: the line)

def percentile_inverted_cdf(x):
    return np.percentile(x, 50, method='inverted_cdf')  # ERR


def percentile_weights(x):
    return np.percentile(x, 50, weights=np.ones(6), method='inverted_cdf')  # ERR


def interp_period(x):
    return np.sum(np.interp(x, [0.0, 1.0], [1.0, 2.0], period=2.0))  # ERR


def ptp_method(x):
    return x.ptp()  # ERR  (NumPy 2 arrays have no ptp method)


def percentile_of_x(x):
    return np.percentile(x, x[0] * 10.0)  # ERR


def percentile_stopped(x):
    return np.percentile(x, sg.stop_gradient(x[0] * 40.0))


@sg.graph
def median_gradient_inside(x):
    (g,) = sg.gradients(np.median(x, axis=0) ** 2, x)     # checked to third order
    return g * x


def median_overwriting(x):
    return np.median(x, overwrite_input=True)  # ERR


# ------------------------------------------------------------ in a graph, with sg.gradients

@sg.graph
def gradients_of_statistics(x, w):
    y = (np.sum(np.percentile(x, [25, 50], axis=0)) + np.average(x, axis=1, weights=w).sum()
         + np.nanmean(with_nans(x)) + np.ptp(x) + np.sum(np.cumprod(x, axis=1))
         + np.sum(np.interp(x, KNOTS, VALUES)) + np.sum(np.polyval(w, x)))
    return sg.gradients(y, [x, w])


def statistics_value(x, w):
    return (np.sum(np.percentile(x, [25, 50], axis=0)) + np.average(x, axis=1, weights=w).sum()
            + np.nanmean(with_nans(x)) + np.ptp(x) + np.sum(np.cumprod(x, axis=1))
            + np.sum(np.interp(x, KNOTS, VALUES)) + np.sum(np.polyval(w, x)))


def nanmedian_axis0(x):
    return np.nanmedian(with_nans(x), axis=0) ** 2


def nanpercentile_all(x):
    return np.nanpercentile(with_nans(x), [30, 80]) ** 2


def nanquantile_keepdims(x):
    return np.nanquantile(with_nans(x), 0.4, axis=1, keepdims=True) ** 2


def nanquantile_tuple_axis(x):
    return np.nanquantile(x, np.array([[0.2, 0.7], [0.5, 0.9]]), axis=(0, 2))
