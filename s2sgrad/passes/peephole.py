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
  `-(d * c)` is `d * (-c)`, and `d + d` (two terms made one) `d * 2.0`.
* `-da` written twice by two rules: computed once; so are `d * (-w)` and
  `-(d * w)`, the two terms of `-w * w`'s gradient.
* `(a * b).sum(axis=0)` of two vectors (a scalar's gradient): `a @ b`.
* in a shape specialisation, `np.max(z, axis=1)` of an array is `z.max(axis=1)`;
  `np.reshape(d.sum(axis=1, keepdims=True), np.shape(x))` of x's shape is
  `d.sum(axis=1)`; and a big array's sum over middle axes is np.einsum's
  ('ijk->ik'), several times faster.
* `1.0 * y` left by the above is y, where y's dtype is known to be inexact.
* `1.0 * 2.0` left by the above: folded to `2.0`; `d * 0.1 * 3` (two rules'
  factors) to `d * (0.1 * 3)` (Python folds that), `d * 0.5 * w * 2.0` to
  `d * w * 1.0` and `1.0 / u * 2.0` to `2.0 / u`: one pass over the array
  instead of two.

In a specialisation for Python floats, values that are certainly Python
floats (arguments, Python arithmetic on them, math functions) need no
`float(...)` around their gradient, `1.0 * g` is `g`, and NumPy functions of
them call their math twins (np.tanh -> math.tanh).

Only adjoint ops are rewritten (but for the spelling of a reduction in a shape
specialisation): the forward code stays as the user wrote it.
"""
import math
import operator
import string

import numpy as np

from ..analyses.dtypes import Dtypes
from ..analyses.shapes import SCALAR, ShapeClasses
from ..ir.primitives import elementwise, info
from ..ir.nodes import Const, Op, Value, blocks_in, map_operand, values_in, walk
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
    if specialisation.shapes is not None:
        _elide_unbroadcasts(graph, shapes)
    _negate_after_sums(graph, uses)
    _share_repeated(graph)      # (folds constants that read well too)
    if specialisation.samples is not None:
        _double_repeated_terms(graph, specialisation.samples)
    _negated_factors(graph, _uses(graph))
    eliminate_dead_code(graph)  # (a term shared away no longer counts as a reader)
    uses = _uses(graph)
    _fold_factors(graph, uses)
    if specialisation.samples is not None:      # (after the factors are folded: 1.0)
        uses = _uses(graph)
        _drop_unit_factors(graph, specialisation.samples, uses)
    _dot_products(graph, shapes, uses)
    if specialisation.shapes is not None:
        _method_reductions(graph, shapes)
        _squeeze_kept_sums(graph, shapes, _uses(graph))
        _middle_sums_by_einsum(graph, shapes, specialisation.samples)
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


def _elide_broadcasts(graph, lazy_shapes, uses):
    candidates = [op for op in walk(graph.body)
                  if isinstance(op, Op) and op.adjoint is not None and
                  op.prim is np.broadcast_to and len(op.args) == 2 and not op.kwargs]
    if not candidates:
        return
    shapes = lazy_shapes.get()
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
            uses[op.output] = []


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
            if uses.get(y) == [op] and not op.output.temp and _made_by_adjoint(y, graph):
                y.hint, y.temp = op.output.hint, op.output.temp     # (dw, not dw_1)
    _apply_renames(graph, renamed)


def _inexact(sample):
    """Does a dtype sample (analyses/dtypes.py) stand for a value surely of an
    inexact dtype?"""
    return isinstance(sample, (np.ndarray, np.generic)) and np.issubdtype(sample.dtype, np.inexact)


def _made_by_adjoint(value, graph):
    return any(isinstance(op, Op) and op.adjoint is not None and value in op.outputs
               for op in walk(graph.body))


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
    """`(x * c1) * c2` -> `x * (c1 * c2)`, `((x * c1) * v) * c2` -> `(x * v) * (c1 * c2)`
    (or `/ v`) and `(c1 / x) * c2` -> `(c1 * c2) / x` for number constants, where
    each inner product is read only there.  (The inner op stays until dead code goes, so it
    still counts as a reader of x: the counts only err towards folding less.)"""
    for block in blocks_in(graph.body):
        producers = {}
        rebuilt = []
        for op in block.ops:
            if isinstance(op, Op) and op.adjoint is not None and op.prim is np.multiply \
                    and _elementwise(op, 2):
                inner, c2 = _value_and_factor(op.args)
                first = producers.get(inner)
                if first is not None and uses.get(inner) == [op]:
                    x, c1 = _value_and_factor(first.args)
                    scaled = _scaled_operand(first, producers, uses)
                    if first.prim is np.multiply and x is not None:
                        op.args = [x, _product(c1, c2, op, rebuilt)]
                    elif first.prim is np.divide and _number(first.args[0]) and \
                            isinstance(first.args[1], Value):
                        op.prim, op.style = np.divide, first.style
                        op.args = [_product(first.args[0], c2, op, rebuilt), first.args[1]]
                    elif scaled is not None:
                        k, (x, c1) = scaled
                        first.args = [x if j == k else a for j, a in enumerate(first.args)]
                        op.args = [inner, _product(c1, c2, op, rebuilt)]
            if isinstance(op, Op) and op.adjoint is not None and \
                    op.prim in (np.multiply, np.divide) and len(op.outputs) == 1:
                producers[op.output] = op        # (in this block: read in order)
            rebuilt.append(op)
        block.ops = rebuilt


def _scaled_operand(product, producers, uses):
    """(k, (x, c)) where operand k of `product` (a product or quotient of two values;
    of a quotient, the dividend) is `x * c` read only there, else None."""
    if not all(isinstance(a, Value) for a in product.args):
        return None
    for k, a in enumerate(product.args[:1] if product.prim is np.divide else product.args):
        inner = producers.get(a)
        if inner is not None and inner.prim is np.multiply and uses.get(a) == [product]:
            x, c = _value_and_factor(inner.args)
            if x is not None:
                return k, (x, c)
    return None


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
