"""Discrete Fourier transforms (numpy.fft) and the parts of complex numbers.

Convention for complex values (autograd's and JAX's).  s2sgrad differentiates
real-valued losses L.  The gradient carried for a complex value z = x + iy is

    dL/dx - i dL/dy        (the conjugate of the direction of steepest ascent)

so a holomorphic operation w = f(z) passes back dz = dw * f'(z) -- the rules
of multiply, exp, the FFTs and the other analytic functions need no
conjugates -- and `sg.grad(L)(z)` for a complex array z gives the same
numbers as `autograd.grad(L)(z)`.  A real input's gradient is the real part
of the complex one (it can only move along the real axis): every rule here
hands a real input a real gradient, so a real loss of real arrays that goes
through complex intermediates has a real gradient of the inputs' dtype.
Rules of operations with real results (real, imag, angle, the inverse real
FFTs) use only the real part of their incoming gradient.

With this convention:
* np.real(z):  dz = dy;  np.imag(z):  dz = -1j dy;  np.conj(z):  dz = conj(dy)
* np.angle(z): dz = -1j dy / z (0 at z = 0, where the angle has no derivative)
* |z| (np.abs): dz = dy conj(z) / |z| (0 at z = 0)
* a linear transform y = A a (every FFT): da = A^T dy, the plain transpose;
  the FFT matrices are symmetric, so fft's gradient is an fft, ifft's an ifft,
  with the same norm.  n= / s= crop the input or pad it with zeros: the
  gradient is padded or cropped back.
* rfft keeps bins 0 .. n//2 of the full spectrum: the gradient is the fft of
  dy padded with zeros to the full length, real part.  Any length n works,
  odd or even (autograd handles even lengths only).
* irfft builds a real signal from a half spectrum, reading each bin k for
  itself and its mirror image n - k except bin 0 and, for an even n, the
  Nyquist bin n/2; the imaginary parts of those two are ignored.  Its
  gradient is the conjugate of the rfft of the real dy with the opposite
  normalisation, times weights 1, 2, ..., 2 (, 1).  Any n works.
"""
import numpy as np

from ..runtime.fft import _sg_fft_resize, _sg_fit_like, _sg_hermitian_weights, _sg_real_like
from .registry import constant, register_constant, register_gradient, transform_time

_NO_OUT = {'out': None}


@transform_time
def last_axes(count):
    """The axes an n-dimensional FFT transforms when given `s` but not `axes`."""
    return tuple(range(-count, 0))


@transform_time
def swap_direction(norm):
    """The normalisation that scales the opposite transform the same way."""
    return {None: 'forward', 'backward': 'forward', 'ortho': 'ortho',
            'forward': 'backward'}[norm]


# ---------------------------------------------------------- complex transforms

@register_gradient(np.fft.fft, unsupported=_NO_OUT)
def fft_grad(dy, y, a, n=None, axis=-1, norm=None, out=None):
    # the transpose of the (symmetric) DFT: an fft of dy, cropped or zero-padded
    # back where n= padded or cropped a; real for a real a
    return _sg_fit_like(np.fft.fft(dy, axis=axis, norm=norm), a)


@register_gradient(np.fft.ifft, unsupported=_NO_OUT)
def ifft_grad(dy, y, a, n=None, axis=-1, norm=None, out=None):
    # an ifft of dy with the same norm, cropped or zero-padded back to a
    return _sg_fit_like(np.fft.ifft(dy, axis=axis, norm=norm), a)


@register_gradient(np.fft.fftn, unsupported=_NO_OUT)
def fftn_grad(dy, y, a, s=None, axes=None, norm=None, out=None):
    # an fftn of dy over the same axes, cropped or zero-padded back to a (refused
    # where s= and an axis transformed twice lose the lengths in between)
    if constant(s) is None:
        return _sg_fit_like(np.fft.fftn(dy, axes=axes, norm=norm), a)
    if axes is None:
        axes = last_axes(len(s))
    return _sg_fit_like(np.fft.fftn(dy, axes=axes, norm=norm), a, axes)


@register_gradient(np.fft.ifftn, unsupported=_NO_OUT)
def ifftn_grad(dy, y, a, s=None, axes=None, norm=None, out=None):
    # an ifftn of dy over the same axes, cropped or zero-padded back to a (refused
    # where s= and an axis transformed twice lose the lengths in between)
    if constant(s) is None:
        return _sg_fit_like(np.fft.ifftn(dy, axes=axes, norm=norm), a)
    if axes is None:
        axes = last_axes(len(s))
    return _sg_fit_like(np.fft.ifftn(dy, axes=axes, norm=norm), a, axes)


@register_gradient(np.fft.fft2, unsupported=_NO_OUT)
def fft2_grad(dy, y, a, s=None, axes=(-2, -1), norm=None, out=None):
    # an fftn of dy over the same axes, cropped or zero-padded back to a (refused
    # where s= and an axis transformed twice lose the lengths in between)
    if constant(s) is None:
        return _sg_fit_like(np.fft.fftn(dy, axes=axes, norm=norm), a)
    if axes is None:
        axes = last_axes(len(s))
    return _sg_fit_like(np.fft.fftn(dy, axes=axes, norm=norm), a, axes)


@register_gradient(np.fft.ifft2, unsupported=_NO_OUT)
def ifft2_grad(dy, y, a, s=None, axes=(-2, -1), norm=None, out=None):
    # an ifftn of dy over the same axes, cropped or zero-padded back to a (refused
    # where s= and an axis transformed twice lose the lengths in between)
    if constant(s) is None:
        return _sg_fit_like(np.fft.ifftn(dy, axes=axes, norm=norm), a)
    if axes is None:
        axes = last_axes(len(s))
    return _sg_fit_like(np.fft.ifftn(dy, axes=axes, norm=norm), a, axes)


# ------------------------------------------------------------- real transforms

@register_gradient(np.fft.rfft, unsupported=_NO_OUT)
def rfft_grad(dy, y, a, n=None, axis=-1, norm=None, out=None):
    # any length n, odd or even (autograd: even only).  y is bins 0 .. n//2 of
    # fft(a, n); the others get no gradient: dy zero-padded to length n, fft, real part
    if n is None:
        n = np.shape(a)[axis]
    return _sg_fit_like(np.fft.fft(dy, n, axis=axis, norm=norm), a)


@register_gradient(np.fft.irfft, unsupported=_NO_OUT)
def irfft_grad(dy, y, a, n=None, axis=-1, norm=None, out=None):
    # any output length n, odd or even (autograd: even only).  Each bin stands for
    # itself and its mirror image n - k: the conjugate rfft of dy, with weight 2
    # except for bin 0 and an even n's Nyquist bin (whose imaginary parts are unused)
    half = np.conj(np.fft.rfft(np.real(dy), axis=axis, norm=swap_direction(norm)))
    return _sg_fit_like(half * _sg_hermitian_weights(y, axis), a)


@register_gradient(np.fft.rfftn, unsupported=_NO_OUT)
def rfftn_grad(dy, y, a, s=None, axes=None, norm=None, out=None):
    # any lengths, odd or even (autograd: an even last length only): dy zero-padded
    # to the full spectrum, fftn, real part (refused where an axis is transformed twice)
    if axes is None and s is not None:
        axes = last_axes(len(s))
    if s is None:
        dy = _sg_fft_resize(dy, np.shape(a))     # the full spectrum has a's shape
    if axes is None:
        return _sg_fit_like(np.fft.fftn(dy, s, norm=norm), a)
    return _sg_fit_like(np.fft.fftn(dy, s, axes=axes, norm=norm), a, axes)


@register_gradient(np.fft.rfft2, unsupported=_NO_OUT)
def rfft2_grad(dy, y, a, s=None, axes=(-2, -1), norm=None, out=None):
    # any lengths, odd or even (autograd: an even last length only): dy zero-padded
    # to the full spectrum, fftn, real part (refused where an axis is transformed twice)
    if axes is None and s is not None:
        axes = last_axes(len(s))
    if s is None:
        dy = _sg_fft_resize(dy, np.shape(a))
    if axes is None:
        return _sg_fit_like(np.fft.fftn(dy, s, norm=norm), a)
    return _sg_fit_like(np.fft.fftn(dy, s, axes=axes, norm=norm), a, axes)


@register_gradient(np.fft.irfftn, unsupported=_NO_OUT)
def irfftn_grad(dy, y, a, s=None, axes=None, norm=None, out=None):
    # any output lengths, odd or even (autograd: an even last length only): the
    # conjugate rfftn of dy, bins weighted as for irfft along the last axis (refused
    # where an axis is transformed twice)
    if axes is None and s is not None:
        axes = last_axes(len(s))
    half = np.conj(np.fft.rfftn(np.real(dy), axes=axes, norm=swap_direction(norm)))
    return _sg_fit_like(half * _sg_hermitian_weights(y, axes), a)


@register_gradient(np.fft.irfft2, unsupported=_NO_OUT)
def irfft2_grad(dy, y, a, s=None, axes=(-2, -1), norm=None, out=None):
    # any output lengths, odd or even (autograd: an even last length only): the
    # conjugate rfftn of dy, bins weighted as for irfft along the last axis (refused
    # where an axis is transformed twice)
    if axes is None and s is not None:
        axes = last_axes(len(s))
    half = np.conj(np.fft.rfftn(np.real(dy), axes=axes, norm=swap_direction(norm)))
    return _sg_fit_like(half * _sg_hermitian_weights(y, axes), a)


# ---------------------------------------------------------------------- shifts

@register_gradient(np.fft.fftshift)
def fftshift_grad(dy, y, x, axes=None):
    # shifted back: ifftshift of dy over the same axes (they differ for odd lengths)
    return np.fft.ifftshift(dy, axes)


@register_gradient(np.fft.ifftshift)
def ifftshift_grad(dy, y, x, axes=None):
    # shifted back: fftshift of dy over the same axes
    return np.fft.fftshift(dy, axes)


# --------------------------------------------------------------- complex parts

@register_gradient(np.real)
def real_grad(dy, y, val):
    # dval = dy (the real part of dy: y is real); x.real too
    return np.real(dy)


@register_gradient(np.imag)
def imag_grad(dy, y, val):
    # dval = -1j dy; 0 for a real val (its imaginary part is constant); x.imag too
    return _sg_real_like(-1j * np.real(dy), val)


@register_gradient(np.conjugate)
def conj_grad(dy, y, x):
    # dx = conj(dy); np.conj, x.conj() and x.conjugate() too
    return np.conj(dy)


@register_gradient(np.angle)
def angle_grad(dy, y, z, deg=False):
    # dz = -1j dy / z (d angle = Im(dz / z)), 0 at z = 0 and for every real z;
    # deg=True too (autograd: no deg=)
    zero = z == 0
    g = np.where(zero, 0.0, -1j * np.real(dy) / np.where(zero, 1.0, z))
    if deg:
        g = g * (180.0 / np.pi)
    return _sg_real_like(g, z)


@register_gradient(np.real_if_close)
def real_if_close_grad(dy, y, a, tol=100):
    # np.real's gradient when y came out real, the identity otherwise
    return _sg_real_like(dy, y)


# ------------------------------------------------------ the helpers' own rules
# (so that gradients of these gradients work)

@register_gradient(_sg_real_like, static=('x',))
def real_like_grad(dout, out, g, x):
    return _sg_real_like(dout, out)


@register_gradient(_sg_fit_like, static=('x',))
def fit_like_grad(dout, out, g, x, axes=None):
    return _sg_fit_like(_sg_real_like(dout, out), g)


@register_gradient(_sg_fft_resize, static=('shape',))
def fft_resize_grad(dout, out, g, shape):
    return _sg_fft_resize(dout, np.shape(g))


register_constant(_sg_hermitian_weights)
