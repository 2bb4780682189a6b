"""Writes into memory: `out=`, NumPy's in-place functions and methods, writes through
views and aliases (containers, helpers' arguments), in straight-line code, loops and
branches.  Each program runs as Python and transformed: the same value, and the
gradient against central differences; what cannot be followed is refused at the
user's line (TransformError).  Programs live in this file: s2sgrad reads source.
"""
import os

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.ir import effects, prims
from s2sgrad.ir.nodes import walk
from s2sgrad.testing import check_grads

from test_errors import line_of

THIS_FILE = os.path.basename(__file__)
RNG = np.random.default_rng(10)
A33 = RNG.normal(size=(3, 3))
A23 = RNG.normal(size=(2, 3))
V3 = RNG.normal(size=3)
W3 = RNG.normal(size=3)
V4 = RNG.normal(size=4)


# ---- out= ------------------------------------------------------------------------------
def out_multiply_self(a):
    c = np.zeros_like(a)
    np.multiply(a, a, out=c)
    return np.sum(c)


def out_sin(x):
    y = np.empty_like(x)
    np.sin(x, out=y)
    return np.sum(y * y)


def out_into_operand(a, b):
    a = a * 1.0
    np.add(a, b, out=a)
    return np.sum(a * a)


def out_positional(a, b):
    c = np.empty_like(a)
    np.add(a, b, c)
    return np.sum(c * c)


def out_tuple_returned(x):
    y = np.zeros_like(x)
    r = np.exp(x, out=(y,))
    return np.sum(r) + np.sum(y * x)


def out_into_view(x):
    y = np.zeros(4)
    np.sin(x, out=y[1:])
    return np.sum(y * y)


def out_of_reduction(A):
    o = np.zeros(3)
    np.sum(A, axis=0, out=o)
    return np.sum(o * o)


def out_of_method(a):
    c = a * 2.0
    c.clip(-0.5, 0.5, out=c)
    return np.sum(c * a)


def out_matmul(A, B):
    C = np.zeros((3, 3))
    np.matmul(A, B, out=C)
    return np.sum(C * C)


def out_in_loop(x):
    y = np.ones_like(x)
    for k in range(3):
        np.multiply(y, x, out=y)
    return np.sum(y)


# ---- the in-place family ---------------------------------------------------------------
def fill_diagonal_scalar(Q):
    Q = Q * 2.0
    np.fill_diagonal(Q, 0.0)
    return np.sum(Q * Q)


def fill_diagonal_values(Q, d):
    Q = Q * 1.0
    np.fill_diagonal(Q, d)
    return np.sum(Q * Q * Q)


def fill_diagonal_of_argument_copy(Q):
    P = Q.copy()
    np.fill_diagonal(P, np.sum(Q))
    return np.sum(P * Q)


def put_flat(a):
    c = a * 1.0
    np.put(c, [0, 2], [1.0, 2.0])
    return np.sum(c * a)


def putmask_values(a):
    c = a * 1.0
    np.putmask(c, c > 0, c * 2.0)
    return np.sum(c * c)


def copyto_all(a, b):
    c = a * 1.0
    np.copyto(c, b)
    return np.sum(c * a)


def copyto_where(a, b):
    c = a * 1.0
    np.copyto(c, b * 3.0, where=a > 0)
    return np.sum(c * c)


def place_scalar(a):
    c = a * 1.0
    np.place(c, c < 0, 0.5)
    return np.sum(c * a)


def add_at_repeated(a, b):
    c = a * 1.0
    np.add.at(c, [0, 0, 1], b)
    return np.sum(c * c)


def subtract_at(a, b):
    c = a * 1.0
    np.subtract.at(c, [2, 2, 0], b)
    return np.sum(c * c)


def fill_a_view(a):
    c = a * 1.0
    c[1:].fill(2.0)
    return np.sum(c * a)


def sort_in_place(a):
    c = a * 1.0
    c.sort()
    return np.sum(c * np.arange(4.0))


def sort_a_view(y):
    y = y * 1.0
    v = y[1:]
    v.sort()
    return np.sum(y * np.arange(y.size))


def put_method(a):
    c = a * 1.0
    c.put([1], 3.0)
    return np.sum(c * a)


# ---- views -----------------------------------------------------------------------------
def view_slice_imul(y):
    y = y * 1.0
    v = y[1:]
    v *= 2.0
    return np.sum(y * y) + np.sum(v)


def row_iadd(B, r):
    B = B * 1.0
    row = B[0]
    row += r
    return np.sum(B * B) + np.sum(row)


def column_zeroed(y):
    y = y * 1.0
    v = y[:, 0]
    v[:] = 0
    return np.sum(y * y) + np.sum(v)


def transpose_attribute(A):
    A = A * 1.0
    At = A.T
    At[0] = 0.0
    return np.sum(A * A) + np.sum(At)


def transpose_function(A):
    A = A * 1.0
    At = np.transpose(A)
    At *= 2.0
    return np.sum(A * np.arange(3.0))


def ellipsis_view(y):
    y = y * 1.0
    v = y[...]
    v *= 3.0
    return np.sum(y * y)


def view_of_a_view(B):
    B = B * 1.0
    v = B[1:]
    w = v[:, 1:]
    w += 1.0
    return np.sum(B * B) + np.sum(v) + np.sum(w)


def base_written_view_read(y):
    y = y * 1.0
    v = y[1:]
    y[2] = 5.0
    return np.sum(v * v)


def rows_in_loop(B, r):
    B = B * 1.0
    for i in range(B.shape[0]):
        row = B[i]
        row += r * i
    return np.sum(B * B)


def view_written_in_loop(y):
    y = y * 1.0
    v = y[1:]
    for k in range(3):
        v *= 1.5
    return np.sum(y * y)


def view_written_in_branch(y, c):
    y = y * 1.0
    v = y[:2]
    if c > 0:
        v *= 2.0
    else:
        v[0] = 7.0
    return np.sum(y * y) + np.sum(v)


def rows_walked(X):
    X = X * 1.0
    for row in X:
        row *= 2.0
    return np.sum(X * X)


def rows_enumerated(X, r):
    X = X * 1.0
    for i, row in enumerate(X):
        row += r * i
    return np.sum(X * X)


def row_set_by_matmul(A, v):
    A = A * 1.0
    w = A[0]
    w[:] = A @ v
    return np.sum(A * A)


def row_set_by_dot_out(A, v):
    A = A * 1.0
    np.dot(A, v, out=A[1])
    return np.sum(A * A)


def row_set_by_dot_method(A, v):
    A = A * 1.0
    r = A[2]
    r[...] = A.dot(v)
    return np.sum(A * A)


def zero_d_array_alias(x):
    a = np.array(2.0) * x[0]
    b = a
    a += 1.0            # a 0-d array: in place, b sees it
    return a * b


def float64_alias(x):
    a = np.float64(2.0) * x[0]
    b = a
    a += 1.0            # a NumPy scalar: rebinds a only
    return a * b


def _first_row(a):
    return a[0]


def helper_returns_a_view(B):
    B = B * 1.0
    r = _first_row(B)
    r += 1.0
    return np.sum(B * B)


def one_value_two_targets(x):
    a = b = x * 1.0
    a[0] = 1.0
    return np.sum(b * x)


def unpacked_twice(x):
    y = x * 1.0
    a, b = y, y
    a *= 2.0
    return np.sum(b * x)


def over_a_list_of_arrays(x, w):
    a = x * 1.0
    b = w * 1.0
    for v in [a, b]:
        v *= 2.0
    return np.sum(a * b)


def reversed_view_added(y):
    y = y * 1.0
    v = y[::-1]
    v += y
    return np.sum(y * y)


def overlapping_out(y):
    y = y * 1.0
    np.add(y[1:], y[:-1], out=y[1:])
    return np.sum(y * y)


def rows_in_nested_loops(A):
    A = A * 1.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            row = A[i]
            row[j] = row[j] * 2.0 + 1.0
    return np.sum(A * A)


def view_read_across_loop(y):
    y = y * 1.0
    v = y[1:]
    for k in range(3):
        y[0] = y[0] + np.sum(v)
        y[1] = y[1] * 0.5
    return np.sum(v * v) + np.sum(y)


def transpose_sees_base_write(A):
    A = A * 1.0
    T = A.T
    A[0, 1] = 7.0
    return np.sum(T * np.arange(3.0))


# found by random programs of views, aliases and writes
def row_view_then_base_rebound_in_branch(x):
    b = x[::-1] * 2.0
    v0 = b[0]
    if np.sum(x) > 0.0:
        b -= 0.3            # in place: v0 (a row) sees it
    else:
        b = b * 1.0
    return np.sum(b * b) + np.sum(v0 * v0)


def alias_then_branch_write(x):
    a = x * 1.0
    z0 = a
    z0 += 0.25
    if np.sum(x) > 0.0:
        a[...] = a * 0.5
    else:
        a = a * 1.0
    return np.sum(a * a) + np.sum(z0 * z0)


def alias_written_in_one_branch(x):
    b = x[::-1] * 2.0
    _scale_(b)
    z2 = b
    if np.sum(x) > 0.0:
        z2[:] = np.sin(z2)
    else:
        z2 = z2 * 1.0
    return np.sum(b * b) + np.sum(z2 * z2)


def transposes_written_then_loop(x):
    b = x[::-1] * 2.0
    v1 = b.T
    b.fill(0.7)
    v3 = b.T
    v3[:] = np.sin(v3)
    for k in range(2):
        b *= 1.5
        if np.sum(b) > 0.5:
            break
    return np.sum(b * b) + np.sum(v1 * v1) + np.sum(v3 * v3)


def item_of_vector(x):
    s = x[0]
    t = s
    s += 1.0            # a number: rebinds s only
    return s * t


# ---- aliases: names, containers, helpers ----------------------------------------------------
def same_array_two_names(x):
    y = x * 1.0
    z = y
    y += 1.0
    return np.sum(z * x)


def through_a_list(y):
    y = y * 1.0
    lst = [y]
    lst[0] *= 2.0
    return np.sum(y * y)


def through_a_dict(y):
    y = y * 1.0
    d = {"h": y}
    d["h"] *= 2.0
    return np.sum(y * y)


def list_sees_the_array(y):
    y = y * 1.0
    lst = [y]
    y *= 3.0
    return np.sum(lst[0] * lst[0])


def _scale_(a):
    a *= 3.0


def _set_first(a):
    a[0] = 1.0


def _append(lst, v):
    lst.append(v)


def _put_h(d, v):
    d["h"] = v


def helper_scales_argument(y):
    y = y * 1.0
    _scale_(y)
    return np.sum(y * y)


def helper_writes_views(y):
    y = y * 1.0
    _set_first(y)
    _scale_(y[1:])
    return np.sum(y * y)


def helper_appends(y):
    lst = [y]
    _append(lst, y * 2.0)
    return np.sum(lst[1]) + len(lst)


def helper_fills_dict(y):
    d = {}
    _put_h(d, y * 2.0)
    return np.sum(d["h"])


def helper_in_loop(y):
    y = y * 1.0
    for k in range(2):
        _scale_(y)
    return np.sum(y)


def nested_def_writes_closure(y):
    buf = y * 1.0

    def bump(k):
        buf[k] = buf[k] * 2.0
    bump(0)
    bump(2)
    return np.sum(buf * y)


# ---- loops with break normalising in place (the fuzz finding and its variants) -------------
def normalise_alias_break(x):
    y = x * 3.0
    z = y
    for k in range(4):
        y /= np.linalg.norm(y)
        if k == 2:
            break
    return np.sum(z * np.arange(3.0)) + np.sum(y)


def normalise_argument_break(x):
    for i in range(5):
        x /= np.linalg.norm(x)
        if i > 2:
            break
    return np.sum(x * x * x)


def normalise_view_break(x):
    y = x * 2.0
    v = y[1:]
    for i in range(6):
        v /= np.sqrt(np.sum(v * v))
        if np.sum(v) > 0.5:
            break
        v *= 1.7
    return np.sum(y ** 3)


def normalise_while_break(x):
    y = x + 0.0
    z = y
    while True:
        y *= 0.5
        if np.sum(y * y) < 0.1:
            break
    return np.sum(z * x)


CASES = [
    (out_multiply_self, (V3,)), (out_sin, (V3,)), (out_into_operand, (V3, W3)),
    (out_positional, (V3, W3)), (out_tuple_returned, (V3,)), (out_into_view, (V3,)),
    (out_of_reduction, (A33,)), (out_of_method, (V3,)), (out_matmul, (A33, A33.T)),
    (out_in_loop, (V3,)),
    (fill_diagonal_scalar, (A33,)), (fill_diagonal_values, (A33, V3)),
    (fill_diagonal_of_argument_copy, (A33,)), (put_flat, (V4,)), (putmask_values, (V4,)),
    (copyto_all, (V3, W3)), (copyto_where, (V3, W3)), (place_scalar, (V4,)),
    (add_at_repeated, (V3, W3)), (subtract_at, (V3, W3)), (fill_a_view, (V4,)),
    (sort_in_place, (V4,)), (sort_a_view, (V4,)), (put_method, (V4,)),
    (view_slice_imul, (V4,)), (row_iadd, (A23, V3)), (column_zeroed, (A33,)),
    (transpose_attribute, (A33,)), (transpose_function, (A33,)), (ellipsis_view, (V3,)),
    (view_of_a_view, (A33,)), (base_written_view_read, (V4,)), (rows_in_loop, (A23, V3)),
    (view_written_in_loop, (V4,)), (view_written_in_branch, (V3, 1.0)),
    (view_written_in_branch, (V3, -1.0)), (item_of_vector, (V3,)),
    (rows_walked, (A23,)), (rows_enumerated, (A23, V3)), (row_set_by_matmul, (A33, V3)),
    (row_set_by_dot_out, (A33, V3)), (row_set_by_dot_method, (A33, V3)),
    (zero_d_array_alias, (V3,)), (float64_alias, (V3,)),
    (helper_returns_a_view, (A33,)), (one_value_two_targets, (V3,)), (unpacked_twice, (V3,)),
    (over_a_list_of_arrays, (V3, W3)), (reversed_view_added, (V3,)), (overlapping_out, (V4,)),
    (rows_in_nested_loops, (A23,)), (view_read_across_loop, (V4,)),
    (transpose_sees_base_write, (A33,)),
    (row_view_then_base_rebound_in_branch, (A33,)),
    (row_view_then_base_rebound_in_branch, (-A33,)), (alias_then_branch_write, (A33,)),
    (alias_then_branch_write, (-A33,)), (transposes_written_then_loop, (A33,)),
    (same_array_two_names, (V3,)), (through_a_list, (V3,)), (through_a_dict, (V3,)),
    (list_sees_the_array, (V3,)), (helper_scales_argument, (V3,)),
    (helper_writes_views, (V3,)), (helper_appends, (V3,)), (helper_fills_dict, (V3,)),
    (helper_in_loop, (V3,)), (nested_def_writes_closure, (V3,)),
    (normalise_alias_break, (V3,)), (normalise_argument_break, (V3,)),
    (normalise_view_break, (V3,)), (normalise_while_break, (V3,)),
]


# ---- writes meeting the other constructs: run-time list indices, with, del, match ------
def list_item_replaced_at_run_time_index(x, i):
    a = [x, 2.0 * x]
    b = a                       # the same list: b sees the assignment
    a[i] = 3.0 * x
    return np.sum(b[0] * b[1])


def helper_writes_inside_with(x):
    y = x * 1.0
    with np.errstate(divide='ignore'):
        _scale_(y)
    return np.sum(y * x)


def view_written_inside_with(x):
    y = x * 1.0
    with np.errstate(all='ignore'):
        v = y[:2]
        v += 1.0
    return np.sum(y * y)


def out_in_one_branch(x):
    y = np.zeros(3)
    if x[0] > 0:
        np.multiply(x, x, out=y)
    return np.sum(y)


def written_in_branch_that_deletes(x):
    y = x * 2.0
    z = x + 1.0
    if np.sum(x) > 0:
        y[0] = 5.0 * x[1]
        del z
    else:
        y[1] = 3.0 * x[0]
    return np.sum(y * y)


def view_bound_by_walrus(x):
    y = x * 1.0
    if (v := y[1:]) is not None:
        pass
    v *= 2.0
    return np.sum(y * y)


def dict_items_scaled_by_key(x):
    d = {'a': x * 1.0, 'b': x * 2.0}
    for k in d:
        d[k] *= x
    return np.sum(d['a'] + d['b'])


def written_in_match_case(x):
    y = x * 1.0
    match x.shape:
        case (n,):
            y[0] = n * x[1]
    return np.sum(y * y)


def list_of_view_in_branch(x):
    y = x * 1.0
    lst = [y, x]
    if np.sum(x) > 0:
        lst[0][0] = 7.0 * x[1]
    else:
        lst = [x * 3.0, y]
    return np.sum(lst[0] * lst[1]) + np.sum(y)


CASES += [
    (list_item_replaced_at_run_time_index, (V3, 0)),
    (list_item_replaced_at_run_time_index, (V3, 1)),
    (helper_writes_inside_with, (V3,)), (view_written_inside_with, (V3,)),
    (out_in_one_branch, (V3,)), (out_in_one_branch, (-V3,)),
    (written_in_branch_that_deletes, (V3,)), (written_in_branch_that_deletes, (-V3,)),
    (view_bound_by_walrus, (V3,)), (dict_items_scaled_by_key, (V3,)),
    (written_in_match_case, (V3,)), (list_of_view_in_branch, (V3,)),
    (list_of_view_in_branch, (-V3,)),
]


def view_read_by_the_test_written_in_branch(x):
    y = x * 1.0
    v = y[1:]
    if np.sum(v) > 0.0:
        v *= 2.0
    return np.sum(y * y)


def view_bound_by_walrus_written_in_branch(x):
    y = x * 1.0
    if (v := y[1:]) is not None:
        v *= 2.0
    return np.sum(y * y)


CASES += [
    (view_read_by_the_test_written_in_branch, (V3,)),
    (view_read_by_the_test_written_in_branch, (-V3,)),
    (view_bound_by_walrus_written_in_branch, (V3,)),
]


def items_written_while_enumerated(x):
    y = x * 1.0
    s = 0.0
    for k, a in enumerate(y):
        y[k] = a * x[k]
        s = s + y[0]
    return s + np.sum(y)


def rows_written_while_enumerated(A, v):
    A = A * 1.0
    for k, r in enumerate(A):
        A[k] = r * v[k]
    return np.sum(A * A)


def items_written_while_zipped(x):
    y = x * 1.0
    s = 0.0
    for a, b in zip(y, x):
        y[0] = a * b
        s = s + y[0]
    return s + np.sum(y)


def item_carried_after_written(x):
    y = x * 1.0
    prev = y[0]
    for k in range(3):
        r = y[k]
        y[k] = r * x[k] + prev
        prev = r                # a scalar copy of the old item (1-d y)
    return np.sum(y) + prev


CASES += [
    (items_written_while_enumerated, (V3,)), (rows_written_while_enumerated, (A33, V3)),
    (items_written_while_zipped, (V3,)), (item_carried_after_written, (V3,)),
]


def row_carried_after_written(A, v):
    A = A * 1.0
    prev = A[0]
    for k in range(3):
        r = A[k]  # ERR
        A[k] = r * v[k] + prev
        prev = r                # a view: Python's prev shows the row just written
    return np.sum(A) + np.sum(prev)


def test_a_row_carried_after_its_array_is_written_is_refused_when_it_runs():
    with pytest.raises(ValueError, match='view') as info:
        sg.grad(row_carried_after_written)(A33, V3)
    assert any(f'{THIS_FILE}:{line_of(row_carried_after_written)}' in note
               for note in info.value.__notes__), info.value.__notes__


def last_row_read_after_the_loop(x):
    y = np.outer(x, x)
    for r in y:
        r *= 2.0
    return np.sum(y * y) + np.sum(r * x)


CASES += [(last_row_read_after_the_loop, (V3,))]


def _copies(args):
    return [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]


def _label(case):
    fn, args = case
    return fn.__name__ + ('' if not any(isinstance(a, float) for a in args)
                          else '-' + '-'.join(str(a) for a in args if isinstance(a, float)))


@pytest.mark.parametrize('fn, args', CASES, ids=[_label(c) for c in CASES])
def test_value_as_python(fn, args):
    want = fn(*_copies(args))
    got = sg.graph(fn)(*_copies(args))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('fn, args', CASES, ids=[_label(c) for c in CASES])
def test_gradient_against_central_differences(fn, args):
    wrt = tuple(i for i, a in enumerate(args) if isinstance(a, np.ndarray))
    check_grads(fn, *args, wrt=wrt, order=1)


@pytest.mark.parametrize('fn, args', [(out_sin, (V3,)), (fill_diagonal_scalar, (A33,)),
                                      (row_iadd, (A23, V3)), (helper_scales_argument, (V3,))])
def test_second_order(fn, args):
    check_grads(fn, *args, wrt=tuple(range(len(args))), order=2)


@sg.graph
def _graph_scales_argument(a):
    a *= 2.0
    return np.sum(a)


def calls_a_graph_function(x):
    y = x * 1.0
    s = _graph_scales_argument(y)     # a graph function writes into a copy
    return np.sum(y * y) + s


def test_a_graph_function_called_inside_keeps_its_arguments():
    want = calls_a_graph_function(V3.copy())
    np.testing.assert_allclose(sg.graph(calls_a_graph_function)(V3.copy()), want, rtol=1e-12)
    check_grads(calls_a_graph_function, V3, order=1)


def test_arguments_of_a_graph_function_are_not_written():
    """Python writes into the caller's array; the transformed function computes the same
    value and leaves the caller's array alone (docs/programs.md)."""
    x = V3.copy()
    want = normalise_argument_break(x.copy())
    got = sg.graph(normalise_argument_break)(x)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_array_equal(x, V3)


# ---- nothing that writes is dead code ------------------------------------------------------
def effect_result_unused(Q):
    Q = Q * 1.0
    np.fill_diagonal(Q, 0.0)
    np.multiply(Q, 2.0, out=Q)
    Q.sort()
    return np.sum(Q)


def test_no_effect_is_dropped():
    f = sg.graph(effect_result_unused)
    np.testing.assert_allclose(f(A33.copy()), effect_result_unused(A33.copy()), rtol=1e-12)
    ops = [op for op in walk(f.graph.body) if hasattr(op, 'prim')]
    assert sum(op.prim is prims.SETITEM for op in ops) == 2
    assert any(op.prim is np.sort for op in ops)
    for op in ops:      # every write is a functional form: nothing left for dead code to drop
        assert not effects.writes_argument(op.prim), op
        assert 'out' not in op.kwargs, op
    check_grads(effect_result_unused, A33, order=1)


def test_side_effect_table_lists_the_writers():
    for fn in (np.fill_diagonal, np.put, np.putmask, np.copyto, np.place, np.add.at,
               np.multiply.at, np.put_along_axis, np.random.shuffle):
        assert effects.writes_argument(fn), fn
    for name in ('sort', 'fill', 'put', 'partition', 'resize', 'setfield', 'itemset',
                 'byteswap', 'setflags'):
        assert name in effects.IN_PLACE_METHODS


# ---- refused at the user's line ----------------------------------------------------------------
G = np.ones(3)
GENERATOR = np.random.default_rng(0)
G2 = np.ones((2, 2))


def write_through_reshape(A):
    A = A * 1.0
    r = A.reshape(-1)
    r[0] = 5.0  # ERR
    return np.sum(A)


def write_through_one_operand_einsum(A):
    A = A * 1.0
    t = np.einsum('ij->ji', A)      # a view of A
    t[0, 1] = 5.0  # ERR
    return np.sum(A * A)


def write_through_ravel(A):
    A = A * 1.0
    r = A.ravel()
    r *= 2.0  # ERR
    return np.sum(A)


def write_through_real(z):
    z = z * 1.0
    r = z.real
    r[0] = 1.0  # ERR
    return np.sum(z)


def read_reshape_after_base_written(A):
    A = A * 1.0
    r = A.reshape(-1)
    A[0, 0] = 5.0
    return np.sum(r)  # ERR


def shuffle_in_place(a):
    c = a * 1.0
    np.random.shuffle(c)  # ERR
    return np.sum(c)


def generator_shuffle(a):
    c = a * 1.0
    GENERATOR.shuffle(c)  # ERR
    return np.sum(c)


def global_view_scaled(a):
    g = G[0:2]
    g *= 2.0  # ERR
    return np.sum(a) + np.sum(G)


def global_sorted(a):
    G.sort()  # ERR
    return np.sum(a * G)


def global_filled_diagonal(a):
    np.fill_diagonal(G2, 0.0)  # ERR
    return np.sum(a) + np.sum(G2)


def list_holding_a_written_array(x):
    hs = []
    h = x * 1.0
    for k in range(3):
        h = h * 2.0
        hs.append(h)  # ERR
        h *= 0.5
    return np.sum(np.stack(hs))


def put_along_axis_in_place(a):
    c = a * 1.0
    np.put_along_axis(c, np.array([0]), 1.0, axis=0)  # ERR
    return np.sum(c)


def resize_in_place(a):
    c = a * 1.0
    c.resize(2)  # ERR
    return np.sum(c)


def maximum_at(a, b):
    c = a * 1.0
    np.maximum.at(c, [0, 1], b)  # ERR
    return np.sum(c)


def out_with_where(a):
    c = np.zeros_like(a)
    np.sin(a, out=c, where=a > 0)  # ERR
    return np.sum(c)


def out_into_global(a):
    np.sin(a, out=G)  # ERR
    return np.sum(G)


def out_two_arrays(a):
    q = np.zeros_like(a)
    r = np.zeros_like(a)
    np.divmod(a, 2.0, out=(q, r))  # ERR
    return np.sum(q + r)


def alias_of_either_written(x):
    b = x[::-1] * 2.0
    z2 = b
    if np.sum(x) > 0.0:
        z2[:] = np.sin(z2)
    else:
        z2 = z2 * 1.0
    z2 *= 1.25  # ERR
    return np.sum(b * b) + np.sum(z2 * z2)


def view_of_either_written(x):
    b = x[::-1] * 2.0
    v1 = b.T
    b += 0.25
    if np.sum(x) > 0.0:
        b.fill(0.7)
    else:
        b = b * 1.0
    v1 *= 1.25  # ERR
    return np.sum(b * b) + np.sum(v1 * v1)


def one_of_two_arrays_written(a, c):
    x = a * 1.0
    y = a * 2.0
    z = x if c > 0 else y
    z *= 2.0  # ERR
    return np.sum(x + y)


def helper_writes_on_one_path_of_an_expression(x, c):
    y = x * 1.0
    s = np.sum(x) if c > 0 else _scale_(y)  # ERR
    return np.sum(y * y) + s


def list_stored_in_loop_shown_twice(x):
    a = [x, 2.0 * x]
    b = a
    for i in range(2):  # ERR
        a[i] = a[i] * 3.0
    return np.sum(b[0] + b[1])


def run_time_list_stored_in_loop_shown_twice(x):
    a = []
    for k in range(2):
        a.append(x * (k + 1.0))
    b = a
    for i in range(2):  # ERR
        a[i] = a[i] * 3.0
    return np.sum(b[0] + b[1])


def run_time_list_appended_in_loop_shown_twice(x):
    a = []
    for k in range(2):
        a.append(x * (k + 1.0))
    b = [a]
    for i in range(2):  # ERR
        a.append(a[i] * 3.0)
    return np.sum(b[0][-1])


def last_row_written_after_the_loop(x):
    y = np.outer(x, x)
    for r in y:
        pass
    r[0] = 5.0 * x[1]  # ERR
    return np.sum(y * y)


def last_row_written_by_out_after_the_loop(x):
    y = np.outer(x, x)
    for r in y:
        r *= 2.0
    np.multiply(r, 2.0, out=r)  # ERR
    return np.sum(y * y)


def last_row_augmented_after_the_loop(x):
    y = np.outer(x, x)
    for r in y:
        r *= 2.0
    r += 1.0  # ERR
    return np.sum(y * y)


REFUSED = [
    (write_through_reshape, (A23,), 'reshape'), (write_through_ravel, (A23,), 'ravel'),
    (write_through_real, (V3,), '.real'),
    (write_through_one_operand_einsum, (A33,), 'np.einsum of one operand'), (read_reshape_after_base_written, (A23,), 'reshape'),
    (shuffle_in_place, (V3,), 'shuffle'), (generator_shuffle, (V3,), 'shuffle'),
    (put_along_axis_in_place, (V3,), 'put_along_axis'),
    (resize_in_place, (V3,), 'resize'), (maximum_at, (V3, W3), 'maximum.at'),
    (out_with_where, (V3,), 'where='), (out_into_global, (V3,), 'global'),
    (out_two_arrays, (V3,), 'several'), (alias_of_either_written, (A33,), 'several'),
    (view_of_either_written, (A33,), 'several'), (global_view_scaled, (V3,), 'global'),
    (global_sorted, (V3,), 'global'), (global_filled_diagonal, (V3,), 'global'),
    (list_holding_a_written_array, (V3,), 'written at'), (one_of_two_arrays_written, (V3, 1.0), 'several'),
    (helper_writes_on_one_path_of_an_expression, (V3, 1.0), 'writes into its arguments'),
    (list_stored_in_loop_shown_twice, (V3,), "reachable as 'b'"),
    (run_time_list_stored_in_loop_shown_twice, (V3,), "reachable as 'b'"),
    (run_time_list_appended_in_loop_shown_twice, (V3,), "reachable as 'b'"),
    (last_row_written_after_the_loop, (V3,), 'loop variable'),
    (last_row_written_by_out_after_the_loop, (V3,), 'loop variable'),
    (last_row_augmented_after_the_loop, (V3,), 'loop variable'),
]


@pytest.mark.parametrize('fn, args, construct', REFUSED, ids=[c[0].__name__ for c in REFUSED])
def test_refused_at_the_line(fn, args, construct):
    with pytest.raises(sg.TransformError) as info:
        sg.graph(fn)(*_copies(args))
    err = info.value
    assert os.path.basename(err.filename) == THIS_FILE, err.filename
    assert err.lineno == line_of(fn), (err.lineno, str(err))
    assert construct in str(err), str(err)
