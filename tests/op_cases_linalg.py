"""The functions of tests/test_ops_linalg.py: numpy.linalg, one small function per call form.

The module is spelled the ways users import it: `np.linalg.inv`,
`numpy.linalg.inv`, `import numpy.linalg as la`, `from numpy.linalg import inv`,
`from numpy import linalg`.  Functions that return eigenvectors or singular
vectors use them only in ways that do not depend on their signs (products of
two entries of one column), so that the loss is a function of the matrix.
"""
import numpy
import numpy as np
import numpy.linalg as la
from numpy import linalg
from numpy.linalg import cholesky, det, eigh, inv, norm, slogdet, solve, svd

import s2sgrad as sg


def weights(shape):
    """A fixed array of distinct weights: a loss that reads each entry differently."""
    k = np.arange(np.prod(shape)).reshape(shape)
    return np.cos(0.7 * k + 0.3)


def column_products(v):
    """v[0, j] * v[i, j] weighted: invariant under the sign of each column of v."""
    return np.sum(v[..., :1, :] * v * weights(np.shape(v)[-2:]))


# ------------------------------------------------------------------------ det

def det_np(a):
    return np.linalg.det(a)


def det_numpy(a):
    return numpy.linalg.det(a)


def det_la(a):
    return la.det(a)


def det_imported(a):
    return det(a)


def det_of_product(a, b):
    return np.linalg.det(a @ b)


# -------------------------------------------------------------------- slogdet

def slogdet_unpacked(a):
    sign, logdet = np.linalg.slogdet(a)
    return logdet


def slogdet_both(a):
    # the sign is piecewise constant: sign * logdet has the gradient sign * A^-T
    sign, logabsdet = la.slogdet(a)
    return sign * logabsdet


def slogdet_indexed(a):
    return slogdet(a)[1]


def slogdet_result(a):
    result = np.linalg.slogdet(a)
    return result[0] + result[1] * 2.0


def slogdet_attribute(a):
    return np.linalg.slogdet(a).logabsdet


# ------------------------------------------------------------------------ inv

def inv_np(a):
    return np.linalg.inv(a) * weights(np.shape(a)[-2:])


def inv_la(a):
    return la.inv(a)


def inv_imported(a):
    return inv(a) @ a.T


def inv_linalg(a):
    return linalg.inv(a)


# ---------------------------------------------------------------------- solve

def solve_np(a, b):
    return np.linalg.solve(a, b)


def solve_la(a, b):
    return la.solve(a, b) * weights(np.shape(b)[-1:])


def solve_imported(a, b):
    return solve(a, b)


def solve_keywords(a, b):
    return np.linalg.solve(b=b, a=a)


def solve_squared(a, b):
    return np.sum(np.linalg.solve(a, b) ** 2)


# ----------------------------------------------------------------------- pinv

def pinv_np(a):
    return np.linalg.pinv(a) * weights(np.shape(a)[-2:]).T


def pinv_la(a):
    return la.pinv(a)


def pinv_rcond(a):
    return np.linalg.pinv(a, 1e-10)


def pinv_rtol(a):
    return np.linalg.pinv(a, rtol=1e-8) * weights(np.shape(a)[-2:]).T


def pinv_hermitian(a):
    return np.linalg.pinv(a, hermitian=True) * weights(np.shape(a))


# ----------------------------------------------------------------------- norm

def norm_default(x):
    return np.linalg.norm(x)


def norm_la(x):
    return la.norm(x)


def norm_imported(x):
    return norm(x) * 2.0


def norm_ord2(x):
    return np.linalg.norm(x, 2)


def norm_ord1(x):
    return np.linalg.norm(x, ord=1)


def norm_inf(x):
    return np.linalg.norm(x, np.inf)


def norm_minus_inf(x):
    return np.linalg.norm(x, -np.inf)


def norm_ord3(x):
    return np.linalg.norm(x, 3)


def norm_ord1_5(x):
    return np.linalg.norm(x, ord=1.5)


def norm_ord_half(x):
    return np.linalg.norm(x, 0.5)


def norm_ord0(x):
    # the number of nonzero entries: piecewise constant
    return np.linalg.norm(x, 0) * np.sum(x)


def norm_fro(x):
    return np.linalg.norm(x, 'fro')


def norm_nuc(x):
    return np.linalg.norm(x, 'nuc')


def norm_keepdims(x):
    return np.linalg.norm(x, keepdims=True) * x


def norm_ord2_keepdims(x):
    return np.linalg.norm(x, 2, keepdims=True) * x


def norm_axis0(x):
    return np.linalg.norm(x, axis=0) * weights(np.shape(x)[1:])


def norm_axis_neg1(x):
    return la.norm(x, axis=-1)


def norm_axis_keepdims(x):
    return np.linalg.norm(x, axis=1, keepdims=True) * x


def norm_axis_tuple1(x):
    return np.linalg.norm(x, None, (1,))


def norm_ord1_axis(x):
    return np.linalg.norm(x, 1, axis=1)


def norm_inf_axis(x):
    return np.linalg.norm(x, ord=np.inf, axis=-1, keepdims=True)


def norm_minus_inf_axis0(x):
    return np.linalg.norm(x, -np.inf, 0)


def norm_ord3_axis(x):
    return np.linalg.norm(x, 3, axis=-1) * weights(np.shape(x)[:-1])


def norm_ord_minus1_axis(x):
    return np.linalg.norm(x, -1, axis=0)


def norm_ord_minus2_axis(x):
    return np.linalg.norm(x, -2, axis=1)


def norm_fro_axes(x):
    return np.linalg.norm(x, 'fro', axis=(0, 2))


def norm_none_axes(x):
    return np.linalg.norm(x, axis=(-2, -1)) * weights(np.shape(x)[:-2])


def norm_nuc_axes(x):
    return np.linalg.norm(x, 'nuc', axis=(2, 0))


def norm_nuc_axes_keepdims(x):
    return np.linalg.norm(x, 'nuc', (-2, -1), True) * x


def norm_spectral_axes(x):
    return np.linalg.norm(x, 2, axis=(0, 1))


def norm_min_singular_axes(x):
    return np.linalg.norm(x, -2, axis=(-1, -2))


def norm_min_singular_2d(x):
    return np.linalg.norm(x, -2, (0, 1))


def norm_ord1_axes(x):
    return np.linalg.norm(x, 1, axis=(1, 2))


def norm_ord_minus1_axes(x):
    return np.linalg.norm(x, -1, axis=(-1, 0), keepdims=True)


def norm_inf_axes(x):
    return np.linalg.norm(x, np.inf, axis=(0, 1))


def norm_minus_inf_axes(x):
    return np.linalg.norm(x, -np.inf, axis=(2, 1))


def norm_squared(x):
    return np.linalg.norm(x) ** 2


# ----------------------------------------------------------------------- eigh

def eigh_values(a):
    w, v = np.linalg.eigh(a)
    return w * weights(np.shape(w)[-1:])


def eigh_vectors(a):
    w, v = np.linalg.eigh(a)
    return column_products(v)


def eigh_both(a):
    w, v = la.eigh(a)
    return np.sum(w ** 2) + column_products(v)


def eigh_upper(a):
    w, v = eigh(a, UPLO='U')
    return w * weights(np.shape(w)[-1:]) + column_products(v)


def eigh_upper_positional(a):
    w, v = np.linalg.eigh(a, 'U')
    return w


def eigh_reconstruct(a):
    w, v = np.linalg.eigh(a)
    return (v * w[..., None, :]) @ np.swapaxes(v, -1, -2)


def eigh_indexed(a):
    return np.linalg.eigh(a)[0] * 1.5


def eigh_attribute(a):
    return np.linalg.eigh(a).eigenvalues


# ------------------------------------------------------------------------ eig

def eig_values(a):
    w, v = np.linalg.eig(a)
    return w * weights(np.shape(w)[-1:])


def eig_vectors(a):
    w, v = np.linalg.eig(a)
    return column_products(v)


def eig_both(a):
    w, v = la.eig(a)
    return np.sum(w ** 2) + column_products(v)


def eig_complex(a):
    # a real matrix with a complex pair of eigenvalues: real losses of them
    w, v = np.linalg.eig(a)
    k = weights(np.shape(v)[-2:])
    return (np.sum(np.real(w) * k[0]) + np.sum(np.imag(w) ** 2 * k[1])
            + np.sum(np.real(v * np.conj(v)) * k))


# ------------------------------------------------------------------- cholesky

def cholesky_np(a):
    return np.linalg.cholesky(a) * weights(np.shape(a)[-2:])


def cholesky_imported(a):
    return cholesky(a)


def cholesky_upper(a):
    return la.cholesky(a, upper=True) * weights(np.shape(a)[-2:])


def cholesky_logdet(a):
    low = np.linalg.cholesky(a)
    return 2.0 * np.sum(np.log(np.sum(low * np.eye(np.shape(a)[-1]), axis=-1)))


# ------------------------------------------------------------------------ svd

def svd_thin(a):
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return s * weights(np.shape(s)[-1:]) + column_products(u) + column_products(
        np.swapaxes(vt, -1, -2))


def svd_thin_values(a):
    u, s, vt = la.svd(a, full_matrices=False)
    return np.sum(s ** 3)


def svd_thin_u(a):
    u, s, vt = svd(a, False)
    return column_products(u)


def svd_thin_product(a):
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return (u @ vt) * weights(np.shape(a)[-2:])


def svd_full(a):
    # the default full_matrices=True: the columns of U (rows of Vt) past
    # min(m, n) enter through their span only (u2 @ u2.T), not their basis
    u, s, vt = np.linalg.svd(a)
    k = np.shape(s)[-1]
    u2, v2 = u[..., :, k:], vt[..., k:, :]
    span = u2 @ np.swapaxes(u2, -1, -2)
    span_v = np.swapaxes(v2, -1, -2) @ v2
    return (np.sum(s * weights(np.shape(s)[-1:])) + column_products(u[..., :, :k])
            + np.sum(span * weights(np.shape(span)[-2:]))
            + np.sum(span_v * weights(np.shape(span_v)[-2:])))


def svd_hermitian(a):
    u, s, vt = np.linalg.svd(a, hermitian=True)
    return s * weights(np.shape(s)[-1:]) + column_products(u)


def svd_indexed(a):
    return np.linalg.svd(a)[1]


def svd_values(a):
    return np.linalg.svd(a, compute_uv=False)


def svd_values_keyword(a):
    return la.svd(a, full_matrices=False, compute_uv=False) * 2.0


def svd_attribute(a):
    return np.linalg.svd(a).S


# ----------------------------------------------------------- edge-case forms

def det_only(a):
    return np.linalg.det(a)


def slogdet_sign_only(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * np.sum(a)


def eigh_values_sum(a):
    w, v = np.linalg.eigh(a)
    return np.sum(w ** 2)


def svd_values_sum(a):
    u, s, vt = np.linalg.svd(a)
    return np.sum(s)


def norm_ord_minus1(x):
    return np.linalg.norm(x, -1)


# ----------------------------------------------------------- matrix_power, qr, lstsq

def matrix_power_3(a):
    return np.linalg.matrix_power(a, 3) * weights(a.shape[-2:])


def matrix_power_0(a):
    return np.linalg.matrix_power(a, 0) * a


def matrix_power_1(a):
    return la.matrix_power(a, 1) ** 2


def matrix_power_minus_2(a):
    return np.linalg.matrix_power(a, -2)


def matrix_power_5(a):
    return np.linalg.matrix_power(a, 5) / 100.0


def qr_both(a):
    q, r = np.linalg.qr(a)
    return np.sum(q * weights(q.shape[-2:])) + np.sum(r ** 2)


def qr_q(a):
    return np.linalg.qr(a)[0] * weights(a.shape[-2:])


def qr_r_field(a):
    return la.qr(a, mode='reduced').R


def lstsq_solution(a, b):
    return np.linalg.lstsq(a, b, rcond=None)[0]


def lstsq_all(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b)
    return np.sum(x ** 2) + np.sum(residuals) + np.sum(s ** 2)


def lstsq_residuals(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b)
    return residuals ** 2


def matrix_power_of_argument(a, n):
    return np.linalg.matrix_power(a, n)  # ERR


def lstsq_rank_deficient(a):
    return np.linalg.lstsq(a, np.ones(3))[0]  # ERR


@sg.graph
def lstsq_gradient_inside(a, b):
    x, residuals, rank, s = np.linalg.lstsq(a, b)
    (g,) = sg.gradients(np.sum(residuals) + np.sum(x ** 2), b)     # checked to third order
    return g * b
