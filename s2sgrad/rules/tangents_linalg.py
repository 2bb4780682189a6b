"""Tangents of linear algebra (forward mode): the differentials of matrix functions.

d(A^-1) = -A^-1 dA A^-1; d det(A) = det(A) tr(A^-1 dA); A x = b: A dx = db - dA x.
The decompositions follow the conventions of their gradient rules (rules/linalg.py):
the triangle eigh, cholesky and hermitian svd / pinv read, a coupling
1 / (w_j - w_i) taken as 0 where two eigenvalues (squared singular values) are
equal, 1 / s taken as 0 at a zero singular value, the extra columns of a full
svd's U and V moving only as their span moves, eig's eigenvectors kept of unit
length.  Stacks of matrices as NumPy's functions take them.
"""
import numpy as np

from ..runtime.linalg import _sg_full_rank, _sg_resize_or_zero
from ..runtime.linalg import _sg_solve_like, _sg_times_solution
from .linalg import as_columns, coupling, diagonal_of, matrix_transpose, power_derivative
from .linalg import reads_lower, reciprocal_or_zero, symmetric_from
from .linalg import times_inverse_transpose
from .registry import register_tangent, same


@register_tangent(np.linalg.inv)
def inv_tangent(dx, y, a):
    return -(y @ dx @ y)


@register_tangent(np.linalg.det)
def det_tangent(dx, y, a):
    # (A^-1 dA by a solve: an exactly singular A gives NaN, never a wrong number)
    return y * np.trace(np.linalg.solve(a, dx), axis1=-2, axis2=-1)


@register_tangent(np.linalg.slogdet, multi_output=True)
def slogdet_tangent(dx, y, a):
    # d log|det A| = tr(A^-1 dA); the sign is piecewise constant
    return None, np.trace(np.linalg.solve(a, dx), axis1=-2, axis2=-1)


@register_tangent(np.linalg.solve)
def solve_tangent(dx, y, a, b):
    da, db = dx
    if same(da, None):
        return np.linalg.solve(a, db)
    change = _sg_times_solution(da, y, b)
    if same(db, None):
        return _sg_solve_like(a, -change, b)
    return _sg_solve_like(a, db - change, b)


def pinv_differential(da, p, a):
    """dP for P = pinv(A) where the rank does not change (Golub and Pereyra):
    -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P."""
    pt, dat = matrix_transpose(p), matrix_transpose(da)
    rows_rest = np.where(np.eye(np.shape(a)[-2], dtype=bool), 1.0, 0.0) - a @ p   # I - A P
    cols_rest = np.where(np.eye(np.shape(a)[-1], dtype=bool), 1.0, 0.0) - p @ a   # I - P A
    return -(p @ da @ p) + p @ pt @ dat @ rows_rest + cols_rest @ dat @ pt @ p


@register_tangent(np.linalg.pinv)
def pinv_tangent(dx, y, a, rcond=None, hermitian=False, *, rtol=None):
    # exact where the rank of A does not change; hermitian=True reads the lower triangle
    if hermitian:
        return pinv_differential(symmetric_from(dx, True), y, symmetric_from(a, True))
    return pinv_differential(dx, y, a)


@register_tangent(np.linalg.matrix_power)
def matrix_power_tangent(dx, y, a, n):
    # sum over k < n of A^k dA A^(n-1-k)
    return power_derivative(dx, a, n)


@register_tangent(np.linalg.eigh, multi_output=True)
def eigh_tangent(dx, y, a, UPLO='L'):
    # P = V^T dA V (dA of the triangle eigh reads):  dw = diag(P),  dV = V (F * P)
    # with F[i, j] = 1 / (w[j] - w[i]), and 0 where w[j] == w[i]
    w, v = y
    p = matrix_transpose(v) @ symmetric_from(dx, reads_lower(UPLO)) @ v
    return diagonal_of(p), v @ (coupling(w) * p)


@register_tangent(np.linalg.eig, multi_output=True)
def eig_tangent(dx, y, a):
    # P = V^-1 dA V:  dw = diag(P),  dV = V (F * P), F as for eigh, less each column's
    # change of length (the columns of V stay of unit length)
    w, v = y
    p = np.linalg.solve(v, dx @ v)
    dv = v @ (coupling(w) * p)
    return diagonal_of(p), dv - v * np.real(np.sum(np.conj(v) * dv, axis=-2, keepdims=True))


@register_tangent(np.linalg.cholesky)
def cholesky_tangent(dx, y, a, *, upper=False):
    # A = L L^T:  dL = L Phi(L^-1 dA L^-T), Phi the lower triangle with half the
    # diagonal (dA of the triangle NumPy reads; upper=True returns U = L^T)
    low = matrix_transpose(y) if upper else y
    da = symmetric_from(dx, not upper)
    n = np.shape(a)[-1]
    phi = np.where(np.tri(n, k=-1, dtype=bool), 1.0, np.where(np.eye(n, dtype=bool), 0.5, 0.0))
    left = np.linalg.solve(low, da)                                      # L^-1 dA
    inner = matrix_transpose(np.linalg.solve(low, matrix_transpose(left)))   # L^-1 dA L^-T
    dlow = low @ (phi * inner)
    if upper:
        return matrix_transpose(dlow)
    return dlow


def thin_svd_tangent(da, u, s, vt):
    """(dU, ds, dVt) of the thin svd A = U diag(s) Vt (Townsend 2016), dA given:
    P = U^T dA V, ds = diag(P), dU = U (F * (P S + S P^T)) + (I - U U^T) dA V S^-1,
    dV = V (F * (S P + P^T S)) + (I - V V^T) dA^T U S^-1, F[i, j] = 1 / (s_j^2 - s_i^2)
    (0 where equal) and 1 / s taken as 0 at s = 0."""
    v = matrix_transpose(vt)
    p = matrix_transpose(u) @ da @ v
    f = coupling(s * s)
    s_row, s_col = np.expand_dims(s, -2), np.expand_dims(s, -1)
    s_inv = np.expand_dims(reciprocal_or_zero(s), -2)
    da_v = da @ v
    dat_u = matrix_transpose(da) @ u
    du = u @ (f * (p * s_row + s_col * matrix_transpose(p))) + (da_v - u @ (matrix_transpose(u) @ da_v)) * s_inv
    dv = v @ (f * (s_col * p + matrix_transpose(p) * s_row)) + (dat_u - v @ (vt @ dat_u)) * s_inv
    return du, diagonal_of(p), matrix_transpose(dv)


@register_tangent(np.linalg.svd, multi_output=True)
def svd_tangent(dx, y, a, full_matrices=True, compute_uv=True, hermitian=False):
    # hermitian=True reads the lower triangle.  full_matrices=True: the columns of U
    # (rows of Vt) past min(m, n) move only as the space they span moves, as in the
    # gradient rule: dU_rest = -U dU^T U_rest, dVt_rest = -Vt_rest dVt^T Vt
    if hermitian:
        a, dx = symmetric_from(a, True), symmetric_from(dx, True)
    if not compute_uv:
        u, s, vt = np.linalg.svd(a, full_matrices=False, hermitian=hermitian)
        return (diagonal_of(matrix_transpose(u) @ dx @ matrix_transpose(vt)),)
    u, s, vt = y
    if not full_matrices:
        return thin_svd_tangent(dx, u, s, vt)
    k = np.shape(s)[-1]
    u_thin, u_rest, vt_thin, vt_rest = u[..., :k], u[..., k:], vt[..., :k, :], vt[..., k:, :]
    du, ds, dvt = thin_svd_tangent(dx, u_thin, s, vt_thin)
    du_rest = -(u_thin @ (matrix_transpose(du) @ u_rest))
    dvt_rest = -((vt_rest @ matrix_transpose(dvt)) @ vt_thin)
    return (np.concatenate([du, du_rest], axis=-1), ds,
            np.concatenate([dvt, dvt_rest], axis=-2))


@register_tangent(np.linalg.qr, multi_output=True)
def qr_tangent(dx, y, a, mode='reduced'):
    # A = [X Y], X its first m columns (all of A when it has no more columns than
    # rows), R = [U V] likewise.  X = Q U (as JAX's qr_jvp): with C = Q^T dX U^-1 and
    # O = tril(C, -1) - tril(C, -1)^T,  dQ = Q (O - C) + dX U^-1,  dU = (C - O) U;
    # and V = Q^T Y:  dV = dQ^T Y + Q^T dY
    q, r = y
    m = np.shape(a)[-2]
    u = r[..., :, :m]
    dx_uinv = times_inverse_transpose(dx[..., :, :m], matrix_transpose(u))
    c = matrix_transpose(q) @ dx_uinv
    lower = np.tril(c, -1)
    o = lower - matrix_transpose(lower)
    dq = q @ (o - c) + dx_uinv
    dv = matrix_transpose(dq) @ a[..., :, m:] + matrix_transpose(q) @ dx[..., :, m:]
    return dq, np.concatenate([(c - o) @ u, dv], axis=-1)


@register_tangent(np.linalg.lstsq, multi_output=True)
def lstsq_tangent(dx, y, a, b, rcond=None):
    # x = P b, P = pinv(A) of full rank (else ValueError when it runs):
    # dx = dP b + P db; residuals |r|^2 at the optimum (A^T r = 0):
    # dres = 2 r . (db - dA x) per column; singular values: diag(U^T dA V)
    x, residuals, rank, s = y
    da, db = dx
    p = _sg_full_rank(np.linalg.pinv(a), rank, a, 'np.linalg.lstsq')
    xc = as_columns(x, b)
    r = as_columns(b - a @ x, b)
    if same(da, None):
        change = as_columns(db, b)
        dsol = p @ change
        return np.reshape(dsol, np.shape(x)), _sg_resize_or_zero(
            2.0 * np.sum(r * change, axis=-2), np.size(residuals)), None, None
    change = -(da @ xc)
    dsol = pinv_differential(da, p, a) @ as_columns(b, b)
    if not same(db, None):
        change = change + as_columns(db, b)
        dsol = dsol + p @ as_columns(db, b)
    u, sv, vt = np.linalg.svd(a, full_matrices=False)
    ds = diagonal_of(matrix_transpose(u) @ da @ matrix_transpose(vt))
    return (np.reshape(dsol, np.shape(x)),
            _sg_resize_or_zero(2.0 * np.sum(r * change, axis=-2), np.size(residuals)),
            None, ds)
