"""Constructions: repeat, tile, diag, diagonal, triangles, pad, full, linspace, select.

Most are linear in their array argument and copy or drop its elements; the
adjoint puts the gradient back where each element came from, summing over
its copies.  Those adjoints are runtime helpers (s2sgrad/runtime/construction.py)
whose own rules are the NumPy function again, so gradients of gradients work.
"""
import numpy as np

from ..runtime.construction import _sg_diag_adjoint, _sg_diagonal_adjoint, _sg_linspace_fraction
from ..runtime.construction import _sg_none_hold, _sg_repeat_sum, _sg_select_parts
from ..runtime.helpers import _sg_if_inexact, _sg_unbroadcast
from ..runtime.construction import _sg_tile_sum, _sg_unpad
from .registry import constant, register_constant, register_gradient, transform_time
from .shape import is_float_type, refuse

# depends on the samples' shape only
register_constant(_sg_linspace_fraction, _sg_none_hold)


@transform_time
def step_count(num, endpoint):
    # the divisor of np.linspace's step (1 where there is a single sample)
    return (num - 1 if endpoint else num) or 1


@register_gradient(np.repeat, static=('repeats',))
def repeat_grad(dy, y, a, repeats, axis=None):
    # the copies of each element summed; repeats an int or one count per element
    return _sg_repeat_sum(dy, a, repeats, axis)


@register_gradient(_sg_repeat_sum, static=('a', 'repeats'))
def repeat_sum_grad(dout, out, g, a, repeats, axis=None):
    return np.repeat(dout, repeats, axis)


@register_gradient(np.tile, static=('reps',))
def tile_grad(dy, y, A, reps):
    # the tiles summed
    return _sg_tile_sum(dy, A, reps)


@register_gradient(_sg_tile_sum, static=('a', 'reps'))
def tile_sum_grad(dout, out, g, a, reps):
    return np.tile(dout, reps)


@register_gradient(np.diag)
def diag_grad(dy, y, v, k=0):
    # a vector made a matrix: its diagonal back; a matrix's diagonal: put back in place
    return _sg_diag_adjoint(dy, v, k)


@register_gradient(_sg_diag_adjoint, static=('v',))
def diag_adjoint_grad(dout, out, g, v, k=0):
    return np.diag(dout, k)


@register_gradient(np.diagonal)
def diagonal_grad(dy, y, a, offset=0, axis1=0, axis2=1):
    # any offset and pair of axes, and the x.diagonal() method (autograd: offset 0 of
    # the last two axes only)
    return _sg_diagonal_adjoint(dy, a, offset, axis1, axis2)


@register_gradient(_sg_diagonal_adjoint, static=('a',))
def diagonal_adjoint_grad(dout, out, g, a, offset=0, axis1=0, axis2=1):
    return np.diagonal(dout, offset, axis1, axis2)


@register_gradient(np.triu, broadcasts=True)
def triu_grad(dy, y, m, k=0):
    # a vector m is a row repeated into a matrix: its gradient is summed over the rows
    return np.triu(dy, k)


@register_gradient(np.tril, broadcasts=True)
def tril_grad(dy, y, m, k=0):
    # a vector m is a row repeated into a matrix: its gradient is summed over the rows
    return np.tril(dy, k)


@register_gradient(np.pad, static=('pad_width',), unsupported={'reflect_type': 'even'})
def pad_grad(dy, y, array, pad_width, mode='constant', constant_values=0, reflect_type='even'):
    # modes constant and empty (the interior), and edge, reflect, symmetric, wrap (each
    # element also gets the gradient of its copies); autograd: 'constant' only.
    # constant_values are constants: a run-time value there is refused
    if mode not in ('constant', 'empty', 'edge', 'reflect', 'symmetric', 'wrap'):
        refuse('np.pad: mode={!r} has no gradient (the modes constant, empty, edge, '
               'reflect, symmetric and wrap have one)', mode)
    if constant(constant_values) is NotImplemented:
        refuse('np.pad: constant_values computed at run time have no gradient yet (pad with '
               'zeros and add the border, or pass a constant)')
    return _sg_unpad(dy, array, pad_width, mode)


@register_gradient(_sg_unpad, static=('a', 'pad_width', 'mode'))
def unpad_grad(dout, out, g, a, pad_width, mode='constant'):
    if mode == 'constant' or mode == 'empty':
        return np.pad(dout, pad_width)
    return np.pad(dout, pad_width, mode)


@register_gradient(np.full, broadcasts=True, static=('shape',))
def full_grad(dy, y, shape, fill_value, dtype=None, order='C', *, device=None, like=None):
    # fill_value gets the sum of the gradient (per element of an array fill_value)
    if not is_float_type(dtype):
        return None
    return dy


@register_gradient(np.full_like, broadcasts=True, static=('a',))
def full_like_grad(dy, y, a, fill_value, dtype=None, order='K', subok=True, shape=None, *,
                   device=None):
    # fill_value gets the sum of the gradient, unless the result holds integers
    return _sg_if_inexact(dy, y)


@register_gradient(np.arange, static=('stop',), differentiable=('step',))
def arange_grad(dy, y, start, stop=None, step=None, dtype=None, *, device=None, like=None):
    # the values start + k * step: start gets the sum of the gradient, step the sum
    # weighted by k; the count is piecewise constant.  np.arange(stop): 0, 1, ...
    if constant(stop) is None:
        return None, None
    g = _sg_if_inexact(dy, y)
    if constant(step) is None:
        return np.sum(g), None
    return np.sum(g), np.sum(g * np.arange(np.size(g)))


@register_gradient(_sg_if_inexact, static=('y',))
def if_inexact_grad(dout, out, g, y):
    return _sg_if_inexact(dout, y)


@register_gradient(np.linspace, broadcasts=True)
def linspace_grad(dy, y, start, stop, num=50, endpoint=True, retstep=False, dtype=None,
                  axis=0, *, device=None):
    # sample i is start + (stop - start) * t_i, with t_i = i / (num - 1) (i / num without
    # the endpoint); array start and stop too, and retstep's step
    if not is_float_type(dtype):
        return None, None
    if retstep:
        dsamples, dstep = dy
        t = _sg_linspace_fraction(dsamples, num, endpoint, axis)
        dstop = np.sum(dsamples * t, axis=axis) + dstep / step_count(num, endpoint)
        dstart = np.sum(dsamples, axis=axis) - dstop
        return dstart, dstop
    t = _sg_linspace_fraction(dy, num, endpoint, axis)
    dstop = np.sum(dy * t, axis=axis)
    return np.sum(dy, axis=axis) - dstop, dstop


@register_gradient(np.select, differentiable=('default',))
def select_grad(dy, y, condlist, choicelist, default=0):
    # each choice gets the gradient where its condition is the first that holds, the
    # default where none holds (summed back to its shape when it was broadcast)
    return (None, _sg_select_parts(dy, condlist, choicelist),
            _sg_unbroadcast(np.where(_sg_none_hold(condlist, dy), dy, 0.0), default))


@register_gradient(_sg_select_parts, static=('condlist', 'choicelist'))
def select_parts_grad(dparts, parts, g, condlist, choicelist):
    return np.select(condlist, dparts)
