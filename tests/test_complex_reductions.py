"""var, std, nanvar, nanstd and np.linalg.norm of complex values (FFT intermediates
of real inputs): their gradients are the conjugate of the real formula (the
convention of abs_grad), checked against central differences and autograd."""
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

VECTOR = {
    'var': lambda x: np.var(np.fft.fft(x)),
    'var_ddof': lambda x: np.var(np.fft.fft(x), ddof=1),
    'std': lambda x: np.std(np.fft.fft(x)),
    'nanvar': lambda x: np.nanvar(np.fft.fft(x), ddof=1),
    'nanstd': lambda x: np.nanstd(np.fft.fft(x)),
    'norm': lambda x: np.linalg.norm(np.fft.fft(x)),
    'norm_ord2': lambda x: np.linalg.norm(np.fft.fft(x), 2),
    'norm_ord2_axis': lambda x: np.linalg.norm(np.fft.fft(x), ord=2, axis=0),
    'norm_ord1': lambda x: np.linalg.norm(np.fft.fft(x), 1),
    'norm_inf': lambda x: np.linalg.norm(np.fft.fft(x), np.inf),
    'norm_minus_inf': lambda x: np.linalg.norm(np.fft.rfft(x), -np.inf, axis=0),
    'norm_ord3': lambda x: np.linalg.norm(np.fft.fft(x), 3, axis=0),
    'norm_ord_half': lambda x: np.linalg.norm(np.fft.fft(x) + 1j, 0.5, axis=-1),
    'norm_of_product': lambda x: np.linalg.norm(np.exp(1j * x) * x),
    'std_of_product': lambda x: np.std(np.fft.fft(x) * x),
    'std_of_exp_product': lambda x: np.std(np.exp(1j * x) * x),
    'var_of_exp_product': lambda x: np.var(np.exp(1j * x) * x, ddof=1),
}

MATRIX = {
    'fro': lambda m: np.linalg.norm(np.fft.fft(m), 'fro'),
    'default': lambda m: np.linalg.norm(np.fft.fft2(m)),
    'ord1': lambda m: np.linalg.norm(np.fft.fft(m), 1),
    'ord_minus1': lambda m: np.linalg.norm(np.fft.fft(m), -1, axis=(0, 1)),
    'inf': lambda m: np.linalg.norm(np.fft.fft(m), np.inf),
    'minus_inf': lambda m: np.linalg.norm(np.fft.fft(m), -np.inf, axis=(0, 1)),
    'spectral': lambda m: np.linalg.norm(np.fft.fft(m), 2),
    'min_singular': lambda m: np.linalg.norm(np.fft.fft(m), -2, axis=(0, 1)),
    'nuc': lambda m: np.linalg.norm(np.fft.fft(m), 'nuc'),
    'nuc_axes': lambda m: np.linalg.norm(np.fft.fft(m), 'nuc', axis=(1, 0)),
    'rows': lambda m: np.sum(np.linalg.norm(np.fft.fft(m), axis=1)),
    'rows_ord1': lambda m: np.sum(np.linalg.norm(np.fft.fft(m), ord=1, axis=1)),
    'columns_keepdims': lambda m: np.sum(np.linalg.norm(np.fft.fft(m), axis=0, keepdims=True)),
    'var_axis0': lambda m: np.sum(np.var(np.fft.fft(m), axis=0)),
    'std_axis1_keepdims': lambda m: np.sum(np.std(np.fft.fft(m), axis=1, keepdims=True)),
    'nanvar_axis1': lambda m: np.sum(np.nanvar(np.fft.fft(m), axis=1)),
    'nanstd_axis0': lambda m: np.sum(np.nanstd(np.fft.fft(m), axis=0, ddof=1)),
    'var_where': lambda m: np.var(np.fft.fft(m), where=np.array([True, False, True, True])),
}


@pytest.mark.parametrize('name', sorted(VECTOR))
def test_vector_against_central_differences(name):
    x = np.random.default_rng(0).normal(size=6)
    check_grads(VECTOR[name], x, order=1)


@pytest.mark.parametrize('name', sorted(MATRIX))
def test_matrix_against_central_differences(name):
    m = np.random.default_rng(1).normal(size=(3, 4))
    check_grads(MATRIX[name], m, order=1)


def test_reported_case_direction():
    # the reported program: 0.039 where central differences give -0.316
    rng = np.random.default_rng(2)
    x, v = rng.normal(size=8), rng.normal(size=8)
    f = lambda x: np.linalg.norm(np.fft.fft(x))
    h = 1e-6
    numeric = (f(x + h * v) - f(x - h * v)) / (2 * h)
    assert np.isclose(np.dot(sg.grad(f)(x), v), numeric, rtol=1e-6)


@pytest.mark.parametrize('name', ['var', 'std', 'norm', 'norm_ord1', 'norm_inf'])
def test_against_autograd(name):
    autograd = pytest.importorskip('autograd')
    anp = pytest.importorskip('autograd.numpy')
    spelled = {
        'var': lambda x: anp.var(anp.fft.fft(x)),
        'std': lambda x: anp.std(anp.fft.fft(x)),
        'norm': lambda x: anp.linalg.norm(anp.fft.fft(x)),
        'norm_ord1': lambda x: anp.sum(anp.abs(anp.fft.fft(x))),
        'norm_inf': lambda x: anp.max(anp.abs(anp.fft.fft(x))),
    }[name]
    x = np.random.default_rng(3).normal(size=7)
    np.testing.assert_allclose(sg.grad(VECTOR[name])(x), autograd.grad(spelled)(x),
                               rtol=1e-9, atol=1e-12)


def test_second_order_of_complex_norm():
    x = np.random.default_rng(4).normal(size=5)
    check_grads(lambda x: np.linalg.norm(np.fft.fft(x) * x), x, order=2)
    check_grads(lambda x: np.var(np.fft.fft(x) * x), x, order=2)
