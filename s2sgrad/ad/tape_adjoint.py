"""The adjoint of a tape: gradients of what a reverse loop read from it.

A first derivative through a loop pushes values on a tape in the forward
loop and reads them back, last first, in its reverse loop (ad/tape.py).
Differentiating that code again, each read of a tape (a value popped in a
branch, or a reverse loop's target walking `reversed(tape)`) is a pop, whose
adjoint pushes the popped value's gradient on a gradient tape; each push's
adjoint pops that gradient back, in the forward loop's adjoint.  The second
adjoint runs the first derivative's code backwards, so its pushes come in
the order the first derivative's pops came reversed: the gradient tape is a
stack whose pops match its pushes one to one, across nested loops too (the
inner tapes of each outer iteration are one stack, as their reads are).
A third derivative differentiates the gradient tape's pushes and pops the
same way.

A gradient tape is created where the adjoint that fills it begins, before
every region of it, so that the loops filling and emptying it both see it.
"""
from ..errors import TransformError
from ..ir import prims
from ..ir.nodes import Op, Value, walk


def canonical_tape(copies, tape):
    """The tape a value was popped as: an inner loop's tape is saved on its outer
    loop's tape, and read back as a copy of it."""
    seen = set()
    while tape in copies and tape not in seen:
        seen.add(tape)
        tape = copies[tape]
    return tape


def push_gradient(sweep, tape, d, origin):
    """The adjoint of a read of `tape` whose value got gradient `d`: push `d`."""
    key = canonical_tape(sweep.lowering.ctx.tape_copies, tape)
    if key not in sweep.needed_tapes:
        return                  # (a range walked beside the tapes: its indices)
    if key in sweep.gradient_tapes:
        # a tape has one reader, whose pushes the forward loop's pops match: a
        # second would need its gradients summed, not one of them dropped
        raise TransformError('the derivative of this loop reads one of its tapes twice; '
                             'differentiating it again is not supported', origin)
    dtape = Value('_dtape_' + (key.hint or 'tape').lstrip('_').removeprefix('tape_'),
                  origin, temp=False)
    block, index = sweep.tapes_home
    block.ops.insert(index, Op(prims.TAPE_NEW, [], {}, [dtape], origin, 'call',
                               sweep.builder.adjoint))
    sweep.gradient_tapes[key] = dtape
    sweep.gradient_pushed[dtape] = d
    sweep.builder.block.append(Op(prims.TAPE_PUSH, [dtape, d], {}, [], origin, 'call',
                                  sweep.builder.adjoint))


def pop_gradient(sweep, push):
    """The adjoint of `push` (a value saved on a tape): the value's gradient, popped
    from the gradient tape the tape's reads filled; nothing if they got none."""
    tape, value = push.args
    dtape = sweep.gradient_tapes.get(tape)
    if dtape is None or not isinstance(value, Value) or value not in sweep.needed:
        return
    d = sweep.emit(prims.TAPE_POP, [dtape], 'd' + (value.hint or 'value'), push.origin)
    # (the passes read the popped gradient as the one pushed: never written into
    # while the tape holds it)
    pushed = sweep.gradient_pushed[dtape]
    if isinstance(pushed, Value):
        sweep.lowering.ctx.tape_copies[d] = pushed
    sweep.add_term(value, d)


def pushes_gradient(block):
    """Does an adjoint's block push a gradient (so that it must be kept)?"""
    return any(getattr(op, 'prim', None) is prims.TAPE_PUSH for op in walk(block))


def fills_gradient_tape(sweep, region):
    """Does `region` push on a tape whose reads got gradient?  Then its adjoint
    hands that gradient on to the values pushed."""
    return any(getattr(op, 'prim', None) is prims.TAPE_PUSH and op.args[0] in
               sweep.gradient_tapes for block in region.blocks() for op in walk(block))


def walked_tapes(ops, loop):
    """The tape each target of `loop` walks, if it is a reverse loop over tapes made
    by one of `ops` (else None for each target)."""
    for op in ops:
        if getattr(op, 'prim', None) is prims.TAPE_REVERSED and op.outputs == [loop.iterable]:
            return list(op.args)
    return [None] * len(loop.targets)
