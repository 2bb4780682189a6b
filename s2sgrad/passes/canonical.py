"""One spelling for one computation: the forward code of a shape specialisation,
before the AD sees it.

Where a call's specialisation knows the operands' shapes and dtypes, several
spellings of one computation are the same numbers, and writing them one way
lets the AD, the peepholes and codegen treat them as one (same rules, same
products, same fast code):

* `np.dot(a, b)`, `a.dot(b)` and `np.matmul(a, b)` of vectors and matrices
  (ranks 1 and 2 known): `a @ b`.  np.dot of higher ranks contracts other axes
  than matmul (and of a 0-d operand is a product): kept.
* `x.shape[0]` of an array (rank 1 or more): `len(x)`.
* `x ** 2` and `np.square(x)` of a float array: `x * x`, which NumPy computes
  the same way (its power by 2 is the square) and which a person writes.
  (Python and NumPy scalars are left alone: their power is C's `pow`.)
* `for x in xs` of an array: walks xs itself, not what `_sg_iterable(xs)`
  returns (which asks at run time whether xs is a dict).
* a reduction of an array of known rank: its axis by name and non-negative
  (`np.max(z, -1)`: `np.max(z, axis=1)`), no `keepdims=False`; and where its
  result is put back by a new axis where the reduced one was (`m[:, None]`,
  `np.expand_dims(m, 1)`, `np.log(s)[:, None]`), computed with `keepdims=True`:
  one form for the rules and for the max shift of a softmax (ad/invariance.py).
"""
import numpy as np

from ..analyses.dtypes import Dtypes
from ..ir import prims
from ..ir.nodes import Const, Op, Pack, Value, blocks_in, values_in, walk
from ..ir.primitives import axis_operand, elementwise, info
from ..runtime import helpers


def respell(body, shapes, samples, outputs):
    """Rewrite the ops of `body` (the forward code, before the AD) to the one
    spelling of what they compute; `shapes` (a ShapeClasses of them, kept up to
    date) and `samples` (the specialisation's dtype samples) say what is known;
    `outputs`: the values the function returns."""
    dtypes = Dtypes(body.ops, samples or {})

    def float_array(x):
        dtype = dtypes.dtype(x)
        return bool(_rank(x, shapes)) and dtype is not None and dtype.kind == 'f'

    for op in walk(body):
        if isinstance(op, Op) and not op.kwargs:
            _respell_op(op, shapes, float_array)
    _respell_reductions(body, shapes, outputs)
    _iterate_arrays(body, shapes)


def _iterate_arrays(body, shapes):
    """`_sg_iterable(xs)` of an array (its shape known) is xs."""
    plain = {}
    for block in blocks_in(body):
        for op in list(block.ops):
            if isinstance(op, Op) and op.prim is helpers._sg_iterable and \
                    _rank(op.args[0], shapes):
                plain[op.outputs[0]] = op.args[0]
                block.ops.remove(op)
    if plain:
        for op in body.ops:
            op.replace_inputs(lambda v: plain.get(v, v))


def _respell_op(op, shapes, float_array):
    """Respell `op` in place."""
    length = _length_of(op, shapes)
    if length is not None:
        _become(op, len, [length], 'call')
        return
    if info(op.prim).family == 'matmul' and len(op.args) == 2 and \
            all(_rank(a, shapes) in (1, 2) for a in op.args):
        _become(op, np.matmul, op.args, ('operator', '@'))
        return
    square = _squared(op)
    if square is not None and float_array(square):
        _become(op, np.multiply, [square, square], ('operator', '*'))


def _become(op, prim, args, style):
    """Make `op` a call of `prim`; a temporary's name follows (`_matmul`, not `_dot`)."""
    out = op.outputs[0]
    if out.temp and out.hint == '_' + getattr(op.prim, '__name__', ''):
        out.hint = '_' + prim.__name__
    op.prim, op.args, op.style = prim, list(args), style


def _rank(operand, shapes):
    """The number of dimensions of an array operand whose shape is known, else None
    (a known non-empty shape is an ndarray's: specialisations know arrays' shapes,
    and a constant's is its own, watched by the guards)."""
    shape = shapes.shape_of(operand) if isinstance(operand, (Value, Const)) else None
    return len(shape) if shape is not None else None


def _length_of(op, shapes):
    """x for `x.shape[0]` of an array x of rank 1 or more (`len(x)`), else None."""
    if op.prim is not prims.GETITEM or len(op.args) != 2 or \
            not isinstance(op.args[1], Const) or type(op.args[1].value) is not int or \
            op.args[1].value != 0:
        return None
    x = shapes.shape_index.get(op.args[0])
    return x if isinstance(x, Value) and _rank(x, shapes) else None


def _squared(op):
    """x for `x ** 2` or `np.square(x)` of a value x, else None."""
    if op.prim is np.square and len(op.args) == 1:
        (x,) = op.args
    elif op.prim is np.power and len(op.args) == 2 and isinstance(op.args[1], Const) and \
            type(op.args[1].value) in (int, float) and op.args[1].value == 2:
        x = op.args[0]
    else:
        return None
    return x if isinstance(x, Value) else None


# ---------------------------------------------------------------- reductions

def _respell_reductions(body, shapes, outputs):
    """The reductions' one spelling (the module's docstring)."""
    for op in walk(body):
        if isinstance(op, Op) and info(op.prim).reduction == 'axis':
            _normalise_axis(op, shapes)
    readers = _readers(body, outputs)
    for block in blocks_in(body):
        producers = {op.outputs[0]: op for op in block.ops
                     if isinstance(op, Op) and len(op.outputs) == 1}
        for expansion in [op for op in block.ops if isinstance(op, Op)]:
            _keep_reduced_axis(expansion, block, producers, readers, shapes)


def _normalise_axis(op, shapes):
    """`np.sum(x, -1, keepdims=False)`: `np.sum(x, axis=1)` (x's rank known)."""
    axis, keep = axis_operand(op), op.kwargs.get('keepdims', Const(False))
    rank = _rank(op.args[0], shapes) if op.args else None
    if rank is None or len(op.args) > 2 or set(op.kwargs) - {'axis', 'keepdims'} or \
            len(op.args) == 2 and 'axis' in op.kwargs or \
            not (isinstance(axis, Const) and isinstance(keep, Const)) or \
            type(keep.value) is not bool:
        return
    axes = _axes(axis.value, rank)
    if axes is None:
        return
    kwargs = {} if axes == 'all' else {'axis': Const(axes)}
    op.args, op.kwargs = op.args[:1], {**kwargs, **({'keepdims': keep} if keep.value else {})}


def _axes(axis, rank):
    """A reduction's axis in its one spelling: a non-negative int, a sorted tuple of
    them, or 'all' (None); None where it is not a valid constant axis."""
    if axis is None:
        return 'all'
    parts = axis if type(axis) is tuple else (axis,)
    if not parts or not all(type(a) is int and -rank <= a < rank for a in parts) or \
            len({a % rank for a in parts}) != len(parts):
        return None
    return tuple(sorted(a % rank for a in parts)) if type(axis) is tuple else axis % rank


def _readers(body, outputs):
    """value -> how many times it is read; a region's or an output's read counts twice
    (never the only reader)."""
    counts = {}
    for op in walk(body):
        if isinstance(op, Op):
            reads = [v for operand in op.operands() for v in values_in(operand)]
        else:
            reads = 2 * list(op.inputs())
        for v in reads:
            counts[v] = counts.get(v, 0) + 1
    for v in outputs:
        counts[v] = counts.get(v, 0) + 2
    return counts


def _keep_reduced_axis(op, block, producers, readers, shapes):
    """`expansion = e(x)[:, None]` of `x = reduce(z, axis=1)` (through elementwise ops
    of x alone, each read only on that way): the reduction keeps its dims, each
    elementwise op computes its (n, 1) result, and the expansion becomes the last
    of them (a reduction or an elementwise op)."""
    found = _new_axis(op, shapes)
    if found is None:
        return
    value, axis = found
    top = producers.get(value)
    chain = _sinkable(value, axis, producers, readers, shapes)
    if chain is None or any(not isinstance(between, Op) or info(between.prim).writes or
                            info(between.prim).effect
                            for between in block.ops[block.ops.index(top) + 1:
                                                     block.ops.index(op)]):
        return
    for inner in chain:
        _keep_dims(inner)
    out = op.outputs[0]
    op.prim, op.args, op.kwargs, op.style = top.prim, top.args, top.kwargs, top.style
    if out.temp:
        out.hint, out.temp = value.hint, value.temp
    block.ops.remove(top)
    del producers[value]
    shapes.add([inner for inner in reversed(chain) if inner is not top] + [op])


def _keep_dims(op):
    if info(op.prim).reduction == 'axis':
        op.kwargs = {**op.kwargs, 'keepdims': Const(True)}


def _sinkable(value, axis, producers, readers, shapes):
    """The ops computing `value` from reductions over `axis` that would give it with a
    unit axis there (each read only once, on the way), top first; None if none can."""
    op = producers.get(value)
    if op is None or readers.get(value, 0) != 1:
        return None
    if info(op.prim).reduction == 'axis':
        kept = op.kwargs.get('axis')
        return [op] if set(op.kwargs) == {'axis'} and kept is not None and \
            kept.value == axis else None
    if not elementwise(op):
        return None
    rank = _rank(value, shapes)
    chain = [op]
    for arg in dict.fromkeys(op.args):
        if isinstance(arg, Value) and _rank(arg, shapes) == rank:
            inner = _sinkable(arg, axis, producers, readers, shapes)
            if inner is None:
                return None
            chain += inner
        elif not _rank(arg, shapes) == 0:
            return None
    return chain


def _new_axis(op, shapes):
    """(x, k) where `op` is x with a new unit axis at position k of its result:
    `x[:, None]`, `x[..., None]`, `np.expand_dims(x, k)`, `x.reshape(-1, 1)`."""
    if not op.args or not isinstance(op.args[0], Value) or op.kwargs or len(op.args) != 2:
        return None
    x, how = op.args
    rank = _rank(x, shapes)
    if isinstance(how, Pack) and how.kind == 'index' and \
            all(isinstance(part, Const) for part in how.items):
        how = Const(tuple(part.value for part in how.items))
    if rank is None or not isinstance(how, Const):
        return None
    if op.prim is prims.GETITEM:
        return _index_new_axis(x, how.value, rank)
    if op.prim is np.expand_dims and type(how.value) is int and -rank - 1 <= how.value <= rank:
        return x, how.value % (rank + 1)
    if op.prim is np.reshape and rank == 1 and type(how.value) is tuple and \
            how.value in ((-1, 1), (1, -1)):
        return x, how.value.index(1)
    return None


def _index_new_axis(x, index, rank):
    """`x[:, None]`, `x[None]`, `x[..., None]`: (x, position of the new axis)."""
    parts = index if type(index) is tuple else (index,)
    if not all(p is None or p is Ellipsis or type(p) is slice and p == slice(None)
               for p in parts) or parts.count(None) != 1 or parts.count(Ellipsis) > 1:
        return None
    if Ellipsis in parts:
        before = parts.index(Ellipsis)
        after = len(parts) - before - 1
        spread = rank - (after - 1) - before          # axes the ellipsis stands for
        if spread < 0:
            return None
        parts = parts[:before] + (slice(None),) * spread + parts[before + 1:]
    if len(parts) - 1 > rank:
        return None
    return x, parts.index(None)
