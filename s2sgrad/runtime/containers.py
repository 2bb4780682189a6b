"""Runtime helpers for containers passed as arguments: a dict's items, keys and values
read, a NamedTuple's fields read by name, and the gradients of those reads (each
needs only other `_sg_` helpers).

A container argument is a run-time value like a list: `params['W1']` is a read
whose gradient is the container's, with an entry at that key (helpers.py:
_sg_scatter_add, _sg_GradDict); these give the other reads theirs.
"""
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


def _sg_without_entry(g, name):
    """The gradient of an object before `obj.name = ...`, from its version's: every
    attribute's entry but `name`'s (the old value of `name` reaches nothing after)."""
    if not g:
        return g
    out = type(g)(g)
    out.pop(name, None)
    return out


def _sg_entry(g, name):
    """The gradient of the value assigned to `obj.name`, from the object version's."""
    return g.get(name) if g else None


def _sg_entry_gradient(g, name):
    """The gradient of an object's gradient from that of its entry at `name`."""
    return _sg_GradDict({name: g})
