"""Codegen's expressions: the names of values, constants, library objects and
each op's expression.

* Names: the user's names are kept (a reassigned variable gets `x_1`), the
  gradient of `h` is `dh`, compiler temporaries start with `_`.
* A temporary folded into its use (passes.fold) is written as its op's
  expression inside its user's, so `_z = np.matmul(x, W) + b` reads like the
  user's line.
"""
import ast
import builtins

import numpy as np

from ..ad import interface
from ..ir import prims
from ..ir.nodes import Const, Pack, Slice, Value
from ..runtime import helpers
from . import literal
from .spelling import library_path

# An expression context holds nothing: one of each serves all (ast.parse shares them too).
LOAD, STORE = ast.Load(), ast.Store()
BINOPS = {'+': ast.Add, '-': ast.Sub, '*': ast.Mult, '/': ast.Div, '//': ast.FloorDiv,
          '%': ast.Mod, '**': ast.Pow, '@': ast.MatMult, '&': ast.BitAnd, '|': ast.BitOr,
          '^': ast.BitXor, '<<': ast.LShift, '>>': ast.RShift}
UNOPS = {'-': ast.USub, '+': ast.UAdd, '~': ast.Invert, 'not ': ast.Not}
CMPOPS = {'<': ast.Lt, '<=': ast.LtE, '>': ast.Gt, '>=': ast.GtE, '==': ast.Eq,
          '!=': ast.NotEq, 'is': ast.Is, 'is not': ast.IsNot, 'in': ast.In, 'not in': ast.NotIn}


class Expressions:
    """The expression half of codegen's emitter (codegen.emit._Emitter): it reads
    the emitter's `names`, `taken`, `spelled`, `spell`, `folds`, `defs`, `floats`
    and `written`."""

    # ---- names ---------------------------------------------------------------
    def name(self, v):
        if v not in self.names:
            base = base_name(v.hint)
            # resume where the last value of this base stopped: every earlier
            # candidate is still taken, and rescanning them is quadratic
            k = self.suffixes.get(base, 0)
            candidate = f'{base}_{k}' if k else base
            while candidate in self.taken or candidate in self.spelled:
                k += 1
                candidate = f'{base}_{k}'
            self.suffixes[base] = k
            self.taken.add(candidate)
            self.names[v] = candidate
        return self.names[v]

    def share_name(self, v, other):
        self.names[v] = self.name(other)

    def unused_name(self):
        """The name assignment targets that nothing reads are given (`_` unless the
        user's code has a `_` of its own)."""
        if self.unused is None:
            base = '_' if '_' not in self.spell.avoid else '_unused'
            self.unused = base
            k = 0
            while self.unused in self.taken or self.unused in self.spelled:
                k += 1
                self.unused = f'{base}_{k}'
            self.taken.add(self.unused)
        return self.unused

    def refer(self, obj):
        """The expression naming a library object (for codegen.literal)."""
        path = self.spell.path(obj)
        if path is None:
            raise literal.Unwritable(f'no library name for {type(obj).__name__}')
        return parse(path)

    def builtin(self, name):
        """The expression naming a builtin generated code calls on its own."""
        return parse(self.spell.path(getattr(builtins, name)))

    # ---- expressions -----------------------------------------------------------
    def operand(self, o, index=False):
        if isinstance(o, Value):
            if self.folds(o):
                return self.expression(self.defs[o][0])
            return ast.Name(self.name(o), LOAD)
        if isinstance(o, Const):
            return self.const(o, index)
        if not index and (isinstance(o, Slice) or isinstance(o, Const) and isinstance(o.value, slice)
                          or isinstance(o, Pack) and o.kind == 'index'):
            # an index passed as a value (to a gradient helper): np.s_[:, 1:3]
            return ast.Subscript(ast.Attribute(parse(self.spell.module('numpy')), 's_',
                                               LOAD), self.operand(o, index=True), LOAD)
        if isinstance(o, Pack):
            elts = [self.operand(i, index=index and o.kind == 'index') for i in o.items]
            if o.kind == 'dict':
                return ast.Dict([self.const(Const(k)) for k in o.keys], elts)
            if o.kind == 'list':
                return ast.List(elts, LOAD)
            return ast.Tuple(elts, LOAD)
        if isinstance(o, Slice):
            if not index:
                return call(self.builtin('slice'),
                             [self.operand(p) for p in (o.start, o.stop, o.step)])
            parts = [None if isinstance(p, Const) and p.value is None else self.operand(p)
                     for p in (o.start, o.stop, o.step)]
            return ast.Slice(*parts)
        raise TypeError(f'cannot render operand {o!r}')

    def const(self, c, index=False):
        """A constant, written by codegen.literal where it is plain data of exact
        builtin or NumPy types; a library object by its path; anything else (an
        array, a user object, a subclass of float with its own __repr__) by a
        generated name bound to the object itself."""
        value = c.value
        kind = type(value)
        if kind is slice and index:
            return ast.Slice(*[None if p is None else self.const(Const(p))
                               for p in (value.start, value.stop, value.step)])
        if kind is tuple:
            return ast.Tuple([self.const(Const(v), index) for v in value], LOAD)
        if kind is list:
            return ast.List([self.const(Const(v)) for v in value], LOAD)
        if kind is not dict and kind is not np.ndarray:
            try:
                return literal.node(value, self.refer)
            except literal.Unwritable:
                pass
        if isinstance(value, interface.UnconnectedGradients):
            return literal.node(value.value, self.refer)
        path = self.spell.path(value, c.spelling)
        if path is not None:
            return parse(path)
        name = literal.identifier((c.spelling or 'const').split('.')[-1])
        return ast.Name(self.spell.global_name(name, value), LOAD)

    def callee(self, op):
        style = op.style
        spelling = style[1] if isinstance(style, tuple) and style[0] == 'call' else None
        found = library_path(op.prim)
        if spelling and '.' not in spelling and found is not None \
                and found[0] not in (None, 'builtins') and op.adjoint is None:
            # `from scipy.special import expit`: keep the user's bare name
            return ast.Name(self.spell.global_name(spelling, op.prim), LOAD)
        path = self.spell.path(op.prim, spelling)
        if path is not None:
            return parse(path)
        name = (spelling or getattr(op.prim, '__name__', 'fn')).split('.')[-1]
        return ast.Name(self.spell.global_name(name, op.prim), LOAD)

    def expression(self, op):
        style = op.style if isinstance(op.style, tuple) else (op.style,)
        kind = style[0]
        args = op.args
        k = self.written(op)
        if k is not None:       # np.multiply(a, b, out=a): the result written into a
            func = self.spell.path(op.prim)
            return ast.Call(parse(func) if func else self.callee(op),
                            [self.operand(a) for a in args],
                            [ast.keyword('out', ast.Name(self.name(args[k]), LOAD))])
        if op.prim in (prims.ALIAS, interface.stop_gradient):
            return self.operand(args[0])
        if op.prim is prims.FSTRING:
            return self.fstring(op)
        if op.prim is prims.TAPE_REVERSED:      # the tapes of a loop, walked back together
            walks = [call(self.builtin('reversed'), [self.operand(a)]) for a in args]
            return walks[0] if len(walks) == 1 else call(self.builtin('zip'), walks)
        if op.prim is prims.TAPE_COPY:
            return call(self.builtin('list'), [self.operand(args[0])])
        if self.floats and op.prim is np.power and op.adjoint is not None and \
                len(args) == 2 and not op.kwargs:
            # a rule's power on Python floats: ** (a complex result fails the final
            # float() and the API calls again with NumPy floats)
            return ast.BinOp(self.operand(args[0]), ast.Pow(), self.operand(args[1]))
        if kind == 'operator':
            return ast.BinOp(self.operand(args[0]), BINOPS[style[1]](), self.operand(args[1]))
        if kind == 'unary':
            return ast.UnaryOp(UNOPS[style[1]](), self.operand(args[0]))
        if kind == 'compare':
            return ast.Compare(self.operand(args[0]), [CMPOPS[style[1]]()],
                               [self.operand(args[1])])
        if kind == 'subscript':
            item = ast.Subscript(self.operand(args[0]), self.operand(args[1], index=True),
                                 LOAD)
            if op.checked:
                return ast.Call(parse(self.spell.path(helpers._sg_not_a_view)),
                                [item, self.operand(args[0])], [])
            return item
        if kind == 'attribute':
            return ast.Attribute(self.operand(args[0]), literal.checked_identifier(style[1]),
                                 LOAD)
        keywords = [ast.keyword(literal.checked_identifier(k), self.operand(v))
                    for k, v in op.kwargs.items()]
        if kind == 'method':
            func = ast.Attribute(self.operand(args[0]), literal.checked_identifier(style[1]),
                                 LOAD)
            return ast.Call(func, [self.operand(a) for a in args[1:]], keywords)
        return ast.Call(self.callee(op), [self.operand(a) for a in args], keywords)


    def fstring(self, op):
        layout, values = op.args[0].value, iter(op.args[1:])
        parts = []
        for piece in layout:
            if piece[0] == 'text':
                parts.append(literal.node(piece[1], self.refer))
            else:
                spec = None if piece[2] is None else \
                    ast.JoinedStr([literal.node(piece[2], self.refer)])
                parts.append(ast.FormattedValue(self.operand(next(values)), piece[1], spec))
        return ast.JoinedStr(parts)


def base_name(hint):
    """The name a value of this hint is called by, before any suffix: its hint,
    as an identifier."""
    return literal.identifier(hint or '_t')


def parse(text):
    parts = text.split('.')
    if all(part.isidentifier() for part in parts):
        # a dotted name (`np.linalg.norm`), the usual case: built directly, as
        # ast.parse would build it, without compiling
        node = ast.Name(parts[0], LOAD)
        for part in parts[1:]:
            node = ast.Attribute(node, part, LOAD)
        return node
    return ast.parse(text, mode='eval').body


def call(func, args):
    return ast.Call(func, args, [])


__all__ = ['Expressions', 'BINOPS', 'LOAD', 'STORE', 'base_name', 'parse', 'call']
