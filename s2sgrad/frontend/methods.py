"""Lowering of method calls: of arrays (the NumPy function each means, or a write
into the array), of dicts passed in, of run-time lists (append), and of lists,
tuples and dicts built in the function (known item by item)."""
import gast

from ..ir import effects, prims
from ..ir.nodes import NONE, Const, Pack
from ..ir.primitives import METHODS
from .spellings import DICT_METHODS, VARARG_METHODS
from .static import known_literal


class MethodLowering:
    """Method calls, and lists that become run-time lists (a mixin of FunctionLowering)."""

    __slots__ = ()

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
            self.env[target] = self.list_append(base, args[0], node, target)
            return NONE
        raise self.error(f'list method {name!r} on a list whose length is only known when '
                         f'the code runs is not supported (append is)', node)

    def list_append(self, base, item, node, target):
        """`target.append(item)` on the run-time list `base`: its new version (target
        None: a list made here that no name holds yet)."""
        holder = self.other_holder(base, target) if target is not None else None
        if holder:
            raise self.error(f'{target!r} is the same list as {holder} here; '
                             f'appending would change both', node)
        origin = self.origin(node)
        size = self.builder.emit(len, [base], {}, origin, '_len')
        new = self.builder.emit(prims.LIST_APPEND, [base, item, size], {}, origin,
                                target or base.hint or '_list', style=('append',),
                                temp=False)
        self.ctx.lists.add(new)
        items, complete = self.ctx.list_items.get(base, ([], False))
        # appending keeps the items before (hs[0] is still what it was)
        self.ctx.list_items[new] = (items + [item], True) if complete else (items, False)
        return new

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
        versioned = self.dict_method(base, name, args, kwargs, node)
        if versioned is not None:
            return versioned
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
            raise self.error(f'{name!r} is not a supported array method, nor a method of an '
                             f'object passed in whose class is known here', node)
        if name in VARARG_METHODS and len(args) > 1:
            args = [Const(tuple(a.value for a in args)) if all(known_literal(a) for a in args)
                    else Pack('tuple', args)]
        prim = METHODS[name]

        def emit_method(args, kwargs, temp_name):
            return self.builder.emit(prim, [base] + args, kwargs, self.origin(node),
                                     temp_name or hint or '_' + name, style=('method', name),
                                     temp=temp_name is not None or hint is None)
        written = effects.out_call(self, prim, args, kwargs, self.origin(node), emit_method,
                                   method=name)
        out = emit_method(args, kwargs, None) if written is None else written
        if name == 'copy' and base in self.ctx.whole:
            self.own_version(out)       # p.copy() of a dict passed in: a dict of its own
        return out
