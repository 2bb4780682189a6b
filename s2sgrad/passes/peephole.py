"""Peephole rewrites of the adjoint code that rules cannot see from where they stand.

A rule writes its gradient without knowing who reads it, so some of what it
writes is only needed in general:

* `np.broadcast_to(g, shape) * x`: the sum rule broadcasts its gradient to the
  summed value's shape; when every reader is an elementwise op whose other
  operand already has that shape, NumPy broadcasts `g` by itself, and the
  broadcast view (and its Python call) goes (here).
* `_sg_unbroadcast(g, x)` (a rule's own sum back) of a g known to have x's
  shape (in a shape specialisation): g (here).
* `np.sum(-d, axis=...)`: negating after the sum negates fewer elements;
  `-(d * c)` is `d * (-c)`, `d + d` (two terms made one) `d * 2.0`, and
  `a + e * (-s / u)` is `a - e * (s / u)` and `-(-a * b / c)` is `a * b / c`: no
  negation at all (passes/factors.py).
* `-da` written twice by two rules: computed once; so are `d * (-w)` and
  `-(d * w)`, the two terms of `-w * w`'s gradient (passes/factors.py).
* `a + t1 + t2 + t3` whose terms are products of the same values with the same
  factor (the product rule of `0.1 * q * q * q`): `a + t1 * 3` (passes/factors.py).
* `(a * b).sum(axis=0)` of two vectors (a scalar's gradient): `a @ b` (here).
* `n = x.shape[0]` in the forward code read only by the adjoint: computed
  where it is read, so it is written there (`-(1.0 / x.shape[0]) * y`) (here).
* in a shape specialisation, `np.max(z, axis=1)` of an array is `z.max(axis=1)`,
  the zeros a gradient starts from, `_sg_zeros_like(x)`, `np.zeros_like(x)`,
  and `np.expand_dims(g, -1)` of a matrix `g[..., None]`;
  `np.reshape(d.sum(axis=1, keepdims=True), np.shape(x))` of x's shape is
  `d.sum(axis=1)`; and a big array's sum over middle axes is np.einsum's
  ('ijk->ik'), several times faster (passes/shaped.py).
* `np.size(v)` of a value read for its shape alone, an elementwise result of an
  operand of its shape: the operand's, and v is not computed (here).
* in a shape specialisation, the gradient of `v` in `x[i] = v` is `dy[i]`, and
  the gradients of slices that tile an array (an LSTM's gates), each scattered
  into zeros and summed, one np.concatenate (passes/scatters.py).
* `1.0 * y` left by the above is y, where y's dtype is known to be inexact (here).
* `1.0 * 2.0` left by the above: folded to `2.0`; `d * 0.1 * 3` (two rules'
  factors) to `d * (0.1 * 3)` (Python folds that), `d * 0.5 * w * 2.0` to
  `d * w * 1.0` and `1.0 / u * 2.0` to `2.0 / u`: one pass over the array
  instead of two (passes/factors.py).

In a specialisation for Python floats, values that are certainly Python
floats (arguments, Python arithmetic on them, math functions) need no
`float(...)` around their gradient, `1.0 * g` is `g`, and NumPy functions of
them call their math twins (np.tanh -> math.tanh) where the twin's float is
read as NumPy's float64 would be (passes/floats.py).

Only adjoint ops are rewritten (but for the spelling of a reduction in a shape
specialisation): the forward code stays as the user wrote it.  The queries
the rewrites share are passes/adjoint_ops.py's.
"""
import numpy as np

from ..analyses.dtypes import Dtypes
from ..analyses.shapes import SCALAR
from ..ir import prims
from ..ir.primitives import info
from ..ir.nodes import Const, Op, Value, blocks_in, walk
from ..runtime import helpers
from ..specialisation import GENERAL
from .adjoint_ops import (LazyShapes, adjoint_calls, adjoint_producers, apply_renames,
                          elementwise_with, inexact, is_product, name_as, reader_map,
                          value_and_factor, values_of)
from .factors import (double_negations, double_repeated_terms, fold_factors,
                      merge_equal_monomials, negate_after_sums, negated_factors,
                      negations_into_sums, share_repeated)
from .containers import displayed_gradients
from .floats import plain_floats
from .shaped import (array_zeros, plain_broadcasts, expand_dims_as_index, method_reductions,
                     middle_sums_by_einsum, plain_returns, squeeze_kept_sums)
from .scatters import added_at_items, tiled_slices, written_items
from .simplify import eliminate_dead_code


def simplify_adjoint(graph, specialisation=GENERAL):
    """Rewrite `graph` in place, for the call `specialisation` (specialisation.py,
    bound to the graph's parameters) its code is made for.

    Each rewrite reads a map of who reads what (`reader_map`), made again after the
    sharing pass renames values; shape classes are computed when first asked.
    """
    uses = reader_map(graph)
    shapes = LazyShapes(graph, specialisation.shapes)
    _elide_broadcasts(graph, shapes, uses)
    _elide_filled_axes(graph, shapes, uses)
    if specialisation.shapes is not None:
        _elide_unbroadcasts(graph, shapes)
    negate_after_sums(graph, uses)
    share_repeated(graph)      # (folds constants that read well too)
    if specialisation.samples is not None:
        double_repeated_terms(graph, specialisation.samples)
    negated_factors(graph, reader_map(graph))
    double_negations(graph, reader_map(graph))
    eliminate_dead_code(graph)  # (a term shared away no longer counts as a reader)
    negations_into_sums(graph, reader_map(graph))      # (after: a shared term is one term)
    _shape_reads_into_adjoint(graph, reader_map(graph))
    if specialisation.samples is not None:
        merge_equal_monomials(graph, specialisation.samples)
        eliminate_dead_code(graph)
    uses = reader_map(graph)
    fold_factors(graph, uses)
    if specialisation.samples is not None:      # (after the factors are folded: 1.0)
        uses = reader_map(graph)
        _drop_unit_factors(graph, specialisation.samples, uses)
    _dot_products(graph, shapes, uses)
    _read_shapes_of_operands(graph, shapes)
    if specialisation.shapes is not None:
        method_reductions(graph, shapes)
        written_items(graph, shapes)
        if specialisation.samples is not None:
            tiled_slices(graph, shapes, specialisation.samples)
            added_at_items(graph, shapes, specialisation.samples)
        array_zeros(graph, shapes, specialisation.samples)
        plain_broadcasts(graph, shapes)
        expand_dims_as_index(graph, shapes)
        squeeze_kept_sums(graph, shapes, reader_map(graph))
        middle_sums_by_einsum(graph, shapes, specialisation.samples)
        if specialisation.samples is not None:      # (after: zeros are new arrays)
            if displayed_gradients(graph, specialisation.shapes, specialisation.samples):
                shapes.forget()         # (its reads of leaves: their shapes)
            plain_returns(graph, specialisation.samples, shapes)
    if specialisation.floats:
        plain_floats(graph)


def _elide_broadcasts(graph, lazy_shapes, uses):
    candidates = adjoint_calls(graph, np.broadcast_to)
    if not candidates:
        return
    shapes = lazy_shapes.get()
    elided = set()
    for op in candidates:
        source, target = op.args
        shape_like = _shape_like(target, shapes)
        if shape_like is None or shapes.of(source) == shapes.of(op.output):
            continue
        if _broadcasts_anyway(op.output, shape_like, shapes, uses):
            for reader in _readers(op.output, uses):
                reader.args = [source if a is op.output else a for a in reader.args]
            uses.setdefault(source, [])
            if uses[source] is not None:
                uses[source].extend(_readers(op.output, uses))
                if op in uses[source]:
                    uses[source].remove(op)
            uses[op.output] = []
            elided.add(op)
    # gone now, not at the next dead code: a reader less for the rewrites after
    # (`1.0 / n` broadcast, then `* 2.0`: `2.0 / n`)
    for block in blocks_in(graph.body) if elided else ():
        block.ops = [op for op in block.ops if op not in elided]


def _elide_filled_axes(graph, lazy_shapes, uses):
    """`np.expand_dims(np.broadcast_to(c, shape), 1) * y` (np.mean's gradient, then a
    sum's over an axis) of a scalar c: `c * y` where y alone has the product's shape."""
    candidates = adjoint_calls(graph, np.expand_dims)
    if not candidates:
        return
    shapes = lazy_shapes.get()
    fills = {op.output: op.args[0] for op in adjoint_calls(graph, np.broadcast_to)
             if shapes.of(op.args[0]) == SCALAR}
    for op in candidates:
        fill = fills.get(op.args[0])
        if fill is None:
            continue
        for reader in _readers(op.output, uses):
            if elementwise_with(reader, 2) and reader.args.count(op.output) == 1:
                (other,) = [a for a in reader.args if a is not op.output]
                if shapes.shape_of(other) is not None and shapes.same(other, reader.output):
                    reader.args = [fill if a is op.output else a for a in reader.args]


def _elide_unbroadcasts(graph, lazy_shapes):
    """`_sg_unbroadcast(g, x)` (a rule's own sum back to x's shape, np.einsum's) where
    g is known to have x's shape already: g, which the helper returns then."""
    candidates = adjoint_calls(graph, helpers._sg_unbroadcast)
    renamed = {}
    for op in candidates:
        g, x = op.args
        shape = lazy_shapes.get().shape_of(x) if isinstance(x, Value) else None
        if isinstance(g, Value) and shape is not None and \
                lazy_shapes.get().shape_of(g) == shape:
            renamed[op.output] = g
            name_as(g, op.output)       # (named as the gradient it is: dD, not _multiply)
    if renamed:
        apply_renames(graph, renamed)
        lazy_shapes.forget()


def _drop_unit_factors(graph, samples, uses):
    """`1.0 * y` (a seed of ones, once its broadcast is gone) is y itself when y is
    surely of an inexact dtype (then 1.0 * y has y's dtype and y's numbers).  For
    an argument or a returned value, only where every reader makes a new array of
    it (`fresh`: an elementwise op, a reduction, a product): a gradient must not be
    the caller's array."""
    returned = set(values_of(graph.result))
    params = {p.value for p in graph.params}
    made_by_adjoint = {v for op in walk(graph.body)
                       if isinstance(op, Op) and op.adjoint is not None for v in op.outputs}
    dtypes = None
    renamed = {}
    for op in walk(graph.body):
        if not (isinstance(op, Op) and op.adjoint is not None and is_product(op)):
            continue
        y, one = value_and_factor(op.args)
        readers = uses.get(op.output)
        if y is None or one.value != 1.0 or y in returned or readers is None:
            continue
        if y in params and not all(info(r.prim).fresh for r in readers):
            continue
        if dtypes is None:
            dtypes = Dtypes(graph.body.ops, samples)
        if inexact(dtypes.sample(y)):
            renamed[op.output] = renamed.get(y, y)
            if y in made_by_adjoint:
                if uses.get(y) == [op] and not op.output.temp:
                    y.hint, y.temp = op.output.hint, op.output.temp     # (dw, not dw_1)
                else:
                    _take_name(y, op.output)
    apply_renames(graph, renamed)


def _take_name(kept, dropped):
    """An adjoint's value that stands for a dropped one (`1.0 * g` is g) is named as
    the dropped one was where its own name is the compiler's (`d_add = 1.0 - t * t`,
    not `_subtract = ...`; `dX_1 = -g.sum(axis=0)`, not `d_getitem = ...`)."""
    if kept.temp or not kept.hint or kept.hint.startswith('d_'):
        kept.hint, kept.temp = dropped.hint, dropped.temp


def _shape_like(target, shapes):
    """What the broadcast target shape is: a concrete shape, or a value whose shape it is."""
    if isinstance(target, Const) and isinstance(target.value, tuple) and target.value:
        return target.value
    if isinstance(target, Value) and target in shapes.shape_index:
        return shapes.shape_index[target]
    return None


def _full(operand, shape_like, shapes):
    if isinstance(shape_like, tuple):
        return shapes.shape_of(operand) == shape_like
    return shapes.same(operand, shape_like)


def _readers(value, uses):
    return uses.get(value) or []


def _broadcasts_anyway(value, shape_like, shapes, uses, depth=0):
    """Every reader of `value` is elementwise and gives the full shape without it:
    a binary op whose other operand has the shape, or a unary op whose result
    is again read that way."""
    readers = uses.get(value)
    if not readers or depth > 4:
        return False
    for reader in readers:
        if elementwise_with(reader, 2) and not _scalar_operand(reader, value, shapes):
            a, b = reader.args
            other = b if a is value else a
            if other is value or not _full(other, shape_like, shapes):
                return False
        elif elementwise_with(reader, 1) or elementwise_with(reader, 2):     # -g, g * 2.0
            if not _broadcasts_anyway(reader.output, shape_like, shapes, uses, depth + 1):
                return False
            shapes.classes[reader.output] = object()    # no longer of the full shape
        else:
            return False
    return True


def _scalar_operand(reader, value, shapes):
    a, b = reader.args
    other = b if a is value else a
    return other is not value and shapes.of(other) == SCALAR


def _shape_reads_into_adjoint(graph, uses):
    """A forward temporary that reads only a shape (`x.shape`, `x.shape[0]`, `len(x)`)
    whose one reader is an adjoint op of its block goes just before that reader, as part of
    the adjoint: the reader's expression then holds it (passes/fold.py folds only
    within the forward code or one adjoint).  A shape cannot change in between."""
    for block in blocks_in(graph.body):
        index = {op: k for k, op in enumerate(block.ops)}
        shapes = {op.output for op in block.ops if isinstance(op, Op) and op.prim is np.shape}
        before = {}         # reader -> the ops moved in front of it
        for op in reversed(block.ops):
            if not (isinstance(op, Op) and op.adjoint is None and len(op.outputs) == 1 and
                    op.output.temp and _reads_a_shape(op, shapes)):
                continue
            readers = uses.get(op.output)
            if not readers or len(readers) != 1 or readers[0] not in index or \
                    readers[0].adjoint is None:
                continue
            op.adjoint = readers[0].adjoint
            before.setdefault(readers[0], []).insert(0, op)
        if before:
            moved = {op for ops in before.values() for op in ops}
            rebuilt = []

            def put(op):
                for inner in before.get(op, ()):
                    put(inner)
                rebuilt.append(op)

            for op in block.ops:
                if op not in moved:
                    put(op)
            block.ops = rebuilt


def _reads_a_shape(op, shapes):
    """`np.shape(x)` (`x.shape`), `len(x)`, `x.ndim`, or an item of `x.shape`."""
    if op.prim is np.shape or info(op.prim).counts:
        return True
    return op.prim is prims.GETITEM and op.args[0] in shapes and \
        isinstance(op.args[1], Const) and type(op.args[1].value) is int


def _dot_products(graph, lazy_shapes, uses):
    """`(a * b).sum(axis=0)` of two vectors of one known shape (a scalar's gradient
    through `c * v`): `a @ b`, one call and no temporary."""
    producers = adjoint_producers(graph, is_product)
    for op in walk(graph.body):
        if not (isinstance(op, Op) and op.adjoint is not None and op.prim is np.sum and
                len(op.args) == 1 and op.args[0] in producers and set(op.kwargs) <= {'axis'}):
            continue
        axis = op.kwargs.get('axis', Const(None))
        product = producers[op.args[0]]
        if not (isinstance(axis, Const) and axis.value in (None, 0)) or \
                uses.get(product.output) != [op]:
            continue
        a, b = product.args
        shapes = lazy_shapes.get()
        shape = shapes.shape_of(a) if isinstance(a, Value) else None
        if shape is not None and len(shape) == 1 and isinstance(b, Value) and \
                shapes.shape_of(b) == shape:
            op.prim, op.args, op.kwargs, op.style = np.matmul, [a, b], {}, ('operator', '@')


def _read_shapes_of_operands(graph, lazy_shapes):
    """`np.size(v)`, `np.shape(v)` or `len(v)` in the adjoint, where v is read for its
    shape alone and is an elementwise result of an operand u of its shape at every
    size (analyses.shapes: `witnesses`): read u's, so that v need not be computed
    (np.mean's count of `(a - b) ** 2`); `np.size(v)` of v, a matrix w reduced over
    its last axis: `len(w)` (np.mean's count of row sums); then the operand's
    operand, while it is read for its shape alone too."""
    work = [op for op in walk(graph.body)
            if isinstance(op, Op) and op.adjoint is not None and op.prim in _SHAPE_READS
            and len(op.args) == 1 and not op.kwargs and isinstance(op.args[0], Value)]
    if not work:
        return
    uses = reader_map(graph)
    producers = {out: op for op in walk(graph.body) if isinstance(op, Op) for out in op.outputs}

    def read_for_shape_alone(v):
        readers = uses.get(v)       # (but those whose results are read no more)
        readers = readers and [r for r in readers
                               if any(uses.get(out) != [] for out in r.outputs)]
        return bool(readers) and all(r.prim in _SHAPE_READS for r in readers)
    witnesses = None
    while work:
        op = work.pop()
        v = op.args[0]
        if not read_for_shape_alone(v):
            continue
        witnesses = witnesses if witnesses is not None else lazy_shapes.get().witnesses
        u = witnesses.get(v)
        if u is None:
            u = _rows_counted(op, v, producers, lazy_shapes)
        if u is None:
            continue
        op.args = [u]
        uses[v].remove(op)
        if u not in uses:
            uses[u] = [op]
        elif uses[u] is not None:
            uses[u].append(op)
        work.append(op)


def _rows_counted(op, v, producers, lazy_shapes):
    """w where `op` is `np.size(v)` and v a reduction of the matrix w over its last
    axis (no keepdims): op becomes `len(w)`, the same count at every size."""
    total = producers.get(v)
    if not (op.prim is np.size and isinstance(total, Op) and len(total.outputs) == 1 and
            info(total.prim).reduction == 'axis' and len(total.args) == 1 and
            isinstance(total.args[0], Value) and set(total.kwargs) <= {'axis', 'keepdims'}):
        return None
    axis = total.kwargs.get('axis')
    keepdims = total.kwargs.get('keepdims', Const(False))
    shape = lazy_shapes.get().shape_of(total.args[0])
    if not (isinstance(axis, Const) and type(axis.value) is int and
            isinstance(keepdims, Const) and keepdims.value is False and
            shape is not None and len(shape) == 2 and axis.value % 2 == 1):
        return None
    op.prim, op.style = len, 'call'
    return total.args[0]


_SHAPE_READS = (np.shape, np.size, len)
