"""Inlining: a call to a user function, a nested def or lambda (LocalFunction),
or an sg.grad result lowers its body in place, the call site as the caller of
its ops' origins; recursion is unrolled up to a limit."""
import dataclasses
import inspect
import linecache

import gast

from ..errors import TransformError
from ..ir import clone
from ..ir.nodes import Checkpointed, Const, Pack
from .source import capture


# Recursion is unrolled when transforming, up to this depth and number of calls.
MAX_RECURSION_DEPTH = 32
MAX_UNROLLED_CALLS = 512


class InliningLowering:
    """Calls lowered in place, and local functions (a mixin of FunctionLowering)."""

    __slots__ = ()

    def stmt_FunctionDef(self, node):
        if node.decorator_list:
            raise self.error('decorators on a nested def are not supported', node)
        self.env[node.name] = Const(LocalFunction(node, self))

    def expr_Lambda(self, node, hint):
        return Const(LocalFunction(node, self))

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
            sub = type(self)(self.ctx, self.builder, src, env, caller=call_origin,
                             gradients_site=self.gradients_site)
            result = sub.lower_body()
            if not own_arguments:
                self.returned_bindings(sub.env)
            return result
        finally:
            self.ctx.inlining.pop()

    def inline_checkpointed(self, fn, args, kwargs, node, hint):
        """A call to an `sg.checkpoint` helper: inlined, its ops marked as one call
        that the reverse pass computes again (ad/checkpoint.py)."""
        block = self.builder.block
        before = {id(op) for op in block.ops}
        result = self.inline(fn.python_function, args, kwargs, node, hint)
        call = Checkpointed(fn.__name__, self.origin(node))
        for op in block.ops:
            # (a checkpointed helper called by one: recomputed as part of this call)
            if id(op) not in before:
                op.checkpoint = call
        return result

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
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in fn.signature.parameters.values()):
            raise self.error(f'calling {fn.__name__}, the gradient of a function with *args '
                             f'or **kwargs, inside a transformed function is not supported '
                             f'yet (call the function itself, or give it named parameters)',
                             node)
        try:
            bound = fn.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise self.error(f'{fn.__name__}(): {exc}', node) from None
        fn = self.for_classes_of(fn, bound.arguments)
        graph = fn.graph
        self.ctx.guards.extend(graph.guards)
        self.ctx.value_methods.update(graph.value_methods)
        self.ctx.writes_containers |= graph.writes_containers
        bindings = []
        for param in graph.params:
            operand = bound.arguments.get(param.name, param.default)
            if operand is None:
                raise self.error(f'{fn.__name__}(): missing argument {param.name!r}', node)
            bindings.append(operand)
        return clone.inline_graph(graph, bindings, self.builder, self.origin(node),
                                  lists=self.ctx.lists, tape_copies=self.ctx.tape_copies)


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
            sub = type(caller)(caller.ctx, caller.builder, self.lowering.src, env,
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
