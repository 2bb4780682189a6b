"""How generated code spells transform-time objects: `np.tanh`, `np.float32`, `_sg_unbroadcast`.

Objects are found in a reverse table of the modules generated code may use
(NumPy and its linalg/fft, math, scipy.special when loaded, builtins, the
runtime helpers), and spelled through the user's own alias of the module.
"""
import builtins
import math
import sys
import types

import numpy as np

from ..runtime import HELPERS

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
    """Chooses names for the modules and globals a generated function refers to."""

    def __init__(self, aliases, reserved):
        self.aliases = dict(aliases)        # module name -> the user's alias
        self.reserved = set(reserved)
        self.namespace = {}                 # name -> object, what the code needs
        self.helpers = []                   # runtime helpers used, in order

    def module(self, modname):
        """The expression (dotted text) naming a module, and bind its root."""
        alias = self.aliases.get(modname)
        if alias is not None:
            self.namespace[alias] = sys.modules[modname]
            return alias
        parent, _, child = modname.rpartition('.')
        if parent and parent in self.aliases or modname.startswith('numpy.'):
            return f'{self.module(parent)}.{child}'
        default = {'numpy': 'np', 'math': 'math'}.get(modname, modname.replace('.', '_'))
        name = default
        while name in self.reserved and self.namespace.get(name) is not sys.modules[modname]:
            name = '_sg_' + name
        self.aliases[modname] = name
        self.namespace[name] = sys.modules[modname]
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
            self.namespace[attr] = obj
            return attr
        if modname == 'builtins':
            return attr
        if attr is None:
            return self.module(modname)
        return f'{self.module(modname)}.{attr}'

    def global_name(self, name, obj):
        """Bind a user global (an array, an object) under its own name, made unique."""
        candidate = name
        k = 1
        while candidate in self.namespace and self.namespace[candidate] is not obj \
                or candidate in self.reserved and self.namespace.get(candidate) is not obj:
            candidate = f'{name}_{k}'
            k += 1
        self.namespace[candidate] = obj
        self.reserved.add(candidate)
        return candidate


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
