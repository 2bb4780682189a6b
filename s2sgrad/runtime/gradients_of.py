"""What a `gradients(...)` call hands back for each x: its gradient with x's dtype and
shape, and for an x that is a container or an object (a dict argument, a list of
`(W, b)` tuples), the gradients in x's own structure, leaf by leaf, as tf.nest
packs a structure (each needs only `np` and other `_sg_` helpers).
"""
import numpy as np

from .helpers import _sg_cast_like, _sg_scatter_add, _sg_zeros_like
from .objects import _sg_has_gradient, _sg_is_object


def _sg_gradient_of(g, x, zero=False):
    """What `gradients` returns for `x`: `g` with x's dtype and shape.

    Integer and boolean values are constants (as in tf.gradients): None, or
    zeros when unconnected gradients are asked as zeros; so is a leaf of a
    container x that no path reaches.
    """
    if isinstance(x, (list, tuple, dict)) or _sg_is_object(x):
        return _sg_structure_gradient_of(g, x, zero)
    if g is None or not np.issubdtype(np.result_type(x), np.inexact):
        return _sg_zeros_like(x) if zero else None
    return _sg_cast_like(g, x)


def _sg_structure_gradient_of(g, x, zero):
    """The gradient of a container or object `x` from `g` (its entries by key, index
    or attribute; None where none reached it) in x's structure: a dict with x's
    keys, a list, a tuple or NamedTuple of x's class, an instance of x's class
    made without calling `__init__` (its attributes that hold no floats copied,
    as sg.grad's gradient of an object has them)."""
    if isinstance(x, (list, tuple)):
        g = [None] * len(x) if g is None else g
        items = [_sg_gradient_of(gi, xi, zero) for gi, xi in zip(g, x)]
        if isinstance(x, list):
            return items
        return type(x)(*items) if hasattr(x, '_fields') else tuple(items)
    g = {} if g is None else g
    if isinstance(x, dict):
        return {k: _sg_gradient_of(g.get(k), xk, zero) for k, xk in x.items()}
    out = object.__new__(type(x))
    for name, value in vars(x).items():
        object.__setattr__(out, name, _sg_gradient_of(g.get(name), value, zero)
                           if _sg_has_gradient(value) else value)
    return out


def _sg_entry_gradient(dout, index, g):
    """The gradient of `g` in `_sg_scatter_add(g, x, index)`, from the result's
    gradient `dout`: its entry at `index`.  In a container's gradient the leaves
    no path reached are None: they are zeros here, in g's structure (a reverse
    loop reads an entry each iteration, and differentiated again, reads them all)."""
    if isinstance(dout, (list, tuple, dict)) or _sg_is_object(dout):
        entry = dout.get(index) if isinstance(dout, dict) else dout[index]
        return _sg_gradient_of(entry, g, True)
    return dout[index]


def _sg_gradient_of_read(g, root, groot, path):
    """The gradient of `x = root[k].name...`, a read of a container or object passed
    in (`p['W']`, `model.layers[0].W`; `path`: its steps, (is an attribute, key or
    name)); `g` is that read's own gradient, `groot` root's, both as `gradients`
    hands them back.  Where every step is an item of a list, tuple or dict or an
    attribute of an object (a NamedTuple's field), x is the very object every
    other read of the path gives (what is passed in is never written), so its
    gradient is root's at the path, which sums them all; where a step indexes an
    array, x is a new array of its own: `g`.  (A copy of root's: root may be an
    x too, and two xs never share an array.)"""
    if _sg_read_steps(root, path) is None:
        return g
    for attribute, key in path:
        groot = None if groot is None else getattr(groot, key) if attribute else groot[key]
    return _sg_copy_leaves(groot)


def _sg_read_adjoint(dout, root, path, own):
    """The gradient of `_sg_gradient_of_read`'s result `dout` for its `g` (`own`) or
    its `groot`: all of it for the one the read chose, None for the other; for
    groot, placed at the path in root's structure."""
    steps = _sg_read_steps(root, path)
    if steps is None or own:
        return dout if (steps is None) == own else None
    for node, index in reversed(steps):
        dout = _sg_scatter_add(dout, node, index)
    return dout


def _sg_read_steps(root, path):
    """The containers a read walks through and where in each its step goes (as
    _sg_scatter_add places a gradient); None where a step indexes an array."""
    steps = []
    for attribute, key in path:
        if attribute and isinstance(root, tuple) and hasattr(root, '_fields'):
            steps.append((root, type(root)._fields.index(key)))
            root = getattr(root, key)
        elif attribute and _sg_is_object(root):
            steps.append((root, key))
            root = getattr(root, key)
        elif not attribute and isinstance(root, (list, tuple, dict)):
            steps.append((root, key))
            root = root[key]
        else:
            return None
    return steps


def _sg_copy_leaves(g):
    """A gradient with each array in it copied (its structure too)."""
    if isinstance(g, np.ndarray):
        return g.copy()
    if isinstance(g, dict):
        return {k: _sg_copy_leaves(v) for k, v in g.items()}
    if isinstance(g, list):
        return [_sg_copy_leaves(v) for v in g]
    if isinstance(g, tuple):
        items = [_sg_copy_leaves(v) for v in g]
        return type(g)(*items) if hasattr(g, '_fields') else tuple(items)
    return g


def _sg_jacobian_like(x, paths, jacobians):
    """The Jacobian with respect to a container or object argument `x` (jacrev,
    jacfwd): in x's structure, each float leaf's Jacobian (`jacobians`, one per
    path of `paths`, whose steps are (is an attribute, key or name)); None at its
    constant leaves (ints, bools, None, strings), and an object's static attributes
    copied as its gradient's are (helpers._sg_object_like)."""
    found = dict(zip(paths, jacobians))
    return _sg_rebuilt(x, lambda value, path: found.get(path))


def _sg_tangent_at(x, path, seed):
    """The tangent of a container or object argument `x` (jacfwd's seed): `seed` at the
    leaf at `path` (steps (is an attribute, key or name)), zeros at its other
    numeric leaves; in x's structure, an object's static attributes as they are."""
    def leaf(value, at):
        return seed if at == path else np.zeros_like(value) if isinstance(
            value, (bool, int, float, complex, np.number, np.bool_, np.ndarray)) else value
    return _sg_rebuilt(x, leaf)


def _sg_rebuilt(x, leaf, path=()):
    """x's structure (dicts, lists, tuples, NamedTuples, objects made without calling
    `__init__`) with `leaf(value, path)` at each of its leaves; an object's
    attributes without a gradient copied as they are."""
    if isinstance(x, dict):
        return {k: _sg_rebuilt(item, leaf, path + ((False, k),)) for k, item in x.items()}
    if isinstance(x, (list, tuple)):
        items = [_sg_rebuilt(item, leaf, path + ((False, i),)) for i, item in enumerate(x)]
        if isinstance(x, tuple):
            return type(x)(*items) if hasattr(x, '_fields') else tuple(items)
        return items
    if _sg_is_object(x):
        out = object.__new__(type(x))
        for name, item in vars(x).items():
            object.__setattr__(out, name, _sg_rebuilt(item, leaf, path + ((True, name),))
                               if _sg_has_gradient(item) else item)
        return out
    return leaf(x, path)


def _sg_at_path(x, path):
    """The leaf of x at `path` (steps (is an attribute, key or name))."""
    for is_attribute, key in path:
        x = getattr(x, key) if is_attribute else x[key]
    return x


def _sg_raveled(g, x, paths):
    """The float leaves at `paths` of `g` (a gradient, or its tangent, in the structure
    of the container or object x), raveled one after another into one vector;
    zeros of x's leaf where g holds None (a Hessian's rows: `_sg_hessian_like`)."""
    parts = []
    for path in paths:
        leaf = _sg_at_path(g, path)
        parts.append(np.ravel(np.zeros(np.shape(_sg_at_path(x, path))) if leaf is None
                              else leaf))
    return np.concatenate(parts) if parts else np.zeros(0)


def _sg_hessian_like(x, paths, jacobians):
    """The Hessian w.r.t. a container or object argument `x`, as JAX's: x's structure
    whose float leaf i holds x's structure again, with H[i][j] of shape
    leaf_i.shape + leaf_j.shape where leaf j is (None at constant leaves).
    `jacobians[j]`: the Jacobian of the raveled gradient (`_sg_raveled`) w.r.t.
    leaf j, shape (n,) + leaf_j.shape."""
    shapes = [np.shape(_sg_at_path(x, path)) for path in paths]
    starts = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
    rows = {}
    for i, (path, shape) in enumerate(zip(paths, shapes)):
        rows[path] = _sg_jacobian_like(x, paths, tuple(
            np.reshape(jacobian[starts[i]:starts[i + 1]], shape + np.shape(jacobian)[1:])
            for jacobian in jacobians))
    return _sg_rebuilt(x, lambda value, path: rows.get(path))
