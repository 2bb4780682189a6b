"""Tangents of the linear and multilinear functions (forward mode).

A function linear in its differentiable inputs (a reshape, a sum, an
indexing, concatenate, an FFT, the compiler's container primitives) has as
tangent the function itself applied to the inputs' tangents (`kind='linear'`:
zeros stand in for an input without one).  A product, linear in each factor
(matmul, einsum, ...), has the sum over its factors' tangents of the product
with that factor replaced (`kind='multilinear'`).  Which inputs are
differentiable is read from each function's gradient rule.
"""
import builtins

import numpy as np

from ..ir import prims
from ..runtime import containers, helpers, objects
from ..runtime.construction import _sg_sorted_places
from ..runtime.helpers import _sg_if_inexact
from .registry import constant, register_tangent, same

register_tangent(
    # shapes and copies
    np.squeeze, np.expand_dims, np.copy, np.reshape, np.ravel, np.atleast_1d, np.atleast_2d,
    np.atleast_3d, np.transpose, np.swapaxes, np.moveaxis, np.rollaxis, np.broadcast_to,
    np.flip, np.flipud, np.fliplr, np.rot90, np.roll, np.concatenate, np.stack, np.split,
    np.array_split, np.vsplit, np.hsplit, np.dsplit, np.vstack, np.row_stack, np.hstack,
    np.column_stack, np.dstack, np.append, np.array, np.asarray, np.asanyarray,
    np.ascontiguousarray, np.asfortranarray, np.trace,
    # sums and differences
    np.sum, np.mean, np.cumsum, np.diff,
    # indexing and construction
    prims.GETITEM, prims.SETITEM, np.take_along_axis, np.take, np.repeat, np.tile, np.diag,
    np.diagonal, np.triu, np.tril, np.full, np.full_like, np.linspace,
    # Fourier transforms and complex parts
    np.fft.fft, np.fft.ifft, np.fft.fftn, np.fft.ifftn, np.fft.fft2, np.fft.ifft2,
    np.fft.rfft, np.fft.irfft, np.fft.rfftn, np.fft.rfft2, np.fft.irfftn, np.fft.irfft2,
    np.fft.fftshift, np.fft.ifftshift, np.real, np.imag, np.conjugate,
    # the compiler's containers, lists and objects
    prims.UNPACK, prims.LIST_NEW, prims.LIST_APPEND, builtins.sum, builtins.list, builtins.tuple,
    helpers._sg_iterable, helpers._sg_bound, helpers._sg_accumulate,
    helpers._sg_scatter_add,        # (np.add.at)
    containers._sg_field,
    containers._sg_namedtuple, containers._sg_items, containers._sg_dict_of,
    containers._sg_values, containers._sg_get, containers._sg_copy, containers._sg_tuple,
    containers._sg_list_copy,
    containers._sg_replaced, containers._sg_without, objects._sg_with_attribute,
    kind='linear')

register_tangent(np.select, kind='linear', constant=('condlist',))
# linear in f for constant spacings (a spacing with a tangent is refused)
register_tangent(np.gradient, kind='linear', constant=tuple(f's{k}' for k in range(8)))

register_tangent(np.matmul, np.dot, np.inner, np.tensordot, np.outer, np.kron, np.cross,
                 np.einsum, kind='multilinear')


@register_tangent(np.sort)
def sort_tangent(dx, y, a, axis=-1, kind=None, order=None, *, stable=None):
    # each element's tangent goes where the element is sorted to
    if constant(axis) is None:
        return np.ravel(dx)[np.argsort(a, axis=None)]
    return np.take_along_axis(dx, np.argsort(a, axis=axis), axis=axis)


@register_tangent(np.pad)
def pad_tangent(dx, y, array, pad_width, mode='constant', constant_values=0,
                reflect_type='even'):
    # the padding copies elements (edge, reflect, symmetric, wrap) or is constant
    if constant(mode) == 'constant' or constant(mode) == 'empty':
        return np.pad(dx, pad_width)
    return np.pad(dx, pad_width, mode=mode)


@register_tangent(np.partition)
def partition_tangent(dx, y, a, kth, axis=-1, kind='introselect', order=None):
    # each element's tangent goes where the element went (the places found as the
    # gradient finds them: by matching values)
    if constant(axis) is None:
        return np.take_along_axis(np.ravel(dx), _sg_sorted_places(a, y, None), axis=0)
    return np.take_along_axis(dx, _sg_sorted_places(a, y, axis), axis=axis)


@register_tangent(np.arange)
def arange_tangent(dx, y, start, stop=None, step=None, dtype=None, *, device=None, like=None):
    # the values start + k * step (affine in both); np.arange(stop): 0, 1, ...; the
    # count is piecewise constant, and integers are constants
    if constant(stop) is None:
        return None
    dstart, dstep = dx
    if same(dstep, None):
        return _sg_if_inexact(dstart + np.zeros_like(y), y)
    steps = dstep * np.arange(np.size(y))
    if same(dstart, None):
        return _sg_if_inexact(steps, y)
    return _sg_if_inexact(dstart + steps, y)
