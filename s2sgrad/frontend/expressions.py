"""Lowering of expressions: names, literals and containers (packs), operators,
comparisons and membership, `and` / `or` / `x if c else y` (If regions),
attributes and subscripts; each op remembers how the user spelled it."""
import operator

import gast
import numpy as np

from ..ir import effects, prims
from ..ir.nodes import NONE, Block, Const, If, Pack, Slice, Value
from ..ir.primitives import ATTRIBUTES, METHODS
from ..runtime import containers
from . import match
from .analysis import walrus_names
from .spellings import (BINARY, COMPARE, CONSTANT_ATTRIBUTES, PY_BINARY, PY_COMPARE, PY_UNARY,
                        UNARY)
from .static import (UNKNOWN, index_value, known_literal, literal_index, numpy_fold,
                     static_sequence_op, static_value)


UNSUPPORTED_EXPRESSIONS = {
    'SetComp': 'set comprehensions are not supported',
    'Yield': 'generators (yield) cannot be transformed',
    'YieldFrom': 'generators (yield from) cannot be transformed',
    'Await': 'await cannot be transformed',
    'Dict': 'dict literals are not supported yet',
    'Set': 'set literals are not supported yet',
    'Starred': 'starred expressions are not supported yet',
}
# `v in seq` on a run-time v becomes one comparison per item, up to this many.
MAX_MEMBERSHIP_ITEMS = 64


class ExpressionLowering:
    """Expressions other than calls and comprehensions (a mixin of FunctionLowering)."""

    __slots__ = ()

    def expr(self, node, hint=None):
        kind = type(node).__name__
        handler = getattr(self, 'expr_' + kind, None)
        if handler is None:
            message = UNSUPPORTED_EXPRESSIONS.get(kind, f'{kind} expressions are not supported')
            raise self.error(message, node)
        return handler(node, hint)

    def expr_Constant(self, node, hint):
        return Const(node.value)

    def expr_JoinedStr(self, node, hint):
        """An f-string (for print, assert and raise messages): its parts, rebuilt by codegen."""
        layout, values = [], []
        for part in node.values:
            if isinstance(part, gast.Constant):
                layout.append(('text', part.value))
                continue
            spec = None
            if part.format_spec is not None:
                pieces = part.format_spec.values
                if not all(isinstance(p, gast.Constant) for p in pieces):
                    raise self.error('a computed format spec in an f-string is not supported',
                                     part)
                spec = ''.join(p.value for p in pieces)
            layout.append(('value', part.conversion, spec))
            values.append(self.expr(part.value))
        return self.builder.emit(prims.FSTRING, [Const(tuple(layout))] + values, {},
                                 self.origin(node), '_text')

    def expr_Name(self, node, hint):
        return self.load_name(node.id, node)

    def expr_NamedExpr(self, node, hint):
        """`(y := value)`: binds y where the expression runs, and is the value."""
        value = self.expr(node.value, hint=node.target.id)
        self.assign(node.target, value)
        return value

    def elements(self, elts, node):
        start, items = len(self.ctx.written), []
        for e in elts:
            if isinstance(e, gast.Starred):
                items.extend(self.unpack_items(self.expr(e.value), e))
            else:
                items.append(self.expr(e))
        self.check_current(start, items, node)
        return items

    def expr_Tuple(self, node, hint):
        items = self.elements(node.elts, node)
        if all(known_literal(i) for i in items):
            return Const(tuple(i.value for i in items))
        return Pack('tuple', items)

    def expr_Dict(self, node, hint):
        entries = {}                        # later keys override earlier ones, as in Python
        base = None
        for k, v in zip(node.keys, node.values):
            if k is None:
                packed = self.expr(v)
                if isinstance(packed, Value) and not entries and base is None:
                    base = packed           # {**p, 'W': v} of a dict passed in
                    continue
                if isinstance(packed, Const) and isinstance(packed.value, dict):
                    packed = Pack('dict', [Const(x) for x in packed.value.values()],
                                  list(packed.value))
                if not (isinstance(packed, Pack) and packed.kind == 'dict'):
                    raise self.error('**mapping in a dict literal must be a dict built here', v)
                entries.update(zip(packed.keys, packed.items))
                continue
            key = self.expr(k)
            if not known_literal(key):
                raise self.error('dict keys must be constants', k)
            entries[key.value] = self.expr(v)
        if base is not None:
            return self.merged_dict(base, list(entries.items()), node)
        return Pack('dict', list(entries.values()), list(entries))

    def expr_List(self, node, hint):
        return Pack('list', self.elements(node.elts, node))

    def expr_BoolOp(self, node, hint):
        """`a and b` / `a or b`, short-circuiting as Python does (b runs only if needed)."""
        result = self.expr(node.values[0])
        for rest in node.values[1:]:
            if isinstance(result, Const):
                self.folded(result)
                decided = (not result.value) if isinstance(node.op, gast.And) else bool(result.value)
                if decided:
                    return result
                result = self.expr(rest)
                continue
            test = result
            if isinstance(node.op, gast.Or):
                test = self.builder.emit(operator.not_, [result], {}, self.origin(node), '_not',
                                         style=('unary', 'not '))
            result = self.conditional(test, lambda: self.expr(rest), lambda: result, node,
                                      hint if rest is node.values[-1] else None)
        return result

    def expr_IfExp(self, node, hint):
        test = self.expr(node.test)
        if isinstance(test, Const):
            self.folded(test)
            return self.expr(node.body if test.value else node.orelse, hint)
        return self.conditional(test, lambda: self.expr(node.body), lambda: self.expr(node.orelse),
                                node, hint)

    def conditional(self, test, then, orelse, node, hint):
        """An If region yielding one value: `then() if test else orelse()` (what it
        shares is that of either: ir/effects.py)."""
        out = self.conditional_value(test, then, orelse, self.origin(node), hint)
        region = self.builder.block.ops[-1]
        effects.merged(self, region.outputs, list(zip(region.then_results, region.else_results)),
                       region.blocks())
        return out

    def conditional_value(self, test, then, orelse, origin, hint):
        blocks, results = [], []
        before = dict(self.env)
        for make in (then, orelse):
            self.builder.stack.append(Block())
            results.append(make())
            blocks.append(self.builder.stack.pop())
            if self.env != before:
                raise self.error_at('an assignment expression (:=), or a call that writes '
                                    'into its arguments, in a part of an expression that runs '
                                    'only on some paths (after `and` / `or`, in `x if c else '
                                    'y`) is not supported when the condition is a run-time '
                                    'value: assign before the expression', origin)
        region = If(test, blocks[0], blocks[1], [], [], [], origin)
        out = self.merge_branches(region, results[0], results[1], hint or '_ifexp')
        if isinstance(out, Value) and hint is None:
            out.temp = True
        self.builder.append(region)
        return out

    def expr_BinOp(self, node, hint):
        left = self.expr(node.left)
        right = self.expr(node.right)
        return self.binary(node.op, left, right, node, hint)

    def binary(self, op_node, left, right, node, hint=None):
        prim, symbol = BINARY[type(op_node)]
        if known_literal(left) and known_literal(right):
            try:
                return Const(PY_BINARY[symbol](left.value, right.value))
            except ArithmeticError:
                if self.in_rule():
                    # a rule is NumPy arithmetic: 1.0 / 0.0 is inf there
                    return Const(numpy_fold(PY_BINARY[symbol], left.value, right.value))
                # the user's own `1.0 / 0.0`: raised when (and if) it runs, as in Python
            except Exception as exc:
                raise self.error(f'{type(exc).__name__}: {exc}', node) from None
        static = static_sequence_op(symbol, left, right)
        if static is not None:
            return static
        if symbol == '+' and isinstance(right, Pack) and right.kind == 'list' and \
                self.may_be_runtime_list(left):
            return self.list_concatenated(left, right, node, hint)
        return self.builder.emit(prim, [left, right], {}, self.origin(node),
                                 hint or '_' + prim.__name__, style=('operator', symbol),
                                 temp=hint is None)

    def may_be_runtime_list(self, value):
        """A run-time list, or an item of one (which may be a list: `hist[l]`)?"""
        return isinstance(value, Value) and (
            value in self.ctx.lists or self.made_by(value, prims.GETITEM) and
            self.producing_op(value).args[0] in self.ctx.lists)

    def list_concatenated(self, lst, items, node, hint):
        """`hist[l] + [h, c]`: a new run-time list, a copy of lst (a TypeError when it runs
        if lst is no list: an array's `+` would broadcast) with the items appended."""
        origin = self.origin(node)
        new = self.builder.emit(containers._sg_list_copy, [lst], {}, origin, hint or '_list',
                                temp=hint is None)
        self.ctx.lists.add(new)
        self.ctx.memory.note_list(new, [lst])
        for item in items.items:
            new = self.list_append(new, item, node, None)
        return new

    def expr_UnaryOp(self, node, hint):
        operand = self.expr(node.operand)
        prim, symbol = UNARY[type(node.op)]
        if known_literal(operand):
            return Const(PY_UNARY[symbol](operand.value))
        if isinstance(operand, Pack) and symbol == 'not ':
            return Const(not operand.items)
        return self.builder.emit(prim, [operand], {}, self.origin(node),
                                 hint or '_' + getattr(prim, '__name__', 'not'),
                                 style=('unary', symbol), temp=hint is None)

    def expr_Compare(self, node, hint):
        if len(node.ops) != 1:
            # a < b < c  ==  (a < b) and (b < c), with b evaluated once; c is not
            # evaluated when a < b is known to fail
            a, result = self.expr(node.left), None
            for op_node, c in zip(node.ops, node.comparators):
                if isinstance(result, Const) and not result.value:
                    break
                if result is not None and not isinstance(result, Const) and walrus_names(c):
                    raise self.error('an assignment expression (:=) in a chained comparison '
                                     'runs only when the comparisons before it hold: assign '
                                     'before the comparison', c)
                b = self.expr(c)
                part = self.compare(op_node, a, b, node, None)
                if result is None:
                    result = part
                elif isinstance(result, Const):
                    result = part if result.value else result
                else:
                    captured = result
                    result = self.conditional(captured, lambda p=part: p, lambda c=captured: c,
                                              node, None)
                a = b
            return result
        left = self.expr(node.left)
        right = self.expr(node.comparators[0])
        return self.compare(node.ops[0], left, right, node, hint)

    def compare(self, op_node, left, right, node, hint):
        prim, symbol = COMPARE[type(op_node)]
        if static_value(left) is not UNKNOWN and static_value(right) is not UNKNOWN:
            self.folded(left, right)
            return Const(PY_COMPARE[symbol](static_value(left), static_value(right)))
        if symbol in ('is', 'is not') and (isinstance(left, Pack) or isinstance(right, Pack)):
            return Const(symbol == 'is not')
        if symbol in ('in', 'not in'):
            return self.membership(symbol, left, right, node)
        return self.builder.emit(prim, [left, right], {}, self.origin(node),
                                 hint or '_compare', style=('compare', symbol),
                                 temp=hint is None)

    def membership(self, symbol, left, right, node):
        """`v in (a, b)` with the items known when transforming: `v == a or v == b`
        (Python's test for tuples, lists and dict keys); `v in c` with `c` a run-time
        value is Python's test, run then; other containers are refused."""
        items = None
        if isinstance(right, Pack) and right.kind != 'index' or isinstance(right, Const) \
                and isinstance(right.value, (tuple, list, dict, range)):
            items = self.static_items(right, node)  # a dict's keys
        if items is None and isinstance(right, Value):
            # a run-time container (an array, a dict argument): Python's own test, run
            # when the code runs; a bool, constant for the gradient
            prim, _ = COMPARE[gast.In]
            return self.builder.emit(prim, [left, right], {}, self.origin(node), '_compare',
                                     style=('compare', symbol), temp=True)
        if items is None or len(items) > MAX_MEMBERSHIP_ITEMS:
            raise self.error(f'{symbol!r} on run-time values is supported only against a '
                             f'tuple, list or dict of at most {MAX_MEMBERSHIP_ITEMS} items known '
                             f'when transforming', node)
        found = Const(False)
        for item in items:
            found = match.either(self, found, self.compare(gast.Eq(), left, item, node, None),
                                 node)
        if symbol == 'in' or isinstance(found, Const):
            return found if symbol == 'in' else Const(not found.value)
        return self.builder.emit(operator.not_, [found], {}, self.origin(node), '_not',
                                 style=('unary', 'not '))

    def expr_Attribute(self, node, hint):
        return self.attribute(self.expr(node.value), node.attr, node, hint)

    def attribute(self, base, attr, node, hint):
        """`base.attr` (also `getattr(base, 'attr')`)."""
        if isinstance(base, Const):
            try:
                obj = self.static_attribute(base.value, attr)
            except AttributeError:
                raise self.error(f'{base.spelling or type(base.value).__name__} has no '
                                 f'attribute {attr!r}', node) from None
            spelling = f'{base.spelling}.{attr}' if base.spelling else None
            return Const(obj, spelling=spelling)
        if isinstance(base, Pack) and base.kind == 'tuple' and base.keys and attr in base.keys:
            return base.items[base.keys.index(attr)]      # slogdet(a).logabsdet
        if isinstance(base, Pack):
            raise self.error(f'attribute {attr!r} of a list or tuple is not supported', node)
        if attr in ATTRIBUTES:
            prim = ATTRIBUTES[attr]
            return self.builder.emit(prim, [base], {}, self.origin(node), hint or '_' + attr,
                                     style=('attribute', attr), temp=hint is None)
        if attr in CONSTANT_ATTRIBUTES or self.describes_a_type(base):
            return self.builder.emit(getattr, [base, Const(attr)], {}, self.origin(node),
                                     hint or '_' + attr, style=('attribute', attr),
                                     temp=hint is None)
        if attr in METHODS:
            raise self.error(f'the method {attr!r} must be called here', node)
        # `state.m` of a NamedTuple passed in (anything else is refused when it runs)
        return self.builder.emit(containers._sg_field, [base, Const(attr)], {},
                                 self.origin(node), hint or attr, temp=hint is None)

    def expr_Subscript(self, node, hint):
        base = self.expr(node.value)
        index = self.index(node.slice)
        if isinstance(base, Const) and (base.value is np.r_ or base.value is np.c_):
            return self.index_concatenation(base, index, node, hint)
        if isinstance(base, Pack) and base.kind == 'dict':
            if not literal_index(index):
                raise self.error(f'a dict built in the function is indexed with a key known '
                                 f'only when the code runs (keys must be constants: '
                                 f'{base.keys})', node)
            key = index_value(index)
            if key not in base.keys:
                raise self.error(f'key {key!r} is not in this dict (keys must be constants '
                                 f'and present: {base.keys})', node)
            return base.items[base.keys.index(key)]
        if isinstance(base, (Pack, Const)) and literal_index(index):
            self.folded(base)
            key = index_value(index)
            seq = base.items if isinstance(base, Pack) else base.value
            try:
                item = seq[key]
            except Exception as exc:
                raise self.error(f'{type(exc).__name__}: {exc}', node) from None
            if isinstance(base, Pack):
                return Pack(base.kind, item) if isinstance(key, slice) else item
            return Const(item)
        if isinstance(base, Pack) and base.kind in ('list', 'tuple'):
            # a run-time index: read from the sequence as a run-time list
            base = self.runtime_list(base, self.origin(node), '_seq')
        known = self.known_item(base, index)
        if known is not None:
            return known
        out = self.builder.emit(prims.GETITEM, [base, index], {}, self.origin(node),
                                hint or '_getitem', style=('subscript',), temp=hint is None)
        if base in self.ctx.lists and (isinstance(index, Slice) or isinstance(index, Const)
                                       and isinstance(index.value, slice)):
            self.ctx.lists.add(out)         # a slice of a list is a list
        return out

    def known_item(self, base, index):
        """`lst[k]` of a run-time list whose item k is known here (appending keeps
        the items before): that very value, as Python's list holds that object."""
        items, complete = self.ctx.list_items.get(base, ((), False))
        if not (known_literal(index) and type(index.value) is int):
            return None
        k = index.value
        if 0 <= k < len(items) or complete and -len(items) <= k < 0:
            return items[k]
        return None

    def index_concatenation(self, base, index, node, hint):
        """np.r_[a, b] and np.c_[a, b] of arrays: concatenate / column_stack calls."""
        items = index.items if isinstance(index, Pack) else [index]
        if all(isinstance(i, Const) for i in items):
            try:
                return Const(base.value[tuple(i.value for i in items)
                                        if len(items) > 1 else items[0].value])
            except Exception as exc:
                raise self.error(f'{type(exc).__name__}: {exc}', node) from None
        if any(isinstance(i, Slice) or isinstance(i, Const) and isinstance(i.value, (slice, str))
               for i in items):
            raise self.error('np.r_ / np.c_ with slices or string directives and run-time '
                             'values is not supported: use np.concatenate', node)
        origin = self.origin(node)
        if base.value is np.c_:
            return self.builder.emit(np.column_stack, [Pack('tuple', items)], {}, origin,
                                     hint or '_column_stack', temp=hint is None)
        parts = [self.builder.emit(np.atleast_1d, [i], {}, origin, '_atleast_1d') for i in items]
        return self.builder.emit(np.concatenate, [Pack('tuple', parts)], {}, origin,
                                 hint or '_concatenate', temp=hint is None)

    def index(self, node):
        if isinstance(node, gast.Tuple):
            items = [self.index_item(e) for e in node.elts]
            return Pack('index', items)
        item = self.index_item(node)
        return item

    def index_item(self, node):
        if isinstance(node, gast.Slice):
            parts = [NONE if p is None else self.expr(p) for p in (node.lower, node.upper, node.step)]
            if all(known_literal(p) for p in parts):
                return Const(slice(*(p.value for p in parts)))
            return Slice(*parts)
        return self.expr(node)
