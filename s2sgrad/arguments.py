"""A call's arguments, checked before any code runs: bound as the original
function binds them, each differentiated one floats (or a tree of them), no dict or
list passed in two places to a function that writes into one, and whether an object
among them needs the lowering for its classes; `wrt` resolved to positions."""
import inspect

import numpy as np

from .analyses import leaves
from .classes import defines_any
from .errors import Origin
from .runtime.objects import _sg_cycle_in, _sg_has_gradient, _sg_is_object


def defined_at(fn):
    """`model.py:12`, where a Python function is defined (errors about a call's
    arguments name it: the user's file and line)."""
    code = getattr(fn, '__code__', None)
    if code is None:
        return '<unknown>'
    return Origin(code.co_filename, code.co_firstlineno).short


def bind_arguments(signature, fname, at, args, kwargs):
    """The arguments bound to the parameters, or the TypeError Python gives for a call
    of the function with them (too many, too few, unknown keywords), naming where
    the function is defined (`at`)."""
    try:
        return signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f'{fname}(): {exc} ({fname} is defined at {at})') from None


def holds_methods_of(names, args, kwargs):
    """Does an argument hold an object whose class defines a method of one of `names`,
    which the general lowering took for an array's method (`model.repeat(x)`)?  Then
    the call needs the lowering for its classes (s2sgrad/classes.py)."""
    if not names:
        return False
    # (asked on every call: an array or a number, most arguments, holds no object)
    for arg in (*args, *kwargs.values()) if kwargs else args:
        if type(arg) not in _HOLD_NOTHING and defines_any(arg, names):
            return True
    return False


_HOLD_NOTHING = frozenset({np.ndarray, float, int, bool, complex, np.float64, np.float32})


def check_unshared(args, kwargs, fn):
    """A function that writes into a dict or list passed in (a new version of it, under
    each name showing it) must not get one dict or list in two places: the write
    would be seen through the other, which is not followed."""
    seen = set()

    def walk(x, depth):
        if depth > leaves.DEPTH or type(x) not in (dict, list, tuple):
            return
        if type(x) is not tuple:
            if id(x) in seen:
                raise TypeError(f'{fn.__name__} ({defined_at(fn)}) writes into a dict or '
                                f'list passed in, and this call '
                                f'passes one dict or list in two places (two arguments, or '
                                f'inside two): the write would be seen through both, which '
                                f'is not followed; pass a copy')
            seen.add(id(x))
        for item in (x.values() if type(x) is dict else x):
            walk(item, depth + 1)

    for arg in list(args) + list((kwargs or {}).values()):
        walk(arg, 0)


def check_differentiable(arg, name, fname):
    """A differentiated argument is a float, an array of floats, an object, or a list,
    tuple (NamedTuple) or dict holding some, nested (its gradient has the same
    structure; its other leaves are constants: runtime/objects._sg_is_constant_leaf)."""
    if arg is inspect.Parameter.empty:
        return              # missing: the call itself says so
    cycle = _sg_cycle_in(arg)
    if cycle is not None:
        raise TypeError(f'grad: argument {name!r} of {fname} holds itself again (through '
                        f'{"".join(f"[{k!r}]" for k in cycle)}): the gradient of a '
                        f'differentiated argument has its structure, which must be a tree')
    if _sg_is_object(arg):
        return              # attribute by attribute; non-float attributes are static
    if isinstance(arg, (list, tuple, dict)):
        if arg and not _sg_has_gradient(arg):
            raise TypeError(f'grad: argument {name!r} of {fname} holds no float or array '
                            f'of floats to differentiate with respect to (its leaves are '
                            f'constants)')
        return
    if not isinstance(arg, (float, complex, np.inexact, np.ndarray)) or \
            (isinstance(arg, np.ndarray) and not np.issubdtype(arg.dtype, np.inexact)):
        raise TypeError(f'grad: argument {name!r} of {fname} must be a float or an array of '
                        f'floats to differentiate with respect to it, got {type(arg).__name__}'
                        f'{" of " + str(arg.dtype) if isinstance(arg, np.ndarray) else ""}')


def resolve_wrt(wrt, signature, fname):
    names = list(signature.parameters)

    def one(item):
        if isinstance(item, bool):
            raise TypeError(f'wrt must be an int or a parameter name, got {item!r}')
        if isinstance(item, (int, np.integer)):
            if not -len(names) <= item < len(names):
                raise ValueError(f'wrt={item} is out of range: {fname} has {len(names)} parameters')
            return int(item) % len(names)
        if isinstance(item, str):
            if item not in names:
                raise ValueError(f'wrt={item!r} is not a parameter of {fname}{tuple(names)}')
            return names.index(item)
        raise TypeError(f'wrt must be an int, a parameter name or a tuple of them, got {item!r}')

    if isinstance(wrt, (tuple, list)):
        if not wrt:
            raise ValueError('wrt is empty')
        indices = tuple(one(w) for w in wrt)
        if len(set(indices)) != len(indices):
            raise ValueError(f'wrt names a parameter twice: {wrt!r}')
        return indices
    return one(wrt)
