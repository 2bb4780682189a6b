"""The functions of tests/test_ops_fft.py: numpy.fft and the parts of complex numbers.

One small function per call form.  The losses are real: `view` reads the real
and imaginary part of every entry of a complex array with a different weight
(linear, so its cases are `linear=True`), `power` weighs |z|^2 entry by entry
(quadratic).  The module is spelled the ways users import it: `np.fft.fft`,
`import numpy.fft as nf`, `from numpy import fft`, `from numpy.fft import rfft`.
"""
import numpy as np
import numpy.fft as nf
from numpy import fft
from numpy.fft import fftshift, irfft, rfft


def view(z):
    """A real array reading the real and imaginary part of each entry of z
    with its own weight (linear in z)."""
    k = np.arange(np.size(z)).reshape(np.shape(z))
    return np.real(z) * np.cos(k) + np.imag(z) * np.sin(k + 0.5)


def power(z):
    """|z|^2 entry by entry, with its own weight (quadratic in z)."""
    k = np.arange(np.size(z)).reshape(np.shape(z))
    return np.real(z * np.conj(z)) * np.cos(0.7 * k)


# ------------------------------------------------------------------ fft / ifft

def fft_default(x):
    return view(np.fft.fft(x))


def fft_n_pad(x):
    return view(np.fft.fft(x, 10))


def fft_n_crop(x):
    return view(np.fft.fft(x, n=4))


def fft_axis0(x):
    return view(np.fft.fft(x, axis=0))


def fft_axis_neg2(x):
    return view(np.fft.fft(x, 5, -2))


def fft_ortho(x):
    return view(np.fft.fft(x, norm='ortho'))


def fft_forward(x):
    return view(np.fft.fft(x, norm='forward'))


def fft_backward(x):
    return view(np.fft.fft(x, None, -1, 'backward'))


def nf_fft(x):
    return view(nf.fft(x))


def from_numpy_fft(x):
    return view(fft.fft(x, axis=1))


def fft_power(x):
    return power(np.fft.fft(x))


def ifft_default(x):
    return view(np.fft.ifft(x))


def ifft_n_pad(x):
    return view(np.fft.ifft(x, n=9))


def ifft_n_crop_axis0(x):
    return view(nf.ifft(x, 3, axis=0))


def ifft_ortho(x):
    return view(np.fft.ifft(x, norm='ortho'))


def ifft_forward(x):
    return view(fft.ifft(x, norm='forward'))


def ifft_power(x):
    return power(np.fft.ifft(x))


def fft_filter(x, h):
    # circular convolution by a frequency response h: real for real x
    return np.real(np.fft.ifft(np.fft.fft(x) * h))


def fft_of_complex(x):
    # a transform of a complex intermediate
    return view(np.fft.fft(np.fft.ifft(x) * np.exp(np.fft.fft(x) * 0.1)))


# ------------------------------------------------------------ fft2 / fftn

def fft2_default(x):
    return view(np.fft.fft2(x))


def fft2_s_pad(x):
    return view(np.fft.fft2(x, s=(4, 6)))


def fft2_s_crop(x):
    return view(np.fft.fft2(x, (2, 3)))


def fft2_axes(x):
    return view(nf.fft2(x, axes=(0, 2)))


def fft2_axes_reversed(x):
    return view(np.fft.fft2(x, (3, 5), (-1, -2)))


def fft2_ortho(x):
    return view(fft.fft2(x, norm='ortho'))


def fft2_power(x):
    return power(np.fft.fft2(x))


def ifft2_default(x):
    return view(np.fft.ifft2(x))


def ifft2_s(x):
    return view(np.fft.ifft2(x, s=(2, 6)))


def ifft2_forward(x):
    return view(nf.ifft2(x, axes=(1, 0), norm='forward'))


def fftn_default(x):
    return view(np.fft.fftn(x))


def fftn_axes(x):
    return view(np.fft.fftn(x, axes=(0, 2)))


def fftn_axis_single(x):
    return view(fft.fftn(x, axes=(-2,)))


def fftn_s_axes(x):
    return view(nf.fftn(x, (3, 5), (1, 2)))


def fftn_ortho(x):
    return view(np.fft.fftn(x, norm='ortho'))


def fftn_power(x):
    return power(np.fft.fftn(x, axes=[0, 1]))


def ifftn_default(x):
    return view(np.fft.ifftn(x))


def ifftn_s_axes(x):
    return view(np.fft.ifftn(x, s=(4, 2), axes=(0, 1)))


def ifftn_forward(x):
    return view(fft.ifftn(x, axes=(2, 0), norm='forward'))


def fftn_roundtrip(x, h):
    return np.real(np.fft.ifftn(np.fft.fftn(x) * h))


# -------------------------------------------------------------- rfft / irfft

def rfft_default(x):
    return view(np.fft.rfft(x))


def rfft_n_pad(x):
    return view(np.fft.rfft(x, 10))


def rfft_n_pad_odd(x):
    return view(np.fft.rfft(x, n=9))


def rfft_n_crop_odd(x):
    return view(nf.rfft(x, 5))


def rfft_axis0(x):
    return view(np.fft.rfft(x, axis=0))


def rfft_ortho(x):
    return view(rfft(x, norm='ortho'))


def rfft_forward(x):
    return view(fft.rfft(x, None, -1, 'forward'))


def rfft_power(x):
    return power(np.fft.rfft(x))


def irfft_real_input(x):
    # a real half spectrum (numpy reads it as complex with zero imaginary parts)
    return view(np.fft.irfft(x))


def irfft_of_fft(x):
    # the half spectrum is complex: the first bins of a full fft
    return view(np.fft.irfft(np.fft.fft(x)))


def irfft_odd_n(x):
    return view(np.fft.irfft(np.fft.fft(x), n=7))


def irfft_even_n(x):
    return view(nf.irfft(np.fft.fft(x), 6))


def irfft_n_pad(x):
    # n // 2 + 1 = 7 bins from 5: the spectrum is padded with zeros
    return view(irfft(np.fft.fft(x), 13))


def irfft_n_one(x):
    return view(np.fft.irfft(np.fft.fft(x), 1))


def irfft_axis0(x):
    return view(np.fft.irfft(np.fft.fft(x, axis=0), axis=0))


def irfft_ortho(x):
    return view(fft.irfft(np.fft.fft(x), norm='ortho'))


def irfft_forward_odd(x):
    return view(np.fft.irfft(np.fft.fft(x), 9, -1, 'forward'))


def rfft_filter(x, h):
    # filtering a real signal with a real frequency response, any length
    return np.fft.irfft(np.fft.rfft(x) * h, np.shape(x)[-1])


def rfft_filter_squared(x, h):
    return np.fft.irfft(np.fft.rfft(x) * h, n=np.shape(x)[-1]) ** 2


def rfft2_default(x):
    return view(np.fft.rfft2(x))


def rfft2_s(x):
    return view(np.fft.rfft2(x, s=(4, 5)))


def rfft2_axes(x):
    return view(nf.rfft2(x, axes=(2, 0)))


def rfft2_power(x):
    return power(np.fft.rfft2(x, norm='ortho'))


def irfft2_default(x):
    return view(np.fft.irfft2(np.fft.fft2(x)))


def irfft2_s_odd(x):
    return view(np.fft.irfft2(np.fft.fft2(x), s=(3, 5)))


def irfft2_forward(x):
    return view(fft.irfft2(np.fft.fft2(x), (4, 4), (1, 0), 'forward'))


def rfftn_default(x):
    return view(np.fft.rfftn(x))


def rfftn_s_axes(x):
    return view(np.fft.rfftn(x, (3, 7), (0, 2)))


def rfftn_axes(x):
    return view(nf.rfftn(x, axes=(1,)))


def rfftn_ortho(x):
    return view(fft.rfftn(x, axes=(0, 1), norm='ortho'))


def irfftn_default(x):
    return view(np.fft.irfftn(np.fft.fftn(x)))


def irfftn_s_axes(x):
    return view(np.fft.irfftn(np.fft.fftn(x), s=(2, 4, 5), axes=(0, 1, 2)))


def irfftn_axes(x):
    return view(nf.irfftn(np.fft.fftn(x, axes=(0, 2)), axes=(0, 2), norm='ortho'))


def rfftn_roundtrip(x, h):
    return np.fft.irfftn(np.fft.rfftn(x) * h, np.shape(x), axes=(0, 1, 2)) ** 2


# ------------------------------------------------------------------ shifts

def fftshift_default(x):
    return np.fft.fftshift(x) * np.arange(np.size(x)).reshape(np.shape(x))


def fftshift_axes(x):
    return fftshift(x, axes=1) * np.arange(np.size(x)).reshape(np.shape(x))


def fftshift_axes_tuple(x):
    return nf.fftshift(x, (0, 2)) * np.arange(np.size(x)).reshape(np.shape(x))


def ifftshift_default(x):
    return np.fft.ifftshift(x) * np.arange(np.size(x)).reshape(np.shape(x))


def ifftshift_axes(x):
    return fft.ifftshift(x, axes=(-1,)) * np.arange(np.size(x)).reshape(np.shape(x))


def shifted_spectrum(x):
    return power(np.fft.fftshift(np.fft.fft(x)))


def ifftshift_of_complex(x):
    return view(np.fft.ifft(np.fft.ifftshift(np.fft.fft(x), axes=0), axis=0))


# ------------------------------------------------------------ complex parts

def np_real_of_real(x):
    return np.real(x) * 2.0


def np_imag_of_real(x):
    return np.imag(x) + x


def np_conj_of_real(x):
    return np.conj(x) * 3.0


def np_conjugate_of_real(x):
    return np.conjugate(x) * 3.0


def angle_of_real(x):
    return np.angle(x) + x


def real_if_close_of_real(x):
    return np.real_if_close(x) * 2.0


def method_real(x):
    return np.fft.fft(x).real * np.cos(np.arange(np.size(x)))


def method_imag(x):
    return np.fft.fft(x).imag * np.cos(np.arange(np.size(x)))


def np_real_spectrum(x):
    return np.real(np.fft.fft(x)) ** 2


def np_imag_spectrum(x):
    return np.imag(np.fft.fft2(x)) ** 2


def method_conj(x):
    z = np.fft.fft(x)
    return np.real(z.conj() * z * np.exp(0.3j * np.fft.fft(x ** 2)))


def method_conjugate(x):
    z = np.fft.rfft(x)
    return np.imag(z.conjugate() * np.exp(z * 0.2))


def np_conj_spectrum(x):
    z = np.fft.fft(x)
    return view(np.conj(z) * z * z)


def angle_spectrum(x):
    return np.angle(np.fft.fft(x))


def angle_deg(x):
    return np.angle(np.fft.rfft(x), deg=True)


def angle_deg_positional(x):
    return np.angle(np.fft.ifft(x), True)


def real_if_close_real(x):
    # the imaginary parts are rounding errors: real_if_close drops them
    return np.real_if_close(np.fft.ifft(np.fft.fft(x))) ** 2


def real_if_close_complex(x):
    # far from real: real_if_close keeps the complex array
    return view(np.real_if_close(np.fft.fft(x), tol=1000) ** 2)


def abs_spectrum(x):
    return np.abs(np.fft.fft(x)) * np.cos(np.arange(np.size(x)))


def abs_squared_spectrum(x):
    return np.sum(np.abs(np.fft.fft(x)) ** 2)


# --------------------------------------------------- complex inputs (z complex)
# Real losses of complex arguments: their gradients are checked against the
# convention dL/dx - i dL/dy (tests/test_ops_fft.py), not by the table.

def loss(z):
    """A real scalar of a complex (or real) array: linear and quadratic terms."""
    return np.sum(view(z) + power(z))


def c_fft(z):
    return loss(np.fft.fft(z))


def c_fft_n_odd(z):
    return loss(nf.fft(z, 7))


def c_ifft_ortho(z):
    return loss(np.fft.ifft(z, norm='ortho'))


def c_fft2_s(z):
    return loss(np.fft.fft2(z, s=(3, 5)))


def c_fftn_axes(z):
    return loss(fft.fftn(z, axes=(0,)))


def c_ifftn_forward(z):
    return loss(np.fft.ifftn(z, s=(2, 5), axes=(0, 1), norm='forward'))


def c_irfft(z):
    return loss(np.fft.irfft(z))


def c_irfft_odd(z):
    return loss(np.fft.irfft(z, 7))


def c_irfft_crop(z):
    return loss(irfft(z, 4, norm='ortho'))


def c_irfft2(z):
    return loss(np.fft.irfft2(z))


def c_irfftn_odd(z):
    return loss(np.fft.irfftn(z, s=(3, 5), axes=(0, 1), norm='forward'))


def c_fftshift(z):
    return loss(np.fft.fftshift(z))


def c_ifftshift(z):
    return loss(nf.ifftshift(z, axes=0))


def c_real(z):
    return loss(np.real(z) * z)


def c_imag(z):
    return loss(z.imag * z)


def c_conj(z):
    return loss(np.conj(z) * np.exp(0.3 * z))


def c_conj_method(z):
    return loss(z.conj() * z[::-1])


def c_angle(z):
    return loss(np.angle(z) * z)


def c_angle_deg(z):
    return loss(np.angle(z, deg=True) * 0.01)


def c_real_if_close(z):
    return loss(np.real_if_close(z) * z)


def c_abs(z):
    return loss(np.abs(z))


def c_abs_in_fft(z):
    return loss(np.fft.fft(np.abs(z) * z))


def fftn_runtime_s_no_axes(x):
    return view(np.fft.fftn(x, np.shape(x)))


def fftn_runtime_s(x):
    return view(np.fft.fftn(x, np.shape(x), axes=(0, 1, 2)))
