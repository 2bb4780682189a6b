"""The functions of tests/test_ops_numeric.py: one small function per (rule, call form).

Elementwise functions, reductions and scans, products and contractions, each
called the ways users write it: positional and keyword arguments, the array
method, NumPy under another name (`import numpy as xp`, `from numpy import
einsum`).
"""
import numpy as np
import numpy as xp
from numpy import einsum, tensordot

import s2sgrad as sg


# ------------------------------------------------------------ elementwise, unary

def np_absolute(x):
    return np.absolute(x)


def np_fabs(x):
    return np.fabs(x)


def np_reciprocal(x):
    return np.reciprocal(x)


def np_exp2(x):
    return np.exp2(x)


def np_rad2deg(x):
    return np.rad2deg(x)


def np_degrees(x):
    return np.degrees(x)


def np_deg2rad(x):
    return np.deg2rad(x)


def np_radians(x):
    return xp.radians(x)


def np_sinc(x):
    return np.sinc(x)


def sinc_near_zero(x):
    return np.sinc(0.1 * x)                 # |0.1 x| < 0.1: the series branch


def nan_to_num(x):
    return np.nan_to_num(x)


def nan_to_num_keywords(x):
    return np.nan_to_num(x, nan=1.0, posinf=5.0, neginf=-5.0)


def nan_to_num_filled(x, b):
    return np.nan_to_num(x, nan=b, posinf=2.0 * b, neginf=-b) * b


def nan_to_num_of_log(x):
    return np.nan_to_num(np.log(x)) * x


# ------------------------------------------------------------ elementwise, binary

def np_mod(x, y):
    return np.mod(x, y)


def np_divide(x, y):
    return np.divide(x, y)


def np_fmax(x, y):
    return np.fmax(x, y)


def np_fmin(x, y):
    return np.fmin(x, y)


def fmax_const(x):
    return np.fmax(x, 0.0)


def np_logaddexp(x, y):
    return np.logaddexp(x, y)


def np_logaddexp2(x, y):
    return np.logaddexp2(x, y)


def logaddexp_self(x):
    return np.logaddexp(x, 2.0 * x)


def np_arctan2(x, y):
    return np.arctan2(x, y)


def np_hypot(x, y):
    return np.hypot(x, y)


def hypot_const(x):
    return xp.hypot(x, 3.0)


# ------------------------------------------------------------ sum, mean: where=, initial=

def sum_where(x, mask):
    return np.sum(x, where=mask)


def sum_where_axis(x, mask):
    return np.sum(x, axis=1, where=mask)


def sum_where_keepdims(x, mask):
    return np.sum(x, axis=0, keepdims=True, where=mask)


def method_sum_where(x, mask):
    return x.sum(axis=-1, where=mask)


def sum_where_of_self(x):
    return np.sum(x * x, where=x > 0)


def sum_initial_const(x):
    return np.sum(x, axis=0, initial=1.5)


def sum_initial(x, b):
    return np.sum(x, axis=1, initial=b) * b


def sum_dtype(x):
    return np.sum(x, axis=0, dtype=np.float64)


def mean_where(x, mask):
    return np.mean(x, where=mask)


def mean_where_axis(x, mask):
    return np.mean(x, axis=0, where=mask)


def method_mean_where(x, mask):
    return x.mean(axis=1, keepdims=True, where=mask)


def mean_positional(x):
    return np.mean(x, -1)


# ------------------------------------------------------------ prod

def prod_where(x, mask):
    return np.prod(x, axis=1, where=mask)


def prod_where_all(x, mask):
    return np.prod(x, where=mask)


def prod_initial_const(x):
    return np.prod(x, axis=0, initial=2.0)


def prod_initial(x, b):
    return np.prod(x, axis=1, initial=b)


def method_prod_initial(x):
    return x.prod(initial=0.5, axis=-1, keepdims=True)


def prod_square(x):
    return np.prod(x, axis=0) ** 2


@sg.graph
def prod_gradient_inside(x):
    (g,) = sg.gradients(np.prod(x, axis=1), x)      # checked to 3rd order of prod
    return g * x


@sg.graph
def prod_hessian_inside(x):
    (g,) = sg.gradients(np.prod(x), x)              # checked to 4th order of prod
    (h,) = sg.gradients(np.sum(g * np.sin(x)), x)
    return h


# ------------------------------------------------------------ max, min: where=, initial=

def max_initial(x, b):
    return np.max(x, axis=1, initial=b)


def min_initial(x, b):
    return np.min(x, axis=0, initial=b)


def amax_initial_const(x):
    return np.amax(x, axis=1, initial=-0.5)


def amin_where(x, mask):
    return np.amin(x, axis=0, where=mask, initial=10.0)


def method_max_where(x, mask):
    return x.max(where=mask, initial=-10.0)


def max_keepdims_initial(x, b):
    return np.max(x, axis=0, keepdims=True, initial=b)


# ------------------------------------------------------------ var, std

def var_correction(x):
    return np.var(x, axis=0, correction=1)


def var_axis_ddof(x):
    return np.var(x, axis=0, ddof=1)


def var_mean_given(x):
    return np.var(x, axis=1, mean=np.mean(x, axis=1, keepdims=True))


def var_where(x, mask):
    return np.var(x, axis=1, where=mask)


def var_where_all(x, mask):
    return np.var(x, where=mask, ddof=1)


def var_correction_all(x):
    return np.var(x, correction=1)


def std_correction(x):
    return np.std(x, correction=1, keepdims=True)


def std_mean_given(x):
    return np.std(x, axis=0, mean=np.mean(x, axis=0, keepdims=True), ddof=1)


def std_where(x, mask):
    return np.std(x, axis=0, where=mask)


def method_std_axis(x):
    return x.std(axis=-1, ddof=1)


# ------------------------------------------------------------ cumsum, trace

def cumsum_negative_axis(x):
    return np.cumsum(x, axis=-1) * x


def cumsum_positional(x):
    return np.cumsum(x, 0)


def method_cumsum(x):
    return x.cumsum()


def cumsum_float(x):
    return np.cumsum(x)


def method_cumsum_positional(x):
    return x.cumsum(0)


def cumsum_dtype(x):
    return np.cumsum(x, axis=1, dtype=np.float64)


def cumsum_3d(x):
    return np.cumsum(x, axis=1)


def trace_offset(x):
    return np.trace(x, offset=-1)


def method_trace_offset(x):
    return x.trace(1)


def trace_axes_keywords(x):
    return np.trace(x, axis1=2, axis2=0)


# ------------------------------------------------------------ diff

def diff(x):
    return np.diff(x)


def diff_n(x):
    return np.diff(x, n=2)


def diff_axis0(x):
    return np.diff(x, axis=0)


def diff_positional(x):
    return np.diff(x, 2, 0)


def diff_n3_negative_axis(x):
    return np.diff(x, 3, -1)


def diff_prepend_const(x):
    return np.diff(x, prepend=0.0)


def diff_append_array(x):
    return np.diff(x, axis=0, append=np.ones((1, 4)))


def diff_prepend_self(x):
    return np.diff(x, prepend=x[:, :1] * 2.0, append=x[:, -1:])


def diff_prepend_append(x, p, q):
    return np.diff(x, n=2, prepend=p, append=q)


def diff_squared(x):
    return np.diff(x ** 2, axis=0)


# ------------------------------------------------------------ gradient

def gradient_1d(x):
    return np.gradient(x)


def gradient_spacing(x):
    return np.gradient(x, 0.5)


def gradient_spacing_arg(x, h):
    return np.gradient(x, h)


def gradient_coordinates(x, coords):
    return np.gradient(x, coords)


def gradient_coordinates_axis(x, coords):
    return np.gradient(x, coords, axis=1) * x


def gradient_of_product(x, coords):
    return np.gradient(x * x, coords) * coords


def gradient_edge_order_2(x):
    return np.gradient(x, edge_order=2)


def gradient_coordinates_edge_2(x, coords):
    return np.gradient(x, coords, edge_order=2)


def gradient_2d(x):
    gx, gy = np.gradient(x)
    return gx + 2.0 * gy


def gradient_2d_indexed(x):
    g = np.gradient(x)
    return g[0] * g[1]


def gradient_axis(x):
    return np.gradient(x, axis=0)


def gradient_axis_negative(x):
    return np.gradient(x, 0.25, axis=-1, edge_order=2)


def gradient_axes_tuple(x):
    gx, gz = np.gradient(x, axis=(0, 2))
    return gx - 3.0 * gz


def gradient_per_axis_spacing(x):
    gx, gy = np.gradient(x, 0.5, 2.0)
    return gx * gy


def gradient_mixed_spacing(x, coords):
    gx, gy = np.gradient(x, 0.5, coords, edge_order=2)
    return gx + gy


def gradient_scalar_spacings(x, h, k):
    gx, gy = np.gradient(x, h, k)
    return gx * gy


@sg.graph
def gradient_spacing_gradient_inside(x, h):
    (g,) = sg.gradients(np.sum(np.gradient(x, h) ** 2), h)
    return g * x


def gradient_of_square(x):
    return np.gradient(x * x, 0.1)


# ------------------------------------------------------------ dot, inner, outer

def np_dot(x, y):
    return np.dot(x, y)


def method_dot(x, y):
    return x.dot(y)


def np_inner(x, y):
    return np.inner(x, y)


def np_outer(x, y):
    return np.outer(x, y)


def outer_alias(x, y):
    return xp.outer(x, y)


# ------------------------------------------------------------ tensordot

def tensordot_default(x, y):
    return np.tensordot(x, y)


def tensordot_1(x, y):
    return np.tensordot(x, y, axes=1)


def tensordot_0(x, y):
    return np.tensordot(x, y, 0)


def tensordot_pairs(x, y):
    return np.tensordot(x, y, axes=([1, 0], [0, 1]))


def tensordot_int_pair(x, y):
    return tensordot(x, y, axes=(1, 0))


def tensordot_negative(x, y):
    return np.tensordot(x, y, axes=([-1], [-2]))


# ------------------------------------------------------------ einsum

def einsum_matmul(x, y):
    return np.einsum('ij,jk->ik', x, y)


def einsum_implicit(x, y):
    return np.einsum('ij,jk', x, y)


def einsum_imported(x, y):
    return einsum('ij,kj->ik', x, y)


def einsum_diagonal(x):
    return np.einsum('ii->i', x)


def einsum_trace(x):
    return np.einsum('ii', x)


def einsum_trace_explicit(x):
    return np.einsum('ii->', x)


def einsum_sum(x):
    return np.einsum('ij->', x)


def einsum_row_sums(x):
    return np.einsum('ij->i', x)


def einsum_transpose(x):
    return np.einsum('ij->ji', x)


def einsum_transpose_implicit(x):
    return np.einsum('ba', x)


def einsum_vdot(x, y):
    return np.einsum('i,i', x, y)


def einsum_outer(x, y):
    return np.einsum('i,j->ij', x, y)


def einsum_batched(x, y):
    return np.einsum('...ij,...jk->...ik', x, y)


def einsum_ellipsis_implicit(x, y):
    return np.einsum('...j,j', x, y)


def einsum_ellipsis_middle(x, y):
    return np.einsum('i...j,j->i...', x, y)


def einsum_batched_dot(x, y):
    return np.einsum('...i,...i->...', x, y)


def einsum_batched_diagonal(x):
    return np.einsum('...ii->...i', x)


def einsum_three(x, y, z):
    return np.einsum('bij,bjk,bkl->bil', x, y, z)


def einsum_broadcast_label(x, y):
    return np.einsum('ij,ij->ij', x, y)


def einsum_repeated_and_free(x):
    return np.einsum('iij->j', x)


def einsum_repeated_with_other(x, y):
    return np.einsum('ii,i->i', x, y)


def einsum_four(w, x, y, z):
    return np.einsum('i,i,i,i->', w, x, y, z)


def einsum_optimize(x, y, z):
    return np.einsum('ij,jk,k->i', x, y, z, optimize=True)


def einsum_scalar_operand(x, y):
    return np.einsum(',ij->ij', x, y)


def einsum_spaces(x, y):
    return np.einsum('ij, j -> i', x, y)


def einsum_quadratic_form(x, a):
    return np.einsum('i,ij,j', x, a, x)


def einsum_uppercase(x, y):
    return np.einsum('Ab,bC->AC', x, y)


# (the gradient of each is a product, np.expand_dims(dy, ...) * x, where nothing is
# summed; of one operand twice with one term, twice one term)
def einsum_self_product(x):
    return np.einsum('ijk,ijk->ij', x, x)


def einsum_self_dot(x):
    return np.einsum('i,i', x, x)


def einsum_self_all(x):
    return np.einsum('ij,ij->', x, x)


def einsum_self_ellipsis(x):
    return np.einsum('...ij,...ij->...i', x, x)


def einsum_self_transposed(x):
    return np.einsum('ij,ji->ij', x, x)


def einsum_gram(x):
    return np.einsum('ik,jk->ij', x, x)


def einsum_scaled_rows(x, y):
    return np.einsum('ij,i->ij', x, y)


def einsum_scaled_columns_ellipsis(x, y):
    return np.einsum('...ij,...j->...ij', x, y)


def einsum_self_three(x, y):
    return np.einsum('ij,ij,j->i', x, x, y)


# ------------------------------------------------------------ kron, cross

def np_kron(x, y):
    return np.kron(x, y)


def np_cross(x, y):
    return np.cross(x, y)


def cross_axisa(x, y):
    return np.cross(x, y, axisa=0)


def cross_axis(x, y):
    return np.cross(x, y, axis=1)


def cross_axes(x, y):
    return np.cross(x, y, axisa=0, axisb=-1, axisc=0)


# ------------------------------------------------------------ edge cases (exact checks)

def prod_all(x):
    return np.prod(x)


def prod_axis1(x):
    return np.prod(x, axis=1)


def std_all(x):
    return np.std(x)


def max_initial_all(x, b):
    return np.max(x, initial=b)


def einsum_sublists(x, y):
    return np.einsum(x, [0, 1], y, [1])


def einsum_runtime_subscripts(spec, x, y):
    return np.einsum(spec, x, y)


def einsum_thirteen(x):
    return np.einsum('a,b,c,d,e,f,g,h,i,j,k,l,m->', x, x, x, x, x, x, x, x, x, x, x, x, x)


def einsum_twelve(x):
    return np.einsum('a,b,c,d,e,f,g,h,i,j,k,l->', x, x, x, x, x, x, x, x, x, x, x, x)


# ------------------------------------------------------------ fmod, copysign, float_power

def np_fmod(x, y):
    return np.fmod(x, y)


def fmod_const(x):
    return np.fmod(x, 0.7)


def np_copysign(x, y):
    return np.copysign(x, y)


def copysign_const(x):
    return np.copysign(x, -1.0) * x


def np_float_power(x, y):
    return np.float_power(x, y)


def float_power_2(x):
    return np.float_power(x, 2)


def heaviside_times(x):
    return np.heaviside(x, 0.5) * x ** 2


def einsum_sublists_output(x, y):
    return np.einsum(x, [0, 1], y, [1, 2], [0, 2])


def einsum_sublists_ellipsis(x, y):
    return np.einsum(x, [Ellipsis, 0], x, (Ellipsis, 0), [Ellipsis]) * np.sum(y)
