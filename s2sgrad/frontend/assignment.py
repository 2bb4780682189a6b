"""Lowering of what binds and stores: assignment to names, tuples and starred
targets, augmented assignment, stores into items of arrays, lists and dicts
(a new version, seen by every name that shows it), and del."""
import gast
import numpy as np

from ..ir import effects, prims
from ..ir.nodes import Const, Pack, Value
from .context import DELETED
from .static import index_value, literal_index


class AssignmentLowering:
    """Assignments, stores into items and del (a mixin of FunctionLowering)."""

    __slots__ = ()

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
            if base in self.ctx.lists:
                # (an array item changes in place, seen by every name holding it)
                raise effects.list_item_write_error(self, origin)
            if isinstance(index, Const) and isinstance(index.value, str):
                # (an array takes no string index: base is a dict passed in)
                raise self.error("augmented assignment to a dict's item (p['h'] += x) cannot "
                                 "be transformed: on an array it writes into what other reads "
                                 "of the item show; assign it instead (p['h'] = p['h'] + x)",
                                 node)
            # x[i] += v  is  x[i] = x[i] + v  (NumPy's own meaning, repeats included)
            current = self.builder.emit(prims.GETITEM, [base, index], {}, origin,
                                        '_getitem', style=('subscript',))
            value = self.binary(node.op, current, self.expr(node.value), node)
            self.store_item(target, base, index, value, node)
            return
        if not isinstance(target, gast.Name):
            raise self.error('augmented assignment to an attribute (obj.h += x) cannot be '
                             'transformed: on an array it writes into what other reads of the '
                             'attribute show; assign it instead (obj.h = obj.h + x)', node)
        current = self.load_name(target.id, target)
        if isinstance(node.op, gast.Add) and current in self.ctx.lists:
            self.env[target.id] = self.list_extend(current, node, target.id)
            return
        if isinstance(current, Const) and isinstance(current.value, np.ndarray):
            raise self.error(f'augmented assignment to the global array {target.id!r} cannot '
                             f'be transformed (it would change module state in place)', node)
        value = self.binary(node.op, current, self.expr(node.value), node, hint=target.id)
        # an array's += changes it in place: every name showing its memory sees it
        # (a number's rebinds the name only)
        self.env[target.id] = value
        if isinstance(current, Value):
            effects.write(self, current, value, origin, maybe_number=True)

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
            self.store_attribute(target, value)
            return
        raise self.error(f'cannot assign to {type(target).__name__}', target)

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
        if isinstance(index, Const) and isinstance(index.value, str):
            # (an array takes no string index: base is a dict passed in)
            self.dict_store(base, index, value, node, hint)
            return
        origin = self.origin(node)
        new = self.builder.emit(prims.SETITEM, [base, index, value], {}, origin,
                                hint or getattr(base, 'hint', None) or '_written',
                                style=('setitem',), temp=False)
        effects.write(self, base, new, origin)
        if hint is not None:
            self.env[hint] = new

    def list_extend(self, lst, node, name):
        """`lst += [h, c]` on a run-time list: an append per item (the items known here)."""
        items = self.expr(node.value)
        if not (isinstance(items, Pack) and items.kind in ('list', 'tuple')):
            raise self.error(f'{name} += ... on a list whose length is known only when the '
                             f'code runs needs a list or tuple written out here '
                             f'({name} += [h, c]); append the items of another list one '
                             f'by one', node)
        for item in items.items:
            lst = self.list_append(lst, item, node, name)
        return lst

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
        if isinstance(base, Value) and isinstance(index, Const) and \
                isinstance(index.value, str):
            self.dict_delete(base, index, target, name)     # a dict passed in
            return
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
