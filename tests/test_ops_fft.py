"""numpy.fft and the parts of complex numbers: every rule of s2sgrad/rules/fft.py.

The table runs each call form (tests/op_cases_fft.py) through the systematic
check of tests/test_rules.py: gradient and second derivative against central
differences, in float64 and float32, for real inputs (the losses are real,
the intermediates complex).  The tests after it check complex inputs against
the convention of the rules' module docstring (dL/dx - i dL/dy, autograd's),
by finite differences along the real and the imaginary axis and against
autograd; and the exact edge cases: odd lengths of the real transforms, the
angle at 0, real gradients of real inputs.
"""
import re
import warnings

import numpy as np
import pytest

import s2sgrad as sg
from test_rules import case, run_case, N, Z
import op_cases_fft as oc

try:
    import autograd
    import autograd.numpy as anp
except ImportError:                 # a test extra: the comparisons with autograd are skipped
    autograd = anp = None




CASES = [
    # --- fft, ifft: n, axis, norm, module spellings
    *case(oc.fft_default, N(8), linear=True),
    *case(oc.fft_default, N(7), linear=True),
    *case(oc.fft_default, N(3, 5), linear=True),
    *case(oc.fft_n_pad, N(7), linear=True),
    *case(oc.fft_n_crop, N(2, 7), linear=True),
    *case(oc.fft_axis0, N(4, 3), linear=True),
    *case(oc.fft_axis_neg2, N(2, 4, 3), linear=True),
    *case(oc.fft_ortho, N(6), linear=True),
    *case(oc.fft_forward, N(5), linear=True),
    *case(oc.fft_backward, N(2, 4), linear=True),
    *case(oc.nf_fft, N(6), linear=True),
    *case(oc.from_numpy_fft, N(3, 4), linear=True),
    *case(oc.fft_power, N(7)),
    *case(oc.fft_power, N(2, 6)),
    *case(oc.ifft_default, N(8), linear=True),
    *case(oc.ifft_default, N(3, 5), linear=True),
    *case(oc.ifft_n_pad, N(6), linear=True),
    *case(oc.ifft_n_crop_axis0, N(5, 2), linear=True),
    *case(oc.ifft_ortho, N(7), linear=True),
    *case(oc.ifft_forward, N(4), linear=True),
    *case(oc.ifft_power, N(5)),
    *case(oc.fft_filter, N(8), N(8)),
    *case(oc.fft_filter, N(3, 5), N(5)),
    *case(oc.fft_of_complex, N(6)),
    # --- fft2, ifft2, fftn, ifftn: s, axes, norm
    *case(oc.fft2_default, N(3, 4), linear=True),
    *case(oc.fft2_default, N(2, 3, 5), linear=True),
    *case(oc.fft2_s_pad, N(3, 5), linear=True),
    *case(oc.fft2_s_crop, N(3, 5), linear=True),
    *case(oc.fft2_axes, N(3, 2, 4), linear=True),
    *case(oc.fft2_axes_reversed, N(4, 4), linear=True),
    *case(oc.fft2_ortho, N(3, 3), linear=True),
    *case(oc.fft2_power, N(3, 4)),
    *case(oc.ifft2_default, N(4, 3), linear=True),
    *case(oc.ifft2_s, N(3, 5), linear=True),
    *case(oc.ifft2_forward, N(3, 5), linear=True),
    *case(oc.fftn_default, N(2, 3, 4), linear=True),
    *case(oc.fftn_default, N(5), linear=True),
    *case(oc.fftn_axes, N(2, 3, 4), linear=True),
    *case(oc.fftn_axis_single, N(2, 3, 4), linear=True),
    *case(oc.fftn_s_axes, N(2, 4, 3), linear=True),
    *case(oc.fftn_ortho, N(3, 4), linear=True),
    *case(oc.fftn_power, N(3, 3, 2)),
    *case(oc.ifftn_default, N(3, 4), linear=True),
    *case(oc.ifftn_s_axes, N(3, 3), linear=True),
    *case(oc.ifftn_forward, N(2, 3, 3), linear=True),
    *case(oc.fftn_roundtrip, N(3, 4), N(3, 4)),
    *case(oc.fftn_roundtrip, N(3, 4), N(4)),
    # --- rfft, irfft: even and odd lengths, n pads and crops
    *case(oc.rfft_default, N(8), linear=True),
    *case(oc.rfft_default, N(7), linear=True),
    *case(oc.rfft_default, N(3, 5), linear=True),
    *case(oc.rfft_default, N(1), linear=True),
    *case(oc.rfft_n_pad, N(7), linear=True),
    *case(oc.rfft_n_pad_odd, N(6), linear=True),
    *case(oc.rfft_n_crop_odd, N(2, 8), linear=True),
    *case(oc.rfft_axis0, N(5, 3), linear=True),
    *case(oc.rfft_ortho, N(6), linear=True),
    *case(oc.rfft_forward, N(7), linear=True),
    *case(oc.rfft_power, N(7)),
    *case(oc.rfft_power, N(3, 6)),
    *case(oc.irfft_real_input, N(5), linear=True),
    *case(oc.irfft_real_input, N(2, 4), linear=True),
    *case(oc.irfft_of_fft, N(5), linear=True),
    *case(oc.irfft_of_fft, N(6), linear=True),
    *case(oc.irfft_odd_n, N(5), linear=True),
    *case(oc.irfft_odd_n, N(2, 3), linear=True),
    *case(oc.irfft_even_n, N(7), linear=True),
    *case(oc.irfft_n_pad, N(5), linear=True),
    *case(oc.irfft_n_one, N(3), linear=True),
    *case(oc.irfft_axis0, N(4, 3), linear=True),
    *case(oc.irfft_ortho, N(6), linear=True),
    *case(oc.irfft_forward_odd, N(4), linear=True),
    *case(oc.rfft_filter, N(7), N(4)),
    *case(oc.rfft_filter, N(8), N(5)),
    *case(oc.rfft_filter_squared, N(2, 9), N(5)),
    # --- rfft2, irfft2, rfftn, irfftn
    *case(oc.rfft2_default, N(3, 5), linear=True),
    *case(oc.rfft2_default, N(4, 4), linear=True),
    *case(oc.rfft2_s, N(3, 3), linear=True),
    *case(oc.rfft2_axes, N(3, 2, 4), linear=True),
    *case(oc.rfft2_power, N(3, 5)),
    *case(oc.irfft2_default, N(3, 4), linear=True),
    *case(oc.irfft2_s_odd, N(3, 4), linear=True),
    *case(oc.irfft2_forward, N(3, 5), linear=True),
    *case(oc.rfftn_default, N(2, 3, 5), linear=True),
    *case(oc.rfftn_default, N(6), linear=True),
    *case(oc.rfftn_s_axes, N(2, 3, 4), linear=True),
    *case(oc.rfftn_axes, N(2, 5, 3), linear=True),
    *case(oc.rfftn_ortho, N(3, 5), linear=True),
    *case(oc.irfftn_default, N(2, 3, 4), linear=True),
    *case(oc.irfftn_default, N(3, 3), linear=True),
    *case(oc.irfftn_s_axes, N(2, 3, 4), linear=True),
    *case(oc.irfftn_axes, N(3, 2, 5), linear=True),
    *case(oc.rfftn_roundtrip, N(2, 3, 5), N(2, 3, 3)),
    # --- fftshift, ifftshift
    *case(oc.fftshift_default, N(5), linear=True),
    *case(oc.fftshift_default, N(3, 4), linear=True),
    *case(oc.fftshift_axes, N(3, 5), linear=True),
    *case(oc.fftshift_axes_tuple, N(3, 2, 5), linear=True),
    *case(oc.ifftshift_default, N(3, 5), linear=True),
    *case(oc.ifftshift_axes, N(2, 7), linear=True),
    *case(oc.shifted_spectrum, N(7)),
    *case(oc.ifftshift_of_complex, N(5, 2), linear=True),
    # --- real, imag, conj, conjugate, angle, real_if_close: of real and complex values
    *case(oc.np_real_of_real, N(3, 4), linear=True),
    *case(oc.np_real_of_real, N(float), linear=True),
    *case(oc.np_imag_of_real, N(3, 4), linear=True),
    *case(oc.np_imag_of_real, N(float), linear=True),
    *case(oc.np_conj_of_real, N(5), linear=True),
    *case(oc.np_conjugate_of_real, N(2, 3), linear=True),
    *case(oc.angle_of_real, Z(3, 4), linear=True),
    *case(oc.angle_of_real, Z(float), linear=True),
    *case(oc.real_if_close_of_real, N(3, 4), linear=True),
    *case(oc.method_real, N(6), linear=True),
    *case(oc.method_imag, N(6), linear=True),
    *case(oc.np_real_spectrum, N(5)),
    *case(oc.np_imag_spectrum, N(3, 4)),
    *case(oc.method_conj, N(5)),
    *case(oc.method_conjugate, N(6)),
    *case(oc.np_conj_spectrum, N(4)),
    *case(oc.angle_spectrum, N(5)),
    *case(oc.angle_deg, N(6)),
    *case(oc.angle_deg_positional, N(3, 4)),
    *case(oc.real_if_close_real, N(6)),
    *case(oc.real_if_close_complex, N(5)),
    # --- np.abs of a complex value (a rule outside this family)
    *case(oc.abs_spectrum, N(6)),
    *case(oc.abs_squared_spectrum, N(5)),
]


# A real input multiplied by a complex value (fft_filter's h) gets its gradient
# through a cast that warns: see the xfail test at the end of this file.
@pytest.mark.parametrize('fn, args, wrt, linear, dtype, rtol, atol', CASES)
def test_rule(fn, args, wrt, linear, dtype, rtol, atol):
    run_case(fn, args, wrt, linear, dtype, rtol, atol)


# ------------------------------------------------------------------ complex inputs
# sg.grad of a real loss of a complex array z gives dL/dx - i dL/dy (z = x + iy):
# checked by central differences along the real and the imaginary axis of every
# entry, at first and second order, and against autograd where it can run.

def complex_numerical_grad(f, *args, wrt=0, step=1e-6):
    """dL/dx - i dL/dy of the real scalar f(*args) w.r.t. the complex argument `wrt`."""
    args = list(args)
    z = np.asarray(args[wrt], dtype=complex)
    grad = np.zeros(z.shape, dtype=complex)
    for index in np.ndindex(z.shape):
        parts = []
        for unit in (1.0, 1j):
            moved = []
            for sign in (1.0, -1.0):
                zz = z.copy()
                zz[index] += sign * step * unit
                args[wrt] = zz
                moved.append(float(np.real(f(*args))))
            parts.append((moved[0] - moved[1]) / (2 * step))
        grad[index] = parts[0] - 1j * parts[1]
    return grad


def complex_arg(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def a_view(z):
    k = anp.arange(z.size).reshape(z.shape)
    return anp.real(z) * anp.cos(k) + anp.imag(z) * anp.sin(k + 0.5)


def a_power(z):
    k = anp.arange(z.size).reshape(z.shape)
    return anp.real(z * anp.conj(z)) * anp.cos(0.7 * k)


def a_loss(z):
    return anp.sum(a_view(z) + a_power(z))


AFFT = None if anp is None else anp.fft

# (case function, shape of z, the same function for autograd or None where autograd
#  has no gradient: the odd lengths of the real transforms, angle(deg=True))
COMPLEX_TABLE = [
    (oc.c_fft, (6,), lambda z: a_loss(AFFT.fft(z))),
    (oc.c_fft, (2, 5), lambda z: a_loss(AFFT.fft(z))),
    (oc.c_fft_n_odd, (5,), lambda z: a_loss(AFFT.fft(z, 7))),
    (oc.c_ifft_ortho, (7,), lambda z: a_loss(AFFT.ifft(z, norm='ortho'))),
    (oc.c_fft2_s, (4, 4), lambda z: a_loss(AFFT.fft2(z, s=(3, 5)))),
    (oc.c_fftn_axes, (3, 2), lambda z: a_loss(AFFT.fftn(z, axes=(0,)))),
    (oc.c_ifftn_forward, (3, 4), lambda z: a_loss(AFFT.ifftn(z, s=(2, 5), axes=(0, 1),
                                                             norm='forward'))),
    (oc.c_irfft, (5,), lambda z: a_loss(AFFT.irfft(z))),
    (oc.c_irfft, (3, 4), lambda z: a_loss(AFFT.irfft(z))),
    (oc.c_irfft_odd, (4,), None),
    (oc.c_irfft_odd, (5,), None),
    (oc.c_irfft_crop, (5,), None),
    (oc.c_irfft2, (3, 4), lambda z: a_loss(AFFT.irfft2(z))),
    (oc.c_irfftn_odd, (4, 2), None),
    (oc.c_fftshift, (3, 4), lambda z: a_loss(AFFT.fftshift(z))),
    (oc.c_ifftshift, (5, 2), lambda z: a_loss(AFFT.ifftshift(z, axes=0))),
    (oc.c_real, (5,), lambda z: a_loss(anp.real(z) * z)),
    (oc.c_imag, (5,), lambda z: a_loss(anp.imag(z) * z)),
    (oc.c_conj, (2, 3), lambda z: a_loss(anp.conj(z) * anp.exp(0.3 * z))),
    (oc.c_conj_method, (4,), lambda z: a_loss(anp.conj(z) * z[::-1])),
    (oc.c_angle, (5,), lambda z: a_loss(anp.angle(z) * z)),
    (oc.c_angle_deg, (2, 3), None),                     # autograd's angle has no deg=
    (oc.c_real_if_close, (4,), lambda z: a_loss(anp.real_if_close(z) * z)),
]
ABS_CASES = [
    pytest.param(oc.c_abs, (5,), lambda z: a_loss(anp.abs(z)), id='c_abs'),
    pytest.param(oc.c_abs_in_fft, (4,), lambda z: a_loss(AFFT.fft(anp.abs(z) * z)),
                 id='c_abs_in_fft'),
]
COMPLEX_CASES = [pytest.param(fn, shape, afn, id=f'{fn.__name__}{shape}')
                 for fn, shape, afn in COMPLEX_TABLE] + ABS_CASES
AUTOGRAD_CASES = [pytest.param(fn, shape, afn, id=f'{fn.__name__}{shape}')
                  for fn, shape, afn in COMPLEX_TABLE if afn is not None] + ABS_CASES


@pytest.mark.parametrize('fn, shape, afn', COMPLEX_CASES)
def test_complex_input_gradient_is_dx_minus_i_dy(fn, shape, afn):
    z = complex_arg(shape, seed=len(fn.__name__))
    g = sg.grad(fn)(z)
    assert g.dtype == np.complex128 and g.shape == z.shape
    np.testing.assert_allclose(g, complex_numerical_grad(fn, z), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('fn, shape, afn', COMPLEX_CASES)
def test_complex_input_second_derivative(fn, shape, afn):
    # the gradient of Re <grad f(z), w>: the gradient code differentiated again
    z = complex_arg(shape, seed=len(fn.__name__))
    w = complex_arg(shape, seed=1 + len(fn.__name__))
    first = sg.grad(fn)

    def directional(z, w):
        return np.sum(np.real(first(z) * w))

    g = sg.grad(directional)(z, w)
    np.testing.assert_allclose(g, complex_numerical_grad(directional, z, w), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize('fn, shape, afn', AUTOGRAD_CASES)
def test_complex_input_gradient_matches_autograd(fn, shape, afn):
    if autograd is None:
        pytest.skip('autograd is not installed')
    z = complex_arg(shape, seed=len(fn.__name__))
    np.testing.assert_allclose(sg.grad(fn)(z), autograd.grad(afn)(z), rtol=1e-10, atol=1e-10)


def test_complex64_inputs_keep_their_precision():
    z = complex_arg((6,), seed=3).astype(np.complex64)
    g = sg.grad(oc.c_fft)(z)
    assert g.dtype == np.complex64
    np.testing.assert_allclose(g, sg.grad(oc.c_fft)(z.astype(np.complex128)), rtol=1e-4,
                               atol=1e-4)


def test_real_inputs_match_autograd():
    # even lengths, where autograd's real transforms have gradients
    if autograd is None:
        pytest.skip('autograd is not installed')
    x = np.random.default_rng(5).standard_normal(8)
    for fn, afn in [(oc.fft_power, lambda x: a_power(AFFT.fft(x))),
                    (oc.rfft_power, lambda x: a_power(AFFT.rfft(x))),
                    (oc.irfft_of_fft, lambda x: a_view(AFFT.irfft(AFFT.fft(x)))),
                    (oc.angle_spectrum, lambda x: anp.angle(AFFT.fft(x)))]:
        expected = autograd.grad(lambda x: anp.sum(afn(x)))(x)
        np.testing.assert_allclose(sg.grad(fn)(x), expected, rtol=1e-10, atol=1e-10)


# ----------------------------------------------- every transform against its matrix
# The transforms are linear: their Jacobian is the transform of the unit vectors,
# computed by NumPy itself.  The gradient of sum(Re(T x) gr + Im(T x) gi) must be
# Re(J)^T gr + Im(J)^T gi along each real direction of the input -- for every n / s,
# odd and even, padded and cropped, every norm.

def linear_loss(transform, size, axes, norm):
    def weighted(x, gr, gi):
        z = transform(x, size, axes, norm)
        return np.sum(np.real(z) * gr + np.imag(z) * gi)
    return weighted


def matrix_gradient(transform, size, axes, norm, x, gr, gi):
    """dL/dRe x - i dL/dIm x (the real part alone for a real x), from the basis."""
    grad = np.zeros(x.shape, dtype=x.dtype)
    for index in np.ndindex(x.shape):
        for unit in ((1.0, 1j) if np.iscomplexobj(x) else (1.0,)):
            e = np.zeros(x.shape, dtype=x.dtype)
            e[index] = unit
            column = np.asarray(transform(e, size, axes, norm))
            d = np.sum(np.real(column) * gr + np.imag(column) * gi)
            grad[index] += d if unit == 1.0 else -1j * d
    return grad


NP_FFT = np.fft
MATRIX_CASES = [
    # (transform, n or s, axis or axes, norm, input shape, complex input)
    *[(NP_FFT.rfft, n, -1, norm, (m,), False)
      for m, n in [(8, None), (7, None), (1, None), (2, None), (6, 9), (6, 10), (7, 4),
                   (7, 5), (5, 1)]
      for norm in (None, 'ortho', 'forward')],
    (NP_FFT.rfft, None, 0, None, (5, 2), False),
    *[(NP_FFT.irfft, n, -1, norm, (m,), cplx)
      for m, n in [(5, None), (4, None), (2, None), (4, 7), (4, 6), (5, 3), (3, 9), (3, 1),
                   (3, 2)]
      for norm in (None, 'ortho', 'forward') for cplx in (True, False)],
    (NP_FFT.irfft, 5, 0, 'ortho', (3, 2), True),
    *[(NP_FFT.fft, n, -1, norm, (m,), cplx)
      for m, n in [(5, None), (4, 7), (6, 3)]
      for norm in (None, 'ortho', 'forward') for cplx in (True, False)],
    *[(NP_FFT.ifft, n, axis, norm, (4, 3), cplx)
      for n, axis in [(None, 0), (5, 1), (2, -2)]
      for norm in (None, 'ortho', 'forward') for cplx in (True, False)],
    *[(t, s, axes, norm, (3, 4), cplx)
      for t in (NP_FFT.fft2, NP_FFT.ifft2, NP_FFT.fftn, NP_FFT.ifftn)
      for s, axes in [(None, (0, 1)), ((2, 5), (0, 1)), ((4, 3), (1, 0)), ((3,), (1,))]
      for norm in (None, 'ortho') for cplx in (True, False)],
    *[(t, s, axes, norm, shape, False)
      for t in (NP_FFT.rfft2, NP_FFT.rfftn)
      for shape, s, axes in [((3, 4), None, (0, 1)), ((3, 5), None, (0, 1)),
                             ((3, 4), (2, 7), (0, 1)), ((3, 4), (5, 3), (1, 0)),
                             ((2, 3, 2), (3, 3), (2, 1)), ((3, 5), (6,), (1,))]
      for norm in (None, 'forward')],
    *[(t, s, axes, norm, shape, cplx)
      for t in (NP_FFT.irfft2, NP_FFT.irfftn)
      for shape, s, axes in [((3, 4), None, (0, 1)), ((3, 4), (3, 5), (0, 1)),
                             ((3, 4), (2, 4), (0, 1)), ((3, 4), (4, 5), (1, 0)),
                             ((2, 3, 2), (3, 3), (2, 1)), ((3, 3), (4,), (0,))]
      for norm in (None, 'ortho') for cplx in (True, False)],
]


def _matrix_id(case):
    transform, size, axes, norm, shape, cplx = case
    return (f'{transform.__name__}-{size}-{axes}-{norm}-{"x".join(map(str, shape))}'
            f'{"-complex" if cplx else ""}')


@pytest.mark.parametrize('transform, size, axes, norm, shape, cplx', MATRIX_CASES,
                         ids=[_matrix_id(c) for c in MATRIX_CASES])
def test_transform_gradient_is_its_transposed_matrix(transform, size, axes, norm, shape, cplx):
    rng = np.random.default_rng(len(MATRIX_CASES))
    x = rng.standard_normal(shape)
    if cplx:
        x = x + 1j * rng.standard_normal(shape)
    out_shape = np.shape(transform(x, size, axes, norm))
    gr, gi = rng.standard_normal(out_shape), rng.standard_normal(out_shape)
    loss = linear_loss(transform, size, axes, norm)
    g = sg.grad(loss)(x, gr, gi)
    assert g.dtype == x.dtype
    np.testing.assert_allclose(g, matrix_gradient(transform, size, axes, norm, x, gr, gi),
                               rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------------ edge cases

@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_real_inputs_get_real_gradients_of_their_dtype(dtype):
    x = np.random.default_rng(2).standard_normal((3, 5)).astype(dtype)
    for fn in [oc.fft_power, oc.rfft_power, oc.irfft_of_fft, oc.fft2_power, oc.rfft2_power,
               oc.irfftn_default, oc.angle_spectrum, oc.method_conj, oc.real_if_close_real]:
        with warnings.catch_warnings():
            warnings.simplefilter('error')          # no ComplexWarning: nothing is cast
            g = sg.grad(fn)(x)
            h = sg.grad(sg.grad(fn))(x)
        assert g.dtype == dtype and h.dtype == dtype, fn.__name__
        assert np.all(np.isfinite(g)) and np.all(np.isfinite(h)), fn.__name__


@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_angle_at_zero_has_gradient_zero(dtype):
    # the angle of a real number is piecewise constant: gradient 0, also at 0
    x = np.array([0.0, -1.5, 2.0, -0.0], dtype=dtype)
    g = sg.grad(oc.angle_of_real)(x)
    assert g.dtype == dtype
    np.testing.assert_array_equal(g, np.ones(4))        # from the `+ x` only
    np.testing.assert_array_equal(sg.grad(sg.grad(oc.angle_of_real))(x), np.zeros(4))
    # at z = 0 the angle has no derivative: 0, not NaN, at every order
    z = np.array([0j, 1 + 1j, -2 + 0.5j, 0.5j])
    g = sg.grad(oc.c_angle_deg)(z)
    assert g[0] == 0 and np.all(np.isfinite(g))
    np.testing.assert_allclose(g[1:], complex_numerical_grad(oc.c_angle_deg, z)[1:],
                               rtol=1e-6)
    first = sg.grad(oc.c_angle)

    def directional(z):
        return np.sum(np.real(first(z)))

    assert np.all(np.isfinite(sg.grad(directional)(z)))


def test_angle_of_a_zero_spectrum_bin():
    # x whose spectrum has an exact zero: the angle there contributes nothing
    x = np.array([1.0, -1.0, 1.0, -1.0])              # fft: [0, 0, 4, 0]
    g = sg.grad(oc.angle_spectrum)(x)
    assert np.all(np.isfinite(g))
    np.testing.assert_array_equal(g, np.zeros(4))


@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_imag_and_conj_of_real_values(dtype):
    x = np.array([[1.5, -2.0], [0.0, 3.0]], dtype=dtype)
    g = sg.grad(oc.np_imag_of_real)(x)
    assert g.dtype == dtype
    np.testing.assert_array_equal(g, np.ones((2, 2)))     # imag(x) is the constant 0
    np.testing.assert_array_equal(sg.grad(oc.np_conj_of_real)(x), np.full((2, 2), 3.0))
    np.testing.assert_array_equal(sg.grad(oc.np_real_of_real)(x), np.full((2, 2), 2.0))
    assert sg.grad(oc.np_imag_of_real)(1.5) == 1.0


@pytest.mark.parametrize('n', [5, 6])
def test_irfft_ignores_the_imaginary_part_of_bin_0_and_nyquist(n):
    # numpy reads only the real part of bin 0 and (even n) of bin n/2
    c = complex_arg((n // 2 + 1,), seed=n)
    g = sg.grad(linear_loss(np.fft.irfft, n, -1, None))(c, np.arange(n) + 1.0, np.zeros(n))
    assert g[0].imag == 0
    if n % 2 == 0:
        assert g[-1].imag == 0
    assert np.all(g[1:n // 2 + (n % 2)].imag != 0)


def test_real_if_close_sends_the_real_part_back_when_it_drops_the_imaginary_one():
    x = np.array([0.5, -1.0, 2.0, 0.25])
    np.testing.assert_allclose(sg.grad(oc.real_if_close_real)(x), 2 * x, rtol=1e-12)
    # a complex array with negligible imaginary parts comes out real: np.real's gradient
    # (finite differences would step off that branch)
    z = np.array([1 + 1e-18j, 2 - 1e-18j])
    np.testing.assert_allclose(sg.grad(oc.c_real_if_close)(z), sg.grad(oc.c_real)(z),
                               rtol=1e-12)


def test_fftn_with_s_and_no_axes():
    # s without axes (deprecated in NumPy 2): the last len(s) axes are transformed
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        for transform in (np.fft.fftn, np.fft.ifftn, np.fft.rfftn, np.fft.irfftn):
            out_shape = np.shape(transform(x, (2, 5), None, None))
            gr, gi = rng.standard_normal(out_shape), rng.standard_normal(out_shape)
            g = sg.grad(linear_loss(transform, (2, 5), None, None))(x, gr, gi)
            expected = matrix_gradient(transform, (2, 5), None, None, x, gr, gi)
            np.testing.assert_allclose(g, expected, rtol=1e-10, atol=1e-10)


def test_s_known_only_at_run_time_needs_axes():
    # fftn(x, x.shape): how many axes are transformed is not known when transforming
    with pytest.raises(sg.TransformError, match='constants'):
        sg.grad(oc.fftn_runtime_s_no_axes)(np.ones((3, 4)))
    # with axes it works (rfftn_roundtrip passes s=np.shape(x), axes=...)
    x = np.random.default_rng(6).standard_normal((2, 3, 4))
    np.testing.assert_allclose(sg.grad(oc.fftn_runtime_s)(x), sg.grad(oc.fftn_default)(x),
                               rtol=1e-12)


def test_an_axis_transformed_twice():
    # fftn over (0, 0) is the fft applied twice: its gradient is the fftn back
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 5))
    for transform, axes in [(np.fft.fftn, (0, 0)), (np.fft.ifftn, (1, 0, 1)),
                            (np.fft.fft2, (-1, 1))]:
        out_shape = np.shape(transform(x, None, axes, None))
        gr, gi = rng.standard_normal(out_shape), rng.standard_normal(out_shape)
        g = sg.grad(linear_loss(transform, None, axes, None))(x, gr, gi)
        np.testing.assert_allclose(g, matrix_gradient(transform, None, axes, None, x, gr, gi),
                                   rtol=1e-10, atol=1e-10)
    # with s=, or in a real transform, the lengths between the two passes are lost:
    # refused when the gradient runs (even spelled (0, -2) for a 2-d array)
    for transform, size, axes in [(np.fft.fftn, (3, 2), (0, 0)), (np.fft.rfftn, None, (1, 1)),
                                  (np.fft.rfftn, None, (0, -2)), (np.fft.irfftn, None, (0, 0)),
                                  (np.fft.rfft2, (4, 6), (1, -1)), (np.fft.ifft2, (3, 3), (0, 0))]:
        out_shape = np.shape(transform(x, size, axes, None))
        with pytest.raises(NotImplementedError, match='transforms an axis twice'):
            sg.grad(linear_loss(transform, size, axes, None))(x, np.ones(out_shape),
                                                              np.ones(out_shape))


def test_fftshift_moves_the_gradient_back():
    x = np.arange(5.0)
    np.testing.assert_array_equal(sg.grad(oc.fftshift_default)(x),
                                  np.fft.ifftshift(np.arange(5.0)))
    np.testing.assert_array_equal(sg.grad(oc.ifftshift_default)(x),
                                  np.fft.fftshift(np.arange(5.0)))


def test_generated_gradient_reads_like_the_maths():
    # (NumPy's fft module is spelled as the user's module imports it: np.fft or nf)
    source = sg.grad(oc.fft_power).source
    assert re.search(r'_sg_fit_like\((np\.fft|nf)\.fft\(', source)
    source = sg.grad(oc.irfft_odd_n).source
    assert re.search(r"np\.conj\((np\.fft|nf)\.rfft\(np\.real\(", source)
    assert "norm='forward'" in source and '_sg_hermitian_weights(' in source




def test_real_factor_of_a_complex_value_gets_a_real_gradient_without_a_warning():
    x = np.random.default_rng(7).standard_normal(6)
    h = np.random.default_rng(8).standard_normal(6)
    with warnings.catch_warnings():
        warnings.simplefilter('error', np.exceptions.ComplexWarning)
        sg.grad(oc.fft_filter, wrt=(0, 1))(x, h)
