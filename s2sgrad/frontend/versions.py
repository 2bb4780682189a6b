"""Lowering of writes into a dict (or list) passed in: each write makes a new version
of the container (SSA), a shallow copy with one item replaced
(`p_1 = _sg_replaced(p, 'W', v)`), never a change of the caller's container.  Every
name of this function (and of its callers, when inlined) that holds the container
sees the new version, as Python's names would see the change; a container the
write could be seen through otherwise (one held in a run-time list, an object, a
value read out of another container) is refused at the line.

The same holds for `del p['k']`, `p.update(...)`, `p.setdefault(...)`, `p.pop(k)`,
and `{**p, 'W': v}`, `dict(p)`, `p.copy()` (copies: versions of their own).
"""
import operator

import gast

from ..ir import prims
from ..ir.nodes import NONE, Const, If, Loop, Op, Pack, Value, walk
from ..runtime import containers, helpers
from .static import known_literal, literal_index

# What reads a container without keeping it -> the container's position among its
# arguments: a new version of it cannot be missed through them.
_READERS = {prims.GETITEM: 0, containers._sg_get: 0, containers._sg_items: 0,
            containers._sg_keys: 0, containers._sg_values: 0, containers._sg_copy: 0,
            containers._sg_replaced: 0, containers._sg_without: 0, len: 0,
            helpers._sg_iterable: 0, operator.contains: 1}

_WRITES = frozenset({containers._sg_replaced, containers._sg_without, containers._sg_copy})


class VersionLowering:
    """New versions of containers passed in (a mixin of FunctionLowering)."""

    __slots__ = ()

    def own_version(self, value, of=None):
        """Record `value` as a whole container: a new object (an argument, a copy made
        here), or, `of` another value, a version of the same Python object(s)."""
        self.ctx.whole[value] = frozenset({value}) if of is None else self.ctx.whole[of]
        return value

    def merged_version(self, out, values):
        """`out` is one of `values` (a branch's or a loop's): a version of each one's
        object, if each is a whole container."""
        if all(v is None or v in self.ctx.whole for v in values):
            self.ctx.whole[out] = frozenset().union(
                *(self.ctx.whole[v] for v in values if v is not None))

    def emit_version(self, prim, args, node, hint, of=None):
        out = self.builder.emit(prim, args, {}, self.origin(node), hint, temp=hint is None)
        return self.own_version(out, of)

    def writable(self, base, node, what):
        """Refuse a write into `base` that some holder of it would not see: every value
        that is the same Python object must be a name's (which the new version rebinds),
        never held by a run-time list, an object or a call."""
        self.ctx.writes_containers = True       # (api: no dict passed in two places)
        if base not in self.ctx.whole:
            raise self.error(f'{what} a dict that is not an argument nor a copy made here '
                             f'(an item of another container, a call\'s result, ...) cannot '
                             f'be transformed: what holds it would change too; copy it first '
                             f'(`d = dict(d)`) and write into the copy', node)
        same = self.same_object(self.ctx.whole[base])
        for env in self.envs_sharing():
            for name, bound in env.items():
                other = _other_version(bound, base, same)
                if other is not None:
                    raise self.error(f'{what} this dict cannot be transformed: '
                                     f'{name.lstrip(".")!r} may be the same dict, as another '
                                     f'version of it (through an if or a loop), and would not '
                                     f'see the change; copy it first (`d = dict(d)`) and write '
                                     f'into the copy', node)
        for op in self._ops_so_far():
            if isinstance(op, Op) and any(_keeps(op, v) for v in same):
                raise self.error(f'{what} this dict cannot be transformed: it is held by the '
                                 f'value made at {op.origin.short} (a list, an object, a '
                                 f'call), which would see the change; copy it first (`d = '
                                 f'dict(d)`) and write into the copy', node)

    def same_object(self, roots):
        """The values that may be one of the Python objects `roots`."""
        return [v for v, r in self.ctx.whole.items() if r & roots]

    def _ops_so_far(self):
        for block_op in self.builder.visible_ops():
            yield block_op
            if isinstance(block_op, (If, Loop)):
                for inner in block_op.blocks():
                    yield from walk(inner)

    def check_versions(self, phis, nexts, body, node):
        """After a loop body: no value of the body may hold a container the body writes
        into (the next iteration's write would change it in Python, not here)."""
        for phi, nxt in zip(phis, nexts):
            if phi not in self.ctx.whole:
                continue
            same = self.same_object(self.ctx.whole[phi] | self.ctx.whole.get(nxt, frozenset()))
            writes = [op for op in walk(body) if isinstance(op, Op) and op.prim in _WRITES
                      and op.args[0] in same]
            for op in walk(body) if writes else ():
                if isinstance(op, Op) and any(_keeps(op, v) for v in same):
                    raise self.error_at(f'writing into {phi.hint!r} in a loop whose '
                                        f'iterations keep it (the value made at '
                                        f'{op.origin.short}) cannot be transformed: in '
                                        f'Python the next iteration\'s write would change '
                                        f'what was kept; copy it first (`dict({phi.hint})`)',
                                        writes[0].origin)

    def new_version(self, base, new, name):
        """Every name holding `base` (a caller's too) now holds `new`."""
        self.replace_container(base, new)
        if name is not None:
            self.env[name] = new

    def dict_store(self, base, index, value, node, name):
        """`p['W'] = v` into a dict passed in (or a copy of one)."""
        self.writable(base, node, 'writing into')
        new = self.emit_version(containers._sg_replaced, [base, index, value], node,
                                name or getattr(base, 'hint', None) or '_version', of=base)
        self.new_version(base, new, name)

    def dict_delete(self, base, index, node, name):
        """`del p['k']`."""
        self.writable(base, node, 'deleting from')
        if not literal_index(index):
            raise self.error(f'del {name}[...] needs a key known when transforming', node)
        new = self.emit_version(containers._sg_without, [base, index], node, name, of=base)
        self.new_version(base, new, name)

    def dict_method(self, base, name, args, kwargs, node):
        """update / setdefault / pop / copy of a run-time dict: versions and copies
        (None: not one of them)."""
        target = node.func.value.id if isinstance(node.func.value, gast.Name) else None
        if name == 'copy' and not args and not kwargs:
            return None     # an array's too: np.copy (whose gradient is a dict's as well)
        if name == 'append' and target is not None and base in self.ctx.whole and \
                base not in self.ctx.lists:
            return self.appended(base, args, kwargs, node, target)
        if name not in ('update', 'setdefault', 'pop') or kwargs or target is None:
            return None
        if not (args and known_literal(args[0]) or name == 'update' and len(args) == 1):
            raise self.error(f'{name}() of a dict passed in needs a constant key', node)
        self.writable(base, node, f'{name}() of')
        if name == 'update':
            update = args[0]
            if not (len(args) == 1 and isinstance(update, Pack) and update.kind == 'dict'):
                raise self.error('update() of a dict passed in needs a dict of constant keys '
                                 'built here (`p.update({"W": W2})`)', node)
            new = base
            for key, item in zip(update.keys, update.items):
                new = self.emit_version(containers._sg_replaced, [new, Const(key), item],
                                        node, target, of=base)
            self.new_version(base, new, target)
            return NONE
        key = args[0]
        if name == 'pop':
            if len(args) != 1:
                raise self.error('pop() of a dict passed in with a default is not supported',
                                 node)
            item = self.builder.emit(prims.GETITEM, [base, key], {}, self.origin(node),
                                     '_pop', style=('subscript',))
            new = self.emit_version(containers._sg_without, [base, key], node, target,
                                    of=base)
            self.new_version(base, new, target)
            return item
        # setdefault: p[k] if p has k, else p[k] = default (the same value either way)
        default = args[1] if len(args) > 1 else NONE
        item = self.builder.emit(containers._sg_get, [base, key, default], {},
                                 self.origin(node), '_setdefault')
        new = self.emit_version(containers._sg_replaced, [base, key, item], node, target,
                                of=base)
        self.new_version(base, new, target)
        return item

    def appended(self, base, args, kwargs, node, target):
        """`layers.append(v)` on a list passed in (an array has no append): a copy of
        it, appended to as a run-time list is, a new version of the caller's list."""
        self.writable(base, node, 'appending to')
        copied = self.emit_version(containers._sg_copy, [base, Const(list)], node, target,
                                   of=base)
        self.ctx.lists.add(copied)
        out = self.list_method(copied, 'append', args, kwargs, node, target)
        new = self.env[target]
        self.own_version(new, of=base)
        self.new_version(base, new, target)
        return out

    def container_copy(self, fn, args, kwargs, node, hint):
        """`dict(p)` of a run-time dict (`dict(pairs)` of a run-time list of pairs),
        `list(lst)` and `tuple(lst)` of a run-time list (`p.values()`): a container of
        its own (None: another call)."""
        if fn not in (dict, list, tuple) or len(args) != 1 or kwargs or \
                not isinstance(args[0], Value):
            return None
        arg = args[0]
        if fn is tuple:
            return self.builder.emit(containers._sg_tuple, [arg], {}, self.origin(node),
                                     hint or '_tuple', temp=hint is None) \
                if arg in self.ctx.lists else None
        if fn is dict and arg in self.ctx.lists:
            return self.emit_version(containers._sg_dict_of, [arg], node, hint)
        if fn is list and arg not in self.ctx.lists:
            # list(x) of a sequence passed in or made at run time: a run-time list
            # (items written into it replace items, never x's memory), holding x's items
            out = self.builder.emit(list, [arg], {}, self.origin(node), hint or '_list',
                                    temp=hint is None)
            self.ctx.lists.add(out)
            self.ctx.memory.note_list(out, [arg])
            return out
        out = self.emit_version(containers._sg_copy, [arg, Const(fn)], node, hint)
        if fn is list:
            self.ctx.lists.add(out)
        return out

    def merged_dict(self, base, entries, node):
        """`{**p, 'W': v, ...}` of a run-time dict `p`: its version with those items
        (`entries`: (key, value) pairs, in order)."""
        if not entries:
            return self.emit_version(containers._sg_copy, [base, Const(dict)], node, None)
        new = base
        for key, item in entries:       # (a new dict: the first copy is its own object)
            new = self.emit_version(containers._sg_replaced, [new, Const(key), item], node,
                                    None, of=None if new is base else new)
        return new


def _keeps(op, value):
    """Does `op` hold `value` past its run (store it, pass it to a call), as opposed to
    reading it as the container of a read or a new version?"""
    uses = [i for i, a in enumerate(list(op.args) + list(op.kwargs.values()))
            if _holds(a, value)]
    if not uses:
        return False
    return uses != [_READERS.get(op.prim)] or op.args[uses[0]] is not value


def _other_version(bound, base, same):
    """A value other than `base` that `bound` (a binding) is or holds, and that may be
    the same Python object (one of `same`)."""
    if bound is not base and isinstance(bound, Value) and bound in same:
        return bound
    if isinstance(bound, Pack):
        for item in bound.items:
            found = _other_version(item, base, same)
            if found is not None:
                return found
    return None


def _holds(operand, value):
    if operand is value:
        return True
    return isinstance(operand, Pack) and any(_holds(i, value) for i in operand.items)

