"""Reverse-mode AD: the adjoint of the program slice from xs to ys.

`differentiate` walks the ops that precede a `gradients(...)` site backwards,
expanding each active op's rule template (rules/template.py) at the site, so
the adjoint is ordinary IR appended to the forward code: no tape, forward
values are read directly.  Gradients of gradients work because the adjoint
ops are themselves differentiable IR.

The tf.gradients contract lives here: stop_gradients (no propagation past a
value), integer/bool constness (constant ops produce no active values),
unconnected xs (None or zeros), the aggregation method of several terms, and
gate_gradients (an op's input gradients grouped before any is used).  The
sweep itself is ad/sweep.py, the adjoints of ifs and loops ad/control.py.
"""
import dataclasses

import numpy as np

from ..analyses.shapes import SCALAR, ShapeClasses
from ..ir.nodes import Block, Const, If, Loop, Value, walk
from ..runtime import gradients_of, helpers
from ..specialisation import GENERAL
from . import interface
from .activity import activity, tapes_in
from .invariance import zero_gradient_shifts
from .sweep import Sweep
from .tape_adjoint import copy_tapes_read_again
from .terms import grad_hint


@dataclasses.dataclass(eq=False)
class GradBlock:
    """One `gradients(...)` call's generated code: codegen prints a banner for it."""

    name: str
    ys: list
    xs: list
    aggregation: int
    gate: bool
    origin: object


def differentiate(lowering, ys, xs, grad_ys=None, stop=(), unconnected='none',
                  aggregation=interface.AggregationMethod.ADD_N, gate=False,
                  name='gradients', origin=None, cast_like=False, specialisation=GENERAL,
                  forward_shapes=None, outputs_of=None, check_every_output=False):
    """Append the adjoint code to `lowering.builder`; return one operand per x.

    `lowering` is the lowering at the site (ad/lowering.py: its builder holds
    the ops that precede the site; rule templates are lowered through it).
    `specialisation`: what a call's arguments are (specialisation.py), bound to
    the parameters' values; `forward_shapes`: the shape classes of the ops that
    precede the site, when the caller has them (else computed here); the sweep
    completes them with its regions' blocks.
    `outputs_of`: sg.grad of the function of that name: an output that does not
    depend on the xs is checked to be floats when the code runs (one that does
    is floats already, unless it may be complex: `check_every_output`).
    """
    builder = lowering.builder
    block = GradBlock(name, ys, xs, aggregation, gate, origin)
    prefix = builder.visible_ops()
    stop = {v for v in stop if isinstance(v, Value)} | zero_gradient_shifts(prefix, ys, xs)
    sweep = Sweep(lowering, block, stop)
    saved = builder.adjoint, builder.origin_override
    builder.adjoint = block
    try:
        copies = lowering.ctx.tape_copies
        varied, useful = activity(prefix, {x for x in xs if isinstance(x, Value)},
                                  {y for y in ys if isinstance(y, Value)}, stop, copies)
        sweep.varied = varied
        sweep.needed = varied & useful
        sweep.needed_tapes = tapes_in(prefix) & sweep.needed
        sweep.tapes_home = (builder.block, len(builder.block.ops))
        sweep.locate(builder.stack)
        sweep.shapes = forward_shapes if forward_shapes is not None else \
            ShapeClasses(prefix, specialisation.scalars, specialisation.shapes)
        _seed(sweep, prefix, ys, grad_ys, outputs_of, check_every_output)
        sweep.sweep(prefix)
        copy_tapes_read_again(sweep, sweep.tapes_home[1])
        handed = set()      # the gradients handed back so far (sg.grad's)
        return [_gradient(sweep, x, unconnected, cast_like, specialisation.scalars, handed)
                for x in xs]
    finally:
        builder.adjoint, builder.origin_override = saved


def _seed(sweep, prefix, ys, grad_ys, outputs_of, check_every_output):
    """Give each y that depends on an x its seed (grad_ys, else ones); for sg.grad,
    check the outputs that may not be floats when the code runs."""
    merged_from = _merged_from(prefix) if outputs_of is not None else {}
    for i, y in enumerate(ys):
        if isinstance(y, Value) and outputs_of is not None and \
                (y not in sweep.varied or check_every_output or
                 _may_merge_a_non_float(y, merged_from)):
            sweep.emit(helpers._sg_check_output, [y, Const(outputs_of)], '_checked', y.origin)
        if not isinstance(y, Value) or y not in sweep.varied:
            continue
        seed = grad_ys[i] if grad_ys is not None else None
        if seed is None or (isinstance(seed, Const) and seed.value is None):
            if sweep.shapes.of(y) == SCALAR:
                seed = Const(1.0)       # a scalar: no array of ones needed
            else:
                seed = sweep.emit(helpers._sg_ones_like, [y], grad_hint(y), y.origin)
        sweep.add_term(y, seed)


def _gradient(sweep, x, unconnected, cast_like, scalars, handed):
    """The operand handed back for x: its gradient, with x's dtype and shape.  Two
    arguments never get the same array (`x + y`'s): a caller updating one gradient
    in place must not change the other, so the second is a copy."""
    origin = sweep.block.origin
    if not isinstance(x, Value):
        return _unconnected(sweep, x, unconnected)
    d = sweep.sum_terms(x)
    if d is None and cast_like:
        d = Const(None)         # sg.grad: zeros of x's shape and dtype
    elif d is None:
        return _unconnected(sweep, x, unconnected)
    # for tf.gradients, integer and boolean xs are constants, which is known
    # only when the code runs
    hint = grad_hint(x)
    if cast_like and x in scalars:
        # a Python float argument: its gradient is a float (0.0 when none)
        d = Const(0.0) if isinstance(d, Const) and d.value is None else \
            sweep.emit(float, [d], hint, origin)
    elif cast_like:     # sg.grad: cast in the return statement (origin: the def)
        if isinstance(d, Value):
            array = _array_of(sweep, d)
            if array in handed:
                d = sweep.emit(np.copy, [d], hint, origin)
            handed.add(array)
        d = sweep.emit(helpers._sg_cast_like, [d, x], hint, origin)
    else:
        args = [d, x] + ([Const(True)] if unconnected == 'zero' else [])
        d = sweep.emit(gradients_of._sg_gradient_of, args, hint, origin)
        d.temp = True       # named by the user's assignment, or folded into it
    return d


def _array_of(sweep, d):
    """The array a gradient may be when the code runs: a rule's sum back to x's shape
    (`_sg_unbroadcast(g, x)`) hands back g itself where g has x's shape already."""
    op = sweep.lowering.producing_op(d)
    while getattr(op, 'prim', None) is helpers._sg_unbroadcast and isinstance(op.args[0], Value):
        d = op.args[0]
        op = sweep.lowering.producing_op(d)
    return d


def _unconnected(sweep, x, mode):
    """What an x with no path to the ys gets: None, or zeros (`unconnected_gradients`);
    the zeros of an x that may be a container or object passed in are in its
    structure, leaf by leaf (known only when the code runs)."""
    if mode == 'none':
        return Const(None)
    if isinstance(x, Value) and sweep.lowering.may_be_mapping(x):
        return sweep.emit(gradients_of._sg_gradient_of, [Const(None), x, Const(True)],
                          grad_hint(x), sweep.block.origin, temp=False)
    if isinstance(x, Value):
        return sweep.emit(helpers._sg_zeros_like, [x], grad_hint(x), sweep.block.origin,
                          temp=False)
    return Const(0.0)


def _merged_from(ops):
    """value -> the values an if or a loop may give it (its branches' results, its
    value before the loop and after an iteration), over these ops and their regions."""
    merged = {}
    for op in walk(Block(ops)):
        if isinstance(op, If):
            for out, a, b in zip(op.outputs, op.then_results, op.else_results):
                merged[out] = (a, b)
        elif isinstance(op, Loop):
            for out, phi, init, nxt in zip(op.outputs, op.phis, op.inits, op.nexts):
                merged[out] = merged[phi] = (init, nxt)
    return merged


def _may_merge_a_non_float(y, merged_from):
    """Can an output made by ifs and loops be, on some path, a constant that is not a
    float (`return "done"` on one path, a float on another)?  Then sg.grad checks it
    when it runs."""
    seen, stack = set(), [y]
    while stack:
        v = stack.pop()
        if isinstance(v, Const):
            if not isinstance(v.value, (float, np.floating, np.ndarray)):
                return True
        elif isinstance(v, Value) and v not in seen:
            seen.add(v)
            stack.extend(merged_from.get(v, ()))
    return False

