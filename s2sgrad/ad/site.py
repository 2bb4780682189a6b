"""The `gradients(...)` call inside a `@graph` function: its arguments, then its adjoint.

The tf.gradients signature is checked here (ad/interface.py has it): which
arguments must be known when transforming, which may be values.  ys, xs,
grad_ys and stop_gradients are values or lists, tuples and dicts of them,
nested: each is flattened into its leaves, as tf.nest flattens a structure
(the ys' are summed, grad_ys matches them leaf by leaf), and the gradients
are handed back in the structure of xs (a list for a list, as tf.gradients;
nested lists, tuples and dicts as they were).  The adjoint is appended right
where the call stands (ad/reverse.py), because the code after it may use its
results.
"""
import inspect

import numpy as np

from ..errors import TransformError
from ..ir import prims
from ..ir.nodes import Const, Pack, Value
from ..runtime import containers, gradients_of
from . import interface
from .reverse import differentiate

_SIGNATURE = inspect.signature(interface.gradients)


def gradients_site(lowering, args, kwargs, node):
    """Lower `sg.gradients(...)` at `node`: validate the arguments, emit the adjoint."""
    origin = lowering.origin(node)
    where = f' ({origin.long})'
    try:
        bound = _SIGNATURE.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f'gradients(): {exc}{where}') from None
    bound.apply_defaults()
    a = {k: v if isinstance(v, (Const, Value, Pack)) else Const(v)
         for k, v in bound.arguments.items()}

    def static(key):
        operand = a[key]
        if isinstance(operand, Const):
            return operand.value
        if isinstance(operand, (Value, Pack)) and key in ('ys', 'xs', 'grad_ys', 'stop_gradients'):
            return operand
        raise TransformError(f'gradients(): {key} must be known when the function is '
                             f'transformed (a constant), not a run-time value', origin)

    def as_list(key):
        operand = a[key]
        if isinstance(operand, Const) and operand.value is None:
            return None
        return _leaves(operand)

    ys = as_list('ys') or []
    xs = as_list('xs') or []
    for x in xs:
        op = lowering.producing_op(x) if isinstance(x, Value) else None
        if op is not None and op.prim is prims.GETITEM and op.args[0] in lowering.ctx.lists:
            # (an item known here is that value itself: see lower.known_item)
            raise TransformError('gradients(): an item of a list built when the code runs '
                                 '(appended in a loop) as an x is not supported: it is '
                                 'read from the list here, not the value the loop made; '
                                 'differentiate with respect to a value known before the '
                                 'loop', origin)
    if not xs:
        raise ValueError(f'gradients(): xs is empty{where}')
    grad_ys = as_list('grad_ys')
    if grad_ys is not None and len(grad_ys) != len(ys):
        raise ValueError(f'gradients(): Passed {len(grad_ys)} grad_ys for {len(ys)} ys{where}')
    stop = as_list('stop_gradients') or []
    unconnected = static('unconnected_gradients')
    try:
        unconnected = interface.UnconnectedGradients(
            unconnected.value if isinstance(unconnected, interface.UnconnectedGradients)
            else unconnected).value
    except (ValueError, TypeError):
        raise ValueError(f'gradients(): Unknown value for unconnected_gradients: '
                         f'{unconnected!r}{where}') from None
    method = static('aggregation_method')
    AM = interface.AggregationMethod
    if method is None:
        method = AM.ADD_N
    if method not in (AM.ADD_N, AM.EXPERIMENTAL_TREE, AM.EXPERIMENTAL_ACCUMULATE_N) \
            or isinstance(method, bool):
        raise ValueError(f'gradients(): Invalid aggregation_method specified '
                         f'{method!r}{where}')
    gate = static('gate_gradients')
    if not isinstance(gate, (bool, int)) or gate not in (0, 1):
        raise ValueError(f'gradients(): gate_gradients must be True or False{where}')
    name = static('name')
    if name is None:
        name = 'gradients'
    if not isinstance(name, str):
        raise ValueError(f'gradients(): name must be a string{where}')
    name = str.__str__(name)        # (it goes into a comment: codegen escapes it)
    reads = {i: path for i, x in enumerate(xs) if (path := _read_path(lowering, x))}
    roots = list(dict.fromkeys(root for root, _ in reads.values() if root not in xs))
    grads = differentiate(lowering, ys, xs + roots, grad_ys, stop, unconnected, method,
                          bool(gate), name, origin)
    for i, (root, path) in reads.items():
        groot = grads[xs.index(root) if root in xs else len(xs) + roots.index(root)]
        grads[i] = lowering.builder.emit(gradients_of._sg_gradient_of_read,
                                         [grads[i], root, groot, Const(path)], {}, origin,
                                         grads[i].hint if isinstance(grads[i], Value) else None)
    del grads[len(xs):]
    return _packed_like(a['xs'], iter(grads), top=True)


def _read_path(lowering, x):
    """(root, path) where x is a read `root[k1].name['key']` of a parameter of the
    function, with constant keys and names, ending in a string key or an
    attribute (so what it reads from is a dict, an object or a NamedTuple: a
    container passed in, whose reads of one path are one object); the path's
    steps are (is an attribute, key).  Else None: a read `x[0]` of what may be
    an array is a new array, its own value."""
    steps, read = [], x
    while isinstance(x, Value):
        op = lowering.producing_op(x)
        if op is None:
            break
        if op.prim is containers._sg_field:
            steps.append((True, op.args[1].value))          # a NamedTuple's field, an attribute
        elif op.prim is prims.GETITEM and isinstance(op.args[1], Const) and \
                not isinstance(op.args[1].value, (slice, tuple, list, np.ndarray)) and \
                op.args[0] not in lowering.ctx.lists:
            steps.append((False, op.args[1].value))
        else:
            return None
        x = op.args[0]
    if not steps or x not in lowering.ctx.parameters:
        return None
    attribute, key = steps[0]
    if not attribute and not isinstance(key, str) and read not in lowering.ctx.container_leaves:
        return None     # `x[0]`, `layers[0][1]`: maybe an array's item, a new array
    return x, tuple(reversed(steps))


def _structure(operand):
    """A list, tuple or dict of operands (a literal of the function's, or a constant),
    as (kind, items, keys); None for a leaf."""
    if isinstance(operand, Pack) and operand.kind in ('list', 'tuple', 'dict'):
        return operand.kind, operand.items, operand.keys
    if isinstance(operand, Const) and type(operand.value) in (list, tuple):
        return type(operand.value).__name__, [Const(v) for v in operand.value], None
    if isinstance(operand, Const) and type(operand.value) is dict:
        value = operand.value
        return 'dict', [Const(v) for v in value.values()], list(value)
    return None


def _leaves(operand):
    """The operand's leaves, depth first in its order (a leaf: [itself])."""
    structure = _structure(operand)
    if structure is None:
        return [operand]
    return [leaf for item in structure[1] for leaf in _leaves(item)]


def _packed_like(operand, grads, top=False):
    """The gradients, taken from `grads` in `_leaves` order, in the operand's
    structure; at the top, a list for a leaf or a tuple (as tf.gradients)."""
    structure = _structure(operand)
    if structure is None:
        return Pack('list', [next(grads)]) if top else next(grads)
    kind, items, keys = structure
    if top and kind == 'tuple':
        kind = 'list'
    return Pack(kind, [_packed_like(item, grads) for item in items], keys)
