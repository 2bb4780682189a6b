"""Runtime helpers for the linalg rules (each needs only np and other _sg_ helpers)."""
import numpy as np

from .products import _sg_prod_others


def _sg_cofactor(a):
    """The cofactor matrix det(a) * inv(a).T of each matrix of `a`: the gradient of det.

    Taken from the SVD a = U diag(s) Vt as det(U) det(Vt) U diag(p) Vt, where
    p_i is the product of the singular values other than s_i, so that it is
    exact and finite for singular matrices too (where inv(a) does not exist).
    """
    u, s, vt = np.linalg.svd(a)
    sign = np.linalg.det(u) * np.linalg.det(vt)
    others = _sg_prod_others(s, -1) * sign[..., None]
    return (u * others[..., None, :]) @ vt


def _sg_column_shape(v, b):
    """The shape of `v` read as columns of matrices: a trailing 1 when the
    right-hand side `b` of np.linalg.solve is a vector (1-D, as NumPy 2 reads it)."""
    if np.ndim(b) == 1:
        return np.shape(v) + (1,)
    return np.shape(v)


def _sg_matrix_shape(x):
    """The shape of `x` as a matrix: a vector becomes one column (n, 1), a
    matrix keeps its shape (np.linalg.norm without axis, where the rank of x
    says whether a vector or a matrix norm is meant)."""
    if np.ndim(x) == 1:
        return (np.shape(x)[0], 1)
    return np.shape(x)


def _sg_axes_last(x, axes):
    """`x` with the two `axes` (rows, columns) moved to the end, in that order."""
    return np.moveaxis(x, axes, (-2, -1))


def _sg_axes_back(x, axes):
    """The inverse of _sg_axes_last: the last two axes moved back to `axes`."""
    return np.moveaxis(x, (-2, -1), axes)


def _sg_full_rank(m, rank, a, function):
    """`m` unchanged, after checking that the matrix `a` has full rank (its computed
    `rank` is min(rows, columns)): the gradients of `function` hold only there."""
    full = min(np.shape(a)[-2:])
    if np.any(np.asarray(rank) < full):
        raise ValueError(f'the gradient of {function} is computed for a matrix of full '
                         f'rank only (here rank {rank} < {full})')
    return m


def _sg_resize_or_zero(v, n):
    """`v` when it has `n` elements, else `n` zeros (np.linalg.lstsq's residuals are
    empty where there are none)."""
    if np.size(v) == n:
        return v
    return np.zeros(n, dtype=np.result_type(v, np.float32))


def _sg_times_solution(m, x, b):
    """m @ x for x = solve(a, b): x a stack of vectors where b is 1-D (NumPy 2's rule)."""
    return m @ x if np.ndim(b) > 1 else (m @ x[..., None])[..., 0]


def _sg_solve_like(a, r, b):
    """solve(a, r) for r shaped as the solution of solve(a, b): a stack of vectors
    where b is 1-D (NumPy 2's rule), matrices otherwise."""
    return np.linalg.solve(a, r) if np.ndim(b) > 1 else np.linalg.solve(a, r[..., None])[..., 0]
