"""Runtime helpers for the shape, construction and indexing rules.

Each needs only `np` and other `_sg_` helpers.  Most are the adjoint of a
linear NumPy function (the gradient of a gather is a scatter that adds up
repeats); each has its own rule, the NumPy function again, so that gradients
of gradients work.
"""
import numpy as np

from .helpers import _sg_unbroadcast  # noqa: F401  (used by _sg_select_parts)


def _sg_rollaxis_back(g, axis, start=0):
    """Undo `np.rollaxis(a, axis, start)` on `g` (the result's shape)."""
    n = np.ndim(g)
    axis = axis + n if axis < 0 else axis
    start = start + n if start < 0 else start
    if axis < start:
        start -= 1
    return np.moveaxis(g, start, axis)


def _sg_repeat_sum(g, a, repeats, axis=None):
    """The gradient of `np.repeat(a, repeats, axis)`: each element's copies summed."""
    shape = np.shape(a)
    if axis is None:
        g = np.reshape(g, -1)
        n = int(np.prod(shape))
    else:
        g = np.moveaxis(g, axis, 0)
        n = shape[axis]
    if np.ndim(repeats) == 0 or np.size(repeats) == 1:
        r = int(np.reshape(repeats, -1)[0])
        out = np.sum(np.reshape(g, (n, r) + np.shape(g)[1:]), axis=1)
    else:
        out = np.zeros((n,) + np.shape(g)[1:], dtype=np.result_type(g, a))
        np.add.at(out, np.repeat(np.arange(n), repeats), g)
    if axis is None:
        return np.reshape(out, shape)
    return np.moveaxis(out, 0, axis)


def _sg_tile_sum(g, a, reps):
    """The gradient of `np.tile(a, reps)`: the tiles summed, in the shape of `a`."""
    shape = np.shape(a)
    reps = tuple(np.reshape(reps, -1))
    d = max(len(shape), len(reps))
    full = (1,) * (d - len(shape)) + tuple(shape)
    reps = (1,) * (d - len(reps)) + reps
    # y[i_0 * n_0 + j_0, ...]: one axis of tiles (i) and one within a tile (j) per axis
    interleaved = np.reshape(g, [k for pair in zip(reps, full) for k in pair])
    return np.reshape(np.sum(interleaved, axis=tuple(range(0, 2 * d, 2))), shape)


def _sg_diag_adjoint(g, v, k=0):
    """The gradient of `np.diag(v, k)`: the k-th diagonal of `g` for a vector `v`;
    for a matrix `v`, zeros of its shape with `g` on the k-th diagonal."""
    if np.ndim(v) == 1:
        return np.diag(g, k)
    out = np.zeros(np.shape(v), dtype=np.result_type(g, v))
    n = np.size(g)
    rows = np.arange(n) + max(-k, 0)
    out[rows, rows + k] = g
    return out


def _sg_diagonal_adjoint(g, a, offset=0, axis1=0, axis2=1):
    """The gradient of `np.diagonal(a, offset, axis1, axis2)`: zeros of `a`'s shape
    with `g` (diagonals along its last axis) put back on them."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, a))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))     # writes go to `out`
    n = np.shape(g)[-1]
    rows = np.arange(n) + max(-offset, 0)
    view[..., rows, rows + offset] = g
    return out


def _sg_unpad(g, a, pad_width, mode='constant'):
    """The gradient of `np.pad(a, pad_width, mode)` w.r.t. `a`.

    mode 'constant' (or 'empty'): the interior of `g`.  'edge', 'reflect',
    'symmetric', 'wrap': the padding repeats elements of `a`, axis by axis,
    so each element gets its own gradient and that of its copies.
    """
    shape = np.shape(a)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.intp), (len(shape), 2))
    if mode in ('constant', 'empty'):
        inside = tuple(slice(int(b), int(b) + n) for (b, _), n in zip(widths, shape))
        return g[inside]
    if mode not in ('edge', 'reflect', 'symmetric', 'wrap'):
        raise NotImplementedError(f'no gradient for np.pad with mode={mode!r}: it has one for '
                                  f'the modes constant, empty, edge, reflect, symmetric, wrap')
    for axis, ((before, after), n) in enumerate(zip(widths, shape)):
        # which element of `a` along this axis each padded position copies
        source = np.pad(np.arange(n), (int(before), int(after)), mode=mode)
        moved = np.moveaxis(g, axis, 0)
        out = np.zeros((n,) + moved.shape[1:], dtype=np.result_type(g, a))
        np.add.at(out, source, moved)
        g = np.moveaxis(out, 0, axis)
    return g


def _sg_split_stacked(g, arrays, how):
    """Split the gradient of `np.vstack` / `hstack` / `column_stack` / `dstack`
    (`how`) of `arrays` back into one piece per array, each in its shape."""
    shapes = [np.shape(a) for a in arrays]
    if how == 'vstack':
        axis, sizes = 0, [s[0] if len(s) >= 2 else 1 for s in shapes]
    elif how == 'dstack':
        axis, sizes = 2, [s[2] if len(s) >= 3 else 1 for s in shapes]
    elif how == 'column_stack':
        axis, sizes = 1, [s[1] if len(s) >= 2 else 1 for s in shapes]
    else:       # hstack: along the first axis of vectors, the second otherwise
        axis = 0 if len(shapes[0]) <= 1 else 1
        sizes = [s[axis] if len(s) > axis else 1 for s in shapes]
    pieces = np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    return tuple(np.reshape(p, s) for p, s in zip(pieces, shapes))


def _sg_select_parts(g, condlist, choicelist):
    """Each choice's gradient in `np.select(condlist, choicelist)`: `g` where it was
    the one chosen (its condition the first that holds), summed to its shape."""
    taken = np.zeros(np.shape(g), dtype=bool)
    parts = []
    for cond, choice in zip(condlist, choicelist):
        chosen = np.logical_and(cond, np.logical_not(taken))
        taken = np.logical_or(taken, chosen)
        part = np.where(chosen, g, np.zeros((), dtype=np.result_type(g)))
        parts.append(_sg_unbroadcast(part, choice))
    return tuple(parts)


def _sg_untake_along_axis(g, indices, axis, x):
    """Zeros like `x`, with `g` added where `np.take_along_axis(x, indices, axis)`
    read it (repeated indices accumulate)."""
    out = np.zeros(np.shape(x), dtype=np.result_type(g, x))
    if axis is None:
        flat = np.reshape(out, -1)          # a view: writes go to `out`
        np.add.at(flat, indices, g)
        return out
    axis = axis + out.ndim if axis < 0 else axis
    index = list(np.ix_(*[np.arange(n) for n in np.shape(indices)]))
    index[axis] = indices
    np.add.at(out, tuple(index), g)
    return out


def _sg_untake(g, a, indices, axis=None, mode='raise'):
    """Zeros like `a`, with `g` added where `np.take(a, indices, axis, mode=mode)` read
    it (repeated indices accumulate; mode 'wrap' and 'clip' map indices as take does)."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, a))
    indices = np.asarray(indices)
    if axis is None:
        target = np.reshape(out, -1)        # views: writes go to `out`
    else:
        axis = axis + out.ndim if axis < 0 else axis
        target = np.moveaxis(out, axis, 0)
        g = np.moveaxis(g, tuple(range(axis, axis + indices.ndim)),
                        tuple(range(indices.ndim)))
    n = target.shape[0]
    if mode == 'clip':
        indices = np.clip(indices, 0, n - 1)
    elif mode == 'wrap':
        indices = np.mod(indices, n)
    np.add.at(target, indices, g)
    return out


def _sg_sorted_places(a, y, axis=-1):
    """Indices `p` with `np.take_along_axis(a, p, axis) == y`, for `y` a reordering
    of `a` along `axis` (np.partition's result): equal values matched in order."""
    if axis is None:
        a, y, axis = np.reshape(a, -1), np.reshape(y, -1), 0
    from_a = np.argsort(a, axis=axis, kind='stable')
    to_y = np.argsort(y, axis=axis, kind='stable')
    places = np.empty_like(from_a)
    np.put_along_axis(places, to_y, from_a, axis=axis)
    return places


def _sg_linspace_fraction(samples, num, endpoint=True, axis=0):
    """How far along from start to stop each of `np.linspace`'s samples lies
    (0 at start, 1 at stop), shaped to broadcast against the samples."""
    div = (num - 1 if endpoint else num) or 1
    fraction = np.arange(num, dtype=np.result_type(samples, np.float32)) / div
    shape = [1] * np.ndim(samples)
    shape[axis] = num
    return np.reshape(fraction, shape)



def _sg_none_hold(condlist, like):
    """Where no condition of np.select holds (broadcast to the result's shape)."""
    held = np.zeros(np.shape(like), dtype=bool)
    for cond in condlist:
        held = held | cond
    return ~held
