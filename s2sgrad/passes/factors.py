"""Constant factors and negations in the adjoint code: a negation moved after a
sum or into a subtraction, a repeated term computed once, equal monomials of one
sum made one term, two rules' factors folded into one (passes/peephole.py drives
these in order)."""
import operator

import numpy as np

from ..analyses.dtypes import Dtypes
from ..ir.nodes import Const, Op, Value, blocks_in, walk
from .adjoint_ops import (adjoint_producers, apply_renames, elementwise_with, inexact,
                          is_number, is_product, name_as, reader_map, value_and_factor)
from .simplify import has_effect


def negate_after_sums(graph, uses):
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


def negations_into_sums(graph, uses):
    """`a + e * (-s / u)` (the terms of log-softmax's gradient): `a - e * (s / u)`, the
    same numbers (IEEE negation is exact) without a pass negating `s`; the
    negated value and each product or quotient on the way read only there."""
    for op in walk(graph.body):
        if not (isinstance(op, Op) and op.adjoint is not None and op.prim is np.negative
                and elementwise_with(op, 1)):
            continue
        value, first = op.output, None
        while True:
            readers = _live(uses.get(value), uses)
            if not readers or len(readers) != 1 or readers[0].adjoint is None or \
                    not elementwise_with(readers[0], 2) or readers[0].args.count(value) != 1:
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
    rewrite: dead code goes later); one with an effect (a push on a tape) is live."""
    return readers if readers is None else \
        [r for r in readers if has_effect(r) or any(uses.get(out, []) != [] for out in r.outputs)]


def double_repeated_terms(graph, samples):
    """`d + d` (two terms of one gradient that sharing made one: `-w * w`'s) is
    `d * 2.0`, the same numbers, where d is known to be of an inexact dtype; a
    factor the next rewrites may fold into d's own."""
    dtypes = None
    for op in walk(graph.body):
        if isinstance(op, Op) and op.adjoint is not None and op.prim is np.add and \
                elementwise_with(op, 2) and isinstance(op.args[0], Value) and \
                op.args[0] is op.args[1]:
            dtypes = dtypes or Dtypes(graph.body.ops, samples)
            if inexact(dtypes.sample(op.args[0])):
                op.prim, op.args = np.multiply, [op.args[0], Const(2.0)]
                op.style = ('operator', '*')


def negated_factors(graph, uses):
    """`-(x * c)` of a number c, the product read only there: `x * (-c)`, the same
    numbers in one pass, whose factor the next rewrite may fold."""
    producers = adjoint_producers(graph, is_product)
    for op in walk(graph.body):
        if not (isinstance(op, Op) and op.adjoint is not None and op.prim is np.negative and
                elementwise_with(op, 1) and op.args[0] in producers and
                uses.get(op.args[0]) == [op]):
            continue
        x, c = value_and_factor(producers[op.args[0]].args)
        if x is not None:
            op.prim, op.args, op.style = np.multiply, [x, Const(-c.value)], ('operator', '*')


def double_negations(graph, uses):
    """`-(-a * b / c * d)` (a sigmoid's gradient: 1 / u, then exp(-x)): `a * b / c * d`,
    the same numbers (IEEE negation is exact and rounding symmetric in sign)
    without two passes over the array; each product or quotient on the way, and
    the inner negation, read only by the next."""
    producers = adjoint_producers(graph)
    renamed = {}
    for op in walk(graph.body):
        if not (isinstance(op, Op) and op.adjoint is not None and op.prim is np.negative and
                elementwise_with(op, 1) and isinstance(op.args[0], Value)):
            continue
        reader, link = op, producers.get(op.args[0])
        while link is not None and link.prim in (np.multiply, np.divide) and \
                elementwise_with(link, 2) and uses.get(link.output) == [reader]:
            inner = [a for a in link.args if _single_negation(a, link, producers, uses)]
            if inner:
                link.args = [producers[a].args[0] if a is inner[0] else a for a in link.args]
                renamed[op.output] = op.args[0]
                break
            reader, link = link, next((producers[a] for a in link.args
                                       if isinstance(a, Value) and a in producers), None)
    for gone, kept in renamed.items():
        name_as(kept, gone)
    apply_renames(graph, renamed)


def _single_negation(a, reader, producers, uses):
    """Is `a` an elementwise negation read by `reader` alone (once)?"""
    neg = producers.get(a) if isinstance(a, Value) else None
    return neg is not None and neg.prim is np.negative and elementwise_with(neg, 1) and \
        uses.get(a) == [reader]


def merge_equal_monomials(graph, samples):
    """Terms of one sum of adjoint terms (`a + t1 + t2 + t3`, each sum read only by the
    next) that are products of the same values with the same constant factor, of an
    inexact dtype: one term times their count, `a + t1 * 3`.  The product rule
    of `0.1 * q * q * q` gives three such terms, where a person writes `0.3 * q * q`."""
    uses = reader_map(graph)
    producers = {op.output: op for op in walk(graph.body)
                 if isinstance(op, Op) and len(op.outputs) == 1}
    dtypes = None
    renamed = {}
    for block in blocks_in(graph.body):
        in_block = set(block.ops)
        for root in list(block.ops):
            if not _adjoint_sum(root) or any(_adjoint_sum(r) and r in in_block
                                              for r in uses.get(root.output) or ()):
                continue
            groups = {}
            for add, k in _terms_of(root, producers, uses, in_block):
                monomial = _monomial(add.args[k], producers)
                if monomial is not None:
                    groups.setdefault(monomial[:2], []).append((monomial, add, k))
            touched = set()         # (a sum op changed by one group is left to it)
            for group in groups.values():
                if len(group) < 2 or any(add in touched for _, add, _ in group):
                    continue
                dtypes = dtypes or Dtypes(graph.body.ops, samples)
                if not all(_inexact_term(monomial, add.args[k], dtypes)
                           for monomial, add, k in group):
                    continue
                touched.update(add for _, add, _ in group)
                group = [(add, k) for _, add, k in group]
                (add, k), rest = group[0], group[1:]
                scaled = Value(add.args[k].hint, add.origin, temp=True)
                block.ops.insert(block.ops.index(add), Op(
                    np.multiply, [add.args[k], Const(len(group))], {}, [scaled],
                    add.origin, ('operator', '*'), add.adjoint))
                add.args = [scaled if j == k else a for j, a in enumerate(add.args)]
                for other, j in rest:           # `x + t`: x (x itself renamed, inner first)
                    kept = other.args[1 - j]
                    renamed[other.output] = renamed.get(kept, kept)
    apply_renames(graph, renamed)


def _inexact_term(monomial, term, dtypes):
    """Is a term surely of an inexact dtype: known so, or a product with a float
    constant or with a value known so?"""
    _, _, float_factor, values = monomial
    return float_factor or inexact(dtypes.sample(term)) or \
        any(inexact(dtypes.sample(v)) for v in values)


def _adjoint_sum(op):
    return isinstance(op, Op) and op.adjoint is not None and op.prim is np.add and \
        elementwise_with(op, 2)


def _terms_of(root, producers, uses, in_block):
    """(sum op, operand index) of each term of the sum `root`, through the sums it adds
    that are read only by it, in its block (whose ops are `in_block`)."""
    terms = []
    for k, a in enumerate(root.args):
        inner = producers.get(a)
        if _adjoint_sum(inner) and uses.get(a) == [root] and inner in in_block:
            terms += _terms_of(inner, producers, uses, in_block)
        elif isinstance(a, Value):
            terms.append((root, k))
    return terms


def _monomial(term, producers, depth=8):
    """(constant factor, the sorted ids of the values multiplied, whether a float
    constant is among the factors, the values) of a product of products
    (`d * (0.1 * q * q)`), or None for anything else."""
    op = producers.get(term)
    if not (isinstance(op, Op) and is_product(op)):
        return None
    factor, values, work, float_factor = 1, [], list(op.args), False
    while work:
        a = work.pop()
        inner = producers.get(a) if isinstance(a, Value) else None
        if is_number(a):
            factor *= a.value
            float_factor = float_factor or type(a.value) is float
        elif inner is not None and is_product(inner) and depth > 0:
            work += inner.args
            depth -= 1
        elif isinstance(a, Value):
            values.append(a)
        else:
            return None
    return factor, tuple(sorted(id(v) for v in values)), float_factor, values


def fold_factors(graph, uses):
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
            if isinstance(op, Op) and op.adjoint is not None and is_product(op):
                inner, c2 = value_and_factor(op.args)
                first = producers.get(inner)
                if first is not None and uses.get(inner) == [op]:
                    x, c1 = value_and_factor(first.args) if first.prim is np.multiply \
                        else (None, None)
                    if x is not None:
                        op.args = [x, _product(c1, c2, op, rebuilt)]
                    elif first.prim is np.divide and is_number(first.args[0]) and \
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
    apply_renames(graph, renamed, ops_done=False)


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
        x, c1 = value_and_factor(head.args) if head.prim is np.multiply else (None, None)
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


def share_repeated(graph):
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
                    and elementwise_with(op, len(op.args)) and all(map(is_number, op.args)):
                value = _ARITHMETIC[op.prim](*(a.value for a in op.args))
                if _reads_well(value):       # (else left for Python to fold: 0.1 * 3)
                    renamed[op.output] = Const(value)
                    continue
            if isinstance(op, Op) and op.adjoint is not None and \
                    elementwise_with(op, len(op.args)) and all(map(_plain, op.args)):
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
    apply_renames(graph, renamed, ops_done=True)


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
