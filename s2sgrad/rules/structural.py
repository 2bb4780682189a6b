"""Compiler primitives, runtime helpers, and the functions whose results are constants."""
import builtins
import math
import operator

import numpy as np

from ..ad import interface
from ..ir import prims
from ..runtime import containers, gradients_of, helpers, objects
from ..runtime import loops as loop_helpers
from ..runtime import online, revolve, sparse, tangents
from .registry import register_constant, register_gradient


@register_gradient(prims.UNPACK, multi_output=True)
def unpack_grad(dparts, parts, sequence):
    # p, q = v: an array's items come back as an array, a tuple's as a tuple
    return loop_helpers._sg_repack(dparts, sequence)


@register_gradient(loop_helpers._sg_repack, static=('sequence',))
def repack_grad(dout, out, dparts, sequence):
    return dout


@register_gradient(prims.INPLACE_ADD, broadcasts=True)
def inplace_add_grad(dy, y, acc, term):
    return dy, dy


@register_gradient(loop_helpers._sg_add_at, static=('index',))
def add_at_grad(dy, y, acc, index, g):
    # acc[index] += g: acc's gradient passes through, g's is dy's entries at index
    return dy, gradients_of._sg_entry_gradient(dy, index, g)


@register_gradient(helpers._sg_unbroadcast, static=('x',))
def unbroadcast_grad(dout, out, g, x):
    return helpers._sg_broadcast_back(dout, g)


@register_gradient(helpers._sg_broadcast_back, static=('like',))
def broadcast_back_grad(dout, out, g, like):
    return helpers._sg_unbroadcast(dout, g)


@register_gradient(helpers._sg_cast_like, static=('x',))
def cast_like_grad(dout, out, g, x):
    return helpers._sg_unbroadcast(dout, g)


@register_gradient(gradients_of._sg_gradient_of, static=('x', 'zero'))
def gradient_of_grad(dout, out, g, x, zero=False):
    return helpers._sg_unbroadcast(dout, g)


@register_gradient(gradients_of._sg_gradient_of_read, static=('root', 'path'))
def gradient_of_read_grad(dout, out, g, root, groot, path):
    return (gradients_of._sg_read_adjoint(dout, root, path, True),
            gradients_of._sg_read_adjoint(dout, root, path, False))


register_constant(
    # compiler and runtime pieces
    interface.stop_gradient, prims.ASSERT, prims.RAISE, print, prims.TAPE_NEW, prims.FSTRING,
    prims.TAPE_PUSH, prims.TAPE_POP, prims.TAPE_REVERSED, prims.TAPE_COPY,
    math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
    helpers._sg_ones_like, helpers._sg_zeros_like, helpers._sg_shape_of,
    tangents._sg_zero_tangent,
    helpers._sg_check_output, sparse._sg_sparse_jacobian,
    # a loop's checkpointing schedule (its states' gradients are the loop adjoint's)
    revolve._sg_revolve, revolve._sg_revolve_offer, revolve._sg_revolve_restore,
    revolve._sg_revolve_advance, revolve._sg_revolve_within, online._sg_online,
    online._sg_online_within, online._sg_online_offer, online._sg_online_steps,
    # comparisons and logic
    np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
    operator.is_, operator.is_not, operator.contains, operator.not_,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert, np.left_shift, np.right_shift,
    np.isfinite, np.isinf, np.isnan, np.isneginf, np.isposinf, np.allclose, np.isclose,
    np.array_equal, np.array_equiv, np.iscomplexobj, np.iscomplex, np.isreal, np.isscalar,
    np.all, np.any,
    # piecewise constant
    np.floor, np.ceil, np.round, np.around, np.rint, np.fix, np.trunc, np.sign,
    np.floor_divide,
    # indices and counts
    np.argmax, np.argmin, np.argsort, np.argpartition, np.argwhere, np.nonzero,
    np.flatnonzero, np.count_nonzero, np.searchsorted,
    # shapes, types, construction
    np.shape, np.ndim, np.size, getattr, np.result_type, np.issubdtype, np.dtype,
    np.promote_types, np.can_cast, np.min_scalar_type, np.finfo, np.iinfo,
    np.zeros_like, np.ones_like, np.empty_like,
    np.zeros, np.ones, np.empty, np.eye, np.identity,
    builtins.len, builtins.int, builtins.bool, builtins.range, builtins.isinstance,
    builtins.round, np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_,
)


@register_gradient(prims.LIST_NEW)
def list_new_grad(dlist, lst, items):
    return helpers._sg_list_entries(dlist, items)


@register_gradient(prims.LIST_APPEND, static=('size',))
def list_append_grad(dlist, lst, base, value, size):
    return dlist[:size], helpers._sg_list_item(dlist, size, value)


@register_gradient(helpers._sg_list_item, static=('index', 'like'))
def list_item_grad(dout, out, g, index, like):
    # the entry of a list's gradient: its gradient is that entry's, the others none
    return helpers._sg_scatter_add(dout, g, index)


@register_gradient(helpers._sg_list_entries, static=('items',))
def list_entries_grad(dout, out, g, items):
    # one gradient per item: the list's gradient, entry by entry
    return dout


@register_gradient(sum, static=('start',))
def builtin_sum_grad(dy, y, iterable, start=0):
    return helpers._sg_list_fill(dy, iterable)


@register_gradient(helpers._sg_list_fill, static=('seq',))
def list_fill_grad(dout, out, g, seq):
    return sum(dout)


@register_gradient(min)
def builtin_min_grad(dy, y, a, b):
    # min(a, b) of two values: the gradient goes to a where a <= b (as np.minimum)
    first = a <= b
    return np.where(first, dy, 0.0), np.where(first, 0.0, dy)


@register_gradient(max)
def builtin_max_grad(dy, y, a, b):
    first = a >= b
    return np.where(first, dy, 0.0), np.where(first, 0.0, dy)


@register_gradient(helpers._sg_iterable)
def iterable_grad(dout, out, seq):
    # a list, tuple or array walked as it is (a dict's keys: read as constants, its
    # values through `d[k]`, whose own gradients reach the dict)
    return dout


# a NamedTuple field's position: a matter of its class only
register_constant(containers._sg_field_index)


@register_gradient(containers._sg_field, static=('name',))
def field_grad(dy, y, obj, name):
    # state.m: the NamedTuple's gradient, with an entry at m's position
    return helpers._sg_scatter_add(dy, obj, containers._sg_field_index(obj, name))


@register_gradient(objects._sg_with_attribute, static=('name',))
def with_attribute_grad(dnew, new, obj, name, value):
    # obj.name = value, as p['W'] = v: the old version keeps its other entries, the
    # value gets the written one's
    return containers._sg_zero_entry(dnew, name), containers._sg_entry(dnew, name, value)


@register_gradient(containers._sg_namedtuple, static=('cls',))
def namedtuple_grad(dout, out, cls, items):
    # one entry per field, as the tuple of its items has
    return dout


@register_gradient(containers._sg_items)
def items_grad(dout, out, d):
    return containers._sg_items_grad(dout, d)


@register_gradient(containers._sg_items_grad, static=('d',))
def items_grad_grad(dout, out, g, d):
    return containers._sg_items_grad_grad(dout, d)


@register_gradient(containers._sg_values_grad, static=('d',))
def values_grad_grad(dout, out, g, d):
    return containers._sg_values_grad_grad(dout, d)


@register_gradient(containers._sg_dict_of)
def dict_of_grad(dout, out, pairs):
    return containers._sg_dict_of_grad(dout, pairs)


@register_gradient(containers._sg_values)
def values_grad(dout, out, d):
    return containers._sg_values_grad(dout, d)


@register_gradient(helpers._sg_bound, static=('name',))
def bound_grad(dout, out, value, name):
    return dout


@register_gradient(helpers._sg_accumulate)
def accumulate_grad(dout, out, a, b):
    return dout, dout


# ---- reads and new versions of a dict (or list) passed in ------------------------------
register_constant(containers._sg_keys)


@register_gradient(containers._sg_get, static=('key',), differentiable=('default',))
def get_grad(dy, y, d, key, default=None):
    # p.get('W', w0): the dict's entry if it has the key, else the default's
    return containers._sg_get_grad(dy, d, key), containers._sg_default_grad(dy, d, key)


@register_gradient(containers._sg_get_grad, static=('d', 'key'))
def get_grad_grad(dout, out, dy, d, key):
    return containers._sg_entry(dout, key, dy)


@register_gradient(containers._sg_default_grad, static=('d', 'key'))
def default_grad_grad(dout, out, dy, d, key):
    # where d has the key the default's gradient is None: dy gets zeros, not None
    # (a gradient of a gradient multiplies it)
    return helpers._sg_accumulate(containers._sg_default_grad(dout, d, key),
                                  helpers._sg_zeros_like(dy))


@register_gradient(containers._sg_copy, static=('kind',))
def container_copy_grad(dout, out, base, kind=dict):
    return dout


@register_gradient(list)
@register_gradient(tuple)
@register_gradient(containers._sg_list_copy)
def sequence_of_grad(dout, out, x):
    # list(x), tuple(x) of a list, tuple or array x: the entries back in x's kind
    return containers._sg_sequence_like(dout, x)


@register_gradient(containers._sg_sequence_like, static=('like',))
def sequence_like_grad(dout, out, g, like):
    # (linear) the entries of a list's gradient from those of x's kind
    return list(dout)


@register_gradient(containers._sg_tuple)
def tuple_of_grad(dout, out, seq):
    # the same items: an entry per item
    return dout


@register_gradient(containers._sg_replaced, static=('key',))
def replaced_grad(dout, out, base, key, value):
    # p['W'] = v as a new version: the old version keeps its other entries, the
    # value gets the written one's
    return containers._sg_zero_entry(dout, key), containers._sg_entry(dout, key, value)


@register_gradient(containers._sg_zero_entry, static=('key',))
def zero_entry_grad(dout, out, g, key):
    return containers._sg_zero_entry(dout, key)


@register_gradient(containers._sg_entry, static=('key', 'like'))
def entry_grad(dout, out, g, key, like):
    return containers._sg_entry_grad(dout, g, key)


@register_gradient(containers._sg_entry_grad, static=('g', 'key'))
def entry_grad_grad(dout, out, dy, g, key):
    return containers._sg_entry(dout, key, dy)


@register_gradient(containers._sg_without, static=('key',))
def without_grad(dout, out, base, key):
    # del p['k']: the other entries' gradients (the deleted item has none)
    return dout
