"""The runtime helpers of generated code.  Each needs only `np` and other `_sg_` helpers.

Their names carry the reserved prefix `_sg_` so they never meet a user's name.
"""
import numpy as np

from .objects import _sg_has_gradient, _sg_is_constant_leaf, _sg_is_object


def _sg_unbroadcast(g, x):
    """Sum gradient `g` down to the shape of `x` (undo NumPy broadcasting)."""
    if type(x) in (np.float64, float) and type(g) in (np.float64, float):
        return g        # (a loop over elements unbroadcasts a scalar per element)
    if isinstance(x, (list, tuple, dict)):
        return _sg_unbroadcast_structure(g, x)
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    return _sg_sum_to(g, shape)


def _sg_broadcast_back(g, like):
    """The adjoint of `_sg_unbroadcast(like, x)`: `g` broadcast to the shape of the
    gradient `like` it summed; a container's gradient (which it left as it was but
    for a dict's missing entries, constants) `g` itself, entry by entry."""
    if isinstance(like, dict) and isinstance(g, dict):
        return _sg_GradDict({k: None if v is None else g.get(k) for k, v in like.items()})
    if isinstance(like, (list, tuple, dict)):
        return g
    return np.broadcast_to(g, np.shape(like))


def _sg_no_structures(*args):
    """In an exported module whose function reads no container or object, the name of
    each helper for them (export.py): a container or object passed in is an error,
    not a gradient of another type."""
    raise TypeError('this module was exported from a function that reads no list, '
                    'tuple, dict or object: pass arrays and floats, or export a '
                    'function that reads its argument as a container')


def _sg_unbroadcast_structure(g, x):
    """`_sg_unbroadcast` of a container's gradient: it has an entry per item."""
    if isinstance(x, dict) and isinstance(g, dict):
        # (a second order: the gradient of a dict's or object's gradient x, of
        # which only some entries were read) an entry for each of x's
        return _sg_GradDict({k: _sg_zeros_like(v) if g.get(k) is None and v is not None
                             else g.get(k) for k, v in x.items()})
    return g


def _sg_ones_like(y):
    """The default initial gradient of `y`: ones of its shape and dtype."""
    if isinstance(y, float):
        return 1.0
    if y is None:
        return None             # a constant leaf's gradient, differentiated again: none
    if isinstance(y, (list, tuple, dict)) or _sg_is_object(y):
        return _sg_ones_structure(y)
    return np.ones_like(y)


def _sg_ones_structure(y):
    """`_sg_ones_like` of a container's gradient, differentiated again (the sum of
    its entries), or of an object's."""
    if isinstance(y, dict):
        return _sg_GradDict({k: _sg_ones_like(item) for k, item in y.items()})
    if isinstance(y, (list, tuple)):
        return _sg_GradList(_sg_ones_like(item) for item in y)
    # (an object's gradient: by attribute, as _sg_object_like)
    return _sg_GradDict({name: _sg_ones_like(item) for name, item in vars(y).items()
                         if _sg_has_gradient(item)})


def _sg_object_like(g, x):
    """The gradient of object `x` (a dataclass's or a plain object's) from `g`, a dict
    of its attributes' gradients: an instance of x's class made without calling
    `__init__`, its attributes set as a frozen dataclass's are (no `__setattr__`
    of the class runs); static attributes copied from `x`."""
    g = g or {}
    out = object.__new__(type(x))
    for name, value in vars(x).items():
        object.__setattr__(out, name, _sg_cast_like(g.get(name), value)
                           if _sg_has_gradient(value) else value)
    return out


class _sg_GradList(list):
    """The gradient of a list or tuple: one entry per item (None where an item has
    none), added entry by entry -- `a + b` and `a += b` on gradients must sum, where
    on Python lists they would concatenate."""

    def __add__(self, other):
        return _sg_accumulate(self, other)

    __radd__ = __iadd__ = __add__


class _sg_GradDict(dict):
    """The gradient of a dict: an entry per key (None where an item has none), added
    key by key (as _sg_GradList)."""

    def __add__(self, other):
        return _sg_accumulate(self, other)

    __radd__ = __iadd__ = __add__


def _sg_no_gradient(g):
    """Is g no gradient at all: None, or a list of them?"""
    return g is None or isinstance(g, (list, tuple)) and all(_sg_no_gradient(x) for x in g)


def _sg_mixed(a, b):
    raise TypeError(f'a dict\'s gradient cannot be added to a gradient of a '
                    f'{type(b if isinstance(a, dict) else a).__name__}: a dict is used '
                    f'where another kind of value was')


def _sg_zeros_like(x):
    if isinstance(x, float):
        return 0.0
    if x is None or isinstance(x, str):
        return None             # a dict's key walked by a loop, a constant leaf's gradient
    if isinstance(x, (list, tuple, dict)) or _sg_is_object(x):
        return _sg_zeros_structure(x)
    return np.zeros_like(x)


def _sg_broadcast_like(t, y):
    """A tangent given the shape of the output it is the tangent of (forward mode:
    an elementwise op of which some inputs have no tangent)."""
    shape = np.shape(y)
    return t if np.shape(t) == shape else np.broadcast_to(t, shape).copy()


def _sg_zeros_structure(x):
    """`_sg_zeros_like` of a container or object: zeros in its structure."""
    if isinstance(x, (list, tuple)):
        return _sg_GradList(_sg_zeros_like(item) for item in x)
    if isinstance(x, dict):
        return _sg_GradDict({k: _sg_zeros_like(item) for k, item in x.items()})
    # an object's gradient: a dict of its attributes'
    return _sg_GradDict({k: _sg_zeros_like(v) for k, v in vars(x).items()
                         if _sg_has_gradient(v)})


def _sg_cast_like(g, x):
    """Give gradient `g` the type, dtype and shape of its argument `x`.

    `None` (no path from x to the output) becomes zeros; a read-only view
    (from broadcasting) becomes a fresh array the caller may modify.
    """
    if type(g) is np.ndarray and type(x) is np.ndarray and g.dtype == x.dtype and \
            g.shape == x.shape and g.flags.writeable:
        return g                # the common case, first: nothing to do
    if type(x) is float and g is not None:
        return float(g.real if isinstance(g, (complex, np.complexfloating)) else g)
    if isinstance(x, (list, tuple, dict)) or _sg_is_object(x):
        return _sg_cast_structure(g, x)
    if g is None:
        return _sg_zeros_like(x)
    if np.iscomplexobj(g) and not np.iscomplexobj(x):
        g = np.real(g)          # a real value's gradient is real (see rules/fft.py)
    if isinstance(x, np.ndarray):
        if not isinstance(g, np.ndarray) or g.shape != x.shape or g.dtype != x.dtype \
                or not g.flags.writeable:
            g = np.array(np.broadcast_to(g, x.shape), dtype=x.dtype)
        return g
    if isinstance(x, np.generic):
        return x.dtype.type(g)
    return g


def _sg_cast_structure(g, x):
    """`_sg_cast_like` of a container's or object's gradient: in x's own structure,
    zeros where `g` (or an entry of it) is None."""
    if _sg_is_object(x):
        return _sg_object_like(g, x)
    if g is None:
        g = {} if isinstance(x, dict) else [None] * len(x)
    if isinstance(x, dict):
        return {k: _sg_cast_item(g.get(k), xk) for k, xk in x.items()}
    cast = [_sg_cast_item(gi, xi) for gi, xi in zip(g, x)]
    if isinstance(x, tuple):    # x's own structure (a NamedTuple's class too)
        return type(x)(*cast) if hasattr(x, '_fields') else tuple(cast)
    return cast


def _sg_cast_item(g, x):
    """The gradient of an item of a container argument: None for a constant leaf
    (an int, a bool, None, a string, an integer array: as sg.gradients gives for an
    integer x), else `g` cast like the item."""
    return None if _sg_is_constant_leaf(x) else _sg_cast_like(g, x)


def _sg_if_inexact(g, y):
    """Gradient `g` of `y` where `y` holds floats; zeros where it holds integers (a
    value written into an integer array is rounded: piecewise constant)."""
    if np.issubdtype(np.result_type(y), np.inexact):
        return g
    return np.zeros(np.shape(g))


def _sg_check_output(y, name):
    """sg.grad of a function whose output `y` does not depend on the differentiated
    arguments: `y` must still be floats (None, integers, strings, ... are refused
    as JAX and autograd refuse them)."""
    for leaf in (y if isinstance(y, (list, tuple)) else [y]):
        if not (isinstance(leaf, (float, np.floating)) or isinstance(leaf, np.ndarray)
                and np.issubdtype(leaf.dtype, np.floating)):
            what = type(leaf).__name__ + \
                (f' of {leaf.dtype}' if isinstance(leaf, np.ndarray) else '')
            raise TypeError(f'grad: {name} returned {what}: a differentiated function must '
                            f'return a float or an array of floats')


def _sg_sum_to(g, shape):
    """Sum `g` to `shape` (used by the gradient of broadcast_to)."""
    g = np.asarray(g)
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def _sg_scatter_add(g, x, index):
    """Zeros like `x`, with `g` added at `x[index]` (repeated indices accumulate)."""
    if type(x) is np.ndarray and type(index) in (int, slice):   # (the common case, fast)
        out = np.zeros(x.shape, dtype=np.result_type(g, x))
        out[index] = g
        return out
    if isinstance(x, (list, tuple, dict)) or _sg_is_object(x):
        return _sg_scatter_add_structure(g, x, index)
    out = np.zeros(np.shape(x), dtype=np.result_type(g, x))
    parts = index if type(index) is tuple else (index,)
    if all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))
           for p in parts) or (len(parts) == 1 and np.asarray(parts[0]).dtype == bool):
        out[index] = g          # basic indexing or one mask: no element is hit twice
    else:
        np.add.at(out, index, g)
    return out


def _sg_scatter_add_structure(g, x, index):
    """`_sg_scatter_add` into a container or object: its gradient with `g` at `index`."""
    if isinstance(x, (list, tuple)):
        out = _sg_GradList([None] * len(x))     # an entry per item
        out[index] = g
        return out
    return _sg_GradDict({index: g})             # the other keys (attributes): none


def _sg_zero_at(g, index):
    """A copy of gradient `g` with zeros at `g[index]` (what an assignment overwrote);
    a list's gradient gets no entry there."""
    if isinstance(g, list):
        g = _sg_GradList(g)
        g[index] = None
        return g
    g = np.array(g)
    g[index] = 0
    return g


def _sg_copy_to_write(x):
    """A copy of `x` to assign an item of (`x[i] = v`), where x may be a list passed
    in: a list's is a list (np.copy would make it an array, or fail where its items
    differ in shape), any other's np.copy."""
    return list(x) if type(x) is list else np.copy(x)


def _sg_written_grad(dy, index, value):
    """The gradient of `value` in `x[index] = value`: `dy` at the places it filled,
    summed where it was broadcast.  Where an index array names an element twice,
    only the write NumPy keeps (the last) gets it.  A list's entry: zeros where
    it has none."""
    g = dy[index]
    if isinstance(dy, list):
        return _sg_zeros_like(value) if g is None else g
    return _sg_unbroadcast(g * _sg_last_writes(dy, index), value)


def _sg_last_writes(dy, index):
    """1 where a place of `dy[index]` is the write that an assignment `x[index] = ...`
    keeps, 0 where a later place of the same index overwrote it (a scalar 1.0 for
    an index that cannot name an element twice)."""
    parts = index if type(index) is tuple else (index,)
    if all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))
           for p in parts) or (len(parts) == 1 and np.asarray(parts[0]).dtype == bool):
        return 1.0
    places = np.shape(dy[index])
    order = np.arange(int(np.prod(places)), dtype=np.intp).reshape(places)
    kept = np.full(np.shape(dy), -1, dtype=np.intp)
    kept[index] = order         # the same assignment: the same write wins
    return kept[index] == order


def _sg_not_a_view(item, array):
    """`array[i]` that is read after `array` is assigned into: fine as a scalar copy;
    a view would show the new contents, which the gradient would not assume."""
    if isinstance(item, np.ndarray) and np.shares_memory(item, array):
        raise ValueError('this item of an array is a view, read after the array is '
                         'assigned into; copy it first (np.copy(...)) so that the '
                         'gradient sees what Python sees')
    return item


def _sg_is_view(*pairs):
    """Is each item (`x[i]` with integer i) a view of its array, not a scalar copy?
    (items and arrays alternate: item, array, item, array, ...)  An item of a list,
    tuple or dict is the container's own array, seen by every other read of it:
    writing into it is refused."""
    for array in pairs[1::2]:
        if isinstance(array, (list, tuple, dict)):
            raise TypeError(f'writing into an array read from a {type(array).__name__} '
                            f'(xs[0][1] = ...) cannot be transformed: other reads of the '
                            f'item would not see it; build a new {type(array).__name__}')
    return all(isinstance(item, np.ndarray) and np.may_share_memory(item, array)
               for item, array in zip(pairs[::2], pairs[1::2]))


def _sg_is_array(x):
    """Does `x += ...` change x in place (an array), or rebind it (a number)?"""
    return isinstance(x, np.ndarray)


def _sg_diagonal_index(shape, wrap=False):
    """The index of what np.fill_diagonal(a, ...) writes, for an array of `shape`."""
    size = int(np.prod(shape))
    if len(shape) == 2:
        step, end = shape[1] + 1, (None if wrap else shape[1] * shape[1])
    else:
        if len(set(shape)) != 1:
            raise ValueError('All dimensions of input must be of equal length')
        step, end = 1 + int(np.cumprod(shape[:-1]).sum()), None
    return np.unravel_index(np.arange(size)[:end:step], shape)


def _sg_flat_index(shape, ind):
    """The index of the flat positions `ind` (np.put's) in an array of `shape`."""
    size = int(np.prod(shape))
    ind = np.asarray(ind)
    if np.any(ind >= size) or np.any(ind < -size):
        raise IndexError(f'index out of range for an array of size {size}')
    return np.unravel_index(ind % size if size else ind, shape)


def _sg_cast_gradient(g, x, dtype):
    """The gradient of a cast of `x` to a dtype known only when the code runs
    (x.astype(y.dtype)): `g` back in x's type, zeros for an integer or bool dtype."""
    if np.issubdtype(dtype, np.inexact):
        return _sg_cast_like(g, x)
    return _sg_zeros_like(x)


def _sg_array_grad(g, obj):
    """The gradient of each item of `np.array(obj)` (obj: an array, or nested lists)."""
    if isinstance(obj, (list, tuple)):
        if type(g) is np.ndarray and g.ndim == 1 and \
                not any(isinstance(item, (list, tuple, np.ndarray)) for item in obj):
            return tuple(g)         # scalars: one entry each (a loop's elements)
        return tuple(_sg_array_grad(g[k], item) for k, item in enumerate(obj))
    if isinstance(obj, np.ndarray):
        return np.reshape(g, obj.shape)
    return g


def _sg_trace_grad(g, a, offset=0, axis1=0, axis2=1):
    """The gradient of np.trace: `g` along the traced diagonal, zeros elsewhere."""
    shape = np.shape(a)
    eye = np.eye(shape[axis1], shape[axis2], k=offset, dtype=np.result_type(g, a))
    return np.moveaxis(np.multiply.outer(g, eye), (-2, -1), (axis1, axis2))


def _sg_iterable(seq):
    """What `for item in seq` walks, for a value whose type is known only when the
    code runs: a dict's keys (as Python iterates a dict); a set is refused, its
    order being Python's choice; anything else as it is."""
    if isinstance(seq, dict):
        return list(seq)
    if isinstance(seq, (set, frozenset)):
        raise TypeError('iterating a set cannot be transformed: its order is not '
                        'defined; iterate a list or sorted(...) of it')
    return seq


def _sg_bound(value, name):
    """A loop variable read after its loop: unbound if the loop ran no iteration."""
    if value is None:
        raise UnboundLocalError(f'cannot access local variable {name!r} where it is not '
                                f'associated with a value (its for loop ran no iteration)')
    return value


def _sg_shape_of(x, _stand_ins={}):
    """A stand-in for `x` with its shape and dtype but no storage (zero strides).
    It is read-only, so one serves every value of its shape and dtype
    (`_stand_ins`, a cache that travels with this function's source)."""
    if isinstance(x, np.ndarray):
        key = (x.dtype, x.shape)
        stand_in = _stand_ins.get(key)
        if stand_in is None:
            if len(_stand_ins) >= 256:
                _stand_ins.clear()
            stand_in = _stand_ins[key] = np.broadcast_to(np.zeros((), dtype=x.dtype), x.shape)
        return stand_in
    return x            # a scalar is as small as its stand-in


def _sg_accumulate(a, b):
    """The sum of two gradients of a value that may be a list or tuple (entries None
    where an item has none): entry by entry, never `+` on the sequences, which
    would concatenate them."""
    if type(a) is np.ndarray and type(b) is np.ndarray:     # (the common case, fast)
        return a + b
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, (list, tuple)):
        from itertools import compress, repeat
        from operator import is_not
        n = min(len(a), len(b))
        out = _sg_GradList(a[:n])
        # b's entries without a gradient (a list appended to at each step: all but
        # one) are passed over at C speed
        for k in compress(range(n), map(is_not, b[:n], repeat(None))):
            out[k] = _sg_accumulate(out[k], b[k])
        return out
    if isinstance(a, dict) or isinstance(b, dict):
        # the other: the gradient of a dict's keys, walked by a loop (keys are
        # constants: nothing in it); anything else would be lost, so it is an error
        if not isinstance(b, dict):
            return a if _sg_no_gradient(b) else _sg_mixed(a, b)
        if not isinstance(a, dict):
            return b if _sg_no_gradient(a) else _sg_mixed(a, b)
        out = _sg_GradDict(a)
        for k, y in b.items():
            out[k] = _sg_accumulate(out.get(k), y)
        return out
    return a + b


def _sg_list_entries(g, items):
    """A list's gradient as one gradient per item (zeros where it has none)."""
    g = [None] * len(items) if g is None else g
    return tuple(_sg_zeros_like(item) if gi is None else gi for gi, item in zip(g, items))


def _sg_list_item(g, index, like):
    """The entry of a list's gradient for the item appended at `index`."""
    item = g[index]
    return _sg_zeros_like(like) if item is None else item


def _sg_list_fill(g, seq):
    """The gradient of each item of `seq` in `sum(seq)`: the gradient of the sum."""
    if isinstance(seq, (list, tuple)):
        return [g] * len(seq)
    return np.broadcast_to(g, np.shape(seq))


def _sg_matmul_lhs_grad(dy, a, b):
    """The gradient of `a @ b` w.r.t. `a`, for every rank matmul accepts."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 2 and b_nd == 2:
        return dy @ b.T
    if b_nd == 1:
        g = np.multiply.outer(dy, b) if a_nd > 1 else dy * b
    elif a_nd == 1:
        # a is shared by every matrix of b's stack: the products are summed over
        # the stack, so that g has a's shape (a batch of vectors would read as a
        # matrix in the gradient's own gradient)
        g = np.reshape(np.swapaxes(b, -1, -2), (-1, np.shape(b)[-2])).T @ np.reshape(dy, -1)
    else:
        g = dy @ np.swapaxes(b, -1, -2)
    return g


def _sg_matmul_rhs_grad(dy, a, b):
    """The gradient of `a @ b` w.r.t. `b`, for every rank matmul accepts."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 2 and b_nd == 2:
        return a.T @ dy
    if a_nd == 1:
        g = np.multiply.outer(a, dy) if b_nd > 1 else a * dy
        if b_nd > 2:
            g = np.moveaxis(g, 0, -2)
    elif b_nd == 1:
        # b is shared by every matrix of a's stack: the products are summed over
        # the stack, so that g has b's shape
        g = np.reshape(a, (-1, np.shape(a)[-1])).T @ np.reshape(dy, -1)
    else:
        g = np.swapaxes(a, -1, -2) @ dy
    return g


def _sg_split_like(g, arrays, axis=0):
    """Split gradient `g` of a concatenation back into one piece per input."""
    if axis is None:
        sizes = [np.size(a) for a in arrays]
        pieces = np.split(np.ravel(g), np.cumsum(sizes)[:-1])
        return tuple(p.reshape(np.shape(a)) for p, a in zip(pieces, arrays))
    if type(axis) is int and np.ndim(g) > 0:     # basic slices: views, no np.split
        lead = (slice(None),) * (axis % np.ndim(g))
        pieces, start = [], 0
        for k, a in enumerate(arrays):     # (the last piece, as np.split's: the rest)
            stop = start + np.shape(a)[axis] if k < len(arrays) - 1 else None
            pieces.append(g[lead + (slice(start, stop),)])
            start = stop
        return tuple(pieces)
    sizes = [np.shape(a)[axis] for a in arrays]
    return tuple(np.split(g, np.cumsum(sizes)[:-1], axis=axis))


def _sg_unstack(g, n, axis=0):
    """Split gradient `g` of a stack back into its `n` slices along `axis`."""
    return tuple(np.moveaxis(g, axis, 0)[:n])


# ---- elementwise, reductions and products


def _sg_contract_axes(a, b, axes):
    """The axes of `a` and of `b` that np.dot (axes='dot'), np.inner ('inner') or
    np.tensordot(a, b, axes) sums over, paired in order; None where np.dot or
    np.inner multiplies by a 0-d operand."""
    na, nb = np.ndim(a), np.ndim(b)
    if isinstance(axes, str):
        if na == 0 or nb == 0:
            return None
        if axes == 'dot':
            return [na - 1], [max(nb - 2, 0)]
        return [na - 1], [nb - 1]
    if isinstance(axes, (int, np.integer)):
        return list(range(na - axes, na)), list(range(axes))
    axes_a, axes_b = axes
    axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    return [i % na for i in axes_a], [i % nb for i in axes_b]


def _sg_tensordot_lhs_grad(dy, a, b, axes=2):
    """The gradient w.r.t. `a` of np.tensordot(a, b, axes), or of np.dot(a, b)
    (axes='dot') or np.inner(a, b) (axes='inner'), for operands of any rank."""
    pairs = _sg_contract_axes(a, b, axes)
    if pairs is None:                   # a product with a 0-d operand
        return np.sum(dy * b) if np.ndim(a) == 0 else dy * b
    axes_a, axes_b = pairs
    free_a = [i for i in range(np.ndim(a)) if i not in axes_a]
    free_b = [i for i in range(np.ndim(b)) if i not in axes_b]
    # dy's axes are a's free axes, then b's: contract b's with b
    g = np.tensordot(dy, b, axes=(list(range(len(free_a), len(free_a) + len(free_b))),
                                  free_b))
    # g's axes: a's free axes, then b's summed axes in b's order, paired with a's
    summed = [axes_a[axes_b.index(j)] for j in sorted(axes_b)]
    return np.transpose(g, np.argsort(free_a + summed))


def _sg_tensordot_rhs_grad(dy, a, b, axes=2):
    """The gradient w.r.t. `b` of np.tensordot(a, b, axes) (or np.dot, np.inner)."""
    pairs = _sg_contract_axes(a, b, axes)
    if pairs is None:
        return np.sum(a * dy) if np.ndim(b) == 0 else a * dy
    axes_a, axes_b = pairs
    free_a = [i for i in range(np.ndim(a)) if i not in axes_a]
    free_b = [i for i in range(np.ndim(b)) if i not in axes_b]
    g = np.tensordot(a, dy, axes=(free_a, list(range(len(free_a)))))
    # g's axes: a's summed axes in a's order, paired with b's, then b's free axes
    summed = [axes_b[axes_a.index(i)] for i in sorted(axes_a)]
    return np.transpose(g, np.argsort(summed + free_b))


def _sg_kron_blocks(dy, a, b):
    """dy of np.kron(a, b) as (a_0, b_0, a_1, b_1, ...), and a and b at the common rank."""
    nd = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (nd - np.ndim(a)) + np.shape(a)
    sb = (1,) * (nd - np.ndim(b)) + np.shape(b)
    blocks = np.reshape(dy, [n for pair in zip(sa, sb) for n in pair])
    return blocks, np.reshape(a, sa), np.reshape(b, sb), nd


def _sg_kron_lhs_grad(dy, a, b):
    """The gradient of np.kron(a, b) w.r.t. a: each block of dy against b."""
    blocks, _, b, nd = _sg_kron_blocks(dy, a, b)
    g = np.tensordot(blocks, b, axes=(list(range(1, 2 * nd, 2)), list(range(nd))))
    return np.reshape(g, np.shape(a))


def _sg_kron_rhs_grad(dy, a, b):
    """The gradient of np.kron(a, b) w.r.t. b: the blocks of dy weighted by a."""
    blocks, a, _, nd = _sg_kron_blocks(dy, a, b)
    g = np.tensordot(blocks, a, axes=(list(range(0, 2 * nd, 2)), list(range(nd))))
    return np.reshape(g, np.shape(b))


def _sg_cross_parts(dy, a, b, axisa, axisb, axisc):
    """a, b and dy of np.cross with their vectors last and of 3 components."""
    a = np.moveaxis(np.asarray(a), axisa, -1)
    b = np.moveaxis(np.asarray(b), axisb, -1)
    dtype = np.result_type(a, b, dy)

    def three(v):
        if v.shape[-1] == 3:
            return v
        return np.concatenate([v, np.zeros(v.shape[:-1] + (1,), dtype)], -1)
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        # the cross product of 2-vectors is the z component alone
        dy = np.asarray(dy)
        zeros = np.zeros(dy.shape + (2,), dtype)
        dy = np.concatenate([zeros, dy[..., None]], -1)
    else:
        dy = np.moveaxis(np.asarray(dy), axisc, -1)
    return three(a), three(b), dy


def _sg_cross_back(g, x, axis):
    """A cross product's gradient `g` (vectors last, 3 components) as x's gradient."""
    x = np.asarray(x)
    moved = np.moveaxis(x, axis, -1)
    g = _sg_sum_to(g[..., :moved.shape[-1]], moved.shape)
    return np.moveaxis(np.reshape(g, moved.shape), -1, axis)


def _sg_cross_lhs_grad(dy, a, b, axisa=-1, axisb=-1, axisc=-1):
    """The gradient of np.cross(a, b) w.r.t. a: b x dy, in a's shape."""
    a3, b3, dy3 = _sg_cross_parts(dy, a, b, axisa, axisb, axisc)
    return _sg_cross_back(np.cross(b3, dy3), a, axisa)


def _sg_cross_rhs_grad(dy, a, b, axisa=-1, axisb=-1, axisc=-1):
    """The gradient of np.cross(a, b) w.r.t. b: dy x a, in b's shape."""
    a3, b3, dy3 = _sg_cross_parts(dy, a, b, axisa, axisb, axisc)
    return _sg_cross_back(np.cross(dy3, a3), b, axisb)


def _sg_einsum_mask(x, subscripts):
    """Ones of x's shape, zero off the diagonals that the labels repeated in
    `subscripts` (one operand's, e.g. 'ii' or '...jj') select; x's dtype."""
    shape = np.shape(x)
    dtype = np.result_type(x) if np.issubdtype(np.result_type(x), np.inexact) else np.float64
    labels = []
    for part in subscripts.split('...'):
        labels.append(list(part))
    if len(labels) == 2:
        labels = labels[0] + [None] * (len(shape) - len(labels[0]) - len(labels[1])) + labels[1]
    else:
        labels = labels[0]
    mask = np.broadcast_to(np.ones((), dtype), shape)
    for label in set(l for l in labels if l is not None):
        where = [i for i, l in enumerate(labels) if l == label]
        for other in where[1:]:
            size = shape[where[0]]
            eq = np.eye(size, dtype=dtype)
            view = [1] * len(shape)
            view[where[0]] = view[other] = size
            mask = mask * np.reshape(eq, view)
    return mask


def _sg_diff_adjoint(g, n=1, axis=-1):
    """The adjoint of np.diff(x, n, axis): x's gradient from the gradient g of the differences."""
    g = np.asarray(g)
    zero = np.zeros((), g.dtype)
    for _ in range(n):
        g = -np.diff(g, axis=axis, prepend=zero, append=zero)
    return g


def _sg_diff_pad(a, value, axis=-1):
    """A stand-in with the shape np.diff gives `value` prepended or appended to `a`."""
    value = np.asarray(value)
    if value.ndim == 0:
        shape = list(np.shape(a))
        shape[axis] = 1
        return np.broadcast_to(value, shape)
    return value


def _sg_gradient_axes(f, axis):
    """The axes np.gradient differentiates along, in its order (non-negative)."""
    nd = np.ndim(f)
    if axis is None:
        return list(range(nd))
    if isinstance(axis, (int, np.integer)):
        return [axis % nd]
    return [a % nd for a in axis]


def _sg_gradient_spacing(spacings, k, count):
    """The spacing np.gradient uses along its k-th axis (of `count`)."""
    if len(spacings) == 0:
        return 1.0
    if len(spacings) == 1 and (count > 1 or np.ndim(spacings[0]) == 0):
        return spacings[0]
    return spacings[k]


def _sg_gradient_adjoint(dy, f, spacings=(), axis=None, edge_order=1):
    """The adjoint of np.gradient(f, *spacings, axis=axis, edge_order=edge_order).

    Along each axis np.gradient is a banded linear map whose rows have their
    nonzeros among three neighbouring columns: np.gradient itself, applied to the
    three combs [j % 3 == r], gives every coefficient exactly; the adjoint adds
    each row's coefficients times dy into its columns.
    """
    axes = _sg_gradient_axes(f, axis)
    parts = dy if len(axes) > 1 else [dy]
    f = np.asarray(f)
    dtype = np.result_type(f, *[np.asarray(p) for p in parts if p is not None])
    if not np.issubdtype(dtype, np.inexact):
        dtype = np.float64
    total = np.zeros(f.shape, dtype)
    for k, ax in enumerate(axes):
        part = parts[k]
        if part is None:
            continue
        n = f.shape[ax]
        h = _sg_gradient_spacing(spacings, k, len(axes))
        j = np.arange(n)
        rows = np.moveaxis(np.broadcast_to(np.asarray(part, dtype), f.shape), ax, 0)
        g = np.zeros(rows.shape, dtype)
        start = np.clip(j - 1, 0, max(n - 3, 0))
        for r in range(3):
            comb = (j % 3 == r).astype(dtype)
            coef = np.gradient(comb, h, edge_order=edge_order)
            cols = start + (r - start) % 3
            ok = cols < n
            np.add.at(g, cols[ok], coef[ok].reshape((-1,) + (1,) * (g.ndim - 1)) * rows[ok])
        total = total + np.moveaxis(g, 0, ax)
    return total


def _sg_scalar_spacing(h):
    """A spacing of np.gradient whose second derivative is asked for: a scalar."""
    if np.ndim(h) != 0:
        raise NotImplementedError('np.gradient: no second derivatives with respect to '
                                  'coordinate arrays (first derivatives, and those of '
                                  'scalar spacings and of f to any order, are supported)')
    return h


def _sg_spacing_grad(dy, y, h, f, k, n, axis=None, edge_order=1):
    """The gradient of y = np.gradient(f, *spacings) w.r.t. its k-th (of n) spacing h.

    A scalar h divides the results it serves: -sum(dy * y) / h.  For coordinates
    h, each result along the axis depends on three neighbouring coordinates (as on
    three neighbouring values of f): complex steps along the three combs
    [j % 3 == r] of h give every partial derivative exactly.
    """
    parts = None if n == 1 else (k,)
    if np.ndim(h) == 0:
        return -_sg_inner_parts(dy, y, parts) / h
    axes = _sg_gradient_axes(f, axis)
    part = dy if len(axes) == 1 else dy[0 if n == 1 else k]
    ax = axes[0 if n == 1 else k]
    h = np.asarray(h)
    grad = np.zeros(h.shape, np.result_type(h, f, 0.0))
    if part is None:
        return grad
    m = h.shape[0]
    j = np.arange(m)
    start = np.clip(j - 1, 0, max(m - 3, 0))
    step = 1e-20 * max(float(np.max(np.abs(h))), 1e-280)
    fc = np.asarray(f).astype(np.complex128)
    d = np.moveaxis(np.broadcast_to(part, np.shape(f)), ax, -1).reshape(-1, m)
    for r in range(3):
        comb = (j % 3 == r)
        rows = np.gradient(fc, h + 1j * step * comb, axis=ax, edge_order=edge_order)
        rows = np.moveaxis(rows.imag / step, ax, -1).reshape(-1, m)
        cols = start + (r - start) % 3
        ok = cols < m
        np.add.at(grad, cols[ok], np.sum(d * rows, axis=0)[ok])
    return grad


def _sg_inner_parts(a, b, parts=None):
    """sum(a * b) of two arrays, or over the items `parts` (all: None) of two
    sequences of arrays of one shape, as np.gradient returns (None items: zeros)."""
    if parts is None:
        if not isinstance(a, (tuple, list)) and not isinstance(b, (tuple, list)):
            return np.sum(a * b)
        parts = range(len(b))
    total = 0.0
    for i in parts:
        if a[i] is not None and b[i] is not None:
            total = total + np.sum(a[i] * b[i])
    return total


def _sg_scale_parts(a, s, parts=None):
    """a * s for an array; for a sequence of arrays of one shape (np.gradient's
    results), their stack with the items `parts` (all: None) times s, zeros elsewhere."""
    if not isinstance(a, (tuple, list)):
        if parts is None:
            return a * s
        return np.stack([a[i] * s if i in parts else np.zeros_like(a[i] * s)
                         for i in range(len(a))])
    like = next((x for x in a if x is not None), None)
    if like is None:
        return a
    return np.stack([x * s if x is not None and (parts is None or i in parts)
                     else np.zeros_like(like * s) for i, x in enumerate(a)])


def _sg_kind_of(arg, depth=0):
    """What a specialisation is made for, written as a literal: an array's shape and
    dtype, a container's or object's type with its items' (keys, attribute names:
    a specialisation knows the shapes of their leaves), or another argument's type."""
    if isinstance(arg, np.ndarray):
        return arg.shape, str(arg.dtype)
    name = type(arg).__name__
    if depth > 6:
        return name
    if isinstance(arg, (list, tuple)):
        return name, tuple(_sg_kind_of(item, depth + 1) for item in arg)
    if type(arg) is dict and all(type(k) in (str, int, bool, type(None)) for k in arg):
        return name, tuple((k, _sg_kind_of(v, depth + 1)) for k, v in arg.items())
    if _sg_is_object(arg) and type(getattr(arg, '__dict__', None)) is dict:
        return name, tuple((k, _sg_kind_of(v, depth + 1)) for k, v in vars(arg).items())
    return name


def _sg_expect_signature(args, signature, name):
    """An exported specialisation runs only for the shapes and dtypes it was made for."""
    for i, (arg, want) in enumerate(zip(args, signature)):
        got = _sg_kind_of(arg)
        if got != want:
            raise ValueError(f'{name} was exported for arguments of shapes and dtypes '
                             f'{signature}; argument {i} is {got} (export it again for '
                             f'these, or without like= for any)')
