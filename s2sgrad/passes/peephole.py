"""Peephole rewrites of the adjoint code that rules cannot see from where they stand.

A rule writes its gradient without knowing who reads it, so some of what it
writes is only needed in general:

* `np.broadcast_to(g, shape) * x`: the sum rule broadcasts its gradient to the
  summed value's shape; when every reader is an elementwise op whose other
  operand already has that shape, NumPy broadcasts `g` by itself, and the
  broadcast view (and its Python call) goes.
* `np.sum(-d, axis=...)`: negating after the sum negates fewer elements.
* `-da` written twice by two rules: computed once; so are `d * (-w)` and
  `-(d * w)`, the two terms of `-w * w`'s gradient.
* `(a * b).sum(axis=0)` of two vectors (a scalar's gradient): `a @ b`.
* in a shape specialisation, `np.max(z, axis=1)` of an array is `z.max(axis=1)`.
* `np.size(v)` of a value read for its shape alone, an elementwise result of an
  operand of its shape: the operand's, and v is not computed.
* `1.0 * y` left by the above is y, where y's dtype is known to be inexact.
* `1.0 * 2.0` left by the above: folded to `2.0`; `d * 0.1 * 3` (two rules'
  factors) to `d * (0.1 * 3)` (Python folds that), and `1.0 / u * 2.0` to
  `2.0 / u`: one pass over the array instead of two.

In a specialisation for Python floats, values that are certainly Python
floats (arguments, Python arithmetic on them, math functions) need no
`float(...)` around their gradient, `1.0 * g` is `g`, and NumPy functions of
them call their math twins (np.tanh -> math.tanh).

Only adjoint ops are rewritten (but for the spelling of a reduction in a shape
specialisation): the forward code stays as the user wrote it.
"""
import operator

import numpy as np

from ..analyses.dtypes import Dtypes
from ..analyses.shapes import SCALAR, ShapeClasses
from ..ir.primitives import elementwise, info
from ..ir.nodes import Const, Op, Value, blocks_in, map_operand, values_in, walk
from ..specialisation import GENERAL


def simplify_adjoint(graph, specialisation=GENERAL):
    """Rewrite `graph` in place, for the call `specialisation` (specialisation.py,
    bound to the graph's parameters) its code is made for.

    Each rewrite reads a map of who reads what (`_uses`), made again after the
    sharing pass renames values; shape classes are computed when first asked.
    """
    uses = _uses(graph)
    shapes = _Shapes(graph, specialisation.shapes)
    _elide_broadcasts(graph, shapes, uses)
    _negate_after_sums(graph, uses)
    _share_repeated(graph)      # (folds constants that read well too)
    uses = _uses(graph)
    _fold_factors(graph, uses)
    if specialisation.samples is not None:      # (after the factors are folded: 1.0)
        uses = _uses(graph)
        _drop_unit_factors(graph, specialisation.samples, uses)
    _dot_products(graph, shapes, uses)
    _read_shapes_of_operands(graph, shapes)
    if specialisation.shapes is not None:
        _method_reductions(graph, shapes)
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

    def get(self):
        if self.classes is None:
            self.classes = ShapeClasses(self.graph.body.ops, shapes=self.shapes)
        return self.classes


def _elide_broadcasts(graph, lazy_shapes, uses):
    candidates = [op for op in walk(graph.body)
                  if isinstance(op, Op) and op.adjoint is not None and
                  op.prim is np.broadcast_to and len(op.args) == 2 and not op.kwargs]
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


def _drop_unit_factors(graph, samples, uses):
    """`1.0 * y` (a seed of ones, once its broadcast is gone) is y itself when y is
    surely of an inexact dtype (then 1.0 * y has y's dtype and y's numbers).  For
    an argument or a returned value, only where every reader makes a new array of
    it (`fresh`: an elementwise op, a reduction, a product): a gradient must not be
    the caller's array."""
    returned = set(_values(graph.result))
    params = {p.value for p in graph.params}
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
        sample = dtypes.sample(y)
        if isinstance(sample, (np.ndarray, np.generic)) and \
                np.issubdtype(sample.dtype, np.inexact):
            renamed[op.output] = renamed.get(y, y)
    _apply_renames(graph, renamed)


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


def _fold_factors(graph, uses):
    """`(x * c1) * c2` -> `x * (c1 * c2)` and `(c1 / x) * c2` -> `(c1 * c2) / x` for
    number constants, where the inner product is read only there.  (The inner op
    stays until dead code goes, so it still counts as a reader of x: the counts
    only err towards folding less.)"""
    for block in blocks_in(graph.body):
        producers = {}
        rebuilt = []
        for op in block.ops:
            if isinstance(op, Op) and op.adjoint is not None and op.prim is np.multiply \
                    and _elementwise(op, 2):
                inner, c2 = _value_and_factor(op.args)
                first = producers.get(inner)
                if first is not None and uses.get(inner) == [op]:
                    if first.prim is np.multiply:
                        x, c1 = _value_and_factor(first.args)
                        if x is not None:
                            op.args = [x, _product(c1, c2, op, rebuilt)]
                    elif first.prim is np.divide and _number(first.args[0]) and \
                            isinstance(first.args[1], Value):
                        op.prim, op.style = np.divide, first.style
                        op.args = [_product(first.args[0], c2, op, rebuilt), first.args[1]]
            if isinstance(op, Op) and op.adjoint is not None and \
                    op.prim in (np.multiply, np.divide) and len(op.outputs) == 1:
                producers[op.output] = op        # (in this block: read in order)
            rebuilt.append(op)
        block.ops = rebuilt


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
    """Float specialisation: drop float(g) and 1.0 * g where g is surely a float."""
    # (every argument passed is a float; a default not passed is one only if it is an
    # exact float: a float subclass keeps its own type through float())
    floats = {p.value for p in graph.params
              if p.default is None or type(p.default.value) is float}
    renamed = {}

    def float_operand(a):
        return a in floats if isinstance(a, Value) else _number(a)

    for op in graph.body.ops:           # straight-line code only (regions: kept as is)
        if not isinstance(op, Op):
            continue
        op.replace_inputs(lambda v: renamed.get(v, v))
        style = op.style[0] if isinstance(op.style, tuple) else op.style
        if op.prim is float and len(op.args) == 1 and float_operand(op.args[0]):
            if op.adjoint is not None and isinstance(op.args[0], Value):
                renamed[op.output] = op.args[0]
                continue
        elif op.prim is np.multiply and op.adjoint is not None:
            x, one = _value_and_factor(op.args)
            if x in floats and one.value == 1.0:
                renamed[op.output] = x
                continue
        arithmetic = op.prim in _FLOAT_ARITHMETIC and style in ('operator', 'unary') and \
            all(map(float_operand, op.args)) and any(isinstance(a, Value) for a in op.args)
        twin = info(op.prim).math_twin
        if twin is not None and len(op.args) == 1 and not op.kwargs and \
                float_operand(op.args[0]):
            # np.tanh of a float: math.tanh, which returns a float and skips NumPy's
            # dispatch (not of an array a float was multiplied into)
            op.prim = twin
        if arithmetic or getattr(op.prim, '__module__', None) == 'math' or op.prim is float:
            floats.update(op.outputs)
    if renamed:
        graph.result = map_operand(graph.result, lambda v: renamed.get(v, v))
