"""numpy.linalg: every rule of s2sgrad/rules/linalg.py.

The table runs each call form (tests/op_cases_linalg.py) through the systematic
check of tests/test_rules.py: gradient and second derivative against central
differences, in float64 and float32, for single and stacked matrices.  The
matrices are drawn where the functions are smooth: well conditioned, with
separated eigenvalues and singular values, positive definite for cholesky.
The tests after the table check the exact edge cases (singular matrices for
det, zeros and ties for norm, repeated eigenvalues and singular values, the
triangle that eigh and cholesky read), agreement with autograd, and the
forms that are refused.
"""
import numpy as np
import pytest

import s2sgrad as sg
from test_rules import Arg, case, run_case, N, Z
import op_cases_linalg as oc

autograd = pytest.importorskip('autograd')
anp = pytest.importorskip('autograd.numpy')


# ------------------------------------------------------------ matrices

def _orthogonal(rng, shape):
    q, r = np.linalg.qr(rng.standard_normal(shape))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _spread(rng, lead, n, low=0.8, step=0.7):
    """n values per matrix, at least step - 0.2 apart, from about `low` up."""
    base = low + step * np.arange(n)
    return base + rng.uniform(-0.1, 0.1, size=lead + (n,))


def _square(rng, shape):
    # well conditioned, not symmetric: I * 2.5 plus a normal matrix scaled down
    n = shape[-1]
    return 2.5 * np.eye(n) + 0.6 * rng.standard_normal(shape)


def _symmetric(rng, shape):
    # symmetric, eigenvalues apart by at least 0.5, of both signs
    n, lead = shape[-1], shape[:-2]
    q = _orthogonal(rng, shape)
    w = _spread(rng, lead, n, low=-0.3 * n, step=0.7)
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


def _positive(rng, shape):
    # positive definite in the lower triangle and in the upper one
    n, lead = shape[-1], shape[:-2]
    q = _orthogonal(rng, shape)
    w = _spread(rng, lead, n, low=1.0, step=0.6)
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


def _real_eigen(rng, shape):
    # S diag(w) S^-1 with a well-conditioned S: real eigenvalues apart by 0.5
    n, lead = shape[-1], shape[:-2]
    s = np.eye(n) + 0.3 * rng.standard_normal(shape)
    w = _spread(rng, lead, n, low=-0.5, step=0.7)
    return (s * w[..., None, :]) @ np.linalg.inv(s)


def _complex_pair(rng, shape):
    # a real matrix with eigenvalues a +- ib (b >= 1) and real ones, apart
    n, lead = shape[-1], shape[:-2]
    s = np.eye(n) + 0.3 * rng.standard_normal(shape)
    core = np.zeros(shape)
    a, b = rng.uniform(-0.3, 0.3, lead), rng.uniform(1.0, 1.5, lead)
    core[..., 0, 0] = core[..., 1, 1] = a
    core[..., 0, 1], core[..., 1, 0] = -b, b
    for k in range(2, n):
        core[..., k, k] = 1.0 + 0.7 * k + rng.uniform(-0.1, 0.1, lead)
    return s @ core @ np.linalg.inv(s)


def _separated(rng, shape):
    # singular values apart by at least 0.5 (and at least 0.6)
    m, n, lead = shape[-2], shape[-1], shape[:-2]
    k = min(m, n)
    u = _orthogonal(rng, lead + (m, m))[..., :, :k]
    v = _orthogonal(rng, lead + (n, n))[..., :, :k]
    s = _spread(rng, lead, k, low=0.7, step=0.7)[..., ::-1]
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


class Matrix(Arg):
    """A (stack of) matrices drawn by one of the functions above."""

    def __init__(self, label, make, *shape):
        super().__init__(label, tuple(shape), label)
        self.make = make

    def draw(self, rng, dtype):
        return np.asarray(self.make(rng, self.shape), dtype=np.float64).astype(dtype)


def Sq(*shape):
    return Matrix('Sq', _square, *shape)


def Sym(*shape):
    return Matrix('Sym', _symmetric, *shape)


def Pd(*shape):
    return Matrix('Pd', _positive, *shape)


def Re(*shape):
    return Matrix('Re', _real_eigen, *shape)


def Cx(*shape):
    return Matrix('Cx', _complex_pair, *shape)


def Sv(*shape):
    return Matrix('Sv', _separated, *shape)


def D(*shape):
    # values at least 0.2 apart (no ties for the inf-norms), and away from 0
    def draw(rng, shape):
        size = int(np.prod(shape))
        values = (rng.permutation(size) + 1) * 0.3 * rng.choice([-1.0, 1.0], size=size)
        return (values + rng.uniform(-0.05, 0.05, size)).reshape(shape)
    return Matrix('D', draw, *shape)


# ------------------------------------------------------------------ table


CASES = [
    # --- det: module spellings, stacks, a product
    *case(oc.det_np, Sq(3, 3)),
    *case(oc.det_np, N(1, 1)),
    *case(oc.det_numpy, Sq(2, 3, 3)),
    *case(oc.det_la, Sq(4, 4)),
    *case(oc.det_imported, Sq(2, 2, 2, 2)),
    *case(oc.det_of_product, Sq(3, 3), Sq(3, 3)),
    # --- slogdet: unpacked, the sign used too, indexed, a stack
    *case(oc.slogdet_unpacked, Sq(3, 3)),
    *case(oc.slogdet_unpacked, Sq(2, 3, 3)),
    *case(oc.slogdet_both, N(3, 3)),
    *case(oc.slogdet_indexed, Sq(4, 4)),
    *case(oc.slogdet_result, Sq(2, 2, 2)),
    *case(oc.slogdet_attribute, Sq(3, 3)),
    # --- inv
    *case(oc.inv_np, Sq(3, 3)),
    *case(oc.inv_la, Sq(2, 3, 3)),
    *case(oc.inv_imported, Sq(4, 4)),
    *case(oc.inv_linalg, Sq(2, 2, 2, 2)),
    # --- solve: a matrix and a vector right-hand side, stacks on either side
    *case(oc.solve_np, Sq(3, 3), N(3, 2)),
    *case(oc.solve_np, Sq(3, 3), N(3)),
    *case(oc.solve_np, Sq(2, 3, 3), N(3)),
    *case(oc.solve_np, Sq(2, 3, 3), N(2, 3, 4)),
    *case(oc.solve_np, Sq(3, 3), N(2, 3, 2)),
    *case(oc.solve_np, Sq(2, 1, 3, 3), N(4, 3, 1)),
    *case(oc.solve_la, Sq(3, 3), N(3)),
    *case(oc.solve_imported, Sq(4, 4), N(4, 4)),
    *case(oc.solve_keywords, Sq(3, 3), N(3, 2)),
    *case(oc.solve_squared, Sq(3, 3), N(3)),
    *case(oc.solve_np, Sq(3, 3), N(3, 2), wrt=0),
    *case(oc.solve_np, Sq(3, 3), N(3), wrt=1, linear=True),
    # --- pinv: tall, wide, square, stacked; rcond / rtol; hermitian
    *case(oc.pinv_np, Sv(4, 3)),
    *case(oc.pinv_np, Sv(2, 3, 5)),
    *case(oc.pinv_la, Sv(3, 3)),
    *case(oc.pinv_rcond, Sv(3, 4)),
    *case(oc.pinv_rtol, Sv(5, 2)),
    *case(oc.pinv_hermitian, Sym(3, 3)),
    *case(oc.pinv_hermitian, Sym(2, 4, 4)),
    # --- norm, vectors and the flattened array (ord None)
    *case(oc.norm_default, N(5)),
    *case(oc.norm_default, N(3, 4)),
    *case(oc.norm_default, N(2, 3, 4)),
    *case(oc.norm_default, Z(float)),
    *case(oc.norm_default, Z()),
    *case(oc.norm_la, N(6)),
    *case(oc.norm_imported, N(3, 2)),
    *case(oc.norm_keepdims, N(2, 3, 2)),
    *case(oc.norm_squared, N(4, 3)),
    *case(oc.norm_ord2, N(5)),
    *case(oc.norm_ord2_keepdims, N(4)),
    *case(oc.norm_ord1, Z(5), linear=True),
    *case(oc.norm_inf, D(6), linear=True),
    *case(oc.norm_minus_inf, D(6), linear=True),
    *case(oc.norm_ord3, N(5)),
    *case(oc.norm_ord1_5, Z(4)),
    *case(oc.norm_ord_half, Z(4)),
    *case(oc.norm_ord0, Z(5)),
    # --- norm along an axis (vector norms)
    *case(oc.norm_axis0, N(3, 4)),
    *case(oc.norm_axis_neg1, N(2, 3, 4)),
    *case(oc.norm_axis_keepdims, N(3, 4)),
    *case(oc.norm_axis_tuple1, N(2, 5)),
    *case(oc.norm_ord1_axis, Z(3, 4), linear=True),
    *case(oc.norm_inf_axis, D(3, 4), linear=True),
    *case(oc.norm_minus_inf_axis0, D(4, 3), linear=True),
    *case(oc.norm_ord3_axis, N(3, 4)),
    *case(oc.norm_ord_minus1_axis, Z(4, 2)),
    *case(oc.norm_ord_minus2_axis, Z(2, 3)),
    # --- matrix norms: without axis, and over two axes of a stack
    *case(oc.norm_fro, N(3, 4)),
    *case(oc.norm_nuc, Sv(3, 4)),
    *case(oc.norm_nuc, Sv(4, 2)),
    *case(oc.norm_ord2, Sv(3, 4)),
    *case(oc.norm_ord2_keepdims, Sv(4, 3)),
    *case(oc.norm_ord1, D(3, 4), linear=True),
    *case(oc.norm_inf, D(4, 3), linear=True),
    *case(oc.norm_minus_inf, D(3, 3), linear=True),
    *case(oc.norm_fro_axes, N(3, 2, 4)),
    *case(oc.norm_none_axes, N(2, 3, 4)),
    *case(oc.norm_nuc_axes, N(3, 2, 4)),
    *case(oc.norm_nuc_axes_keepdims, Sv(2, 3, 3)),
    *case(oc.norm_spectral_axes, N(3, 4, 2)),
    *case(oc.norm_min_singular_axes, N(2, 4, 3)),
    *case(oc.norm_min_singular_2d, Sv(3, 3)),
    *case(oc.norm_ord1_axes, D(2, 3, 4), linear=True),
    *case(oc.norm_ord_minus1_axes, D(3, 2, 4), linear=True),
    *case(oc.norm_inf_axes, D(3, 4, 2), linear=True),
    *case(oc.norm_minus_inf_axes, D(2, 3, 4), linear=True),
    # --- eigh: eigenvalues, eigenvectors, both; the upper triangle; stacks
    *case(oc.eigh_values, Sym(3, 3)),
    *case(oc.eigh_values, Sym(2, 4, 4)),
    *case(oc.eigh_vectors, Sym(3, 3)),
    *case(oc.eigh_both, Sym(4, 4)),
    *case(oc.eigh_both, Sym(2, 3, 3)),
    *case(oc.eigh_upper, Sym(3, 3)),
    *case(oc.eigh_upper_positional, Sym(2, 3, 3)),
    *case(oc.eigh_reconstruct, Sym(3, 3)),
    *case(oc.eigh_indexed, Sym(3, 3)),
    *case(oc.eigh_attribute, Sym(3, 3)),
    # --- eig: real eigenvalues; a complex pair of a real matrix
    *case(oc.eig_values, Re(3, 3)),
    *case(oc.eig_vectors, Re(3, 3)),
    *case(oc.eig_both, Re(4, 4)),
    *case(oc.eig_both, Re(2, 3, 3)),
    *case(oc.eig_complex, Cx(3, 3)),
    *case(oc.eig_complex, Cx(2, 4, 4)),
    # --- cholesky: lower, upper, stacks
    *case(oc.cholesky_np, Pd(3, 3)),
    *case(oc.cholesky_np, Pd(2, 4, 4)),
    *case(oc.cholesky_imported, Pd(3, 3)),
    *case(oc.cholesky_upper, Pd(3, 3)),
    *case(oc.cholesky_upper, Pd(2, 3, 3)),
    *case(oc.cholesky_logdet, Pd(4, 4)),
    # --- svd: thin (tall, wide, square, stacked), full_matrices, hermitian
    *case(oc.svd_thin, Sv(4, 3)),
    *case(oc.svd_thin, Sv(3, 5)),
    *case(oc.svd_thin, Sv(2, 3, 3)),
    *case(oc.svd_thin_values, Sv(4, 3)),
    *case(oc.svd_thin_u, Sv(3, 4)),
    *case(oc.svd_thin_product, Sv(2, 4, 3)),
    *case(oc.svd_full, Sv(3, 3)),
    *case(oc.svd_full, Sv(5, 3)),
    *case(oc.svd_full, Sv(2, 3, 5)),
    *case(oc.svd_hermitian, Pd(3, 3)),
    *case(oc.svd_indexed, Sv(3, 3)),
    *case(oc.svd_values, Sv(4, 3)),
    *case(oc.svd_values_keyword, Sv(2, 3, 4)),
    *case(oc.svd_attribute, Sv(3, 3)),
    # --- matrix_power: positive, zero, negative powers; stacks
    *case(oc.matrix_power_3, Sq(3, 3)),
    *case(oc.matrix_power_0, Sq(3, 3), linear=True),
    *case(oc.matrix_power_1, Sq(2, 3, 3)),
    *case(oc.matrix_power_minus_2, Sq(3, 3)),
    *case(oc.matrix_power_5, Sq(2, 2, 2)),
    # --- qr (reduced; tall, square, wide): Q and R, the named field, stacks
    *case(oc.qr_both, Sv(5, 3)),
    *case(oc.qr_both, Sv(3, 5)),
    *case(oc.qr_r_field, Sv(2, 3, 4)),
    *case(oc.qr_both, Sq(3, 3)),
    *case(oc.qr_q, Sv(2, 4, 3)),
    *case(oc.qr_r_field, Sv(4, 4)),
    # --- lstsq (full rank: tall, square, wide): solution, residuals, singular values
    *case(oc.lstsq_solution, Sv(5, 3), N(5, 2)),
    *case(oc.lstsq_solution, Sv(5, 3), N(5)),
    *case(oc.lstsq_solution, Sq(3, 3), N(3)),
    *case(oc.lstsq_solution, Sv(3, 5), N(3, 2)),
    *case(oc.lstsq_all, Sv(3, 5), N(3)),
    *case(oc.lstsq_all, Sv(5, 3), N(5, 2)),
    *case(oc.lstsq_all, Sv(6, 3), N(6)),
    *case(oc.lstsq_all, Sq(3, 3), N(3, 2)),
    *case(oc.lstsq_residuals, Sv(5, 3), N(5, 2)),
    *case(oc.lstsq_gradient_inside, Sv(5, 3), N(5, 2)),
]


@pytest.mark.parametrize('fn, args, wrt, linear, dtype, rtol, atol', CASES)
def test_rule(fn, args, wrt, linear, dtype, rtol, atol):
    run_case(fn, args, wrt, linear, dtype, rtol, atol)


# ------------------------------------------------------- exact edge cases

def grad_of(fn, *args, wrt=0):
    return sg.grad(fn, wrt=wrt)(*args)


DTYPES = (np.float64, np.float32)


@pytest.mark.parametrize('dtype', DTYPES)
def test_det_of_singular_matrices_is_the_cofactor_matrix(dtype):
    # where inv(A) does not exist the gradient of det is still finite
    a = np.array([[1.0, 2.0], [2.0, 4.0]], dtype)
    g = grad_of(oc.det_only, a)
    assert g.dtype == dtype
    np.testing.assert_allclose(g, [[4.0, -2.0], [-2.0, 1.0]], rtol=1e-5, atol=1e-6)
    rank_one = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 0.5]).astype(dtype)
    np.testing.assert_allclose(grad_of(oc.det_only, rank_one), np.zeros((3, 3)), atol=1e-5)
    rank_two = np.array([[1.0, 0, 0], [0, 2.0, 0], [0, 0, 0]], dtype)
    np.testing.assert_allclose(grad_of(oc.det_only, rank_two),
                               [[0, 0, 0], [0, 0, 0], [0, 0, 2.0]], atol=1e-6)
    np.testing.assert_allclose(grad_of(oc.det_only, np.zeros((2, 2), dtype)), np.zeros((2, 2)))
    stack = np.stack([np.eye(2), [[1.0, 2.0], [2.0, 4.0]]]).astype(dtype)
    np.testing.assert_allclose(grad_of(oc.det_only, stack),
                               [np.eye(2), [[4.0, -2.0], [-2.0, 1.0]]], rtol=1e-5, atol=1e-6)
    assert grad_of(oc.det_only, np.array([[3.0]], dtype)) == 1.0


def test_slogdet_sign_has_no_gradient():
    a = np.array([[1.0, 2.0], [3.0, -1.0]])
    # sign * sum(a): the sign is a constant factor
    np.testing.assert_array_equal(grad_of(oc.slogdet_sign_only, a), -np.ones((2, 2)))


@pytest.mark.parametrize('dtype', DTYPES)
def test_norm_at_zero_is_zero(dtype):
    zeros = np.zeros(4, dtype)
    for fn in (oc.norm_default, oc.norm_ord2, oc.norm_ord1, oc.norm_inf, oc.norm_ord3,
               oc.norm_ord1_5, oc.norm_ord2_keepdims, oc.norm_axis_keepdims):
        g = grad_of(fn, zeros if fn is not oc.norm_axis_keepdims else np.zeros((2, 2), dtype))
        assert g.dtype == dtype and not np.isnan(g).any(), fn.__name__
        np.testing.assert_array_equal(g, np.zeros_like(g), err_msg=fn.__name__)
    m = np.zeros((3, 2), dtype)
    for fn in (oc.norm_default, oc.norm_fro, oc.norm_ord2, oc.norm_spectral_axes,
               oc.norm_fro_axes, oc.norm_none_axes):
        x = m if fn not in (oc.norm_spectral_axes, oc.norm_fro_axes, oc.norm_none_axes) \
            else np.zeros((3, 2, 2), dtype)
        g = grad_of(fn, x)
        np.testing.assert_array_equal(g, np.zeros_like(x), err_msg=fn.__name__)
    # a column of zeros among others: only that column is 0
    x = np.array([[3.0, 0.0], [4.0, 0.0]], dtype)
    np.testing.assert_allclose(grad_of(oc.norm_axis0, x),
                               [[0.6 * np.cos(0.3), 0], [0.8 * np.cos(0.3), 0]], rtol=1e-6)
    assert grad_of(oc.norm_default, 0.0) == 0.0
    # the entries that are 0 of a p-norm with p < 1: 0 (no NaN)
    g = grad_of(oc.norm_ord_half, np.array([0.0, 1.0, 4.0], dtype))
    assert g[0] == 0 and np.isfinite(g).all()


@pytest.mark.parametrize('dtype', DTYPES)
def test_norm_ties_share_the_gradient(dtype):
    x = np.array([1.0, -3.0, 3.0, 0.0], dtype)
    assert grad_of(oc.norm_inf, x).tolist() == [0, -0.5, 0.5, 0]
    assert grad_of(oc.norm_minus_inf, np.array([2.0, -1.0, 1.0], dtype)).tolist() == [0, -0.5, 0.5]
    assert grad_of(oc.norm_ord1, x).tolist() == [1, -1, 1, 0]
    m = np.array([[1.0, -2.0], [2.0, 1.0]], dtype)      # column sums 3 and 3, row sums 3, 3
    np.testing.assert_array_equal(grad_of(oc.norm_ord1, m), [[0.5, -0.5], [0.5, 0.5]])
    np.testing.assert_array_equal(grad_of(oc.norm_inf, m), [[0.5, -0.5], [0.5, 0.5]])
    m = np.array([[1.0, -2.0], [4.0, 1.0]], dtype)      # column 0 wins, row 1 wins
    np.testing.assert_array_equal(grad_of(oc.norm_ord1, m), [[1, 0], [1, 0]])
    np.testing.assert_array_equal(grad_of(oc.norm_inf, m), [[0, 0], [1, 1]])
    # equal singular values: the spectral norm's gradient is shared among them
    np.testing.assert_allclose(grad_of(oc.norm_ord2, np.eye(3, dtype=dtype)),
                               np.eye(3) / 3, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad_of(oc.norm_min_singular_2d, 2 * np.eye(2, dtype=dtype)),
                               np.eye(2) / 2, rtol=1e-5, atol=1e-6)


def test_norm_of_a_vector_without_axis_is_the_vector_norm():
    # ord 1, 2, inf without axis: the rank of x (known at run time) decides
    x = np.array([3.0, -4.0])
    np.testing.assert_allclose(grad_of(oc.norm_ord2, x), [0.6, -0.8])
    np.testing.assert_array_equal(grad_of(oc.norm_ord1, x), [1, -1])
    np.testing.assert_array_equal(grad_of(oc.norm_inf, x), [0, -1])


def test_norm_with_a_negative_ord_and_no_axis_is_refused():
    with pytest.raises(sg.TransformError, match=r'norm\(x, ord=-1\) without axis'):
        grad_of(oc.norm_ord_minus1, np.array([1.0, 2.0]))


@pytest.mark.parametrize('dtype', DTYPES)
def test_repeated_eigenvalues_give_finite_eigenvalue_gradients(dtype):
    # sum(w^2) = |A|_F^2 for symmetric A: the gradient is 2A folded onto the
    # lower triangle, also where the eigenvalues are equal
    for a in (np.eye(3, dtype=dtype), 2 * np.eye(3, dtype=dtype),
              np.diag([1.0, 1.0, 3.0]).astype(dtype)):
        g = grad_of(oc.eigh_values_sum, a)
        assert g.dtype == dtype
        np.testing.assert_allclose(g, 2 * a, rtol=1e-5, atol=1e-6)
    # singular values: sum(s) at the identity is the nuclear norm: U Vt = I
    g = grad_of(oc.svd_values_sum, np.eye(3, dtype=dtype))
    np.testing.assert_allclose(g, np.eye(3), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad_of(oc.norm_nuc, np.eye(2, dtype=dtype)), np.eye(2),
                               rtol=1e-5, atol=1e-6)


def test_zero_singular_values_and_repeated_eigenvalues_give_no_nan():
    tall = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    for fn, x in [(oc.svd_values_sum, tall), (oc.svd_values_sum, tall.T),
                  (oc.svd_thin_values, tall), (oc.norm_nuc, tall)]:
        g = grad_of(fn, x)
        assert np.isfinite(g).all(), fn.__name__
    # sum(s) at a rank-deficient matrix: a subgradient of the nuclear norm
    np.testing.assert_allclose(grad_of(oc.svd_values_sum, tall), [[1, 0], [0, 1], [0, 0]],
                               atol=1e-12)
    g = grad_of(oc.eig_values, np.diag([1.0, 1.0, 2.0]))
    np.testing.assert_allclose(g, np.diag(np.cos(0.7 * np.arange(3) + 0.3)), atol=1e-12)


def test_second_derivative_of_det_needs_an_invertible_matrix():
    # the first derivative is finite at a singular matrix, the second is refused
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(np.linalg.LinAlgError):
        sg.grad(sg.grad(oc.det_only))(singular)
    # det = a00 a11 - a01 a10: the sum of its gradient is a11 - a10 - a01 + a00
    np.testing.assert_allclose(sg.grad(sg.grad(oc.det_only))(np.eye(2)),
                               [[1.0, -1.0], [-1.0, 1.0]], atol=1e-12)


def test_eigh_and_cholesky_read_one_triangle():
    rng = np.random.default_rng(0)
    a = _positive(rng, (4, 4))
    lower_only = np.tril(np.ones((4, 4)))
    for fn in (oc.eigh_both, oc.cholesky_np):
        g = grad_of(fn, a)
        assert np.all(g[lower_only == 0] == 0), fn.__name__
        # changing the unread triangle changes nothing
        b = a + np.triu(rng.standard_normal((4, 4)), 1)
        np.testing.assert_allclose(fn(b), fn(a))
        np.testing.assert_allclose(grad_of(fn, b), g, rtol=1e-10, atol=1e-12)
    for fn in (oc.eigh_upper, oc.cholesky_upper):
        g = grad_of(fn, a)
        assert np.all(g[lower_only.T == 0] == 0), fn.__name__


def test_complex_eigenvalues_give_real_gradients():
    rng = np.random.default_rng(3)
    a = _complex_pair(rng, (3, 3))
    assert np.iscomplexobj(np.linalg.eig(a)[0])
    g = grad_of(oc.eig_complex, a)
    assert g.dtype == np.float64 and np.isfinite(g).all()


# ------------------------------------------------------------ vs autograd

def a_det(a):
    return anp.sum(anp.linalg.det(a))


def a_slogdet(a):
    return anp.linalg.slogdet(a)[1]


def a_inv(a):
    return anp.sum(anp.linalg.inv(a) * oc.weights(a.shape[-2:]))


def a_solve(a, b):
    return anp.sum(anp.linalg.solve(a, b) ** 2)


def a_norm_ord3(x):
    return anp.linalg.norm(x, 3)


def a_norm_nuc(x):
    return anp.linalg.norm(x, 'nuc')


def a_eigh(a):
    w, v = anp.linalg.eigh(a)
    return anp.sum(w ** 2) + anp.sum(v[..., :1, :] * v * oc.weights(a.shape[-2:]))


def a_cholesky(a):
    return anp.sum(anp.linalg.cholesky(a) * oc.weights(a.shape[-2:]))


def a_svd(a):
    u, s, vt = anp.linalg.svd(a, full_matrices=False)
    return anp.sum(s ** 3)


def a_pinv(a):
    return anp.sum(anp.linalg.pinv(a) * oc.weights(a.shape[-2:]).T)


def _fold_lower(g):
    # autograd's cholesky gradient is symmetric; NumPy reads the lower triangle
    return np.tril(g + np.swapaxes(g, -1, -2), -1) + g * np.eye(g.shape[-1])


@pytest.mark.parametrize('ours, theirs, make, fold', [
    (oc.det_np, a_det, lambda r: _square(r, (2, 3, 3)), False),
    (oc.slogdet_indexed, a_slogdet, lambda r: _square(r, (3, 3)), False),
    (oc.inv_np, a_inv, lambda r: _square(r, (2, 3, 3)), False),
    (oc.norm_ord3, a_norm_ord3, lambda r: r.standard_normal(5), False),
    (oc.norm_nuc, a_norm_nuc, lambda r: _separated(r, (3, 4)), False),
    (oc.eigh_both, a_eigh, lambda r: _symmetric(r, (2, 3, 3)), False),
    (oc.cholesky_np, a_cholesky, lambda r: _positive(r, (3, 3)), True),
    (oc.svd_thin_values, a_svd, lambda r: _separated(r, (4, 3)), False),
    (oc.pinv_np, a_pinv, lambda r: _separated(r, (4, 3)), False),
], ids=lambda v: getattr(v, '__name__', None))
def test_agrees_with_autograd(ours, theirs, make, fold):
    a = make(np.random.default_rng(7))
    expected = autograd.grad(theirs)(a)
    if fold:
        expected = _fold_lower(expected)
    np.testing.assert_allclose(grad_of(ours, a), expected, rtol=1e-7, atol=1e-10)


def test_solve_agrees_with_autograd():
    rng = np.random.default_rng(8)
    a, b = _square(rng, (3, 3)), rng.standard_normal(3)
    ours = grad_of(oc.solve_squared, a, b, wrt=(0, 1))
    theirs = autograd.grad(a_solve, (0, 1))(a, b)
    for x, y in zip(ours, theirs):
        np.testing.assert_allclose(x, y, rtol=1e-7, atol=1e-10)


def test_generated_gradient_reads_like_the_maths():
    source = sg.grad(oc.inv_la).source
    assert '-(' in source and ' @ ' in source and 'swapaxes(' in source
    source = sg.grad(oc.det_la).source
    assert '_sg_cofactor(a)' in source


def test_matrix_power_exact_values():
    a = np.array([[1.0, 2.0], [0.0, 3.0]])
    # n = 0: the identity, no gradient; n = 2: dY A^T + A^T dY summed
    np.testing.assert_array_equal(sg.grad(oc.matrix_power_0)(a), np.eye(2))
    ones = np.ones((2, 2))
    np.testing.assert_allclose(sg.grad(square_sum)(a), ones @ a.T + a.T @ ones)


def square_sum(a):
    return np.sum(np.linalg.matrix_power(a, 2))


def test_matrix_power_lstsq_refusals_name_the_users_line():
    from test_errors import line_of
    with pytest.raises(sg.TransformError, match='the power must be a constant') as info:
        sg.grad(oc.matrix_power_of_argument)(np.eye(2), 2)
    assert info.value.lineno == line_of(oc.matrix_power_of_argument)
    # a rank-deficient least-squares problem: the gradient raises when it runs, with a
    # note naming the line
    with pytest.raises(ValueError, match='full rank') as info:
        sg.grad(oc.lstsq_rank_deficient)(np.ones((3, 3)))
    assert f'op_cases_linalg.py:{line_of(oc.lstsq_rank_deficient)}' in \
        ' '.join(info.value.__notes__)
