"""Elementwise functions, reductions and scans, products and contractions.

The table runs every call form of tests/op_cases_numeric.py through the
systematic check of tests/test_rules.py: the gradient and the second
derivative against central differences along random directions, in float64
and float32.  The tests after it pin the numerically delicate points exactly
(sinc at 0, NaN in fmax/fmin, logaddexp of large or -inf inputs, arctan2 and
hypot at the origin, prod with zeros to the fourth derivative, std of equal
elements, ties with max's initial value), check the refusals, and compare a
few rules with autograd.
"""
import pathlib

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads
from test_rules import case, run_case, binary, unary, N, P, U, Z, H, D
from test_rules import Joint, _remainder_args
import op_cases_numeric as oc


def rows_mask(shape):
    """A fixed boolean mask with some True in every row and column."""
    m = np.indices(shape).sum(axis=0) % 2 == 0        # a checkerboard
    m[..., 0] = True
    return m


M34 = rows_mask((3, 4))
ROW4 = np.array([True, False, True, True])


def _increasing(n):
    # coordinates of np.gradient: increasing, unevenly spaced
    def draw(rng):
        return (np.cumsum(rng.uniform(0.5, 1.5, size=n)),)
    return Joint(f'coords{n}', draw)




CASES = [
    # --- elementwise, unary
    *case(oc.np_absolute, Z(5), linear=True),
    *case(oc.np_fabs, Z(3, 4), linear=True),
    *case(oc.np_reciprocal, Z(3, 4)),
    *case(oc.np_exp2, N(float)),
    *unary(oc.np_rad2deg, linear=True),
    *case(oc.np_degrees, N(3, 4), linear=True),
    *unary(oc.np_deg2rad, linear=True),
    *case(oc.np_radians, N(5), linear=True),
    *unary(oc.np_sinc),
    *case(oc.np_sinc, Z(3, 4)),
    *case(oc.sinc_near_zero, U(3, 4)),
    *case(oc.sinc_near_zero, U(float)),
    *unary(oc.nan_to_num, linear=True),
    *case(oc.nan_to_num_keywords, N(3, 4), linear=True),
    *case(oc.nan_to_num_of_log, P(3, 4)),
    *case(oc.nan_to_num_filled, N(3, 4), N(float)),
    # --- elementwise, binary
    *case(oc.np_mod, _remainder_args((3, 4), (4,)), linear=True),
    *case(oc.np_divide, N(3, 4), Z(3, 1)),
    *binary(oc.np_fmax, 'L', 'H', linear=True),
    *binary(oc.np_fmin, 'H', 'L', linear=True),
    *case(oc.fmax_const, H(3, 4), linear=True),
    *binary(oc.np_logaddexp),
    *binary(oc.np_logaddexp2),
    *case(oc.logaddexp_self, N(3, 4)),
    *binary(oc.np_arctan2, 'Z', 'Z'),
    *binary(oc.np_hypot, 'Z', 'Z'),
    *case(oc.hypot_const, N(3, 4)),
    # --- sum: where=, initial=, dtype=
    *case(oc.sum_where, N(3, 4), M34, linear=True),
    *case(oc.sum_where, N(3, 4), ROW4, linear=True),
    *case(oc.sum_where_axis, N(3, 4), M34, linear=True),
    *case(oc.sum_where_keepdims, N(3, 4), ROW4, linear=True),
    *case(oc.method_sum_where, N(2, 3, 4), rows_mask((2, 3, 4)), linear=True),
    *case(oc.sum_where_of_self, Z(3, 4)),
    *case(oc.sum_initial_const, N(3, 4), linear=True),
    *case(oc.sum_initial, N(3, 4), N(float)),
    *case(oc.sum_initial, N(3, 4), N()),
    *case(oc.sum_dtype, N(3, 4), linear=True),
    # --- mean: where=
    *case(oc.mean_where, N(3, 4), M34, linear=True),
    *case(oc.mean_where_axis, N(3, 4), M34, linear=True),
    *case(oc.method_mean_where, N(3, 4), ROW4, linear=True),
    *case(oc.mean_positional, N(2, 3, 4), linear=True),
    # --- prod: where=, initial=
    *case(oc.prod_where, N(3, 4), M34),
    *case(oc.prod_where_all, N(3, 4), ROW4),
    *case(oc.prod_initial_const, N(3, 4)),
    *case(oc.prod_initial, N(3, 4), N(float)),
    *case(oc.prod_initial, N(3, 4), N()),
    *case(oc.method_prod_initial, N(3, 4)),
    *case(oc.prod_square, N(2, 3)),
    *case(oc.prod_gradient_inside, N(3, 4)),
    *case(oc.prod_hessian_inside, N(4)),
    *case(oc.prod_hessian_inside, N(2, 3)),
    # --- max, min: initial= (away from ties), where=
    *case(oc.max_initial, D(3, 4), Z(float), linear=True),
    *case(oc.max_initial, D(3, 4), Z(), linear=True),
    *case(oc.min_initial, D(3, 4), Z(float), linear=True),
    *case(oc.amax_initial_const, D(3, 4), linear=True),
    *case(oc.amin_where, D(3, 4), M34, linear=True),
    *case(oc.method_max_where, D(3, 4), M34, linear=True),
    *case(oc.max_keepdims_initial, D(3, 4), Z(float), linear=True),
    # --- var, std: correction=, mean=, where=
    *case(oc.var_correction, N(3, 4)),
    *case(oc.var_axis_ddof, N(3, 4)),
    *case(oc.var_mean_given, N(3, 4)),
    *case(oc.var_where, N(3, 4), M34),
    *case(oc.var_where_all, N(3, 4), M34),
    *case(oc.var_correction_all, N(5)),
    *case(oc.std_correction, N(3, 4)),
    *case(oc.std_mean_given, N(3, 4)),
    *case(oc.std_where, N(3, 4), M34),
    *case(oc.method_std_axis, N(2, 3, 4)),
    # --- cumsum, trace
    *case(oc.cumsum_negative_axis, N(3, 4)),
    *case(oc.cumsum_positional, N(3, 4), linear=True),
    *case(oc.method_cumsum, N(2, 3), linear=True),
    *case(oc.cumsum_float, N(float), linear=True),
    *case(oc.method_cumsum_positional, N(4), linear=True),
    *case(oc.cumsum_dtype, N(3, 4), linear=True),
    *case(oc.cumsum_3d, N(2, 3, 4), linear=True),
    *case(oc.trace_offset, N(3, 4), linear=True),
    *case(oc.method_trace_offset, N(4, 3), linear=True),
    *case(oc.trace_axes_keywords, N(3, 2, 3), linear=True),
    # --- diff
    *case(oc.diff, N(6), linear=True),
    *case(oc.diff, N(3, 4), linear=True),
    *case(oc.diff_n, N(3, 5), linear=True),
    *case(oc.diff_axis0, N(3, 4), linear=True),
    *case(oc.diff_positional, N(4, 3), linear=True),
    *case(oc.diff_n3_negative_axis, N(2, 3, 5), linear=True),
    *case(oc.diff_prepend_const, N(3, 4), linear=True),
    *case(oc.diff_append_array, N(3, 4), linear=True),
    *case(oc.diff_prepend_self, N(3, 4), linear=True),
    *case(oc.diff_prepend_append, N(3, 4), N(float), N(3, 2), linear=True),
    *case(oc.diff_prepend_append, N(5), N(), N(float), linear=True),
    *case(oc.diff_squared, N(3, 4)),
    # --- gradient
    *case(oc.gradient_1d, N(6), linear=True),
    *case(oc.gradient_1d, N(2), linear=True),
    *case(oc.gradient_spacing, N(5), linear=True),
    *case(oc.gradient_spacing_arg, N(6), P(float)),
    *case(oc.gradient_spacing_arg, N(6), P(), wrt=0, linear=True),
    *case(oc.gradient_coordinates, N(6), _increasing(6), wrt=0, linear=True),
    *case(oc.gradient_edge_order_2, N(3), linear=True),
    *case(oc.gradient_edge_order_2, N(7), linear=True),
    *case(oc.gradient_coordinates_edge_2, N(6), _increasing(6), wrt=0, linear=True),
    *case(oc.gradient_2d, N(3, 4), linear=True),
    *case(oc.gradient_2d_indexed, N(3, 4)),
    *case(oc.gradient_axis, N(4, 3), linear=True),
    *case(oc.gradient_axis_negative, N(2, 5), linear=True),
    *case(oc.gradient_axes_tuple, N(3, 2, 4), linear=True),
    *case(oc.gradient_per_axis_spacing, N(3, 4)),
    *case(oc.gradient_mixed_spacing, N(3, 5), _increasing(5), wrt=0, linear=True),
    *case(oc.gradient_scalar_spacings, N(3, 4), P(float), P(float)),
    *case(oc.gradient_of_square, N(5)),
    *case(oc.gradient_spacing_gradient_inside, N(5), P(float)),
    # --- dot (every rank), inner, outer
    *case(oc.np_dot, N(2, 3, 4), N(5, 4, 2)),
    *case(oc.np_dot, N(4), N(2, 4, 3)),
    *case(oc.np_dot, N(2, 3, 4), N(4)),
    *case(oc.np_dot, N(float), N(3, 4)),
    *case(oc.np_dot, N(3, 4), N()),
    *case(oc.np_dot, N(), N()),
    *case(oc.np_dot, N(3, 4), N(4, 2)),
    *case(oc.method_dot, N(2, 3, 4), N(4, 2)),
    *case(oc.method_dot, N(3), N(float)),
    *case(oc.np_inner, N(4), N(4)),
    *case(oc.np_inner, N(3, 4), N(4)),
    *case(oc.np_inner, N(2, 3), N(4, 3)),
    *case(oc.np_inner, N(2, 3, 4), N(5, 4)),
    *case(oc.np_inner, N(float), N(3, 2)),
    *case(oc.np_outer, N(3), N(4)),
    *case(oc.np_outer, N(2, 3), N(4)),
    *case(oc.np_outer, N(float), N(3)),
    *case(oc.outer_alias, N(3), N(2, 2)),
    # --- tensordot
    *case(oc.tensordot_default, N(2, 3, 4), N(3, 4, 5)),
    *case(oc.tensordot_default, N(3, 4), N(3, 4)),
    *case(oc.tensordot_1, N(2, 3), N(3, 4)),
    *case(oc.tensordot_0, N(2), N(3)),
    *case(oc.tensordot_0, N(float), N(3)),
    *case(oc.tensordot_pairs, N(3, 2, 4), N(2, 3, 5)),
    *case(oc.tensordot_int_pair, N(2, 3), N(3, 4, 2)),
    *case(oc.tensordot_negative, N(2, 4), N(3, 4, 5)),
    # --- einsum
    *case(oc.einsum_matmul, N(3, 4), N(4, 2)),
    *case(oc.einsum_implicit, N(3, 4), N(4, 2)),
    *case(oc.einsum_imported, N(3, 4), N(2, 4)),
    *case(oc.einsum_diagonal, N(3, 3), linear=True),
    *case(oc.einsum_trace, N(3, 3), linear=True),
    *case(oc.einsum_trace_explicit, N(4, 4), linear=True),
    *case(oc.einsum_sum, N(3, 4), linear=True),
    *case(oc.einsum_row_sums, N(3, 4), linear=True),
    *case(oc.einsum_transpose, N(3, 4), linear=True),
    *case(oc.einsum_transpose_implicit, N(3, 4), linear=True),
    *case(oc.einsum_vdot, N(5), N(5)),
    *case(oc.einsum_outer, N(3), N(4)),
    *case(oc.einsum_batched, N(2, 3, 4), N(2, 4, 5)),
    *case(oc.einsum_batched, N(2, 3, 4), N(4, 5)),
    *case(oc.einsum_batched, N(3, 4), N(2, 1, 4, 5)),
    *case(oc.einsum_ellipsis_implicit, N(2, 3, 4), N(4)),
    *case(oc.einsum_ellipsis_middle, N(3, 2, 4), N(4)),
    *case(oc.einsum_ellipsis_middle, N(3, 1, 4), N(4)),
    *case(oc.einsum_batched_dot, N(2, 3, 4), N(3, 4)),
    *case(oc.einsum_batched_dot, N(2, 1, 4), N(3, 1)),
    *case(oc.einsum_batched_diagonal, N(2, 3, 3), linear=True),
    *case(oc.einsum_three, N(2, 3, 4), N(2, 4, 2), N(2, 2, 3)),
    *case(oc.einsum_broadcast_label, N(3, 1), N(3, 4)),
    *case(oc.einsum_broadcast_label, N(3, 4), N(1, 4)),
    *case(oc.einsum_repeated_and_free, N(3, 3, 2), linear=True),
    *case(oc.einsum_repeated_with_other, N(3, 3), N(3)),
    *case(oc.einsum_four, N(3), N(3), N(3), N(3)),
    *case(oc.einsum_optimize, N(3, 4), N(4, 5), N(5)),
    *case(oc.einsum_scalar_operand, N(float), N(2, 3)),
    *case(oc.einsum_scalar_operand, N(), N(2, 3)),
    *case(oc.einsum_spaces, N(3, 4), N(4)),
    *case(oc.einsum_quadratic_form, N(3), N(3, 3)),
    *case(oc.einsum_uppercase, N(2, 3), N(3, 4)),
    *case(oc.einsum_self_product, N(3, 4, 2)),
    *case(oc.einsum_self_product, N(3, 1, 2)),
    *case(oc.einsum_self_dot, N(4)),
    *case(oc.einsum_self_all, N(3, 4)),
    *case(oc.einsum_self_ellipsis, N(2, 3, 4)),
    *case(oc.einsum_self_ellipsis, N(3, 4)),
    *case(oc.einsum_self_transposed, N(3, 3)),
    *case(oc.einsum_gram, N(3, 4)),
    *case(oc.einsum_scaled_rows, N(3, 4), N(3)),
    *case(oc.einsum_scaled_rows, N(3, 4), N(1)),
    *case(oc.einsum_scaled_columns_ellipsis, N(2, 3, 4), N(4)),
    *case(oc.einsum_scaled_columns_ellipsis, N(3, 4), N(2, 1, 4)),
    *case(oc.einsum_self_three, N(3, 4), N(4)),
    # --- kron, cross
    *case(oc.np_kron, N(2, 3), N(3, 2)),
    *case(oc.np_kron, N(3), N(2, 2)),
    *case(oc.np_kron, N(2, 2, 2), N(3)),
    *case(oc.np_kron, N(float), N(3)),
    *case(oc.np_cross, N(3), N(3)),
    *case(oc.np_cross, N(4, 3), N(3)),
    *case(oc.np_cross, N(2, 1, 3), N(4, 3)),
    *case(oc.np_cross, N(5, 2), N(5, 3)),
    *case(oc.cross_axisa, N(3, 4), N(2, 4, 3)),
    *case(oc.cross_axis, N(2, 3, 4), N(2, 3, 4)),
    *case(oc.cross_axes, N(3, 5), N(5, 3)),
    # --- fmod, copysign, float_power, heaviside (a constant)
    *case(oc.np_fmod, _remainder_args((3, 4), (3, 4)), linear=True),
    *case(oc.np_fmod, _remainder_args((3, 4), (4,)), linear=True),
    *case(oc.fmod_const, H(3, 4), linear=True),
    *binary(oc.np_copysign, 'Z', 'Z', linear=True),
    *case(oc.copysign_const, Z(3, 4)),
    *binary(oc.np_float_power, 'P', 'N'),
    *case(oc.float_power_2, N(3, 4)),
    *case(oc.heaviside_times, Z(3, 4)),
    # --- einsum in the sublist form
    *case(oc.einsum_sublists, N(2, 3), N(3)),
    *case(oc.einsum_sublists_output, N(2, 3), N(3, 4)),
    *case(oc.einsum_sublists_ellipsis, N(2, 3), N(3)),
]


@pytest.mark.filterwarnings('ignore:Arrays of 2-dimensional vectors')
@pytest.mark.parametrize('fn, args, wrt, linear, dtype, rtol, atol', CASES)
def test_rule(fn, args, wrt, linear, dtype, rtol, atol):
    run_case(fn, args, wrt, linear, dtype, rtol, atol)


# ------------------------------------------------------------ exact values

DTYPES = (np.float64, np.float32)


def grad(fn, *args, wrt=0):
    return sg.grad(fn, wrt=wrt)(*args)


def assert_exact(actual, expected, dtype=np.float64):
    actual = np.asarray(actual)
    assert actual.dtype == dtype, actual.dtype
    np.testing.assert_array_equal(actual, np.asarray(expected, dtype=dtype))


def sinc_derivative(x):
    """d sinc / dx by its Taylor series in long double (exact to ~1e-18 for |x| < 2)."""
    x = np.asarray(x, np.longdouble)
    pi = np.longdouble('3.14159265358979323846264338327950288')
    total, term = np.zeros_like(x), -pi ** 2 * x / 3          # k = 1
    for k in range(1, 40):
        total = total + term
        term = -term * (pi * x) ** 2 / ((2 * k) * (2 * k + 3))
    return total


def test_sinc_is_smooth_at_zero_and_accurate_near_it():
    x = np.array([0.0, 1e-12, -1e-8, 1e-5, 1e-3, 0.05, -0.0999, 0.1, 0.1001, 0.3, 1.5])
    g = grad(oc.np_sinc, x)
    np.testing.assert_allclose(g, sinc_derivative(x).astype(np.float64), rtol=1e-13,
                               atol=1e-300)
    assert g[0] == 0.0
    # the second derivative at 0 is -pi**2 / 3 (the formula alone gives 0/0 there)
    d2 = sg.grad(sg.grad(oc.np_sinc))(np.array([0.0, 1e-9]))
    np.testing.assert_allclose(d2, -np.pi ** 2 / 3, rtol=1e-12)
    assert sg.grad(sg.grad(oc.np_sinc))(0.0) == pytest.approx(-np.pi ** 2 / 3, rel=1e-14)
    g32 = grad(oc.np_sinc, x.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, sinc_derivative(x.astype(np.float32)).astype(np.float64),
                               rtol=2e-6, atol=1e-30)


@pytest.mark.parametrize('dtype', DTYPES)
def test_nan_to_num_passes_the_gradient_where_finite(dtype):
    x = np.array([np.nan, np.inf, -np.inf, 1.5, -2.0], dtype)
    assert_exact(grad(oc.nan_to_num, x), [0, 0, 0, 1, 1], dtype)
    assert_exact(grad(oc.nan_to_num_keywords, x), [0, 0, 0, 1, 1], dtype)
    # replacement values computed in the function: d/db of nan_to_num(x, b, 2 b, -b) * b
    dx, db = grad(oc.nan_to_num_filled, x, 3.0, wrt=(0, 1))
    assert_exact(dx, [0, 0, 0, 3, 3], dtype)
    assert db == pytest.approx((3.0 + 6.0 - 3.0 + 1.5 - 2.0) + 3.0 * (1 + 2 - 1))


@pytest.mark.parametrize('dtype', DTYPES)
def test_fmax_fmin_give_the_gradient_to_the_argument_that_is_not_nan(dtype):
    x = np.array([np.nan, 1.0, 2.0, np.nan, 3.0], dtype)
    y = np.array([1.0, np.nan, 2.0, np.nan, 0.0], dtype)
    dx, dy = grad(oc.np_fmax, x, y, wrt=(0, 1))
    assert_exact(dx, [0, 1, 1, 1, 1], dtype)
    assert_exact(dy, [1, 0, 0, 0, 0], dtype)
    dx, dy = grad(oc.np_fmin, x, y, wrt=(0, 1))
    assert_exact(dx, [0, 1, 1, 1, 0], dtype)
    assert_exact(dy, [1, 0, 0, 0, 1], dtype)


@pytest.mark.parametrize('dtype', DTYPES)
def test_logaddexp_of_large_and_infinite_inputs(dtype):
    x = np.array([1000.0, 1000.0, -1000.0, -np.inf, -np.inf, 3.0], dtype)
    y = np.array([1000.0, 0.0, -1000.0, -np.inf, 0.0, 30.0], dtype)
    for fn in (oc.np_logaddexp, oc.np_logaddexp2):
        dx, dy = grad(fn, x, y, wrt=(0, 1))
        assert dx.dtype == dtype and not np.isnan(dx).any() and not np.isnan(dy).any()
        tol = 1e-12 if dtype == np.float64 else 1e-4        # y = 1000 + log 2 is rounded
        np.testing.assert_allclose(dx, [0.5, 1, 0.5, 0, 0, 0], rtol=tol, atol=1e-8)
        np.testing.assert_allclose(dy, [0.5, 0, 0.5, 0, 1, 1], rtol=tol, atol=1e-8)
    d2 = sg.grad(sg.grad(oc.np_logaddexp))(np.array([1000.0, -np.inf]), np.array([1000.0, -np.inf]))
    assert not np.isnan(d2).any()
    np.testing.assert_allclose(d2[0], 0.25)


@pytest.mark.parametrize('dtype', DTYPES)
def test_arctan2_and_hypot_at_the_origin_and_far_from_it(dtype):
    x = np.array([0.0, 3.0, 0.0], dtype)
    y = np.array([0.0, 4.0, -2.0], dtype)
    dx, dy = grad(oc.np_arctan2, x, y, wrt=(0, 1))
    np.testing.assert_allclose(dx, [0, 4 / 25, -0.5], rtol=1e-6)
    np.testing.assert_allclose(dy, [0, -3 / 25, 0], rtol=1e-6)
    assert dx.dtype == dtype and dx[0] == 0 and dy[0] == 0
    dx, dy = grad(oc.np_hypot, x, y, wrt=(0, 1))
    np.testing.assert_allclose(dx, [0, 0.6, 0], rtol=1e-6)
    np.testing.assert_allclose(dy, [0, 0.8, -1], rtol=1e-6)
    assert dx.dtype == dtype and dx[0] == 0 and dy[0] == 0
    # squares would overflow or underflow; the gradients are finite and right
    big = np.finfo(dtype).max / 4
    tiny = np.finfo(dtype).tiny * 4
    for v in (big, tiny):
        a = np.array([v], dtype)
        dx, dy = grad(oc.np_arctan2, a, a, wrt=(0, 1))
        np.testing.assert_allclose(dx * v, [0.5], rtol=1e-5)
        np.testing.assert_allclose(dy * v, [-0.5], rtol=1e-5)
        dx, dy = grad(oc.np_hypot, a, a, wrt=(0, 1))
        np.testing.assert_allclose(dx, [np.sqrt(0.5)], rtol=1e-5)


def _brute_prod_derivative(x, order):
    """The `order`-th derivative of prod(x) contracted with ones (x: a vector)."""
    import itertools
    n = len(x)
    out = np.zeros(n)
    for i in range(n):
        for others in itertools.permutations([j for j in range(n) if j != i], order - 1):
            rest = [x[j] for j in range(n) if j != i and j not in others]
            out[i] += np.prod(rest)
    return out


@pytest.mark.parametrize('dtype', DTYPES)
@pytest.mark.parametrize('values', [[2.0, 0.0, 3.0, -1.5, 5.0], [2.0, 0.0, 3.0, 0.0, 5.0],
                                    [0.0, 0.0, 3.0, 0.0, 5.0], [0.0, 0.0, 0.0, 0.0, 1.0],
                                    [1.5, -2.0, 3.0, 0.5, 4.0]])
def test_prod_with_zeros_is_exact_to_the_fourth_derivative(values, dtype):
    x = np.array(values, dtype)
    f = oc.prod_all
    derivatives = [sg.grad(f)]
    for _ in range(3):
        derivatives.append(sg.grad(derivatives[-1]))
    for order, d in enumerate(derivatives, 1):
        g = d(x)
        assert g.dtype == dtype and not np.isnan(g).any()
        np.testing.assert_allclose(g, _brute_prod_derivative(np.array(values), order),
                                   rtol=1e-6)
    # along an axis: each row on its own
    m = np.array([values, values[::-1]], dtype)
    h = sg.grad(sg.grad(oc.prod_axis1))(m)
    np.testing.assert_allclose(h, [_brute_prod_derivative(np.array(values), 2),
                                   _brute_prod_derivative(np.array(values[::-1]), 2)],
                               rtol=1e-6)


def test_prod_beyond_the_fourth_derivative_is_refused():
    d4 = sg.grad(sg.grad(sg.grad(sg.grad(oc.prod_all))))
    with pytest.raises(LookupError, match='_sg_prod_others_3'):
        sg.grad(d4)(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))


@pytest.mark.parametrize('dtype', DTYPES)
def test_std_of_equal_elements_has_gradient_zero(dtype):
    x = np.full((2, 3), 1.5, dtype)
    assert_exact(grad(oc.std_all, x), np.zeros((2, 3)), dtype)
    assert_exact(grad(oc.method_std_axis, x), np.zeros((2, 3)), dtype)


@pytest.mark.parametrize('dtype', DTYPES)
def test_max_initial_takes_its_share_of_ties(dtype):
    x = np.array([1.0, 3.0, 2.0], dtype)
    dx, db = grad(oc.max_initial_all, x, 3.0, wrt=(0, 1))
    assert_exact(dx, [0, 0.5, 0], dtype)
    assert db == 0.5 and type(db) is float
    dx, db = grad(oc.max_initial_all, x, 5.0, wrt=(0, 1))
    assert_exact(dx, [0, 0, 0], dtype)
    assert db == 1.0
    dx, db = grad(oc.max_initial_all, x, 0.0, wrt=(0, 1))
    assert_exact(dx, [0, 1, 0], dtype)
    assert db == 0.0
    m = np.array([[1.0, 4.0], [2.0, -1.0]], dtype)
    dx, db = grad(oc.min_initial, m, np.array(1.0, dtype), wrt=(0, 1))
    assert_exact(dx, [[0.5, 0], [0, 1]], dtype)
    assert_exact(db, 0.5, dtype)


@pytest.mark.parametrize('dtype', DTYPES)
def test_where_masks_and_initial_values(dtype):
    x = np.arange(1.0, 7.0, dtype=dtype).reshape(2, 3)
    mask = np.array([[True, False, True], [False, False, True]])
    assert_exact(grad(oc.sum_where, x, mask), mask, dtype)
    assert_exact(grad(oc.mean_where, x, mask), mask / 3.0, dtype)
    assert_exact(grad(oc.prod_where_all, x, mask), np.where(mask, 18.0 / x, 0), dtype)
    assert_exact(grad(oc.sum_where_of_self, x - 3.5), np.where(x > 3.5, 2 * (x - 3.5), 0),
                 dtype)
    assert_exact(grad(oc.amin_where, x, mask), [[1, 0, 1], [0, 0, 0]], dtype)
    # sum(x, axis=1, initial=b) * b: d/db = sum(x) + 2 b per row
    dx, db = grad(oc.sum_initial, x, 2.0, wrt=(0, 1))
    assert_exact(dx, np.full((2, 3), 2.0), dtype)
    assert db == 6.0 + 15.0 + 2 * 2 * 2.0
    dx, db = grad(oc.prod_initial, x, 0.5, wrt=(0, 1))
    assert_exact(dx, [[3, 1.5, 1], [15, 12, 10]], dtype)
    assert db == 6.0 + 120.0


def test_diff_prepend_and_append_get_their_gradients():
    x = np.array([1.0, 4.0, 9.0, 16.0])
    dx, dp, dq = grad(oc.diff_prepend_append, x, 2.0, np.array([30.0]), wrt=(0, 1, 2))
    # np.diff(c, 2) = c[:-2] - 2 c[1:-1] + c[2:] over c = [p, x, q]; its sum is
    # c[0] - c[1] - c[-2] + c[-1]
    np.testing.assert_array_equal(dx, [-1, 0, 0, -1])
    assert dp == 1.0
    np.testing.assert_array_equal(dq, [1.0])
    m = np.arange(12.0).reshape(3, 4)
    g = grad(oc.diff_prepend_self, m)       # prepend 2 m[:, :1], append m[:, -1:]
    np.testing.assert_array_equal(g, np.tile([-2, 0, 0, 1], (3, 1)))   # c[-1] - c[0]


@pytest.mark.parametrize('edge_order', [1, 2])
@pytest.mark.parametrize('fn, shape', [(oc.gradient_coordinates, (7,)),
                                       (oc.gradient_coordinates, (3,)),
                                       (oc.gradient_mixed_spacing, (3, 5)),
                                       (oc.gradient_coordinates_axis, (4, 6))])
def test_gradient_with_respect_to_coordinates(fn, shape, edge_order):
    rng = np.random.default_rng(7)
    f = rng.standard_normal(shape)
    coords = np.cumsum(rng.uniform(0.5, 1.5, shape[-1]))
    if edge_order == 2:
        fn = {oc.gradient_coordinates: oc.gradient_coordinates_edge_2}.get(fn, fn)
    check_grads(fn, f, coords, wrt=(0, 1), order=1, seed=3)
    check_grads(fn, f.astype(np.float32), coords.astype(np.float32), wrt=(0, 1), order=1,
                seed=3)


def test_gradient_second_derivatives_in_coordinates_are_refused_when_asked():
    f, coords = np.array([1.0, 2.0, 4.0, 7.0]), np.array([0.0, 1.0, 1.5, 3.0])
    d2 = sg.grad(sg.grad(oc.gradient_of_product, wrt=(0, 1)), wrt=0)
    with pytest.raises(NotImplementedError, match='no second derivatives with respect to '
                                                  'coordinate arrays'):
        d2(f, coords)
    # second derivatives in f alone (coordinates constant) are fine
    check_grads(oc.gradient_of_product, f, coords, wrt=0, order=2, seed=3)


@pytest.mark.parametrize('edge_order', [1, 2])
@pytest.mark.parametrize('spacing', [None, 0.3, 'coords'])
def test_gradient_adjoint_is_exact(edge_order, spacing):
    # <dy, G f> = <G^T dy, f> for the matrix of np.gradient along an axis
    rng = np.random.default_rng(5)
    for n in (3, 4, 7):
        coords = np.cumsum(rng.uniform(0.5, 1.5, n))
        args = () if spacing is None else (coords,) if spacing == 'coords' else (spacing,)
        eye = np.eye(n)
        matrix = np.stack([np.gradient(eye[j], *args, edge_order=edge_order)
                           for j in range(n)], axis=1)
        from s2sgrad.runtime.helpers import _sg_gradient_adjoint
        dy = rng.standard_normal((n, 2))
        np.testing.assert_allclose(_sg_gradient_adjoint(dy, np.zeros((n, 2)), args, 0,
                                                        edge_order),
                                   matrix.T @ dy, rtol=1e-12, atol=1e-12)


def test_dot_of_every_rank():
    a, b = np.arange(12.0).reshape(3, 4), np.arange(24.0).reshape(2, 4, 3)
    da, db = grad(oc.np_dot, 2.0, a, wrt=(0, 1))
    assert da == a.sum() and type(da) is float
    np.testing.assert_array_equal(db, np.full((3, 4), 2.0))
    da, db = grad(oc.np_dot, a, np.array(3.0), wrt=(0, 1))
    np.testing.assert_array_equal(da, np.full((3, 4), 3.0))
    assert db == a.sum() and db.shape == ()
    da, db = grad(oc.np_dot, a, b, wrt=(0, 1))
    # dot(a, b)[i, j, m] = sum_k a[i, k] b[j, k, m]
    np.testing.assert_array_equal(da, np.broadcast_to(b.sum(axis=(0, 2)), (3, 4)))
    np.testing.assert_array_equal(db, np.broadcast_to(a.sum(axis=0)[None, :, None], b.shape))


def test_einsum_refusals():
    x, y = np.ones((2, 3)), np.ones(3)
    with pytest.raises(sg.TransformError, match='einsum_subscripts_as_a_string'):
        grad(oc.einsum_runtime_subscripts, 'ij,j->i', x, y, wrt=1)
    with pytest.raises(sg.TransformError, match='too many positional arguments'):
        grad(oc.einsum_thirteen, np.ones(2))
    np.testing.assert_array_equal(grad(oc.einsum_twelve, np.full(2, 1.5)),
                                  np.full(2, 12 * 3.0 ** 11))


def test_einsum_repeated_labels_put_the_gradient_on_the_diagonal():
    x = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(grad(oc.einsum_diagonal, x), np.eye(3))
    np.testing.assert_array_equal(grad(oc.einsum_trace, x), np.eye(3))
    t = np.ones((3, 3, 2))
    np.testing.assert_array_equal(grad(oc.einsum_repeated_and_free, t),
                                  np.eye(3)[:, :, None] * np.ones(2))
    dx, dy = grad(oc.einsum_repeated_with_other, x, np.array([1.0, 2.0, 3.0]), wrt=(0, 1))
    np.testing.assert_array_equal(dx, np.diag([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(dy, np.diag(x))


# ------------------------------------------------------------ autograd

AUTOGRAD = [
    (oc.einsum_matmul, (np.arange(6.0).reshape(2, 3), np.linspace(-1, 1, 12).reshape(3, 4))),
    (oc.einsum_three, (np.linspace(0, 1, 24).reshape(2, 3, 4), np.linspace(-1, 2, 16).reshape(2, 4, 2),
                       np.linspace(1, 3, 12).reshape(2, 2, 3))),
    (oc.einsum_batched, (np.linspace(-1, 1, 24).reshape(2, 3, 4), np.linspace(0, 1, 20).reshape(4, 5))),
    (oc.tensordot_pairs, (np.linspace(-1, 1, 24).reshape(3, 2, 4), np.linspace(0, 2, 30).reshape(2, 3, 5))),
    (oc.np_dot, (np.linspace(-1, 1, 12).reshape(3, 4), np.linspace(0, 2, 8).reshape(4, 2))),
    (oc.np_inner, (np.linspace(-1, 1, 6).reshape(2, 3), np.linspace(0, 2, 12).reshape(4, 3))),
    (oc.np_outer, (np.linspace(-1, 1, 6), np.linspace(0, 2, 4))),
    (oc.np_kron, (np.linspace(-1, 1, 6).reshape(2, 3), np.linspace(0, 2, 6).reshape(3, 2))),
    (oc.np_cross, (np.linspace(-1, 1, 12).reshape(4, 3), np.linspace(0, 2, 12).reshape(4, 3))),
    (oc.diff_n, (np.linspace(-1, 1, 15).reshape(3, 5) ** 3,)),
    (oc.cumsum_negative_axis, (np.linspace(-1, 1, 12).reshape(3, 4),)),
    (oc.gradient_axis, (np.linspace(-1, 1, 12).reshape(4, 3) ** 2,)),
    (oc.np_logaddexp, (np.linspace(-3, 3, 12).reshape(3, 4), np.linspace(2, -1, 4))),
    (oc.np_logaddexp2, (np.linspace(-3, 3, 6), np.linspace(2, -1, 6))),
    (oc.np_arctan2, (np.linspace(-3, 3, 6), np.linspace(2, -1, 6))),
    (oc.np_hypot, (np.linspace(-3, 3, 6), np.linspace(2, -1, 6))),
    (oc.np_sinc, (np.linspace(-3, 3, 6),)),
    (oc.var_axis_ddof, (np.linspace(-3, 3, 12).reshape(3, 4) ** 2,)),
    (oc.np_fmax, (np.linspace(-3, 3, 6), np.linspace(2, -1, 6))),
    (oc.np_rad2deg, (np.linspace(-3, 3, 6),)),
]


# Where autograd's own rule is wrong (s2sgrad is checked by the table above):
# np.outer of an operand that is not 1-D, np.cross of broadcast operands (the
# gradient keeps the broadcast shape), np.var(correction=...) (taken as ddof=0).
@pytest.mark.parametrize('fn, args', AUTOGRAD, ids=lambda v: getattr(v, '__name__', ''))
def test_agrees_with_autograd(fn, args):
    from autograd_reference import autograd_grad, autograd_twin
    wrt = tuple(range(len(args))) if len(args) > 1 else 0
    twin = autograd_twin(pathlib.Path(oc.__file__))[fn.__name__]
    expected = autograd_grad(twin, wrt=wrt)(*args)
    actual = sg.grad(fn, wrt=wrt)(*args)
    for e, a in zip(expected if len(args) > 1 else [expected],
                    actual if len(args) > 1 else [actual]):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('dtype', DTYPES)
def test_fmod_copysign_float_power_exact(dtype):
    x = np.array([-3.5, 0.0, 2.5, 7.0], dtype)
    y = np.array([2.0, -1.0, -1.0, 3.0], dtype)
    dx, dy = grad(oc.np_fmod, x, y, wrt=(0, 1))
    assert_exact(dx, [1, 1, 1, 1], dtype)
    assert_exact(dy, [1, 0, 2, -2], dtype)                  # -trunc(x / y)
    # copysign: sign(x) times y's sign, 0 at x == 0 (as abs); y gets none
    dx, dy = grad(oc.np_copysign, x, y, wrt=(0, 1))
    assert_exact(dx, [-1, 0, -1, 1], dtype)
    assert_exact(dy, [0, 0, 0, 0], dtype)
    # float_power computes in float64; the gradient keeps the argument's dtype
    assert_exact(grad(oc.float_power_2, x), 2 * x, dtype)
    assert_exact(grad(oc.heaviside_times, x), np.heaviside(x, 0.5) * 2 * x, dtype)
