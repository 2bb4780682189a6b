"""Folding: which temporaries are written into the expression of their single use.

A temporary read once, by an op of the same user line, is computed right inside
that op's expression, so `_a = b + c; d = _a * e` is written `d = (b + c) * e`,
as the user wrote it.  Codegen writes the code by this plan, and the in-place
pass reads it too: a folded temporary's operands are read where its user's
statement runs, which may be after a write between the two.

The plan is asked value by value (a value's answer is kept): most values are
never asked.  A specialisation that knows shapes decides twice from one scan of
the graph: before the in-place decisions (for the in-place pass) and after them
(for codegen: `after_inplace`), where a big temporary an op writes its result
into is computed on its own.  The later plan folds no value the earlier one
does not (so the in-place pass, reading the earlier, only ever assumes a read
later than it happens).
"""
from ..ir import prims
from ..ir.nodes import If, Loop, Op, values_in
from ..ir.primitives import info
from .simplify import has_effect


class FoldPlan:
    """Which temporaries fold into their use, with the definitions and uses it is
    decided from (codegen reads those too).

    `defs`: value -> (the op or region defining it, the block holding that op;
    None for a loop's own values).  `uses`: value -> [(user, block)] where the
    user is an op, a region (its test, iterable or initial values), `None` (the
    function's result) or a slot `(kind, region)` (a branch's result `'phi'`, a
    loop's condition `'cond'`, next value `'next'`, exit test `'exit'`).
    """
    __slots__ = ('defs', 'uses', 'return_origin', 'inplace', 'big', 'writes_in_place',
                 '_folds')

    def __init__(self, defs, uses, return_origin, inplace=None, big=frozenset(),
                 writes_in_place=frozenset()):
        self.defs = defs
        self.uses = uses
        self.return_origin = return_origin
        self.inplace = inplace or {}    # op -> index of the operand its result is written into
        self.big = big                  # values known to be big arrays
        self.writes_in_place = writes_in_place    # SETITEM / LIST_APPEND ops done in place
        self._folds = {}

    def after_inplace(self, inplace, big, writes_in_place=frozenset()):
        """The plan once results are written into operands (`inplace`), big arrays
        (`big`) and the writes done in place are known: the same definitions and uses."""
        return FoldPlan(self.defs, self.uses, self.return_origin, inplace, big,
                        writes_in_place)

    def folds(self, v):
        """Is `v` a temporary computed right into its single use?"""
        try:
            return self._folds[v]
        except KeyError:
            found = self._folds[v] = self._decide(v)
            return found

    def statement_of(self, op):
        """The op, region or region slot `(kind, region)` whose statement computes
        `op`'s result: a folded temporary's is its user's (None: the return)."""
        while isinstance(op, Op) and len(op.outputs) == 1 and self.folds(op.outputs[0]):
            op = self.uses[op.outputs[0]][0][0]
        return op

    def _decide(self, v):
        if not (v.temp and v in self.defs and len(self.uses.get(v, ())) == 1):
            return False
        op, block = self.defs[v]
        user, user_block = self.uses[v][0]
        k = self.inplace.get(user) if isinstance(user, Op) else None
        if v in self.big and k is not None and not is_operator(user) and user.args[k] is v:
            return False        # computed on its own, so that the result can go into it
        if isinstance(user, Op) and user.args and user.args[0] is v and \
                (user.prim is prims.SETITEM or user in self.writes_in_place):
            # written into (`_zero[i] = t`, in place or into a copy; an append in
            # place): the array needs its name, on its own line
            return False
        if not (isinstance(op, Op) and len(op.outputs) == 1 and not has_effect(op)
                and info(op.prim).folds and user_block is block):
            return False
        if isinstance(user, Op):
            # (`acc += term`: the term may be written into it, never the accumulator)
            return (same_line(user.origin, op.origin) or _returned_to(op.origin, user.origin)) \
                and user.adjoint is op.adjoint \
                and not (user.prim is prims.INPLACE_ADD and user.args[0] is v)
        if user is None:        # the return statement
            return self.return_origin is not None and same_line(self.return_origin, op.origin)
        if isinstance(user, tuple):     # a branch result, a loop's carried value or test
            return True
        return same_line(user.origin, op.origin)       # a region's test or operands


def plan(graph):
    """The fold plan of `graph` as it is (no result written into an operand yet)."""
    defs, uses = {}, {}
    _scan(graph.body, defs, uses)
    if graph.result is not None:
        for v in values_in(graph.result):
            uses.setdefault(v, []).append((None, graph.body))
    return FoldPlan(defs, uses, graph.return_origin)


def _scan(block, defs, uses):
    def use(operand, user, where):
        for v in values_in(operand):
            uses.setdefault(v, []).append((user, where))

    for op in block.ops:
        if isinstance(op, Loop):
            for operand in op.entry_operands():
                use(operand, op, block)
            _scan(op.cond_block, defs, uses)
            use(op.cond, ('cond', op), op.cond_block)
            _scan(op.body, defs, uses)
            for operand in op.nexts:
                use(operand, ('next', op), op.body)
            use(op.exit, ('exit', op), op.body)
            for v in op.defined():
                defs[v] = (op, None)
        elif isinstance(op, If):
            use(op.test, op, block)
            for inner, results in ((op.then_block, op.then_results),
                                   (op.else_block, op.else_results)):
                _scan(inner, defs, uses)
                for r in results:
                    if r is not None:
                        use(r, ('phi', op), inner)
        else:
            use_here = (op, block)
            for operands in (op.args, op.kwargs.values()):
                for operand in operands:
                    for v in values_in(operand):
                        uses.setdefault(v, []).append(use_here)
        for out in op.outputs:
            defs[out] = (op, block)


def is_operator(op):
    """Is the op written as a binary operator (`a + b`)?"""
    return isinstance(op.style, tuple) and op.style[0] == 'operator'


def _returned_to(inner, outer):
    """Is `inner` a line of a helper inlined from the line `outer` (its returned value,
    read there, is written into the call's place, as the call was)?"""
    return inner.caller is not None and same_line(inner.caller, outer)


def same_line(a, b):
    """Do two origins name the same user line (of the same inlined call)?"""
    return (a.filename, a.lineno, a.caller) == (b.filename, b.lineno, b.caller)


__all__ = ['FoldPlan', 'plan', 'is_operator', 'same_line']
