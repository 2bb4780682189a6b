"""Runtime helpers for the fft rules (each needs only np and other _sg_ helpers)."""
import numpy as np


def _sg_real_like(g, x):
    """`g` as the gradient of `x`: its real part when `x` is real.

    A real input can only move along the real axis, so the imaginary part of
    a complex cotangent says nothing about it.
    """
    if np.iscomplexobj(x):
        return g
    return np.real(g)


def _sg_fit_like(g, x, axes=None):
    """The gradient `g` of an FFT's (cropped or zero-padded) input, given back to `x`.

    `n=` / `s=` crop `x` or pad it with zeros before the transform: `g` is
    cropped or padded back to the shape of `x` (the transpose), and is real
    when `x` is real.  `axes`, when given, are the transformed axes of a
    gradient that is only right when no axis is transformed twice.
    """
    if axes is not None:
        _sg_fft_distinct_axes(axes, np.ndim(x))
    shape = np.shape(x)
    if np.shape(g) != shape:
        g = _sg_fft_resize(g, shape)
    return _sg_real_like(g, x)


def _sg_fft_resize(g, shape):
    """`g` cropped or zero-padded (at the end of each axis) to `shape`."""
    g = np.asarray(g)[tuple(slice(0, n) for n in shape)]
    pad = [(0, n - m) for n, m in zip(shape, g.shape)]
    if any(after for _, after in pad):
        g = np.pad(g, pad)
    return g


def _sg_fft_distinct_axes(axes, ndim):
    """Refuse an n-dimensional transform whose gradient needs each axis transformed once."""
    if len({axis % ndim for axis in axes}) < len(axes):
        raise NotImplementedError(
            f'no gradient for an n-dimensional FFT that transforms an axis twice '
            f'(axes={tuple(axes)} of a {ndim}-d array) with s= or a real transform: '
            f'transform each axis once, or call the 1-d transforms in turn')


def _sg_hermitian_weights(y, axes):
    """How often each bin of a half spectrum counts in the real signal `y` of
    length n along the last of `axes` (an axis, a tuple of axes, or None for
    the last axis): bin 0 once, bins 1 .. (n-1)//2 twice (for themselves and
    their mirror image n - k), the Nyquist bin n/2 of an even n once.

    Shaped to broadcast against the half spectrum (n//2 + 1 bins along that
    axis), in the real dtype of `y`.
    """
    y = np.asarray(y)
    if axes is None:
        axis = -1
    elif isinstance(axes, (tuple, list)):
        _sg_fft_distinct_axes(axes, y.ndim)
        axis = axes[-1]
    else:
        axis = axes
    n = y.shape[axis]
    weights = np.full(n // 2 + 1, 2.0, dtype=y.dtype)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    shape = [1] * y.ndim
    shape[axis] = n // 2 + 1
    return weights.reshape(shape)
