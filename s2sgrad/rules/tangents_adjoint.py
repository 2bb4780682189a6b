"""Tangents of the gradient code's own helpers (forward mode over a gradient).

`sg.jvp(sg.grad(f))`, `sg.hvp` and `sg.hessian` run forward mode over the code
of a gradient, which calls the runtime helpers its rules and the AD emit
(`_sg_unbroadcast`, `_sg_matmul_lhs_grad`, `_sg_scatter_add`, ...).  Nearly
all of them are linear in the gradient they are handed (a sum back to a shape,
a scatter, an entry of a container's gradient: `kind='linear'`), or linear in
it and in one primal operand separately (the product helpers:
`kind='multilinear'`, the operand read only for its shape left out).  The
rest are written out.  Which inputs are differentiable is read from each
helper's gradient rule.  `tests/test_forward_over_reverse.py` checks that
every helper with a gradient rule has a tangent rule or is listed there as
refused, with the reason.
"""
import numpy as np

from ..ir import prims
from ..runtime import construction, containers, fft, gradients_of, helpers, linalg
from ..runtime import loops as loop_helpers
from ..runtime import products, statistics
from .registry import register_tangent, same

register_tangent(
    # sums back to a shape, casts, and the shapes of gradients
    helpers._sg_unbroadcast, helpers._sg_broadcast_back, helpers._sg_cast_like,
    helpers._sg_cast_gradient, helpers._sg_if_inexact, helpers._sg_array_grad,
    helpers._sg_trace_grad,
    helpers._sg_split_like, helpers._sg_unstack, helpers._sg_diff_adjoint,
    helpers._sg_scalar_spacing, construction._sg_rollaxis_back, construction._sg_split_stacked,
    construction._sg_repeat_sum, construction._sg_tile_sum, construction._sg_diag_adjoint,
    construction._sg_diagonal_adjoint, construction._sg_unpad, construction._sg_select_parts,
    construction._sg_untake_along_axis, construction._sg_untake,
    linalg._sg_axes_last, linalg._sg_axes_back, linalg._sg_full_rank,
    linalg._sg_resize_or_zero, fft._sg_real_like, fft._sg_fit_like, fft._sg_fft_resize,
    statistics._sg_average_weights,
    # the quantile's weights are piecewise constant in `a` (static in the rules)
    statistics._sg_order_statistics_adjoint, statistics._sg_order_statistics_apply,
    # writes: what an assignment overwrote, and what it wrote
    helpers._sg_zero_at, helpers._sg_written_grad,
    # the gradients of lists, containers and objects, entry by entry
    helpers._sg_list_item, helpers._sg_list_entries, helpers._sg_list_fill,
    loop_helpers._sg_repack, gradients_of._sg_gradient_of, gradients_of._sg_gradient_of_read,
    gradients_of._sg_entry_gradient, containers._sg_items_grad, containers._sg_values_grad,
    containers._sg_get_grad, containers._sg_default_grad, containers._sg_zero_entry,
    containers._sg_entry, containers._sg_entry_grad, containers._sg_sequence_like,
    kind='linear')


@register_tangent(helpers._sg_object_like)
def object_like_tangent(dx, y, g, x=None):
    # an object's gradient from the dict of its attributes' (sg.hessian w.r.t. an
    # object): linear in that dict; x, the object, gives the class and static parts
    return helpers._sg_object_like(dx, x)

# linear in dy for constant spacings (a spacing with a tangent is refused)
register_tangent(helpers._sg_gradient_adjoint, kind='linear', constant=('spacings',))

# the adjoints of products: linear in dy and in the other factor, each alone
register_tangent(helpers._sg_tensordot_lhs_grad, helpers._sg_tensordot_rhs_grad,
                 helpers._sg_kron_lhs_grad, helpers._sg_kron_rhs_grad,
                 helpers._sg_cross_lhs_grad, helpers._sg_cross_rhs_grad,
                 helpers._sg_inner_parts, helpers._sg_scale_parts, kind='multilinear')
# (their gradient rules list the operand they stand for, read only for its rank)
register_tangent(helpers._sg_matmul_lhs_grad, kind='multilinear', shape_only=('a',))
register_tangent(helpers._sg_matmul_rhs_grad, kind='multilinear', shape_only=('b',))


@register_tangent(prims.INPLACE_ADD)
def inplace_add_tangent(dx, y, acc, term):
    # acc += term: the tangents summed (a new array: acc's tangent may be another's)
    dacc, dterm = dx
    if same(dterm, None):
        return dacc
    if same(dacc, None):
        return dterm
    return dacc + dterm


@register_tangent(loop_helpers._sg_add_at)
def add_at_tangent(dx, y, acc, index, g):
    # acc[index] += g: linear in acc and g; a new array (acc's tangent may be another's)
    dacc, dg = dx
    if same(dg, None):
        return dacc
    spread = helpers._sg_scatter_add(dg, acc, index)
    if same(dacc, None):
        return spread
    return helpers._sg_accumulate(dacc, spread)


# Each element's product of the others, P(x), is the gradient of prod(x): its
# Jacobian is prod's Hessian, symmetric, so P's tangent is P_1(x, dx); and P_m
# (the m-th derivative in directions) is symmetric in its directions likewise.
@register_tangent(products._sg_prod_others)
def prod_others_tangent(dx, y, x, axis=None):
    return products._sg_prod_others_1(x, dx, axis)


@register_tangent(products._sg_prod_others_1)
def prod_others_1_tangent(dx, y, x, v, axis=None):
    dx_, dv = dx
    if same(dv, None):
        return products._sg_prod_others_2(x, dx_, v, axis)
    if same(dx_, None):
        return products._sg_prod_others_1(x, dv, axis)
    return products._sg_prod_others_2(x, dx_, v, axis) + products._sg_prod_others_1(x, dv, axis)


@register_tangent(products._sg_prod_others_2)
def prod_others_2_tangent(dx, y, x, u, v, axis=None):
    # (in x: the third derivative, _sg_prod_others_3, which has no tangent of its own)
    dx_, du, dv = dx
    total = 0.0
    if not same(dx_, None):
        total = total + products._sg_prod_others_3(x, dx_, u, v, axis)
    if not same(du, None):
        total = total + products._sg_prod_others_2(x, du, v, axis)
    if not same(dv, None):
        total = total + products._sg_prod_others_2(x, u, dv, axis)
    return total


@register_tangent(linalg._sg_cofactor)
def cofactor_tangent(dx, y, a):
    # C = det(A) A^-T:  dC = C tr(A^-1 dA) - C dA^T A^-T  (needs inv(A): refused, as
    # LinAlgError, at a singular A, as the second derivative of det is)
    a_inv_t = np.swapaxes(np.linalg.inv(a), -1, -2)
    trace = np.sum(a_inv_t * dx, axis=(-2, -1), keepdims=True)
    return y * trace - y @ np.swapaxes(dx, -1, -2) @ a_inv_t


@register_tangent(statistics._sg_powers)
def powers_tangent(dx, y, x, n):
    # d x ** m = m x ** (m - 1) dx, for m = n - 1, ..., 1, 0
    column = np.expand_dims(dx, -1)
    lower = column * np.arange(n - 1, 0, -1) * statistics._sg_powers(x, n - 1)
    return np.concatenate([lower, np.zeros_like(column)], axis=-1)
