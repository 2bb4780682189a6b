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

from ..analyses.dtypes import Dtypes, may_be_complex
from ..analyses.shapes import _stand_in
from ..ir import prims
from ..ir.nodes import Const, Op, Pack, Slice, Value, blocks_in, walk
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


def added_at_items(graph, lazy_shapes, samples):
    """A sum of one gradient `a` and `_sg_scatter_add(g_k, x, i_k)` terms (each read by
    the sum alone; `a += ...` too), a and x of one known shape, each i_k an int or
    a slice of the first axis and g_k of x[i_k]'s shape: `a[i_k] = a[i_k] + g_k`
    in turn, new versions of a that the in-place pass writes into a itself where
    nothing reads it after (a loop's accumulated gradient: one add in place
    instead of zeros, a write and an add of the whole array per term).  Only for
    float64 arrays and terms: the write keeps a's dtype, which must be the sum's (a
    term of unknown dtype only where the function makes no complex value)."""
    dtypes = None
    real = not may_be_complex(graph, samples)   # (no value of unknown dtype is complex)
    for block in list(blocks_in(graph.body)):
        k = 0
        while k < len(block.ops):
            op = block.ops[k]
            if not (isinstance(op, Op) and op.adjoint is not None and len(op.args) == 2 and
                    op.prim in _SUMS + (prims.INPLACE_ADD,)):
                k += 1
                continue
            dtypes = dtypes or Dtypes(graph.body.ops, samples)
            made = _added_at(op, reader_map(graph), _producers(graph), lazy_shapes.get(),
                             dtypes, real)
            if made is None:
                k += 1
                continue
            block.ops[k:k + 1] = made
            k += len(made)
            lazy_shapes.forget()        # (the new versions: their shapes and dtypes)
            dtypes = None


def _added_at(op, uses, producers, shapes, dtypes, real):
    """The ops that replace the sum `op` (its output the last one's), or None."""
    if not (op.adjoint is not None and op.prim in _SUMS + (prims.INPLACE_ADD,) and
            len(op.args) == 2 and not op.kwargs):
        return None
    leaves = _sum_leaves(op, uses, producers)
    scatters = [t for t in leaves if isinstance(t, Op)]
    bases = [t for t in leaves if not isinstance(t, Op)]
    if len(bases) != 1 or not scatters or not isinstance(bases[0], Value):
        return None
    base = bases[0]
    shape = shapes.shape_of(base)
    if not shape or dtypes.dtype(base) != np.float64:
        return None
    for term in scatters:
        g, x, index = term.args
        if not (isinstance(x, Value) and shapes.shape_of(x) == shape and isinstance(g, Value)
                and shapes.shape_of(g) == _item_shape(shapes, x, index) is not None and
                (dtypes.dtype(g) == np.float64 or dtypes.dtype(g) is None and real) and
                (dtypes.dtype(x) is None or dtypes.dtype(x).kind == 'f')):
            return None
    made, version = [], base
    for k, term in enumerate(scatters):
        g, _, index = term.args
        item = Value('_item', op.origin, temp=True)
        total = Value('_item', op.origin, temp=True)
        new = op.output if k == len(scatters) - 1 else Value(base.hint, op.origin, temp=False)
        made += [Op(prims.GETITEM, [version, index], {}, [item], op.origin, ('subscript',),
                    op.adjoint),
                 Op(np.add, [item, g], {}, [total], op.origin, ('operator', '+'), op.adjoint),
                 Op(prims.SETITEM, [version, index, total], {}, [new], op.origin,
                    ('setitem',), op.adjoint)]
        version = new
    return made


def _sum_leaves(op, uses, producers):
    """The terms a tree of two-operand sums adds up: scatter ops read by their sum
    alone, and other operands (Values; inner sums read by their sum alone opened)."""
    leaves = []
    for k, arg in enumerate(op.args):
        inner = producers.get(arg) if isinstance(arg, Value) else None
        alone = inner is not None and uses.get(arg) == [op]
        if alone and inner.prim is helpers._sg_scatter_add and len(inner.args) == 3 and \
                not inner.kwargs:
            leaves.append(inner)
        elif alone and inner.prim in _SUMS and len(inner.args) == 2 and not inner.kwargs and \
                not (op.prim is prims.INPLACE_ADD and k == 0):
            leaves += _sum_leaves(inner, uses, producers)
        else:
            leaves.append(arg)
    return leaves


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
