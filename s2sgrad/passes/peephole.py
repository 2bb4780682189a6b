"""Peephole rewrites of the adjoint code that rules cannot see from where they stand.

A rule writes its gradient without knowing who reads it, so some of what it
writes is only needed in general:

* `np.broadcast_to(g, shape) * x`: the sum rule broadcasts its gradient to the
  summed value's shape; when every reader is an elementwise op whose other
  operand already has that shape, NumPy broadcasts `g` by itself, and the
  broadcast view (and its Python call) goes.
* `_sg_unbroadcast(g, x)` (a rule's own sum back) of a g known to have x's
  shape (in a shape specialisation): g.
* `np.sum(-d, axis=...)`: negating after the sum negates fewer elements;
  `-(d * c)` is `d * (-c)`, `d + d` (two terms made one) `d * 2.0`, and
  `a + e * (-s / u)` is `a - e * (s / u)`: no negation at all.
* `-da` written twice by two rules: computed once; so are `d * (-w)` and
  `-(d * w)`, the two terms of `-w * w`'s gradient.
* `(a * b).sum(axis=0)` of two vectors (a scalar's gradient): `a @ b`.
* `n = x.shape[0]` in the forward code read only by the adjoint: computed
  where it is read, so it is written there (`-(1.0 / x.shape[0]) * y`).
* in a shape specialisation, `np.max(z, axis=1)` of an array is `z.max(axis=1)`,
  the zeros a gradient starts from, `_sg_zeros_like(x)`, `np.zeros_like(x)`,
  and `np.expand_dims(g, -1)` of a matrix `g[..., None]`;
  `np.reshape(d.sum(axis=1, keepdims=True), np.shape(x))` of x's shape is
  `d.sum(axis=1)`; and a big array's sum over middle axes is np.einsum's
  ('ijk->ik'), several times faster.
* `np.size(v)` of a value read for its shape alone, an elementwise result of an
  operand of its shape: the operand's, and v is not computed.
* `1.0 * y` left by the above is y, where y's dtype is known to be inexact.
* `1.0 * 2.0` left by the above: folded to `2.0`; `d * 0.1 * 3` (two rules'
  factors) to `d * (0.1 * 3)` (Python folds that), `d * 0.5 * w * 2.0` to
  `d * w * 1.0` and `1.0 / u * 2.0` to `2.0 / u`: one pass over the array
  instead of two.

In a specialisation for Python floats, values that are certainly Python
floats (arguments, Python arithmetic on them, math functions) need no
`float(...)` around their gradient, `1.0 * g` is `g`, and NumPy functions of
them call their math twins (np.tanh -> math.tanh) where the twin's float is
read as NumPy's float64 would be (`_plain_floats`).

Only adjoint ops are rewritten (but for the spelling of a reduction in a shape
specialisation): the forward code stays as the user wrote it.
"""
import math
import operator
import string

import numpy as np

from ..analyses.dtypes import Dtypes
from ..analyses.shapes import SCALAR, ShapeClasses
from ..ir import prims
from ..ir.primitives import elementwise, info
from ..ir.nodes import Const, If, Loop, Op, Value, blocks_in, map_operand, values_in, walk
from ..runtime import helpers
from ..specialisation import GENERAL
from .simplify import eliminate_dead_code


def simplify_adjoint(graph, specialisation=GENERAL):
    """Rewrite `graph` in place, for the call `specialisation` (specialisation.py,
    bound to the graph's parameters) its code is made for.

    Each rewrite reads a map of who reads what (`_uses`), made again after the
    sharing pass renames values; shape classes are computed when first asked.
    """
    uses = _uses(graph)
    shapes = _Shapes(graph, specialisation.shapes)
    _elide_broadcasts(graph, shapes, uses)
    _elide_filled_axes(graph, shapes, uses)
    if specialisation.shapes is not None:
        _elide_unbroadcasts(graph, shapes)
    _negate_after_sums(graph, uses)
    _share_repeated(graph)      # (folds constants that read well too)
    if specialisation.samples is not None:
        _double_repeated_terms(graph, specialisation.samples)
    _negated_factors(graph, _uses(graph))
    eliminate_dead_code(graph)  # (a term shared away no longer counts as a reader)
    _negations_into_sums(graph, _uses(graph))      # (after: a shared term is one term)
    _shape_reads_into_adjoint(graph, _uses(graph))
    uses = _uses(graph)
    _fold_factors(graph, uses)
    if specialisation.samples is not None:      # (after the factors are folded: 1.0)
        uses = _uses(graph)
        _drop_unit_factors(graph, specialisation.samples, uses)
    _dot_products(graph, shapes, uses)
    _read_shapes_of_operands(graph, shapes)
    if specialisation.shapes is not None:
        _method_reductions(graph, shapes)
        _array_zeros(graph, shapes)
        _expand_dims_as_index(graph, shapes)
        _squeeze_kept_sums(graph, shapes, _uses(graph))
        _middle_sums_by_einsum(graph, shapes, specialisation.samples)
        if specialisation.samples is not None:      # (after: zeros are new arrays)
            _plain_returns(graph, specialisation.samples, shapes)
    if specialisation.floats:
        _plain_floats(graph)


def _uses(graph):
    """value -> the ops reading it as a direct argument, or None if anything else
    (a region, a pack, a keyword, the result) reads it."""
    uses = {}
    for op in walk(graph.body):
        if isinstance(op, Op):
            for operand in op.args:
                if isinstance(operand, Value):
                    readers = uses.setdefault(operand, [])
                    if readers is not None:
                        readers.append(op)
                elif not isinstance(operand, Const):
                    for v in values_in(operand):
                        uses[v] = None
            for operand in op.kwargs.values():
                for v in values_in(operand):
                    uses[v] = None
        else:
            for v in op.inputs():
                uses[v] = None
            for operand in op.operands():
                for v in values_in(operand):
                    uses[v] = None
    for v in _values(graph.result):
        uses[v] = None
    return uses


def _values(operand):
    return list(values_in(operand)) if operand is not None else []


def _elementwise(op, n):
    return elementwise(op) and len(op.args) == n


class _Shapes:
    """The graph's shape classes, computed when a rewrite first asks (most graphs
    have nothing to rewrite that needs them)."""

    def __init__(self, graph, shapes):
        self.graph, self.shapes, self.classes = graph, shapes, None   # (the parameters')

    def forget(self):
        """After a rewrite the classes no longer describe: computed again when asked."""
        self.classes = None

    def get(self):
        if self.classes is None:
            self.classes = ShapeClasses(self.graph.body.ops, shapes=self.shapes)
        return self.classes


def _adjoint_calls(graph, prim):
    """The adjoint ops `prim(a, b)` (two operands, no keywords)."""
    return [op for op in walk(graph.body)
            if isinstance(op, Op) and op.adjoint is not None and
            op.prim is prim and len(op.args) == 2 and not op.kwargs]


def _elide_broadcasts(graph, lazy_shapes, uses):
    candidates = _adjoint_calls(graph, np.broadcast_to)
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
    candidates = _adjoint_calls(graph, np.expand_dims)
    if not candidates:
        return
    shapes = lazy_shapes.get()
    fills = {op.output: op.args[0] for op in _adjoint_calls(graph, np.broadcast_to)
             if shapes.of(op.args[0]) == SCALAR}
    for op in candidates:
        fill = fills.get(op.args[0])
        if fill is None:
            continue
        for reader in _readers(op.output, uses):
            if _elementwise(reader, 2) and reader.args.count(op.output) == 1:
                (other,) = [a for a in reader.args if a is not op.output]
                if shapes.shape_of(other) is not None and shapes.same(other, reader.output):
                    reader.args = [fill if a is op.output else a for a in reader.args]


def _elide_unbroadcasts(graph, lazy_shapes):
    """`_sg_unbroadcast(g, x)` (a rule's own sum back to x's shape, np.einsum's) where
    g is known to have x's shape already: g, which the helper returns then."""
    candidates = [op for op in walk(graph.body)
                  if isinstance(op, Op) and op.adjoint is not None and
                  op.prim is helpers._sg_unbroadcast and len(op.args) == 2 and not op.kwargs]
    renamed = {}
    for op in candidates:
        g, x = op.args
        shape = lazy_shapes.get().shape_of(x) if isinstance(x, Value) else None
        if isinstance(g, Value) and shape is not None and \
                lazy_shapes.get().shape_of(g) == shape:
            renamed[op.output] = g
            if g.temp:                  # (named as the gradient it is: dD, not _multiply)
                g.hint, g.temp = op.output.hint, op.output.temp
    if renamed:
        _apply_renames(graph, renamed)
        lazy_shapes.forget()


def _drop_unit_factors(graph, samples, uses):
    """`1.0 * y` (a seed of ones, once its broadcast is gone) is y itself when y is
    surely of an inexact dtype (then 1.0 * y has y's dtype and y's numbers).  For
    an argument or a returned value, only where every reader makes a new array of
    it (`fresh`: an elementwise op, a reduction, a product): a gradient must not be
    the caller's array."""
    returned = set(_values(graph.result))
    params = {p.value for p in graph.params}
    made_by_adjoint = {v for op in walk(graph.body)
                       if isinstance(op, Op) and op.adjoint is not None for v in op.outputs}
    dtypes = None
    renamed = {}
    for op in walk(graph.body):
        if not (isinstance(op, Op) and op.adjoint is not None and op.prim is np.multiply
                and _elementwise(op, 2)):
            continue
        y, one = _value_and_factor(op.args)
        readers = uses.get(op.output)
        if y is None or one.value != 1.0 or y in returned or readers is None:
            continue
        if y in params and not all(info(r.prim).fresh for r in readers):
            continue
        if dtypes is None:
            dtypes = Dtypes(graph.body.ops, samples)
        if _inexact(dtypes.sample(y)):
            renamed[op.output] = renamed.get(y, y)
            if y in made_by_adjoint:
                if uses.get(y) == [op] and not op.output.temp:
                    y.hint, y.temp = op.output.hint, op.output.temp     # (dw, not dw_1)
                else:
                    _take_name(y, op.output)
    _apply_renames(graph, renamed)


def _take_name(kept, dropped):
    """An adjoint's value that stands for a dropped one (`1.0 * g` is g) is named as
    the dropped one was where its own name is the compiler's (`d_add = 1.0 - t * t`,
    not `_subtract = ...`; `dX_1 = -g.sum(axis=0)`, not `d_getitem = ...`)."""
    if kept.temp or not kept.hint or kept.hint.startswith('d_'):
        kept.hint, kept.temp = dropped.hint, dropped.temp


def _inexact(sample):
    """Does a dtype sample (analyses/dtypes.py) stand for a value surely of an
    inexact dtype?"""
    return isinstance(sample, (np.ndarray, np.generic)) and np.issubdtype(sample.dtype, np.inexact)


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
        if _elementwise(reader, 2) and not _scalar_operand(reader, value, shapes):
            a, b = reader.args
            other = b if a is value else a
            if other is value or not _full(other, shape_like, shapes):
                return False
        elif _elementwise(reader, 1) or _elementwise(reader, 2):     # -g, g * 2.0
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


def _negate_after_sums(graph, uses):
    """`s = np.sum(n); n = -d` with n read only there: `s = -np.sum(d)`."""
    for block in blocks_in(graph.body):
        negations = {}                  # (in this block: read in order)
        for op in block.ops:
            if not (isinstance(op, Op) and op.adjoint is not None):
                continue
            if op.prim is np.negative and len(op.args) == 1 and not op.kwargs:
                negations[op.output] = op
            elif op.prim is np.sum and len(op.args) == 1 and op.args[0] in negations \
                    and uses.get(op.args[0]) == [op]:
                neg = negations[op.args[0]]
                # swap the two ops' work: the first sums, the second negates the sum
                neg.prim, op.prim = np.sum, np.negative
                neg.kwargs, op.kwargs = op.kwargs, {}
                neg.style, op.style = op.style, neg.style
                if neg.output.temp:             # (named for what it holds now)
                    neg.output.hint = '_sum'


def _negations_into_sums(graph, uses):
    """`a + e * (-s / u)` (the terms of log-softmax's gradient): `a - e * (s / u)`, the
    same numbers (IEEE negation is exact) without a pass negating `s`; the
    negated value and each product or quotient on the way read only there."""
    for op in walk(graph.body):
        if not (isinstance(op, Op) and op.adjoint is not None and op.prim is np.negative
                and _elementwise(op, 1)):
            continue
        value, first = op.output, None
        while True:
            readers = _live(uses.get(value), uses)
            if not readers or len(readers) != 1 or readers[0].adjoint is None or \
                    not _elementwise(readers[0], 2) or readers[0].args.count(value) != 1:
                break
            reader = readers[0]
            first = first or reader
            if reader.prim is np.multiply or reader.prim is np.divide and \
                    reader.args[0] is value:
                value = reader.output
                continue
            if reader.prim is np.add:
                (other,) = [a for a in reader.args if a is not value]
                if reader is first:
                    value = op.args[0]                  # a + (-s): a - s
                else:
                    first.args = [op.args[0] if a is op.output else a for a in first.args]
                reader.prim, reader.args = np.subtract, [other, value]
                reader.style = ('operator', '-')
                uses[op.output] = []
            break


def _live(readers, uses):
    """The readers (None: anything) but those whose results nothing reads (left so by a
    rewrite: dead code goes later)."""
    return readers if readers is None else \
        [r for r in readers if any(uses.get(out, []) != [] for out in r.outputs)]


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


def _double_repeated_terms(graph, samples):
    """`d + d` (two terms of one gradient that sharing made one: `-w * w`'s) is
    `d * 2.0`, the same numbers, where d is known to be of an inexact dtype; a
    factor the next rewrites may fold into d's own."""
    dtypes = None
    for op in walk(graph.body):
        if isinstance(op, Op) and op.adjoint is not None and op.prim is np.add and \
                _elementwise(op, 2) and isinstance(op.args[0], Value) and \
                op.args[0] is op.args[1]:
            dtypes = dtypes or Dtypes(graph.body.ops, samples)
            if _inexact(dtypes.sample(op.args[0])):
                op.prim, op.args = np.multiply, [op.args[0], Const(2.0)]
                op.style = ('operator', '*')


def _negated_factors(graph, uses):
    """`-(x * c)` of a number c, the product read only there: `x * (-c)`, the same
    numbers in one pass, whose factor the next rewrite may fold."""
    producers = {op.output: op for op in walk(graph.body)
                 if isinstance(op, Op) and op.adjoint is not None and
                 op.prim is np.multiply and _elementwise(op, 2)}
    for op in walk(graph.body):
        if not (isinstance(op, Op) and op.adjoint is not None and op.prim is np.negative and
                _elementwise(op, 1) and op.args[0] in producers and
                uses.get(op.args[0]) == [op]):
            continue
        x, c = _value_and_factor(producers[op.args[0]].args)
        if x is not None:
            op.prim, op.args, op.style = np.multiply, [x, Const(-c.value)], ('operator', '*')


def _fold_factors(graph, uses):
    """`(x * c1) * c2` -> `x * (c1 * c2)` and `(c1 / x) * c2` -> `(c1 * c2) / x` for
    number constants, where the inner product is read only there; and through a
    chain of products and quotients by values, each read only by the next,
    `x * c1 / u * c2 / u` -> `x * (c1 * c2) / u / u` where c1 * c2 reads well
    (two rules' factors: one pass over the array less).  (The inner op stays
    until dead code goes, so it still counts as a reader of x: the counts only
    err towards folding less.)"""
    renamed = {}

    def rename(v):
        return renamed.get(v, v)

    for block in blocks_in(graph.body):
        producers = {}
        rebuilt = []
        for op in block.ops:
            if isinstance(op, Op) and renamed and any(v in renamed for v in op.inputs()):
                op.replace_inputs(rename)
            if isinstance(op, Op) and op.adjoint is not None and op.prim is np.multiply \
                    and _elementwise(op, 2):
                inner, c2 = _value_and_factor(op.args)
                first = producers.get(inner)
                if first is not None and uses.get(inner) == [op]:
                    x, c1 = _value_and_factor(first.args) if first.prim is np.multiply \
                        else (None, None)
                    if x is not None:
                        op.args = [x, _product(c1, c2, op, rebuilt)]
                    elif first.prim is np.divide and _number(first.args[0]) and \
                            isinstance(first.args[1], Value):
                        op.prim, op.style = np.divide, first.style
                        op.args = [_product(first.args[0], c2, op, rebuilt), first.args[1]]
                    elif _scale_into_chain(first, c2, producers, uses):
                        renamed[op.output] = inner      # (its factor is the head's now)
                        uses[inner] = uses.get(op.output)
                        continue
            if isinstance(op, Op) and op.adjoint is not None and \
                    op.prim in (np.multiply, np.divide) and len(op.outputs) == 1:
                producers[op.output] = op        # (in this block: read in order)
            rebuilt.append(op)
        block.ops = rebuilt
    _apply_renames(graph, renamed, ops_done=False)


def _scale_into_chain(link, c2, producers, uses):
    """`link` is `p / u`, `p * u` or `u * p` (values), p such a link in turn or
    `x * c1`, each read only by the next: multiply c1 by c2 there, if the product
    reads well."""
    for _ in range(8):
        if not (all(isinstance(a, Value) for a in link.args) and
                link.prim in (np.multiply, np.divide)):
            return False
        for p in link.args if link.prim is np.multiply else link.args[:1]:
            head = producers.get(p)
            if head is not None and uses.get(p) == [link]:
                break
        else:
            return False
        x, c1 = _value_and_factor(head.args) if head.prim is np.multiply else (None, None)
        if x is not None:
            value = c1.value * c2.value
            if not _reads_well(value):
                return False
            head.args = [Const(value) if a is c1 else a for a in head.args]
            return True
        link = head
    return False


def _product(c1, c2, op, ops):
    """The constant c1 * c2: folded where its value reads well, else left to Python
    to fold as written (`d * (0.1 * 3)`, not `d * 0.30000000000000004`)."""
    value = c1.value * c2.value
    if _reads_well(value):
        return Const(value)
    factor = Value('_factor', op.origin, temp=True)
    ops.append(Op(np.multiply, [c1, c2], {}, [factor], op.origin, ('operator', '*'),
                  op.adjoint))
    return factor


def _dot_products(graph, lazy_shapes, uses):
    """`(a * b).sum(axis=0)` of two vectors of one known shape (a scalar's gradient
    through `c * v`): `a @ b`, one call and no temporary."""
    producers = {op.output: op for op in walk(graph.body)
                 if isinstance(op, Op) and op.adjoint is not None and op.prim is np.multiply
                 and _elementwise(op, 2)}
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
    """`np.size(v)` or `np.shape(v)` in the adjoint, where v is read for its shape
    alone and is an elementwise result of an operand u of its shape at every size
    (analyses.shapes: `witnesses`): read u's, so that v need not be computed (np.mean's
    count of `(a - b) ** 2`); then the operand's operand, while it is read for its
    shape alone too."""
    work = [op for op in walk(graph.body)
            if isinstance(op, Op) and op.adjoint is not None and op.prim in _SHAPE_READS
            and len(op.args) == 1 and not op.kwargs and isinstance(op.args[0], Value)]
    if not work:
        return
    uses = _uses(graph)

    def read_for_shape_alone(v):
        readers = uses.get(v)
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
            continue
        op.args = [u]
        uses[v].remove(op)
        if u not in uses:
            uses[u] = [op]
        elif uses[u] is not None:
            uses[u].append(op)
        work.append(op)


_SHAPE_READS = (np.shape, np.size)


def _method_reductions(graph, lazy_shapes):
    """In a shape specialisation, `np.max(z, axis=1)` of an array known to be one
    (its shape is known) is written `z.max(axis=1)`: same reduction, less overhead
    (NumPy's reduction functions go through a Python-level dispatch, fromnumeric,
    that costs about a microsecond; `method` in ir/primitives.py names the method)."""
    for op in walk(graph.body):
        if not (isinstance(op, Op) and info(op.prim).method is not None and op.args and
                isinstance(op.args[0], Value) and set(op.kwargs) <= _METHOD_KEYWORDS and
                (op.style[0] if isinstance(op.style, tuple) else op.style) == 'call'):
            continue
        shape = lazy_shapes.get().shape_of(op.args[0])
        if shape:                   # (a non-empty shape: an ndarray, not a number)
            op.style = ('method', info(op.prim).method)


def _array_zeros(graph, lazy_shapes):
    """In a shape specialisation, the zeros a gradient starts from, of an array known
    to be one (a non-empty shape), are `np.zeros_like(x)`: no helper asking its type."""
    for op in walk(graph.body):
        if isinstance(op, Op) and op.prim is helpers._sg_zeros_like and \
                isinstance(op.args[0], Value) and lazy_shapes.get().shape_of(op.args[0]):
            op.prim = np.zeros_like


def _plain_returns(graph, samples, lazy_shapes):
    """sg.grad's `_sg_cast_like(d, x)` (ad/reverse.py) where the specialisation knows
    x: `d` itself where the cast would return it unchanged (x an array of rank 1 or
    more, d surely a new array of x's shape and dtype), `float(d)` for a Python
    float x and a real d, `np.zeros_like(x)` / `0.0` where x has no gradient."""
    casts = [op for op in walk(graph.body) if isinstance(op, Op) and op.adjoint is not None
             and op.prim is helpers._sg_cast_like and len(op.args) == 2 and not op.kwargs]
    if not casts:
        return
    dtypes = Dtypes(graph.body.ops, samples)
    defs = {out: op for op in walk(graph.body) for out in op.outputs}
    for loop in walk(graph.body):
        if isinstance(loop, Loop):
            defs.update((v, loop) for v in loop.defined())
    renamed = {}
    for op in casts:
        d, x = op.args
        kind = type(samples.get(x))
        if kind is float:
            if isinstance(d, Const) and d.value is None:
                renamed[op.output] = Const(0.0)
            elif _real(dtypes.sample(d)):
                op.prim, op.args, op.style = float, [d], 'call'
        elif kind is np.ndarray and lazy_shapes.get().shape_of(x):
            if isinstance(d, Const) and d.value is None:
                op.prim, op.args, op.style = np.zeros_like, [x], 'call'
            elif isinstance(d, Value) and lazy_shapes.get().same(d, x) and \
                    dtypes.dtype(d) == dtypes.dtype(x) and \
                    _dtype_exact(dtypes.dtype(x), samples) and _owned(d, defs, set()):
                renamed[op.output] = d
                _take_gradient_name(d, op.output.hint)
    _apply_renames(graph, renamed)


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


def _owned(v, defs, seen):
    """Is v surely an array the gradient made (new, writeable, no argument's memory):
    an op's `fresh` result, a sum into one, or a carried value or branch result
    that is one on every path?"""
    if v in seen:
        return True             # (a loop's value carried unchanged: its other paths decide)
    seen.add(v)
    op = defs.get(v)
    if isinstance(op, Op):
        if op.prim is prims.INPLACE_ADD:
            return _owned(op.args[0], defs, seen)
        return info(op.prim).fresh
    if isinstance(op, If):
        k = op.outputs.index(v)
        return all(isinstance(r, Value) and _owned(r, defs, seen)
                   for r in (op.then_results[k], op.else_results[k]))
    if isinstance(op, Loop) and (v in op.outputs or v in op.phis):
        k = op.outputs.index(v) if v in op.outputs else op.phis.index(v)
        return all(isinstance(r, Value) and _owned(r, defs, seen)
                   for r in (op.inits[k], op.nexts[k]))
    return False


def _expand_dims_as_index(graph, lazy_shapes):
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


def _squeeze_kept_sums(graph, lazy_shapes, uses):
    """`np.reshape(d.sum(axis=1, keepdims=True), np.shape(x))` (a sum back to the shape
    of `x[:, None]`, then the reshape that is `x[:, None]`'s own gradient; a
    negation may stand between) where x's shape is the sum's without the kept
    axes: `d.sum(axis=1)`."""
    producers = {op.output: op for op in walk(graph.body)
                 if isinstance(op, Op) and op.adjoint is not None and len(op.outputs) == 1}
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
        if op.args[0].temp:
            op.args[0].hint, op.args[0].temp = op.output.hint, op.output.temp
    if renamed:
        _apply_renames(graph, renamed)
        lazy_shapes.forget()


def _move_to(graph, ops, place):
    """Move `ops` (in order) to where `place` is, when all are in its block."""
    for block in blocks_in(graph.body):
        if place in block.ops and all(op in block.ops for op in ops):
            rest = [op for op in block.ops if op not in ops]
            at = rest.index(place)
            block.ops = rest[:at] + list(ops) + rest[at:]
            return


def _middle_sums_by_einsum(graph, lazy_shapes, samples):
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


def _value_and_factor(args):
    """(x, c) for `x * c` or `c * x` with c a number constant, else (None, None)."""
    a, b = args
    if isinstance(a, Value) and _number(b):
        return a, b
    if isinstance(b, Value) and _number(a):
        return b, a
    return None, None


def _number(operand):
    return isinstance(operand, Const) and type(operand.value) in (int, float)


def _share_repeated(graph):
    """An elementwise adjoint op repeated with the same operands in one block: once."""
    renamed = {}

    def rename(v):
        return renamed.get(v, v)

    negated = {op.output: op.args[0] for op in walk(graph.body)
               if isinstance(op, Op) and op.prim is np.negative and len(op.args) == 1
               and isinstance(op.args[0], Value) and not op.kwargs}
    for block in blocks_in(graph.body):
        seen = {}
        kept = []
        products = {}
        for op in block.ops:
            if isinstance(op, Op) and renamed and any(v in renamed for v in op.inputs()):
                op.replace_inputs(rename)
            if isinstance(op, Op) and op.adjoint is not None and op.prim in _ARITHMETIC \
                    and _elementwise(op, len(op.args)) and all(
                        isinstance(a, Const) and type(a.value) in (int, float) for a in op.args):
                value = _ARITHMETIC[op.prim](*(a.value for a in op.args))
                if _reads_well(value):       # (else left for Python to fold: 0.1 * 3)
                    renamed[op.output] = Const(value)
                    continue
            if isinstance(op, Op) and op.adjoint is not None and \
                    _elementwise(op, len(op.args)) and all(map(_plain, op.args)):
                key = _negated_product(op, negated, products) or \
                    (op.prim,) + tuple(a if isinstance(a, Value) else (type(a.value), a.value)
                                       for a in op.args)
                if op.prim is np.multiply and all(isinstance(a, Value) for a in op.args):
                    products[op.output] = op.args
                if key in seen:
                    renamed[op.output] = seen[key]
                    continue
                seen[key] = op.output
            kept.append(op)
        block.ops = kept
    _apply_renames(graph, renamed, ops_done=True)


def _apply_renames(graph, renamed, ops_done=False):
    """Read `renamed[v]` wherever v was read (`ops_done`: the ops themselves are)."""
    if not renamed:
        return

    def rename(v):
        return renamed.get(v, v)

    for op in walk(graph.body):
        if not isinstance(op, Op):
            op.map_operands(rename)     # (its ops are renamed one by one)
        elif not ops_done and any(v in renamed for v in op.inputs()):
            op.replace_inputs(rename)
    graph.result = map_operand(graph.result, rename)


def _negated_product(op, negated, products):
    """`a * (-b)` and `-(a * b)` (each rule writes one for `-w * w`): one key for
    both, as they are the same number exactly."""
    if op.prim is np.multiply and all(isinstance(a, Value) for a in op.args):
        a, b = op.args
        if b in negated:
            return ('-*',) + tuple(sorted((a, negated[b]), key=lambda v: v.id))
        if a in negated:
            return ('-*',) + tuple(sorted((b, negated[a]), key=lambda v: v.id))
    if op.prim is np.negative and op.args[0] in products:
        return ('-*',) + tuple(sorted(products[op.args[0]], key=lambda v: v.id))
    return None


def _reads_well(number):
    return len(repr(number)) <= 8


_ARITHMETIC = {np.multiply: operator.mul, np.add: operator.add, np.subtract: operator.sub,
               np.negative: operator.neg}


def _plain(operand):
    """A value, or a constant number (compared by value)."""
    return isinstance(operand, Value) or isinstance(operand, Const) and \
        type(operand.value) in (int, float, complex, bool)


# Python's own arithmetic on floats gives floats (not `**`: a negative base gives
# a complex number); math's functions return floats.
_FLOAT_ARITHMETIC = (np.add, np.subtract, np.multiply, np.divide, np.negative)


def _plain_floats(graph):
    """Float specialisation: drop float(g) and 1.0 * g where g is surely a float, and
    call the math twins of NumPy functions of floats (np.tanh -> math.tanh: a float,
    without NumPy's dispatch) where their result reads as NumPy's float64 would.

    A twin's float stands where the function computed an np.float64, and so does
    Python's arithmetic on it.  The two read alike in arithmetic with floats and
    float64 scalars, in math's functions and NumPy's ufuncs of them, and where
    math raises (the API then runs NumPy's code).  Not in `**` to a non-integral
    power (a complex number where NumPy gives nan: abs() of it would be a wrong
    number), not beside an array or a float32 (NumPy's promotion: a float is
    weak), not in a comparison (its bool is not NumPy's), nor in a method
    (`.sum()`), a region or anything else: there the function is kept.
    """
    refused = set()         # ops whose twin's result would be read unlike NumPy's
    while True:
        plan = _FloatPlan(graph, refused)
        unlike = {op for op in plan.twins if not plan.read_alike(op.output)}
        if not unlike:
            break
        refused |= unlike
    renamed = plan.renamed          # (the ops that made them: dead code now)
    for op in graph.body.ops:
        if isinstance(op, Op):
            op.replace_inputs(lambda v: renamed.get(v, v))
            if op in plan.twins:
                op.prim = info(op.prim).math_twin
    if renamed:
        graph.result = map_operand(graph.result, lambda v: renamed.get(v, v))


class _FloatPlan:
    """What the float specialisation would make of the straight-line code (regions
    are kept as they are) with the twins of `refused` ops left out: the values
    that are surely Python floats and those surely float64 NumPy scalars, the
    ops that call their twin, the values that are another value (`float(g)`,
    `1.0 * g`), and who reads each value."""

    def __init__(self, graph, refused):
        # (every argument passed is a float; a default not passed is one only if it is
        # an exact float: a float subclass keeps its own type through float())
        self.floats = {p.value for p in graph.params
                       if p.default is None or type(p.default.value) is float}
        self.float64s = set()   # (a float-valued ufunc of floats; arithmetic with one)
        self.twins, self.renamed = set(), {}
        self.carriers = set()   # ops whose result is a float if their operands are
        for op in graph.body.ops:
            if isinstance(op, Op):
                self._plan(op, refused)
        self.readers = _float_readers(graph)
        self.alike = {}

    def float_operand(self, a):
        return self.renamed.get(a, a) in self.floats if isinstance(a, Value) else _number(a)

    def scalar_operands(self, op):
        """Is each operand a float or a float64 scalar (where a twin's float and an
        np.float64 compute alike)?"""
        return not op.kwargs and all(self.float_operand(a) or a in self.float64s
                                     for a in op.args)

    def _plan(self, op, refused):
        style = _style(op)
        source = None
        if op.prim is float and len(op.args) == 1 and self.float_operand(op.args[0]):
            if op.adjoint is not None and isinstance(op.args[0], Value):
                source = op.args[0]
        elif op.prim is np.multiply and op.adjoint is not None:
            x, one = _value_and_factor(op.args)
            if x is not None and self.float_operand(x) and one.value == 1.0:
                source = x
        if source is not None:
            self.renamed[op.output] = self.renamed.get(source, source)
            self.carriers.add(op)
            return
        arithmetic = op.prim in _FLOAT_ARITHMETIC and style in ('operator', 'unary') and \
            all(map(self.float_operand, op.args)) and \
            any(isinstance(a, Value) for a in op.args) or self._integral_power(op)
        if info(op.prim).math_twin is not None and len(op.args) == 1 and not op.kwargs \
                and self.float_operand(op.args[0]) and op not in refused:
            self.twins.add(op)
        if arithmetic:
            self.carriers.add(op)
        if arithmetic or op in self.twins or op.prim is float or \
                getattr(op.prim, '__module__', None) == 'math':
            self.floats.update(op.outputs)
        elif _scalar_arithmetic(op) and self.scalar_operands(op) and \
                'd' * op.prim.nin + '->d' in op.prim.types:
            self.float64s.update(op.outputs)

    def _integral_power(self, op):
        """`x ** 2` of a float: Python's power of a float to an integral constant is
        a float (or raises: 0.0 ** -1); to any other, it may be a complex number."""
        if not _written_as_power(op):
            return False
        base, exponent = op.args
        return isinstance(base, Value) and self.float_operand(base) and _number(exponent) \
            and float(exponent.value).is_integer()

    def read_alike(self, value):
        """Does every reader of `value`, a float where the function has an np.float64,
        read it as it would the np.float64?"""
        if value not in self.alike:
            readers = self.readers.get(value, ())
            self.alike[value] = readers is not None and all(
                self._reads_alike(op) for op in readers)
        return self.alike[value]

    def _reads_alike(self, op):
        if op is _RESULT or op.prim is float or \
                getattr(op.prim, '__module__', None) == 'math':
            return True
        if op in self.carriers:
            return self.read_alike(op.output)
        # (not a comparison: Python's bool is not NumPy's, ~True is -2)
        return _scalar_arithmetic(op) and self.scalar_operands(op)


_RESULT = object()      # a reader: the function's result


def _float_readers(graph):
    """value -> the straight-line ops reading it as an argument (`_RESULT`: returned),
    or None where anything else reads it (a region, a keyword, a pack)."""
    readers, elsewhere = {}, set()
    for op in graph.body.ops:
        if not isinstance(op, Op):
            elsewhere.update(op.inputs())
            continue
        for operand in op.args:
            if isinstance(operand, Value):
                readers.setdefault(operand, []).append(op)
            elif not isinstance(operand, Const):
                elsewhere.update(values_in(operand))
        for operand in op.kwargs.values():
            elsewhere.update(values_in(operand))
    for v in _values(graph.result):
        readers.setdefault(v, []).append(_RESULT)
    readers.update(dict.fromkeys(elsewhere))
    return readers


def _scalar_arithmetic(op):
    """A ufunc called or an operator (not `**`): what computes alike on a float as on
    an np.float64, beside floats and float64 scalars."""
    return isinstance(op.prim, np.ufunc) and not _written_as_power(op) and \
        (_style(op) == 'call' or op.prim in _FLOAT_ARITHMETIC and
         _style(op) in ('operator', 'unary'))


def _style(op):
    return op.style[0] if isinstance(op.style, tuple) else op.style


def _written_as_power(op):
    """Is it `x ** p` in the float code (codegen writes a rule's np.power so)?"""
    return op.prim is np.power and len(op.args) == 2 and not op.kwargs and \
        (_style(op) == 'operator' or op.adjoint is not None)
