"""Indexing: `x[index]` for basic and advanced indices (repeats accumulate), assignment
into arrays, and the gathers take, take_along_axis, sort and partition."""
import numpy as np

from ..ir.prims import GETITEM, SETITEM
from ..runtime.gradients_of import _sg_entry_gradient
from ..runtime.construction import _sg_sorted_places, _sg_untake, _sg_untake_along_axis
from ..runtime.helpers import (_sg_diagonal_index, _sg_flat_index, _sg_is_array, _sg_is_view,
                               _sg_last_writes, _sg_scatter_add, _sg_unbroadcast,
                               _sg_written_grad, _sg_zero_at)
from .registry import constant, register_constant, register_gradient, transform_time

# where each element of np.partition's result came from: a matter of indices only
register_constant(_sg_sorted_places, _sg_last_writes)
# whether an item is a view, where np.fill_diagonal and np.put write: indices only
register_constant(_sg_is_view, _sg_is_array, _sg_diagonal_index, _sg_flat_index)


@register_gradient(GETITEM, static=('index',))
def getitem_grad(dy, y, x, index):
    # ints, slices, None / np.newaxis, Ellipsis, integer arrays (negative and repeated
    # ones: repeats add up), masks of any rank, and tuples mixing them
    if only_new_axes(constant(index)):
        return np.reshape(dy, np.shape(x))      # x[:, None]: the same elements, new axes
    return _sg_scatter_add(dy, x, index)


@transform_time
def only_new_axes(index):
    """An index that only inserts axes (`x[:, None, :]`, `x[None]`): the result holds
    x's elements in x's order.  (At least one None: a list takes no None, so x is an
    array.)"""
    parts = index if type(index) is tuple else (index,)
    return any(p is None for p in parts) and all(
        p is None or p is Ellipsis or p == slice(None) for p in parts)


@register_gradient(_sg_scatter_add, static=('x', 'index'))
def scatter_add_grad(dout, out, g, x, index):
    return _sg_entry_gradient(dout, index, g)


@register_gradient(_sg_entry_gradient, static=('index', 'g'))
def entry_gradient_grad(ddout, out, dout, index, g):
    return _sg_scatter_add(ddout, dout, index)


@register_gradient(SETITEM, static=('index',))
def setitem_grad(dy, y, x, index, value):
    # the old x keeps its gradient except where it was overwritten; the value
    # gets the gradient of the slots it filled (summed where it was broadcast)
    return _sg_zero_at(dy, index), _sg_written_grad(dy, index, value)


@register_gradient(_sg_written_grad, static=('index', 'value'))
def written_grad_grad(dout, out, dy, index, value):
    # the places the value filled, the ones an assignment kept
    places = np.broadcast_to(dout, np.shape(dy[index])) * _sg_last_writes(dy, index)
    return _sg_scatter_add(places, dy, index)


@register_gradient(_sg_zero_at, static=('index',))
def zero_at_grad(dout, out, g, index):
    return _sg_zero_at(dout, index)


@register_gradient(np.take_along_axis, static=('indices',))
def take_along_axis_grad(dy, y, arr, indices, axis=-1):
    # each element gets the gradient of every place it was taken to (repeats add up)
    return _sg_untake_along_axis(dy, indices, axis, arr)


@register_gradient(_sg_untake_along_axis, static=('indices', 'axis', 'x'))
def untake_along_axis_grad(dout, out, g, indices, axis, x):
    return np.take_along_axis(dout, indices, axis)


@register_gradient(np.take, static=('indices',), unsupported={'out': None})
def take_grad(dy, y, a, indices, axis=None, out=None, mode='raise'):
    # each element gets the gradient of every place it was taken to (repeats add up);
    # any axis, modes raise, wrap and clip, and the x.take() method
    return _sg_untake(dy, a, indices, axis, mode)


@register_gradient(_sg_untake, static=('a', 'indices', 'axis', 'mode'))
def untake_grad(dout, out, g, a, indices, axis=None, mode='raise'):
    return np.take(dout, indices, axis, mode=mode)


@register_gradient(np.sort, unsupported={'order': None})
def sort_grad(dy, y, a, axis=-1, kind=None, order=None, *, stable=None):
    # each element gets the gradient of the place it was sorted to (tied elements:
    # one each); any number of dimensions and axis None (autograd: 1-d only)
    return _sg_untake_along_axis(dy, np.argsort(a, axis=axis), axis, a)


@register_gradient(np.partition, static=('kth',), unsupported={'order': None})
def partition_grad(dy, y, a, kth, axis=-1, kind='introselect', order=None):
    # as sort: the gradient goes back to where each element came from (found by
    # matching values: np.argpartition may order the elements differently)
    return _sg_untake_along_axis(dy, _sg_sorted_places(a, y, axis), axis, a)
