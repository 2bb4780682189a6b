"""Reductions: sum, mean, prod, max/min (ties share equally), var, std."""
import numpy as np

from ..runtime.helpers import _sg_prod_others
from .registry import register_gradient

_NO_OUT = {'out': None, 'where': True}


def restore_reduced(g, x, axis, keepdims):
    """Broadcast a reduction's gradient back over the reduced axes of `x`."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


@register_gradient(np.sum, unsupported=_NO_OUT)
def sum_grad(dy, y, a, axis=None, dtype=None, out=None, keepdims=False, initial=None,
             where=True):
    return restore_reduced(dy, a, axis, keepdims)


@register_gradient(np.mean, unsupported=_NO_OUT)
def mean_grad(dy, y, a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    if axis is None:
        return np.broadcast_to(dy / np.size(a), np.shape(a))
    return restore_reduced(dy * (np.size(y) / np.size(a)), a, axis, keepdims)


@register_gradient(np.prod, unsupported=_NO_OUT)
def prod_grad(dy, y, a, axis=None, dtype=None, out=None, keepdims=False, initial=None,
              where=True):
    # the product of the other elements: exact where `a` has zeros (no 0/0)
    return restore_reduced(dy, a, axis, keepdims) * _sg_prod_others(a, axis)


@register_gradient((np.max, np.amax, np.min, np.amin), unsupported=_NO_OUT)
def max_grad(dy, y, a, axis=None, out=None, keepdims=False, initial=None, where=True):
    # tied extreme elements share the gradient equally (TensorFlow's convention)
    hit = a == restore_reduced(y, a, axis, keepdims)
    share = hit / np.sum(hit, axis=axis, keepdims=True)
    return restore_reduced(dy, a, axis, keepdims) * share


@register_gradient(np.var, unsupported=_NO_OUT)
def var_grad(dy, y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *,
             where=True, mean=None, correction=None):
    n = np.size(a) / np.size(y) - ddof
    centered = a - np.mean(a, axis=axis, keepdims=True)
    return restore_reduced(dy, a, axis, keepdims) * centered * (2.0 / n)


@register_gradient(np.std, unsupported=_NO_OUT)
def std_grad(dy, y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *,
             where=True, mean=None, correction=None):
    n = np.size(a) / np.size(y) - ddof
    centered = a - np.mean(a, axis=axis, keepdims=True)
    return restore_reduced(dy / y, a, axis, keepdims) * centered / n


@register_gradient(_sg_prod_others, static=('axis',))
def prod_others_grad(dout, out, x, axis=None):
    # d out_i / d x_k = out_k / x_i for i != k; exact where x has no zeros
    # (second derivatives of prod at zeros are not handled yet)
    ratio = dout / x
    return out * (np.sum(ratio, axis=axis, keepdims=True) - ratio)


@register_gradient(np.cumsum, unsupported={'out': None})
def cumsum_grad(dy, y, a, axis=None, dtype=None, out=None):
    # each element feeds every later partial sum: a cumulative sum from the end
    if axis is None:
        flat = np.flip(np.cumsum(np.flip(np.ravel(dy))))
        return np.reshape(flat, np.shape(a))
    return np.flip(np.cumsum(np.flip(dy, axis), axis), axis)
