"""NaN-skipping reductions, average, ptp, median and the quantiles, cumprod, take,
interp and polyval.

The table runs every call form of tests/op_cases_statistics.py through the
systematic check of tests/test_rules.py (gradient and second derivative
against central differences, float64 and float32).  Order statistics and
ptp are drawn without ties (D).  The tests after it pin the exact values at
the non-smooth points (ties in median / percentile / ptp, zeros in cumprod,
knots of interp, x == 0 in polyval), compare with NumPy's own results, and
check the refusals.
"""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads
from s2sgrad.runtime.statistics import _sg_order_weights, _sg_reduced_axes
from test_errors import line_of
from test_rules import Arg, DTYPES, assert_exact, case, grad_of as grad, run_case, D, N, P, U
import op_cases_statistics as oc


class Drawn(Arg):
    """An array argument drawn by `make(rng)`."""

    def __init__(self, label, make, shape):
        super().__init__(label, shape, label)
        self.make = make

    def draw(self, rng, dtype):
        return np.asarray(self.make(rng), dtype=np.float64).astype(dtype)


def Between(n):
    # n points inside the segments of op_cases_statistics.KNOTS, at least 0.05 from
    # each knot, and one point on each side outside them
    def make(rng):
        left = rng.choice(len(oc.KNOTS) - 1, size=n)
        width = np.diff(oc.KNOTS)[left]
        inner = oc.KNOTS[left] + width * rng.uniform(0.1, 0.9, size=n)
        return np.concatenate([inner, [-0.5, 3.4]])
    return Drawn(f'between{n}_', make, (n + 2,))


def Knots():
    return Drawn('knots', lambda rng: oc.KNOTS + rng.uniform(-0.02, 0.02, oc.KNOTS.shape),
                 oc.KNOTS.shape)


CASES = [
    # --- nan-reductions (NaNs at fixed places)
    *case(oc.nansum_axis0, N(3, 4)),
    *case(oc.nansum_all, N(3, 4)),
    *case(oc.nanmean_all, N(float)),
    *case(oc.nanmean_axis1_keepdims, N(3, 4)),
    *case(oc.nanmean_all, N(3, 4)),
    *case(oc.nanvar_ddof, N(3, 4)),
    *case(oc.nanstd_all, N(3, 4)),
    *case(oc.nanstd_axis_tuple, N(3, 4)),
    *case(oc.nanprod_axis0, N(3, 4)),
    *case(oc.nanmax_axis0, D(3, 4)),
    *case(oc.nanmin_all_keepdims, D(3, 4)),
    *case(oc.nancumsum_axis1, N(3, 4)),
    *case(oc.nancumprod_flat, N(3, 4)),
    # --- average, ptp
    *case(oc.average_weighted, N(3, 4), P(3, 4)),
    *case(oc.average_1d_weights, N(3, 4), P(4)),
    *case(oc.average_keepdims, N(3, 4), P(3, 4)),
    *case(oc.average_unweighted, N(3, 4)),
    *case(oc.average_unweighted, N(5)),
    *case(oc.average_constant_weights, N(3, 4)),
    *case(oc.ptp_axis1, D(3, 4)),
    *case(oc.ptp_all, D(3, 4)),
    *case(oc.ptp_keepdims, D(3, 4)),
    *case(oc.ptp_all, D(float)),
    # --- median, percentile, quantile (no ties)
    *case(oc.median_all, D(7)),
    *case(oc.median_all, D(3, 4)),
    *case(oc.median_axis0, D(3, 4)),
    *case(oc.median_keepdims, D(3, 4)),
    *case(oc.median_axis_tuple, D(2, 3, 4)),
    *case(oc.median_gradient_inside, D(3, 4)),
    *case(oc.median_all, D(float)),
    *case(oc.median_all, D()),
    *case(oc.percentile_axis0, D(5, 3)),
    *case(oc.percentile_list, D(3, 6)),
    *case(oc.percentile_methods, D(9), linear=True),
    *case(oc.quantile_all, D(2, 5)),
    *case(oc.quantile_all, D()),
    *case(oc.quantile_array_q, D(3, 5)),
    *case(oc.nanmedian_axis0, D(3, 4)),
    *case(oc.nanpercentile_all, D(3, 4)),
    *case(oc.nanquantile_keepdims, D(3, 4)),
    # --- cumprod
    *case(oc.cumprod_axis0, N(3, 4)),
    *case(oc.cumprod_flat, N(3, 4)),
    *case(oc.cumprod_flat, N(float)),
    *case(oc.cumprod_flat, N()),
    *case(oc.cumprod_method, N(2, 3, 4)),
    *case(oc.cumprod_product, N(3, 4)),
    *case(oc.cumprod_gradient_inside, N(5)),
    # --- take
    *case(oc.take_axis1, N(3, 4)),
    *case(oc.take_flat, N(3, 4)),
    *case(oc.take_method, N(3, 4)),
    *case(oc.take_wrap, N(3, 4)),
    *case(oc.take_clip, N(2, 3, 4)),
    *case(oc.take_scalar, N(5), 3),
    # --- interp (away from the knots), polyval
    *case(oc.interp_lists, Between(6)),
    *case(oc.interp_lists, U(float)),
    *case(oc.interp_values, Between(5), N(5)),
    *case(oc.interp_knots, Between(5), Knots()),
    *case(oc.interp_outside, Between(4), N(float)),
    *case(oc.polyval_lists, N(3, 4)),
    *case(oc.polyval_lists, N(float)),
    *case(oc.polyval_both, N(3), N(2, 3)),
    *case(oc.polyval_both, N(4), N()),
    *case(oc.polyval_both, N(1), N(3)),
]


@pytest.mark.filterwarnings('ignore:invalid value')
@pytest.mark.parametrize('fn, args, wrt, linear, dtype, rtol, atol', CASES)
def test_rule(fn, args, wrt, linear, dtype, rtol, atol):
    run_case(fn, args, wrt, linear, dtype, rtol, atol)


# ------------------------------------------------------------ exact values

def median_plain(x):
    return np.median(x)


def percentile_plain(x):
    return np.percentile(x, 25)


def ptp_plain(x):
    return np.ptp(x)


def cumprod_sum(x):
    return np.sum(np.cumprod(x))


cumprod_gradient = sg.grad(cumprod_sum)


def cumprod_hessian_row(x, e):
    return np.sum(cumprod_gradient(x) * e)


def interp_plain(x):
    return np.interp(x, [0.0, 1.0, 3.0], [0.0, 2.0, 1.0])


def polyval_plain(x):
    return np.polyval([1.0, 0.0, -2.0, 0.5], x)


@pytest.mark.parametrize('dtype', DTYPES)
def test_order_statistics_share_ties_equally(dtype):
    # the middle element is tied twice: its weight is shared
    assert_exact(grad(median_plain, np.array([3.0, 1.0, 2.0, 2.0, 5.0], dtype)),
                 [0, 0, 0.5, 0.5, 0], dtype)
    # an even count: half to each middle element; ties at both: a quarter each
    assert_exact(grad(median_plain, np.array([4.0, 1.0, 2.0, 3.0], dtype)),
                 [0, 0, 0.5, 0.5], dtype)
    assert_exact(grad(median_plain, np.array([1.0, 2.0, 2.0, 2.0, 2.0, 9.0], dtype)),
                 [0, 0.25, 0.25, 0.25, 0.25, 0], dtype)
    # percentile 25 of 5 values: exactly the second smallest
    assert_exact(grad(percentile_plain, np.array([5.0, 1.0, 3.0, 2.0, 4.0], dtype)),
                 [0, 0, 0, 1, 0], dtype)
    # ptp: tied maxima share +1, tied minima -1; all equal: 0
    assert_exact(grad(ptp_plain, np.array([1.0, 3.0, 3.0, 0.0], dtype)),
                 [0, 0.5, 0.5, -1], dtype)
    assert_exact(grad(ptp_plain, np.array([2.0, 2.0], dtype)), [0, 0], dtype)


@pytest.mark.parametrize('shape, axis', [((7,), None), ((3, 5), 0), ((3, 5), 1),
                                         ((2, 3, 4), (0, 2)), ((2, 3, 4), -1),
                                         ((4, 4), None)])
@pytest.mark.parametrize('method', ['linear', 'lower', 'higher', 'midpoint', 'nearest'])
@pytest.mark.parametrize('skip_nan', [False, True])
def test_order_weights_give_numpys_quantiles(shape, axis, method, skip_nan):
    rng = np.random.default_rng(3)
    a = rng.standard_normal(shape)
    a.ravel()[1] = a.ravel()[0]                     # a tie
    if skip_nan:
        a.ravel()[2] = a.ravel()[-1] = np.nan
    quantile = np.nanquantile if skip_nan else np.quantile
    for q in (0.5, 0.3, 1 / 3, np.array([0.1, 0.5, 1.0, 0.0]),
              np.array([[0.25, 0.75], [0.125, 0.9]])):
        if skip_nan and np.ndim(q) > 1 and isinstance(axis, tuple):
            continue            # NumPy lays that result out otherwise (refused below)
        weights = _sg_order_weights(a, q, axis, method, skip_nan)
        reduced = tuple(np.ndim(q) + d for d in _sg_reduced_axes(a.ndim, axis))
        products = np.where(weights == 0, 0.0, weights * a)        # (0 * NaN)
        np.testing.assert_allclose(np.sum(products, axis=reduced),
                                   quantile(a, q, axis=axis, method=method), rtol=1e-12)


def test_nanquantile_laid_out_unlike_quantile_is_refused_when_the_gradient_runs():
    x = np.arange(24.0).reshape(2, 3, 4)
    with pytest.raises(ValueError, match='no gradient for this quantile'):
        sg.grad(oc.nanquantile_tuple_axis)(x)


@pytest.mark.parametrize('dtype', DTYPES)
def test_cumprod_with_zeros_is_exact_and_never_nan(dtype):
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0], dtype)
    # d/dx_j sum_i prod_{k<=i} x_k, by hand: only products with at most one zero
    assert_exact(grad(cumprod_sum, x), [1, 2 + 6, 0, 0, 0], dtype)
    x = np.array([2.0, 3.0, 0.0], dtype)
    assert_exact(grad(cumprod_sum, x), [1 + 3, 2, 6], dtype)
    # second derivative at zeros: the Hessian of sum(cumprod) by brute force
    x = np.array([1.5, 0.0, -2.0, 0.0])
    hessian = np.array([sg.grad(cumprod_hessian_row)(x, e) for e in np.eye(4)])
    expected = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            if i != j:
                expected[i, j] = sum(np.prod([x[k] for k in range(m + 1) if k not in (i, j)])
                                     for m in range(max(i, j), 4))
    np.testing.assert_allclose(hessian, expected, atol=1e-12)
    assert not np.isnan(sg.grad(sg.grad(cumprod_sum))(x)).any()


def test_interp_at_knots_and_outside():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 3.0, 4.0])
    # at a knot: the slope of the segment to its right (the last knot: to its left);
    # outside the knots: 0
    np.testing.assert_array_equal(grad(interp_plain, x), [0, 2, 2, -0.5, -0.5, 0])
    values = np.array([0.0, 2.0, 1.0])

    def interp_of_values(fp):
        return np.interp(x, [0.0, 1.0, 3.0], fp)
    # fp[0] gets 1 below the knots and at 0, 1 - t = 0.5 at 0.5; fp[-1] 1 at and above 3
    np.testing.assert_allclose(grad(interp_of_values, values), [2.5, 1.5, 2.0])


def test_polyval_at_zero_has_no_nan():
    assert grad(polyval_plain, 0.0) == -2.0
    assert sg.grad(sg.grad(polyval_plain))(0.0) == 0.0
    dp = sg.grad(oc.polyval_both)(np.array([1.0, -2.0, 0.5]), np.array([0.0, 1.0]))
    np.testing.assert_allclose(dp, 2 * (0.5 * np.array([0.0, 0.0, 1.0])
                                        - 0.5 * np.array([1.0, 1.0, 1.0])))


@pytest.mark.parametrize('fn, args', [
    (oc.median_axis_tuple, (np.arange(24.0).reshape(2, 3, 4) % 5,)),
    (oc.percentile_list, (np.arange(18.0).reshape(3, 6) ** 0.5,)),
    (oc.quantile_array_q, (np.arange(15.0).reshape(3, 5),)),
    (oc.take_wrap, (np.arange(12.0).reshape(3, 4),)),
    (oc.nanstd_axis_tuple, (np.arange(12.0).reshape(3, 4),)),
    (oc.average_1d_weights, (np.arange(12.0).reshape(3, 4), np.arange(1.0, 5.0))),
    (oc.interp_lists, (np.linspace(-1.0, 4.0, 11),)),
    (oc.polyval_lists, (1.5,)),
    (oc.interp_lists, (0.25,)),
    (oc.median_all, (2.5,)),
    (oc.cumprod_flat, (np.float32(1.5),)),
    (oc.cumprod_axis0, (np.arange(12.0).reshape(3, 4) - 4.0,)),
    (oc.nanmedian_axis0, (np.arange(12.0).reshape(3, 4),)),
    (oc.nanpercentile_all, (np.arange(12.0, dtype=np.float32).reshape(3, 4),)),
    (oc.nanprod_axis0, (np.arange(12.0).reshape(3, 4),)),
    (oc.nanmax_axis0, (np.arange(12.0).reshape(3, 4),)),
    (oc.ptp_keepdims, (np.arange(12.0).reshape(3, 4) % 5,)),
    (oc.average_weighted, (np.arange(12.0).reshape(3, 4), np.ones((3, 4)))),
    (oc.average_constant_weights, (np.arange(12.0).reshape(3, 4),)),
    (oc.take_scalar, (np.arange(5.0), 3)),
], ids=lambda v: getattr(v, '__name__', None))
def test_forward_values_are_numpys(fn, args):
    expected = fn(*args)
    actual = sg.graph(fn)(*args)
    np.testing.assert_array_equal(actual, expected)
    assert type(actual) is type(expected) and np.shape(actual) == np.shape(expected)


# ------------------------------------------------------------ refusals

@pytest.mark.parametrize('fn, marker', [
    (oc.percentile_inverted_cdf, "method='inverted_cdf'"),
    (oc.percentile_weights, 'weights=None'),
    (oc.interp_period, 'period='),
    (oc.ptp_method, "'ptp'"),
], ids=lambda v: getattr(v, '__name__', None))
def test_unsupported_forms_are_refused_at_the_users_line(fn, marker):
    with pytest.raises(sg.TransformError) as info:
        sg.grad(fn)(np.arange(1.0, 7.0))
    assert marker in str(info.value)
    assert info.value.lineno == line_of(fn)
    assert info.value.filename == oc.__file__


def test_a_quantile_position_computed_in_the_function_gets_no_silent_gradient():
    with pytest.raises(NotImplementedError, match='with respect to q') as info:
        sg.grad(oc.percentile_of_x)(np.arange(1.0, 7.0))
    where = f'{oc.__file__}:{line_of(oc.percentile_of_x)}'
    assert where in ' '.join(info.value.__notes__)
    # held constant, it differentiates
    np.testing.assert_array_equal(sg.grad(oc.percentile_stopped)(np.arange(1.0, 7.0)),
                                  [0, 0, 1, 0, 0, 0])


def test_sg_gradients_in_a_graph_agree_with_grad():
    rng = np.random.default_rng(5)
    x = rng.uniform(0.1, 2.9, size=(3, 4))
    w = rng.uniform(0.5, 2.0, size=4)
    dx, dw = oc.gradients_of_statistics(x, w)
    expected = sg.grad(oc.statistics_value, wrt=(0, 1))(x, w)
    np.testing.assert_allclose(dx, expected[0], rtol=1e-12)
    np.testing.assert_allclose(dw, expected[1], rtol=1e-12)
    check_grads(oc.statistics_value, x, w, wrt=(0, 1), order=2)
