"""Runtime helpers for containers passed as arguments: a dict's items, keys and values
read, a NamedTuple's fields read by name, and the gradients of those reads (each
needs only other `_sg_` helpers).

A container argument is a run-time value like a list: `params['W1']` is a read
whose gradient is the container's, with an entry at that key (helpers.py:
_sg_scatter_add, _sg_GradDict); these give the other reads theirs.  A write
into a dict passed in is a new version of it, a shallow copy (_sg_replaced,
_sg_without: frontend/versions.py), whose gradient is split between the old
version and the written value.
"""
import numpy as np

from .helpers import _sg_GradDict, _sg_GradList, _sg_zeros_like
from .objects import _sg_is_object


def _sg_items(d):
    """A run-time dict's items, as a list (a dict argument, read-only)."""
    return list(d.items())


def _sg_keys(d):
    return list(d.keys())


def _sg_values(d):
    return list(d.values())


def _sg_get(d, key, default=None):
    return d.get(key, default)


def _sg_field(obj, name):
    """`obj.name` of a run-time value that is not an array: a NamedTuple's field, a
    dataclass's or a plain object's attribute."""
    if not (isinstance(obj, tuple) and hasattr(obj, '_fields') or _sg_is_object(obj)):
        raise TypeError(f'attribute {name!r} of a {type(obj).__name__} cannot be read in '
                        f'transformed code: of a value passed in, only a NamedTuple\'s '
                        f'fields, an object\'s attributes and array attributes (.T, '
                        f'.shape, ...) are supported')
    if _sg_is_object(obj) and name not in vars(obj) and (
            not hasattr(type(obj), name) or hasattr(getattr(type(obj), name), '__get__')):
        # only the object's own attributes and its class's constants: what a property,
        # a method or __getattr__ computes would lose its gradient
        raise TypeError(f'attribute {name!r} of a {type(obj).__name__} is computed by its '
                        f'class (a property, a method or __getattr__): read in transformed '
                        f'code, its gradient would be lost; compute it in a function taking '
                        f'the object')
    return getattr(obj, name)


def _sg_namedtuple(cls, items):
    """`cls(*items)`: a NamedTuple made in transformed code."""
    return cls(*items)


def _sg_field_index(obj, name):
    """Where the gradient of `obj.name` goes in obj's: a NamedTuple's field's position,
    an object's attribute's name (its gradient is a dict by attribute until it is
    returned: helpers._sg_object_like)."""
    if _sg_is_object(obj):
        return name
    return type(obj)._fields.index(name)


def _sg_items_grad(g, d):
    """The gradient of dict `d` from that of `list(d.items())`: each value's entry
    (a key has none)."""
    out = _sg_GradDict()
    for key, entry in zip(d, g):
        if entry is not None and entry[1] is not None:
            out[key] = entry[1]
    return out


def _sg_items_grad_grad(g, d):
    """The gradient of `g` in `_sg_items_grad(g, d)`: a (key, value) entry per item,
    the value's from `g`, a dict's gradient (a second order through `.items()`)."""
    return _sg_GradList(None if g is None or g.get(key) is None else (None, g[key])
                        for key in d)


def _sg_values_grad_grad(g, d):
    """The gradient of `g` in `_sg_values_grad(g, d)`: an entry per value."""
    return _sg_GradList(None if g is None else g.get(key) for key in d)


def _sg_values_grad(g, d):
    """The gradient of dict `d` from that of `list(d.values())`."""
    return _sg_GradDict({key: entry for key, entry in zip(d, g) if entry is not None})


def _sg_dict_of(pairs):
    """`{k: v for ...}` over a run-time sequence, from its list of (key, value) pairs."""
    return dict(pairs)


def _sg_dict_of_grad(g, pairs):
    """The gradient of the pairs from that of the dict: each value's entry (keys:
    none; a key written twice: the value kept, the last)."""
    last = {key: i for i, (key, _) in enumerate(pairs)}
    return _sg_GradList((None, _sg_zeros_like(value) if g.get(key) is None or last[key] != i
                         else g[key]) for i, (key, value) in enumerate(pairs))


def _sg_dict_entries(g, keys, items):
    """The gradient of a dict built here (`{'W1': a, 'b1': b}`) as one entry per item, in
    the order of `keys` (zeros where it has none); a gradient already in that form
    as it is."""
    if not isinstance(g, dict):
        return g
    return tuple(_sg_zeros_like(item) if g.get(key) is None else g[key]
                 for key, item in zip(keys, items))


# ---- new versions of a container passed in (a write never changes the caller's) ----
def _sg_replaced(base, key, value):
    """A shallow copy of dict or list `base` with its item `key` set to `value`
    (`p['W'] = v`, `{**p, 'W': v}`: a new version of the container, the caller's
    unchanged).  The same helper could serve an object's attribute."""
    out = _sg_copy(base, (dict, list))
    out[key] = value
    return out


def _sg_entry(g, key, like):
    """The entry at `key` of a container's gradient `g`: zeros like `like` (the
    item written there) where it has none."""
    entry = None if g is None else g.get(key) if isinstance(g, dict) else g[key]
    return _sg_zeros_like(like) if entry is None else entry


def _sg_zero_entry(g, key):
    """A copy of a container's gradient `g` with zeros at `key` (where the write
    `_sg_replaced` overwrote the item: the old version gets nothing there)."""
    if g is None:
        return None
    out = _sg_GradList(g) if isinstance(g, list) else _sg_GradDict(g)
    if (key in out if isinstance(out, dict) else True) and out[key] is not None:
        out[key] = _sg_zeros_like(out[key])
    return out


def _sg_entry_grad(dout, g, key):
    """The gradient of `g` in `_sg_entry(g, key, like)`: `dout` at key, zeros at
    g's other entries (a gradient of a gradient reads each of them)."""
    if isinstance(g, list):
        out = _sg_GradList(_sg_zeros_like(item) for item in g)
    else:
        out = _sg_GradDict({k: _sg_zeros_like(item) for k, item in (g or {}).items()})
    out[key] = dout
    return out


def _sg_copy(base, kind=dict):
    """`dict(p)`, `p.copy()`, `list(lst)` of a run-time container: a shallow copy, a
    version of its own that a write may replace (of a gradient: the same type, which
    keeps adding entry by entry)."""
    if not isinstance(base, kind):
        what = kind.__name__ if isinstance(kind, type) else 'dict or list'
        raise TypeError(f'{what} of a {type(base).__name__} cannot be transformed: only '
                        f'a {what} is copied here; build it with a comprehension')
    if type(base) in (_sg_GradDict, _sg_GradList):
        return type(base)(base)
    return base.copy()


def _sg_tuple(seq):
    """`tuple(p.values())` of a run-time list: a tuple of its items."""
    return tuple(seq)


def _sg_sequence_like(g, like):
    """The gradient of `like` in `list(like)` / `tuple(like)`: the list's entries in
    like's kind (a tuple, a list, an array's rows stacked), zeros where one has none."""
    if g is None:
        return None
    entries = [_sg_zeros_like(item) if gi is None else gi for gi, item in zip(g, like)]
    if isinstance(like, np.ndarray):
        return np.stack(entries) if entries else _sg_zeros_like(like)
    return tuple(entries) if isinstance(like, tuple) else entries


def _sg_list_copy(lst):
    """`lst + [h, c]` of what may be a list or an array: a copy of the list, to append
    to (an array's `+` would broadcast instead: not followed here)."""
    if not isinstance(lst, list):
        raise TypeError(f'x + [...] where x is a {type(lst).__name__}: only a list followed '
                        f'by a list written out here is concatenated (np.stack the list '
                        f'first for arithmetic)')
    return list(lst)


def _sg_without(base, key):
    """`del p['k']` / `p.pop('k')`: a shallow copy of dict `base` without `key`
    (KeyError if it has none, as Python's)."""
    out = _sg_copy(base, dict)
    del out[key]
    return out


def _sg_get_grad(dy, d, key):
    """The gradient of dict `d` in `d.get(key, default)`: `dy` at key if d has it."""
    return _sg_GradDict({key: dy}) if key in d else None


def _sg_default_grad(dy, d, key):
    """The gradient of the default in `d.get(key, default)`: `dy` if d has no key."""
    return None if key in d else dy
