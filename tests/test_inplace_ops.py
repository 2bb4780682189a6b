"""Elementwise results written into a dead operand (`np.multiply(a, b, out=a)`).

A call's shape specialisation knows shapes and dtypes, and passes.inplace
lets an elementwise op reuse an operand's array when nothing can tell:
the array was made by the function in the same block, nothing reads it (or
an array sharing its memory) afterwards, and the result has its shape and
dtype.  Each case checks the gradient against central differences (and that
the arguments are unchanged) and, from the source that runs, where the
result went.
"""
import re

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads


N = 1024        # arrays of 8 KiB: results are written into arrays of 1 KiB or more


def running_source(grad, *args):
    grad(*args)
    (compiled,) = grad._for_shapes.values()
    return compiled.generated.source


def written_into(source):
    """The names whose arrays the source writes results into: `out=a`, and
    `y = a` followed by `y *= ...` (or `a *= ...` itself)."""
    names = set(re.findall(r'out=(\w+)\)', source))
    lines = source.split('\n')
    for line, after in zip(lines, lines[1:]):
        alias = re.fullmatch(r'\s*(\w+) = (\w+)', line)
        aug = re.fullmatch(r'\s*(\w+) (?:\+|-|\*|/|\*\*)= .*', after)
        if alias and aug and aug.group(1) == alias.group(1):
            names.add(alias.group(2))
    return names


def chain(w, x):
    t = np.tanh(w * x)
    return np.sum(t * t)


def test_a_dead_temporary_takes_the_result():
    w, x = np.linspace(-1.0, 1.0, N), np.linspace(0.5, 1.5, N)
    source = running_source(sg.grad(chain), w, x)
    assert written_into(source), source
    check_grads(chain, w, x, wrt=(0, 1), order=1)


def uses_argument(x):
    return np.sum(np.tanh(x) * x)


def test_an_argument_is_never_written():
    x = np.linspace(-1.0, 1.0, N)
    source = running_source(sg.grad(uses_argument), x)
    assert 'x' not in written_into(source), source
    check_grads(uses_argument, x, order=1)     # also: x unchanged


def read_later(x):
    t = np.tanh(x)
    u = t * 2.0
    return np.sum(u * t)


def test_a_value_read_later_is_not_written():
    x = np.linspace(-1.0, 1.0, N)
    source = running_source(sg.grad(read_later), x)
    assert 't' not in written_into(source.split('# ---- grad')[0]), source
    check_grads(read_later, x, order=1)


def through_view(x):
    a = x * 2.0
    b = a.T
    c = b * 3.0
    return np.sum(c * a.T)


def through_slice(x):
    a = x * 2.0
    b = a[1:]
    c = np.sin(b)
    return np.sum(c * b) + np.sum(a * a)     # b (a view of a) read by the adjoint


def through_slice_scaled(x):
    a = x * 2.0
    b = a[1:]
    c = b * 3.0
    return np.sum(c * b) + np.sum(a * a)     # (b's two terms are 2 * c: b is not read)


@pytest.mark.parametrize('fn', [through_view, through_slice])
def test_a_view_is_not_written(fn):
    x = np.linspace(-1.0, 1.0, N).reshape(32, -1)
    source = running_source(sg.grad(fn), x)
    assert not {'a', 'b'} & written_into(source), source
    check_grads(fn, x, order=1)


def test_an_array_whose_view_no_adjoint_reads_may_be_written():
    x = np.linspace(-1.0, 1.0, N).reshape(32, -1)
    source = running_source(sg.grad(through_slice_scaled), x)
    assert 'b' not in written_into(source) and 'c * 2' in source, source
    check_grads(through_slice_scaled, x, order=1)
    np.testing.assert_allclose(sg.grad(through_slice_scaled)(x), 8.0 * x + np.concatenate(
        [np.zeros((1, x.shape[1])), 24.0 * x[1:]]), rtol=1e-13)


def promotes(x, y):
    a = x * 2.0                 # float32
    b = a + y                   # float64 when y is: a cannot hold it
    return np.sum(b * b)


def test_a_result_of_another_dtype_is_not_written_into_the_operand():
    x = np.linspace(-1.0, 1.0, 2 * N).astype(np.float32)
    y = np.linspace(0.5, 1.5, 2 * N)
    source = running_source(sg.grad(promotes, wrt=(0, 1)), x, y)
    assert 'a' not in written_into(source), source
    dx, dy = sg.grad(promotes, wrt=(0, 1))(x, y)
    assert dx.dtype == np.float32 and dy.dtype == np.float64
    check_grads(promotes, x, y, wrt=(0, 1), order=1)


def test_a_result_of_the_same_dtype_is_written_into_the_operand():
    x = np.linspace(-1.0, 1.0, 2 * N).astype(np.float32)
    y = np.linspace(0.5, 1.5, 2 * N).astype(np.float32)
    source = running_source(sg.grad(promotes, wrt=(0, 1)), x, y)
    assert 'a' in written_into(source), source
    check_grads(promotes, x, y, wrt=(0, 1), order=1)


def broadcasts(x, m):
    a = x * 2.0                 # (n,)
    b = a + m                   # (k, n): a is too small to hold it
    return np.sum(np.sin(b))


def test_a_broadcast_result_is_not_written_into_the_smaller_operand():
    x = np.linspace(-1.0, 1.0, N)
    m = np.linspace(0.5, 1.5, 3 * N).reshape(3, N)
    source = running_source(sg.grad(broadcasts, wrt=(0, 1)), x, m)
    assert 'a' not in written_into(source), source
    check_grads(broadcasts, x, m, wrt=(0, 1), order=1)


def loop_reads_outer(x, n):
    a = x * 2.0
    s = x
    for _ in range(n):
        s = np.sin(s + a * s)       # a from before the loop: every iteration reads it
    return np.sum(s)


def loop_carries(x, n):
    h = x * 1.0
    for _ in range(n):
        t = np.tanh(h)              # saved on the tape for the adjoint
        h = t * 0.5 + h
    return np.sum(h * h)


@pytest.mark.parametrize('fn', [loop_reads_outer, loop_carries])
def test_loops(fn):
    x = np.linspace(-1.0, 1.0, N)
    source = running_source(sg.grad(fn), x, 4)
    assert not {'a', 't', 'h', 'h_1'} & written_into(source), source
    check_grads(fn, x, 4, order=1)


def branch_alias(x, flag):
    a = x * 2.0
    if flag:
        b = a               # b is a's array on this path
    else:
        b = x * 3.0
    c = a * 2.0             # a is dead after this, but b is not
    return np.sum(c * c) + np.sum(b * x)


@pytest.mark.parametrize('flag', [True, False])
def test_an_array_shared_by_a_branch_result_is_not_written(flag):
    x = np.linspace(-1.0, 1.0, N)
    source = running_source(sg.grad(branch_alias), x, flag)
    assert 'a' not in written_into(source), source
    check_grads(branch_alias, x, flag, order=1)


def folded_read(w):
    d = w * 3.0
    return np.sum(d * w) + np.sum(np.exp(-d * d))


def test_a_read_folded_into_a_later_expression_counts_where_it_is_written():
    # the adjoint computes -(d * w)-like terms folded into a later statement;
    # no write between may touch what they read
    w = np.linspace(-1.0, 1.0, N)
    check_grads(folded_read, w, order=1)


def outer_written(x, n):
    a = x * 2.0
    s = x * 0.0
    for _ in range(n):
        b = a + 1.0         # a is dead after this line, but the next iteration reads it
        s = s + b * b
    return np.sum(s)


def carried(x, n):
    h = x * 1.0
    s = x * 0.0
    for _ in range(n):
        a = h + 1.0
        b = a * 2.0         # a is dead after this line, but it is carried into h
        s = s + b
        h = a
    return np.sum(s * s)


@pytest.mark.parametrize('fn', [outer_written, carried])
def test_an_array_a_later_iteration_reads_is_not_written(fn):
    x = np.linspace(-1.0, 1.0, N)
    source = running_source(sg.grad(fn), x, 4)
    assert 'a' not in written_into(source), source
    check_grads(fn, x, 4, order=1)


def from_broadcast(x):
    b = np.broadcast_to(x * 2.0, (3, N))
    c = b * 3.0             # b is dead, but read-only: a stretched view of x * 2.0
    return np.sum(c * c)


def test_a_broadcast_view_is_not_written():
    x = np.linspace(-1.0, 1.0, N)
    source = running_source(sg.grad(from_broadcast), x)
    assert 'b' not in written_into(source), source
    check_grads(from_broadcast, x, order=1)


@pytest.mark.parametrize('index', [
    np.s_[:, None, :], np.s_[None], np.s_[1], np.s_[-1, 2:], np.s_[..., 0], np.s_[1:5:2, ..., None],
    np.s_[::-1, :, 1], np.s_[None, ..., None], np.s_[:0], np.s_[3:1]])
def test_shapes_of_constant_indexing_follow_numpy(index):
    from s2sgrad.analyses.shapes import ShapeClasses
    from s2sgrad.ir.nodes import Const, Pack, Slice, Value

    def operand(item):
        if isinstance(item, slice):
            return Slice(*(Const(p) for p in (item.start, item.stop, item.step)))
        return Const(item)

    x = np.zeros((5, 3, 4))
    items = index if isinstance(index, tuple) else (index,)
    v = Value('x')
    shape = ShapeClasses([], shapes={v: x.shape})._indexed(
        v, Pack('index', [operand(i) for i in items]))
    assert shape == x[index].shape


def indexed(x):
    d = x[:, None, :] - x[None, :, :]
    e = d[1:, ..., ::2] * 2.0
    return np.sum(np.sin(e) * e[..., None, 0])


def test_a_gradient_through_constant_indexing():
    x = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    check_grads(indexed, x, order=1)


def flipped(a):
    return np.flip(a)


def rotated(a):
    return np.rot90(a)


def diagonal_of(a):
    return np.diag(np.diag(a))


def first_half(a):
    return np.concatenate([np.split(a, 2)[0]] * 2)


def mirrored(a):
    return np.fliplr(np.flipud(a))


def transposed_by_einsum(a):
    return np.einsum('ij->ji', a)


def einsum_of_itself(a):
    return np.einsum('ij', a)


@pytest.mark.parametrize('view', [flipped, rotated, diagonal_of, first_half, mirrored,
                                  transposed_by_einsum, einsum_of_itself])
def test_no_result_is_written_into_an_array_a_view_of_it_still_reads(view):
    """b = np.flip(a) shares a's memory: exp(a) must not be written into a while b
    is still read (np.flip, np.rot90, np.diag, np.split are views in the records; so
    is np.einsum of one operand)."""
    def f(x):
        a = x * 2.0
        b = view(a)
        c = np.exp(a)
        return np.sum(b * c)

    x = np.linspace(0.0, 1.0, 64 * 64).reshape(64, 64)
    value, _ = sg.value_and_grad(f)(x)
    np.testing.assert_allclose(value, f(x), rtol=1e-12)
