"""Lowering: a gast function body -> IR ops in A-normal form.

Each user expression becomes one op per primitive; operators, methods and
attributes become the NumPy callables they mean (`x @ W` -> np.matmul,
`x.sum(axis=0)` -> np.sum, `x.T` -> np.transpose), remembering how the user
spelled them so that codegen can spell them the same way.  Python-level
computations on transform-time constants (`axis is None`, `len(shape)`, tuple
arithmetic) are folded here, so `if` tests on them pick a branch statically,
as in AutoGraph.  Calls to user functions are inlined: their ops keep their
own origins, with the call site as `caller`.

The same lowering expands gradient-rule templates (rules/template.py), with
the rule's parameters bound to the operands of the op being differentiated.
"""
import dataclasses
import inspect
import linecache
import operator
import types

import gast
import numpy as np

from ..ad import interface
from ..analyses.aliases import Pending, Stale
from ..codegen import literal
from ..errors import TransformError
from ..ir import clone, effects, match, prims
from ..ir.builder import Builder
from ..ir.nodes import (NONE, Block, Const, Graph, If, Loop, Managed, Pack, Param, Slice, Value,
                        map_operand, walk)
from ..rules import registry
from ..rules.products import einsum_string_form
from ..runtime import helpers
from .analysis import (appended_names, assigned_first, assigned_names, deleted_names, has_break,
                       has_return, indexed_stores, may_exit, only_appended, read_outside,
                       stored_names, walrus_names)
from .context import DELETED, Context, hint_of, item_hint
from .marks import GradientHelper, GraphHelper
from .rewrites import test_in_body, with_rest
from .source import capture
from .spellings import (ATTRIBUTES, BINARY, COMPARE, CONSTANT_ATTRIBUTES, DICT_METHODS, FOLDABLE,
                        ITERATING_BUILTINS, MANAGER_ARGUMENTS, METHODS, PY_BINARY, PY_COMPARE,
                        PY_UNARY, RESULT_FIELDS, TYPE_QUERIES, UNARY, VARARG_METHODS,
                        is_context_manager, is_library_callable)
from .static import (UNKNOWN, all_known, as_pack, hashable, index_value, is_string_method,
                     known_literal, known_pieces, literal_index, numpy_fold, python_value,
                     static_sequence_op, static_value)


# Recursion is unrolled when transforming, up to this depth and number of calls.
MAX_RECURSION_DEPTH = 32
MAX_UNROLLED_CALLS = 512
# `v in seq` on a run-time v becomes one comparison per item, up to this many.
MAX_MEMBERSHIP_ITEMS = 64

UNSUPPORTED_STATEMENTS = {
    'Try': 'try/except/finally cannot be transformed',
    'TryStar': 'try/except* cannot be transformed',
    'AsyncWith': 'async with cannot be transformed',
    'AsyncFor': 'async for cannot be transformed',
    'AsyncFunctionDef': 'async functions cannot be transformed',
    'Global': 'global statements cannot be transformed',
    'Nonlocal': 'nonlocal statements cannot be transformed',
    'Import': 'import statements inside a transformed function are not supported; import at module level',
    'ImportFrom': 'import statements inside a transformed function are not supported; import at module level',
    'ClassDef': 'class definitions inside a transformed function are not supported',
}
UNSUPPORTED_EXPRESSIONS = {
    'SetComp': 'set comprehensions are not supported',
    'Yield': 'generators (yield) cannot be transformed',
    'YieldFrom': 'generators (yield from) cannot be transformed',
    'Await': 'await cannot be transformed',
    'Dict': 'dict literals are not supported yet',
    'Set': 'set literals are not supported yet',
    'Starred': 'starred expressions are not supported yet',
}


class FunctionLowering:
    """Lowers one function body (a user function, an inlined helper, or a rule)."""

    def __init__(self, ctx, builder, src, env, caller=None, gradients_site=None):
        self.ctx = ctx
        self.builder = builder
        self.src = src
        self.env = env
        self.caller = caller
        self.returned = False
        self.raised = False
        self.result = None
        self.return_origin = None
        self.loops = []             # enclosing loops: their break / return flag names
        self.pending_return = None  # a loop just lowered returned from inside
        self.stmt = None
        self.gradients_site = gradients_site   # ad.reverse.differentiate_site, injected

    @classmethod
    def for_adjoint(cls, ctx, builder):
        """The lowering at an `sg.grad` adjoint: no function body of its own.  The AD
        appends to `builder` and lowers rule templates in `ctx` through it (as rules:
        see `in_rule`)."""
        return cls(ctx, builder, src=None, env={})

    # ---- origins and errors -------------------------------------------------
    def origin(self, node):
        if self.builder.origin_override is not None:
            return self.builder.origin_override     # inside a rule: the user's line
        origin = self.src.origin(node, self.stmt)
        if self.caller is not None:
            origin = _with_caller(origin, self.caller)
        return origin

    def error(self, message, node):
        return TransformError(message, self.origin(node))

    def in_rule(self):
        """Is this the lowering of a gradient rule's template (NumPy semantics)?"""
        return self.src is None or (self.src.fn.__module__ or '').startswith('s2sgrad.')

    def error_at(self, message, origin):
        return TransformError(message, origin)

    def caller_bindings(self, env):
        """Add this function's bindings to a callee's `env` under hidden names (`.x`):
        a write in the callee rebinds them as it rebinds its own (ir/effects.py)."""
        for name, b in self.env.items():
            if isinstance(b, (Value, Pack, Pending, Stale)):
                env['.' + name] = b

    def returned_bindings(self, env):
        """After a callee returns: the bindings it changed are this function's."""
        for key, b in env.items():
            if key.startswith('.') and b is not self.env.get(key[1:], b):
                self.env[key[1:]] = b

    def other_holder(self, container, name):
        """Another name holding `container` (or a list or dict holding it), as the
        user reads it (a caller's name, see `caller_bindings`); None if only `name`."""
        for other, b in self.env.items():
            if other != name and _holds(b, container):
                return f"the caller's {other[1:]!r}" if other.startswith('.') else repr(other)
        return None

    def envs_sharing(self):
        """The bindings a write may change: this function's, which hold its callers'
        too (under hidden names, see `caller_bindings`)."""
        return [self.env]

    # ---- names from outside the function ------------------------------------
    def resolve(self, name):
        """(found, object) for a free name; a user function's read is a guard."""
        if self.in_rule():
            return self.src.resolve(name)       # a gradient rule's own names
        return self.src.resolve_guarded(name, self.ctx.guards)

    def static_attribute(self, base, attr):
        """getattr on a transform-time object, recorded as a guard."""
        obj = getattr(base, attr)
        self.ctx.guards.read_attribute(base, attr, obj)
        return obj

    def folded(self, *operands):
        """Constants whose items a transform-time computation reads: arrays among
        them from outside the function are guarded by their contents."""
        for operand in operands:
            if isinstance(operand, Const):
                self.ctx.guards.read_contents(operand.value)

    # ---- statements ----------------------------------------------------------
    def lower_body(self, body=None):
        body = self.src.node.body if body is None else body
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]
        self.stmts(body)
        return self.result if self.returned else NONE

    def stmts(self, body):
        body = list(body)
        for i, stmt in enumerate(body):
            if self.returned:
                break       # unreachable after return, as in Python
            if isinstance(stmt, (gast.If, gast.Match)) and i + 1 < len(body) \
                    and may_exit(stmt):
                # the statements after an if that may return run only where it did
                # not: they move into each branch that falls through
                stmt = with_rest(stmt, body[i + 1:])
                body[i + 1:] = []
            outer, self.stmt = self.stmt, stmt
            try:
                kind = type(stmt).__name__
                handler = getattr(self, 'stmt_' + kind, None)
                if handler is None:
                    message = UNSUPPORTED_STATEMENTS.get(kind, f'{kind} statements are not supported')
                    raise self.error(message, stmt)
                handler(stmt)
            finally:
                self.stmt = outer
            if self.pending_return is not None and not self.returned:
                # after a loop that returned: `if returned: return value`, and the
                # rest of this body runs only where it did not
                ctx, self.pending_return = self.pending_return, None
                check = gast.If(test=gast.Name(ctx['return_flag'], gast.Load(), None, None),
                                body=[gast.Return(value=gast.Name(ctx['return_value'],
                                                                  gast.Load(), None, None))],
                                orelse=[])
                check = with_rest(gast.copy_location(check, stmt), body[i + 1:])
                body[i + 1:] = []
                outer, self.stmt = self.stmt, stmt
                try:
                    self.stmt_If(check)
                finally:
                    self.stmt = outer

    def stmt_Pass(self, node):
        pass

    def stmt_Expr(self, node):
        if isinstance(node.value, gast.Constant):
            return      # a bare string (docstring-like) or constant: nothing to run
        self.expr(node.value)

    def stmt_Return(self, node):
        if self.loops:
            # return in a loop: remember the value, leave every enclosing loop;
            # after the outermost, `if returned: return value` (see stmt_For)
            loop = self.loops[-1]
            value = NONE if node.value is None else self.expr(node.value, hint='_return')
            self.env[loop['return_flag']] = Const(True)
            self.env[loop['return_value']] = value
            loop['returns'] = True
            self.env[loop['break_flag']] = Const(True)
            loop['breaks'] = True
            self.returned, self.result = True, None
            return
        self.result = NONE if node.value is None else self.expr(node.value, hint='_return')
        if isinstance(self.result, Value) and self.result.hint == '_return':
            self.result.temp = True     # folds into `return ...`, or takes the caller's name
        self.returned = True
        if len(self.builder.stack) == 1 and self.caller is None:
            self.return_origin = self.origin(node)

    def stmt_Assign(self, node):
        hint = node.targets[0].id if isinstance(node.targets[0], gast.Name) else None
        value = self.expr(node.value, hint=hint)
        for target in node.targets:
            self.assign(target, value)

    def stmt_AnnAssign(self, node):
        if node.value is None:
            return
        value = self.expr(node.value, hint=getattr(node.target, 'id', None))
        self.assign(node.target, value)

    def stmt_AugAssign(self, node):
        target = node.target
        origin = self.origin(node)
        if isinstance(target, gast.Subscript):
            base, index = self.subscript_target(target)
            if isinstance(base, Pack):
                # lst[0] *= 2.0: the item's own in-place operator (an array changes in
                # place, wherever else it is held), then the result stored back
                item = self.expr(target)
                value = self.binary(node.op, item, self.expr(node.value), node)
                if isinstance(item, Value):
                    effects.write(self, item, value, origin, maybe_number=True)
                base, index = self.subscript_target(target)
                self.store_item(target, base, index, value, node)
                return
            # x[i] += v  is  x[i] = x[i] + v  (NumPy's own meaning, repeats included)
            current = self.builder.emit(prims.GETITEM, [base, index], {}, origin,
                                        '_getitem', style=('subscript',))
            value = self.binary(node.op, current, self.expr(node.value), node)
            self.store_item(target, base, index, value, node)
            return
        if not isinstance(target, gast.Name):
            raise self.error('augmented assignment to an attribute cannot be transformed '
                             '(attribute mutation)', node)
        current = self.load_name(target.id, target)
        if isinstance(current, Const) and isinstance(current.value, np.ndarray):
            raise self.error(f'augmented assignment to the global array {target.id!r} cannot '
                             f'be transformed (it would change module state in place)', node)
        value = self.binary(node.op, current, self.expr(node.value), node, hint=target.id)
        # an array's += changes it in place: every name showing its memory sees it
        # (a number's rebinds the name only)
        self.env[target.id] = value
        if isinstance(current, Value):
            effects.write(self, current, value, origin, maybe_number=True)

    def subscript_target(self, target):
        if isinstance(target.value, gast.Name):
            base = self.load_name(target.value.id, target.value)
        else:
            base = self.expr(target.value)
            if isinstance(base, Pack):
                raise self.error('assignment into a nested list or dict item is not '
                                 'supported; assign to a variable first', target)
        if isinstance(base, Const):
            what = f'the global {target.value.id!r}' if isinstance(target.value, gast.Name) \
                else 'a global array'
            raise self.error(f'assignment into {what} cannot be transformed (it would '
                             f'change module state)', target)
        return base, self.index(target.slice)

    def store_item(self, target, base, index, value, node):
        """x[i] = v: a new version of x's memory (in place when nothing reads the old
        one: passes/inplace), seen by every name that shows it (ir/effects.py).  A list
        or dict built here is followed item by item; at a run-time index a list becomes
        a run-time list (a new version of it, seen by every name holding it)."""
        hint = target.value.id if isinstance(target.value, gast.Name) else None
        if isinstance(base, Pack):
            if base.kind == 'tuple':
                raise self.error("'tuple' object does not support item assignment", node)
            if base.kind == 'dict':
                if not literal_index(index):
                    raise self.error('dict keys must be constants', node)
                key = index_value(index)
                keys, items = list(base.keys), list(base.items)
                if key in keys:
                    items[keys.index(key)] = value
                else:
                    keys.append(key)
                    items.append(value)
                new = Pack('dict', items, keys)
            elif literal_index(index) and isinstance(index_value(index), int):
                items = list(base.items)
                try:
                    items[index_value(index)] = value
                except IndexError:
                    raise self.error('list assignment index out of range', node) from None
                new = Pack(base.kind, items)
            else:
                # a run-time index (or a slice): the list as a run-time list from here on
                new = self.list_store(self.runtime_list(base, self.origin(node), hint or '_list'),
                                      index, value, node, hint)
            self.replace_container(base, new)
            if hint is not None:
                self.env[hint] = new
            return
        if base in self.ctx.lists:
            new = self.list_store(base, index, value, node, hint)
            self.replace_container(base, new)
            if hint is not None:
                self.env[hint] = new
            return
        origin = self.origin(node)
        new = self.builder.emit(prims.SETITEM, [base, index, value], {}, origin,
                                hint or getattr(base, 'hint', None) or '_written',
                                style=('setitem',), temp=False)
        effects.write(self, base, new, origin)
        if hint is not None:
            self.env[hint] = new

    def list_store(self, lst, index, value, node, hint):
        """lst[i] = v on a run-time list: a new version of the list."""
        new = self.builder.emit(prims.SETITEM, [lst, index, value], {}, self.origin(node),
                                hint or getattr(lst, 'hint', None) or '_list',
                                style=('setitem',), temp=False)
        self.ctx.lists.add(new)
        return new

    def replace_container(self, old, new):
        """A list or dict changed: every name holding that same object sees the change."""
        def replaced(b):
            if b is old:
                return new
            if isinstance(b, Pack):
                items = [replaced(i) for i in b.items]
                if any(x is not y for x, y in zip(items, b.items)):
                    return Pack(b.kind, items, b.keys)
            return b
        for env in self.envs_sharing():
            for name, b in list(env.items()):
                env[name] = replaced(b)

    def stmt_Delete(self, node):
        for target in node.targets:
            self.delete(target)

    def delete(self, target):
        """`del x` unbinds x; `del lst[i]` / `del d[k]` remove an item of a list or
        dict built here (a new version of it, as for an assignment)."""
        if isinstance(target, (gast.Tuple, gast.List)):
            for elt in target.elts:
                self.delete(elt)
            return
        if isinstance(target, gast.Name):
            if target.id not in self.env:
                raise self.error(f'del {target.id}: only a variable of this function can '
                                 f'be deleted', target)
            self.load_name(target.id, target)       # refused if already deleted
            self.env[target.id] = DELETED
            return
        if not (isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name)):
            raise self.error('del of an attribute or of a nested item cannot be transformed '
                             '(it would mutate an object)', target)
        name = target.value.id
        base, index = self.subscript_target(target)
        if not (isinstance(base, Pack) and base.kind in ('list', 'dict')):
            raise self.error(f'del {name}[...]: items can be deleted only from a list or '
                             f'dict built in the function and known item by item', target)
        holder = self.other_holder(base, name)
        if holder:
            raise self.error(f'{name!r} is also reachable as {holder} here; deleting '
                             f'from it would change both', target)
        if not literal_index(index):
            raise self.error(f'del {name}[...] needs an index known when transforming', target)
        key = index_value(index)
        if base.kind == 'dict':
            if key not in base.keys:
                raise self.error(f'KeyError: {key!r}', target)
            k = base.keys.index(key)
            self.env[name] = Pack('dict', base.items[:k] + base.items[k + 1:],
                                  base.keys[:k] + base.keys[k + 1:])
            return
        items = list(base.items)
        try:
            del items[key]
        except (IndexError, TypeError) as exc:
            raise self.error(f'{type(exc).__name__}: {exc}', target) from None
        self.env[name] = Pack('list', items)

    def stmt_With(self, node):
        managers = [self.context_manager(item) for item in node.items]
        exits = [stmt for stmt in node.body if may_exit(stmt)]
        if exits and (self.loops or exits != [node.body[-1]]
                      or not isinstance(node.body[-1], gast.Return)):
            first = next(n for n in gast.walk(exits[0])
                         if isinstance(n, (gast.Return, gast.Raise, gast.Break, gast.Continue)))
            self.stmt = first
            raise self.error('return, break, continue or raise inside a with block is not '
                             'supported (except a return as its last statement)', first)

        def body(k=0):
            if k == len(managers):
                self.stmts(node.body)
            else:
                self.within(managers[k], lambda: body(k + 1), node)
        body()

    def context_manager(self, item):
        """The `Managed` test of `with np.errstate(all='raise'):`; any other manager,
        or `as name`, is refused."""
        call = item.context_expr
        what = gast.unparse(call).strip() if hasattr(gast, 'unparse') else 'this context manager'
        if item.optional_vars is not None:
            raise self.error(f'with {what} as ...: binding the context manager is not '
                             f'supported', item.context_expr)
        callee = self.expr(call.func) if isinstance(call, gast.Call) else None
        if not (isinstance(callee, Const) and is_context_manager(callee.value)):
            raise self.error(f'with {what}: only np.errstate, np.printoptions and '
                             f'warnings.catch_warnings can be kept around transformed code '
                             f'(a with statement decides how its body runs)', call)
        args = self.elements(call.args)
        kwargs = {k.arg: self.expr(k.value) for k in call.keywords}
        # exact builtin types: the arguments are written into the generated source
        if None in kwargs or not all(isinstance(a, Const) and type(a.value) in MANAGER_ARGUMENTS
                                     for a in args + list(kwargs.values())):
            raise self.error(f'with {what}: its arguments must be literals (str, int, float, '
                             f'bool, None)', call)
        try:
            callee.value(*[a.value for a in args], **{k: v.value for k, v in kwargs.items()})
        except Exception as exc:
            raise self.error(f'{type(exc).__name__}: {exc}', call) from None
        return Managed(callee, args, kwargs)

    def within(self, manager, lower_body, node):
        """An If region whose test is `manager`: its then-block, always run, inside it."""
        origin = self.origin(node)
        before = dict(self.env)
        self.builder.stack.append(Block())
        lower_body()
        block = self.builder.stack.pop()
        # what the body (re)binds leaves it through the region's outputs; a tuple,
        # list or dict built inside stays known item by item
        inner = {v for op in walk(block) for v in op.outputs}
        outputs, results = [], []

        left = {}

        def leave(v):
            if v not in inner:
                return v
            if v in left:
                return left[v]
            out = left[v] = Value(v.hint, origin)
            outputs.append(out)
            results.append(v)
            if v in self.ctx.lists:
                self.ctx.lists.add(out)
            return out
        for name, value in list(self.env.items()):
            if before.get(name) is not value and value is not DELETED:
                self.env[name] = map_operand(value, leave)
        if self.returned:
            self.result = map_operand(self.result, leave)
        self.builder.append(If(Const(manager), block, Block(), outputs, results,
                               [None] * len(outputs), origin))

    def stmt_Match(self, node):
        match.lower_match(self, node)

    def stmt_Break(self, node):
        loop = self.loops[-1]
        self.env[loop['break_flag']] = Const(True)
        loop['breaks'] = True
        self.returned, self.result = True, None

    def stmt_Continue(self, node):
        self.returned, self.result = True, None

    def stmt_For(self, node):
        if node.orelse:
            raise self.error('for ... else is not supported', node)
        iterable, targets, bind = self.iteration(node)
        if iterable is None:
            return
        self.loop(node, 'for', iterable, targets, bind, None)

    def stmt_While(self, node):
        if node.orelse:
            raise self.error('while ... else is not supported', node)
        if any(isinstance(n, gast.NamedExpr) for n in gast.walk(node.test)):
            # `while (y := f(y)) > t:` binds y at every test, the failing one too,
            # and the body reads it: the test moves into the body
            node = test_in_body(node)
        self.loop(node, 'while', None, [], None, node.test)

    def iteration(self, node):
        """What a for loop runs over: (iterable, target values, binder of the user's target).

        Arrays and run-time sequences are walked by index (`for _i in
        range(len(X)): row = X[_i]`), so that the loop's gradient flows back
        through ordinary indexing; enumerate, zip, enumerate(zip(...)) and
        reversed likewise.  A list or tuple known at transform time is
        unrolled (walked by index too where the body may break or return).
        """
        origin = self.origin(node)
        kind = self.builtin_called(node.iter, (enumerate, zip, reversed))
        if kind is enumerate and len(node.iter.args) == 1 and \
                self.builtin_called(node.iter.args[0], (zip,)) is zip:
            kind, seqs = 'enumerate zip', [self.expr(a) for a in node.iter.args[0].args]
        elif kind is not None:
            seqs = [self.expr(a) for a in node.iter.args]
        else:
            seq = self.expr(node.iter)
            if isinstance(seq, Const) and isinstance(seq.value, range) or \
                    isinstance(seq, Value) and self.made_by(seq, range):
                i = Value(_target_hint(node.target), origin)
                self.ctx.memory.ints.add(i)
                return seq, [i], lambda: self.assign(node.target, i)
            seqs = [seq]
        for k, q in enumerate(seqs):
            items = self.iterated_items(q, node.iter)
            if items is not None:
                seqs[k] = Pack('tuple', items)
            elif isinstance(q, Value) and self.may_be_mapping(q):
                # a dict iterates its keys: which it is is known only at run time
                seqs[k] = self.builder.emit(helpers._sg_iterable, [q], {}, origin, '_seq')
        if kind is enumerate and len(seqs) != 1:
            raise self.error('enumerate takes one sequence here', node)
        if any(isinstance(q, Pack) for q in seqs) and \
                not any(may_exit(stmt) for stmt in node.body):
            # a list or tuple known item by item: unrolled
            n = min(len(q.items) for q in seqs if isinstance(q, Pack))

            def item(q, k):
                if isinstance(q, Pack):
                    return q.items[k]
                return self.builder.emit(prims.GETITEM, [q, Const(k)], {}, origin, '_item',
                                         style=('subscript',))
            for k in (range(n - 1, -1, -1) if kind is reversed else range(n)):
                self.assign(node.target, _iteration_item(kind, Const(k),
                                                         [item(q, k) for q in seqs]))
                self.stmts(node.body)
            return None, None, None
        # walked by index (a list known item by item whose body may exit: as a run-time list)
        seqs = [self.runtime_list(q, origin, '_seq') if isinstance(q, Pack) else q
                for q in seqs]
        lengths = [self.builder.emit(len, [q], {}, origin, '_n') for q in seqs]
        n = lengths[0] if len(lengths) == 1 else \
            self.builder.emit(min, lengths, {}, origin, '_n')
        if kind is reversed:
            last = self.binary(gast.Sub(), n, Const(1), node)
            rng = self.builder.emit(range, [last, Const(-1), Const(-1)], {}, origin, '_range')
        else:
            rng = self.builder.emit(range, [n], {}, origin, '_range')
        i = Value('_i', origin)
        self.ctx.memory.ints.add(i)

        def bind():
            # the sequence's memory as it is now (the body may write into it)
            items = [self.builder.emit(prims.GETITEM, [effects.current(self, q), i], {},
                                       origin, '_item', style=('subscript',)) for q in seqs]
            self.assign(node.target, _iteration_item(kind, i, items))
        return rng, [i], bind

    def builtin_called(self, node, builtins):
        """Which of `builtins` the call `node` calls (positional arguments only), if any."""
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
                and not node.keywords and node.func.id not in self.env):
            return None
        found, fn = self.resolve(node.func.id)
        return fn if found and any(fn is b for b in builtins) else None

    def made_by(self, value, prim):
        """Is this value the result of a call to `prim` (visible from here)?"""
        return getattr(self.producing_op(value), 'prim', None) is prim

    def describes_a_type(self, value):
        """A run-time dtype or np.finfo / np.iinfo result (`x.dtype`, `np.finfo(x.dtype)`)."""
        op = self.producing_op(value)
        prim = getattr(op, 'prim', None)
        if prim is getattr:
            attr = op.args[1]
            return isinstance(attr, Const) and attr.value == 'dtype'
        return prim in TYPE_QUERIES

    def producing_op(self, value):
        """The op before this point that made `value` (None: a parameter, a loop's)."""
        for op in self.builder.visible_ops():
            if value in getattr(op, 'outputs', ()):
                return op
        return None

    def may_be_mapping(self, value):
        """Can this run-time value be a dict (an argument, or an item of one)?"""
        op = self.producing_op(value)
        return op is None or getattr(op, 'prim', None) in (prims.GETITEM, prims.UNPACK,
                                                            helpers._sg_get)

    def iterated_items(self, seq, node):
        """The items `for item in seq` walks when they are known item by item (a dict:
        its keys, as Python iterates it), else None.  A set is refused: its order
        is Python's choice."""
        if isinstance(seq, Pack):
            return [Const(k) for k in seq.keys] if seq.kind == 'dict' else list(seq.items)
        if isinstance(seq, Const):
            if isinstance(seq.value, (set, frozenset)):
                raise self.error('iterating a set cannot be transformed: its order is not '
                                 'defined; iterate a list or sorted(...) of it', node)
            if isinstance(seq.value, (tuple, list, dict)):
                return [Const(v) for v in seq.value]
        return None

    def loop(self, node, kind, iterable, targets, bind, test):
        """A loop region.  Lowered again where its body turned out to write memory
        other names show (they are carried too), or changed how carried arrays share
        memory (their records: ir/effects.py)."""
        entry, ids = dict(self.env), len(self.ctx.loop_ids)
        seen = effects.LoopFacts()
        for _ in range(8):
            try:
                return self.loop_once(node, kind, iterable, targets, bind, test, seen)
            except effects.Again:
                self.env = dict(entry)
                del self.ctx.loop_ids[ids:]
        raise self.error('the arrays this loop writes into share memory in a way not '
                         'followed here; copy them first (np.copy)', node)

    def loop_once(self, node, kind, iterable, targets, bind, test, seen):
        origin = self.origin(node)
        k = len(self.ctx.loop_ids)
        self.ctx.loop_ids.append(node)
        ctx = {'break_flag': f'_break{k}', 'return_flag': f'_returned{k}',
               'return_value': f'_return_value{k}', 'breaks': False, 'returns': False}
        target_names = stored_names(node.target) if kind == 'for' else []
        # a loop variable read after the loop keeps its last value, as in Python: a
        # loop-carried variable too
        leftover = [n for n in target_names if read_outside(self.src.node, node, n)]
        names = [n for n in assigned_names(node.body) if n not in target_names] + leftover
        flags = [ctx['break_flag']] if has_break(node.body) else []
        if has_return(node.body):
            flags += [ctx['break_flag'], ctx['return_flag'], ctx['return_value']]
        deleted = deleted_names(node.body)
        # a name the body deletes is not carried: each iteration starts without it
        carried = list(dict.fromkeys(names + flags + sorted(seen.extra)))
        carried = [n for n in carried if n not in seen.stale and n not in deleted]
        for name in seen.stale:
            self.env[name] = seen.stale[name]
        effects.settle(self, {}, origin, [n for n in carried if n in self.env])
        # lists the body appends to or assigns into at a run-time index: run-time
        # lists from here on (their length or the item written is known only then)
        appended = appended_names(node.body) + indexed_stores(node.body)
        structured = {}                 # name -> (kind, keys): a tuple/dict carried item by item
        for name in carried:
            current = self.env.get(name)
            changed_list = name in appended and (
                isinstance(current, Pack) and current.kind == 'list' or
                current in self.ctx.lists)
            holder = self.other_holder(current, name) if changed_list else None
            if holder:
                # only `name` is carried: another name showing the list would not see
                # what the iterations did to it
                raise self.error(f'{name!r} is also reachable as {holder} here; this loop '
                                 f'changes the list (append, or an assignment at a run-time '
                                 f'index) and only {name!r} would see it: copy it first '
                                 f'(list({name}))', node)
            if isinstance(current, Pack) and current.kind == 'list' and name in appended:
                # a list the body appends to: a run-time list from here on (its length
                # varies with the iterations)
                self.env[name] = self.runtime_list(current, origin, name)
            elif isinstance(current, Pack):
                # same structure every iteration (state = (h, c), a dict of arrays):
                # each item is a loop variable of its own
                structured[name] = (current.kind, current.keys, len(current.items))
        slots = []                      # (name, item index or None)
        for name in carried:
            if name in structured:
                slots += [(name, k) for k in range(structured[name][2])]
            else:
                slots.append((name, None))
        before = dict(self.env)
        phis, inits = [], []
        for name, k in slots:
            hint = hint_of(name) if k is None else item_hint(name, structured[name][1], k)
            phi = Value(hint, origin)
            if k is not None:
                init = before[name].items[k]
            elif name.startswith('_returned') or name.startswith('_break'):
                init = before.get(name, Const(False))
            else:
                init = before.get(name, NONE)
                init = NONE if init is DELETED else init
            if init in self.ctx.lists:
                self.ctx.lists.add(phi)
                if k is None and only_appended(node.body, name):
                    items = self.ctx.list_items.get(init, ([], False))[0]
                    self.ctx.list_items[phi] = (items, False)
            phis.append(phi)
            inits.append(init)
        for name in carried:
            if name in structured:
                kind_, keys, _ = structured[name]
                self.env[name] = Pack(kind_, [p for p, (n, k) in zip(phis, slots) if n == name],
                                      keys)
            else:
                self.env[name] = phis[slots.index((name, None))]
        seen.dead = assigned_first(node.body, test)
        effects.phi_records(self, slots, phis, inits, seen)
        cond_block, cond = Block(), None
        if kind == 'while':
            self.builder.stack.append(cond_block)
            cond = self.expr(test)
            self.builder.stack.pop()
        body = Block()
        self.builder.stack.append(body)
        self.loops.append(ctx)
        saved = self.returned, self.result
        self.returned, self.result = False, None
        try:
            if bind is not None:
                bind()
            for name in flags:
                if name.startswith('_break'):
                    self.env[name] = Const(False)   # each iteration starts unbroken
            for name in deleted:
                self.env[name] = DELETED
            self.stmts(node.body)
            effects.settle(self, before, origin)
        finally:
            self.loops.pop()
            self.builder.stack.pop()
            self.returned, self.result = saved
        nexts = []
        for (name, k), phi in zip(slots, phis):
            if k is None:
                nexts.append(self.env.get(name, phi))
                if name in leftover and isinstance(nexts[-1], Pack):
                    raise self.error(f'the loop variable {name!r} holds a tuple and is read '
                                     f'after the loop: not supported; assign its items to '
                                     f'variables in the loop', node)
                continue
            new = self.env.get(name)
            kind_, keys, size = structured[name]
            if not (isinstance(new, Pack) and new.kind == kind_ and len(new.items) == size
                    and new.keys == keys):
                raise self.error(f'{name!r} ({kind_}) must keep its structure (length and '
                                 f'keys) from one iteration to the next', node)
            nexts.append(new.items[k])
        effects.check_loop(self, slots, phis, nexts, carried, before, target_names, seen, body)
        exit_flag = self.env.get(ctx['break_flag']) if ctx['breaks'] else None
        if isinstance(exit_flag, Const) and not exit_flag.value:
            exit_flag = None
        outputs = [Value(phi.hint, origin) for phi in phis]
        for phi, out, nxt in zip(phis, outputs, nexts):
            if phi in self.ctx.lists:
                self.ctx.lists.add(out)
                if phi in self.ctx.list_items:
                    self.ctx.list_items[out] = self.ctx.list_items[phi]
                if not (nxt in self.ctx.lists):
                    raise self.error(f'{phi.hint!r} is a list before the loop but not after '
                                     f'an iteration', node)
        region = Loop(kind, iterable, targets, phis, inits, nexts, cond_block, cond, body,
                      outputs, exit_flag, origin)
        self.builder.append(region)
        effects.loop_outputs(self, slots, phis, inits, nexts, outputs, seen)
        self.env = dict(before)
        for name in target_names:
            self.env.pop(name, None)    # (unless read after the loop: carried)
        for name in deleted:
            self.env[name] = DELETED    # deleted or not, depending on the iterations
        for name in carried:
            if name in structured:
                kind_, keys, _ = structured[name]
                self.env[name] = Pack(kind_, [o for o, (n, k) in zip(outputs, slots)
                                              if n == name], keys)
            else:
                self.env[name] = outputs[slots.index((name, None))]
        for name in leftover:
            if name not in before:
                # after a loop that ran no iteration the name is unbound, as in Python
                self.env[name] = self.builder.emit(helpers._sg_bound,
                                                   [self.env[name], Const(name)], {}, origin,
                                                   name, temp=False)
        if ctx['returns']:
            self.pending_return = ctx

    def stmt_FunctionDef(self, node):
        if node.decorator_list:
            raise self.error('decorators on a nested def are not supported', node)
        self.env[node.name] = Const(LocalFunction(node, self))

    def stmt_Raise(self, node):
        if node.exc is None:
            raise self.error('a bare raise cannot be transformed', node)
        exc = self.expr(node.exc)
        self.builder.emit(prims.RAISE, [exc], {}, self.origin(node), '_raise')
        self.returned, self.result, self.raised = True, None, True

    def stmt_Assert(self, node):
        test = self.expr(node.test)
        msg = NONE if node.msg is None else self.expr(node.msg)
        if isinstance(test, Const):
            if not test.value:
                raise self.error('this assertion always fails', node)
            return
        self.builder.emit(prims.ASSERT, [test, msg], {}, self.origin(node), '_assert', n_out=1)

    def stmt_If(self, node):
        test = self.expr(node.test)
        if isinstance(test, Const):
            self.folded(test)
            self.stmts(node.body if test.value else node.orelse)
            return
        if isinstance(test, Pack):
            self.stmts(node.body if test.items else node.orelse)
            return
        if self.builder.origin_override is not None:
            raise TransformError('this gradient needs its static arguments (axis, shape, dtype, '
                                 '...) to be constants, not run-time values',
                                 self.builder.origin_override)
        before = dict(self.env)
        branches = []
        for body in (node.body, node.orelse):
            self.env = dict(before)
            self.returned, self.result, self.raised = False, None, False
            self.builder.stack.append(Block())
            self.stmts(body)
            effects.settle(self, before, self.origin(node), keep=True)
            branches.append([self.builder.stack.pop(), self.env, self.result, self.returned,
                             self.raised])
            self.returned = self.raised = False
        for this, other in ((branches[0], branches[1]), (branches[1], branches[0])):
            if this[4]:                     # raises: defines nothing, returns nothing
                this[1], this[2], this[3] = {}, None, other[3]
        if branches[0][3] != branches[1][3]:
            # one branch exits, the other falls off the end (statements after the
            # if were moved into it): in a loop body the iteration ends there, at
            # the end of a function it returns None
            for branch in branches:
                if not branch[3]:
                    branch[2], branch[3] = (None if self.loops else NONE), True
        (then_block, then_env, then_ret, then_returns, then_raised), \
            (else_block, else_env, else_ret, else_returns, else_raised) = branches

        names = []
        for env in (then_env, else_env):
            for name, operand in env.items():
                if name not in names and before.get(name) is not operand:
                    names.append(name)
        if then_raised or else_raised:
            then_env = then_env if not then_raised else {n: None for n in names}
            else_env = else_env if not else_raised else {n: None for n in names}
        stale = {n: b for n in names for b in (then_env.get(n), else_env.get(n))
                 if isinstance(b, Stale)}
        names = [n for n in names if n not in stale]
        pending = [n for n in names if isinstance(then_env.get(n), Pending) or
                   isinstance(else_env.get(n), Pending)]
        names = [n for n in names if n not in pending]
        # deleted on one path: a later read is refused (Python's NameError on that path)
        deleted = [n for n in names if DELETED in (then_env.get(n, before.get(n)),
                                                  else_env.get(n, before.get(n)))]
        names = [n for n in names if n not in deleted]
        origin = self.origin(node)
        region = If(test, then_block, else_block, [], [], [], origin)
        merged = {name: self.merge_branches(region, then_env.get(name, before.get(name)),
                                            else_env.get(name, before.get(name)),
                                            hint_of(name))
                  for name in names}
        n_merged = len(region.outputs)      # (the return value's output comes after)
        result = None
        if then_returns and not (then_raised and else_raised) and not self.loops:
            result = self.merge_branches(region, then_ret, else_ret, '_return')
        self.builder.append(region)
        self.env = dict(before)
        self.env.update(merged)
        for name in deleted:
            self.env[name] = DELETED
        self.env.update(stale)
        for name in pending:
            # a view of an array the branches wrote: of the merged array, where both
            # show the same view of it; else recomputed in each branch
            view = effects.merged_pending(
                self, name, then_env, else_env, before,
                dict(zip([id(r) for r in region.then_results[:n_merged]], region.outputs)),
                dict(zip([id(r) for r in region.else_results[:n_merged]], region.outputs)))
            if view is None:
                results = []
                for block, env in ((then_block, then_env), (else_block, else_env)):
                    self.builder.stack.append(block)
                    try:
                        results.append(effects.materialize(self, env.get(name, before.get(name)),
                                                           origin))
                    finally:
                        self.builder.stack.pop()
                view = Value(hint_of(name), origin)
                region.outputs.insert(n_merged, view)
                region.then_results.insert(n_merged, results[0])
                region.else_results.insert(n_merged, results[1])
                n_merged += 1
            self.env[name] = view
        effects.merged(self, region.outputs[:n_merged],
                       list(zip(region.then_results, region.else_results)), region.blocks())
        if then_raised and else_raised:
            self.returned, self.raised, self.result = True, True, None
        elif then_returns and self.loops:
            self.returned, self.result = True, None     # the iteration ended on both paths
        elif then_returns:
            self.returned, self.result = True, result

    def merge_branches(self, region, then, orelse, hint):
        """What a name holds after an if: a new output of `region` where the branches
        differ; a list, tuple or dict built here is merged item by item (the same
        structure on both paths), so each item keeps its own gradient.  None: the
        branch raised."""
        if then is orelse:
            return then
        packs = [p for p in (then, orelse) if isinstance(p, Pack)]
        if packs:
            then, orelse = as_pack(then), as_pack(orelse)
            shape = packs[0].kind, len(packs[0].items), packs[0].keys
            if not all(p is None or isinstance(p, Pack) and (p.kind, len(p.items), p.keys)
                       == shape for p in (then, orelse)):
                raise self.error_at(f'{hint.lstrip("_")!r} is a {shape[0]} of another length, '
                                    f'keys or kind on the other path of this if: its items '
                                    f'cannot be followed', region.origin)
            items = [self.merge_branches(
                region, None if then is None else then.items[k],
                None if orelse is None else orelse.items[k],
                hint if hint.startswith('_') else item_hint(hint, shape[2], k))
                for k in range(shape[1])]
            return Pack(shape[0], items, shape[2])
        out = Value(hint, region.origin)
        region.outputs.append(out)
        region.then_results.append(then)
        region.else_results.append(orelse)
        if then in self.ctx.lists or orelse in self.ctx.lists:
            self.ctx.lists.add(out)
        return out

    def assign(self, target, value):
        if isinstance(target, gast.Name):
            if isinstance(value, Value) and value.temp and self.builder.origin_override is None:
                value.hint, value.temp = target.id, False     # the user's name for it
            self.env[target.id] = value
            return
        if isinstance(target, (gast.Tuple, gast.List)):
            elts = target.elts
            stars = [k for k, e in enumerate(elts) if isinstance(e, gast.Starred)]
            if stars:
                # first, *rest = seq: split a sequence known item by item
                items = value.items if isinstance(value, Pack) else \
                    [Const(v) for v in value.value] if isinstance(value, Const) \
                    and isinstance(value.value, (tuple, list)) else None
                if items is None or len(stars) > 1 or len(items) < len(elts) - 1:
                    raise self.error('starred assignment needs a list or tuple known item by '
                                     'item', target)
                k = stars[0]
                tail = len(elts) - k - 1
                middle = items[k:len(items) - tail]
                parts = list(items[:k]) + [Pack('list', middle)] + list(items[len(items) - tail:])
                for elt, item in zip(elts, parts):
                    self.assign(elt.value if isinstance(elt, gast.Starred) else elt, item)
                return
            if isinstance(value, Pack):
                if len(value.items) != len(elts):
                    raise self.error(f'cannot unpack {len(value.items)} values into '
                                     f'{len(elts)} names', target)
                items = value.items
            elif isinstance(value, Const):
                try:
                    seq = list(value.value)
                except TypeError:
                    raise self.error(f'cannot unpack {value.value!r}', target) from None
                if len(seq) != len(elts):
                    raise self.error(f'cannot unpack {len(seq)} values into {len(elts)} names',
                                     target)
                items = [Const(v) for v in seq]
            else:
                hints = [e.id if isinstance(e, gast.Name) else '_item' for e in elts]
                items = self.builder.emit(prims.UNPACK, [value], {}, self.origin(target),
                                          None, n_out=len(elts))
                if len(elts) == 1:
                    items = [items]
                for item, hint in zip(items, hints):
                    item.hint, item.temp = hint, hint == '_item'
            for elt, item in zip(elts, items):
                self.assign(elt, item)
            return
        if isinstance(target, gast.Subscript):
            base, index = self.subscript_target(target)
            self.store_item(target, base, index, value, target)
            return
        if isinstance(target, gast.Attribute):
            raise self.error('assignment to an attribute cannot be transformed '
                             '(attribute mutation)', target)
        raise self.error(f'cannot assign to {type(target).__name__}', target)

    # ---- expressions ---------------------------------------------------------
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

    def load_name(self, name, node):
        if name in self.env:
            if self.env[name] is DELETED:
                raise self.error(f'{name!r} is read after `del {name}` (on some path '
                                 f'through the code)', node)
            return self.binding(name, self.origin(node))
        found, obj = self.resolve(name)
        if not found:
            raise self.error(f'name {name!r} is not defined', node)
        if obj is exec or obj is eval or obj is compile:
            raise self.error(f'{name}() cannot be transformed', node)
        return Const(obj, spelling=name)

    def binding(self, name, origin):
        """What `name` shows now: a view of memory written since is recomputed here
        (ir/effects.py), one that cannot be is refused."""
        bound = self.env[name]
        if effects.is_pending(bound):
            bound = self.env[name] = effects.materialize(self, bound, origin)
        return bound

    def expr_ListComp(self, node, hint):
        if len(node.generators) == 1 and \
                self.static_items(self.expr(node.generators[0].iter), node) is None:
            return self.list_loop(node, hint)
        return Pack('list', self.comprehension(node, lambda: [self.expr(node.elt)]))

    def list_loop(self, node, hint=None):
        """[f(x) for x in seq] over a run-time sequence: a loop appending to a list."""
        comp = node.generators[0]
        name = hint if hint and hint not in self.env and hint.isidentifier() \
            else f'_items{len(self.ctx.loop_ids)}'
        call = gast.Call(func=gast.Attribute(value=gast.Name(name, gast.Load(), None, None),
                                             attr='append', ctx=gast.Load()),
                         args=[node.elt], keywords=[])
        body = [gast.Expr(value=call)]
        for test in reversed(comp.ifs):
            body = [gast.If(test=test, body=body, orelse=[])]
        loop = gast.For(target=comp.target, iter=comp.iter, body=body, orelse=[],
                        type_comment=None)
        gast.copy_location(loop, node)
        for inner in gast.walk(loop):
            if not hasattr(inner, 'lineno') or inner.lineno is None:
                gast.copy_location(inner, node)
        saved = {k: self.env[k] for k in stored_names(comp.target) if k in self.env}
        self.env[name] = Pack('list', [])
        self.stmt_For(loop)
        items = self.env.pop(name)
        self.env.update(saved)
        return items

    expr_GeneratorExp = expr_ListComp     # consumed at once by the call it is passed to

    def expr_DictComp(self, node, hint):
        pairs = self.comprehension(node, lambda: [(self.expr(node.key), self.expr(node.value))])
        if not all(known_literal(k) for k, _ in pairs):
            raise self.error('dict comprehension keys must be constants', node)
        return Pack('dict', [v for _, v in pairs], [k.value for k, _ in pairs])

    def comprehension(self, node, element, generators=None):
        """Unroll a comprehension over sequences known item by item (lists, tuples,
        constant ranges); its conditions must be decided when transforming."""
        generators = node.generators if generators is None else generators
        if not generators:
            return element()
        gen = generators[0]
        seq = self.static_items(self.expr(gen.iter), gen.iter)
        if seq is None:
            raise self.error('a nested comprehension over a run-time sequence is not '
                             'supported yet: write the loops', gen.iter)
        saved = dict(self.env)
        out = []
        try:
            for item in seq:
                self.assign(gen.target, item)
                tests = [self.expr(t) for t in gen.ifs]
                if not all(isinstance(t, Const) for t in tests):
                    raise self.error('a comprehension condition must be decided when '
                                     'transforming (a constant)', gen.ifs[0])
                if all(t.value for t in tests):
                    out.extend(self.comprehension(node, element, generators[1:]))
        finally:
            # the comprehension's variables stay inside it; `:=` binds outside it
            for name in walrus_names(node):
                if name in self.env:
                    saved[name] = self.env[name]
            self.env = saved
        return out

    def static_items(self, seq, node):
        if isinstance(seq, Const) and isinstance(seq.value, (range, enumerate, zip, reversed)):
            return [Const(v) for v in seq.value]     # (a fresh iterator each lowering)
        return self.iterated_items(seq, node)

    def sum_generator(self, gen, node, hint):
        """sum(f(x) for x in xs): unrolled over a known sequence, else a loop adding up."""
        seq = self.static_items(self.expr(gen.generators[0].iter), gen) \
            if len(gen.generators) == 1 else None
        if seq is not None or len(gen.generators) > 1:
            terms = self.comprehension(gen, lambda: [self.expr(gen.elt)])
            total = Const(0)
            for term in terms:
                total = self.binary(gast.Add(), total, term, node)
            return total
        comp = gen.generators[0]
        acc = f'_sum{len(self.ctx.loop_ids)}'
        store = gast.Name(acc, gast.Store(), None, None)
        load = gast.Name(acc, gast.Load(), None, None)
        update = gast.Assign(targets=[store], value=gast.BinOp(left=load, op=gast.Add(),
                                                                 right=gen.elt), type_comment=None)
        body = [update]
        for test in reversed(comp.ifs):
            body = [gast.If(test=test, body=body, orelse=[])]
        loop = gast.For(target=comp.target, iter=comp.iter, body=body, orelse=[],
                        type_comment=None)
        for synthetic in (update, loop, *[b for b in body if isinstance(b, gast.If)]):
            gast.copy_location(synthetic, node)
        gast.fix_missing_locations(loop)
        saved = {k: self.env[k] for k in stored_names(comp.target) if k in self.env}
        self.env[acc] = Const(0)
        self.stmt_For(loop)
        total = self.env.pop(acc)
        self.env.update(saved)
        return total

    def expr_NamedExpr(self, node, hint):
        """`(y := value)`: binds y where the expression runs, and is the value."""
        value = self.expr(node.value, hint=node.target.id)
        self.assign(node.target, value)
        return value

    def expr_Lambda(self, node, hint):
        return Const(LocalFunction(node, self))

    def elements(self, elts):
        items = []
        for e in elts:
            if isinstance(e, gast.Starred):
                items.extend(self.unpack_items(self.expr(e.value), e))
            else:
                items.append(self.expr(e))
        return items

    def expr_Tuple(self, node, hint):
        items = self.elements(node.elts)
        if all(known_literal(i) for i in items):
            return Const(tuple(i.value for i in items))
        return Pack('tuple', items)

    def expr_Dict(self, node, hint):
        entries = {}                        # later keys override earlier ones, as in Python
        for k, v in zip(node.keys, node.values):
            if k is None:
                packed = self.expr(v)
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
        return Pack('dict', list(entries.values()), list(entries))

    def expr_List(self, node, hint):
        return Pack('list', self.elements(node.elts))

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
        return self.builder.emit(prim, [left, right], {}, self.origin(node),
                                 hint or '_' + prim.__name__, style=('operator', symbol),
                                 temp=hint is None)

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
        raise self.error(f'attribute {attr!r} of a run-time value is not supported '
                         f'(only array attributes such as .T, .shape, .dtype)', node)

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

    # ---- calls ---------------------------------------------------------------
    def expr_Call(self, node, hint):
        func = node.func
        if _is_sum_of_generator(node, self):
            return self.sum_generator(node.args[0], node, hint)
        args = []
        for a in node.args:
            if isinstance(a, gast.Starred):
                args.extend(self.unpack_items(self.expr(a.value), a))
            else:
                args.append(self.expr(a))
        kwargs = {}
        for k in node.keywords:
            if k.arg is None:
                packed = self.expr(k.value)
                if isinstance(packed, Pack) and packed.kind == 'dict':
                    unpacked = dict(zip(packed.keys, packed.items))
                elif isinstance(packed, Const) and isinstance(packed.value, dict):
                    unpacked = {key: Const(v) for key, v in packed.value.items()}
                else:
                    raise self.error('**kwargs must be a dict known item by item here', k.value)
                for key in unpacked:
                    if not literal.is_identifier(key):  # (generated code names each keyword)
                        shown = literal.string(key) if isinstance(key, str) else \
                            type(key).__name__
                        raise self.error(f'**kwargs: the key {shown} is not an identifier, so '
                                         f'it cannot name a keyword argument', k.value)
                kwargs.update(unpacked)
            else:
                kwargs[k.arg] = self.expr(k.value)
        if isinstance(func, gast.Attribute):
            base = self.expr(func.value)
            if isinstance(base, Value) and base in self.ctx.lists:
                return self.list_method(base, func.attr, args, kwargs, node, hint)
            if isinstance(base, Value):
                return self.method_call(base, func.attr, args, kwargs, node, hint)
            if isinstance(base, Pack):
                return self.pack_method(base, func, args, kwargs, node)
            try:
                fn = self.static_attribute(base.value, func.attr)
            except AttributeError:
                raise self.error(f'{base.spelling or base.value!r} has no attribute '
                                 f'{func.attr!r}', func) from None
            callee = Const(fn, spelling=f'{base.spelling}.{func.attr}' if base.spelling else None)
        else:
            callee = self.expr(func)
        if not isinstance(callee, Const):
            raise self.error('calling a run-time value is not supported', node)
        return self.call(callee, args, kwargs, node, hint)

    def unpack_items(self, operand, node):
        """The items of `*seq` in a call: a pack, a constant sequence, or refused."""
        if isinstance(operand, Pack):
            return list(operand.items)
        if isinstance(operand, Const) and isinstance(operand.value, (tuple, list, range)):
            return [Const(v) for v in operand.value]
        raise self.error('*args must be a list or tuple known item by item here', node)

    def runtime_list(self, pack, origin, hint):
        """A list built item by item becomes a run-time list value (`[a, b]`)."""
        value = self.builder.emit(prims.LIST_NEW, [Pack('tuple', pack.items)], {}, origin, hint,
                                  temp=False)
        self.ctx.lists.add(value)
        self.ctx.list_items[value] = (list(pack.items), True)
        return value

    def list_method(self, base, name, args, kwargs, node, hint):
        """Methods of a run-time list: append makes a new version of the list."""
        target = node.func.value.id if isinstance(node.func.value, gast.Name) else None
        if name == 'append' and len(args) == 1 and not kwargs and target is not None:
            holder = self.other_holder(base, target)
            if holder:
                raise self.error(f'{target!r} is the same list as {holder} here; '
                                 f'appending would change both', node)
            origin = self.origin(node)
            size = self.builder.emit(len, [base], {}, origin, '_len')
            new = self.builder.emit(prims.LIST_APPEND, [base, args[0], size], {}, origin,
                                    target, style=('append',), temp=False)
            self.ctx.lists.add(new)
            items, complete = self.ctx.list_items.get(base, ([], False))
            # appending keeps the items before (hs[0] is still what it was)
            self.ctx.list_items[new] = (items + args, True) if complete else (items, False)
            self.env[target] = new
            return NONE
        raise self.error(f'list method {name!r} on a list whose length is only known when '
                         f'the code runs is not supported (append is)', node)

    def pack_method(self, base, func, args, kwargs, node):
        """Methods of lists, tuples and dicts built in the function (known item by item)."""
        name = func.attr
        target = func.value.id if isinstance(func.value, gast.Name) else None
        if base.kind == 'dict':
            if name == 'keys':
                return Pack('tuple', [Const(k) for k in base.keys])
            if name == 'values':
                return Pack('tuple', base.items)
            if name == 'items':
                return Pack('tuple', [Pack('tuple', [Const(k), v])
                                      for k, v in zip(base.keys, base.items)])
            if name == 'get' and args and known_literal(args[0]):
                key = args[0].value
                if key in base.keys:
                    return base.items[base.keys.index(key)]
                return args[1] if len(args) > 1 else NONE
        if base.kind == 'list' and target is not None:
            if name in ('append', 'extend') and len(args) == 1:
                # the same list under every name holding it (a caller's too)
                new = Pack('list', base.items + (args if name == 'append' else
                                                 self.unpack_items(args[0], node)))
                self.replace_container(base, new)
                self.env[target] = new
                return NONE
        raise self.error(f'{base.kind} method {name!r} is not supported here (lists and dicts '
                         f'are followed item by item: their length must be known when '
                         f'transforming)', node)

    def method_call(self, base, name, args, kwargs, node, hint):
        if name in effects.IN_PLACE_METHODS:
            # x.sort(), y[1:].fill(0.0): a write into the array (ir/effects.py)
            return effects.method_write(self, base, name, args, kwargs, self.origin(node))
        if name in DICT_METHODS:
            # a dict passed in as an argument: read through helpers (no gradient
            # flows into a run-time dict; a call on the gradient path is refused)
            helper = DICT_METHODS[name]
            out = self.builder.emit(helper, [base] + args, kwargs, self.origin(node),
                                    hint or '_' + name, temp=hint is None)
            if name != 'get':
                self.ctx.lists.add(out)
            return out
        if name not in METHODS:
            raise self.error(f'array method {name!r} is not supported', node)
        if name in VARARG_METHODS and len(args) > 1:
            args = [Const(tuple(a.value for a in args)) if all(known_literal(a) for a in args)
                    else Pack('tuple', args)]
        if name == 'transpose' and not args:
            pass
        prim = METHODS[name]

        def emit_method(args, kwargs, temp_name):
            return self.builder.emit(prim, [base] + args, kwargs, self.origin(node),
                                     temp_name or hint or '_' + name, style=('method', name),
                                     temp=temp_name is not None or hint is None)
        written = effects.out_call(self, prim, args, kwargs, self.origin(node), emit_method,
                                   method=name)
        return emit_method(args, kwargs, None) if written is None else written

    def call(self, callee, args, kwargs, node, hint):
        fn = callee.value
        if fn is interface.gradients:
            if self.gradients_site is None:
                raise self.error('s2sgrad.gradients cannot be used here', node)
            return self.gradients_site(self, args, kwargs, node)
        if fn is interface.stop_gradient:
            if len(args) != 1 or kwargs:
                raise self.error('stop_gradient takes exactly one argument', node)
            return self.builder.emit(interface.stop_gradient, args, {}, self.origin(node),
                                     hint or '_stopped', temp=hint is None)
        if fn in (exec, eval, compile):
            raise self.error(f'{fn.__name__}() cannot be transformed', node)
        if not hashable(fn):
            fn = registry.ByIdentity.of(fn)
        if isinstance(fn, LocalFunction):
            return fn.call(self, args, kwargs, node)
        if isinstance(fn, GradientHelper):
            return self.inline_graph(fn, args, kwargs, node, hint)
        own_arguments = isinstance(fn, GraphHelper)
        if own_arguments:
            # a graph function never writes into its caller's arrays (docs/programs.md)
            fn = fn.python_function
        if fn is registry.same:
            a, b = args
            return Const(a is b or (isinstance(a, Const) and isinstance(b, Const)
                                    and known_literal(a) and known_literal(b) and a.value == b.value))
        if fn is registry.constant:
            (operand,) = args
            if isinstance(operand, Pack) and operand.kind in ('tuple', 'index') and \
                    all(isinstance(item, Const) for item in operand.items):
                return Const(tuple(item.value for item in operand.items))
            return operand if isinstance(operand, Const) else Const(NotImplemented)
        facts = self.builder.shape_facts
        if facts is not None and fn in (np.shape, np.size, np.ndim) and len(args) == 1 \
                and not kwargs and isinstance(args[0], Value):
            # a rule asking a shape that the specialisation knows: a constant, so
            # a forward value read only for its shape need not be computed at all
            shape = facts.shape_of(args[0])
            if shape is not None:
                return Const(shape if fn is np.shape else len(shape) if fn is np.ndim
                             else int(np.prod(shape, dtype=np.int64)))
        if fn is registry.static_ndim:
            (operand,) = args
            shape = facts.shape_of(operand) if facts is not None else None
            return Const(NotImplemented if shape is None else len(shape))
        if registry.is_transform_time(fn):
            if not all(isinstance(a, Const) for a in list(args) + list(kwargs.values())):
                raise self.error(f'{fn.__name__}() needs arguments known at transform time '
                                 f'(constants), not run-time values', node)
            self.folded(*args, *kwargs.values())
            try:
                return Const(fn(*[a.value for a in args],
                                **{k: v.value for k, v in kwargs.items()}))
            except TransformError as exc:
                if exc.origin is not None:
                    raise
                raise self.error(exc.msg, node) from None     # name the user's line
        if is_string_method(fn) and all_known(args, kwargs):
            # 'w'.upper(), ','.join(names), key.startswith('b'): a constant string's
            # method on constants is evaluated now (a dict key, a branch test)
            return self.fold_string_method(fn, args, kwargs, node)
        if fn is getattr and len(args) in (2, 3) and not kwargs and \
                not isinstance(args[0], Const):
            if not (known_literal(args[1]) and isinstance(args[1].value, str)):
                raise self.error('getattr of a run-time value needs a constant attribute '
                                 'name', node)
            return self.attribute(args[0], args[1].value, node, hint)    # as base.attr
        if fn in ITERATING_BUILTINS:
            # a dict built here iterates its keys (constants), as in Python
            args = [Const(tuple(a.keys)) if isinstance(a, Pack) and a.kind == 'dict' else a
                    for a in args]
        if fn in (enumerate, zip, reversed) and not kwargs and \
                any(isinstance(a, Pack) for a in args):
            # of lists and tuples known item by item: known item by item
            seqs = [self.iterated_items(a, node) for a in args]
            if all(q is not None for q in seqs) and (fn is zip or len(seqs) == 1):
                items = [Pack('tuple', [Const(k), v]) for k, v in enumerate(seqs[0])] \
                    if fn is enumerate else seqs[0][::-1] if fn is reversed else \
                    [Pack('tuple', list(t)) for t in zip(*seqs)]
                return Pack('list', items)
        if fn in FOLDABLE and all(isinstance(a, Const) for a in args) \
                and all(isinstance(v, Const) for v in kwargs.values()):
            self.folded(*args, *kwargs.values())
            try:
                return Const(fn(*[a.value for a in args],
                                **{k: v.value for k, v in kwargs.items()}))
            except Exception as exc:
                raise self.error(f'{type(exc).__name__}: {exc}', node) from None
        if fn is len and len(args) == 1 and isinstance(args[0], Pack):
            return Const(len(args[0].items))
        if fn is sum and len(args) in (1, 2) and not kwargs and isinstance(args[0], Pack):
            total = args[1] if len(args) == 2 else Const(0)
            for item in args[0].items:
                total = self.binary(gast.Add(), total, item, node)
            return total
        if fn in (tuple, list) and len(args) == 1 and isinstance(args[0], Pack):
            return Pack('tuple' if fn is tuple else 'list', args[0].items)
        if is_library_callable(fn):
            # a function that writes an argument (np.fill_diagonal, out=): its
            # functional form and the write (ir/effects.py)
            def emit_call(args, kwargs, name):
                return self.builder.emit(fn, args, kwargs, self.origin(node),
                                         name or hint or '_' + _short_name(fn),
                                         style=('call', callee.spelling),
                                         temp=name is not None or hint is None)
            written = effects.lower_call(self, fn, args, kwargs, self.origin(node), emit_call)
            if written is not None:
                return written
        if isinstance(fn, types.FunctionType) and registry.lookup(fn) is None \
                and not registry.is_constant(fn) and not is_library_callable(fn):
            return self.inline(fn, args, kwargs, node, hint, own_arguments)
        if isinstance(fn, types.MethodType) and isinstance(fn.__func__, types.FunctionType) \
                and not is_library_callable(fn.__func__):
            raise self.error('calling methods of user objects is not supported yet', node)
        spelling = callee.spelling
        if fn is np.einsum:
            args = einsum_string_form(args) or args     # the sublist form, as a string
        pieces = known_pieces(fn, args, kwargs)
        if pieces:
            # np.split(x, 3): three values, so that each piece has its own gradient
            outs = self.builder.emit(fn, args, kwargs, self.origin(node), hint or '_piece',
                                     style=('call', spelling), n_out=pieces,
                                     temp=hint is None)
            kind = 'list' if fn in (np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit) \
                else 'tuple'
            fields = RESULT_FIELDS.get(fn) if kind == 'tuple' else None
            return Pack(kind, outs if isinstance(outs, list) else [outs], fields)
        return self.builder.emit(fn, args, kwargs, self.origin(node),
                                 hint or '_' + _short_name(fn), style=('call', spelling),
                                 temp=hint is None)

    def fold_string_method(self, fn, args, kwargs, node):
        values = [python_value(a) for a in args]
        named = {k: python_value(v) for k, v in kwargs.items()}
        try:
            return Const(fn(*values, **named))
        except Exception as exc:
            raise self.error(f'{type(exc).__name__}: {exc}', node) from None

    def inline(self, fn, args, kwargs, node, hint, own_arguments=False):
        """A call to a user function, lowered in place.  `own_arguments`: writes into
        its arguments stay in it (a graph function's); else the caller sees them."""
        call_origin = self.origin(node)
        self.check_recursion(fn.__code__, fn.__name__, node)
        try:
            src = capture(fn)
        except TransformError as exc:
            if exc.origin is not None and exc.origin.filename == fn.__code__.co_filename \
                    and linecache.getline(exc.origin.filename, exc.origin.lineno):
                raise exc.with_traceback(None) from None
            # no readable source (exec, a compiled module): name the call instead
            raise TransformError(f'{fn.__name__!r} has no source to transform (built by exec, '
                                 f'or compiled): register a gradient for it with '
                                 f'register_gradient', call_origin) from None
        self.ctx.add_namespace(src.fn.__globals__)
        try:
            sig = inspect.signature(fn, follow_wrapped=False)
            bound = sig.bind(*args, **kwargs)
        except TypeError as exc:
            raise TransformError(f'{fn.__name__}(): {exc}', call_origin) from None
        env = {}
        for param in sig.parameters.values():
            if param.kind == param.VAR_POSITIONAL:
                env[param.name] = Pack('tuple', bound.arguments.get(param.name, ()))
            elif param.kind == param.VAR_KEYWORD:
                extra = bound.arguments.get(param.name, {})
                env[param.name] = Pack('dict', list(extra.values()), list(extra))
            elif param.name in bound.arguments:
                env[param.name] = bound.arguments[param.name]
            else:
                env[param.name] = Const(param.default)
        if not own_arguments:
            self.caller_bindings(env)
        self.ctx.inlining.append(fn.__code__)
        try:
            sub = FunctionLowering(self.ctx, self.builder, src, env, caller=call_origin,
                                   gradients_site=self.gradients_site)
            result = sub.lower_body()
            if not own_arguments:
                self.returned_bindings(sub.env)
            return result
        finally:
            self.ctx.inlining.pop()

    def check_recursion(self, key, name, node):
        """A recursive call is unrolled like any call: its depth must be fixed when
        transforming (by constants).  Past a limit, it is taken to depend on run-time
        values (`if n == 0` on an argument), which cannot be unrolled: refused."""
        depth = self.ctx.inlining.count(key)
        if not depth:
            return
        self.ctx.unrolled_calls += 1
        if depth >= MAX_RECURSION_DEPTH or self.ctx.unrolled_calls > MAX_UNROLLED_CALLS:
            origin = dataclasses.replace(self.origin(node), caller=None)
            raise TransformError(
                f'recursive call to {name!r}: recursion is unrolled when transforming, so '
                f'its depth must be fixed by constants (not by run-time values); this one '
                f'goes deeper than {MAX_RECURSION_DEPTH} levels or makes more than '
                f'{MAX_UNROLLED_CALLS} calls', origin)

    def inline_graph(self, fn, args, kwargs, node, hint):
        """A call to an `sg.grad` result: copy its IR in, with the arguments bound."""
        graph = fn.graph
        self.ctx.guards.extend(graph.guards)
        try:
            bound = fn.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise self.error(f'{fn.__name__}(): {exc}', node) from None
        bindings = []
        for param in graph.params:
            operand = bound.arguments.get(param.name, param.default)
            if operand is None:
                raise self.error(f'{fn.__name__}(): missing argument {param.name!r}', node)
            bindings.append(operand)
        return clone.inline_graph(graph, bindings, self.builder, self.origin(node), lists=self.ctx.lists)


class LocalFunction:
    """A def or lambda inside a transformed function: inlined where it is called.

    It reads the enclosing function's variables as they are when it is called
    (Python's late binding); its defaults are evaluated where it is defined.
    """

    def __init__(self, node, lowering):
        self.node = node
        self.lowering = lowering
        self.__name__ = getattr(node, 'name', '<lambda>')
        # its signature, defaults lowered where it is defined (binding as Python does)
        a, P = node.args, inspect.Parameter
        positional = [(p, P.POSITIONAL_ONLY) for p in getattr(a, 'posonlyargs', None) or []] + \
            [(p, P.POSITIONAL_OR_KEYWORD) for p in a.args]
        defaults = [P.empty] * (len(positional) - len(a.defaults)) + \
            [lowering.expr(d) for d in a.defaults]
        params = [P(p.id, kind, default=d) for (p, kind), d in zip(positional, defaults)]
        if a.vararg is not None:
            params.append(P(a.vararg.id, P.VAR_POSITIONAL))
        params += [P(p.id, P.KEYWORD_ONLY, default=P.empty if d is None else lowering.expr(d))
                   for p, d in zip(a.kwonlyargs, a.kw_defaults)]
        if a.kwarg is not None:
            params.append(P(a.kwarg.id, P.VAR_KEYWORD))
        self.signature = inspect.Signature(params)

    def call(self, caller, args, kwargs, node):
        env = dict(self.lowering.env)
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise caller.error(f'{self.__name__}(): {exc}', node) from None
        bound.apply_defaults()
        bound = dict(bound.arguments)
        for param in self.signature.parameters.values():
            if param.kind == param.VAR_POSITIONAL:
                bound[param.name] = Pack('tuple', list(bound[param.name]))
            elif param.kind == param.VAR_KEYWORD:
                extra = bound[param.name]
                bound[param.name] = Pack('dict', list(extra.values()), list(extra))
        env.update(bound)
        caller.caller_bindings(env)
        key = id(self.node)
        caller.check_recursion(key, self.__name__, node)
        caller.ctx.inlining.append(key)
        try:
            sub = FunctionLowering(caller.ctx, caller.builder, self.lowering.src, env,
                                   caller=caller.origin(node) if caller is not self.lowering
                                   else caller.caller,
                                   gradients_site=caller.gradients_site)
            if isinstance(self.node, gast.Lambda):
                result = sub.expr(self.node.body)
            else:
                result = sub.lower_body(self.node.body)
            caller.returned_bindings(sub.env)
            return result
        finally:
            caller.ctx.inlining.pop()


def _holds(operand, pack):
    """Is `pack` this operand, or an item of it at any depth?"""
    if operand is pack:
        return True
    return isinstance(operand, Pack) and any(_holds(i, pack) for i in operand.items)


def _is_sum_of_generator(node, lowering):
    if not (isinstance(node.func, gast.Name) and len(node.args) == 1 and not node.keywords
            and isinstance(node.args[0], (gast.GeneratorExp, gast.ListComp))):
        return False
    if node.func.id in lowering.env:
        return False
    found, fn = lowering.resolve(node.func.id)
    return found and fn is sum


def _iteration_item(kind, k, items):
    """What a for loop's target is bound to at index k (items: of each sequence)."""
    if kind is enumerate:
        return Pack('tuple', [k, items[0]])
    if kind is zip:
        return Pack('tuple', items)
    if kind == 'enumerate zip':
        return Pack('tuple', [k, Pack('tuple', items)])
    return items[0]


def _target_hint(target):
    return target.id if isinstance(target, gast.Name) else '_i'


def _short_name(fn):
    name = getattr(fn, '__name__', None) or type(fn).__name__
    return name.lstrip('_') or 'call'


def _with_caller(origin, caller):
    if origin.caller is None:
        return dataclasses.replace(origin, caller=caller)
    return dataclasses.replace(origin, caller=_with_caller(origin.caller, caller))


PARAM_KINDS = {inspect.Parameter.POSITIONAL_ONLY: 'positional_only',
               inspect.Parameter.POSITIONAL_OR_KEYWORD: 'positional',
               inspect.Parameter.KEYWORD_ONLY: 'keyword_only'}


def lower_function(fn, gradients_site):
    """Lower a Python function into a `Graph` (params, body, result)."""
    src = capture(fn)
    ctx = Context()
    ctx.add_namespace(fn.__globals__)
    ctx.inlining.append(fn.__code__)
    builder = Builder()
    builder.memory = ctx.memory
    args = src.node.args
    origin = src.origin(src.node)
    if (args.vararg is not None or args.kwarg is not None) and hasattr(fn, '__wrapped__') \
            and not args.args:
        return _lower_wrapper(fn, src, ctx, builder, origin, gradients_site)
    if args.vararg is not None or args.kwarg is not None:
        raise TransformError('*args and **kwargs parameters are not supported yet', origin)
    params, env = [], {}
    for p in inspect.signature(fn, follow_wrapped=False).parameters.values():
        # positional-only, plain and keyword-only parameters, in the signature's order
        value = Value(p.name, origin)
        default = None if p.default is p.empty else Const(p.default)
        params.append(Param(p.name, value, default, PARAM_KINDS[p.kind]))
        env[p.name] = value
    lowering = FunctionLowering(ctx, builder, src, env, gradients_site=gradients_site)
    result = lowering.lower_body()
    docstring = _docstring(src.node)
    graph = Graph(fn.__name__, params, builder.stack[0], result, origin, docstring)
    graph.return_origin = lowering.return_origin
    graph.namespaces = ctx.namespaces
    graph.guards = ctx.guards
    graph.tape_copies = ctx.tape_copies
    graph.lists = ctx.lists
    return graph


def _lower_wrapper(fn, src, ctx, builder, origin, gradients_site):
    """A functools.wraps decorator's wrapper(*args, **kwargs): the parameters are
    the wrapped function's, packed into args as a call would pack them."""
    sig = inspect.signature(fn)           # follows __wrapped__
    params, values = [], []
    for p in sig.parameters.values():
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            raise TransformError(f'the function wrapped by {fn.__name__!r} must have plain '
                                 f'positional parameters', origin)
        value = Value(p.name, origin)
        default = None if p.default is p.empty else Const(p.default)
        params.append(Param(p.name, value, default))
        values.append(value)
    env = {}
    if src.node.args.vararg is not None:
        env[src.node.args.vararg.id] = Pack('tuple', values)
    if src.node.args.kwarg is not None:
        env[src.node.args.kwarg.id] = Pack('dict', [], [])
    lowering = FunctionLowering(ctx, builder, src, env, gradients_site=gradients_site)
    result = lowering.lower_body()
    graph = Graph(fn.__name__, params, builder.stack[0], result, origin, _docstring(src.node))
    graph.return_origin = lowering.return_origin
    graph.namespaces = ctx.namespaces
    graph.guards = ctx.guards
    graph.tape_copies = ctx.tape_copies
    graph.lists = ctx.lists
    return graph


def _docstring(node):
    body = node.body
    if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant) \
            and isinstance(body[0].value.value, str):
        return inspect.cleandoc(body[0].value.value)
    return None
