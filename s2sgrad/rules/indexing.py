"""Indexing: `x[index]` for basic and advanced indices (repeats accumulate)."""
from ..ir.prims import GETITEM
from ..runtime.helpers import _sg_scatter_add
from .registry import register_gradient


@register_gradient(GETITEM, static=('index',))
def getitem_grad(dy, y, x, index):
    return _sg_scatter_add(dy, x, index)


@register_gradient(_sg_scatter_add, static=('x', 'index'))
def scatter_add_grad(dout, out, g, x, index):
    return dout[index]
