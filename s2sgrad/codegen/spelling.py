"""How generated code spells transform-time objects: `np.tanh`, `np.float32`, `_sg_unbroadcast`.

Objects are found in a reverse table of the modules generated code may use
(NumPy and its linalg/fft, math, scipy.special when loaded, builtins, the
runtime helpers), and spelled through the user's own alias of the module.
"""
import builtins
import inspect
import itertools
import math
import sys
import types

import numpy as np

from ..runtime import HELPERS
from . import literal

# Where a callable has several public names, the one generated code uses.
PREFERRED = {'abs', 'round', 'divide', 'conj', 'max', 'min', 'power', 'concatenate',
             'transpose', 'remainder', 'arccos', 'arcsin', 'arctan', 'arccosh', 'arcsinh',
             'arctanh', 'arctan2', 'left_shift', 'right_shift', 'invert'}
_MODULES = ['numpy', 'numpy.linalg', 'numpy.fft', 'math', 'scipy.special', 'scipy.linalg']

_table = {}
_table_modules = set()
_helper_ids = {id(fn) for fn in HELPERS.values()}     # HELPERS keeps them alive


def _key(obj):
    try:
        hash(obj)
        return ('h', type(obj), obj) if not isinstance(obj, (int, float, str, bool)) else None
    except TypeError:
        return ('id', id(obj))


def _refresh():
    for modname in _MODULES:
        if modname in _table_modules or modname not in sys.modules:
            continue
        _table_modules.add(modname)
        module = sys.modules[modname]
        names = sorted(n for n in vars(module) if not n.startswith('_'))
        names.sort(key=lambda n: n not in PREFERRED)
        for name in names:
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType):
                continue
            key = _key(obj)
            if key is not None and key not in _table:
                _table[key] = (modname, name)


def library_path(obj):
    """(module name, attribute) under which a library object is found, or None."""
    if isinstance(obj, types.ModuleType):
        return (obj.__name__, None)
    if id(obj) in _helper_ids:
        return (None, obj.__name__)
    if isinstance(obj, types.BuiltinFunctionType) and getattr(builtins, obj.__name__, None) is obj:
        return ('builtins', obj.__name__)
    if isinstance(obj, type) and getattr(builtins, obj.__name__, None) is obj:
        return ('builtins', obj.__name__)
    _refresh()
    key = _key(obj)
    return _table.get(key) if key is not None else None


class Spelling:
    """Chooses the names under which a generated function refers to modules,
    builtins, runtime helpers and user globals, and binds them in its namespace.

    Hygiene: every such name is bound once, to one object, and never to a name
    the function already uses (`taken`, shared with codegen's names of values,
    which holds the parameters and the function's own name).  A name generated
    code introduces on its own (`np`, `range`, `_sg_unbroadcast`) also keeps
    away from every name the user's code uses (`avoid`): a parameter named
    `range` stays `range`, and the builtin becomes `_sg_range`.  Names the
    user's code spells (a global `W`, the user's `np`) keep their spelling
    unless a parameter or a value already holds it (then `W_1`, `np_1`).
    No name is bound to anything but what an exported module's own code
    (helpers, constants) means by it (MODULE_NAMES).
    """

    def __init__(self, aliases, reserved, taken=None):
        self.aliases = dict(aliases)        # module name -> the user's alias
        self.reserved = set(reserved)       # names of modules in the user's code
        self.taken = set() if taken is None else taken
        self.avoid = set()                  # the user's names (codegen fills it)
        self.namespace = {}                 # name -> object, what the code needs
        self.helpers = []                   # runtime helpers used, in order

    def bind(self, name, obj, generated):
        """Bind `obj` under `name` or, where that is not free, a fresh variant of it
        (`_sg_name`, `name_1`, ...; see the class docstring); return the name."""
        for candidate in _variants(name, generated):
            held = self.namespace.get(candidate, _FREE)
            if held is obj:
                return candidate
            if held is _FREE and candidate not in self.taken \
                    and not (generated and candidate in self.avoid) \
                    and MODULE_NAMES.get(candidate, obj) is obj:
                break
        self.namespace[candidate] = obj
        self.taken.add(candidate)
        return candidate

    def module(self, modname):
        """The expression (dotted text) naming a module, and bind its root."""
        alias = self.aliases.get(modname)
        if alias is not None:
            name = self.bind(alias, sys.modules[modname], generated=False)
            self.aliases[modname] = name
            return name
        parent, _, child = modname.rpartition('.')
        if parent and parent in self.aliases or modname.startswith('numpy.'):
            return f'{self.module(parent)}.{child}'
        default = {'numpy': 'np', 'math': 'math'}.get(modname, modname.replace('.', '_'))
        name = self.bind(default, sys.modules[modname], generated=True)
        self.aliases[modname] = name
        return name

    def path(self, obj, spelling=None):
        """Dotted text for a library object, or None when it is not one.

        Where the user spelled it (`np.float64` rather than `np.double`), that
        name is kept if the module has it.
        """
        found = library_path(obj)
        if found is None:
            return None
        modname, attr = found
        if spelling and modname and modname != 'builtins':
            last = spelling.rsplit('.', 1)[-1]
            if getattr(sys.modules[modname], last, None) is obj:
                attr = last
        if modname is None:                 # a runtime helper
            if attr not in self.helpers:
                self.helpers.append(attr)
            return self.bind(attr, obj, generated=True)
        if modname == 'builtins':
            return self.bind(attr, obj, generated=spelling != attr)
        if attr is None:
            return self.module(modname)
        return f'{self.module(modname)}.{attr}'

    def global_name(self, name, obj):
        """Bind a user global (an array, an object) under its own name (made an
        identifier: it may be an object's `__name__`), made unique."""
        return self.bind(literal.identifier(name), obj, generated=False)


_FREE = object()


def _variants(name, generated):
    """`name`, then the names tried in its place: `name_1`, `name_2`, ... for a
    user's name; `_sg_name`, `_sg_name_1`, ... for one generated code chose."""
    yield name
    if generated and not name.startswith('_sg_'):
        name = '_sg_' + name
        yield name
    yield from (f'{name}_{k}' for k in itertools.count(1))


def _module_names():
    """name -> object, for every name an exported module's own code needs to mean
    one thing: the runtime helpers, the globals and builtins they read, NumPy as
    `np`, and the builtins literals are written with."""
    names = {'np': np, 'float': float, 'complex': complex, 'range': range, 'slice': slice,
             'frozenset': frozenset}
    for helper_name, helper in HELPERS.items():
        names[helper_name] = helper
        # a helper class (the gradient of a list) reads what its methods read
        functions = [f for f in vars(helper).values() if inspect.isfunction(f)] \
            if inspect.isclass(helper) else [helper]
        for function in functions:
            free = inspect.getclosurevars(function)
            names.update(free.globals)
            names.update(free.builtins)
    return {name: obj for name, obj in names.items() if not name.startswith('__')}


MODULE_NAMES = _module_names()


def user_aliases(namespaces):
    """module name -> the name the user's code binds it to (first seen wins)."""
    aliases = {}
    for ns in namespaces:
        for name, obj in ns.items():
            if isinstance(obj, types.ModuleType) and not name.startswith('_'):
                aliases.setdefault(obj.__name__, name)
    if 'numpy' not in aliases:
        aliases['numpy'] = 'np'
    return aliases


__all__ = ['Spelling', 'library_path', 'user_aliases', 'math', 'np']
