"""Lowering of objects passed in: their methods inlined from their class (known
from a call's arguments: s2sgrad/classes.py), and attribute assignments as new
versions of the object (SSA: `model.W = ...` rebinds `model` to a copy with W
replaced; the caller's object is never written)."""
import inspect
import types

import gast

from ..classes import SHADOW, SHARED, NeedsClasses
from ..ir import prims
from ..ir.effects import IN_PLACE_METHODS
from ..ir.nodes import Const, Pack, Value
from ..ir.primitives import METHODS
from ..runtime import containers, helpers, objects
from .guards import is_library_object
from .spellings import DICT_METHODS


class ObjectLowering:
    """Methods and attributes of objects passed in (a mixin of FunctionLowering)."""

    __slots__ = ()

    def class_of(self, operand):
        """The class tree of the object `operand` is (None: not an object, or not
        known): a parameter's from the call, an attribute's, item's or version's
        from what it was read from."""
        classes = self.ctx.classes
        if classes is None or not isinstance(operand, Value):
            return None
        if operand in classes:
            return classes[operand]
        op = self.producing_op(operand)
        prim = getattr(op, 'prim', None)
        tree = None
        if prim is containers._sg_field and isinstance(op.args[1], Const):
            tree = _attribute_tree(self.class_of(op.args[0]), op.args[1].value)
        elif prim is prims.GETITEM:
            tree = _item_tree(self.class_of(op.args[0]), op.args[1])
        elif prim is helpers._sg_iterable:
            tree = self.class_of(op.args[0])
        classes[operand] = tree
        return tree

    def carried_classes(self, phis, inits):
        """A loop variable holding an object is that object (a version of it)."""
        if self.ctx.classes is not None:
            for phi, init in zip(phis, inits):
                tree = self.class_of(init)
                if tree is not None:
                    self.ctx.classes[phi] = tree
                if self.is_version(init):
                    self.ctx.versions.add(phi)
                    self.ctx.loop_objects[phi] = init

    def loop_classes(self, phis, nexts, outputs, node):
        """After a loop body: its objects keep their class trees; the loop's outputs too.
        An object the body assigned attributes of must be a version of itself at
        the end of an iteration (not another value the name was rebound to)."""
        if self.ctx.classes is None:
            return
        self.check_one_object(phis, nexts, outputs, node)
        for phi, nxt, out in zip(phis, nexts, outputs):
            tree = self.ctx.classes.get(phi)
            if self.class_of(nxt) != tree:
                raise self.error(f'{phi.hint!r} holds an object whose classes (or those of '
                                 f'its attributes) change from one iteration to the next: '
                                 f'not supported', node)
            if tree is not None:
                self.ctx.classes[out] = tree
            if phi in self.ctx.versions:
                if self.is_version(nxt):
                    self.ctx.versions.add(out)
                elif phi in self.ctx.written:
                    raise self.error(f'{phi.hint!r}: this loop assigns attributes of the object '
                                     f'it holds, then binds it to another value: not '
                                     f'followed', node)

    def check_one_object(self, phis, nexts, outputs, node):
        """Loop variables that start as one object whose attributes the body assigns
        (through any of them) must end each iteration as one value: a write through
        one was shown through all, which holds only while they are one object."""
        groups = {}
        for phi, nxt, out in zip(phis, nexts, outputs):
            if phi in self.ctx.loop_objects:
                groups.setdefault(id(self._first_value(phi)), []).append((phi, nxt, out))
        one = self.ctx.one_object
        for group in groups.values():
            ends = {id(one.get(nxt, nxt)) for _, nxt, _ in group}
            if len(ends) > 1 and any(phi in self.ctx.written for phi, _, _ in group):
                raise self.error(f'{group[0][0].hint!r} is one object with other names here, '
                                 f'this loop assigns its attributes, and one of the names is '
                                 f'bound to another value in it: not followed', node)
            if len(ends) == 1:
                for _, _, out in group[1:]:
                    one[out] = one.get(group[0][2], group[0][2])

    def _first_value(self, value):
        """The value before all loops that a loop variable holding an object started from."""
        value = self.ctx.one_object.get(value, value)
        while value in self.ctx.loop_objects:
            value = self.ctx.loop_objects[value]
            value = self.ctx.one_object.get(value, value)
        return value

    def values_of_object(self, obj):
        """The values that are the object `obj` is: a loop variable's is the value it
        started from, and that of the other loop variables that started from it (and
        their loop's outputs)."""
        same, grew = {obj}, True
        while grew:
            grew = False
            for phi, init in (*self.ctx.loop_objects.items(), *self.ctx.one_object.items()):
                if (phi in same) != (init in same):
                    same.update((phi, init))
                    grew = True
        return same

    def merged_object(self, out, then, orelse):
        """After an if: the object a name holds on both paths (None: a path raised)."""
        if self.ctx.classes is None:
            return
        paths = [v for v in (then, orelse) if v is not None]
        trees = [self.class_of(v) for v in paths]
        if trees and all(t == trees[0] for t in trees) and trees[0] is not None:
            self.ctx.classes[out] = trees[0]
        if paths and all(self.is_version(v) for v in paths):
            self.ctx.versions.add(out)

    def is_version(self, operand):
        """May attributes of this object be assigned (an object passed in, or a
        version of one)?"""
        return operand in self.ctx.versions

    def for_classes_of(self, fn, arguments):
        """An `sg.grad` result called here with objects whose classes are known: the
        one lowered for them (s2sgrad/classes.py; the same key a call makes)."""
        if self.ctx.classes is None:
            return fn
        key = tuple((name, tree) for name, tree in
                    ((name, self.class_of(a)) for name, a in arguments.items())
                    if tree is not None)
        if key and self.ctx.shared_objects:
            key += ((SHARED, True),)
        return fn.for_classes(key) if key else fn

    def calls_an_object(self, base, name):
        """Is `base.name(...)` (base a run-time value) a method of an object passed
        in?  Without the call's classes, any name that is not an array's or a dict's
        method is taken to be one (the lowering for the classes tells)."""
        if self.ctx.classes is None:
            return name not in _VALUE_METHODS
        tree = self.class_of(base)
        if tree is None or tree[0] != 'object':
            return False
        owner, _ = _defined(tree[1], name)
        return not (owner is not None and is_library_object(owner))   # (a dict's .get)

    def object_method(self, base, name, args, kwargs, node, hint):
        """`base.name(args)`: an attribute holding an object is called (its __call__),
        else the method of base's class is inlined with base as self."""
        tree = self.known_class(base, node, f'{_spelled(node.func)}(...)')
        attributes = dict(tree[2])
        if name in attributes:
            if attributes[name] == SHADOW:
                raise self.error(f'{name!r} of this {tree[1].__name__} is an attribute of the '
                                 f'object, not a method of its class: calling it cannot be '
                                 f'transformed', node)
            held = self.attribute(base, name, node.func, None)
            return self.call_object(held, args, kwargs, node, hint)
        return self.call_method(base, tree[1], name, args, kwargs, node, hint)

    def call_object(self, callee, args, kwargs, node, hint):
        """`model(x)`: the __call__ of callee's class, inlined."""
        tree = self.known_class(callee, node, f'{_spelled(node.func)}(...)')
        if tree[0] != 'object':
            raise self.error('calling a run-time value is not supported', node)
        return self.call_method(callee, tree[1], '__call__', args, kwargs, node, hint)

    def needs_classes(self, what, node):
        """Without a call's arguments: the error that asks for them (s2sgrad/classes.py)."""
        if self.ctx.classes is None:
            raise NeedsClasses(what, self.origin(node))

    def known_class(self, operand, node, what):
        self.needs_classes(f'{what} calls a method of', node)
        tree = self.class_of(operand)
        if tree is None:
            raise self.error(f'{what}: calling a run-time value is not supported (only '
                             f'methods of objects passed in, and of their attributes and '
                             f'items of one class, are inlined)', node)
        return tree

    def call_method(self, obj, cls, name, args, kwargs, node, hint):
        """The method `name` of `cls` called on obj: a function (obj is self), a
        staticmethod or a classmethod, inlined as a helper is."""
        owner, raw = _defined(cls, name)
        if owner is None:
            raise self.error(f'{cls.__name__} has no method {name!r} (an attribute holding a '
                             f'function cannot be called here)', node)
        self.ctx.guards.read_class_attribute(owner, name, raw)
        if isinstance(raw, staticmethod):
            fn, args = raw.__func__, list(args)
        elif isinstance(raw, classmethod):
            fn, args = raw.__func__, [Const(cls, spelling=None)] + list(args)
        else:
            fn, args = raw, [obj] + list(args)
        if not isinstance(fn, types.FunctionType):
            kind = 'a property' if isinstance(raw, property) else type(raw).__name__
            raise self.error(f'{cls.__name__}.{name} is {kind}, not a method written in '
                             f'Python: calling it through an object cannot be transformed',
                             node)
        return self.inline(fn, args, kwargs, node, hint)

    def constant_method(self, base, name, args, kwargs, node, hint):
        """`obj.name(...)` or `Cls.name(...)` where obj or Cls is known when transforming
        (a global model, a class): its method inlined (guarded in the class, as a
        bound method is made anew at each read); None where name is not one."""
        value = base.value
        if isinstance(value, type):
            cls, obj = value, None
        elif objects._sg_is_object(value) and name not in vars(value):
            cls, obj = type(value), base
        else:
            return None
        if is_library_object(cls):
            return None
        owner, raw = _defined(cls, name)
        if owner is None or is_library_object(owner) or \
                obj is None and not isinstance(raw, (staticmethod, classmethod)):
            return None         # (Cls.forward(self, x): the plain function, as any)
        return self.call_method(obj, cls, name, args, kwargs, node, hint)

    def check_current(self, start, operands, node):
        """The operands of one call or literal, evaluated in order while the list of
        assigned objects grew from `start`: refused where one of them assigned
        attributes of an object an earlier one is (`f(model, model.step(x))`:
        Python passes the object as assigned, this would pass the version before)."""
        old = self.ctx.written[start:]
        if old and any(_inside(Pack('tuple', list(operands)), v) for v in old):
            raise self.error('an object in this expression has its attributes assigned by a '
                             'call later in the same expression: not followed; assign the '
                             'call\'s result to a variable first', node)

    # ---- attribute assignment ------------------------------------------------
    def store_attribute(self, target, value):
        """`name.attr = value`: name (and every name showing the same object) is
        rebound to a new version of the object."""
        if not isinstance(target.value, gast.Name):
            raise self.error('assignment to an attribute of an item or attribute cannot be '
                             'transformed; assign to an attribute of a name', target)
        name = target.value.id
        if name not in self.env:
            raise self.error(f'assignment to an attribute of the global {name!r} cannot be '
                             f'transformed (it would change module state)', target)
        obj = self.binding(name, self.origin(target))
        if not isinstance(obj, Value):
            raise self.error(f'assignment to an attribute of {name!r} cannot be transformed '
                             f'(only of an object passed in)', target)
        self.needs_classes(f'{name}.{target.attr} = ... assigns an attribute of', target)
        if self.ctx.shared_objects:
            raise self.error(f'assignment to {name}.{target.attr}: one object is reachable '
                             f'twice from the arguments (passed twice, or also an attribute or '
                             f'item of another), and the assignment would be seen through '
                             f'both: not followed here', target)
        if not self.is_version(obj):
            raise self.error(f'{name!r} is not (here, or on some path) an object passed in '
                             f'but read from another value (an attribute or item): assigning '
                             f'its attribute would change that value too, which is not '
                             f'followed; assign to an attribute of the object passed in',
                             target)
        envs = [lowering.env for lowering in self.ctx.lowerings]
        # a loop variable's object is also shown by the names (a caller's too) that
        # show the value it started from: they see the write (and are carried)
        same = self.values_of_object(obj)
        if any(isinstance(b, Pack) and _inside(b, v) for env in envs for b in env.values()
               for v in same) \
                or any(v in items for items, _ in self.ctx.list_items.values() for v in same):
            raise self.error(f'{name!r} is also held in a list, tuple or dict here; '
                             f'assigning its attribute would change what that shows, '
                             f'which is not followed', target)
        attr = target.attr
        self.ctx.written.extend(same)
        new = self.builder.emit(objects._sg_with_attribute, [obj, Const(attr), value], {},
                                self.origin(target), name.lstrip('.'), temp=False)
        self.ctx.classes[new] = _assigned_tree(self.class_of(obj), attr, self.class_of(value))
        self.ctx.versions.add(new)
        # every name showing the object sees the version, as all show one object in
        # Python: this function's, its callers' (and a closure's: read when called)
        for env in envs:
            for holder in [n for n, b in env.items() if isinstance(b, Value) and b in same]:
                env[holder] = new


# names that mean a method of an array or of a dict passed in (frontend/methods.py)
_VALUE_METHODS = frozenset(METHODS) | frozenset(IN_PLACE_METHODS) | frozenset(DICT_METHODS)


def _defined(cls, name):
    """(the class in cls's MRO whose body defines name, what it defines), or (None, None)."""
    for owner in inspect.getmro(cls):
        if name in vars(owner):
            return owner, vars(owner)[name]
    return None, None


def _attribute_tree(tree, name):
    if tree is None or tree[0] != 'object':
        return None
    found = dict(tree[2]).get(name)
    return None if found == SHADOW else found


def _item_tree(tree, index):
    """The tree of `seq[index]`: a constant index's item, else the one all items share."""
    if tree is None:
        return None
    if tree[0] == 'dict':
        if isinstance(index, Const):
            return dict(tree[1]).get(index.value)
        return None
    if tree[0] != 'items':
        return None
    items = tree[1]
    if isinstance(index, Const) and type(index.value) is int and -len(items) <= index.value \
            < len(items):
        return items[index.value]
    return items[0] if items and all(t == items[0] for t in items) else None


def _assigned_tree(tree, name, value_tree):
    """The tree of an object's version after `obj.name = value`."""
    if tree is None or tree[0] != 'object':
        return None
    attributes = [(n, t) for n, t in tree[2] if n != name]
    if value_tree is not None:
        attributes.append((name, value_tree))
    return ('object', tree[1], tuple(attributes))


def _inside(pack, value):
    return any(item is value or isinstance(item, Pack) and _inside(item, value)
               for item in pack.items)


def _spelled(node):
    """The user's spelling of a callee (`self.forward`, `model`), for messages."""
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        return f'{_spelled(node.value)}.{node.attr}'
    return 'the callee'
