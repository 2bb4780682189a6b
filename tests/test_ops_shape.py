"""Shape, copy, construction and indexing: the rules of s2sgrad/rules/shape.py,
construction.py and indexing.py.

The table runs each call form (tests/op_cases_shape.py) through the systematic
check of tests/test_rules.py: gradient and second derivative against central
differences, in float64 and float32.  The tests after it check exact values
where finite differences cannot (ties in sort, zero repeats, the single sample
of linspace, overlapping conditions of select, integer dtypes), the refusals,
and a few spot checks against autograd where it has the function.
"""
import pathlib

import numpy as np
import pytest

import s2sgrad as sg
from test_rules import case, run_case, N, D, U
import op_cases_shape as oc
import rule_cases as rc

pytestmark = pytest.mark.filterwarnings('ignore:`row_stack` alias is deprecated')

CASES = [
    # --- ravel, flatten, reshape in Fortran order, squeeze, expand_dims, copy
    *case(oc.ravel_method, N(3, 4), linear=True),
    *case(oc.ravel_F, N(3, 4), linear=True),
    *case(oc.ravel_order_keyword, N(2, 3, 2), linear=True),
    *case(oc.flatten_F, N(3, 4), linear=True),
    *case(oc.reshape_F, N(3, 4), linear=True),
    *case(oc.method_reshape_F, N(4, 3), linear=True),
    *case(oc.method_squeeze_positional, N(3, 1, 4), linear=True),
    *case(oc.method_squeeze_none, N(1, 3, 1), linear=True),
    *case(oc.squeeze_negative, N(3, 4, 1), linear=True),
    *case(oc.expand_dims_keyword, N(3, 4), linear=True),
    *case(oc.expand_dims_tuple_negative, N(3, 4), linear=True),
    *case(oc.expand_dims_keyword, N(3), linear=True),
    *case(oc.copy_order, N(3, 4), linear=True),
    # --- transpose, swapaxes, moveaxis, rollaxis (any axis and start)
    *case(oc.transpose_tuple, N(2, 3, 4), linear=True),
    *case(oc.transpose_negative_tuple, N(2, 3, 4), linear=True),
    *case(oc.method_transpose_tuple, N(2, 3, 4), linear=True),
    *case(oc.method_swapaxes, N(3, 4), linear=True),
    *case(oc.method_swapaxes_negative, N(2, 3, 4), linear=True),
    *case(oc.swapaxes_keywords, N(2, 3, 4), linear=True),
    *case(oc.moveaxis_int, N(2, 3, 4), linear=True),
    *case(oc.moveaxis_tuple, N(2, 3, 4), linear=True),
    *case(oc.moveaxis_keywords, N(3, 4), linear=True),
    *case(oc.rollaxis_default, N(2, 3, 4), linear=True),
    *case(oc.rollaxis_start, N(2, 3, 4), linear=True),
    *case(oc.rollaxis_forward, N(2, 3, 4), linear=True),
    *case(oc.rollaxis_negative_axis, N(2, 3, 4), linear=True),
    *case(oc.rollaxis_negative_start, N(2, 3, 4), linear=True),
    *case(oc.rollaxis_both_negative, N(2, 3, 4), linear=True),
    *case(oc.rollaxis_same, N(2, 3, 4), linear=True),
    *case(oc.rollaxis_keyword, N(2, 3, 4), linear=True),
    # --- broadcast_to (new leading axes too), atleast_1d / 2d / 3d
    *case(oc.broadcast_to_leading, N(4), linear=True),
    *case(oc.broadcast_to_leading, N(3, 1), linear=True),
    *case(oc.broadcast_to_new_and_stretched, N(3, 1), linear=True),
    *case(oc.broadcast_to_new_and_stretched, N(float), linear=True),
    *case(oc.atleast_1d, N(), linear=True),
    *case(oc.atleast_1d, N(3), linear=True),
    *case(oc.atleast_2d, N(float), linear=True),
    *case(oc.atleast_2d, N(3, 4), linear=True),
    *case(oc.atleast_3d, N(4), linear=True),
    *case(oc.atleast_3d, N(), linear=True),
    *case(oc.atleast_3d, N(2, 3, 4, 1), linear=True),
    # --- flipud, fliplr, flip, rot90, roll
    *case(oc.flipud, N(3, 2), linear=True),
    *case(oc.flipud, N(5), linear=True),
    *case(oc.fliplr, N(3, 2), linear=True),
    *case(oc.fliplr, N(2, 3, 4), linear=True),
    *case(oc.flip_axis_keyword, N(3, 4), linear=True),
    *case(oc.rot90_default, N(3, 2), linear=True),
    *case(oc.rot90_k, N(3, 2), linear=True),
    *case(oc.rot90_negative_k, N(3, 2), linear=True),
    *case(oc.rot90_axes, N(2, 3, 4), linear=True),
    *case(oc.rot90_axes_reversed, N(2, 3, 4), linear=True),
    *case(oc.roll_flat, N(2, 3), linear=True),
    *case(oc.roll_flat, N(5), linear=True),
    *case(oc.roll_axis, N(2, 3), linear=True),
    *case(oc.roll_negative_axis, N(2, 3), linear=True),
    *case(oc.roll_tuple, N(2, 3), linear=True),
    *case(oc.roll_keywords, N(4), linear=True),
    *case(oc.roll_run_time_shift, N(4, 3), 3, linear=True),
    # --- repeat (an int or counts; axis None, int, negative), tile
    *case(oc.repeat_flat, N(2, 3), linear=True),
    *case(oc.repeat_flat, N(), linear=True),
    *case(oc.repeat_flat, N(float), linear=True),
    *case(oc.repeat_axis, N(2, 3), linear=True),
    *case(oc.repeat_negative_axis, N(2, 3), linear=True),
    *case(oc.repeat_counts, N(3, 2), linear=True),
    *case(oc.repeat_counts_flat, N(2, 3), linear=True),
    *case(oc.repeat_one_count, N(2, 3), linear=True),
    *case(oc.method_repeat, N(2, 3), linear=True),
    *case(oc.method_repeat_flat, N(2, 3), linear=True),
    *case(oc.repeat_imported, N(2, 3), linear=True),
    *case(oc.tile_int, N(2, 3), linear=True),
    *case(oc.tile_int, N(float), linear=True),
    *case(oc.tile_tuple, N(2, 3), linear=True),
    *case(oc.tile_tuple, N(3), linear=True),
    *case(oc.tile_short, N(2, 3), linear=True),
    *case(oc.tile_keyword, N(3), linear=True),
    *case(oc.tile_imported, N(2, 2), linear=True),
    *case(oc.tile_alias, N(3), linear=True),
    # --- diag (vector to matrix and back), diagonal (any offset and axes), triu, tril
    *case(oc.diag, N(3), linear=True),
    *case(oc.diag, N(3, 4), linear=True),
    *case(oc.diag, N(4, 3), linear=True),
    *case(oc.diag_offset, N(3), linear=True),
    *case(oc.diag_offset, N(3, 4), linear=True),
    *case(oc.diag_negative_offset, N(3), linear=True),
    *case(oc.diag_negative_offset, N(4, 2), linear=True),
    *case(oc.diagonal, N(3, 4), linear=True),
    *case(oc.diagonal, N(2, 3, 4), linear=True),
    *case(oc.diagonal_offset_axes, N(3, 2, 4), linear=True),
    *case(oc.diagonal_negative_axes, N(2, 3, 4), linear=True),
    *case(oc.diagonal_last_axes, N(2, 3, 3), linear=True),
    *case(oc.method_diagonal, N(3, 3), linear=True),
    *case(oc.method_diagonal_args, N(2, 3, 4), linear=True),
    *case(oc.method_diagonal_offset, N(3, 5), linear=True),
    *case(oc.triu, N(3, 4), linear=True),
    *case(oc.triu, N(2, 3, 3), linear=True),
    *case(oc.triu_offset, N(4, 3), linear=True),
    *case(oc.triu_offset, N(4), linear=True),
    *case(oc.tril, N(3, 4), linear=True),
    *case(oc.tril, N(3), linear=True),
    *case(oc.tril_negative_offset, N(2, 4, 4), linear=True),
    # --- pad: constant (widths as an int, a pair, pairs; mode defaulted, positional,
    #     keyword; constant_values), empty, edge, reflect, symmetric, wrap
    *case(oc.pad_int, N(2, 3), linear=True),
    *case(oc.pad_int, N(float), linear=True),
    *case(oc.pad_pairs_constant_values, N(2, 3)),
    *case(oc.pad_constant_positional, N(4), linear=True),
    *case(oc.pad_constant_positional, N(2, 3), linear=True),
    *case(oc.pad_constant_keyword, N(2, 3)),
    *case(oc.pad_empty, N(3, 2), linear=True),
    *case(oc.pad_edge, N(2, 3), linear=True),
    *case(oc.pad_edge, N(4), linear=True),
    *case(oc.pad_reflect, N(3, 4), linear=True),
    *case(oc.pad_reflect_wider, N(3), linear=True),
    *case(oc.pad_reflect_wider, N(2, 3), linear=True),
    *case(oc.pad_symmetric, N(2, 3), linear=True),
    *case(oc.pad_wrap, N(3), linear=True),
    *case(oc.pad_wrap, N(2, 2, 3), linear=True),
    *case(oc.pad_imported, N(3), linear=True),
    # --- full (w.r.t. fill_value), linspace (w.r.t. start and stop)
    *case(oc.full, N(float), linear=True),
    *case(oc.full, N(), linear=True),
    *case(oc.full, N(4), linear=True),
    *case(oc.full_keywords, N(3, 1), linear=True),
    *case(oc.full_int, U(3)),
    *case(oc.linspace, N(float), N(float), linear=True),
    *case(oc.linspace, N(), N(), linear=True),
    *case(oc.linspace_no_endpoint, N(float), N(float)),
    *case(oc.linspace_default_num, N(), N(float)),
    *case(oc.linspace_arrays, N(2), N(3, 1)),
    *case(oc.linspace_axis, N(2), N(3, 1)),
    *case(oc.linspace_retstep, N(float), N(float)),
    *case(oc.linspace_one, N(float), N(float)),
    *case(oc.linspace_of_constants, N(4), linear=True),
    # --- concatenate, stack, vstack, row_stack, hstack, column_stack, dstack, append,
    #     np.r_, np.c_
    *case(oc.concatenate_axis_none, N(2, 3), N(4), linear=True),
    *case(oc.concatenate_negative_axis, N(2, 3), N(4, 3), linear=True),
    *case(oc.stack_negative_axis, N(3), N(3), linear=True),
    *case(oc.stack_negative_axis, N(2, 3), N(2, 3), linear=True),
    *case(oc.stack_float32, N(3), N(3), linear=True, rtol=2e-2, atol=2e-2),
    *case(oc.vstack, N(3), N(2, 3), linear=True),
    *case(oc.vstack, N(2, 3), N(1, 3), linear=True),
    *case(oc.vstack_three, N(), N(1), N(float), linear=True),
    *case(oc.vstack_three, N(2, 2, 2), N(1, 2, 2), N(3, 2, 2), linear=True),
    *case(oc.row_stack, N(3), N(3), linear=True),
    *case(oc.hstack, N(3), N(2), linear=True),
    *case(oc.hstack, N(2, 3), N(2, 1), linear=True),
    *case(oc.hstack, N(), N(float), linear=True),
    *case(oc.hstack_tuple, N(2, 1, 3), N(2, 2, 3), linear=True),
    *case(oc.column_stack, N(3), N(3, 2), linear=True),
    *case(oc.column_stack, N(3), N(3), linear=True),
    *case(oc.dstack, N(2, 3), N(2, 3, 2), linear=True),
    *case(oc.dstack, N(3), N(1, 3, 1), linear=True),
    *case(oc.append_flat, N(2, 3), N(4), linear=True),
    *case(oc.append_flat, N(3), N(float), linear=True),
    *case(oc.append_axis, N(2, 3), N(1, 3), linear=True),
    *case(oc.append_negative_axis, N(2, 3), N(2, 2), linear=True),
    *case(oc.append_constant, N(3), linear=True),
    *case(oc.r_, N(3), N(2), linear=True),
    *case(oc.r_, N(), N(float), linear=True),
    *case(oc.c_, N(3), N(3, 2), linear=True),
    # --- split and array_split with negative axes; vsplit, hsplit, dsplit
    *case(oc.split_negative_axis, N(4, 3)),
    *case(oc.array_split_negative_axis, N(2, 7)),
    *case(oc.vsplit, N(4, 3)),
    *case(oc.vsplit, N(2, 2, 3)),
    *case(oc.vsplit_indexed, N(4, 3)),
    *case(oc.hsplit, N(2, 6)),
    *case(oc.hsplit, N(6)),
    *case(oc.hsplit_indices, N(5)),
    *case(oc.hsplit_indices, N(2, 3)),
    *case(oc.dsplit, N(2, 2, 4)),
    *case(oc.dsplit_indices, N(1, 2, 4)),
    # --- sort and partition (any rank and axis), take_along_axis (distinct values)
    *case(oc.sort, D(5), linear=True),
    *case(oc.sort, D(3, 4), linear=True),
    *case(oc.sort_axis0, D(3, 4), linear=True),
    *case(oc.sort_axis_none, D(3, 4), linear=True),
    *case(oc.sort_kind, D(2, 3), linear=True),
    *case(oc.sort_squared, D(3, 4)),
    *case(oc.partition, D(6), linear=True),
    *case(oc.partition, D(3, 5), linear=True),
    *case(oc.partition_kths_axis0, D(4, 3), linear=True),
    *case(oc.partition_axis_none, D(3, 4), linear=True),
    *case(oc.partition_weighted, D(2, 7)),
    *case(oc.take_along_axis, N(2, 3), linear=True),
    *case(oc.take_along_axis_argsort, D(3, 2)),
    *case(oc.take_along_axis_none, N(2, 3), linear=True),
    # --- np.array of nested values, dtype, ndmin; select
    *case(oc.array_nested, N(float), N(float), linear=True),
    *case(oc.array_nested, N(), N(), linear=True),
    *case(oc.array_nested_arrays, N(3), N(3), linear=True),
    *case(oc.array_int_dtype, U(3)),
    *case(oc.array_float_dtype, N(3), N(3), linear=True),
    *case(oc.array_ndmin, N(3), linear=True),
    *case(oc.array_list_ndmin, N(3), N(3), linear=True),
    *case(oc.array_of_array, N(3, 4), linear=True),
    *case(oc.select, D(3, 4), D(3, 4), linear=True),
    *case(oc.select_broadcast, D(3, 4), N(4), linear=True),
    *case(oc.select_scalar_choice, D(5), N(float), linear=True),
    *case(oc.select_run_time_default, D(4), N(4), linear=True),
    # --- indexing: negative and repeated integer arrays, tuples of them, arrays mixed
    #     with slices, masks of part of the axes, None / np.newaxis
    *case(oc.index_negative_repeats, N(4), linear=True),
    *case(oc.index_negative_repeats, N(4, 3), linear=True),
    *case(oc.index_array_tuple, N(3, 4), linear=True),
    *case(oc.index_slice_then_array, N(3, 4), linear=True),
    *case(oc.index_array_then_slice, N(3, 4), linear=True),
    *case(oc.index_adjacent_arrays, N(2, 3, 4), linear=True),
    *case(oc.index_separated_arrays, N(2, 3, 4), linear=True),
    *case(oc.index_partial_mask, N(3, 4), linear=True),
    *case(oc.index_partial_mask_slice, N(3, 4), linear=True),
    *case(oc.index_ellipsis_mask, N(2, 4), linear=True),
    *case(oc.index_mask_int, N(3, 4), linear=True),
    *case(oc.index_mask_of_first_axes, N(3, 4, 2), linear=True),
    *case(oc.index_ellipsis_none, N(3, 4), linear=True),
    *case(oc.index_newaxis, N(3, 4), linear=True),
    *case(oc.index_newaxis, N(), linear=True),
    *case(oc.index_newaxis_reversed, N(3, 4), linear=True),
    *case(oc.index_none_array, N(3, 4), linear=True),
    *case(oc.index_int_array, N(3, 4), linear=True),
    *case(oc.index_nested_list, N(3, 2), linear=True),
    *case(oc.index_arg, N(5), np.array([-1, -1, 0]), linear=True),
    *case(oc.index_arg, N(3, 4), (np.array([0, -1, 0]), slice(1, None)), linear=True),
    *case(oc.index_arg, N(3, 4), (Ellipsis, np.array([True, False, False, True])),
          linear=True),
    *case(oc.index_two_args, N(3, 4), np.array([0, 0]), np.array([-1, -1]), linear=True),
    *case(oc.index_products, N(5)),
    # --- asarray, ascontiguousarray, asfortranarray; casts to a dtype known at run time
    *case(oc.np_asarray, N(3, 4)),
    *case(oc.np_asarray, N(float)),
    *case(oc.asarray_list, N(3), N(3)),
    *case(oc.asarray_float, N(3, 4)),
    *case(oc.asarray_runtime_dtype, N(3, 4)),
    *case(oc.asanyarray_method_chain, N(3, 4)),
    *case(oc.ascontiguousarray_of, N(3, 4)),
    *case(oc.ascontiguousarray_of, N()),
    *case(oc.asfortranarray_of, N(2, 3)),
    *case(oc.array_runtime_dtype, N(3)),
    *case(oc.astype_runtime_dtype, N(3, 4), N(3, 4)),
    *case(oc.astype_runtime_int_dtype, N(3, 4), np.ones(2, int)),
]


@pytest.mark.parametrize('fn, args, wrt, linear, dtype, rtol, atol', CASES)
def test_rule(fn, args, wrt, linear, dtype, rtol, atol):
    run_case(fn, args, wrt, linear, dtype, rtol, atol)


# ------------------------------------------------------------- exact values

DTYPES = (np.float64, np.float32)


def grad_of(fn, *args, wrt=0):
    return sg.grad(fn, wrt=wrt)(*args)


def assert_exact(actual, expected, dtype=np.float64):
    actual = np.asarray(actual)
    assert actual.dtype == dtype, actual.dtype
    np.testing.assert_array_equal(actual, np.asarray(expected, dtype=dtype))


@pytest.mark.parametrize('dtype', DTYPES)
def test_sort_ties_take_one_place_each(dtype):
    x = np.array([2.0, 1.0, 1.0, 3.0], dtype)
    g = grad_of(oc.sort_weighted, x)
    assert g.dtype == dtype
    assert g[0] == 100 and g[3] == 1000
    assert sorted(g[1:3]) == [1, 10]
    # second order: zero (sorting is piecewise linear), and no error
    assert_exact(sg.grad(sg.grad(oc.sort_weighted))(x), np.zeros(4), dtype)


def test_partition_gradient_follows_the_result_not_argpartition():
    # arrays of this size are partitioned by a method whose order np.argpartition does not
    # reproduce: the gradient must still send each weight to the element placed there
    rng = np.random.default_rng(7)
    x = rng.standard_normal((7, 6, 8))
    w = rng.standard_normal(x.size)
    g = grad_of(oc.partition_flat_weighted, x, w)
    # linear in x: <g, x> is the function's value, and g is a permutation of w
    np.testing.assert_allclose(np.sum(g * x), np.sum(oc.partition_flat_weighted(x, w)),
                               rtol=1e-12)
    np.testing.assert_array_equal(np.sort(np.ravel(g)), np.sort(w))
    # ties: equal values share out their places, one each
    t = np.array([3.0, 1.0, 3.0, 0.0, 3.0, 2.0])
    g = grad_of(oc.partition_flat_weighted, t, np.arange(6.0))
    np.testing.assert_array_equal(np.sort(g), np.arange(6.0))


@pytest.mark.parametrize('dtype', DTYPES)
def test_repeat_zero_times_gets_zero(dtype):
    x = np.ones((3, 2), dtype)
    assert_exact(grad_of(oc.repeat_sum, x), [[1, 1], [0, 0], [3, 3]], dtype)


@pytest.mark.parametrize('dtype', DTYPES)
def test_triangles_of_a_vector_sum_over_its_rows(dtype):
    # np.triu(v) of a vector repeats it as rows, then zeros below the diagonal
    assert_exact(grad_of(oc.triu_of_vector_sum, np.ones(3, dtype)), [1, 2, 3], dtype)


@pytest.mark.parametrize('dtype', DTYPES)
def test_pad_copies_add_up(dtype):
    # reflect: [c b | a b c | b a]
    assert_exact(grad_of(oc.pad_reflect_sum, np.ones(3, dtype)), [2, 3, 2], dtype)
    # wrap, wider than the array: [c a b c | a b c]
    assert_exact(grad_of(oc.pad_wrap_sum, np.ones(3, dtype)), [2, 2, 3], dtype)


def test_linspace_of_one_sample_has_a_finite_gradient():
    # a single sample is start: no 0/0 in the step's divisor
    da, db = grad_of(oc.linspace_one, 1.5, 4.0, wrt=(0, 1))
    assert (da, db) == (3.0, 0.0)
    da, db = grad_of(oc.linspace, np.float32(1.0), np.float32(2.0), wrt=(0, 1))
    # sample i weighs i: start gets sum i (1 - i/4), stop sum i (i/4)
    assert (da, db) == (2.5, 7.5) and da.dtype == np.float32


@pytest.mark.parametrize('dtype', DTYPES)
def test_select_gives_each_place_to_the_first_condition_that_holds(dtype):
    x = np.array([1.0, -1.0, 2.0, -2.0], dtype)
    y = np.array([1.0, 1.0, -1.0, -1.0], dtype)
    dx, dy = grad_of(oc.select, x, y, wrt=(0, 1))
    assert_exact(dx, [1, 0, 1, 0], dtype)               # x > 0 wins over y > 0
    assert_exact(dy, [0, 2, 0, 0], dtype)               # the default elsewhere
    # a broadcast choice gets the sum over the places it filled
    dx, dy = grad_of(oc.select_scalar_choice, np.array([1.0, -2.0, 0.5, -0.5], dtype), 3.0,
                     wrt=(0, 1))
    assert_exact(dx, [0, 2, 0, 0], dtype)
    assert dy == 2.0 and type(dy) is float


@pytest.mark.parametrize('dtype', DTYPES)
def test_integer_results_are_constants(dtype):
    x = np.array([0.5, -1.5, 2.5], dtype)
    # d/dx (int(x) * x) = int(x): nothing through the cast
    assert_exact(grad_of(oc.array_int_dtype, x), np.trunc(x) * 2, dtype)
    assert_exact(grad_of(oc.full_int, x), np.trunc(x), dtype)
    assert_exact(grad_of(oc.concatenate_int_dtype, x), np.trunc(x) * 2, dtype)


@pytest.mark.parametrize('dtype', DTYPES)
def test_index_with_negative_repeats_accumulates(dtype):
    assert_exact(grad_of(oc.index_negative_repeats, np.ones(4, dtype)), [1, 1, 1, 2], dtype)
    m = np.zeros((3, 4), dtype)
    assert_exact(grad_of(oc.index_array_tuple, m),          # (0, 2) (2, 2) (1, 3) (1, 0)
                 [[0, 0, 1, 0], [1, 0, 0, 1], [0, 0, 1, 0]], dtype)
    assert_exact(grad_of(oc.index_separated_arrays, np.zeros((2, 3, 4), dtype)),
                 np.zeros((2, 3, 4)) + [[[0, 0, 0, 1]], [[0, 0, 0, 1]]], dtype)


def test_diag_and_diagonal_of_rectangles():
    g = grad_of(oc.diag_offset, np.ones((3, 4)))
    np.testing.assert_array_equal(g, np.eye(3, 4, k=1))
    g = grad_of(oc.diag_negative_offset, np.ones((4, 2)))
    np.testing.assert_array_equal(g, np.eye(4, 2, k=-2))
    g = grad_of(oc.diagonal_offset_axes, np.ones((3, 2, 4)))
    np.testing.assert_array_equal(g, np.broadcast_to(np.eye(3, 4, k=1)[:, None, :], (3, 2, 4)))


# ------------------------------------------------------------------ refusals

@pytest.mark.parametrize('fn, args, match', [
    (oc.atleast_1d_of_two, (np.ones(2), np.ones(2)), 'several arrays'),
    (oc.pad_run_time_constant, (np.ones(2), 1.0), 'constant_values'),
    (oc.ravel_K, (np.ones((2, 3)),), "order='K'"),
], ids=['atleast_1d_of_two', 'pad_constant_values', 'ravel_K'])
def test_call_forms_without_a_gradient_are_refused(fn, args, match):
    with pytest.raises(sg.TransformError, match=match):
        sg.grad(fn)(*args)


def test_pad_modes_without_a_gradient_are_refused():
    with pytest.raises(sg.TransformError, match="mode='maximum'"):
        sg.grad(oc.pad_maximum)(np.ones(3))


# ------------------------------------------------------------------ autograd

# Spot checks where autograd has the function.  Call forms it has no gradient for
# (checked above against finite differences only): roll with a tuple shift, rot90
# with axes, pad without a mode and every mode but 'constant', concatenate with
# axis=None, sort and partition of more than one dimension, diagonal of other axes
# or offsets, rollaxis with negative arguments, broadcast_to with new leading axes;
# and full with an array fill_value, where autograd sums the gradient to a scalar.

AUTOGRAD_CASES = [
    (oc.tile_tuple, (2, 3)), (oc.repeat_axis, (2, 3)), (oc.repeat_flat, (2, 3)),
    (oc.roll_axis, (2, 3)), (oc.roll_flat, (2, 3)), (oc.rot90_k, (3, 2)),
    (oc.flipud, (3, 2)), (oc.fliplr, (3, 2)),
    (oc.diag, (3,)), (oc.diag_offset, (3,)), (oc.diagonal_autograd, (2, 3, 3)),
    (oc.triu_offset, (4, 3)), (oc.tril, (3, 4)), (oc.pad_constant_positional, (2, 3)),
    (oc.sort, (5,)), (oc.moveaxis_tuple, (2, 3, 4)), (oc.rollaxis_start, (2, 3, 4)),
    (oc.broadcast_to_new_and_stretched, (1, 1, 4)), (oc.full, ()),
    (oc.concatenate_negative_axis, (2, 3), (4, 3)),
    (oc.vstack, (3,), (2, 3)), (oc.hstack, (2, 3), (2, 1)),
    (oc.column_stack, (3,), (3, 2)), (oc.append_flat, (2, 3), (4,)),
    (oc.select, (3, 4), (3, 4)), (oc.linspace, (), ()),
]


@pytest.mark.parametrize('fn, shapes', [(c[0], c[1:]) for c in AUTOGRAD_CASES],
                         ids=[c[0].__name__ for c in AUTOGRAD_CASES])
def test_agrees_with_autograd(fn, shapes):
    from autograd_reference import autograd_grad, autograd_twin
    twin = autograd_twin(pathlib.Path(oc.__file__))[fn.__name__]
    rng = np.random.default_rng(3)
    args = [rng.standard_normal(s) for s in shapes]
    wrt = tuple(range(len(args))) if len(args) > 1 else 0
    # squared: the gradient is 2 J^T f(x), which sees where each element went
    ours = sg.grad(rc.squared(fn), wrt=wrt)(*args)
    theirs = autograd_grad(rc.squared(twin), wrt=wrt)(*args)
    for a, b in zip(ours if len(args) > 1 else [ours], theirs if len(args) > 1 else [theirs]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('fn', [oc.asarray_written_into, oc.asarray_added_in_place,
                                oc.asarray_sorted_in_place], ids=lambda f: f.__name__)
def test_writes_into_what_asarray_returned_are_refused(fn):
    # np.asarray(x) is x itself: Python's write changes x too
    from test_errors import line_of
    with pytest.raises(sg.TransformError, match='writing through np.as') as info:
        sg.grad(fn)(np.array([1.0, 2.0, 3.0]))
    assert info.value.lineno == line_of(fn)


def test_writes_into_an_array_asarray_built_are_right():
    from s2sgrad.testing import check_grads
    x = np.array([1.0, 2.0, 3.0])
    assert sg.graph(oc.asarray_of_a_list_written_into)(x) == \
        oc.asarray_of_a_list_written_into(x.copy())
    check_grads(oc.asarray_of_a_list_written_into, x, order=2)
