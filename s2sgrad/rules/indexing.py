"""Indexing: `x[index]` for basic and advanced indices (repeats accumulate)."""
from ..ir.prims import GETITEM, SETITEM
from ..runtime.helpers import _sg_scatter_add, _sg_unbroadcast, _sg_zero_at
from .registry import register_gradient


@register_gradient(GETITEM, static=('index',))
def getitem_grad(dy, y, x, index):
    return _sg_scatter_add(dy, x, index)


@register_gradient(_sg_scatter_add, static=('x', 'index'))
def scatter_add_grad(dout, out, g, x, index):
    return dout[index]


@register_gradient(SETITEM, static=('index',))
def setitem_grad(dy, y, x, index, value):
    # the old x keeps its gradient except where it was overwritten; the value
    # gets the gradient of the slots it filled (summed where it was broadcast)
    return _sg_zero_at(dy, index), _sg_unbroadcast(dy[index], value)


@register_gradient(_sg_zero_at, static=('index',))
def zero_at_grad(dout, out, g, index):
    return _sg_zero_at(dout, index)
