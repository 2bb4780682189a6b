"""Lowering of statements: a body in order (what follows a statement that may
exit moves into its branches), return, if (an If region and the merge of what
its branches bind), with (kept around its body), raise, assert, match."""
import gast

from ..analyses.aliases import Pending, Stale
from ..errors import TransformError
from ..ir import effects, prims
from ..ir.nodes import NONE, Block, Const, If, Managed, Pack, Value, map_operand, walk
from . import match
from .analysis import may_exit
from .context import DELETED, hint_of, item_hint
from .rewrites import return_if, with_rest
from .spellings import MANAGER_ARGUMENTS, is_context_manager
from .static import as_pack


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


class StatementLowering:
    """Statements other than assignments, loops and defs (a mixin of FunctionLowering)."""

    __slots__ = ()

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
                check = with_rest(return_if(ctx['return_flag'], ctx['return_value'], stmt),
                                  body[i + 1:])
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
        self.merged_object(out, then, orelse)
        if then in self.ctx.lists or orelse in self.ctx.lists:
            self.ctx.lists.add(out)
        self.merged_version(out, (then, orelse))
        return out

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
        args = self.elements(call.args, call)
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

    def stmt_Match(self, node):
        match.lower_match(self, node)
