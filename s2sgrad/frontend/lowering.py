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

This module holds the entry point (`lower_function`) and what one function's
lowering is: its state, origins and errors, its names and bindings.  Each
concern of lowering proper is a mixin of its own module: statements.py,
assignment.py, loops.py, expressions.py, comprehensions.py, calls.py,
methods.py, objects.py, inlining.py, templates.py.
"""
import dataclasses
import inspect

import gast

from ..analyses.aliases import Pending, Stale
from ..classes import SHARED, NeedsClasses
from ..errors import TransformError
from ..ir import effects, prims
from ..ir.builder import Builder
from ..ir.graph import Graph, Param
from ..ir.nodes import Const, Pack, Value
from ..runtime import containers
from .assignment import AssignmentLowering
from .calls import CallLowering
from .comprehensions import ComprehensionLowering
from .context import DELETED, Context
from .expressions import ExpressionLowering
from .inlining import InliningLowering
from .loops import LoopLowering
from .methods import MethodLowering
from .objects import ObjectLowering
from .source import capture
from .spellings import TYPE_QUERIES
from .statements import StatementLowering
from .templates import TemplateLowering
from .versions import VersionLowering


class FunctionLowering(StatementLowering, AssignmentLowering, LoopLowering, ExpressionLowering,
                       ComprehensionLowering, CallLowering, MethodLowering, ObjectLowering,
                       InliningLowering, TemplateLowering, VersionLowering):
    """Lowers one function body (a user function, an inlined helper, or a rule)."""

    __slots__ = ('ctx', 'builder', 'src', 'env', 'caller', 'returned', 'raised', 'result',
                 'return_origin', 'loops', 'pending_return', 'stmt', 'gradients_site')

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
        self.gradients_site = gradients_site   # ad.site.gradients_site, injected by the compiler
        ctx.lowerings.append(self)

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

    # ---- what made a value ---------------------------------------------------
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
        if value in self.ctx.whole:
            return True         # a copy or a version of one (frontend/versions.py)
        op = self.producing_op(value)
        return op is None or getattr(op, 'prim', None) in (prims.GETITEM, prims.UNPACK,
                                                            containers._sg_get,
                                                            containers._sg_dict_of)

    # ---- names -----------------------------------------------------------------
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


def _holds(operand, pack):
    """Is `pack` this operand, or an item of it at any depth?"""
    if operand is pack:
        return True
    return isinstance(operand, Pack) and any(_holds(i, pack) for i in operand.items)


def _with_caller(origin, caller):
    if origin.caller is None:
        return dataclasses.replace(origin, caller=caller)
    return dataclasses.replace(origin, caller=_with_caller(origin.caller, caller))


PARAM_KINDS = {inspect.Parameter.POSITIONAL_ONLY: 'positional_only',
               inspect.Parameter.POSITIONAL_OR_KEYWORD: 'positional',
               inspect.Parameter.VAR_POSITIONAL: 'var_positional',
               inspect.Parameter.KEYWORD_ONLY: 'keyword_only',
               inspect.Parameter.VAR_KEYWORD: 'var_keyword'}

# What a call gives a function's *args and **kwargs: how many extra positional
# arguments, and the names of the extra keywords (a sorted tuple).
NO_EXTRAS = (0, ())


def lower_function(fn, gradients_site, extras=NO_EXTRAS, classes=None):
    """Lower a Python function into a `Graph` (params, body, result).  A function
    with *args or **kwargs is lowered for a call with `extras` (NO_EXTRAS); one
    calling methods of objects passed in, for their `classes` (s2sgrad/classes.py:
    (parameter name, class tree) pairs; None: not known)."""
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
        params, env = _wrapper_parameters(fn, src, origin)
    else:
        params, env = _parameters(fn, origin)
        _unpack_extras(params, env, extras, builder, origin)
    ctx.parameters = frozenset(p.value for p in params)
    # the defaults are bound into the generated code (and a call's specialisation
    # knows their shapes): a rebound default, or an array default's new shape,
    # means a new transformation
    ctx.guards.read_defaults(fn)
    ctx.whole.update((p.value, frozenset({p.value})) for p in params)
    if classes is not None:
        ctx.classes = {env[name]: tree for name, tree in classes if name != SHARED}
        ctx.shared_objects = (SHARED, True) in classes
        ctx.versions = set(ctx.classes)
    lowering = FunctionLowering(ctx, builder, src, env, gradients_site=gradients_site)
    try:
        result = lowering.lower_body()
    except NeedsClasses as exc:
        if args.vararg is None and args.kwarg is None:
            raise
        # (a function of *args is lowered per call's extras, not yet per classes too)
        raise TransformError(f'{exc.what} an object passed in: not supported yet in a '
                             f'function with *args or **kwargs (give it named parameters)',
                             exc.origin) from None
    graph = Graph(fn.__name__, params, builder.stack[0], result, origin, _docstring(src.node))
    graph.return_origin = lowering.return_origin
    return ctx.record_in(graph)


def _parameters(fn, origin):
    """The graph's parameters and the names they bind: positional-only, plain and
    keyword-only parameters, in the signature's order."""
    params, env = [], {}
    for p in inspect.signature(fn, follow_wrapped=False).parameters.values():
        value = Value(p.name, origin)
        default = None if p.default is p.empty else Const(p.default)
        params.append(Param(p.name, value, default, PARAM_KINDS[p.kind]))
        env[p.name] = value
    return params, env


def _unpack_extras(params, env, extras, builder, origin):
    """*args and **kwargs, for a call with `extras`: their items taken out at the
    start (`args_0, args_1 = args`, `lr = kwargs['lr']`), the names bound to a
    tuple and a dict of them, so that the body's `args[0]`, `len(args)`, `for a in
    args`, `kwargs.get('lr', 0.1)` are known when transforming.  The gradient of
    *args flows back through the unpacking: a tuple, like any tuple argument's."""
    count, keys = extras
    for p in params:
        if p.kind == 'var_positional':
            items = builder.emit(prims.UNPACK, [p.value], {}, origin, f'{p.name}_', n_out=count) \
                if count else []
            items = [items] if count == 1 else items
            for i, item in enumerate(items):
                item.hint, item.temp = f'{p.name}_{i}', False
            env[p.name] = Pack('tuple', items)
        elif p.kind == 'var_keyword':
            items = [builder.emit(prims.GETITEM, [p.value, Const(key)], {}, origin,
                                  key if key.isidentifier() else f'{p.name}_item', style=('subscript',),
                                  temp=False)
                     for key in keys]
            env[p.name] = Pack('dict', items, list(keys))


def _wrapper_parameters(fn, src, origin):
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
    return params, env


def _docstring(node):
    body = node.body
    if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant) \
            and isinstance(body[0].value.value, str):
        return inspect.cleandoc(body[0].value.value)
    return None
