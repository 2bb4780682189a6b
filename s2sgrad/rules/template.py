"""Inline a gradient rule: its body becomes IR ops at the point of use.

The rule's parameters are bound to the operands of the op being
differentiated (dy, y, then the primal's arguments); its body is lowered by
the same lowering as user code, so static tests (`if axis is None:`) pick a
branch at transform time and the generated code reads like the rule.
"""
from ..errors import TransformError
from ..frontend.source import capture
from ..ir.nodes import Const, Pack, Value
from .registry import _REQUIRED


def bind(rule, op, name):
    """Map the rule's primal parameters to the op's operands (or the rule's defaults)."""
    params = rule.params
    bound = {}
    positional = [p for p in params if not p[3]]
    if len(op.args) > len(positional):
        raise TransformError(f'{name}: too many positional arguments for its gradient rule',
                             op.origin)
    for (pname, *_), operand in zip(positional, op.args):
        bound[pname] = operand
    known = {p[0] for p in params}
    for key, operand in op.kwargs.items():
        if key not in known:
            raise TransformError(f'{name}: argument {key!r} is not supported when '
                                 f'differentiating it', op.origin)
        bound[key] = operand
    for pname, default, *_ in params:
        if pname not in bound:
            if default is _REQUIRED:
                raise TransformError(f'{name}: missing argument {pname!r}', op.origin)
            bound[pname] = Const(default)
    for pname, allowed in rule.unsupported.items():
        operand = bound.get(pname)
        if not (isinstance(operand, Const) and _same(operand.value, allowed)):
            raise TransformError(f'{name}: only {pname}={allowed!r} can be differentiated',
                                 op.origin)
    return bound


def _same(a, b):
    try:
        return bool(a is b or a == b)
    except Exception:
        return False


def expand(rule, op, dy, lower, name):
    """Lower the rule's body for `op`; one gradient operand (or None) per differentiable input.

    `lower(src, env)` lowers the captured source with its parameters bound and
    returns the body's result operand."""
    bound = bind(rule, op, name)
    src = capture(rule.fn)
    dy_name, y_name = list(src.fn.__code__.co_varnames[:2])
    y = Pack('tuple', op.outputs) if rule.multi_output else op.output
    env = {dy_name: dy, y_name: y}
    env.update(bound)
    result = lower(src, env)
    wanted = rule.differentiable
    if len(wanted) == 1:
        results = [result]
    elif isinstance(result, Pack) and len(result.items) == len(wanted):
        results = result.items
    elif isinstance(result, Const) and isinstance(result.value, tuple) \
            and len(result.value) == len(wanted):
        results = [Const(v) for v in result.value]
    else:
        raise TransformError(f'gradient rule {rule.fn.__name__} must return {len(wanted)} '
                             f'gradients', op.origin)
    out = []
    for pname, grad in zip(wanted, results):
        if isinstance(grad, Const) and grad.value is None:
            grad = None
        out.append((bound[pname], grad))
    return out


__all__ = ['expand', 'bind', 'Value']
