"""Runtime helpers for the gradients of products along an axis (np.prod and what
multiplies like it): each element's product of the others, exact where
elements are zero (each needs only np and other _sg_ helpers)."""
import numpy as np


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


def _sg_prod_terms(x, vs, axis=None):
    """For each element x_k along `axis`: the sum, over distinct positions i_1, ..., i_m
    (all other than k), of vs[0][i_1] * ... * vs[m-1][i_m] times the product of the
    x_j at the remaining positions -- the m-th derivative of the product of the
    others, in the directions vs.  No division: exact where x has zeros.

    Computed as the exclusive products, from both sides, of x_j + sum_l t_l vs[l][j]
    in the algebra where every t_l squares to 0 (coefficients indexed by subsets of
    the t_l), by doubling scans along the axis.
    """
    x = np.asarray(x)
    vs = [np.broadcast_to(np.asarray(v), x.shape) for v in vs]
    dtype = np.result_type(x, *vs)
    if not np.issubdtype(dtype, np.inexact):
        dtype = np.float64
    if axis is None:
        flat = _sg_prod_terms(x.reshape(-1), [v.reshape(-1) for v in vs], 0)
        return flat.reshape(x.shape)
    axes = [a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,))]
    rest = [a for a in range(x.ndim) if a not in axes]
    order = rest + axes
    lead = tuple(x.shape[a] for a in rest)
    n = int(np.prod([x.shape[a] for a in axes]))

    def along(a):
        return np.transpose(a, order).reshape(lead + (n,)).astype(dtype, copy=False)

    m = len(vs)
    size = 1 << m
    zero = np.zeros(lead + (n,), dtype)
    e = [along(x)] + [zero] * (size - 1)
    for l, v in enumerate(vs):
        e[1 << l] = along(v)

    def times(a, b):
        out = []
        for u in range(size):
            acc, t = a[0] * b[u], u
            while t:
                acc = acc + a[t] * b[u ^ t]
                t = (t - 1) & u
            out.append(acc)
        return out

    def exclusive(parts):
        # inclusive products by doubling, then shifted by one (the identity first)
        step = 1
        while step < n:
            shifted = [np.concatenate([np.zeros(lead + (step,), dtype) if u else
                                       np.ones(lead + (step,), dtype), p[..., :-step]], -1)
                       for u, p in enumerate(parts)]
            parts = times(parts, shifted)
            step *= 2
        return [np.concatenate([(np.zeros if u else np.ones)(lead + (1,), dtype),
                                p[..., :-1]], -1) for u, p in enumerate(parts)]

    left = exclusive(e)
    right = [p[..., ::-1] for p in exclusive([p[..., ::-1] for p in e])]
    full = size - 1
    total = sum(left[t] * right[full ^ t] for t in range(size))
    moved = total.reshape(tuple(x.shape[a] for a in order))
    return np.transpose(moved, np.argsort(order))


def _sg_prod_others_1(x, v, axis=None):
    """sum over i != k of v_i times the product of the x_j, j not in {i, k} (exact at zeros)."""
    return _sg_prod_terms(x, [v], axis)


def _sg_prod_others_2(x, u, v, axis=None):
    """The same over pairs of distinct positions, weighted by u and v (exact at zeros)."""
    return _sg_prod_terms(x, [u, v], axis)


def _sg_prod_others_3(x, u, v, w, axis=None):
    """The same over triples of distinct positions (exact at zeros)."""
    return _sg_prod_terms(x, [u, v, w], axis)
