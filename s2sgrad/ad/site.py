"""The `gradients(...)` call inside a `@graph` function: its arguments, then its adjoint.

The tf.gradients signature is checked here (ad/interface.py has it): which
arguments must be known when transforming, which may be values; ys, xs,
grad_ys and stop_gradients are flat lists of values.  The adjoint is
appended right where the call stands (ad/reverse.py), because the code
after it may use its results.
"""
import inspect

from ..errors import TransformError
from ..ir import prims
from ..ir.nodes import Const, Pack, Value
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
        if isinstance(operand, Pack) and operand.kind in ('list', 'tuple'):
            items = operand.items
        elif isinstance(operand, Const) and isinstance(operand.value, (list, tuple)):
            items = [Const(v) for v in operand.value]
        else:
            items = [operand]
        for item in items:
            if isinstance(item, Pack):
                raise ValueError(f'gradients(): {key} must be a value or a flat list of '
                                 f'values{where}')
        return items

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
    grads = differentiate(lowering, ys, xs, grad_ys, stop, unconnected, method, bool(gate),
                          name, origin)
    return Pack('list', grads)
