"""Lowering of calls: arguments (with * and **), and what a callee is: the AD's
own functions, a decorated or user function (inlined), a foldable builtin, a
library function (one op, its pieces known where the number of results is)."""
import inspect
import string
import types

import gast
import numpy as np

from ..ad import interface
from ..codegen import literal
from ..ir import effects
from ..ir.nodes import Const, Pack, Value
from ..ir.primitives import METHODS
from ..rules import registry
from ..runtime import containers
from .inlining import LocalFunction
from .marks import CheckpointHelper, GradientHelper, GraphHelper
from .spellings import FOLDABLE, ITERATING_BUILTINS, RESULT_FIELDS, SPLITS, is_library_callable
from .static import (all_known, hashable, is_string_method, known_literal, known_pieces,
                     python_value)


class CallLowering:
    """Function calls and their dispatch (a mixin of FunctionLowering)."""

    __slots__ = ()

    def expr_Call(self, node, hint):
        func = node.func
        if self.sums_a_generator(node):
            return self.sum_generator(node.args[0], node, hint)
        start, args = len(self.ctx.written), []
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
        self.check_current(start, args + list(kwargs.values()), node)
        if isinstance(func, gast.Attribute):
            base = self.expr(func.value)
            if isinstance(base, Value) and base in self.ctx.lists:
                return self.list_method(base, func.attr, args, kwargs, node, hint)
            if isinstance(base, Value) and self.calls_an_object(base, func.attr):
                return self.object_method(base, func.attr, args, kwargs, node, hint)
            if isinstance(base, Value) or _array_method_on_values(base, func.attr, args, kwargs):
                if isinstance(base, Value) and self.ctx.classes is None:
                    # (an object passed in may define a method of this name: api asks)
                    self.ctx.value_methods.add(func.attr)
                return self.method_call(base, func.attr, args, kwargs, node, hint)
            if isinstance(base, Pack):
                return self.pack_method(base, func, args, kwargs, node)
            method = self.constant_method(base, func.attr, args, kwargs, node, hint)
            if method is not None:
                return method
            try:
                fn = self.static_attribute(base.value, func.attr)
            except AttributeError:
                raise self.error(f'{base.spelling or base.value!r} has no attribute '
                                 f'{func.attr!r}', func) from None
            callee = Const(fn, spelling=f'{base.spelling}.{func.attr}' if base.spelling else None)
        else:
            callee = self.expr(func)
        if isinstance(callee, Value):
            return self.call_object(callee, args, kwargs, node, hint)
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
        if fn is super:
            raise self.error('super() cannot be transformed: call the base class\'s method '
                             'as a function (Base.forward(self, x))', node)
        if not hashable(fn):
            fn = registry.ByIdentity.of(fn)
        if isinstance(fn, LocalFunction):
            return fn.call(self, args, kwargs, node)
        if isinstance(fn, GradientHelper):
            return self.inline_graph(fn, args, kwargs, node, hint)
        if isinstance(fn, CheckpointHelper):
            return self.inline_checkpointed(fn, args, kwargs, node, hint)
        own_arguments = isinstance(fn, GraphHelper)
        if own_arguments:
            # a graph function never writes into its caller's arrays (docs/programs.md)
            fn = fn.python_function
        template = self.template_call(fn, args, kwargs, node)
        if template is not None:
            return template
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
        copied = self.container_copy(fn, args, kwargs, node, hint)
        if copied is not None:
            return copied
        if fn in (tuple, list) and len(args) == 1 and isinstance(args[0], Pack):
            return Pack('tuple' if fn is tuple else 'list', args[0].items)
        if isinstance(fn, type) and issubclass(fn, tuple) and hasattr(fn, '_fields'):
            return self.namedtuple(callee, args, kwargs, node, hint)
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
            # a method of an object or class known when transforming (a global model,
            # a classmethod): its function, with the object (a constant) as self
            return self.inline(fn.__func__, [Const(fn.__self__)] + list(args), kwargs, node,
                               hint)
        spelling = callee.spelling
        if fn is np.einsum:
            args = einsum_string_form(args) or args     # the sublist form, as a string
        pieces = known_pieces(fn, args, kwargs)
        if pieces:
            # np.split(x, 3): three values, so that each piece has its own gradient
            outs = self.builder.emit(fn, args, kwargs, self.origin(node), hint or '_piece',
                                     style=('call', spelling), n_out=pieces,
                                     temp=hint is None)
            kind = 'list' if fn in SPLITS else 'tuple'
            fields = RESULT_FIELDS.get(fn) if kind == 'tuple' else None
            return Pack(kind, outs if isinstance(outs, list) else [outs], fields)
        return self.builder.emit(fn, args, kwargs, self.origin(node),
                                 hint or '_' + _short_name(fn), style=('call', spelling),
                                 temp=hint is None)

    def namedtuple(self, callee, args, kwargs, node, hint):
        """`Adam(m, v)`: a NamedTuple made at run time from its fields' values (its
        gradient: one entry per field, as a tuple's)."""
        cls = callee.value
        try:
            bound = inspect.signature(cls).bind(*args, **kwargs)
        except TypeError as exc:
            raise self.error(f'{cls.__name__}(): {exc}', node) from None
        bound.apply_defaults()
        items = [v if isinstance(v, (Const, Pack, Value)) else Const(v)
                 for v in bound.arguments.values()]
        return self.builder.emit(containers._sg_namedtuple, [callee, Pack('tuple', items)],
                                 {}, self.origin(node), hint or '_' + cls.__name__.lower(),
                                 temp=hint is None)

    def fold_string_method(self, fn, args, kwargs, node):
        values = [python_value(a) for a in args]
        named = {k: python_value(v) for k, v in kwargs.items()}
        try:
            return Const(fn(*values, **named))
        except Exception as exc:
            raise self.error(f'{type(exc).__name__}: {exc}', node) from None


def _short_name(fn):
    name = getattr(fn, '__name__', None) or type(fn).__name__
    return name.lstrip('_') or 'call'


def _array_method_on_values(base, name, args, kwargs):
    """`L.dot(q)` where L is a constant array (a module global, a default) and an
    argument is a run-time value: the method means its NumPy function, as on a
    run-time array (np.dot(L, q)), not an opaque bound method.  A method that
    writes into the array is left alone (a constant is never written here)."""
    return isinstance(base, Const) and type(base.value) is np.ndarray and name in METHODS \
        and name not in effects.IN_PLACE_METHODS and \
        not all(isinstance(a, Const) for a in list(args) + list(kwargs.values()))


def einsum_string_form(args):
    """np.einsum's sublist form `(a, [0, 1], b, [1, 2], [0, 2])` as the subscript form
    `('ab,bc->ac', a, b)`: the arguments the call is lowered with.  `args` are the
    call's operands (the IR's); None when the call is not in the sublist form or its
    sublists are not constants."""
    def labels(operand):
        items = operand.items if isinstance(operand, Pack) else [Const(v) for v in operand.value] \
            if isinstance(operand, Const) and isinstance(operand.value, (list, tuple)) else None
        if items is None or not all(isinstance(i, Const) for i in items):
            return None
        values = [i.value for i in items]
        if not all(v is Ellipsis or type(v) is int and 0 <= v < len(string.ascii_letters)
                   for v in values):
            return None
        return ''.join('...' if v is Ellipsis else string.ascii_letters[v] for v in values)

    if len(args) < 2 or isinstance(args[0], Const) and isinstance(args[0].value, str):
        return None
    pairs = len(args) // 2
    terms = [labels(args[2 * k + 1]) for k in range(pairs)]
    output = labels(args[-1]) if len(args) % 2 else ''
    if any(t is None for t in terms) or output is None:
        return None
    subscripts = ','.join(terms) + ('->' + output if len(args) % 2 else '')
    return [Const(subscripts)] + [args[2 * k] for k in range(pairs)]
