"""Codegen's statements: the statement each op is written as.

An operator's result may be written into an operand (passes.inplace), with
augmented assignments at statement level: `dz = dr` then `dz *= 1.0 - t * t`.
"""
import ast

import numpy as np

from ..ir import prims
from ..ir.nodes import Const, Op, Pack, Value, values_in
from ..runtime import containers, helpers
from ..passes.fold import is_operator
from ..passes.simplify import has_effect
from .expressions import BINOPS, LOAD, STORE, parse

# what may give a list passed in (no op: an argument, a loop's or if's result)
_MAY_READ_A_LIST = object()
_READS = (_MAY_READ_A_LIST, prims.GETITEM, getattr, containers._sg_field, containers._sg_get)


class Statements:
    """The statement half of codegen's emitter (codegen.emit._Emitter): it reads
    the emitter's `inplace`, `folds`, `defs`, `uses`, `names` and expressions."""

    # ---- results written into an operand (passes.inplace) -------------------------
    # An operator's result is written with augmented assignments at statement level,
    # `dz = dr` then `dz *= 1.0 - t * t` (a chain of them folded into one statement
    # becomes one `+=` each: a running sum stays one array).  Inside an expression
    # the result goes into the operand with `out=` only where the array is big;
    # elsewhere the expression stays the user's.  A function's result, `np.tanh(z,
    # out=z)`, is written with `out=`, its operand computed first where it is big.
    # A result written into a temporary of its own statement's expression (`z = h @ W;
    # z += b`) is one expression, `z = h @ W + b`, unless it is big: the second array
    # costs tens of nanoseconds below BIG_BYTES (and NumPy writes into such a
    # temporary by itself from 256 KiB), and the line stays the user's.
    def written(self, op):
        """The operand an op's result is written into, or None."""
        k = self.inplace.get(op) if isinstance(op, Op) else None
        if k is None:
            return None
        if op not in self._written:
            self._written[op] = self.write_into(op, k)
        return self._written[op]

    def write_into(self, op, k):
        if is_operator(op):
            if not self.folds(op.output):
                first, _ = self.chain_steps(op)
                if isinstance(first, Value) and self.folds(first) and op.output not in self.big:
                    return None     # `z = h @ W + b` (see above)
                self.name_after_first(op, first)
                return k if self.chain_reads_ok(op) else None
            if self.in_chain(op.output):
                return k if self.written(self.uses[op.output][0][0]) is not None else None
            return k if op.output in self.big and not self.folds(op.args[k]) else None
        return None if self.folds(op.args[k]) else k

    def in_chain(self, v):
        """Is v a folded result that the op using it writes into in turn?"""
        user = self.uses[v][0][0]
        k = self.inplace.get(user) if isinstance(user, Op) else None
        return k is not None and is_operator(user) and user.args[k] is v

    def chain_steps(self, op):
        """(first operand, [(op, other operand)]) of a statement's chain, in order."""
        steps = []
        while True:
            k = self.inplace[op]
            steps.append((op, op.args[1 - k]))
            a = op.args[k]
            inner = self.defs.get(a, (None,))[0] if isinstance(a, Value) else None
            if not (self.folds(a) and isinstance(inner, Op) and inner in self.inplace
                    and is_operator(inner)):
                return a, steps[::-1]
            op = inner

    def name_after_first(self, op, first):
        """`z -= z.max(...)` and `dh *= 1.0 - h * h` as a person writes them, not
        `z_1 = z` or `d_matmul = dh` first: a result written into a named array
        nothing reads any more takes its name where it is the user's variable
        assigned again, or where a gradient without a name of the user's goes into
        one with (the user's other variables keep their meaning: `_add = r2;
        _add += eps`)."""
        out = op.output
        if isinstance(first, Value) and first in self.names and out not in self.names \
                and not self.folds(first) and (out.hint == first.hint or (
                    op.adjoint is not None and _synthetic(out.hint)
                    and not _synthetic(first.hint))):
            self.share_name(out, first)

    def chain_reads_ok(self, op):
        """Does nothing the chain reads go by its result's name?  (`h = h * 2` whose
        result keeps the name h reads the old h after `h = ...` would have bound it.)"""
        first, steps = self.chain_steps(op)
        target = self.name(op.output)
        inside = {step.output for step, _ in steps}
        for operand in [first] + [b for _, b in steps]:
            for v in self.rendered_reads(operand):
                if v not in inside and self.names.get(v) == target and v is not first:
                    return False
        return True

    def rendered_reads(self, operand):
        """The named values an operand's text reads (through folded temporaries)."""
        for v in values_in(operand):
            if self.folds(v):
                for inner in self.defs[v][0].operands():
                    yield from self.rendered_reads(inner)
            else:
                yield v

    def chain(self, op):
        """`[name = first, name op= b, ...]` for a statement whose result is written into
        an operand (with those written into before it in the same statement)."""
        first, steps = self.chain_steps(op)
        target = op.output
        stmts = []
        if not (isinstance(first, Value) and self.names.get(first) == self.name(target)):
            stmts.append(ast.Assign([ast.Name(self.name(target), STORE)],
                                    self.operand(first)))
        for step, b in steps:
            self.share_name(step.output, target)
            stmts.append(ast.AugAssign(ast.Name(self.name(target), STORE),
                                       BINOPS[step.style[1]](), self.operand(b)))
        return stmts


    # ---- statements ------------------------------------------------------------
    def setitem(self, op):
        """x[i] = v, in place (same name) or into a copy (`x_1 = np.copy(x)` first; a
        list: `list(x)`)."""
        base, index, value = op.args
        if op in self.in_place and isinstance(base, Value):
            self.share_name(op.output, base)
            stmts = []
        else:
            # (np.copy would make a list an array): list() of a known list, np.copy of
            # an array made here or passed in as one, else a copy that tells at run time
            if base in self.graph.lists or self.argument_kinds.get(base) is list:
                copier = parse('list')
            elif self.argument_kinds.get(base) is np.ndarray or base in self.defs and \
                    getattr(self.defs[base][0], 'prim', _MAY_READ_A_LIST) not in _READS:
                copier = parse(self.spell.path(np.copy))
            else:
                copier = parse(self.spell.path(helpers._sg_copy_to_write))
            copy = ast.Call(copier, [self.operand(base)], [])
            stmts = [ast.Assign([ast.Name(self.name(op.output), STORE)], copy)]
        target = ast.Subscript(ast.Name(self.name(op.output), LOAD),
                               self.operand(index, index=True), STORE)
        stmts.append(ast.Assign([target], self.operand(value)))
        return stmts

    def append(self, op):
        """lst.append(v) in place (same name), or a new list `lst_1 = lst + [v]`."""
        base, value, _ = op.args
        item = ast.List([self.operand(value)], LOAD)
        if op in self.in_place and isinstance(base, Value):
            self.share_name(op.output, base)
            call = ast.Call(ast.Attribute(self.operand(base), 'append', LOAD),
                            [self.operand(value)], [])
            return [ast.Expr(call)]
        return [ast.Assign([ast.Name(self.name(op.output), STORE)],
                           ast.BinOp(self.operand(base), ast.Add(), item))]


    def statement(self, op):
        if op.prim is prims.LIST_NEW:
            items = op.args[0]
            elts = [self.operand(i) for i in items.items] if isinstance(items, Pack) else []
            return ast.Assign([ast.Name(self.name(op.output), STORE)],
                              ast.List(elts, LOAD))
        if op.prim is prims.TAPE_NEW:
            return ast.Assign([ast.Name(self.name(op.output), STORE)], ast.List([], LOAD))
        if op.prim is prims.TAPE_PUSH:
            tape, record = op.args
            call = ast.Call(ast.Attribute(self.operand(tape), 'append', LOAD),
                            [self.operand(record)], [])
            return ast.Expr(call)
        if op.prim is prims.TAPE_POP:
            call = ast.Call(ast.Attribute(self.operand(op.args[0]), 'pop', LOAD), [], [])
            return ast.Assign([self.targets(op)], call)
        if op.prim is prims.RAISE:
            return ast.Raise(self.operand(op.args[0]), None)
        if op.prim is prims.ASSERT:
            test, msg = op.args
            msg = None if isinstance(msg, Const) and msg.value is None else self.operand(msg)
            return ast.Assert(self.operand(test), msg)
        if op.prim is prims.INPLACE_ADD:
            acc, term = op.args
            self.share_name(op.output, acc)
            return ast.AugAssign(ast.Name(self.name(acc), STORE), ast.Add(),
                                 self.operand(term))
        if op.prim is prims.GATE:
            targets = self.targets(op)
            return ast.Assign([targets], ast.Tuple([self.operand(a) for a in op.args],
                                                    LOAD))
        if op.prim is prims.UNPACK:
            return ast.Assign([self.targets(op, sequence=True)], self.operand(op.args[0]))
        if len(op.outputs) > 1:
            return ast.Assign([self.targets(op)], self.expression(op))
        out = op.output
        if out not in self.uses and has_effect(op):
            return ast.Expr(self.expression(op))
        return ast.Assign([ast.Name(self.name(out), STORE)], self.expression(op))

    def targets(self, op, sequence=False):
        """Assignment targets; `sequence`: unpack even one item (`(a,) = seq`)."""
        names = [ast.Name(self.name(o) if o in self.uses else self.unused_name(), STORE)
                 for o in op.outputs]
        return ast.Tuple(names, STORE) if len(names) != 1 or sequence else names[0]


def _synthetic(hint):
    """Is a value's hint one the compiler made (`_exp`, `d_matmul`), not the user's
    name or the gradient of one (`z`, `dh`)?"""
    return not hint or hint.startswith(('_', 'd_'))


__all__ = ['Statements']
