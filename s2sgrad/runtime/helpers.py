"""The runtime helpers of generated code.  Each needs only `np` and other `_sg_` helpers.

Their names carry the reserved prefix `_sg_` so they never meet a user's name.
"""
import numpy as np


def _sg_unbroadcast(g, x):
    """Sum gradient `g` down to the shape of `x` (undo NumPy broadcasting)."""
    if isinstance(x, (list, tuple)):
        return g                # a list's gradient is a list, one entry per item
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    return _sg_sum_to(g, shape)


def _sg_ones_like(y):
    """The default initial gradient of `y`: ones of its shape and dtype."""
    if isinstance(y, float):
        return 1.0
    return np.ones_like(y)


def _sg_zeros_like(x):
    if isinstance(x, float):
        return 0.0
    if isinstance(x, (list, tuple)):
        return [_sg_zeros_like(item) for item in x]
    return np.zeros_like(x)


def _sg_cast_like(g, x):
    """Give gradient `g` the type, dtype and shape of its argument `x`.

    `None` (no path from x to the output) becomes zeros; a read-only view
    (from broadcasting) becomes a fresh array the caller may modify.
    """
    if g is None:
        return _sg_zeros_like(x)
    if isinstance(x, (list, tuple)):
        return [_sg_cast_like(gi, xi) for gi, xi in zip(g, x)]
    if type(x) is float:
        return float(g)
    if isinstance(x, np.ndarray):
        if not isinstance(g, np.ndarray) or g.shape != x.shape or g.dtype != x.dtype \
                or not g.flags.writeable:
            g = np.array(np.broadcast_to(g, x.shape), dtype=x.dtype)
        return g
    if isinstance(x, np.generic):
        return x.dtype.type(g)
    return g


def _sg_gradient_of(g, x, zero=False):
    """What `gradients` returns for `x`: `g` with x's dtype and shape.

    Integer and boolean values are constants (as in tf.gradients): None, or
    zeros when unconnected gradients are asked as zeros.
    """
    if not np.issubdtype(np.result_type(x), np.inexact):
        return _sg_zeros_like(x) if zero else None
    return _sg_cast_like(g, x)


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
    if isinstance(x, list):
        out = [None] * len(x)       # the gradient of a list: an entry per item
        out[index] = g
        return out
    out = np.zeros(np.shape(x), dtype=np.result_type(g, x))
    parts = index if type(index) is tuple else (index,)
    if all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))
           for p in parts) or (len(parts) == 1 and np.asarray(parts[0]).dtype == bool):
        out[index] = g          # basic indexing or one mask: no element is hit twice
    else:
        np.add.at(out, index, g)
    return out


def _sg_zero_at(g, index):
    """A copy of gradient `g` with zeros at `g[index]` (what an assignment overwrote)."""
    g = np.array(g)
    g[index] = 0
    return g


def _sg_not_a_view(item, array):
    """`array[i]` that is read after `array` is assigned into: fine as a scalar copy;
    a view would show the new contents, which the gradient would not assume."""
    if isinstance(item, np.ndarray) and np.shares_memory(item, array):
        raise ValueError('this item of an array is a view, read after the array is '
                         'assigned into; copy it first (np.copy(...)) so that the '
                         'gradient sees what Python sees')
    return item


def _sg_array_grad(g, obj):
    """The gradient of each item of `np.array(obj)` (obj: an array, or nested lists)."""
    if isinstance(obj, (list, tuple)):
        return tuple(_sg_array_grad(g[k], item) for k, item in enumerate(obj))
    if isinstance(obj, np.ndarray):
        return np.reshape(g, obj.shape)
    return g


def _sg_trace_grad(g, a, offset=0, axis1=0, axis2=1):
    """The gradient of np.trace: `g` along the traced diagonal, zeros elsewhere."""
    shape = np.shape(a)
    eye = np.eye(shape[axis1], shape[axis2], k=offset, dtype=np.result_type(g, a))
    return np.moveaxis(np.multiply.outer(g, eye), (-2, -1), (axis1, axis2))


def _sg_items(d):
    """A run-time dict's items, as a list (a dict argument, read-only)."""
    return list(d.items())


def _sg_keys(d):
    return list(d.keys())


def _sg_values(d):
    return list(d.values())


def _sg_get(d, key, default=None):
    return d.get(key, default)


def _sg_shape_of(x):
    """A stand-in for `x` with its shape and dtype but no storage (zero strides)."""
    if isinstance(x, np.ndarray):
        return np.broadcast_to(np.zeros((), dtype=x.dtype), x.shape)
    return x            # a scalar is as small as its stand-in


def _sg_accumulate(a, b):
    """The sum of two gradients of a list (entries None where an item has none)."""
    if isinstance(a, (list, tuple)):
        return [y if x is None else x if y is None else _sg_accumulate(x, y)
                for x, y in zip(a, b)]
    return a + b


def _sg_list_entries(g, items):
    """A list's gradient as one gradient per item (zeros where it has none)."""
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


def _sg_prod_others(x, axis=None):
    """For each element, the product of the other elements along `axis`.

    Exclusive products from both sides, so zeros in `x` give exact results
    where dividing the product by each element would give 0/0.
    """
    x = np.asarray(x)
    if axis is None:
        return _sg_prod_others(x.reshape(-1), 0).reshape(x.shape)
    if isinstance(axis, tuple):
        axes = [a % x.ndim for a in axis]
        rest = [a for a in range(x.ndim) if a not in axes]
        moved = np.transpose(x, rest + axes)
        flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
        others = _sg_prod_others(flat, -1).reshape(moved.shape)
        return np.transpose(others, np.argsort(rest + axes))
    moved = np.moveaxis(x, axis, -1)
    ones = np.ones(moved.shape[:-1] + (1,), dtype=x.dtype)
    left = np.cumprod(np.concatenate([ones, moved[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, moved[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.moveaxis(left * right, -1, axis)


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


def _sg_dot_lhs_grad(dy, a, b):
    """The gradient of `np.dot(a, b)` w.r.t. `a`, where np.dot is a matmul."""
    _sg_check_dot_ranks(a, b)
    return _sg_matmul_lhs_grad(dy, a, b)


def _sg_dot_rhs_grad(dy, a, b):
    """The gradient of `np.dot(a, b)` w.r.t. `b`, where np.dot is a matmul."""
    _sg_check_dot_ranks(a, b)
    return _sg_matmul_rhs_grad(dy, a, b)


def _sg_check_dot_ranks(a, b):
    """np.dot is a matmul unless an operand is 0-d (a product) or b has rank > 2."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 0 or b_nd == 0 or b_nd > 2:
        raise NotImplementedError(
            f'no gradient for np.dot of arrays of ranks {a_nd} and {b_nd}: it has one when '
            f'neither is 0-d and the second has rank 1 or 2 (write * for a 0-d operand, '
            f'np.matmul or np.tensordot for stacks of matrices)')


def _sg_split_like(g, arrays, axis=0):
    """Split gradient `g` of a concatenation back into one piece per input."""
    if axis is None:
        sizes = [np.size(a) for a in arrays]
        pieces = np.split(np.ravel(g), np.cumsum(sizes)[:-1])
        return tuple(p.reshape(np.shape(a)) for p, a in zip(pieces, arrays))
    sizes = [np.shape(a)[axis] for a in arrays]
    return tuple(np.split(g, np.cumsum(sizes)[:-1], axis=axis))


def _sg_unstack(g, n, axis=0):
    """Split gradient `g` of a stack back into its `n` slices along `axis`."""
    return tuple(np.moveaxis(g, axis, 0)[:n])

