"""Adjoint rewrites of gradients put together piece by piece, in a shape
specialisation (passes/peephole.py drives them):

* `_sg_written_grad(dy, i, v)`, the gradient of v in `x[i] = v`, is `dy[i]`
  where i is an int or a slice and v has the shape of `dy[i]`: nothing was
  broadcast and no place is written twice;
* the gradients of the slices of one array that tile it in order (an LSTM's
  gates: `gates[:n]`, `gates[n:2 * n]`, ...), each a `_sg_scatter_add` into
  zeros of the array's shape and summed, are `np.concatenate` of the slices'
  gradients: one new array instead of one per slice and one per sum.
"""
import numpy as np

from ..analyses.dtypes import Dtypes
from ..analyses.shapes import _stand_in
from ..ir import prims
from ..ir.nodes import Const, Op, Pack, Slice, Value, walk
from ..runtime import helpers
from .adjoint_ops import reader_map


def written_items(graph, lazy_shapes):
    """`_sg_written_grad(dy, i, v)` -> `dy[i]` where that has v's shape and i cannot
    name a place twice (an int or a slice)."""
    for op in walk(graph.body):
        if not (isinstance(op, Op) and op.adjoint is not None and
                op.prim is helpers._sg_written_grad and len(op.args) == 3 and not op.kwargs):
            continue
        dy, index, value = op.args
        shapes = lazy_shapes.get()
        item = _item_shape(shapes, dy, index)
        if item is not None and isinstance(value, Value) and shapes.shape_of(value) == item:
            op.prim, op.args, op.style = prims.GETITEM, [dy, index], ('subscript',)
            lazy_shapes.forget()        # (dy[i] has a known shape: its readers' too)


def tiled_slices(graph, lazy_shapes, samples):
    """A sum of `_sg_scatter_add(g_k, x, s_k)` (each read by the sum alone) whose
    slices s_k tile the 1-D x in order, each g_k of its slice's shape and of x's
    dtype: `np.concatenate((g_1, ..., g_n))`."""
    uses = None
    dtypes = None
    for op in walk(graph.body):
        if not (isinstance(op, Op) and op.adjoint is not None and op.prim in _SUMS and
                len(op.args) == 2 and not op.kwargs):
            continue
        if uses is None:
            uses = reader_map(graph)
        leaves = _scattered_terms(op, uses, _producers(graph))
        if leaves is None or len(leaves) < 2:
            continue
        shapes = lazy_shapes.get()
        x = leaves[0].args[1]
        shape = shapes.shape_of(x) if isinstance(x, Value) else None
        if shape is None or len(shape) != 1 or any(leaf.args[1] is not x for leaf in leaves):
            continue
        bounds = [_bounds(shapes, leaf.args[2], shape[0]) for leaf in leaves]
        if any(b is None for b in bounds):
            continue
        order = sorted(range(len(leaves)), key=lambda k: bounds[k][0])
        ends = [0] + [bounds[k][1] for k in order]
        if any(bounds[k][0] != ends[j] for j, k in enumerate(order)) or ends[-1] != shape[0]:
            continue
        if not all(isinstance(leaf.args[0], Value) and
                   shapes.shape_of(leaf.args[0]) == (b[1] - b[0],)
                   for leaf, b in zip(leaves, bounds)):
            continue
        if dtypes is None:
            dtypes = Dtypes(graph.body.ops, samples)
        if not _same_dtype(dtypes, x, [leaf.args[0] for leaf in leaves]):
            continue
        op.prim, op.style, op.kwargs = np.concatenate, 'call', {}
        op.args = [Pack('tuple', [leaves[k].args[0] for k in order])]
        uses = None             # (the terms are dead code now)


_SUMS = (helpers._sg_accumulate, np.add)


def _producers(graph):
    return {op.output: op for op in walk(graph.body)
            if isinstance(op, Op) and op.adjoint is not None and len(op.outputs) == 1}


def _scattered_terms(op, uses, producers):
    """The `_sg_scatter_add` ops a tree of two-operand sums adds up, each term and
    inner sum read by its sum alone; None if a term is anything else."""
    terms = []
    for arg in op.args:
        inner = producers.get(arg) if isinstance(arg, Value) else None
        if inner is None or uses.get(arg) != [op]:
            return None
        if inner.prim is helpers._sg_scatter_add and len(inner.args) == 3 and \
                not inner.kwargs:
            terms.append(inner)
        elif inner.prim in _SUMS and len(inner.args) == 2 and not inner.kwargs:
            more = _scattered_terms(inner, uses, producers)
            if more is None:
                return None
            terms += more
        else:
            return None
    return terms


def _bounds(shapes, index, n):
    """(start, stop) of a slice of step 1 of a length-n axis, known here, or None."""
    if isinstance(index, Const) and type(index.value) is slice:
        parts = [index.value.start, index.value.stop, index.value.step]
    elif isinstance(index, Slice):
        parts = []
        for p in (index.start, index.stop, index.step):
            if isinstance(p, Const) and p.value is None:
                parts.append(None)
            elif shapes.size_value(p) is not None:
                parts.append(shapes.size_value(p))
            else:
                return None
    else:
        return None
    if not all(p is None or type(p) is int for p in parts) or parts[2] not in (None, 1):
        return None
    start, stop, _ = slice(*parts).indices(n)
    return (start, max(start, stop))


def _item_shape(shapes, dy, index):
    """The shape of `dy[index]` for an int or a slice known here, or None."""
    shape = shapes.shape_of(dy) if isinstance(dy, Value) else None
    if not shape:
        return None
    if shapes.is_integer(index):
        example = 0
    else:
        bounds = _bounds(shapes, index, shape[0])
        if bounds is None:
            return None
        example = slice(*bounds)
    return _stand_in(shape)[example].shape


def _same_dtype(dtypes, x, terms):
    """Does the concatenation of `terms` have the dtype of their sum into zeros of x's,
    np.result_type(x, *terms)?  Where every dtype is known, when they are one; else
    where x is float64 and each term one of unknown dtype, float64 or complex128: a
    gradient of a float64 value is never narrower (its seeds and every rule's
    factors promote to float64 at least)."""
    kinds = [dtypes.dtype(v) for v in terms]
    mine = dtypes.dtype(x)
    if mine is not None and all(k == mine for k in kinds):
        return True
    return mine == np.float64 and all(k is None or k in _WIDE for k in kinds)


_WIDE = (np.dtype(np.float64), np.dtype(np.complex128))
