"""Linear algebra: det, slogdet, inv, pinv, solve, norm, eigh, eig, cholesky, svd,
matrix_power, qr, lstsq.

Matrices may be stacked: every rule works on the last two axes and
broadcasts over the leading ones.  The gradients are written with the
primal's own results and with products, solves and inverses that have rules
in turn, so that second and higher derivatives work.

Conventions:
* Inputs are real matrices.  eig also follows complex eigenvalues of a real
  matrix (autograd's convention for complex values, see rules/fft.py; the
  gradient of the real input is real).
* eigh, cholesky and svd / pinv with hermitian=True read one triangle of
  their input, as NumPy does (the lower one by default): that triangle gets
  the gradient, each off-diagonal entry the gradient of both entries it
  stands for; the other triangle gets zero.
* Eigenvectors and singular vectors are unique up to sign, and up to a
  rotation where eigenvalues (singular values) repeat.  The gradients hold for
  losses that do not depend on that choice (v and -v give the same loss).
  Where two eigenvalues or singular values are exactly equal, their coupling
  1 / (w_j - w_i) is taken as 0: the gradient is exact (and finite) when the
  loss depends on the eigenvalues alone (e.g. sum(w ** 2) at the identity
  matrix), undefined otherwise; second derivatives there go through the
  eigenvectors and are not exact.  Near-equal ones give large gradients, as
  they should.
* Zero singular values: the terms S^-1 of the svd gradient (non-square A)
  are taken as 0 there, where the singular vectors are not unique.
* slogdet's sign is piecewise constant: no gradient.
* np.linalg.svd(a, compute_uv=False) has a rule (below), but the reverse
  pass refuses a multi-output rule on an op of one array result, so it is
  not differentiated yet; nor are the named fields of the results
  (eigh(a).eigenvalues): the lowering refuses attributes of tuples.
"""
import numpy as np

from ..errors import TransformError
from ..runtime.linalg import _sg_axes_back, _sg_axes_last, _sg_cofactor
from ..runtime.linalg import _sg_column_shape, _sg_matrix_shape
from ..runtime.linalg import _sg_full_rank, _sg_resize_or_zero
from .registry import constant, register_constant, register_gradient, transform_time
from .shape import refuse


# ------------------------------------------------- pieces of the rule bodies
# (plain functions: the rules inline them)

def matrix_transpose(x):
    return np.swapaxes(x, -1, -2)


def diagonal_matrix(d):
    """The matrices with the vectors `d` on their diagonals."""
    eye = np.eye(np.shape(d)[-1], dtype=bool)
    return np.where(eye, np.expand_dims(d, -1), 0.0)


def reciprocal_or_zero(d):
    """1 / d, and 0 where d == 0."""
    zero = d == 0
    return np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, d))


def coupling(w):
    """F[i, j] = 1 / (w[j] - w[i]), and 0 where w[j] == w[i] (the diagonal too)."""
    return reciprocal_or_zero(np.expand_dims(w, -2) - np.expand_dims(w, -1))


@transform_time
def reads_lower(uplo):
    """Does an eigh-like function read the lower triangle (UPLO='L')?"""
    return uplo.upper() == 'L'


def symmetric_from(a, lower):
    """The symmetric matrix that a function reading one triangle of `a` sees."""
    n = np.shape(a)[-1]
    if lower:
        keep = np.tri(n, dtype=bool)
    else:
        keep = np.tri(n, dtype=bool).T
    return np.where(keep, a, matrix_transpose(a))


def onto_triangle(g, lower):
    """The gradient `g` of a symmetric matrix, given to the triangle it was read from.

    Entry (i, j) of that triangle stands for (i, j) and (j, i): it gets
    g[i, j] + g[j, i]; the diagonal gets g[i, i]; the other triangle 0.
    """
    n = np.shape(g)[-1]
    if lower:
        strict = np.tri(n, k=-1, dtype=bool)
    else:
        strict = np.tri(n, k=-1, dtype=bool).T
    eye = np.eye(n, dtype=bool)
    return np.where(strict, g + matrix_transpose(g), np.where(eye, g, 0.0))


def unreduced(g, axis, keepdims):
    """A norm's gradient (or value) with the reduced axes back, to broadcast against x."""
    if axis is None or keepdims:
        return g
    return np.expand_dims(g, axis)


# ------------------------------------------------------------- determinants

@register_gradient(np.linalg.det)
def det_grad(dy, y, a):
    """The cofactor matrix det(A) inv(A)^T, from the SVD: finite at singular A too
    (where autograd's inv(A) fails); stacks."""
    return np.expand_dims(dy, (-2, -1)) * _sg_cofactor(a)


@register_gradient(_sg_cofactor)
def cofactor_grad(dout, out, a):
    """Needs inv(A): second derivatives of det are refused (LinAlgError) at singular A."""
    # C = det(A) A^-T:  dC = C tr(A^-1 dA) - C dA^T A^-T
    a_inv_t = np.swapaxes(np.linalg.inv(a), -1, -2)
    weight = np.sum(dout * out, axis=(-2, -1), keepdims=True)
    return weight * a_inv_t - out @ matrix_transpose(dout) @ a_inv_t


@register_gradient(np.linalg.slogdet, multi_output=True)
def slogdet_grad(dy, y, a):
    """log|det A| gets inv(A)^T; the sign is piecewise constant (no gradient); stacks."""
    # d log|det A| = tr(A^-1 dA)
    dsign, dlogdet = dy
    return np.expand_dims(dlogdet, (-2, -1)) * matrix_transpose(np.linalg.inv(a))


# ------------------------------------------------------- inverses and solves

@register_gradient(np.linalg.inv)
def inv_grad(dy, y, a):
    """-inv(A)^T dY inv(A)^T; stacks."""
    # d(A^-1) = -A^-1 dA A^-1
    yt = np.swapaxes(y, -1, -2)
    return -(yt @ dy @ yt)


@register_gradient(np.linalg.solve, broadcasts=True)
def solve_grad(dy, y, a, b):
    """Matrix and vector right-hand sides (b is a vector when 1-D, as in NumPy 2);
    stacks of either broadcast."""
    # x = A^-1 b:  db = A^-T dx,  dA = -db x^T, a vector b read as a column
    db = np.linalg.solve(matrix_transpose(a), np.reshape(dy, _sg_column_shape(dy, b)))
    x = np.reshape(y, _sg_column_shape(y, b))
    return -(db @ matrix_transpose(x)), np.reshape(db, np.shape(y))


@register_gradient(np.linalg.pinv)
def pinv_grad(dy, y, a, rcond=None, hermitian=False, *, rtol=None):
    """Exact where the rank of A does not change (full rank, or a cutoff far from
    the singular values); hermitian=True reads the lower triangle; stacks."""
    # Golub and Pereyra, for P = pinv(A):
    # dA = -P^T dP P^T + (I - A P) dP^T P P^T + P^T P dP^T (I - P A)
    if hermitian:
        a = symmetric_from(a, True)
    pt, dyt = np.swapaxes(y, -1, -2), np.swapaxes(dy, -1, -2)
    eye_rows = np.eye(np.shape(a)[-2], dtype=bool)
    eye_cols = np.eye(np.shape(a)[-1], dtype=bool)
    rows_rest = np.where(eye_rows, 1.0, 0.0) - a @ y          # I - A P
    cols_rest = np.where(eye_cols, 1.0, 0.0) - y @ a          # I - P A
    g = -(pt @ dy @ pt) + rows_rest @ dyt @ y @ pt + pt @ y @ dyt @ cols_rest
    if hermitian:
        return onto_triangle(g, True)
    return g


# -------------------------------------------------------------------- norms

@transform_time
def norm_kind(ord, axis):
    """Which norm np.linalg.norm(x, ord, axis) computes, as far as its arguments say.

    'euclidean' (ord None, 'fro', or 2 of a vector), 'abs_sum', 'max_abs',
    'min_abs', 'count' (ord=0), 'power' (any other vector ord), the matrix
    norms 'nuc', 'spectral', 'min_singular', 'max_col_sum', 'min_col_sum',
    'max_row_sum', 'min_row_sum'; 'vector_or_matrix ...' when only the rank
    of x (known when the code runs) tells a vector from a matrix norm.
    """
    if isinstance(ord, str) and ord not in ('fro', 'f', 'nuc'):
        raise ValueError(f'Invalid norm order {ord!r}')
    matrix = {'fro': 'euclidean', 'f': 'euclidean', 'nuc': 'nuc', 2: 'spectral',
              -2: 'min_singular', 1: 'max_col_sum', -1: 'min_col_sum',
              np.inf: 'max_row_sum', -np.inf: 'min_row_sum'}
    vector = {2: 'euclidean', 1: 'abs_sum', np.inf: 'max_abs', -np.inf: 'min_abs',
              0: 'count'}
    if ord is None:
        return 'euclidean'
    if isinstance(axis, tuple) and len(axis) == 2:
        if ord not in matrix:
            raise ValueError(f'Invalid norm order {ord!r} for matrices')
        return matrix[ord]
    if isinstance(axis, tuple) and len(axis) != 1:
        raise ValueError('Improper number of dimensions to norm.')
    if axis is not None:
        return vector.get(ord, 'power')
    if ord in ('fro', 'f', 'nuc'):
        return matrix[ord]
    if ord == 0:
        return 'count'
    if ord in (1, 2, np.inf, -np.inf):
        # a vector's 1-, 2-, inf- and -inf-norm are the matrix norms of the
        # column it makes: one rule for both
        return 'vector_or_matrix ' + matrix[ord]
    if ord in (-1, -2):
        raise TransformError(
            f'np.linalg.norm(x, ord={ord}) without axis= is a vector norm for a 1-D x '
            f'and a matrix norm for a 2-D x, which are differentiated differently: '
            f'pass axis=0 (or -1) for the vector norm, axis=(0, 1) for the matrix norm')
    return 'power'


@register_gradient(np.linalg.norm)
def norm_grad(dy, y, x, ord=None, axis=None, keepdims=False):
    """Vectors: ord None, 2, 1, inf, -inf, 0, any p; matrices: None, 'fro', 'nuc', 2,
    -2, 1, -1, inf, -inf; axis, keepdims.  Gradient 0 at x == 0, sign(0) = 0, ties
    share; ord=-1 or -2 without axis= is refused (vector or matrix norm?).  Complex
    x: the conjugate of each (abs's convention)."""
    # The norm's kind follows from ord and axis when the code is transformed;
    # without axis=, ord 1, 2, inf, -inf apply to the column a vector makes.
    kind = norm_kind(ord, axis)
    g = unreduced(dy, axis, keepdims)
    # conj(x) / |x| and conj(sign(x)) for complex x: the convention of abs_grad
    if kind == 'euclidean':
        return g * np.conj(x) / nonzero(unreduced(y, axis, keepdims))
    if kind == 'abs_sum':
        return g * np.conj(np.sign(x))
    if kind == 'max_abs' or kind == 'min_abs':
        hit = np.abs(x) == unreduced(y, axis, keepdims)
        return g * np.conj(np.sign(x)) * (hit / np.sum(hit, axis=axis, keepdims=True))
    if kind == 'count':
        return None
    if kind == 'power':
        ratio = np.abs(x) / nonzero(unreduced(y, axis, keepdims))
        if ord < 1:
            # |x|^(p-1) is infinite at x == 0 for p < 1: 0 there, as sign(0)
            ratio = np.where(x == 0, 1.0, ratio)
        return g * np.conj(np.sign(x)) * ratio ** (ord - 1)
    if kind == 'nuc' or kind == 'spectral' or kind == 'min_singular':
        if axis is None:
            return singular_norm_grad(g, unreduced(y, axis, keepdims), x, kind)
        return singular_norm_grad(g, unreduced(y, axis, keepdims), _sg_axes_last(x, axis),
                                  kind, axis)
    if axis is None:
        # the rank of x decides: a vector is read as a column
        m = np.reshape(x, _sg_matrix_shape(x))
        if matrix_kind(kind) == 'spectral':
            grad = singular_norm_grad(g, y, m, 'spectral')
        else:
            grad = matrix_norm_grad(g, m, matrix_kind(kind), -2, -1)
        return np.reshape(grad, np.shape(x))
    return matrix_norm_grad(g, x, kind, axis[0], axis[1])


@transform_time
def matrix_kind(kind):
    return kind.split(' ')[-1]


def nonzero(y):
    """y where y != 0, else 1 (a norm of zeros has the gradient 0)."""
    return np.where(y == 0, 1.0, y)


def singular_norm_grad(g, yb, m, kind, axes=None):
    """Nuclear norm: U Vt.  Spectral norm (smallest singular value): u v^T of the
    largest (smallest) singular value, shared among ties; 0 at m == 0."""
    u, s, vt = np.linalg.svd(m, full_matrices=False)
    if kind == 'nuc':
        direction = u @ vt
    else:
        if kind == 'spectral':
            hit = s == np.max(s, axis=-1, keepdims=True)
        else:
            hit = s == np.min(s, axis=-1, keepdims=True)
        share = hit / np.sum(hit, axis=-1, keepdims=True)
        direction = (u * np.expand_dims(share, -2)) @ vt
    # d s = Re(u^H dm v): conj(u v^H) for complex m (the convention of abs_grad)
    direction = np.conj(direction)
    if axes is not None:
        direction = _sg_axes_back(direction, axes)
    if kind == 'nuc':
        return g * direction
    return np.where(yb == 0, 0.0, g * direction)


def matrix_norm_grad(g, m, kind, rows, cols):
    """The largest (smallest) absolute column sum (ord 1, -1) or row sum
    (ord inf, -inf) of m: sign(m) over the extreme ones, ties share."""
    if kind == 'max_col_sum' or kind == 'min_col_sum':
        summed, across = rows, cols
    else:
        summed, across = cols, rows
    sums = np.sum(np.abs(m), axis=summed, keepdims=True)
    if kind == 'max_col_sum' or kind == 'max_row_sum':
        hit = sums == np.max(sums, axis=across, keepdims=True)
    else:
        hit = sums == np.min(sums, axis=across, keepdims=True)
    share = hit / np.sum(hit, axis=across, keepdims=True)
    return g * np.conj(np.sign(m)) * share


# ---------------------------------------------------------- decompositions

@register_gradient(np.linalg.eigh, multi_output=True)
def eigh_grad(dy, y, a, UPLO='L'):
    """Eigenvalues and eigenvectors; the gradient goes to the triangle eigh reads
    (UPLO).  Equal eigenvalues: exact gradients of losses of the eigenvalues alone."""
    # A = V diag(w) V^T:  dA = V (diag(dw) + F * (V^T dV)) V^T with
    # F[i, j] = 1 / (w[j] - w[i]), and 0 where w[j] == w[i]
    w, v = y
    dw, dv = dy
    vt = np.swapaxes(v, -1, -2)
    g = v @ (diagonal_matrix(dw) + coupling(w) * (vt @ dv)) @ vt
    return onto_triangle(g, reads_lower(UPLO))


@register_gradient(np.linalg.eig, multi_output=True)
def eig_grad(dy, y, a):
    """Real matrices, with real or complex eigenvalues (a real gradient); for
    losses that do not depend on the scale or phase of each eigenvector."""
    # A = V diag(w) V^-1 with unit columns of V (autograd's formula):
    # dA = V^-T (diag(dw) + F * (V^T dV - V^T conj(V) diag(Re(V^T dV)))) V^T,
    # F as for eigh; its real part, the gradient of a real A
    w, v = y
    dw, dv = dy
    vt = np.swapaxes(v, -1, -2)
    vt_dv = vt @ dv
    normalised = (vt @ np.conj(v)) @ diagonal_matrix(np.real(diagonal_of(vt_dv)))
    inner = diagonal_matrix(dw) + coupling(w) * (vt_dv - normalised)
    return np.real(np.linalg.solve(vt, inner @ vt))


def diagonal_of(m):
    """The diagonals of the matrices m, as vectors."""
    eye = np.eye(np.shape(m)[-1], dtype=bool)
    return np.sum(np.where(eye, m, 0.0), axis=-1)


@register_gradient(np.linalg.cholesky)
def cholesky_grad(dy, y, a, *, upper=False):
    """The gradient goes to the triangle NumPy reads: the lower one (the upper one
    for upper=True); stacks."""
    # A = L L^T (Murray 2016):  dA = L^-T Phi(L^T dL) L^-1, Phi taking the
    # lower triangle with half the diagonal (upper=True returns U = L^T)
    if upper:
        low_t, dlow = y, np.swapaxes(dy, -1, -2)
    else:
        low_t, dlow = np.swapaxes(y, -1, -2), dy
    n = np.shape(a)[-1]
    phi = np.where(np.tri(n, k=-1, dtype=bool), 1.0, np.where(np.eye(n, dtype=bool), 0.5, 0.0))
    left = np.linalg.solve(low_t, phi * (low_t @ dlow))                    # L^-T Phi
    g = np.swapaxes(np.linalg.solve(low_t, matrix_transpose(left)), -1, -2)   # L^-T Phi L^-1
    return onto_triangle(g, not upper)


@register_gradient(np.linalg.svd, multi_output=True)
def svd_grad(dy, y, a, full_matrices=True, compute_uv=True, hermitian=False):
    """full_matrices True or False, hermitian (reads the lower triangle); the extra
    columns of full U, Vt count through their span.  Equal singular values: exact
    for losses of the singular values alone."""
    # A = U diag(s) Vt (Townsend 2016):
    # dA = U [F*(U^T dU - dU^T U) S + diag(ds) + S F*(V^T dV - dV^T V)] Vt
    #      + (I - U U^T) dU S^-1 Vt + U S^-1 dVt (I - V Vt)
    # with F[i, j] = 1 / (s[j]^2 - s[i]^2).  full_matrices=True: the columns of U
    # (rows of Vt) past min(m, n) are any basis of the complement; they are taken
    # to move only as that space moves (no rotation within it), which is exact
    # for losses that do not depend on the choice of basis.
    if not compute_uv:
        (ds,) = dy
        u, s, vt = np.linalg.svd(a, full_matrices=False, hermitian=hermitian)
        g = u @ (np.expand_dims(ds, -1) * vt)
        if hermitian:
            return onto_triangle(g, True)
        return g
    u, s, vt = y
    du, ds, dvt = dy
    if full_matrices:
        k = np.shape(s)[-1]
        u, u_rest, vt, vt_rest = u[..., :k], u[..., k:], vt[..., :k, :], vt[..., k:, :]
        du = du[..., :k] - u_rest @ matrix_transpose(du[..., k:]) @ u
        dvt = dvt[..., :k, :] - vt @ matrix_transpose(dvt[..., k:, :]) @ vt_rest
    f = coupling(s * s)
    s_row, s_col = np.expand_dims(s, -2), np.expand_dims(s, -1)
    ut_du = np.swapaxes(u, -1, -2) @ du
    vt_dv = vt @ np.swapaxes(dvt, -1, -2)
    core = (f * (ut_du - matrix_transpose(ut_du)) * s_row + diagonal_matrix(ds)
            + s_col * (f * (vt_dv - matrix_transpose(vt_dv))))
    s_inv = reciprocal_or_zero(s)
    g = (u @ core @ vt
         + ((du - u @ ut_du) * np.expand_dims(s_inv, -2)) @ vt
         + (u * np.expand_dims(s_inv, -2)) @ (dvt - dvt @ matrix_transpose(vt) @ vt))
    if hermitian:
        return onto_triangle(g, True)
    return g


# --------------------------------------------- the helpers' own rules

@register_gradient(_sg_axes_last, static=('axes',))
def axes_last_grad(dout, out, x, axes):
    return _sg_axes_back(dout, axes)


@register_gradient(_sg_axes_back, static=('axes',))
def axes_back_grad(dout, out, x, axes):
    return _sg_axes_last(dout, axes)


register_constant(_sg_column_shape, _sg_matrix_shape)


# ------------------------------------------------------ powers, qr, lstsq

def power_sum(g, m, n):
    """sum over k < n of m^k g m^(n-1-k): the top-right block of [[m, g], [0, m]]^n,
    so that it takes the products of np.linalg.matrix_power itself (a template)."""
    size = np.shape(m)[-1]
    top = np.concatenate([m, g], axis=-1)
    bottom = np.concatenate([np.zeros_like(m), m], axis=-1)
    return np.linalg.matrix_power(np.concatenate([top, bottom], axis=-2), n)[..., :size, size:]


def power_derivative(g, m, n):
    """sum over k < n of m^k g m^(n-1-k), for an integer n known when transforming
    (a template): the derivative of m^n along g, and its transpose for m = A^T;
    n < 0 through B = inv(m):  d B^k = -B (sum of B^j g B^(k-1-j)) B; n = 0: none."""
    if constant(n) is NotImplemented:
        refuse('np.linalg.matrix_power: the power must be a constant to be differentiated')
    if n == 0:
        return None
    if n == 1:
        return g
    if n > 0:
        return power_sum(g, m, n)
    b = np.linalg.inv(m)
    return -(b @ power_sum(g, b, -n) @ b)


@register_gradient(np.linalg.matrix_power, static=('n',))
def matrix_power_grad(dy, y, a, n):
    """Any integer n known when transforming (negative: through inv(A); 0: none); stacks."""
    # dA = sum over k < n of (A^T)^k dY (A^T)^(n-1-k)
    return power_derivative(dy, matrix_transpose(a), n)


def times_inverse_transpose(x, r):
    """x inv(R)^T, by a solve."""
    return matrix_transpose(np.linalg.solve(r, matrix_transpose(x)))


@register_gradient(np.linalg.qr, multi_output=True, unsupported={'mode': 'reduced'})
def qr_grad(dy, y, a, mode='reduced'):
    """mode='reduced', tall, square and wide matrices, Q and R; stacks."""
    # TensorFlow's QrGrad.  A = [X Y] with X its first m columns (all of A when it has
    # no more columns than rows), R = [U V] likewise: Y = Q V, so dY = Q dV, and X = Q U
    # takes dQ + Y dV^T: with M = Q^T dQ - dQ^T Q + U dU^T - dU U^T,
    # dX = Q (dU + tril(M, -1) U^-T) + (dQ - Q Q^T dQ) U^-T
    q, r = y
    dq, dr = dy
    m = np.shape(a)[-2]
    u, du, dv = r[..., :, :m], dr[..., :, :m], dr[..., :, m:]
    dq = dq + a[..., :, m:] @ matrix_transpose(dv)
    qdq = matrix_transpose(q) @ dq
    udu = u @ matrix_transpose(du)
    lower = np.tril(qdq - matrix_transpose(qdq) + udu - matrix_transpose(udu), -1)
    dx = (q @ (du + times_inverse_transpose(lower, u))
          + times_inverse_transpose(dq - q @ qdq, u))
    return np.concatenate([dx, q @ dv], axis=-1)


def as_columns(v, b):
    """`v` read as matrix columns: one column when the right-hand side b is a vector."""
    return np.reshape(v, _sg_column_shape(v, b))


@register_gradient(np.linalg.lstsq, multi_output=True)
def lstsq_grad(dy, y, a, b, rcond=None):
    """x, residuals and singular values, A of full rank (else ValueError at run time)."""
    # x = P b with P = pinv(A) (Golub and Pereyra's dP, as for pinv, with dP = dx b^T):
    # db = P^T dx, dA = -P^T dx x^T + r (P P^T dx)^T + P^T x ((I - P A) dx)^T with
    # r = b - A x; residuals |r|^2 (at the optimum): db = 2 r dres, dA = -2 r dres x^T;
    # singular values: dA = U diag(ds) V^T
    x, residuals, rank, s = y
    dx, dres, drank, ds = dy
    p = _sg_full_rank(np.linalg.pinv(a), rank, a, 'np.linalg.lstsq')
    pt = matrix_transpose(p)
    g = as_columns(dx, b)
    xc = as_columns(x, b)
    r = as_columns(b - a @ x, b)
    weighted = r * (2.0 * _sg_resize_or_zero(dres, np.size(x) // np.shape(a)[-1]))
    u, sv, vt = np.linalg.svd(a, full_matrices=False)
    da = (-(pt @ g + weighted) @ matrix_transpose(xc) + r @ matrix_transpose(p @ (pt @ g))
          + (pt @ xc) @ matrix_transpose(g - p @ (a @ g)) + u @ (np.expand_dims(ds, -1) * vt))
    return da, np.reshape(pt @ g + weighted, np.shape(b))


@register_gradient(_sg_full_rank, static=('rank', 'a', 'function'))
def full_rank_grad(dout, out, m, rank, a, function):
    return dout


@register_gradient(_sg_resize_or_zero, static=('n',))
def resize_or_zero_grad(dout, out, v, n):
    return _sg_resize_or_zero(dout, np.size(v))
