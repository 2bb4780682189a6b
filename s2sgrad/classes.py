"""Functions lowered per call for the classes of the objects passed in.

A method of an object passed in (`model(x)`, `self.forward(x)`,
`for layer in self.layers: h = layer(h)`) is inlined from the object's class,
which only a call's arguments show.  A function whose lowering calls one is
lowered once per *class tree* of its arguments (`class_tree`): the lowering
without it raises `NeedsClasses`, and from then on each call picks (or makes)
the function of its own class tree (`ByClasses`).  Functions that only read
attributes never pay for this.
"""
import inspect

from .errors import TransformError
from .frontend.guards import is_library_object
from .runtime.objects import _sg_is_object

# Objects nested deeper than this are not followed (a parent pointer, a cycle).
MAX_DEPTH = 8


class NeedsClasses(TransformError):
    """A method of an object passed in is called (or its attribute assigned), and the
    lowering has no call's arguments to tell its class (`.source`, `.graph`,
    `export(path)`).  `what`: the user's code, as `model.loss(...) calls a method of`."""

    def __init__(self, what, origin=None):
        self.what = what
        super().__init__(f'{what} an object passed in, whose class only a call\'s arguments '
                         f'tell: call the function, or see its code with source_for(*args) '
                         f'or export(path, like=args)', origin)

    def __reduce__(self):
        return type(self), (self.what, self.origin), dict(self.__dict__)


def class_tree(x, seen=None, depth=0):
    """What a lowering may rely on about object `x`, hashable; None for a value
    holding no object.  An object: ('object', its class, (attribute, tree) for its
    attributes holding objects, and ('shadow',) for those hiding an attribute of
    its class); a list or tuple: ('items', a tree per item); a dict: ('dict',
    (key, tree) per item holding objects).  `seen`: the objects met so far (id ->
    their tree, None while it is made: a cycle stops there), with SHARED in it
    once one is met twice."""
    if depth > MAX_DEPTH:
        return None
    kind = type(x)
    if kind is list or kind is tuple:
        trees = tuple([class_tree(item, seen, depth + 1) for item in x])
        return ('items', trees) if any(t is not None for t in trees) else None
    if kind is dict:
        trees = tuple([(k, t) for k, t in ((k, class_tree(v, seen, depth + 1))
                                           for k, v in x.items()) if t is not None])
        return ('dict', trees) if trees else None
    if not _sg_is_object(x) or is_library_object(x):
        return None             # (np.tanh held by an object: not one with methods to inline)
    if seen is not None:
        if id(x) in seen:
            seen[SHARED] = True
            return seen[id(x)]
        seen[id(x)] = None
    attributes = []
    for name, value in vars(x).items():
        tree = class_tree(value, seen, depth + 1)
        if tree is None and hasattr(kind, name):
            tree = SHADOW
        if tree is not None:
            attributes.append((name, tree))
    tree = ('object', kind, tuple(attributes))
    if seen is not None:
        seen[id(x)] = tree
    return tree


SHADOW = ('shadow',)     # an instance attribute (not an object) hiding its class's
SHARED = '(shared)'      # the key's last pair, (SHARED, True): an object is passed twice


def arguments_key(signature, args, kwargs):
    """The class trees of a call's arguments, by parameter name (those that hold
    objects); and (SHARED, True) last where one object is reachable twice (an
    attribute assignment through one path would not be seen through the other)."""
    if kwargs:
        bound = signature.bind(*args, **kwargs).arguments
    else:
        bound = dict(zip(signature.parameters, args))
    key, seen = [], {}
    for name, value in bound.items():
        tree = class_tree(value, seen)
        if tree is not None:
            key.append((name, tree))
    if SHARED in seen:
        key.append((SHARED, True))
    return tuple(key)


class ByClasses:
    """Mixed into GraphFunction and the gradients: the function lowered for a call's
    class trees, once its general lowering raised NeedsClasses."""

    classes = None              # the class trees this one is lowered for (None: general)
    by_classes = False          # True once calls pick the function for their classes

    def for_classes(self, key):
        """This function lowered for the class trees `key` (a GradFunction: with its
        target lowered for them)."""
        return made_for(self, '_made_for_classes', 'classes', key, self._with_classes,
                        limit=_MAX_KEYS)

    def for_arguments(self, args, kwargs):
        """The function a call with these arguments runs (self unless classes are needed)."""
        if not self.by_classes:
            return self
        return self.for_classes(arguments_key(self.signature, args, kwargs or {}))

    def needs_classes(self):
        """The general lowering raised NeedsClasses: calls pick by their class trees."""
        if self.classes is not None:
            return False            # (lowered for classes already: the error stands)
        self.by_classes = True
        return True


def made_for(function, store, attribute, key, make, limit=None):
    """The variant of `function` made by `make(key)` for `key` (its `attribute`), made
    once and kept in `function.<store>` (at most `limit` of them); `function`
    itself where its own `attribute` is `key`."""
    if key == getattr(function, attribute):
        return function
    made = function.__dict__.setdefault(store, {})
    same = made.get(key)
    if same is None:
        if limit is not None and len(made) >= limit:
            made.clear()
        same = made[key] = make(key)
        setattr(same, attribute, key)
    return same


_MAX_KEYS = 16


def defines_any(x, names, depth=0):
    """Does an object in argument `x` (itself, or held by it) have a class of its own
    that defines one of `names` (a method called on a run-time value in a general
    lowering, where `x.name(...)` was taken for an array's or a dict's method)?"""
    if not names or depth > MAX_DEPTH:
        return False
    kind = type(x)
    if kind is list or kind is tuple:
        return any(defines_any(item, names, depth + 1) for item in x)
    if kind is dict:
        return any(defines_any(item, names, depth + 1) for item in x.values())
    if not _sg_is_object(x) or is_library_object(x):
        return False
    if any(hasattr(kind, name) and not _library_defined(kind, name) for name in names):
        return True
    return any(defines_any(v, names, depth + 1) for v in vars(x).values())


def _library_defined(kind, name):
    """Is `kind.name` a library class's (a dict subclass's .get), not the user's?"""
    for base in kind.__mro__:
        if name in vars(base):
            return is_library_object(base)
    return True
