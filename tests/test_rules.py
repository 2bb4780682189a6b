"""Every registered gradient rule, checked systematically (cf. autograd's test_systematic.py).

One line of the table below per (function, call form): the case function
(tests/rule_cases.py), how to draw its arguments, and which are
differentiated.  Each line runs `check_grads(f, *args, wrt=..., order=2)` --
the gradient and the second derivative against central differences along
random directions -- in float64 and again with float32 arrays (where the
gradients must stay float32).  Linear and piecewise-linear cases
(`linear=True`) have a zero second derivative, so their second order is
checked on `f(...) ** 2`, which differentiates their gradient code.

Inputs are drawn away from kinks and from the edges of domains.  The exact
values of API.md section 4 (ties, zeros, non-smooth points) are tested at
the end with `sg.grad`.
"""
import zlib

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.rules import registry, template
from s2sgrad.testing import check_grads



import rule_cases as rc  # noqa: E402  (tests/ is on sys.path under pytest)


# ------------------------------------------------------------ arguments

class Arg:
    """A float argument drawn at random: `kind` (a key of DRAW) picks the
    values, `shape` the shape (None: a Python float)."""

    def __init__(self, kind, shape, label):
        self.kind, self.shape, self.label = kind, shape, label

    def draw(self, rng, dtype):
        shape = () if self.shape is None else self.shape
        x = np.asarray(DRAW[self.kind](rng, shape), dtype=np.float64)
        if self.shape is None:
            return float(x)
        return x.astype(dtype)

    def __repr__(self):
        return self.label + ('float' if self.shape is None else _shape(self.shape))


def _lattice(rng, shape, offset):
    # multiples of 0.5 (offset 0) or halfway between them (offset 0.5), jittered
    # by at most 0.1: two draws of different offsets are never closer than 0.05
    k = rng.integers(-4, 4, size=shape)
    return (k + offset) * 0.5 + rng.uniform(-0.1, 0.1, size=shape)


def _distinct(rng, shape):
    # no two elements closer than 0.2: max/min reductions without ties
    n = int(np.prod(shape))
    values = (rng.permutation(n) - n / 2) * 0.3 + rng.uniform(-0.05, 0.05, size=n)
    return values.reshape(shape)


DRAW = {
    'N': lambda rng, shape: rng.standard_normal(shape),
    'P': lambda rng, shape: rng.uniform(0.5, 2.0, size=shape),          # positive
    'U': lambda rng, shape: rng.uniform(-0.9, 0.9, size=shape),         # inside (-1, 1)
    'G': lambda rng, shape: rng.uniform(1.2, 3.0, size=shape),          # greater than 1
    'Z': lambda rng, shape: (rng.choice([-1.0, 1.0], size=shape)        # away from zero
                             * rng.uniform(0.5, 2.0, size=shape)),
    'L': lambda rng, shape: _lattice(rng, shape, 0.0),                  # near k/2
    'H': lambda rng, shape: _lattice(rng, shape, 0.5),                  # away from k/2
    'D': _distinct,
}


def _arg(kind):
    """N(3, 4): a 3x4 array of kind N; N(): a 0-d array; N(float): a Python float."""
    def make(*shape):
        if shape == (float,):
            return Arg(kind, None, kind)
        return Arg(kind, tuple(shape), kind)
    return make


N, P, U, G, Z, L, H, D = (_arg(k) for k in 'NPUGZLHD')


class Joint:
    """Arguments drawn together (e.g. a dividend kept off the divisor's multiples)."""

    def __init__(self, label, draw):
        self.label, self.draw_all = label, draw

    def __repr__(self):
        return self.label


def _remainder_args(shape_x, shape_y):
    # x = y * (k + f) with 0.2 < f < 0.8: never near a multiple of y (shape_y
    # broadcasts to shape_x)
    def draw(rng):
        y = rng.choice([-1.0, 1.0], size=shape_y) * rng.uniform(1.0, 2.0, size=shape_y)
        k = rng.integers(-3, 3, size=shape_x)
        return y * (k + rng.uniform(0.2, 0.8, size=shape_x)), y
    return Joint(f'remainder{_shape(shape_x)},{_shape(shape_y)}', draw)


def _clip_bounds(shape_lo, shape_hi):
    # x halfway between multiples of 0.5, the bounds near them: no ties
    def draw(rng):
        lo = rng.integers(-3, 0, size=shape_lo) * 0.5 + rng.uniform(-0.1, 0.1, size=shape_lo)
        hi = rng.integers(0, 3, size=shape_hi) * 0.5 + rng.uniform(-0.1, 0.1, size=shape_hi)
        return lo, hi
    return Joint(f'bounds{_shape(shape_lo)},{_shape(shape_hi)}', draw)


def _shape(shape):
    return 'x'.join(map(str, shape)) or '0d'


# ---------------------------------------------------------------- cases

DTYPES = (np.float64, np.float32)


def case(fn, *args, wrt=None, linear=False, rtol=1e-5, atol=1e-6, xfail=None):
    """pytest params for one table line: float64, and float32 when an argument is an array.

    `args`: Arg and Joint specs (drawn per dtype) or literal values (indices,
    masks); `wrt` defaults to every float argument.  `xfail`: the diagnosis of a
    known failure outside the rules (strict: the case must pass once fixed).
    """
    floats = [i for i, a in enumerate(args) if isinstance(a, (Arg, Joint))]
    if wrt is None:
        wrt = floats[0] if len(floats) == 1 else tuple(floats)
    any_array = any(isinstance(a, Joint) or (isinstance(a, Arg) and a.shape is not None)
                    for a in args)
    label = f"{fn.__name__}({','.join(map(_label, args))})"
    params = []
    for dtype in DTYPES if any_array else DTYPES[:1]:
        marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
        params.append(pytest.param(fn, args, wrt, linear, dtype, rtol, atol, marks=marks,
                                   id=f'{label}-{np.dtype(dtype).name}'))
    return params


def _label(a):
    if isinstance(a, (Arg, Joint)):
        return repr(a)
    if isinstance(a, np.ndarray):
        return f'{a.dtype.kind}{"x".join(map(str, a.shape))}'
    return repr(a)


def draw_args(args, dtype, seed):
    rng = np.random.default_rng(seed)
    out = []
    for a in args:
        if isinstance(a, Arg):
            out.append(a.draw(rng, dtype))
        elif isinstance(a, Joint):
            out.extend(np.asarray(v, dtype=np.float64).astype(dtype)
                       for v in a.draw_all(rng))
        else:
            out.append(a)
    return out


def _expand_joint_wrt(args, wrt):
    """Positions after Joint arguments are expanded into several."""
    positions, i = [], 0
    for a in args:
        n = 2 if isinstance(a, Joint) else 1
        positions.append(list(range(i, i + n)))
        i += n
    if isinstance(wrt, tuple):
        return tuple(p for w in wrt for p in positions[w])
    return positions[wrt][0] if len(positions[wrt]) == 1 else tuple(positions[wrt])


# Shapes of the binary elementwise functions: same shape, a row broadcast
# over a matrix, a column against a row, a Python float against an array,
# an array against a Python float, two Python floats, a 0-d array.
def binary(fn, kind_x='N', kind_y='N', **kw):
    X, Y = _arg(kind_x), _arg(kind_y)
    return [
        *case(fn, X(3, 4), Y(3, 4), **kw),
        *case(fn, X(3, 4), Y(4), **kw),
        *case(fn, X(3, 1), Y(1, 4), **kw),
        *case(fn, X(2, 3, 4), Y(3, 1), **kw),
        *case(fn, X(float), Y(3, 4), **kw),
        *case(fn, X(5), Y(float), **kw),
        *case(fn, X(float), Y(float), **kw),
        *case(fn, X(), Y(2, 3), **kw),
    ]


# Unary elementwise functions: a vector, a matrix, a Python float, a 0-d array.
def unary(fn, kind='N', **kw):
    X = _arg(kind)
    return [
        *case(fn, X(5), **kw),
        *case(fn, X(3, 4), **kw),
        *case(fn, X(float), **kw),
        *case(fn, X(), **kw),
    ]


CASES = [
    # --- operators
    *binary(rc.op_add, linear=True),
    *binary(rc.op_sub, linear=True),
    *binary(rc.op_mul),
    *binary(rc.op_div, 'N', 'Z'),
    *binary(rc.op_pow, 'P', 'N'),
    *unary(rc.op_neg, linear=True),
    *unary(rc.op_pos, linear=True),
    *unary(rc.op_add_const, linear=True),
    *case(rc.op_radd_const, N(3, 4), linear=True),
    *case(rc.op_sub_const, N(3, 4), linear=True),
    *case(rc.op_rsub_const, N(3, 4), linear=True),
    *case(rc.op_mul_const, N(3, 4), linear=True),
    *case(rc.op_div_const, N(3, 4), linear=True),
    *unary(rc.op_rdiv_const, 'Z'),
    *unary(rc.op_pow_2),
    *case(rc.op_pow_1, N(3, 4), linear=True),
    *unary(rc.op_pow_3),
    *case(rc.op_pow_float_2, N(3, 4)),
    *unary(rc.op_pow_half, 'P'),
    *case(rc.op_pow_1_5, P(3, 4)),
    *case(rc.op_pow_minus_1, Z(3, 4)),
    *case(rc.op_pow_minus_2_5, P(3, 4)),
    *unary(rc.op_rpow_const),
    # --- binary ufuncs
    *binary(rc.np_add, linear=True),
    *binary(rc.np_subtract, linear=True),
    *binary(rc.np_multiply),
    *binary(rc.np_divide, 'N', 'Z'),
    *binary(rc.np_true_divide, 'N', 'Z'),
    *binary(rc.np_power, 'P', 'N'),
    *case(rc.np_power_3, N(3, 4)),
    *binary(rc.np_maximum, 'L', 'H', linear=True),
    *binary(rc.np_minimum, 'H', 'L', linear=True),
    *case(rc.np_maximum_const, H(3, 4), linear=True),
    *case(rc.np_minimum_const, L(3, 4), linear=True),
    *case(rc.np_remainder, _remainder_args((3, 4), (3, 4)), linear=True),
    *case(rc.np_remainder, _remainder_args((3, 4), (4,)), linear=True),
    *case(rc.op_mod, _remainder_args((5,), ()), linear=True),
    *case(rc.np_remainder_const, H(3, 4), linear=True),
    *unary(rc.np_negative, linear=True),
    *unary(rc.np_positive, linear=True),
    # --- unary functions
    *unary(rc.np_exp),
    *unary(rc.np_exp2),
    *unary(rc.np_expm1),
    *unary(rc.np_log, 'P'),
    *unary(rc.np_log2, 'P'),
    *unary(rc.np_log10, 'P'),
    *unary(rc.np_log1p, 'P'),
    *unary(rc.np_sqrt, 'P'),
    *unary(rc.np_square),
    *unary(rc.np_reciprocal, 'Z'),
    *unary(rc.np_abs, 'Z', linear=True),
    *case(rc.np_absolute, Z(3, 4), linear=True),
    *unary(rc.np_fabs, 'Z', linear=True),
    *unary(rc.builtin_abs, 'Z', linear=True),
    *unary(rc.np_tanh),
    *unary(rc.np_sin),
    *unary(rc.np_cos),
    *unary(rc.np_tan, 'U'),
    *unary(rc.np_arcsin, 'U'),
    *unary(rc.np_arccos, 'U'),
    *unary(rc.np_arctan),
    *unary(rc.np_sinh),
    *unary(rc.np_cosh),
    *unary(rc.np_arcsinh),
    *unary(rc.np_arccosh, 'G'),
    *unary(rc.np_arctanh, 'U'),
    # --- where
    *case(rc.where_self, Z(3, 4), N(3, 4), linear=True),
    *case(rc.where_self, Z(3, 4), N(4), linear=True),
    *case(rc.where_self, Z(3, 1), N(float), linear=True),
    *case(rc.where_cond, np.array([True, False, True, False]), N(3, 4), N(3, 4),
          linear=True),
    *case(rc.where_cond, np.array([[True], [False], [True]]), N(4), N(3, 1), linear=True),
    *case(rc.where_cond, np.array([True, False, True]), N(float), N(3), linear=True),
    *case(rc.where_const_else, Z(3, 4), linear=True),
    *case(rc.where_const_then, Z(3, 4), linear=True),
    # --- clip (values halfway between multiples of 0.5, bounds at or near them)
    *case(rc.clip_both, H(3, 4), linear=True),
    *case(rc.clip_both, H(float), linear=True),
    *case(rc.clip_lower, H(3, 4), linear=True),
    *case(rc.clip_upper, H(3, 4), linear=True),
    *case(rc.clip_keywords, H(3, 4), linear=True),
    *case(rc.clip_arrays, H(3, 4), _clip_bounds((3, 4), (3, 4)), linear=True),
    *case(rc.clip_arrays, H(3, 4), _clip_bounds((4,), (3, 1)), linear=True),
    *case(rc.clip_arrays, H(3, 4), _clip_bounds((), ()), linear=True),
    *case(rc.clip_array_lower, H(3, 4), L(4), linear=True),
    *case(rc.clip_array_upper, H(3, 4), L(3, 4), linear=True),
    *case(rc.clip_method, H(3, 4), linear=True),
    *case(rc.clip_none, H(3, 4), linear=True),
    # --- float casts
    *case(rc.cast_np_float64, N(), linear=True),
    *case(rc.cast_np_float64, N(float), linear=True),
    *case(rc.cast_np_float32, N(), linear=True, rtol=1e-3, atol=1e-4),
    *case(rc.cast_np_longdouble, N(), linear=True),
    *case(rc.cast_float, N(), linear=True),
    *case(rc.cast_float, N(float), linear=True),
    *case(rc.cast_float_of_sum, N(3, 4), linear=True),
    *case(rc.cast_np_float64_of_sum, N(3, 4), linear=True),
    # --- dot and matmul
    *case(rc.op_matmul, N(4), N(4)),
    *case(rc.op_matmul, N(3, 4), N(4)),
    *case(rc.op_matmul, N(4), N(4, 2)),
    *case(rc.op_matmul, N(3, 4), N(4, 2)),
    *case(rc.op_matmul, N(2, 3, 4), N(4, 5)),
    *case(rc.op_matmul, N(3, 4), N(2, 4, 5)),
    *case(rc.op_matmul, N(2, 3, 4), N(2, 4, 5)),
    *case(rc.op_matmul, N(2, 1, 3, 4), N(5, 4, 2)),
    *case(rc.op_matmul, N(2, 3, 4), N(4)),
    *case(rc.op_matmul, N(4), N(2, 4, 3)),
    *case(rc.np_matmul, N(4), N(4)),
    *case(rc.np_matmul, N(3, 4), N(4)),
    *case(rc.np_matmul, N(4), N(4, 2)),
    *case(rc.np_matmul, N(3, 4), N(4, 2)),
    *case(rc.np_matmul, N(2, 3, 4), N(4, 2)),
    *case(rc.np_dot, N(4), N(4)),
    *case(rc.np_dot, N(3, 4), N(4)),
    *case(rc.np_dot, N(4), N(4, 2)),
    *case(rc.np_dot, N(3, 4), N(4, 2)),
    *case(rc.np_dot, N(2, 3, 4), N(4, 2)),
    *case(rc.method_dot, N(4), N(4)),
    *case(rc.method_dot, N(3, 4), N(4, 2)),
    *case(rc.method_dot, N(3, 4), N(4)),
    # --- sum
    *case(rc.sum_all, N(3, 4), linear=True),
    *case(rc.sum_all, N(5), linear=True),
    *case(rc.sum_all, N(float), linear=True),
    *case(rc.sum_axis0, N(3, 4), linear=True),
    *case(rc.sum_axis0, N(5), linear=True),
    *case(rc.sum_axis1, N(2, 3, 4), linear=True),
    *case(rc.sum_axis_neg, N(2, 3, 4), linear=True),
    *case(rc.sum_axis_tuple, N(2, 3, 4), linear=True),
    *case(rc.sum_axis_tuple_neg, N(2, 3, 4), linear=True),
    *case(rc.sum_keepdims, N(2, 3, 4), linear=True),
    *case(rc.sum_all_keepdims, N(3, 4), linear=True),
    *case(rc.sum_tuple_keepdims, N(2, 3, 4), linear=True),
    *case(rc.sum_positional_axis, N(3, 4), linear=True),
    *case(rc.method_sum, N(3, 4), linear=True),
    *case(rc.method_sum_axis0, N(3, 4), linear=True),
    # --- mean
    *case(rc.mean_all, N(3, 4), linear=True),
    *case(rc.mean_all, N(float), linear=True),
    *case(rc.mean_axis0, N(3, 4), linear=True),
    *case(rc.mean_axis_neg, N(2, 3, 4), linear=True),
    *case(rc.mean_axis_tuple, N(2, 3, 4), linear=True),
    *case(rc.mean_keepdims, N(2, 3, 4), linear=True),
    *case(rc.mean_all_keepdims, N(3, 4), linear=True),
    *case(rc.method_mean, N(3, 4), linear=True),
    *case(rc.method_mean_axis, N(3, 4), linear=True),
    # --- prod
    *case(rc.prod_all, N(3, 4)),
    *case(rc.prod_all, N(5)),
    *case(rc.prod_all, N(float)),
    *case(rc.prod_axis0, N(3, 4)),
    *case(rc.prod_axis_neg, N(2, 3, 4)),
    *case(rc.prod_axis_tuple, N(2, 3, 4)),
    *case(rc.prod_keepdims, N(2, 3, 4)),
    *case(rc.prod_all_keepdims, N(3, 4)),
    *case(rc.method_prod, N(3, 4)),
    *case(rc.method_prod_axis, N(3, 4)),
    # --- max, min, amax, amin (distinct values: no ties)
    *case(rc.max_all, D(3, 4), linear=True),
    *case(rc.max_all, D(5), linear=True),
    *case(rc.max_all, N(float), linear=True),
    *case(rc.max_axis0, D(3, 4), linear=True),
    *case(rc.max_axis_neg, D(2, 3, 4), linear=True),
    *case(rc.max_axis_tuple, D(2, 3, 4), linear=True),
    *case(rc.max_keepdims, D(2, 3, 4), linear=True),
    *case(rc.max_all_keepdims, D(3, 4), linear=True),
    *case(rc.min_all, D(3, 4), linear=True),
    *case(rc.min_axis1, D(2, 3, 4), linear=True),
    *case(rc.min_axis_tuple_keepdims, D(2, 3, 4), linear=True),
    *case(rc.amax_axis0, D(3, 4), linear=True),
    *case(rc.amax_all, D(2, 3, 4), linear=True),
    *case(rc.amin_axis_neg_keepdims, D(3, 4), linear=True),
    *case(rc.amin_all, D(5), linear=True),
    *case(rc.method_max, D(3, 4), linear=True),
    *case(rc.method_max_positional, D(3, 4), linear=True),
    *case(rc.method_min_axis, D(3, 4), linear=True),
    # --- var, std
    *case(rc.var_all, N(3, 4)),
    *case(rc.var_all, N(5)),
    *case(rc.var_axis0, N(3, 4)),
    *case(rc.var_axis_tuple, N(2, 3, 4)),
    *case(rc.var_keepdims, N(2, 3, 4)),
    *case(rc.var_ddof, N(3, 4)),
    *case(rc.var_axis_ddof, N(3, 4)),
    *case(rc.method_var, N(3, 4)),
    *case(rc.std_all, N(3, 4)),
    *case(rc.std_all, N(5)),
    *case(rc.std_axis1, N(3, 4)),
    *case(rc.std_axis_tuple_keepdims, N(2, 3, 4)),
    *case(rc.std_ddof, N(3, 4)),
    *case(rc.std_axis_ddof_keepdims, N(3, 4)),
    *case(rc.method_std, N(3, 4)),
    # --- reshape
    *case(rc.reshape_tuple, N(3, 4), linear=True),
    *case(rc.reshape_tuple, N(12), linear=True),
    *case(rc.reshape_minus_one, N(3, 4), linear=True),
    *case(rc.reshape_minus_one_2d, N(3, 4), linear=True),
    *case(rc.reshape_int, N(3, 4), linear=True),
    *case(rc.reshape_to_3d, N(4, 3), linear=True),
    *case(rc.method_reshape_args, N(3, 4), linear=True),
    *case(rc.method_reshape_tuple, N(3, 4), linear=True),
    *case(rc.method_reshape_minus_one, N(2, 3, 2), linear=True),
    *case(rc.reshape_scalar, N(float), linear=True),
    # --- transpose, swapaxes
    *case(rc.transpose_default, N(3, 4), linear=True),
    *case(rc.transpose_default, N(2, 3, 4), linear=True),
    *case(rc.transpose_default, N(5), linear=True),
    *case(rc.transpose_axes, N(2, 3, 4), linear=True),
    *case(rc.transpose_axes_keyword, N(2, 3, 4), linear=True),
    *case(rc.transpose_negative_axes, N(2, 3, 4), linear=True),
    *case(rc.attribute_T, N(3, 4), linear=True),
    *case(rc.attribute_T, N(2, 3, 4), linear=True),
    *case(rc.method_transpose_args, N(3, 4), linear=True),
    *case(rc.method_transpose_args_3d, N(2, 3, 4), linear=True),
    *case(rc.method_transpose_none, N(3, 4), linear=True),
    *case(rc.swapaxes_0_2, N(2, 3, 4), linear=True),
    *case(rc.swapaxes_negative, N(2, 3, 4), linear=True),
    *case(rc.method_swapaxes, N(3, 4), linear=True),
    # --- squeeze, expand_dims, ravel, flatten, copy, atleast_nd
    *case(rc.squeeze_all, N(3, 1, 4), linear=True),
    *case(rc.squeeze_all, N(1, 1), linear=True),
    *case(rc.squeeze_axis, N(3, 1, 4), linear=True),
    *case(rc.squeeze_axis_tuple, N(1, 3, 1, 2), linear=True),
    *case(rc.method_squeeze, N(1, 4), linear=True),
    *case(rc.expand_dims_0, N(3, 4), linear=True),
    *case(rc.expand_dims_0, N(float), linear=True),
    *case(rc.expand_dims_neg, N(3, 4), linear=True),
    *case(rc.expand_dims_tuple, N(3, 4), linear=True),
    *case(rc.ravel, N(3, 4), linear=True),
    *case(rc.ravel, N(float), linear=True),
    *case(rc.method_ravel, N(2, 3, 4), linear=True),
    *case(rc.method_flatten, N(3, 4), linear=True),
    *case(rc.np_copy, N(3, 4), linear=True),
    *case(rc.method_copy, N(3, 4), linear=True),
    *case(rc.atleast_1d, N(float), linear=True),
    *case(rc.atleast_2d, N(4), linear=True),
    *case(rc.atleast_3d, N(3, 4), linear=True),
    # --- broadcast_to
    *case(rc.broadcast_to_rows, N(4), linear=True),
    *case(rc.broadcast_to_rows, N(3, 1), linear=True),
    *case(rc.broadcast_to_rows, N(float), linear=True),
    *case(rc.broadcast_to_rows, N(3, 4), linear=True),
    *case(rc.broadcast_to_3d, N(3, 1), linear=True),
    *case(rc.broadcast_to_3d, N(1, 1, 4), linear=True),
    *case(rc.broadcast_to_keyword, N(1, 3), linear=True),
    # --- concatenate, stack
    *case(rc.concatenate_axis0, N(2, 4), N(3, 4), linear=True),
    *case(rc.concatenate_axis0, N(3), N(5), linear=True),
    *case(rc.concatenate_axis1, N(3, 2), N(3, 4), linear=True),
    *case(rc.concatenate_axis_neg, N(2, 3, 1), N(2, 3, 2), linear=True),
    *case(rc.concatenate_axis_none, N(2, 3), N(4), linear=True),
    *case(rc.concatenate_three, N(1, 4), N(2, 4), N(3, 4), linear=True),
    *case(rc.concatenate_same, N(3, 2), linear=True),
    *case(rc.stack_axis0, N(3, 4), N(3, 4), linear=True),
    *case(rc.stack_axis0, N(float), N(float), linear=True),
    *case(rc.stack_axis1, N(3, 4), N(3, 4), linear=True),
    *case(rc.stack_axis_neg, N(5), N(5), linear=True),
    *case(rc.stack_three, N(2, 3), N(2, 3), N(2, 3), linear=True),
    # --- split, array_split (unpacked into names)
    *case(rc.split_halves, N(6)),
    *case(rc.split_halves, N(4, 3)),
    *case(rc.split_sections_axis1, N(2, 6)),
    *case(rc.split_indices, N(3, 4)),
    *case(rc.split_axis_neg, N(3, 4)),
    *case(rc.array_split_uneven, N(7)),
    *case(rc.array_split_axis1, N(3, 5)),
    *case(rc.split_one_piece_used, N(6)),
    # --- astype (to float: gradient cast back; to int or bool: a constant)
    *case(rc.astype_float32, N(3, 4), linear=True, rtol=2e-2, atol=2e-2),
    *case(rc.np_astype_float32, N(3, 4), linear=True, rtol=2e-2, atol=2e-2),
    *case(rc.astype_float64, N(3, 4), linear=True),
    *case(rc.astype_string_dtype, N(3, 4), linear=True),
    *case(rc.astype_round_trip, N(3, 4), rtol=1e-3, atol=1e-4),
    *case(rc.astype_int, H(3, 4), linear=True),
    *case(rc.astype_builtin_int, H(3, 4)),
    *case(rc.astype_bool, Z(3, 4), linear=True),
    # --- indexing
    *case(rc.index_int, N(3, 4), linear=True),
    # --- the math module on Python floats
    *case(rc.math_exp, N(float)), *case(rc.math_expm1, N(float)), *case(rc.math_log, P(float)),
    *case(rc.math_log2, P(float)), *case(rc.math_log10, P(float)), *case(rc.math_log1p, P(float)),
    *case(rc.math_sqrt, P(float)), *case(rc.math_fabs, Z(float)), *case(rc.math_pow, P(float), N(float)),
    *case(rc.math_trig, U(float)), *case(rc.math_hyperbolic, N(float)),
    *case(rc.math_inverse_trig, U(float)), *case(rc.math_inverse_hyperbolic, U(float), G(float)),
    # --- cumsum (flat, along an axis), flip, split into a known number of pieces
    *case(rc.cumsum_flat, N(3, 4)), *case(rc.cumsum_axis, N(3, 4)),
    *case(rc.flip_axes, N(3, 4)), *case(rc.split_known_pieces, N(2, 6)),
    # --- trace (2-d, other axes), np.array of values, a starred split
    *case(rc.trace_2d, N(3, 4)), *case(rc.trace_3d_axes, N(2, 3, 3)),
    *case(rc.array_of_values, N(3)), *case(rc.starred_split, N(3)),
    # --- builtin min and max of two values (away from ties)
    *case(rc.builtin_min_max, D(float), H(float)),
    # --- builtin sum over an array (sums its rows)
    *case(rc.builtin_sum_rows, N(3, 4)),
    *case(rc.builtin_list_tuple_rows, N(3, 4)),
    *case(rc.list_item_concatenated, N(3)),
    # --- assignment into arrays
    *case(rc.setitem_row, N(3, 4), N(4)),
    *case(rc.setitem_slice_broadcast, N(3, 4), 0.7),
    *case(rc.setitem_mask, N(3, 4)),
    *case(rc.augsetitem_column, N(3, 4)),
    *case(rc.index_int, N(5), linear=True),
    *case(rc.index_negative_int, N(3, 4), linear=True),
    *case(rc.index_two_ints, N(3, 4), linear=True),
    *case(rc.index_two_negative_ints, N(3, 4), linear=True),
    *case(rc.index_slice, N(5), linear=True),
    *case(rc.index_slice, N(4, 3), linear=True),
    *case(rc.index_slice_step, N(7), linear=True),
    *case(rc.index_slice_negative_step, N(3, 4), linear=True),
    *case(rc.index_slices_2d, N(3, 4), linear=True),
    *case(rc.index_slice_step_reversed, N(3, 4), linear=True),
    *case(rc.index_none, N(3, 4), linear=True),
    *case(rc.index_none_middle, N(3, 4), linear=True),
    *case(rc.index_ellipsis, N(2, 3, 4), linear=True),
    *case(rc.index_ellipsis_slice, N(2, 3, 4), linear=True),
    *case(rc.index_column, N(3, 4), linear=True),
    *case(rc.index_column_negative, N(3, 4), linear=True),
    *case(rc.index_column_arg, N(3, 4), 2, linear=True),
    *case(rc.index_row_arg, N(3, 4), -1, linear=True),
    *case(rc.index_int_array_repeats, N(3, 4), linear=True),
    *case(rc.index_int_array_repeats, N(5), linear=True),
    *case(rc.index_list_repeats, N(3, 4), linear=True),
    *case(rc.index_int_array_arg, N(5), np.array([4, 0, 4, 4]), linear=True),
    *case(rc.index_int_array_arg, N(3, 4), np.array([[0, 1], [2, 0]]), linear=True),
    *case(rc.index_columns_array, N(3, 4), linear=True),
    *case(rc.index_pairs, N(3, 4), linear=True),
    *case(rc.index_pairs_repeat, N(3, 4), linear=True),
    *case(rc.index_mask, N(3, 4), linear=True),
    *case(rc.index_mask_arg, N(3, 4), np.array([[True, False, False, True]] * 3),
          linear=True),
    *case(rc.index_mask_arg, N(6), np.array([False, True, True, False, True, False]),
          linear=True),
    *case(rc.index_mask_of_self, Z(3, 4), linear=True),
    *case(rc.index_row_mask, N(3, 4), linear=True),
    *case(rc.index_0d, N(), linear=True),
    *case(rc.index_scalar_of_vector, N(4), linear=True),
    # --- zeros_like, ones_like and other constants inside expressions
    *case(rc.ones_like_times, N(3, 4)),
    *case(rc.zeros_like_plus, N(3, 4)),
    *case(rc.ones_like_of_expression, N(3, 4)),
    *case(rc.zeros_ones_constructors, N(3, 4), linear=True),
    *case(rc.full_like_plus, N(3, 4)),
    *case(rc.full_like_of_a_value, N(3, 4)),
    *case(rc.arange_of_values, N(3)),
    *case(rc.sign_times, Z(3, 4), linear=True),
    *case(rc.floor_plus, H(3, 4)),
    *case(rc.comparison_times, Z(3, 4)),
    # --- compiler primitives (unpacking, gradients inside a function, aggregation)
    *case(rc.unpack_rows, N(2, 3)),
    *case(rc.unpack_tuple, N(3), N(3)),
    *case(rc.gradients_inside, N(3, 4)),
    *case(rc.gradients_accumulate_n, N(3, 4), N(3, 4)),
    *case(rc.gradients_tree, N(3, 4), N(4)),
]


@pytest.mark.parametrize('fn, args, wrt, linear, dtype, rtol, atol', CASES)
def test_rule(fn, args, wrt, linear, dtype, rtol, atol):
    run_case(fn, args, wrt, linear, dtype, rtol, atol)


def run_case(fn, args, wrt, linear, dtype, rtol, atol):
    """Check one table line: first and second order (see the module docstring).

    The op-family test files (tests/test_ops_*.py) build their tables with
    `case` and run them through this, so their rules count for coverage."""
    seed = zlib.crc32(f'{fn.__name__}{args!r}'.encode())
    values = draw_args(args, dtype, seed)
    wrt = _expand_joint_wrt(args, wrt)
    if linear:
        check_grads(fn, *values, wrt=wrt, order=1, rtol=rtol, atol=atol, seed=seed)
        check_grads(rc.squared(fn), *values, wrt=wrt, order=2, rtol=rtol, atol=atol,
                    seed=seed)
    else:
        check_grads(fn, *values, wrt=wrt, order=2, rtol=rtol, atol=atol, seed=seed)


# --------------------------------------------- API.md section 4, exactly

def grad_of(fn, *args, wrt=0):
    return sg.grad(fn, wrt=wrt)(*args)


def assert_exact(actual, expected, dtype=np.float64):
    actual = np.asarray(actual)
    assert actual.dtype == dtype, actual.dtype
    np.testing.assert_array_equal(actual, np.asarray(expected, dtype=dtype))


@pytest.mark.parametrize('dtype', DTYPES)
def test_maximum_minimum_ties_go_to_the_first_argument(dtype):
    x = np.array([1.0, 2.0, 3.0, -1.0], dtype=dtype)
    y = np.array([1.0, 0.0, 5.0, -1.0], dtype=dtype)
    dx, dy = grad_of(rc.np_maximum, x, y, wrt=(0, 1))
    assert_exact(dx, [1, 1, 0, 1], dtype)
    assert_exact(dy, [0, 0, 1, 0], dtype)
    dx, dy = grad_of(rc.np_minimum, x, y, wrt=(0, 1))
    assert_exact(dx, [1, 0, 1, 1], dtype)
    assert_exact(dy, [0, 1, 0, 0], dtype)
    # a broadcast second argument tied with some elements gets only the others
    dx, dy = grad_of(rc.np_maximum, x, 1.0, wrt=(0, 1))
    assert_exact(dx, [1, 1, 1, 0], dtype)
    assert dy == 1.0 and type(dy) is float
    # the operator spelled with a constant: relu-like at 0 gives 1
    assert_exact(grad_of(rc.np_maximum_const, np.array([-1.0, 0.0, 2.0], dtype)),
                 [0, 1, 1], dtype)


def test_maximum_minimum_ties_of_python_floats():
    assert grad_of(rc.np_maximum, 2.0, 2.0, wrt=(0, 1)) == (1.0, 0.0)
    assert grad_of(rc.np_minimum, 2.0, 2.0, wrt=(0, 1)) == (1.0, 0.0)
    assert grad_of(rc.op_pow_2, 0.0) == 0.0


@pytest.mark.parametrize('dtype', DTYPES)
def test_max_min_reductions_share_ties_equally(dtype):
    x = np.array([1.0, 3.0, 3.0, 2.0], dtype=dtype)
    assert_exact(grad_of(rc.max_all, x), [0, 0.5, 0.5, 0], dtype)
    assert_exact(grad_of(rc.amax_all, x), [0, 0.5, 0.5, 0], dtype)
    assert_exact(grad_of(rc.min_all, np.array([2.0, 2.0, 2.0, 2.0], dtype)),
                 [0.25] * 4, dtype)
    m = np.array([[1.0, 5.0], [1.0, 2.0], [0.0, 5.0]], dtype=dtype)
    assert_exact(grad_of(rc.max_axis0, m), [[0.5, 0.5], [0.5, 0], [0, 0.5]], dtype)
    assert_exact(grad_of(rc.amax_axis0, m), [[0.5, 0.5], [0.5, 0], [0, 0.5]], dtype)
    assert_exact(grad_of(rc.method_max_positional, m), [[0, 1], [0, 1], [0, 1]], dtype)
    assert_exact(grad_of(rc.method_min_axis, m), [[0, 0], [0, 1], [1, 0]], dtype)
    t = np.array([[[4.0, 1.0], [4.0, 1.0]], [[4.0, 0.0], [2.0, 1.0]]], dtype=dtype)
    third = 1.0 / 3.0
    assert_exact(grad_of(rc.max_axis_tuple, t),                # axes (0, 2): per row j
                 [[[0.5, 0], [1, 0]], [[0.5, 0], [0, 0]]], dtype)
    assert_exact(grad_of(rc.min_axis_tuple_keepdims, t),       # axes (0, 2)
                 [[[0, 0], [0, 0.5]], [[0, 1], [0, 0.5]]], dtype)
    g = grad_of(rc.max_all, t)
    np.testing.assert_allclose(g, np.where(t == 4.0, third, 0.0), rtol=1e-6)
    assert g.dtype == dtype


@pytest.mark.parametrize('fn', [rc.np_abs, rc.np_absolute, rc.np_fabs, rc.builtin_abs])
@pytest.mark.parametrize('dtype', DTYPES)
def test_abs_has_gradient_zero_at_zero(fn, dtype):
    x = np.array([-1.5, 0.0, 2.0, -0.0], dtype=dtype)
    assert_exact(grad_of(fn, x), [-1, 0, 1, 0], dtype)


def test_abs_and_sign_of_python_floats_at_zero():
    assert grad_of(rc.builtin_abs, 0.0) == 0.0
    assert grad_of(rc.np_abs, 0.0) == 0.0
    assert grad_of(rc.sign_plus, 0.0) == 1.0


@pytest.mark.parametrize('dtype', DTYPES)
def test_sign_is_a_constant(dtype):
    x = np.array([-2.0, 0.0, 3.0], dtype=dtype)
    assert_exact(grad_of(rc.sign_plus, x), [1, 1, 1], dtype)
    assert_exact(grad_of(rc.sign_times, x), [-1, 0, 1], dtype)


@pytest.mark.parametrize('dtype', DTYPES)
def test_where_never_sends_gradient_to_the_condition(dtype):
    c = np.array([0.0, 1.0, -2.0, 0.0], dtype=dtype)        # a float condition
    x = np.array([1.0, 2.0, 3.0, 4.0], dtype=dtype)
    y = np.array([5.0, 6.0, 7.0, 8.0], dtype=dtype)
    dc, dx, dy = grad_of(rc.where_plus_condition, c, x, y, wrt=(0, 1, 2))
    assert_exact(dc, [1, 1, 1, 1], dtype)                    # from `+ c` only
    assert_exact(dx, [0, 1, 1, 0], dtype)
    assert_exact(dy, [1, 0, 0, 1], dtype)
    # a condition computed from x: x gets its gradient where it was chosen
    dx = grad_of(rc.where_self, np.array([-1.0, 2.0, 0.0], dtype), np.ones(3, dtype))
    assert_exact(dx, [0, 1, 0], dtype)
    # the branch not chosen does not leak into the chosen one
    assert_exact(grad_of(rc.where_sqrt, np.array([4.0, -4.0], dtype)), [0.25, 0], dtype)


@pytest.mark.parametrize('dtype', DTYPES)
def test_prod_with_zeros_gives_the_product_of_the_others(dtype):
    assert_exact(grad_of(rc.prod_all, np.array([2.0, 0.0, 3.0], dtype)), [0, 6, 0], dtype)
    assert_exact(grad_of(rc.prod_all, np.array([2.0, 0.0, 0.0, 3.0], dtype)),
                 [0, 0, 0, 0], dtype)
    assert_exact(grad_of(rc.prod_all, np.array([0.0], dtype)), [1], dtype)
    m = np.array([[2.0, 0.0], [0.0, 4.0], [3.0, 5.0]], dtype=dtype)
    assert_exact(grad_of(rc.prod_axis0, m), [[0, 20], [6, 0], [0, 0]], dtype)
    assert_exact(grad_of(rc.method_prod_axis, m), [[0, 2], [4, 0], [5, 3]], dtype)
    assert_exact(grad_of(rc.prod_keepdims, m[None]), [[[0, 20], [6, 0], [0, 0]]], dtype)
    t = np.array([[[2.0, 0.0], [1.0, 3.0]], [[0.0, 0.0], [5.0, 1.0]]], dtype=dtype)
    # axes (0, 2): products over t[:, j, :] for each j
    assert_exact(grad_of(rc.prod_axis_tuple, t),
                 [[[0, 0], [15, 5]], [[0, 0], [3, 15]]], dtype)
    assert_exact(grad_of(rc.prod_all_keepdims, m), [[0, 0], [0, 0], [0, 0]], dtype)


def test_prod_of_python_float():
    assert grad_of(rc.prod_all, 0.0) == 1.0


@pytest.mark.filterwarnings('ignore:divide by zero')
@pytest.mark.parametrize('dtype', DTYPES)
def test_power_at_zero(dtype):
    x = np.array([0.0, 1.0, -2.0], dtype=dtype)
    assert_exact(grad_of(rc.op_pow_2, x), [0, 2, -4], dtype)
    assert_exact(grad_of(rc.np_square, x), [0, 2, -4], dtype)
    assert_exact(grad_of(rc.op_pow_3, x), [0, 3, 12], dtype)
    assert_exact(grad_of(rc.np_power_3, x), [0, 3, 12], dtype)
    assert_exact(grad_of(rc.op_pow_1, x), [1, 1, 1], dtype)
    assert_exact(grad_of(rc.op_pow_float_2, x), [0, 2, -4], dtype)
    x = np.array([0.0, 4.0], dtype=dtype)
    assert_exact(grad_of(rc.op_pow_1_5, x), [0, 3], dtype)          # 1.5 * x ** 0.5
    np.testing.assert_allclose(grad_of(rc.op_pow_half, x), [np.inf, 0.25])  # 0.5 / sqrt(x)
    # second derivatives at zero
    d2 = sg.grad(sg.grad(rc.op_pow_2))
    assert_exact(d2(np.array([0.0, 3.0], dtype)), [2, 2], dtype)
    d2 = sg.grad(sg.grad(rc.op_pow_3))
    assert_exact(d2(np.array([0.0, 1.0], dtype)), [0, 6], dtype)
    assert sg.grad(sg.grad(rc.op_pow_2))(0.0) == 2.0


@pytest.mark.filterwarnings('ignore:divide by zero')
@pytest.mark.parametrize('dtype', DTYPES)
def test_power_gradient_of_the_exponent(dtype):
    x = np.array([0.0, 2.0, 0.0], dtype=dtype)
    p = np.array([2.0, 3.0, 0.5], dtype=dtype)
    dx, dp = grad_of(rc.op_pow, x, p, wrt=(0, 1))
    np.testing.assert_allclose(dx, [0, 12, np.inf], rtol=1e-6)
    # 0 ** p: the exponent's gradient is 0 (0 * log 0 taken as 0, no NaN)
    np.testing.assert_allclose(dp, [0, 8 * np.log(2.0), 0], rtol=1e-6)
    assert dp.dtype == dtype and not np.isnan(dp).any()
    assert grad_of(rc.op_pow, 0.0, 2.5, wrt=1) == 0.0


@pytest.mark.parametrize('dtype', DTYPES)
def test_clip_bounds_are_inside(dtype):
    x = np.array([-0.5, 0.0, 0.5, 0.7, -0.9], dtype=dtype)
    assert_exact(grad_of(rc.clip_both, x), [1, 1, 1, 0, 0], dtype)
    assert_exact(grad_of(rc.clip_lower, x), [0, 1, 1, 1, 0], dtype)
    assert_exact(grad_of(rc.clip_upper, x), [1, 1, 1, 0, 1], dtype)
    lo = np.full(5, -0.5, dtype)
    hi = np.full(5, 0.5, dtype)
    dx, dlo, dhi = grad_of(rc.clip_arrays, x, lo, hi, wrt=(0, 1, 2))
    assert_exact(dx, [1, 1, 1, 0, 0], dtype)
    assert_exact(dlo, [0, 0, 0, 0, 1], dtype)
    assert_exact(dhi, [0, 0, 0, 1, 0], dtype)
    assert grad_of(rc.clip_both, 0.5) == 1.0
    assert grad_of(rc.clip_both, 0.75) == 0.0


@pytest.mark.parametrize('dtype', DTYPES)
def test_casts_and_constants(dtype):
    x = np.array([[0.5, -1.5], [2.5, 1.0]], dtype=dtype)
    # to float32 and back: the gradient is passed through and keeps x's dtype
    assert_exact(grad_of(rc.astype_float32, x), np.ones((2, 2)), dtype)
    assert_exact(grad_of(rc.astype_float64, x), np.ones((2, 2)), dtype)
    # to an integer or bool type: a constant factor
    assert_exact(grad_of(rc.astype_int, x), [[0, -1], [2, 1]], dtype)
    assert_exact(grad_of(rc.astype_bool, np.array([0.0, 2.0], dtype)), [0, 1], dtype)
    # zeros_like / ones_like / floor / comparisons contribute nothing
    assert_exact(grad_of(rc.zeros_ones_constructors,
                         np.ones((3, 4), dtype)), np.ones((3, 4)), dtype)
    assert_exact(grad_of(rc.comparison_times, np.array([-1.0, 2.0], dtype)), [0, 4], dtype)


def test_float16_cast_passes_the_gradient_through():
    # float16 is too coarse for finite differences: exact values instead
    x = np.array(1.3)
    g = grad_of(rc.cast_np_float16, x)
    assert g.dtype == np.float64 and g == 1.0
    d2 = sg.grad(sg.grad(rc.squared(rc.cast_np_float16)))(x)
    assert d2.dtype == np.float64 and d2 == 2.0


def test_float_casts_of_0d_values():
    x = np.array(1.25)
    g = grad_of(rc.cast_float, x)
    assert isinstance(g, np.ndarray) and g.shape == () and g == 1.0
    g = grad_of(rc.cast_np_float64, np.float64(1.25))
    assert isinstance(g, np.float64) and g == 1.0
    g = grad_of(rc.cast_np_float32, np.array(1.25, np.float32))
    assert g.dtype == np.float32 and g == 1.0
    assert grad_of(rc.cast_float, 1.25) == 1.0


@pytest.mark.parametrize('dtype', DTYPES)
def test_indexing_repeats_accumulate(dtype):
    x = np.arange(5.0, dtype=dtype)
    assert_exact(grad_of(rc.index_int_array_arg, x, np.array([4, 0, 4, 4])),
                 [1, 0, 0, 0, 3], dtype)
    m = np.zeros((3, 4), dtype)
    assert_exact(grad_of(rc.index_pairs_repeat, m), [[0, 0, 2, 0], [0, 0, 1, 0],
                                                     [0, 0, 0, 0]], dtype)
    assert_exact(grad_of(rc.index_columns_array, m), [[1, 1, 2, 0]] * 3, dtype)


# A function whose gradient does not depend on its argument (a linear one,
# or one that is piecewise constant) has a zero second derivative, and a
# constant one a zero first derivative: sg.grad must give zeros of the
# argument's shape and dtype (API.md sections 3 and 4).

@pytest.mark.parametrize('fn, x', [
    (rc.sum_all, np.ones((3, 4))),
    (rc.reshape_tuple, np.ones((3, 4))),
    (rc.index_column, np.ones((3, 4))),
    (rc.max_axis0, np.arange(12.0).reshape(3, 4)),
    (rc.np_abs, np.array([-1.0, 2.0])),
    (rc.op_add_const, 1.5),
], ids=lambda v: getattr(v, '__name__', None))
def test_second_derivative_of_a_linear_function_is_zeros(fn, x):
    d2 = sg.grad(sg.grad(fn))(x)
    assert d2 is not None
    np.testing.assert_array_equal(d2, np.zeros_like(x))


@pytest.mark.parametrize('fn, args', [
    (rc.sign_only, (np.array([-1.0, 0.0, 2.0]),)),
    (rc.where_cond, (np.array([0.0, 1.0]), np.ones(2), np.zeros(2))),   # w.r.t. the condition
], ids=['sign', 'where_condition'])
def test_gradient_of_a_constant_function_is_zeros(fn, args):
    g = sg.grad(fn)(*args)
    assert g is not None
    np.testing.assert_array_equal(g, np.zeros_like(args[0]))


# ------------------------------------------------------------- coverage

# Cases checked only by exact values above (not in the table).
EXACT_ONLY = [(rc.cast_np_float16, (np.array(1.3),), 0)]


def _family_cases():
    """The CASES tables of tests/test_ops_*.py (one file per family of operations)."""
    import importlib
    import pathlib
    found = []
    for path in sorted(pathlib.Path(__file__).parent.glob('test_ops_*.py')):
        module = importlib.import_module(path.stem)
        found.extend(getattr(module, 'CASES', []))
    return found


# Rules that only loops produce (run-time lists, an entry of a gradient read back
# in a reverse loop): tests/test_corpus.py and, to the fourth order,
# tests/test_higher_order_loops.py check them.
LOOP_ONLY_RULES = {'list_new_grad', 'list_append_grad', 'iterable_grad', 'bound_grad',
                   'list_item_grad', 'list_entries_grad', 'entry_gradient_grad',
                   # a loop's x[i] added into x's accumulator, at second order:
                   # tests/test_loop_accumulate.py
                   'add_at_grad',
                   # containers passed in (the cases here take arrays): tests/test_containers.py
                   'field_grad', 'namedtuple_grad', 'items_grad', 'values_grad', 'dict_of_grad',
                   # sg.gradients of a read of a container passed in:
                   # tests/test_gradients_nested.py (second order too)
                   'gradient_of_read_grad',
                   # dict methods and new versions of a dict passed in, at first and second
                   # order: tests/test_container_writes.py
                   'container_copy_grad', 'get_grad', 'get_grad_grad', 'default_grad_grad',
                   'replaced_grad', 'entry_grad', 'entry_grad_grad', 'zero_entry_grad',
                   'without_grad', 'items_grad_grad', 'values_grad_grad', 'tuple_of_grad',
                   # attribute assignments of objects passed in: tests/test_methods.py
                   'with_attribute_grad'}


def test_every_registered_rule_has_a_case(monkeypatch):
    """Each rule of s2sgrad.rules is inlined by some case of the table, at first
    or second order.  A new rule needs a line in CASES."""
    seen = set()
    expand = template.expand

    def recording(rule, *args, **kwargs):
        seen.add(id(rule.prim))
        return expand(rule, *args, **kwargs)

    monkeypatch.setattr(template, 'expand', recording)
    for param in CASES + _family_cases():
        fn, args, wrt, linear, dtype, _, _ = param.values
        if dtype is not np.float64 or param.marks:
            continue
        wrt = _expand_joint_wrt(args, wrt)
        f = rc.squared(fn) if linear else fn
        sg.grad(sg.grad(f, wrt=wrt), wrt=wrt).source
    for fn, args, wrt in EXACT_ONLY:
        sg.grad(sg.grad(rc.squared(fn), wrt=wrt), wrt=wrt).source
    missing = sorted(f'{getattr(rule.prim, "__name__", rule.prim)} ({rule.fn.__name__})'
                     for rule in registry.all_rules()
                     if rule.fn.__module__.startswith('s2sgrad.rules')
                     and id(rule.prim) not in seen
                     and rule.fn.__name__ not in LOOP_ONLY_RULES)
    assert not missing, f'gradient rules without a case in tests/test_rules.py: {missing}'
