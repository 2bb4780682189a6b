"""Runtime helpers for order statistics, weighted averages, interpolation and
polynomials (each needs only np and other _sg_ helpers)."""
import numpy as np


def _sg_reduced_axes(ndim, axis):
    """The axes a reduction over `axis` (None, an int or a tuple) removes, as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axes))


def _sg_order_weights(a, q, axis, method, skip_nan=False):
    """W[q..., a...]: the weight each element of `a` has in the quantile q (a fraction
    in [0, 1]) along `axis`, so that np.quantile(a, q, axis, method=method) is the
    sum of W * a over the reduced axes (np.nanquantile's with `skip_nan`: NaNs left
    out).  Elements tied with the order statistic that a position stands for share
    its weight equally."""
    a = np.asarray(a)
    q = np.asarray(q, dtype=np.float64)
    axes = _sg_reduced_axes(a.ndim, axis)
    rest = tuple(d for d in range(a.ndim) if d not in axes)
    moved = np.transpose(a, rest + axes)
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))         # rest..., n
    ordered = np.sort(flat, axis=-1)                                # NaNs last
    n = np.sum(~np.isnan(flat), axis=-1) if skip_nan else flat.shape[-1]
    index = q.reshape(q.shape + (1,) * len(rest)) * (n - 1)         # q..., rest...
    low = np.floor(index)
    if method == 'linear':
        t = index - low
    elif method == 'lower':
        t = np.zeros_like(index)
    elif method == 'higher':
        t = (index > low).astype(np.float64)
    elif method == 'midpoint':
        t = np.where(index > low, 0.5, 0.0)
    elif method == 'nearest':
        low = np.around(index)              # NumPy's: half to even
        t = np.zeros_like(index)
    else:
        raise ValueError(f'quantile method {method!r} has no gradient')
    low = np.maximum(low, 0).astype(np.intp)    # (a slice of NaNs only: NaN below)
    high = np.minimum(low + 1, np.maximum(n - 1, 0))
    stretched = np.broadcast_to(ordered, q.shape + ordered.shape)
    weights = 0.0
    for place, share in ((low, 1.0 - t), (high, t)):
        place = np.broadcast_to(place, q.shape + flat.shape[:-1])
        stat = np.take_along_axis(stretched, place[..., None], axis=-1)
        tied = flat == stat
        weights = weights + share[..., None] * tied / np.sum(tied, axis=-1, keepdims=True)
    weights = np.asarray(weights, dtype=np.result_type(a, np.float32))
    weights = weights.reshape(q.shape + moved.shape)
    back = np.argsort(rest + axes)
    return np.transpose(weights, tuple(range(q.ndim)) + tuple(q.ndim + b for b in back))


def _sg_order_statistics_adjoint(g, a, q, axis, keepdims, method, skip_nan=False):
    """The gradient of np.quantile(a, q, axis, keepdims=keepdims, method=method)
    (np.nanquantile's with `skip_nan`) w.r.t. `a`, for the upstream gradient `g`
    (linear in g)."""
    weights = _sg_order_weights(a, q, axis, method, skip_nan)
    qdim = np.ndim(q)
    reduced = tuple(qdim + d for d in _sg_reduced_axes(np.ndim(a), axis))
    expected = np.sum(weights, axis=reduced, keepdims=keepdims).shape
    if np.shape(g) != expected:
        # (np.nanquantile lays out a 2-d q over a tuple of axes otherwise)
        raise ValueError(f'no gradient for this quantile: its result has shape '
                         f'{np.shape(g)}, where np.quantile gives {expected}')
    if not keepdims:
        g = np.expand_dims(g, reduced)
    return np.sum(weights * g, axis=tuple(range(qdim))).astype(
        np.result_type(g, a), copy=False)


def _sg_order_statistics_apply(v, a, q, axis, keepdims, method, skip_nan=False):
    """The transpose of _sg_order_statistics_adjoint: the quantile's weights applied
    to `v` (shaped like `a`)."""
    weights = _sg_order_weights(a, q, axis, method, skip_nan)
    qdim = np.ndim(q)
    reduced = tuple(qdim + d for d in _sg_reduced_axes(np.ndim(a), axis))
    return np.sum(weights * v, axis=reduced, keepdims=keepdims)


def _sg_average_weights(weights, a, axis):
    """np.average's weights shaped to broadcast against `a`: as given when they have
    a's shape, else a 1-D array laid along `axis` (NumPy's two forms)."""
    w = np.asarray(weights)
    if w.shape == np.shape(a) or axis is None:
        return w
    shape = [1] * np.ndim(a)
    shape[axis] = w.size
    return w.reshape(shape)


def _sg_interp_segments(x, xp):
    """For each x, the segment of the knots xp it falls in: the index i of its left
    knot (0 to len(xp) - 2; a knot itself starts the segment to its right), and
    whether x is below xp[0] and above xp[-1]."""
    x, xp = np.asarray(x), np.asarray(xp)
    i = np.clip(np.searchsorted(xp, x, side='right') - 1, 0, len(xp) - 2)
    return i, x < xp[0], x > xp[-1]


def _sg_powers(x, n):
    """x[..., None] ** (n-1, ..., 1, 0): the powers np.polyval multiplies the
    coefficients with (0 ** 0 == 1)."""
    exponents = np.arange(n - 1, -1, -1)
    return np.power(np.expand_dims(x, -1), exponents)
