"""Adjoint rewrites that need a shape specialisation (its shapes, and for some its
dtype samples): reductions written as methods, zeros of arrays, a kept-dims sum
reshaped back written as the plain sum, a big array's sum over middle axes by
np.einsum, `np.expand_dims` as an index, and sg.grad's casts of returned
gradients dropped where they would change nothing (passes/peephole.py drives
these in order)."""
import math
import string

import numpy as np

from ..analyses.dtypes import Dtypes
from ..ir import prims
from ..ir.primitives import info
from ..ir.nodes import Const, Op, Value, blocks_in, walk
from ..runtime import helpers, tangents
from .adjoint_ops import (adjoint_calls, adjoint_producers, apply_renames, definitions, name_as,
                          owned, style_of)


def method_reductions(graph, lazy_shapes):
    """In a shape specialisation, `np.max(z, axis=1)` of an array known to be one
    (its shape is known) is written `z.max(axis=1)`: same reduction, less overhead
    (NumPy's reduction functions go through a Python-level dispatch, fromnumeric,
    that costs about a microsecond; `method` in ir/primitives.py names the method)."""
    for op in walk(graph.body):
        if not (isinstance(op, Op) and info(op.prim).method is not None and op.args and
                isinstance(op.args[0], Value) and set(op.kwargs) <= _METHOD_KEYWORDS and
                style_of(op) == 'call'):
            continue
        shape = lazy_shapes.get().shape_of(op.args[0])
        if shape:                   # (a non-empty shape: an ndarray, not a number)
            op.style = ('method', info(op.prim).method)


# the zeros a gradient or a tangent starts from (of any structure)
ZEROS_HELPERS = (helpers._sg_zeros_like, tangents._sg_zero_tangent)


def array_zeros(graph, lazy_shapes, samples):
    """In a shape specialisation, the zeros a gradient or tangent starts from, of an array known
    to be one (a non-empty shape), are `np.zeros_like(x)`, and of a Python float
    argument `0.0`: no helper asking its type."""
    floats = {}
    for op in walk(graph.body):
        if not (isinstance(op, Op) and op.prim in ZEROS_HELPERS and
                isinstance(op.args[0], Value)):
            continue
        if lazy_shapes.get().shape_of(op.args[0]):
            op.prim = np.zeros_like
        elif samples is not None and type(samples.get(op.args[0])) is float:
            floats[op.output] = Const(0.0)
    apply_renames(graph, floats)


def plain_broadcasts(graph, lazy_shapes):
    """Forward mode's `_sg_broadcast_like(t, y)` where the specialisation knows t has
    y's shape already: t itself (as the helper would return)."""
    same = {}
    for op in walk(graph.body):
        if isinstance(op, Op) and op.prim is helpers._sg_broadcast_like and \
                all(isinstance(a, Value) for a in op.args):
            shape = lazy_shapes.get().shape_of(op.args[0])
            if isinstance(shape, tuple) and shape == lazy_shapes.get().shape_of(op.args[1]):
                same[op.output] = op.args[0]
    apply_renames(graph, same)


def plain_returns(graph, samples, lazy_shapes):
    """sg.grad's `_sg_cast_like(d, x)` (ad/reverse.py) where the specialisation knows
    x: `d` itself where the cast would return it unchanged (x an array of rank 1 or
    more, d surely a new array of x's shape and dtype -- an unknown dtype is x's
    only where no value can be complex), `float(d)` for a Python
    float x and a real d, `np.zeros_like(x)` / `0.0` where x has no gradient."""
    casts = adjoint_calls(graph, helpers._sg_cast_like)
    if not casts:
        return
    dtypes = Dtypes(graph.body.ops, samples)
    defs = definitions(graph)
    # (ad/reverse.py checks the outputs where the function may make complex values:
    # a complex gradient of a real x must then be cast to x's real dtype)
    may_be_complex = bool(adjoint_calls(graph, helpers._sg_check_output))
    renamed = {}
    for op in casts:
        d, x = op.args
        kind = type(dtypes.sample(x))     # (a leaf read from a container: its own)
        if kind is float:
            if isinstance(d, Const) and d.value is None:
                renamed[op.output] = Const(0.0)
            elif _real(dtypes.sample(d)):
                op.prim, op.args, op.style = float, [d], 'call'
        elif kind is np.ndarray and lazy_shapes.get().shape_of(x):
            if isinstance(d, Const) and d.value is None:
                op.prim, op.args, op.style = np.zeros_like, [x], 'call'
            elif isinstance(d, Value) and lazy_shapes.get().same(d, x) and \
                    (dtypes.dtype(d) is not None or not may_be_complex) and \
                    dtypes.dtype(d) == dtypes.dtype(x) and \
                    _dtype_exact(dtypes.dtype(x), samples) and owned(d, defs):
                renamed[op.output] = d
                _take_gradient_name(d, op.output.hint)
    apply_renames(graph, renamed)


def _take_gradient_name(d, name):
    """A returned gradient `dw_1` (a term, named apart from the sum `dw` the cast read)
    is named `dw` where the cast goes."""
    base, _, suffix = (d.hint or '').rpartition('_')
    if d.temp or (base == name and suffix.isdigit()):
        d.hint, d.temp = name, False


def _real(sample):
    """Is a dtype sample (analyses.dtypes) surely of a real number?"""
    return sample is not None and not isinstance(sample, tuple) and \
        np.issubdtype(np.asarray(sample).dtype, np.number) and \
        not np.issubdtype(np.asarray(sample).dtype, np.complexfloating)


def _dtype_exact(dtype, samples):
    """Is a value predicted to have `dtype` surely of it?  A prediction may be wider
    than the value (a Python scalar is predicted a NumPy one), never narrower, so
    a narrower value would need a narrower array: none is an argument (arrays of
    the platform's integer or of bools promote as a NumPy scalar would)."""
    return all(s.dtype in (dtype, np.dtype(np.int_), np.dtype(bool))
               for s in samples.values() if isinstance(s, np.ndarray))


def expand_dims_as_index(graph, lazy_shapes):
    """In a shape specialisation, a rule's `np.expand_dims(g, k)` of an array of known
    rank is written as NumPy users write it: `g[..., None]`, `g[:, None]`, `g[None]`
    (the same view, and no Python-level call)."""
    for op in walk(graph.body):
        if not (isinstance(op, Op) and op.adjoint is not None and op.prim is np.expand_dims
                and len(op.args) == 2 and not op.kwargs and isinstance(op.args[1], Const)
                and type(op.args[1].value) is int and isinstance(op.args[0], Value)):
            continue
        shape = lazy_shapes.get().shape_of(op.args[0])
        if not shape or not -len(shape) - 1 <= op.args[1].value <= len(shape):
            continue
        k = op.args[1].value % (len(shape) + 1)
        index = None if k == 0 else (Ellipsis, None) if k == len(shape) else \
            (slice(None),) * k + (None,)
        op.prim, op.args, op.style = prims.GETITEM, [op.args[0], Const(index)], ('subscript',)


def squeeze_kept_sums(graph, lazy_shapes, uses):
    """`np.reshape(d.sum(axis=1, keepdims=True), np.shape(x))` (a sum back to the shape
    of `x[:, None]`, then the reshape that is `x[:, None]`'s own gradient; a
    negation may stand between) where x's shape is the sum's without the kept
    axes: `d.sum(axis=1)`."""
    producers = adjoint_producers(graph)
    renamed = {}
    for op in walk(graph.body):
        if not (isinstance(op, Op) and op.adjoint is not None and op.prim is np.reshape and
                len(op.args) == 2 and not op.kwargs and op.args[0] in producers):
            continue
        chain = [op, producers[op.args[0]]]
        if chain[-1].prim is np.negative and len(chain[-1].args) == 1 and \
                chain[-1].args[0] in producers:
            chain.append(producers[chain[-1].args[0]])
        total = chain[-1]
        if not (total.prim is np.sum and len(total.args) == 1 and
                set(total.kwargs) == {'axis', 'keepdims'} and
                _constant(total.kwargs['keepdims']) is True and
                all(uses.get(inner.output) == [outer] for outer, inner in zip(chain, chain[1:]))):
            continue
        shapes = lazy_shapes.get()
        kept, target = shapes.shape_of(total.output), shapes.shape_of(op.output)
        axes = _axes(total.kwargs['axis'], kept)
        if kept is None or target is None or axes is None or \
                tuple(n for k, n in enumerate(kept) if k not in axes) != tuple(target):
            continue
        del total.kwargs['keepdims']
        _move_to(graph, chain[:0:-1], op)       # (computed where the reshape was)
        renamed[op.output] = op.args[0]
        name_as(op.args[0], op.output)
    if renamed:
        apply_renames(graph, renamed)
        lazy_shapes.forget()


def _move_to(graph, ops, place):
    """Move `ops` (in order) to where `place` is, when all are in its block."""
    for block in blocks_in(graph.body):
        if place in block.ops and all(op in block.ops for op in ops):
            rest = [op for op in block.ops if op not in ops]
            at = rest.index(place)
            block.ops = rest[:at] + list(ops) + rest[at:]
            return


def middle_sums_by_einsum(graph, lazy_shapes, samples):
    """In a shape specialisation, `d.sum(axis=1)` of a big float array of 3 or more
    dimensions whose last axis is kept: `np.einsum('ijk->ik', d)`, the same sum.
    NumPy's reduction runs its innermost loop along the kept trailing axes, once
    for every other element: where they are short (the (N, N, 3) differences of a
    pairwise energy) that is 4-8x slower than einsum's, and it is never faster.
    (A sum over leading axes is as fast as einsum's; one over the last axis is
    pairwise, more accurate: both kept.)"""
    dtypes = None
    for op in walk(graph.body):
        if not (isinstance(op, Op) and op.adjoint is not None and op.prim is np.sum and
                len(op.args) == 1 and isinstance(op.args[0], Value) and
                set(op.kwargs) == {'axis'}):
            continue
        shape = lazy_shapes.get().shape_of(op.args[0])
        axes = _axes(op.kwargs['axis'], shape)
        if axes is None or len(shape) < 3 or len(shape) - 1 in axes or \
                axes == set(range(len(axes))) or math.prod(shape) < _EINSUM_SUM_SIZE:
            continue
        dtypes = dtypes or Dtypes(graph.body.ops, samples or {})
        dtype = dtypes.dtype(op.args[0])
        if dtype is None or dtype.kind not in 'fc':
            continue                    # (einsum does not widen small integers)
        labels = _LABELS[:len(shape)]
        kept = ''.join(c for k, c in enumerate(labels) if k not in axes)
        op.prim, op.args, op.kwargs = np.einsum, [Const(f'{labels}->{kept}'), op.args[0]], {}
        op.style = ('call', None)


_LABELS = string.ascii_lowercase[8:] + string.ascii_lowercase[:8] + string.ascii_uppercase


# An array of fewer elements is summed by np.sum: einsum's call costs more.
_EINSUM_SUM_SIZE = 4096


def _axes(axis, shape):
    """The set of non-negative axes a constant `axis` (an int or a tuple) names in an
    array of `shape`, or None."""
    value = _constant(axis)
    value = (value,) if type(value) is int else value
    if shape is None or not isinstance(value, tuple) or \
            not all(type(a) is int and -len(shape) <= a < len(shape) for a in value):
        return None
    return {a % len(shape) for a in value}


def _constant(operand):
    return operand.value if isinstance(operand, Const) else None


# the keywords every reduction method takes as its function does (np.var's
# `correction` and `mean` are the function's only)
_METHOD_KEYWORDS = {'axis', 'keepdims', 'dtype', 'ddof'}
