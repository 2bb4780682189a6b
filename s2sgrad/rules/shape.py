"""Shape and copy: reshape, transpose, squeeze, expand_dims, ravel, concatenate, stack, split, astype."""
import numpy as np

from ..runtime.helpers import _sg_split_like, _sg_unbroadcast, _sg_unstack
from ..runtime.helpers import _sg_array_grad, _sg_cast_like, _sg_trace_grad
from .registry import register_gradient, transform_time


@transform_time
def inverse_permutation(axes):
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a % len(axes)] = i
    return tuple(inverse)


@register_gradient((np.reshape, np.squeeze, np.expand_dims, np.ravel, np.copy,
                    np.atleast_1d, np.atleast_2d, np.atleast_3d), static=('shape', 'axis'))
def reshape_grad(dy, y, a, shape=None, order='C', *, newshape=None, copy=None, axis=None,
                 subok=None):
    return np.reshape(dy, np.shape(a))


@register_gradient(np.transpose)
def transpose_grad(dy, y, a, axes=None):
    if axes is None:
        return np.transpose(dy)
    return np.transpose(dy, inverse_permutation(axes))


@register_gradient(np.swapaxes, static=('axis1', 'axis2'))
def swapaxes_grad(dy, y, a, axis1, axis2):
    return np.swapaxes(dy, axis1, axis2)


@register_gradient(np.broadcast_to, static=('shape',))
def broadcast_to_grad(dy, y, array, shape, subok=False):
    return _sg_unbroadcast(dy, array)


@register_gradient(np.concatenate, unsupported={'out': None})
def concatenate_grad(dy, y, arrays, axis=0, out=None, *, dtype=None, casting='same_kind'):
    return _sg_split_like(dy, arrays, axis)


@register_gradient(np.stack, unsupported={'out': None})
def stack_grad(dy, y, arrays, axis=0, out=None, *, dtype=None, casting='same_kind'):
    return _sg_unstack(dy, len(arrays), axis)


@register_gradient((np.split, np.array_split), multi_output=True,
                   static=('indices_or_sections',))
def split_grad(dy, y, ary, indices_or_sections, axis=0):
    return np.concatenate(dy, axis=axis)


@register_gradient(_sg_split_like, static=('arrays',))
def split_like_grad(dparts, parts, g, arrays, axis=0):
    return np.concatenate(dparts, axis=axis)


@register_gradient(_sg_unstack, static=('n',))
def unstack_grad(dparts, parts, g, n, axis=0):
    return np.stack(dparts, axis=axis)


@register_gradient(np.astype)
def astype_grad(dy, y, x, dtype=None, *, copy=True, device=None):
    # a cast to an integer or boolean type makes a constant (no gradient)
    if np.issubdtype(dtype, np.inexact):
        return _sg_cast_like(dy, x)
    return None


@register_gradient(np.array, unsupported={'copy': True})
def array_grad(dy, y, object, dtype=None, *, copy=True, order='K', subok=False, ndmin=0,
               like=None):
    # np.array([a, b, ...]) of values: each gets its slice of the gradient
    return _sg_array_grad(dy, object)


@register_gradient(_sg_array_grad, static=('obj',))
def array_grad_grad(dout, out, g, obj):
    return np.array(dout)


@register_gradient(np.trace, unsupported={'out': None})
def trace_grad(dy, y, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return _sg_trace_grad(dy, a, offset, axis1, axis2)


@register_gradient(_sg_trace_grad, static=('a', 'offset', 'axis1', 'axis2'))
def trace_grad_grad(dout, out, g, a, offset=0, axis1=0, axis2=1):
    return np.trace(dout, offset, axis1, axis2)


@register_gradient(np.flip)
def flip_grad(dy, y, m, axis=None):
    return np.flip(dy, axis)
