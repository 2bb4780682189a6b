"""Runtime helpers that tell a dataclass instance or plain object, differentiated
attribute by attribute, and which of its attributes get a gradient (helpers.py:
_sg_object_like makes the gradient, an instance of the object's class).  They need
only `np`.
"""
import numpy as np


def _sg_is_object(x):
    """Is `x` a dataclass instance or a plain object, differentiated attribute by
    attribute (not an array, a number, a container, nor a builtin such as a function)?"""
    return hasattr(x, '__dict__') and type(x).__module__ != 'builtins' and \
        not isinstance(x, (np.ndarray, np.generic, type))


def _sg_has_gradient(x):
    """Does a value of an object's attribute get a gradient (a float, an array of
    floats, a container or object holding some)?  Other attributes (ints, strings,
    configuration) are static: copied into the gradient as they are."""
    if isinstance(x, (float, complex, np.inexact)):
        return True
    if isinstance(x, np.ndarray):
        return np.issubdtype(x.dtype, np.inexact)
    if isinstance(x, (list, tuple)):
        return any(_sg_has_gradient(item) for item in x)
    if isinstance(x, dict):
        return any(_sg_has_gradient(item) for item in x.values())
    return _sg_is_object(x) and any(_sg_has_gradient(v) for v in vars(x).values())


def _sg_is_constant_leaf(x):
    """Is `x` a leaf of a differentiated container that is a constant: anything but a
    float, an array of floats, a container or an object (an int, a bool, None, a
    string, an integer array)?  Its gradient is None."""
    return not isinstance(x, (list, tuple, dict)) and not _sg_is_object(x) and \
        not _sg_has_gradient(x)


def _sg_with_attribute(obj, name, value):
    """`obj.name = value` in transformed code: a new version of the object, a shallow
    copy with the attribute replaced (the caller's object is never written).  As
    Python would, a frozen dataclass refuses; a class that sets its attributes
    itself (`__setattr__`, a property's setter) is refused."""
    kind = type(obj)
    if not _sg_is_object(obj):
        raise TypeError(f'attribute {name!r} of a {kind.__name__} cannot be assigned in '
                        f'transformed code: only a dataclass\'s or plain object\'s can')
    params = getattr(kind, '__dataclass_params__', None)
    if params is not None and params.frozen:
        raise AttributeError(f'cannot assign to field {name!r} (a frozen dataclass)')
    if kind.__setattr__ is not object.__setattr__ or \
            hasattr(getattr(kind, name, None), '__set__'):
        raise TypeError(f'{kind.__name__} sets its attributes itself (__setattr__ or a '
                        f'property): assigning {name!r} cannot be transformed')
    new = object.__new__(kind)
    new.__dict__.update(vars(obj))
    new.__dict__[name] = value
    return new


def _sg_cycle_in(x, path=()):
    """The attribute, key or index path by which a container or object `x` holds
    itself again (`model.owner = model`), or None: a differentiated argument's
    gradient has its structure, which must be a tree."""
    if isinstance(x, dict):
        items = x.items()
    elif isinstance(x, (list, tuple)):
        items = enumerate(x)
    elif _sg_is_object(x) and isinstance(getattr(x, '__dict__', None), dict):
        items = vars(x).items()
    else:
        return None
    if any(held is x for held in path):
        return ()
    for key, item in items:
        found = _sg_cycle_in(item, path + (x,))
        if found is not None:
            return (key,) + found
    return None
