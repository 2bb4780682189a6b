"""Gradient terms: collected per value, summed once, named after the value.

A value gets one term from each op that reads it; its gradient is their
sum, taken once when first asked for, in the way the `gradients(...)` call
asked (aggregation_method), or entry by entry for a run-time list or tuple.
The ops are emitted into the lowering's builder; the values this makes are
remembered as fresh (free to rename: `dW_1`, `dW_2` become the terms of
`dW`).  Nothing here depends on the direction of the sweep: a forward mode
sums and names the tangent terms of a value the same way.
"""
import numpy as np

from ..ir import prims
from ..ir.nodes import Const, Value
from ..ir.primitives import info
from ..runtime import helpers
from . import interface

class Terms:
    """The pending and summed terms of one sweep; the ops it emits into `builder`."""

    def __init__(self, lowering, block):
        self.lowering = lowering
        self.builder = lowering.builder
        self.block = block      # the GradBlock: its aggregation method
        self.terms = {}         # value -> [gradient operands] not yet summed
        self.total = {}         # value -> summed gradient (or None), once final
        self.fresh = set()      # values made by this sweep (free to rename)
        self.producer_of = {}   # value made by a rule -> its op

    def is_list(self, v):
        """Is `v` a run-time Python list (its gradient adds entry by entry)?"""
        return v in self.lowering.ctx.lists

    def add_term(self, v, g):
        self.terms.setdefault(v, []).append(g)

    def sum_terms(self, v):
        """The total gradient of `v`: all its terms summed (once), as the block asks."""
        if v in self.total:
            return self.total[v]
        terms = self.terms.pop(v, [])
        if not terms:
            self.total[v] = None
            return None
        hint = grad_hint(v)
        temp = v.temp
        if len(terms) == 1:
            total = terms[0]
            self.rename(total, hint, temp)
        else:
            for k, term in enumerate(terms, 1):
                self.rename(term, f'{hint}_{k}', temp)
            # the gradient of a list or tuple (a run-time sequence) adds entry by entry
            if self.is_list(v) or any(self.may_be_sequence(t) for t in terms):
                total = terms[0]
                for term in terms[1:]:
                    total = self.emit(helpers._sg_accumulate, [total, term], hint, v.origin,
                                      temp=temp)
            else:
                total = self.aggregate(terms, hint, temp, v.origin)
        self.total[v] = total
        return total

    def may_be_sequence(self, term):
        """Can this gradient term be a list or tuple when the code runs?"""
        op = self.producer_of.get(term)
        return op is not None and info(getattr(op, 'prim', None)).sequence_gradient

    def rename(self, term, hint, temp):
        if isinstance(term, Value) and term in self.fresh and term.temp:
            term.hint, term.temp = hint, temp

    def aggregate(self, terms, hint, temp, origin):
        method = self.block.aggregation
        AM = interface.AggregationMethod
        if method == AM.EXPERIMENTAL_TREE:
            level = list(terms)
            while len(level) > 1:
                nxt = []
                for i in range(0, len(level) - 1, 2):
                    last = len(level) == 2
                    nxt.append(self.add(level[i], level[i + 1], hint if last else '_pair',
                                        temp if last else True, origin, keep=True))
                if len(level) % 2:
                    nxt.append(level[-1])
                level = nxt
            return level[0]
        if method == AM.EXPERIMENTAL_ACCUMULATE_N:
            acc = self.add(terms[0], terms[1], hint, temp, origin, keep=True)
            for term in terms[2:]:
                acc = self.emit(prims.INPLACE_ADD, [acc, term], hint, origin, temp=temp)
            return acc
        total = terms[0]
        for k, term in enumerate(terms[1:], 2):
            last = k == len(terms)
            total = self.add(total, term, hint if last else '_sum', temp if last else True, origin)
        return total

    def add(self, a, b, hint, temp, origin, keep=False):
        if isinstance(a, Const) and isinstance(b, Const):
            return Const(a.value + b.value)
        v = self.builder.emit(np.add, [a, b], {}, origin, hint, style=('operator', '+'),
                              temp=temp and not keep)
        self.fresh.add(v)
        return v

    def emit(self, prim, args, hint, origin, temp=True):
        v = self.builder.emit(prim, args, {}, origin, hint, temp=temp)
        self.fresh.add(v)
        return v

    def fresh_value(self, v, origin, temp=None):
        """A new value named as the gradient of `v` (`dW` for W), fresh to this sweep."""
        d = Value(grad_hint(v), origin, v.temp if temp is None else temp)
        self.fresh.add(d)
        return d


def grad_hint(v):
    """The name of the gradient of `v`: `dW` for W, `dvalue` for a nameless value."""
    return 'd' + (v.hint or 'value')
