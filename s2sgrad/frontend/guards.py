"""Guards: what a transformation assumed about the world outside the function.

Lowering reads globals, closure cells, builtins and attributes of objects
while it transforms: their values are folded in, branches picked, helpers
inlined, loops unrolled.  Python reads them each time the function runs.  So
each such read is recorded here with the object it gave, and before each call
the API asks `hold()`: would every read give the same object now (and, for an
array, the same shape and dtype; for a list, dict or set, the same items; for
an array whose contents were folded in, the same contents)?  When one would
not, the function is transformed again.

The check that runs on every call is one generated expression (`is` tests,
no loop).  Only when it fails is the slower comparison made: a number, string
or tuple rebound to an equal value is accepted (the code embeds the value,
not the object), anything else means a new transformation.

Attributes of library modules and of library objects (`np.tanh`, `W.shape`)
are not guarded: NumPy is not rebound under a running program, and an array's
shape and dtype are guarded on the array itself.
"""
import builtins
import keyword
import math
import types

import numpy as np

LIBRARY_ROOTS = ('numpy', 'scipy', 'math', 'cmath', 'builtins', 'operator', 's2sgrad')
_MISSING = object()
_IMMUTABLE = (int, float, complex, bool, str, bytes, type(None), type(Ellipsis))


def is_library_object(obj):
    """A module, class or object of NumPy, math, builtins, ... (not guarded)."""
    if isinstance(obj, types.ModuleType):
        name = obj.__name__
    elif isinstance(obj, type):
        name = obj.__module__ or ''
    else:
        name = type(obj).__module__ or ''
    return name.split('.')[0] in LIBRARY_ROOTS


class Guards:
    """The transform-time reads of one transformation, and the check that they still hold."""

    def __init__(self):
        self.reads = {}     # (kind, id(where), key) -> [kind, where, key, object, facet]
        self.contents = {}          # id(array) -> [array, bytes]: arrays whose items were folded
        self.version = 0            # counts the changes to what `terms` gives

    def check(self):
        """True when every read gives the same object: the fast test, made on every
        call (compiled at first use into the instance's `check`; False may still be
        accepted by `hold`)."""
        self.check = self._compile_check()
        return self.check()

    def _changed(self):
        self.__dict__.pop('check', None)        # compile the check again at its next use
        self.version += 1

    # ---- recording (while lowering) -----------------------------------------
    def read_global(self, namespace, name, obj):
        self._record('global', namespace, name, obj)

    def read_cell(self, cell, obj):
        self._record('cell', cell, None, obj)

    def read_builtin(self, namespace, name, obj):
        """A builtin found because the module defines no global of that name."""
        self._record('builtin', namespace, name, obj)

    def read_attribute(self, base, attr, obj):
        if not is_library_object(base):
            self._record('attribute', base, attr, obj)

    def read_class_attribute(self, owner, attr, obj):
        """An attribute as the body of class `owner` defines it (a method, a
        staticmethod: getattr would give a new bound object each time)."""
        if not is_library_object(owner):
            self._record('global', owner.__dict__, attr, obj)

    def read_defaults(self, fn):
        """The user function's default values (bound into the generated code)."""
        for attr in ('__defaults__', '__kwdefaults__'):
            if getattr(fn, attr, None):
                self._record('attribute', fn, attr, getattr(fn, attr))

    def _record(self, kind, where, key, obj):
        self.reads.setdefault((kind, id(where), key), [kind, where, key, obj, _facet(obj)])
        self._changed()

    def read_contents(self, value):
        """A transform-time decision read the items of `value` (folded them in): an
        array among them that comes from outside the function is guarded by contents."""
        if isinstance(value, (tuple, list)):
            for item in value:
                self.read_contents(item)
            return
        if isinstance(value, np.ndarray) and id(value) not in self.contents and \
                self._from_outside(value):
            self.contents[id(value)] = [value, value.tobytes()]
            self._changed()

    def _from_outside(self, array):
        outside = {id(entry[3]) for entry in self.reads.values()}
        while array is not None:
            if id(array) in outside:
                return True
            array = array.base if isinstance(array.base, np.ndarray) else None
        return False

    def extend(self, other):
        """Add the reads of another transformation (a graph inlined into this one)."""
        for key, entry in other.reads.items():
            self.reads.setdefault(key, list(entry))
        for key, entry in other.contents.items():
            self.contents.setdefault(key, list(entry))
        self._changed()

    # ---- checking (before each call) ----------------------------------------
    def hold(self):
        """Does every recorded read still give what it gave?  `check()` first, then
        the slower comparison (callers that make `check()` themselves call this
        only when it fails)."""
        if self.check():
            return True
        if self._revalidate():
            self._changed()
            return True
        return False

    def _compile_check(self):
        """One expression testing every read by identity (and arrays' facets)."""
        terms, names = self.terms()
        if not terms:
            return _always
        # (the objects as default values: local variables, the fastest to read)
        parameters = ', '.join(f'{name}={name}' for name in names)
        source = f'def check({parameters}):\n    try:\n        return ' + \
            ' and '.join(terms) + '\n    except Exception:\n        return False\n'
        exec(compile(source, '<s2sgrad guards>', 'exec'), names)
        return names['check']

    def terms(self):
        """(the tests `check` makes, as Python expressions, the names they read ->
        their objects), for code that makes the same tests inline (s2sgrad/entry.py).
        The names are `w0`, `v0`, ... (a letter and a number) and `_MISSING`,
        `_facet`; a test may raise, which means False; `version` counts the
        changes to what this gives."""
        names = {'_MISSING': _MISSING}
        terms = []
        for k, (kind, where, key, obj, facet) in enumerate(self.reads.values()):
            names[f'w{k}'], names[f'v{k}'] = where, obj
            if kind == 'global':
                terms.append(f'w{k}[{key!r}] is v{k}')
            elif kind == 'cell':
                terms.append(f'w{k}.cell_contents is v{k}')
            elif kind == 'builtin':
                names[f'b{k}'] = _builtins_of(where)
                terms.append(f'{key!r} not in w{k} and b{k}[{key!r}] is v{k}')
            elif key.isidentifier() and not keyword.iskeyword(key):  # (gone: raises, False)
                terms.append(f'w{k}.{key} is v{k}')
            else:
                terms.append(f'getattr(w{k}, {key!r}, _MISSING) is v{k}')
            if facet is not None:
                names[f'f{k}'], names['_facet'] = facet, _facet
                terms.append(f'_facet(v{k}) == f{k}')
        for k, (array, data) in enumerate(self.contents.values()):
            names[f'a{k}'], names[f'd{k}'] = array, data
            terms.append(f'a{k}.tobytes() == d{k}')
        return terms, names

    def _revalidate(self):
        """The slow comparison: values rebound to equal immutable values are accepted
        (and become the expected objects); anything else fails."""
        updates = []
        for entry in self.reads.values():
            kind, where, key, obj, facet = entry
            now = _current(kind, where, key)
            if now is not obj and not _same_value(now, obj) or \
                    facet is not None and _facet(now) != facet:
                return False
            updates.append((entry, now))
        if not all(array.tobytes() == data for array, data in self.contents.values()):
            return False
        for entry, now in updates:
            entry[3] = now
        return True


def _always():
    return True


def _builtins_of(namespace):
    found = namespace.get('__builtins__', builtins)
    return found if isinstance(found, dict) else vars(found)


def _current(kind, where, key):
    try:
        if kind == 'global':
            return where.get(key, _MISSING)
        if kind == 'cell':
            return where.cell_contents
        if kind == 'builtin':
            return _MISSING if key in where else _builtins_of(where).get(key, _MISSING)
        return getattr(where, key, _MISSING)
    except ValueError:          # an emptied cell
        return _MISSING


def _facet(obj):
    """What an object's identity does not fix: an array's shape and dtype (settable
    in place), a container's items (a tuple's too: its arrays' shapes); None for
    anything else, and for a tuple of numbers, strings, ... (a function's usual
    defaults), which nothing can change."""
    if isinstance(obj, np.ndarray) or type(obj) in (list, dict, set) or \
            type(obj) is tuple and not _unchangeable(obj):
        return _snapshot(obj)
    return None


def _unchangeable(obj):
    return type(obj) in _IMMUTABLE or type(obj) is tuple and all(map(_unchangeable, obj))


def _snapshot(obj):
    """A comparable record of a container's items, by identity (nested containers
    and arrays' shapes included); compared with ==, so it holds no arrays."""
    if type(obj) is list or type(obj) is tuple:
        return (type(obj), tuple(_snapshot(item) for item in obj))
    if type(obj) is dict:
        return (dict, tuple((_snapshot(k), _snapshot(v)) for k, v in obj.items()))
    if type(obj) is set:
        return (set, frozenset(id(item) for item in obj))
    if isinstance(obj, np.ndarray):
        return (id(obj), obj.shape, obj.dtype)
    return id(obj)


def _same_value(a, b):
    """Equal immutable values of exact builtin types (-0.0 and 0.0 differ; nan is nan)."""
    if type(a) is not type(b):
        return False
    if type(a) is tuple:
        return len(a) == len(b) and all(x is y or _same_value(x, y) for x, y in zip(a, b))
    if type(a) is float:
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b) or a != a and b != b
    return type(a) in _IMMUTABLE and a == b


__all__ = ['Guards', 'is_library_object']
