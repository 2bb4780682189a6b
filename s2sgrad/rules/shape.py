"""Shape and copy: reshape, transpose, moveaxis, squeeze, expand_dims, ravel, flips and
rolls, broadcast_to, concatenate, stack, the splits, astype, array, trace.

Each of these moves elements without changing them, so each adjoint moves the
gradient back: the inverse permutation, the reshape back, the split of a
concatenation.  Axes may be negative everywhere.
"""
import numpy as np

from ..runtime.construction import _sg_rollaxis_back, _sg_split_stacked
from ..runtime.helpers import _sg_split_like, _sg_unbroadcast, _sg_unstack
from ..runtime.helpers import _sg_array_grad, _sg_cast_gradient, _sg_cast_like, _sg_trace_grad
from .registry import constant, register_gradient, transform_time


@transform_time
def inverse_permutation(axes):
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a % len(axes)] = i
    return tuple(inverse)


@transform_time
def negated(shift):
    if isinstance(shift, (tuple, list)):
        return tuple(-s for s in shift)
    return -shift


@transform_time
def refuse(message, *values):
    """Stop the transformation: this call form has no gradient (yet).  `message` is
    formatted with the (constant) `values`."""
    from ..errors import TransformError
    raise TransformError(message.format(*values))


@transform_time
def is_float_type(dtype):
    """Whether a dtype argument gives a float or complex result (None: the inputs' type)."""
    return dtype is None or np.issubdtype(dtype, np.inexact)


@register_gradient((np.squeeze, np.expand_dims), static=('axis',))
def reshape_like_grad(dy, y, a, axis=None, order='K', subok=False):
    # the elements keep their order: the gradient is reshaped back
    return np.reshape(dy, np.shape(a))


@register_gradient(np.copy)
def copy_grad(dy, y, a, order='K', subok=False):
    # the same elements in the same shape (`p.copy()` of a dict too: the same entries)
    return dy


@register_gradient(np.reshape, static=('shape',))
def reshape_grad(dy, y, a, shape=None, order='C', *, newshape=None, copy=None):
    # reshaped back in the same index order (order='F' reads and writes columns
    # first); order 'A', which depends on the memory layout, is refused
    if constant(order) == 'C':
        return np.reshape(dy, np.shape(a))
    if constant(order) != 'F':
        refuse("np.reshape / ravel: order={!r} has no gradient yet (use 'C' or 'F')", order)
    return np.reshape(dy, np.shape(a), order=order)


@register_gradient(np.ravel)
def ravel_grad(dy, y, a, order='C'):
    # reshaped back in the same index order (order='F' too; 'A' and 'K', which depend
    # on the memory layout, are refused)
    if constant(order) == 'C':
        return np.reshape(dy, np.shape(a))
    if constant(order) != 'F':
        refuse("np.reshape / ravel: order={!r} has no gradient yet (use 'C' or 'F')", order)
    return np.reshape(dy, np.shape(a), order=order)


@register_gradient((np.atleast_1d, np.atleast_2d, np.atleast_3d))
def atleast_grad(dy, y, a, b=None, c=None, d=None, e=None, f=None):
    # one array only: np.atleast_1d(x, y) returns a list, whose rule would need one
    # differentiable input per array (rules cannot declare *args yet)
    if constant(b) is not None:
        refuse('np.atleast_1d / atleast_2d / atleast_3d of several arrays has no gradient '
               'yet: call it once per array')
    return np.reshape(dy, np.shape(a))


@register_gradient(np.transpose)
def transpose_grad(dy, y, a, axes=None):
    if axes is None:
        return np.transpose(dy)
    return np.transpose(dy, inverse_permutation(axes))


@register_gradient(np.swapaxes, static=('axis1', 'axis2'))
def swapaxes_grad(dy, y, a, axis1, axis2):
    return np.swapaxes(dy, axis1, axis2)


@register_gradient(np.moveaxis, static=('source', 'destination'))
def moveaxis_grad(dy, y, a, source, destination):
    # moved back: ints or tuples of axes, negative ones too
    return np.moveaxis(dy, destination, source)


@register_gradient(np.rollaxis, static=('axis',))
def rollaxis_grad(dy, y, a, axis, start=0):
    # any axis and start, negative ones included (autograd: both >= 0)
    return _sg_rollaxis_back(dy, axis, start)


@register_gradient(_sg_rollaxis_back, static=('axis',))
def rollaxis_back_grad(dout, out, g, axis, start=0):
    return np.rollaxis(dout, axis, start)


@register_gradient(np.broadcast_to, static=('shape',))
def broadcast_to_grad(dy, y, array, shape, subok=False):
    # summed over the broadcast axes, new leading ones included (autograd: no new axes)
    return _sg_unbroadcast(dy, array)


@register_gradient(np.flip)
def flip_grad(dy, y, m, axis=None):
    return np.flip(dy, axis)


@register_gradient(np.flipud)
def flipud_grad(dy, y, m):
    return np.flipud(dy)


@register_gradient(np.fliplr)
def fliplr_grad(dy, y, m):
    return np.fliplr(dy)


@register_gradient(np.rot90)
def rot90_grad(dy, y, m, k=1, axes=(0, 1)):
    # rotated back; any k and axes (autograd: no axes argument)
    return np.rot90(dy, -k, axes)


@register_gradient(np.roll, static=('shift',))
def roll_grad(dy, y, a, shift, axis=None):
    # rolled back: shift an int or a tuple, axis None, an int or a tuple
    if constant(shift) is NotImplemented:
        return np.roll(dy, -shift, axis)
    return np.roll(dy, negated(shift), axis)


@register_gradient(np.concatenate, unsupported={'out': None})
def concatenate_grad(dy, y, arrays, axis=0, out=None, *, dtype=None, casting='same_kind'):
    # axis None: the arrays flattened, then joined
    if not is_float_type(dtype):
        return None
    return _sg_split_like(dy, arrays, axis)


@register_gradient(np.stack, unsupported={'out': None})
def stack_grad(dy, y, arrays, axis=0, out=None, *, dtype=None, casting='same_kind'):
    # each array gets its slice along the new axis
    if not is_float_type(dtype):
        return None
    return _sg_unstack(dy, len(arrays), axis)


@register_gradient((np.split, np.array_split), multi_output=True,
                   static=('indices_or_sections',))
def split_grad(dy, y, ary, indices_or_sections, axis=0):
    # the pieces' gradients joined again (unused pieces: zeros)
    return np.concatenate(dy, axis=axis)


@register_gradient(np.vsplit, multi_output=True, static=('indices_or_sections',))
def vsplit_grad(dy, y, ary, indices_or_sections):
    # the pieces' gradients joined again along the first axis
    return np.concatenate(dy, axis=0)


@register_gradient(np.hsplit, multi_output=True, static=('indices_or_sections',))
def hsplit_grad(dy, y, ary, indices_or_sections):
    # along the second axis, or the first of a vector: as np.hstack joins them
    return np.hstack(dy)


@register_gradient(np.dsplit, multi_output=True, static=('indices_or_sections',))
def dsplit_grad(dy, y, ary, indices_or_sections):
    # the pieces' gradients joined again along the third axis
    return np.concatenate(dy, axis=2)


@register_gradient(_sg_split_like, static=('arrays',))
def split_like_grad(dparts, parts, g, arrays, axis=0):
    return np.concatenate(dparts, axis=axis)


@register_gradient(_sg_unstack, static=('n',))
def unstack_grad(dparts, parts, g, n, axis=0):
    return np.stack(dparts, axis=axis)


@register_gradient((np.vstack, np.row_stack))
def vstack_grad(dy, y, tup, *, dtype=None, casting='same_kind'):
    # vectors and scalars are rows: each gets its rows back, in its own shape
    if not is_float_type(dtype):
        return None
    return _sg_split_stacked(dy, tup, 'vstack')


@register_gradient(np.hstack)
def hstack_grad(dy, y, tup, *, dtype=None, casting='same_kind'):
    # split along the first axis of vectors, the second otherwise; scalars included
    if not is_float_type(dtype):
        return None
    return _sg_split_stacked(dy, tup, 'hstack')


@register_gradient(np.column_stack)
def column_stack_grad(dy, y, tup):
    # vectors are columns: each gets its column back as a vector
    return _sg_split_stacked(dy, tup, 'column_stack')


@register_gradient(np.dstack)
def dstack_grad(dy, y, tup):
    # split along the third axis, each piece in the shape of its array
    return _sg_split_stacked(dy, tup, 'dstack')


@register_gradient(_sg_split_stacked, static=('arrays', 'how'))
def split_stacked_grad(dparts, parts, g, arrays, how):
    if how == 'vstack':
        return np.vstack(dparts)
    if how == 'hstack':
        return np.hstack(dparts)
    if how == 'column_stack':
        return np.column_stack(dparts)
    return np.dstack(dparts)


@register_gradient(np.append)
def append_grad(dy, y, arr, values, axis=None):
    # axis=None: both flattened, then joined
    darr, dvalues = _sg_split_like(dy, (arr, values), axis)
    return darr, dvalues


@register_gradient(np.astype)
def astype_grad(dy, y, x, dtype=None, *, copy=True, device=None):
    # a cast to an integer or boolean type makes a constant (no gradient); a dtype
    # known only when the code runs (x.astype(y.dtype)) is decided then
    if constant(dtype) is NotImplemented:
        return _sg_cast_gradient(dy, x, dtype)
    if np.issubdtype(dtype, np.inexact):
        return _sg_cast_like(dy, x)
    return None


@register_gradient(_sg_cast_gradient, static=('x', 'dtype'))
def cast_gradient_grad(dout, out, g, x, dtype):
    return _sg_cast_gradient(dout, g, dtype)


def array_adjoint(dy, a, dtype):
    """The gradient of np.array / np.asarray(a, dtype) w.r.t. `a` (a template)."""
    if constant(dtype) is NotImplemented:
        return _sg_cast_gradient(_sg_array_grad(dy, a), a, dtype)
    if not is_float_type(dtype):
        return None
    return _sg_array_grad(dy, a)


@register_gradient(np.array, unsupported={'copy': True})
def array_grad(dy, y, object, dtype=None, *, copy=True, order='K', subok=False, ndmin=0,
               ndmax=0, like=None):
    # np.array([a, b, ...]) of values: each gets its slice of the gradient
    # (nested lists too); a dtype that is not a float type makes a constant
    if constant(ndmin) == 0:
        return array_adjoint(dy, object, dtype)
    return array_adjoint(np.reshape(dy, np.shape(object)), object, dtype)


@register_gradient((np.asarray, np.asanyarray))
def asarray_grad(dy, y, a, dtype=None, order=None, *, device=None, copy=None, like=None):
    # as np.array: the array's gradient, or each value's of a list; a dtype that is
    # not a float type makes a constant
    return array_adjoint(dy, a, dtype)


@register_gradient((np.ascontiguousarray, np.asfortranarray))
def ascontiguousarray_grad(dy, y, a, dtype=None, *, like=None):
    # as np.asarray (a 0-d input comes back 1-d: its gradient is reshaped back)
    return array_adjoint(np.reshape(dy, np.shape(a)), a, dtype)


@register_gradient(_sg_array_grad, static=('obj',))
def array_grad_grad(dout, out, g, obj):
    return np.array(dout)


@register_gradient(np.trace, unsupported={'out': None})
def trace_grad(dy, y, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return _sg_trace_grad(dy, a, offset, axis1, axis2)


@register_gradient(_sg_trace_grad, static=('a', 'offset', 'axis1', 'axis2'))
def trace_grad_grad(dout, out, g, a, offset=0, axis1=0, axis2=1):
    return np.trace(dout, offset, axis1, axis2)
