"""Codegen: IR -> Python source a person can read.

* Names: the user's names are kept (a reassigned variable gets `x_1`), the
  gradient of `h` is `dh`, compiler temporaries start with `_`.
* A temporary used once, by an op of the same user line, is folded back into
  that op's expression, so `_z = np.matmul(x, W) + b` reads like the user's line.
* Every group of statements from one user line gets a comment naming it:
  `# model.py:4  h = np.tanh(x @ W + b)` above forward code,
  `# grad of model.py:4  ...` above its adjoint, and a banner per gradient block.
* The source is deterministic: nothing depends on ids, hashes or addresses.

Statements are built as Python `ast` nodes and printed as astor prints them
(codegen/printer.py).
"""
import ast
import builtins
import sys

import numpy as np

from ..ad import interface
from ..ir import prims
from ..ir.nodes import Const, If, Loop, Op, Pack, Slice, Value, managed, values_in, walk
from ..ir.primitives import info
from ..passes.simplify import has_effect
from ..runtime import helpers
from ..runtime import HELPERS
from . import literal
from .printer import source as _source
from .spelling import Spelling, library_path

INDENT = '    '
BINOPS = {'+': ast.Add, '-': ast.Sub, '*': ast.Mult, '/': ast.Div, '//': ast.FloorDiv,
          '%': ast.Mod, '**': ast.Pow, '@': ast.MatMult, '&': ast.BitAnd, '|': ast.BitOr,
          '^': ast.BitXor, '<<': ast.LShift, '>>': ast.RShift}
UNOPS = {'-': ast.USub, '+': ast.UAdd, '~': ast.Invert, 'not ': ast.Not}
CMPOPS = {'<': ast.Lt, '<=': ast.LtE, '>': ast.Gt, '>=': ast.GtE, '==': ast.Eq,
          '!=': ast.NotEq, 'is': ast.Is, 'is not': ast.IsNot, 'in': ast.In, 'not in': ast.NotIn}
# The operator each ufunc means, for ops the compiler made itself (rule bodies spell operators).
AGGREGATION_NAMES = {0: 'ADD_N', 1: 'EXPERIMENTAL_TREE', 2: 'EXPERIMENTAL_ACCUMULATE_N'}


class Generated:
    def __init__(self, source, namespace, line_origins, helpers, name):
        self.source = source
        self.namespace = namespace
        self.line_origins = line_origins    # generated line number -> Origin
        self.helpers = helpers              # runtime helper names the source calls
        self.name = name


def emit(graph, aliases, reserved=(), docstring=None, floats=False, inplace=None, big=()):
    """Generate the source of `graph` as a Python function definition.

    `floats`: every value is a Python float (a specialisation for such calls):
    NumPy's scalar functions that `math` computes identically on every float
    are written as math's, which are many times cheaper on a scalar.
    `inplace`: the passes.inplace.InplacePlan; `big`: the values that are big
    arrays (released once dead, computed on their own to be written into).
    """
    return _Emitter(graph, aliases, reserved, floats, inplace, big).run(docstring)


# NumPy functions with a math twin that agrees on every float (no domain error,
# no overflow): the float specialisation calls the twin.


class _Emitter:
    def __init__(self, graph, aliases, reserved, floats=False, inplace=None, big=()):
        self.graph = graph
        self.floats = floats
        # Names (hygiene): `taken` holds every name the function binds -- its
        # parameters, its values' names, and the globals Spelling binds (the two
        # share the set), so no two meanings ever share a name.  A value's name
        # also keeps away from `spelled`: the names the user's code spells for
        # modules and globals, and the runtime helpers' names.
        self.taken = set()
        self.spell = Spelling(aliases, set(reserved) | set(aliases.values()), self.taken)
        self.spelled = set(self.spell.reserved) | set(HELPERS)
        self.defs = {}          # value -> (op, block)
        self.uses = {}          # value -> [(user, block)]
        self.names = {}
        self.suffixes = {}      # base name -> the last suffix tried (names are never freed)
        self.unused = None      # the name of assignment targets nothing reads
        self.lines = []
        self.line_origins = {}
        self.in_place = inplace.in_place if inplace is not None else set()
        self.inplace = inplace.into if inplace is not None else {}
        self._written = {}
        self.big = big

    # ---- analysis: definitions, uses, what folds into its use ------------------
    def use(self, operand, user, block):
        for v in values_in(operand):
            self.uses.setdefault(v, []).append((user, block))

    def scan(self, block):
        for op in block.ops:
            if isinstance(op, Loop):
                for operand in op.entry_operands():
                    self.use(operand, op, block)
                self.scan(op.cond_block)
                self.use(op.cond, ('cond', op), op.cond_block)
                self.scan(op.body)
                for operand in op.nexts:
                    self.use(operand, ('next', op), op.body)
                self.use(op.exit, ('exit', op), op.body)
                for v in op.defined():
                    self.defs[v] = (op, None)
                for out in op.outputs:
                    self.defs[out] = (op, block)
                continue
            if isinstance(op, If):
                for v in values_in(op.test):
                    self.uses.setdefault(v, []).append((op, block))
                for inner, results in ((op.then_block, op.then_results),
                                       (op.else_block, op.else_results)):
                    self.scan(inner)
                    for r in results:
                        if r is not None:
                            for v in values_in(r):
                                self.uses.setdefault(v, []).append((('phi', op), inner))
                for out in op.outputs:
                    self.defs[out] = (op, block)
                continue
            for operand in op.operands():
                for v in values_in(operand):
                    self.uses.setdefault(v, []).append((op, block))
                if isinstance(operand, Const) and operand.spelling:
                    self.spelled.add(operand.spelling.split('.')[0])
            if isinstance(op.style, tuple) and op.style[0] == 'call' and op.style[1]:
                self.spelled.add(op.style[1].split('.')[0])    # the user's names stay theirs
            for out in op.outputs:
                self.defs[out] = (op, block)

    def folds(self, v):
        """Is `v` a temporary computed right into its single use?"""
        if v in self._folds:
            return self._folds[v]
        result = False
        if v.temp and v in self.defs and len(self.uses.get(v, ())) == 1:
            op, block = self.defs[v]
            user, user_block = self.uses[v][0]
            if v in self.big and isinstance(user, Op) and not _operator(user) and \
                    self.inplace.get(user) is not None and user.args[self.inplace[user]] is v:
                pass            # computed on its own, so that the result can go into it
            elif isinstance(op, Op) and len(op.outputs) == 1 and not has_effect(op) \
                    and info(op.prim).folds \
                    and user_block is block:
                if isinstance(user, Op):
                    result = (_line(user.origin) == _line(op.origin)
                              and user.adjoint is op.adjoint
                              and user.prim is not prims.INPLACE_ADD)
                elif user is None:      # the return statement
                    ret = self.graph.return_origin
                    result = ret is not None and _line(ret) == _line(op.origin)
                elif isinstance(user, tuple):     # a branch result
                    result = True
                elif isinstance(user, (If, Loop)):
                    result = _line(user.origin) == _line(op.origin)
        self._folds[v] = result
        return result

    # ---- results written into an operand (passes.inplace) -------------------------
    # An operator's result is written with augmented assignments at statement level,
    # `dz = dr` then `dz *= 1.0 - t * t` (a chain of them folded into one statement
    # becomes one `+=` each: a running sum stays one array).  Inside an expression
    # the result goes into the operand with `out=` only where the array is big;
    # elsewhere the expression stays the user's.  A function's result, `np.tanh(z,
    # out=z)`, is written with `out=`, its operand computed first where it is big.
    def written(self, op):
        """The operand an op's result is written into, or None."""
        k = self.inplace.get(op) if isinstance(op, Op) else None
        if k is None:
            return None
        if op not in self._written:
            self._written[op] = self.write_into(op, k)
        return self._written[op]

    def write_into(self, op, k):
        if _operator(op):
            if not self.folds(op.output):
                return k if self.chain_reads_ok(op) else None
            if self.in_chain(op.output):
                return k if self.written(self.uses[op.output][0][0]) is not None else None
            return k if op.output in self.big and not self.folds(op.args[k]) else None
        return None if self.folds(op.args[k]) else k

    def in_chain(self, v):
        """Is v a folded result that the op using it writes into in turn?"""
        user = self.uses[v][0][0]
        k = self.inplace.get(user) if isinstance(user, Op) else None
        return k is not None and _operator(user) and user.args[k] is v

    def chain_steps(self, op):
        """(first operand, [(op, other operand)]) of a statement's chain, in order."""
        steps = []
        while True:
            k = self.inplace[op]
            steps.append((op, op.args[1 - k]))
            a = op.args[k]
            inner = self.defs.get(a, (None,))[0] if isinstance(a, Value) else None
            if not (self.folds(a) and isinstance(inner, Op) and inner in self.inplace
                    and _operator(inner)):
                return a, steps[::-1]
            op = inner

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
            stmts.append(ast.Assign([ast.Name(self.name(target), ast.Store())],
                                    self.operand(first)))
        for step, b in steps:
            self.share_name(step.output, target)
            stmts.append(ast.AugAssign(ast.Name(self.name(target), ast.Store()),
                                       BINOPS[step.style[1]](), self.operand(b)))
        return stmts

    # ---- names ---------------------------------------------------------------
    def name(self, v):
        if v not in self.names:
            base = _base(v)
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
        return _parse(path)

    def builtin(self, name):
        """The expression naming a builtin generated code calls on its own."""
        return _parse(self.spell.path(getattr(builtins, name)))

    # ---- expressions -----------------------------------------------------------
    def operand(self, o, index=False):
        if isinstance(o, Value):
            if self.folds(o):
                return self.expression(self.defs[o][0])
            return ast.Name(self.name(o), ast.Load())
        if isinstance(o, Const):
            return self.const(o, index)
        if not index and (isinstance(o, Slice) or isinstance(o, Const) and isinstance(o.value, slice)
                          or isinstance(o, Pack) and o.kind == 'index'):
            # an index passed as a value (to a gradient helper): np.s_[:, 1:3]
            return ast.Subscript(ast.Attribute(_parse(self.spell.module('numpy')), 's_',
                                               ast.Load()), self.operand(o, index=True), ast.Load())
        if isinstance(o, Pack):
            elts = [self.operand(i, index=index and o.kind == 'index') for i in o.items]
            if o.kind == 'dict':
                return ast.Dict([self.const(Const(k)) for k in o.keys], elts)
            if o.kind == 'list':
                return ast.List(elts, ast.Load())
            return ast.Tuple(elts, ast.Load())
        if isinstance(o, Slice):
            if not index:
                return _call(self.builtin('slice'),
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
            return ast.Tuple([self.const(Const(v), index) for v in value], ast.Load())
        if kind is list:
            return ast.List([self.const(Const(v)) for v in value], ast.Load())
        if kind is not dict and kind is not np.ndarray:
            try:
                return literal.node(value, self.refer)
            except literal.Unwritable:
                pass
        if isinstance(value, interface.UnconnectedGradients):
            return literal.node(value.value, self.refer)
        path = self.spell.path(value, c.spelling)
        if path is not None:
            return _parse(path)
        name = literal.identifier((c.spelling or 'const').split('.')[-1])
        return ast.Name(self.spell.global_name(name, value), ast.Load())

    def callee(self, op):
        style = op.style
        spelling = style[1] if isinstance(style, tuple) and style[0] == 'call' else None
        found = library_path(op.prim)
        if spelling and '.' not in spelling and found is not None \
                and found[0] not in (None, 'builtins') and op.adjoint is None:
            # `from scipy.special import expit`: keep the user's bare name
            return ast.Name(self.spell.global_name(spelling, op.prim), ast.Load())
        path = self.spell.path(op.prim, spelling)
        if path is not None:
            return _parse(path)
        name = (spelling or getattr(op.prim, '__name__', 'fn')).split('.')[-1]
        return ast.Name(self.spell.global_name(name, op.prim), ast.Load())

    def expression(self, op):
        style = op.style if isinstance(op.style, tuple) else (op.style,)
        kind = style[0]
        args = op.args
        k = self.written(op)
        if k is not None:       # np.multiply(a, b, out=a): the result written into a
            func = self.spell.path(op.prim)
            return ast.Call(_parse(func) if func else self.callee(op),
                            [self.operand(a) for a in args],
                            [ast.keyword('out', ast.Name(self.name(args[k]), ast.Load()))])
        if op.prim in (prims.ALIAS, interface.stop_gradient):
            return self.operand(args[0])
        if op.prim is prims.FSTRING:
            return self.fstring(op)
        if op.prim is prims.TAPE_REVERSED:      # the tapes of a loop, walked back together
            walks = [_call(self.builtin('reversed'), [self.operand(a)]) for a in args]
            return walks[0] if len(walks) == 1 else _call(self.builtin('zip'), walks)
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
                                 ast.Load())
            if style[1:] == ('checked',):
                return ast.Call(_parse(self.spell.path(helpers._sg_not_a_view)),
                                [item, self.operand(args[0])], [])
            return item
        if kind == 'attribute':
            return ast.Attribute(self.operand(args[0]), literal.checked_identifier(style[1]),
                                 ast.Load())
        keywords = [ast.keyword(literal.checked_identifier(k), self.operand(v))
                    for k, v in op.kwargs.items()]
        if kind == 'method':
            func = ast.Attribute(self.operand(args[0]), literal.checked_identifier(style[1]),
                                 ast.Load())
            return ast.Call(func, [self.operand(a) for a in args[1:]], keywords)
        return ast.Call(self.callee(op), [self.operand(a) for a in args], keywords)

    # ---- statements ------------------------------------------------------------
    def setitem(self, op):
        """x[i] = v, in place (same name) or into a copy (`x_1 = np.copy(x)` first; a
        list: `list(x)`)."""
        base, index, value = op.args
        if op in self.in_place and isinstance(base, Value):
            self.share_name(op.output, base)
            stmts = []
        else:
            copier = _parse('list') if base in self.graph.lists else \
                _parse(self.spell.path(np.copy))        # (np.copy would make a list an array)
            copy = ast.Call(copier, [self.operand(base)], [])
            stmts = [ast.Assign([ast.Name(self.name(op.output), ast.Store())], copy)]
        target = ast.Subscript(ast.Name(self.name(op.output), ast.Load()),
                               self.operand(index, index=True), ast.Store())
        stmts.append(ast.Assign([target], self.operand(value)))
        return stmts

    def append(self, op):
        """lst.append(v) in place (same name), or a new list `lst_1 = lst + [v]`."""
        base, value, _ = op.args
        item = ast.List([self.operand(value)], ast.Load())
        if op in self.in_place and isinstance(base, Value):
            self.share_name(op.output, base)
            call = ast.Call(ast.Attribute(self.operand(base), 'append', ast.Load()),
                            [self.operand(value)], [])
            return [ast.Expr(call)]
        return [ast.Assign([ast.Name(self.name(op.output), ast.Store())],
                           ast.BinOp(self.operand(base), ast.Add(), item))]

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

    def statement(self, op):
        if op.prim is prims.LIST_NEW:
            items = op.args[0]
            elts = [self.operand(i) for i in items.items] if isinstance(items, Pack) else []
            return ast.Assign([ast.Name(self.name(op.output), ast.Store())],
                              ast.List(elts, ast.Load()))
        if op.prim is prims.TAPE_NEW:
            return ast.Assign([ast.Name(self.name(op.output), ast.Store())], ast.List([], ast.Load()))
        if op.prim is prims.TAPE_PUSH:
            tape, record = op.args
            call = ast.Call(ast.Attribute(self.operand(tape), 'append', ast.Load()),
                            [self.operand(record)], [])
            return ast.Expr(call)
        if op.prim is prims.TAPE_POP:
            call = ast.Call(ast.Attribute(self.operand(op.args[0]), 'pop', ast.Load()), [], [])
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
            return ast.AugAssign(ast.Name(self.name(acc), ast.Store()), ast.Add(),
                                 self.operand(term))
        if op.prim is prims.GATE:
            targets = self.targets(op)
            return ast.Assign([targets], ast.Tuple([self.operand(a) for a in op.args],
                                                    ast.Load()))
        if op.prim is prims.UNPACK:
            return ast.Assign([self.targets(op, sequence=True)], self.operand(op.args[0]))
        if len(op.outputs) > 1:
            return ast.Assign([self.targets(op)], self.expression(op))
        out = op.output
        if out not in self.uses and has_effect(op):
            return ast.Expr(self.expression(op))
        return ast.Assign([ast.Name(self.name(out), ast.Store())], self.expression(op))

    def targets(self, op, sequence=False):
        """Assignment targets; `sequence`: unpack even one item (`(a,) = seq`)."""
        names = [ast.Name(self.name(o) if o in self.uses else self.unused_name(), ast.Store())
                 for o in op.outputs]
        return ast.Tuple(names, ast.Store()) if len(names) != 1 or sequence else names[0]

    # ---- releasing big arrays ----------------------------------------------------
    def release(self, big):
        """`del a, b` after the statement that last mentions a name of the function's
        body holding a big array (`big`: values known to be big), so its memory
        goes back before the function returns, as a careful person's would."""
        if not big:
            return
        body = self.graph.body.ops
        index = {op: k for k, op in enumerate(body)}
        last, defined_here = {}, {}
        for k, op in enumerate(body):
            at = self.statement_index(op, index)
            for v in _mentions(op):
                name = self.names.get(v)
                if name is not None:
                    last[name] = max(last.get(name, -1), at)
            if isinstance(op, Op):
                for v in op.outputs:
                    defined_here[v] = True
        if self.graph.result is not None:
            for v in values_in(self.graph.result):
                last[self.names.get(v)] = len(body)
        candidates = {}
        for v, name in self.names.items():
            candidates.setdefault(name, []).append(v)
        # an array a result was written into lives on under the result's name: the
        # names of one array go together, when the last of them is no longer needed
        group = {name: {name} for name in candidates}
        for op in walk(self.graph.body):
            k = self.written(op) if isinstance(op, Op) else None
            if k is not None and (not self.folds(op.output) or self.in_chain(op.output)):
                a, out = self.names.get(op.args[k]), self.names.get(op.output)
                if a in group and out in group and group[a] is not group[out]:
                    merged = group[a] | group[out]
                    for name in merged:
                        group[name] = merged
        dying = {}
        for names in {id(g): g for g in group.values()}.values():
            values = [v for name in names for v in candidates[name]]
            if not any(v in big for v in values) or \
                    not all(defined_here.get(v) and (not self.folds(v) or self.in_chain(v))
                            for v in values):
                continue            # a parameter, a loop's or a branch's name: left alone
            at = max(last.get(name, -1) for name in names)
            if 0 <= at < len(body) - 1:         # (not just before the return)
                dying.setdefault(at, []).extend(names)
        if not dying:
            return
        lines, origins = [], {}
        ends = {}
        for k, names in dying.items():
            ends.setdefault(self.ends[body[k]], []).extend(names)
        for number, line in enumerate(self.lines, 1):
            lines.append(line)
            if number in self.line_origins:
                origins[len(lines)] = self.line_origins[number]
            if number in ends:
                lines.append(INDENT + 'del ' + ', '.join(sorted(ends[number])))
                if number in self.line_origins:
                    origins[len(lines)] = self.line_origins[number]
        self.lines, self.line_origins = lines, origins

    def statement_index(self, op, index):
        """The index in the body of the statement that computes op (a folded
        temporary is computed inside the statement of its user)."""
        while isinstance(op, Op) and len(op.outputs) == 1 and self.folds(op.output):
            user, _ = self.uses[op.output][0]
            if user is None:
                return len(index)           # the return statement
            if isinstance(user, tuple):
                user = user[1]
            if user not in index:
                return len(index)
            op = user
        return index.get(op, len(index))

    # ---- layout ----------------------------------------------------------------
    def write(self, text, depth, origin=None):
        self.lines.append(INDENT * depth + text)
        if origin is not None:
            self.line_origins[len(self.lines)] = origin

    def block(self, block, depth, group, results=None, outputs=None):
        """Write a block's statements; `group` tracks the comment heading in force."""
        for op in block.ops:
            if isinstance(op, Op) and any(self.folds(o) for o in op.outputs):
                continue
            group = self.heading(op, depth, group)
            if isinstance(op, If):
                self.region(op, depth)
                group = None
                self.ends[op] = len(self.lines)
                continue
            if isinstance(op, Loop):
                self.loop(op, depth)
                group = None
                self.ends[op] = len(self.lines)
                continue
            if _operator(op) and self.written(op) is not None:
                stmts = self.chain(op)
            elif op.prim is prims.SETITEM:
                stmts = self.setitem(op)
            elif op.prim is prims.LIST_APPEND:
                stmts = self.append(op)
            else:
                stmts = [self.statement(op)]
            for stmt in stmts:
                for line in _source(stmt).rstrip('\n').split('\n'):
                    self.write(line, depth, op.origin)
            self.ends[op] = len(self.lines)
        if outputs is not None:
            for out, r in zip(outputs, results):
                if r is None:
                    continue
                if isinstance(r, Value) and not self.folds(r) and self.names.get(r) == self.name(out):
                    continue
                stmt = ast.Assign([ast.Name(self.name(out), ast.Store())], self.operand(r))
                self.write(_source(stmt).rstrip('\n'), depth)
        return group

    def heading(self, op, depth, group):
        """Write the comment naming the user line (and the banner of a new gradient block)."""
        key = (op.adjoint, op.origin.filename, op.origin.lineno)
        if key == group:
            return group
        block = op.adjoint
        if block is not None and block not in self.bannered:
            self.bannered.add(block)
            names = ', '.join(self.describe(x) for x in block.xs)
            extra = ''
            if block.aggregation != 0:
                extra += f', aggregation {AGGREGATION_NAMES[block.aggregation]}'
            if block.gate:
                extra += ', gated'
            self.write(literal.comment(f'# ---- {block.name}: gradient w.r.t. {names}{extra} ----'),
                       depth)
        prefix = 'grad of ' if block is not None else ''
        self.write(literal.comment(f'# {prefix}{op.origin.short}  {op.origin.text.strip()}'
                                   .rstrip()), depth)
        return key

    def describe(self, x):
        if isinstance(x, Value):
            return self.name(x)
        return _source(ast.Expr(self.operand(x))).strip()

    def region(self, op, depth):
        manager = managed(op)
        if manager is None:
            test = _source(ast.Expr(self.operand(op.test))).strip()
        else:
            test = _source(ast.Expr(ast.Call(
                self.const(manager.callee), [self.const(a) for a in manager.args],
                [ast.keyword(k, self.const(v)) for k, v in manager.kwargs.items()]))).strip()
        for out, rt, re_ in zip(op.outputs, op.then_results, op.else_results):
            for r, block in ((rt, op.then_block), (re_, op.else_block)):
                # the branch's own value of the variable takes the variable's name, when
                # it is made last (so nothing in the branch reads the name's old value)
                if isinstance(r, Value) and r.hint == out.hint and r not in self.names \
                        and not self.folds(r) and self.defs.get(r, (None, None))[1] is block \
                        and _last_effective(block, self) is self.defs[r][0]:
                    self.share_name(r, out)
        self.write(f'{"with" if manager else "if"} {test}:', depth, op.origin)
        start = len(self.lines)
        self.block(op.then_block, depth + 1, None, op.then_results, op.outputs)
        if len(self.lines) == start:
            self.write('pass', depth + 1)
        if manager is not None:
            return          # the else-block of a with never runs
        start = len(self.lines)
        self.lines.append(INDENT * depth + 'else:')
        self.block(op.else_block, depth + 1, None, op.else_results, op.outputs)
        if len(self.lines) == start + 1:
            self.lines.pop()

    def loop(self, op, depth):
        """A loop: carried variables set before it and at the end of each iteration."""
        body_index = {}
        for k, inner in enumerate(op.body.ops):
            for v in _outputs(inner):
                body_index[v] = k
        for phi, init, nxt, out in zip(op.phis, op.inits, op.nexts, op.outputs):
            if phi not in self.names and isinstance(init, Value) and init in self.names \
                    and len(self.uses.get(init, ())) == 1:
                self.share_name(phi, init)          # the variable keeps its name
            if isinstance(nxt, Value) and nxt not in self.names and nxt in body_index \
                    and len(self.uses.get(nxt, ())) == 1 and not self.folds(nxt) \
                    and self.read_before(phi, op.body, body_index[nxt]):
                self.share_name(nxt, phi)           # h = f(h) updates h in place
            self.share_name(out, phi)
        self.assign_all([(phi, init) for phi, init in zip(op.phis, op.inits)], depth, op.origin)
        if op.kind == 'for':
            targets = [ast.Name(self.name(t), ast.Store()) for t in op.targets]
            target = targets[0] if len(targets) == 1 else ast.Tuple(targets, ast.Store())
            head = ast.For(target, self.operand(op.iterable), [], [], None)
            self.write(_source(head).split('\n')[0].rstrip(), depth, op.origin)
        elif all(self.folds(v) for o in op.cond_block.ops for v in o.outputs):
            test = _source(ast.Expr(self.operand(op.cond))).strip()
            self.write(f'while {test}:', depth, op.origin)
        else:
            self.write('while True:', depth, op.origin)
            self.block(op.cond_block, depth + 1, None)
            test = _source(ast.Expr(ast.UnaryOp(ast.Not(), self.operand(op.cond)))).strip()
            self.write(f'if {test}:', depth + 1, op.origin)
            self.write('break', depth + 2)
        start = len(self.lines)
        self.block(op.body, depth + 1, None)
        self.assign_all(list(zip(op.phis, op.nexts)), depth + 1, op.origin)
        if op.exit is not None:
            test = _source(ast.Expr(self.operand(op.exit))).strip()
            self.write(f'if {test}:', depth + 1, op.origin)
            self.write('break', depth + 2)
        if len(self.lines) == start:
            self.write('pass', depth + 1)

    def read_before(self, phi, body, index):
        """Are all reads of `phi` in the loop body before op `index` (or in its own op)?"""
        for user, block in self.uses.get(phi, ()):
            if isinstance(user, tuple) and user[0] == 'cond' or \
                    any(block is b for b in _cond_blocks(body, phi, self)):
                continue                    # the while test runs before the body
            if block is not body:
                found = None
                for k, op in enumerate(body.ops):
                    if _holds(op, user):
                        found = k
                if found is None or found > index:
                    return False
            elif isinstance(user, tuple) or self.written_at(user, body) > index:
                return False
        return True

    def written_at(self, op, body):
        """Where in `body` an op's expression is written: a folded temporary is
        computed inside the op that uses it, possibly later than its own place."""
        while isinstance(op, Op) and len(op.outputs) == 1 and self.folds(op.output):
            user, _ = self.uses[op.output][0]
            if not isinstance(user, Op):
                return len(body.ops)        # folded into the carried-value assignment
            op = user
        return body.ops.index(op) if op in body.ops else len(body.ops)

    def assign_all(self, pairs, depth, origin):
        """`a, b = x, y` for the carried variables whose value changes (in parallel)."""
        pairs = [(target, value) for target, value in pairs
                 if value is not None and not (isinstance(value, Value) and
                                               self.names.get(value) == self.name(target)
                                               and not self.folds(value))]
        if not pairs:
            return
        targets = [ast.Name(self.name(t), ast.Store()) for t, _ in pairs]
        values = [self.operand(v) for _, v in pairs]
        if len(pairs) == 1:
            stmt = ast.Assign(targets, values[0])
        else:
            stmt = ast.Assign([ast.Tuple(targets, ast.Store())], ast.Tuple(values, ast.Load()))
        self.write(_source(stmt).rstrip('\n'), depth, origin)

    def run(self, docstring):
        graph = self.graph
        self._folds = {}
        self.bannered = set()
        self.scan(graph.body)
        if graph.result is not None:
            for v in values_in(graph.result):
                self.uses.setdefault(v, []).append((None, graph.body))
        # the function's own name and its parameters' are fixed: taken first
        for name in [graph.name] + [p.name for p in graph.params]:
            self.taken.add(literal.checked_identifier(name))
        for p in graph.params:
            self.names[p.value] = p.name
        # (a value's name keeps away from helpers' names: no user name is one)
        hints = {_base(v) for op in walk(graph.body) for v in _outputs(op) + _defined(op)}
        self.spell.avoid = ((self.spelled | hints) - set(HELPERS)) | self.taken
        self.lines = []
        params = []
        for k, p in enumerate(graph.params):
            if p.kind == 'keyword_only' and (k == 0 or graph.params[k - 1].kind != p.kind):
                params.append('*')
            if p.default is None:
                params.append(p.name)
            else:
                # (a default that is not plain data is bound as `<param>_default`)
                default = Const(p.default.value,
                                spelling=p.default.spelling or f'{p.name}_default')
                params.append(f'{p.name}={_source(ast.Expr(self.const(default))).strip()}')
            if p.kind == 'positional_only' and (k + 1 == len(graph.params)
                                                or graph.params[k + 1].kind != p.kind):
                params.append('/')
        self.write(f'def {graph.name}({", ".join(params)}):', 0)
        if docstring:
            self.write(literal.docstring(docstring), 1)
        self.ends = {}
        self.block(graph.body, 1, None)
        result = graph.result
        if result is not None:
            text = _source(ast.Return(self.operand(result))).rstrip('\n')
            if text == 'return None':
                text = 'return'
            self.write(text, 1, graph.return_origin or graph.origin)
        self.release(self.big)
        source = '\n'.join(self.lines) + '\n'
        return Generated(source, dict(self.spell.namespace), self.line_origins,
                         list(self.spell.helpers), graph.name)


def _operator(op):
    return isinstance(op.style, tuple) and op.style[0] == 'operator'


def _mentions(op):
    """Every value an op or region (with all inside it) reads or defines."""
    found = []
    for inner in [op] + ([o for block in op.blocks() for o in walk(block)]
                         if isinstance(op, (If, Loop)) else []):
        found += inner.outputs
        if isinstance(inner, Loop):
            found += inner.defined()
        if isinstance(inner, (If, Loop)):
            for operand in inner.operands():
                found += values_in(operand)
        else:
            found += inner.inputs()
    return found


def _last_effective(block, emitter):
    """The last op of a block that is written out (folded ops are part of a later one)."""
    for op in reversed(block.ops):
        if not (isinstance(op, Op) and any(emitter.folds(o) for o in op.outputs)):
            return op
    return None


def _cond_blocks(body, phi, emitter):
    """The cond block of the loop whose body is `body`."""
    op = emitter.defs.get(phi, (None,))[0]
    return [op.cond_block] if isinstance(op, Loop) else []


def _outputs(op):
    return list(op.outputs)


def _defined(op):
    return list(op.defined()) if isinstance(op, Loop) else []


def _base(v):
    """The name a value is called by, before any suffix: its hint, as an identifier."""
    return literal.identifier(v.hint or '_t')


def _holds(op, user):
    """Is the op `user` op itself or inside it?  A region slot (`(kind, region)`:
    a branch's yield, a carried value) is never placed: it is assigned among the
    region's parallel outputs, so a name shared across it is not safe."""
    if isinstance(user, tuple):
        return False
    if user is op:
        return True
    if isinstance(op, (If, Loop)):
        return any(user is inner for block in op.blocks() for inner in walk(block))
    return False


def _line(origin):
    return (origin.filename, origin.lineno, origin.caller)


def _parse(text):
    parts = text.split('.')
    if all(part.isidentifier() for part in parts):
        # a dotted name (`np.linalg.norm`), the usual case: built directly, as
        # ast.parse would build it, without compiling
        node = ast.Name(parts[0], ast.Load())
        for part in parts[1:]:
            node = ast.Attribute(node, part, ast.Load())
        return node
    return ast.parse(text, mode='eval').body


def _call(func, args):
    return ast.Call(func, args, [])


__all__ = ['emit', 'Generated', 'sys']
