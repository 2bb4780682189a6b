"""Forward mode through tapes: the tangents of what a gradient's loops save.

A first derivative through a loop pushes values on tapes in its forward loop
and reads them back, last first, in its reverse loop (ad/tape.py).  Forward
mode over that code (forward over reverse: Hessian-vector products) gives each
tape whose values have tangents a tangent tape beside it (`_tape_dh` beside
`_tape_h`): a push of a value pushes its tangent there too, a pop pops it, and
a reverse loop walks both together, the tangents as targets of their own.  A
tape holds references, so a tangent popped is the one pushed: the passes read
it as that one (`ctx.tape_copies`, as for the values themselves).

The tapes are registered constants (no gradient flows through them), so
without this a popped value would have no tangent: a silent zero.  A loop
checkpointed by a schedule (`sg.checkpointed`) gives its states back from the
schedule, which carries no tangent: refused at its line.
"""
from ..errors import TransformError
from ..ir import prims
from ..ir.nodes import Op, Value, values_in
from .revolve import OFFERS
from .terms import grad_hint

TAPE_PRIMS = frozenset({prims.TAPE_NEW, prims.TAPE_PUSH, prims.TAPE_POP,
                        prims.TAPE_REVERSED})


class TangentTapes:
    """The tangent tapes of one forward-mode walk (`forward`: ad.forward.Forward)."""

    def __init__(self, forward):
        self.forward = forward
        self.walks = {}     # a reverse loop's iterable -> positions of the tapes with tangents

    def handles(self, op):
        return getattr(op, 'prim', None) in TAPE_PRIMS

    def op(self, op):
        """Append a tape op, and its tangent's beside it where its tape has one."""
        fw = self.forward
        tangent = fw.tangent
        if op.prim is prims.TAPE_REVERSED:
            walked = [k for k, tape in enumerate(op.args) if tangent.get(tape) is not None]
            if walked:
                # the tangent tapes walked beside the tapes: the same iterable, longer
                self.walks[op.output] = walked
                op = Op(op.prim, list(op.args) + [tangent[op.args[k]] for k in walked],
                        op.kwargs, op.outputs, op.origin, op.style, op.adjoint)
            fw.builder.block.append(op)
            return
        fw.builder.block.append(op)
        with fw.emitting():
            if op.prim is prims.TAPE_NEW:
                tape = op.output
                if tape in fw.varied:
                    tangent[tape] = fw.builder.emit(prims.TAPE_NEW, [], {}, op.origin,
                                                    _tangent_tape_hint(tape), temp=False)
            elif op.prim is prims.TAPE_PUSH:
                tape, value = op.args
                if tangent.get(tape) is not None:
                    pushed = fw.of_or_zero(value, op.origin)
                    fw.builder.block.append(Op(prims.TAPE_PUSH, [tangent[tape], pushed], {},
                                               [], op.origin, 'call', fw.builder.adjoint))
            elif tangent.get(op.args[0]) is not None:         # a pop
                popped = op.output
                tangent[popped] = fw.builder.emit(prims.TAPE_POP, [tangent[op.args[0]]], {},
                                                  op.origin, grad_hint(popped), temp=False)
                self.copied(popped)

    def targets(self, loop):
        """The targets a reverse loop gets for the tangent tapes it walks (each the
        tangent of the target walking its tape), in the order of the tapes."""
        added = []
        for k in self.walks.get(loop.iterable, ()):
            target = loop.targets[k]
            made = Value(grad_hint(target), loop.origin, target.temp)
            self.forward.tangent[target] = made
            added.append(made)
            self.copied(target)
        return added

    def copied(self, popped):
        """The tangent of a value popped from a tape is read as the tangent pushed."""
        copies = self.forward.lowering.ctx.tape_copies
        saved = copies.get(popped)
        if saved is not None and isinstance(self.forward.tangent.get(saved), Value):
            copies[self.forward.tangent[popped]] = self.forward.tangent[saved]


def refuse_schedule(forward, op):
    """A loop's state offered to a checkpointing schedule with a tangent: refused."""
    if getattr(op, 'prim', None) in OFFERS and \
            any(v in forward.varied for a in op.args for v in values_in(a)):
        raise TransformError('forward mode through the gradient of a loop checkpointed '
                             'with sg.checkpointed(...) is not supported yet: its states '
                             'come back from the schedule, which carries no tangent; use a '
                             'plain loop (or @sg.checkpoint on its body)', op.origin)


def _tangent_tape_hint(tape):
    """`_tape_dh` for `_tape_h`, `_dtape_dh` for a gradient tape `_dtape_h`."""
    hint = tape.hint or '_tape'
    for prefix in ('_dtape_', '_tape_'):
        if hint.startswith(prefix):
            return prefix + 'd' + hint[len(prefix):]
    return '_tape_d' + hint.lstrip('_')
