"""The functions of tests/test_rules.py: one small function per (rule, call form).

s2sgrad reads the source of what it differentiates, so every case is written
out as a module-level function here (no lambdas).  Each one makes a single
call in one form -- an operator, a NumPy function, an array method, a
subscript -- so that a failure points at one rule.  A few combine the call
with a product or a sum to make a multi-output or integer-valued result
differentiable.  The arguments, their shapes and which of them are
differentiated are given in the table of tests/test_rules.py.
"""
import numpy as np

import s2sgrad as sg


def squared(f):
    """`f` with its output squared: a linear function's second derivative is
    zero, so the second-order check runs on ``f(...) ** 2`` instead, which
    differentiates f's gradient code (J^T J) rather than checking zeros."""
    n = f.__code__.co_argcount
    if n == 1:
        def case(x):
            return f(x) ** 2
    elif n == 2:
        def case(x, y):
            return f(x, y) ** 2
    elif n == 3:
        def case(x, y, z):
            return f(x, y, z) ** 2
    else:
        raise TypeError(f'squared: {f.__name__} takes {n} arguments')
    case.__name__ = case.__qualname__ = f.__name__ + '_squared'
    return case


# ------------------------------------------------------------ operators

def op_add(x, y):
    return x + y


def op_sub(x, y):
    return x - y


def op_mul(x, y):
    return x * y


def op_div(x, y):
    return x / y


def op_pow(x, y):
    return x ** y


def op_matmul(x, y):
    return x @ y


def op_neg(x):
    return -x


def op_pos(x):
    return +x


def op_add_const(x):
    return x + 1.5


def op_radd_const(x):
    return 1.5 + x


def op_sub_const(x):
    return x - 0.5


def op_rsub_const(x):
    return 0.5 - x


def op_mul_const(x):
    return 3.0 * x


def op_div_const(x):
    return x / 4.0


def op_rdiv_const(x):
    return 2.0 / x


def op_pow_2(x):
    return x ** 2


def op_pow_1(x):
    return x ** 1


def op_pow_3(x):
    return x ** 3


def op_pow_float_2(x):
    return x ** 2.0


def op_pow_half(x):
    return x ** 0.5


def op_pow_1_5(x):
    return x ** 1.5


def op_pow_minus_1(x):
    return x ** -1


def op_pow_minus_2_5(x):
    return x ** -2.5


def op_rpow_const(x):
    return 2.0 ** x


# ---------------------------------------------------- binary ufuncs

def np_add(x, y):
    return np.add(x, y)


def np_subtract(x, y):
    return np.subtract(x, y)


def np_multiply(x, y):
    return np.multiply(x, y)


def np_divide(x, y):
    return np.divide(x, y)


def np_true_divide(x, y):
    return np.true_divide(x, y)


def np_power(x, y):
    return np.power(x, y)


def np_power_3(x):
    return np.power(x, 3)


def np_maximum(x, y):
    return np.maximum(x, y)


def np_minimum(x, y):
    return np.minimum(x, y)


def np_maximum_const(x):
    return np.maximum(x, 0.0)


def np_minimum_const(x):
    return np.minimum(0.5, x)


def np_remainder(x, y):
    return np.remainder(x, y)


def np_remainder_const(x):
    return np.remainder(x, 1.5)


def op_mod(x, y):
    return x % y


def np_negative(x):
    return np.negative(x)


def np_positive(x):
    return np.positive(x)


# ---------------------------------------------------- unary functions

def np_exp(x):
    return np.exp(x)


def np_exp2(x):
    return np.exp2(x)


def np_expm1(x):
    return np.expm1(x)


def np_log(x):
    return np.log(x)


def np_log2(x):
    return np.log2(x)


def np_log10(x):
    return np.log10(x)


def np_log1p(x):
    return np.log1p(x)


def np_sqrt(x):
    return np.sqrt(x)


def np_square(x):
    return np.square(x)


def np_reciprocal(x):
    return np.reciprocal(x)


def np_abs(x):
    return np.abs(x)


def np_absolute(x):
    return np.absolute(x)


def np_fabs(x):
    return np.fabs(x)


def builtin_abs(x):
    return abs(x)


def np_tanh(x):
    return np.tanh(x)


def np_sin(x):
    return np.sin(x)


def np_cos(x):
    return np.cos(x)


def np_tan(x):
    return np.tan(x)


def np_arcsin(x):
    return np.arcsin(x)


def np_arccos(x):
    return np.arccos(x)


def np_arctan(x):
    return np.arctan(x)


def np_sinh(x):
    return np.sinh(x)


def np_cosh(x):
    return np.cosh(x)


def np_arcsinh(x):
    return np.arcsinh(x)


def np_arccosh(x):
    return np.arccosh(x)


def np_arctanh(x):
    return np.arctanh(x)


# ------------------------------------------------------------- where

def where_self(x, y):
    return np.where(x > 0, x, y)


def where_cond(c, x, y):
    return np.where(c, x, y)


def where_const_else(x):
    return np.where(x > 0, x, 0.0)


def where_const_then(x):
    return np.where(x < 0, -1.0, x)


# -------------------------------------------------------------- clip

def clip_both(x):
    return np.clip(x, -0.5, 0.5)


def clip_lower(x):
    return np.clip(x, 0.0, None)


def clip_upper(x):
    return np.clip(x, None, 0.5)


def clip_keywords(x):
    return np.clip(x, a_min=-1.0, a_max=1.0)


def clip_arrays(x, lo, hi):
    return np.clip(x, lo, hi)


def clip_array_lower(x, lo):
    return np.clip(x, lo, 1.0)


def clip_array_upper(x, hi):
    return np.clip(x, None, hi)


def clip_method(x):
    return x.clip(0, 1)


# -------------------------------------------------------- float casts

def cast_np_float64(x):
    return np.float64(x)


def cast_np_float32(x):
    return np.float32(x)


def cast_float(x):
    return float(x)


def cast_float_of_sum(x):
    return float(np.sum(x))


def cast_np_float64_of_sum(x):
    return np.float64(np.sum(x)) * 2.0


# ---------------------------------------------------- dot and matmul

def np_matmul(x, y):
    return np.matmul(x, y)


def np_dot(x, y):
    return np.dot(x, y)


def method_dot(x, y):
    return x.dot(y)


# ---------------------------------------------------------- reductions

def sum_all(x):
    return np.sum(x)


def sum_axis0(x):
    return np.sum(x, axis=0)


def sum_axis1(x):
    return np.sum(x, axis=1)


def sum_axis_neg(x):
    return np.sum(x, axis=-1)


def sum_axis_tuple(x):
    return np.sum(x, axis=(0, 2))


def sum_axis_tuple_neg(x):
    return np.sum(x, axis=(-1, 0))


def sum_keepdims(x):
    return np.sum(x, axis=1, keepdims=True)


def sum_all_keepdims(x):
    return np.sum(x, axis=None, keepdims=True)


def sum_tuple_keepdims(x):
    return np.sum(x, axis=(0, 2), keepdims=True)


def sum_positional_axis(x):
    return np.sum(x, 1)


def method_sum(x):
    return x.sum()


def method_sum_axis0(x):
    return x.sum(axis=0)


def mean_all(x):
    return np.mean(x)


def mean_axis0(x):
    return np.mean(x, axis=0)


def mean_axis_neg(x):
    return np.mean(x, axis=-1)


def mean_axis_tuple(x):
    return np.mean(x, axis=(0, 2))


def mean_keepdims(x):
    return np.mean(x, axis=1, keepdims=True)


def mean_all_keepdims(x):
    return np.mean(x, keepdims=True)


def method_mean(x):
    return x.mean()


def method_mean_axis(x):
    return x.mean(axis=-1, keepdims=True)


def prod_all(x):
    return np.prod(x)


def prod_axis0(x):
    return np.prod(x, axis=0)


def prod_axis_neg(x):
    return np.prod(x, axis=-1)


def prod_axis_tuple(x):
    return np.prod(x, axis=(0, 2))


def prod_keepdims(x):
    return np.prod(x, axis=1, keepdims=True)


def prod_all_keepdims(x):
    return np.prod(x, keepdims=True)


def method_prod(x):
    return x.prod()


def method_prod_axis(x):
    return x.prod(axis=1)


def max_all(x):
    return np.max(x)


def max_axis0(x):
    return np.max(x, axis=0)


def max_axis_neg(x):
    return np.max(x, axis=-1)


def max_axis_tuple(x):
    return np.max(x, axis=(0, 2))


def max_keepdims(x):
    return np.max(x, axis=1, keepdims=True)


def max_all_keepdims(x):
    return np.max(x, keepdims=True)


def min_all(x):
    return np.min(x)


def min_axis1(x):
    return np.min(x, axis=1)


def min_axis_tuple_keepdims(x):
    return np.min(x, axis=(0, -1), keepdims=True)


def amax_axis0(x):
    return np.amax(x, axis=0)


def amax_all(x):
    return np.amax(x)


def amin_axis_neg_keepdims(x):
    return np.amin(x, axis=-1, keepdims=True)


def amin_all(x):
    return np.amin(x)


def method_max(x):
    return x.max()


def method_max_positional(x):
    return x.max(1)


def method_min_axis(x):
    return x.min(axis=0)


def var_all(x):
    return np.var(x)


def var_axis0(x):
    return np.var(x, axis=0)


def var_axis_tuple(x):
    return np.var(x, axis=(0, 2))


def var_keepdims(x):
    return np.var(x, axis=-1, keepdims=True)


def var_ddof(x):
    return np.var(x, ddof=1)


def var_axis_ddof(x):
    return np.var(x, axis=1, ddof=1)


def method_var(x):
    return x.var(axis=0, ddof=1)


def std_all(x):
    return np.std(x)


def std_axis1(x):
    return np.std(x, axis=1)


def std_axis_tuple_keepdims(x):
    return np.std(x, axis=(0, 2), keepdims=True)


def std_ddof(x):
    return np.std(x, ddof=1)


def std_axis_ddof_keepdims(x):
    return np.std(x, axis=0, ddof=1, keepdims=True)


def method_std(x):
    return x.std()


# ------------------------------------------------------------ reshape

def reshape_tuple(x):
    return np.reshape(x, (4, 3))


def reshape_minus_one(x):
    return np.reshape(x, (-1,))


def reshape_minus_one_2d(x):
    return np.reshape(x, (2, -1))


def reshape_int(x):
    return np.reshape(x, 12)


def reshape_to_3d(x):
    return np.reshape(x, (2, 3, 2))


def method_reshape_args(x):
    return x.reshape(2, 6)


def method_reshape_tuple(x):
    return x.reshape((6, 2))


def method_reshape_minus_one(x):
    return x.reshape(-1)


def reshape_scalar(x):
    return np.reshape(x, (1, 1))


# ---------------------------------------------------------- transpose

def transpose_default(x):
    return np.transpose(x)


def transpose_axes(x):
    return np.transpose(x, (1, 2, 0))


def transpose_axes_keyword(x):
    return np.transpose(x, axes=(2, 0, 1))


def transpose_negative_axes(x):
    return np.transpose(x, (-1, 0, 1))


def attribute_T(x):
    return x.T


def method_transpose_args(x):
    return x.transpose(1, 0)


def method_transpose_args_3d(x):
    return x.transpose(0, 2, 1)


def method_transpose_none(x):
    return x.transpose()


def swapaxes_0_2(x):
    return np.swapaxes(x, 0, 2)


def swapaxes_negative(x):
    return np.swapaxes(x, -1, 1)


def method_swapaxes(x):
    return x.swapaxes(0, 1)


# --------------------------------------- squeeze, expand_dims, ravel, copy

def squeeze_all(x):
    return np.squeeze(x)


def squeeze_axis(x):
    return np.squeeze(x, axis=1)


def squeeze_axis_tuple(x):
    return np.squeeze(x, axis=(0, 2))


def method_squeeze(x):
    return x.squeeze()


def expand_dims_0(x):
    return np.expand_dims(x, 0)


def expand_dims_neg(x):
    return np.expand_dims(x, -1)


def expand_dims_tuple(x):
    return np.expand_dims(x, axis=(0, 2))


def ravel(x):
    return np.ravel(x)


def method_ravel(x):
    return x.ravel()


def method_flatten(x):
    return x.flatten()


def np_copy(x):
    return np.copy(x)


def method_copy(x):
    return x.copy()


def atleast_1d(x):
    return np.atleast_1d(x)


def atleast_2d(x):
    return np.atleast_2d(x)


def atleast_3d(x):
    return np.atleast_3d(x)


# ------------------------------------------------------- broadcast_to

def broadcast_to_rows(x):
    return np.broadcast_to(x, (3, 4))


def broadcast_to_3d(x):
    return np.broadcast_to(x, (2, 3, 4))


def broadcast_to_keyword(x):
    return np.broadcast_to(x, shape=(5, 3))


# ------------------------------------------ concatenate, stack, split

def concatenate_axis0(x, y):
    return np.concatenate([x, y])


def concatenate_axis1(x, y):
    return np.concatenate((x, y), axis=1)


def concatenate_axis_neg(x, y):
    return np.concatenate([x, y], axis=-1)


def concatenate_axis_none(x, y):
    return np.concatenate([x, y], axis=None)


def concatenate_three(x, y, z):
    return np.concatenate([x, y, z], axis=0)


def concatenate_same(x):
    return np.concatenate([x, x], axis=1)


def stack_axis0(x, y):
    return np.stack([x, y])


def stack_axis1(x, y):
    return np.stack((x, y), axis=1)


def stack_axis_neg(x, y):
    return np.stack([x, y], axis=-1)


def stack_three(x, y, z):
    return np.stack([x, y, z], axis=0)


def split_halves(x):
    a, b = np.split(x, 2)
    return a * b


def split_sections_axis1(x):
    a, b, c = np.split(x, 3, axis=1)
    return a * b + c


def split_indices(x):
    a, b = np.split(x, [1], axis=0)
    return np.sum(a) * b


def split_axis_neg(x):
    a, b = np.split(x, 2, axis=-1)
    return a * b


def array_split_uneven(x):
    a, b, c = np.array_split(x, 3)
    return np.sum(a * a) + np.sum(b) * c


def array_split_axis1(x):
    a, b = np.array_split(x, 2, axis=1)
    return np.sum(a, axis=1) * np.sum(b ** 2, axis=1)


def split_one_piece_used(x):
    a, b = np.split(x, 2)
    return np.sin(a)


# -------------------------------------------------------------- astype

def astype_float32(x):
    return x.astype(np.float32)


def astype_float64(x):
    return x.astype(np.float64)


def np_astype_float32(x):
    return np.astype(x, np.float32)


def astype_string_dtype(x):
    return x.astype('float64')


def astype_round_trip(x):
    return np.sin(x).astype(np.float32).astype(np.float64)


def astype_int(x):
    return x * x.astype(np.int64)


def astype_builtin_int(x):
    return x.astype(int) * np.sin(x)


def astype_bool(x):
    return x * x.astype(bool)


# ------------------------------------------------------------ indexing

IDX = np.array([0, 2, 2, 1])
ROWS = np.array([0, 2, 1])
COLS = np.array([1, 1, 3])
MASK = np.array([[True, False, True, True],
                 [False, False, True, False],
                 [True, True, False, True]])


def index_int(x):
    return x[1]


def index_negative_int(x):
    return x[-1]


def index_two_ints(x):
    return x[1, 2]


def index_two_negative_ints(x):
    return x[-1, -3]


def index_slice(x):
    return x[1:3]


def index_slice_step(x):
    return x[::2]


def index_slice_negative_step(x):
    return x[::-1]


def index_slices_2d(x):
    return x[1:, ::2]


def index_slice_step_reversed(x):
    return x[2:0:-1, 3::-2]


def index_none(x):
    return x[None]


def index_none_middle(x):
    return x[:, None, 1:3]


def index_ellipsis(x):
    return x[..., 0]


def index_ellipsis_slice(x):
    return x[0, ..., 1:]


def index_column(x):
    return x[:, 1]


def index_column_negative(x):
    return x[:, -1]


def index_column_arg(x, k):
    return x[:, k]


def index_row_arg(x, k):
    return x[k]


def index_int_array_repeats(x):
    return x[IDX]


def index_list_repeats(x):
    return x[[0, 2, 2]]


def index_int_array_arg(x, idx):
    return x[idx]


def index_columns_array(x):
    return x[:, IDX]


def index_pairs(x):
    return x[ROWS, COLS]


def index_pairs_repeat(x):
    return x[[0, 0, 1], [2, 2, 2]]


def index_mask(x):
    return x[MASK]


def index_mask_arg(x, mask):
    return x[mask]


def index_mask_of_self(x):
    return x[x > 0]


def index_row_mask(x):
    return x[np.array([True, False, True])]


def index_0d(x):
    return x[()]


def index_scalar_of_vector(x):
    return x[2]


# ------------------------------------ constants inside expressions

def ones_like_times(x):
    return np.ones_like(x) * x ** 2


def zeros_like_plus(x):
    return np.sin(x) + np.zeros_like(x)


def ones_like_of_expression(x):
    return np.exp(x) * np.ones_like(x * 2.0) - np.zeros_like(x) * x


def zeros_ones_constructors(x):
    return x * np.ones((3, 4)) + np.zeros(4)


def full_like_plus(x):
    return np.full_like(x, 2.0) * np.cos(x)


def arange_of_values(x):
    # start and step depend on x (the count does not, near x)
    s = np.sum(x * x)
    return np.sum(np.arange(s, s + 2.0, 0.5 + 0.01 * s) * np.cos(x[0]))


def full_like_of_a_value(x):
    # the fill value depends on x: it gets the gradient summed over the result
    return np.full_like(x, np.sum(x * x)) * np.cos(x)


def sign_times(x):
    return np.sign(x) * x


def floor_plus(x):
    return np.floor(x) + np.sin(x)


def comparison_times(x):
    return (x > 0) * x ** 2


# ------------------------------------------------ more casts and clips

def cast_np_longdouble(x):
    return np.longdouble(x)


def clip_none(x):
    return np.clip(x, None, None)


# ------------------------------ compiler primitives and gradient helpers
# (sg.gradients runs only in a graph, so the functions using it are graphs)

def unpack_rows(x):
    a, b = x
    return a * b


def unpack_tuple(x, y):
    pair = (np.sin(x), y * 2.0)
    a, b = pair
    return a * b


@sg.graph
def gradients_inside(x):
    y = np.tanh(x) * x
    (g,) = sg.gradients(y, x)
    return g


@sg.graph
def gradients_accumulate_n(x, y):
    z = np.sin(x) * y + x * np.cos(y) + x * x * y
    (g,) = sg.gradients(z, x, aggregation_method=sg.AggregationMethod.EXPERIMENTAL_ACCUMULATE_N)
    return g


@sg.graph
def gradients_tree(x, y):
    z = np.sin(x) * y + x * np.cos(y) + x * x * y
    (g,) = sg.gradients(z, x, aggregation_method=sg.AggregationMethod.EXPERIMENTAL_TREE)
    return g


# --------------------------------- API.md section 4: exact conventions

def sign_only(x):
    return np.sign(x)


def sign_plus(x):
    return np.sign(x) + x


def where_plus_condition(c, x, y):
    return np.where(c, x, y) + c


def where_sqrt(x):
    return np.where(x > 0, np.sqrt(np.abs(x)), 0.0)


def cast_np_float16(x):
    return np.float16(x)


# ---- assignment into arrays (SETITEM and the gradient-zeroing helper) --------

def setitem_row(x, v):
    y = np.copy(x)
    y[1] = v * v
    return y * x


def setitem_slice_broadcast(x, s):
    y = x * 1.0
    y[:, 1:] = s
    return y * y


def setitem_mask(x):
    y = np.copy(x)
    y[y < 0] = 0.0
    return y * x


def augsetitem_column(x):
    y = x * 2.0
    y[:, 0] *= x[:, 1]
    y[0] += 1.0
    return y * y


# ---- the math module's scalar functions (they share the NumPy rules) ---------
import math  # noqa: E402


def math_exp(x):
    return math.exp(x)


def math_expm1(x):
    return math.expm1(x)


def math_log(x):
    return math.log(x)


def math_log2(x):
    return math.log2(x)


def math_log10(x):
    return math.log10(x)


def math_log1p(x):
    return math.log1p(x)


def math_sqrt(x):
    return math.sqrt(x)


def math_fabs(x):
    return math.fabs(x) * x


def math_pow(x, p):
    return math.pow(x, p)


def math_trig(x):
    return math.sin(x) * math.cos(x) + math.tan(x)


def math_hyperbolic(x):
    return math.sinh(x) + math.cosh(x) * math.tanh(x)


def math_inverse_trig(x):
    return math.asin(x) + math.acos(x) * math.atan(x)


def math_inverse_hyperbolic(x, y):
    return math.asinh(x) + math.atanh(x) + math.acosh(y)


def builtin_sum_rows(x):
    return sum(x) * sum(x)


def builtin_list_tuple_rows(x):
    rows, pair = list(x), tuple(x)
    return rows[0] * pair[1] + rows[-1] * rows[-1]


def list_item_concatenated(x):
    # hist[k] + [...] of an item of a run-time list (k known only when it runs)
    hist = [[x], [x * 2.0]]
    k = len(x) - len(x)
    hist[k] = hist[k] + [np.sin(x)]
    return hist[k][-1] * hist[k][0] + hist[1][0]


def builtin_min_max(x, y):
    return min(x, y) * max(x, y) + max(x * x, 0.1)


def trace_2d(x):
    return np.trace(x) * np.trace(x, 1)


def trace_3d_axes(x):
    return np.sum(np.trace(x, 0, 1, 2) ** 2) + x.trace()


def array_of_values(x):
    v = np.array([x[0] * x[1], np.sin(x[1]), 2.0])
    return v * v


def starred_split(x):
    first, *rest = (x[0], x[1], x[2])
    return first * sum(rest)


def cumsum_flat(x):
    return np.cumsum(x) * np.cumsum(x)


def cumsum_axis(x):
    return x.cumsum(axis=1) ** 2 + np.cumsum(x, axis=0)


def flip_axes(x):
    return np.flip(x, 0) * x + np.flip(x) * x


def split_known_pieces(x):
    a, b, c = np.split(x, 3, axis=1)
    first, *rest = np.split(x, [1, 3], axis=1)
    return a * b * c + np.sum(first * rest[-1])
