"""Activity analysis: which values depend on an x, which the ys depend on.

Only ops whose inputs are varied (depend on an x) and whose outputs are
useful (some y depends on them) get an adjoint.  Regions are entered: a
branch's values count, a region's outputs depend on what its branches
yield, and a loop's carried values are iterated to a fixed point.  A value
in `stop` (stop_gradients, a zero-gradient shift) passes nothing on.
Forward mode needs the same analysis (its `varied` half).
"""
from ..ir import prims
from ..ir.nodes import Block, If, Loop, values_in, walk
from ..ir.primitives import info
from ..rules import registry
from . import interface
from .tape_adjoint import canonical_tape, walked_tapes

def activity(ops, varied, useful, stop, copies=None):
    """(varied, useful): values that depend on an x, values the ys depend on.

    A tape carries its pushed values to what reads them (a pop, a reverse
    loop's target): the tape is useful when a read is, and then so is what
    is pushed on it.  `copies`: a tape popped as a copy -> the tape saved
    (tape_adjoint.canonical_tape).
    """
    varied, useful = set(varied), set(useful)
    _forward(ops, varied, stop)
    _backward(ops, useful, stop, copies or {})
    return varied, useful


def tapes_in(ops):
    """The tapes that the ops (and their regions) make."""
    return {op.outputs[0] for op in walk(Block(ops))
            if getattr(op, 'prim', None) is prims.TAPE_NEW}


def blocks_gradient(op):
    """Is `op` a constant for AD (stop_gradient, an integer or boolean result)?"""
    if isinstance(op, If):
        return False
    prim = op.prim
    return prim is interface.stop_gradient or registry.is_constant(prim)


def _forward(ops, varied, stop):
    for op in ops:
        if isinstance(op, Loop):
            if any(v in varied for v in values_in(op.iterable)):
                varied.update(op.targets)       # (a reverse loop over a tape)
            while True:
                count = len(varied)
                for phi, init, nxt in zip(op.phis, op.inits, op.nexts):
                    if any(v in varied for v in values_in(init)) or \
                            any(v in varied for v in values_in(nxt)):
                        varied.add(phi)
                _forward(op.cond_block.ops, varied, stop)
                _forward(op.body.ops, varied, stop)
                if len(varied) == count:
                    break
            varied.update(out for out, phi in zip(op.outputs, op.phis)
                          if phi in varied and out not in stop)
            continue
        if isinstance(op, If):
            for block, results in ((op.then_block, op.then_results),
                                   (op.else_block, op.else_results)):
                _forward(block.ops, varied, stop)
                for out, r in zip(op.outputs, results):
                    if r is not None and any(v in varied for v in values_in(r)) \
                            and out not in stop:
                        varied.add(out)
            continue
        if info(op.prim).tape:
            # a tape carries the values pushed on it to what pops them: no gradient
            # flows through it, but what depends on x must be seen to (and refused)
            if any(v in varied for v in op.inputs()):
                varied.update(op.outputs if op.prim is not prims.TAPE_PUSH
                              else values_in(op.args[0]))
            continue
        if blocks_gradient(op):
            continue
        if any(v in varied for v in op.inputs()):
            varied.update(o for o in op.outputs if o not in stop)


def _backward(ops, useful, stop, copies):
    for op in reversed(ops):
        if isinstance(op, Loop):
            while True:
                count = len(useful)
                for phi, init, nxt, out in zip(op.phis, op.inits, op.nexts, op.outputs):
                    if (out in useful and out not in stop) or phi in useful:
                        useful.update(values_in(nxt))
                        useful.update(values_in(init))
                _backward(op.body.ops, useful, stop, copies)
                _backward(op.cond_block.ops, useful, stop, copies)
                if len(useful) == count:
                    break
            for target, tape in zip(op.targets, walked_tapes(ops, op)):
                if target in useful and tape is not None:
                    useful.add(canonical_tape(copies, tape))
            continue
        if isinstance(op, If):
            for block, results in ((op.then_block, op.then_results),
                                   (op.else_block, op.else_results)):
                for out, r in zip(op.outputs, results):
                    if out in useful and out not in stop and r is not None:
                        useful.update(values_in(r))
                _backward(block.ops, useful, stop, copies)
            continue
        if op.prim is prims.TAPE_POP:
            if op.outputs[0] in useful:
                useful.add(canonical_tape(copies, op.args[0]))
            continue
        if op.prim is prims.TAPE_PUSH:
            if op.args[0] in useful:
                useful.update(values_in(op.args[1]))
            continue
        if blocks_gradient(op):
            continue
        if any(o in useful and o not in stop for o in op.outputs):
            useful.update(op.inputs())

