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

An adjoint inside a loop that its forward code is not in (jacrev's loop over
seeds: one forward pass, then an adjoint per seed) reads the forward's tapes
once per iteration.  Its pops take from copies (`copy_tapes_read_again`), so
each run finds the tapes whole; differentiating such reads again is refused
(`push_gradient`): each read's gradient would have to be summed over the
runs, which one gradient tape per tape does not do.
"""
from ..errors import TransformError
from ..ir import prims
from ..ir.nodes import Block, If, Loop, Op, Value, walk


def canonical_tape(copies, tape):
    """The tape a value was popped as: an inner loop's tape is saved on its outer
    loop's tape, and read back as a copy of it."""
    seen = set()
    while tape in copies and tape not in seen:
        seen.add(tape)
        tape = copies[tape]
    return tape


def push_gradient(sweep, tape, d, origin, reader):
    """The adjoint of a read of `tape` whose value got gradient `d`: push `d`.
    `reader`: the pop, or the reverse loop walking the tape."""
    key = canonical_tape(sweep.lowering.ctx.tape_copies, tape)
    if key not in sweep.needed_tapes:
        return                  # (a range walked beside the tapes: its indices)
    if _read_again(sweep, tape, reader):
        raise TransformError('differentiating a derivative that runs a loop\'s adjoint '
                             'more than once on one forward pass (a Jacobian\'s loop over '
                             'seeds, as in jacrev of jacrev) is not supported; use '
                             'sg.hessian, or sg.jacrev of sg.grad', origin)
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


def copy_tapes_read_again(sweep, start):
    """Make the adjoint just swept (the ops of the current block from `start` on)
    pop from copies of the tapes that code outside the current block filled: the
    adjoint may run again on the same tapes (see the module's docstring).  An
    inner loop's tape, walked or popped off such a tape, is the same list on every
    run too: it is copied where the adjoint takes it."""
    builder = sweep.builder
    shared = {op.outputs[0]: (builder.block, start)
              for outer in builder.stack[:-1] for op in walk(Block(outer.ops))
              if getattr(op, 'prim', None) is prims.TAPE_NEW}
    if shared:
        _pop_copies(sweep, builder.block, builder.block.ops[start:], shared, {})


def _pop_copies(sweep, block, ops, shared, copies):
    """Point each pop in `ops` (of `block`) of a tape in `shared` at a copy of it:
    shared maps a tape to where its copy goes, (block, index or the op it follows).
    What a walk or a pop of a shared tape gives is shared too."""
    for op in ops:
        if isinstance(op, Loop):
            for target, tape in zip(op.targets, walked_tapes(block.ops, op)):
                if tape in shared:
                    shared[target] = (op.body, 0)
        if isinstance(op, (If, Loop)):
            for inner in op.blocks():
                _pop_copies(sweep, inner, list(inner.ops), shared, copies)
        elif op.prim is prims.TAPE_POP and op.args[0] in shared:
            tape = op.args[0]
            if tape not in copies:
                home, place = shared[tape]
                index = place if isinstance(place, int) else home.ops.index(place) + 1
                copy = Value(tape.hint, op.origin, temp=False)
                home.ops.insert(index, Op(prims.TAPE_COPY, [tape], {}, [copy],
                                          op.origin, 'call', op.adjoint))
                sweep.lowering.ctx.tape_copies[copy] = tape
                copies[tape] = copy
            op.args[0] = copies[tape]
            shared[op.outputs[0]] = (block, op)     # (an inner loop's tape, popped)


def _read_again(sweep, tape, reader):
    """Is a fill of `tape` read more than once by `reader` (a pop, or a reverse loop
    walking it): by a loop around it that neither fills the tape afresh nor takes
    its values one by one (jacrev's loop over seeds around an adjoint reading the
    forward's tapes)?  A pop takes each value once, unless the list it pops is a
    copy made again, or an inner loop's tape taken again, by such a loop."""
    if isinstance(reader, Op) and reader.prim is prims.TAPE_POP:
        return _taken_again(sweep, tape)
    return _walked_again(sweep, tape, reader)


def _taken_again(sweep, tape):
    """Is the list `tape` read again: a copy of a tape, or an inner loop's tape
    walked or popped off an outer one, made again and again from the same list?"""
    maker = _maker(sweep, tape)
    if maker is None:
        block = sweep.def_block.get(tape)
        loop = sweep.region_of.get(block) if block is not None else None
        if not isinstance(loop, Loop) or tape not in loop.targets:
            return False        # a parameter, a loop's carried value
        outer = walked_tapes(sweep.container[loop].ops, loop)[loop.targets.index(tape)]
        return outer is not None and _walked_again(sweep, outer, loop)
    if maker.prim is prims.TAPE_POP:
        return _taken_again(sweep, maker.args[0])
    if maker.prim is prims.TAPE_COPY:
        return _walked_again(sweep, maker.args[0], maker)
    return False


def _walked_again(sweep, tape, reader):
    """Does the nearest loop around `reader` read `tape` again in each iteration?"""
    block = sweep.container.get(reader)
    while block is not None:
        region = sweep.region_of.get(block)
        if isinstance(region, Loop):
            return not _inside(sweep, tape, region) or _taken_again(sweep, tape)
        block = sweep.container.get(region) if region is not None else None
    return False


def _inside(sweep, v, region):
    """Is v made inside the region (its blocks, nested regions included)?"""
    block = sweep.def_block.get(v)
    while block is not None:
        if any(block is inner for inner in region.blocks()):
            return True
        outer = sweep.region_of.get(block)
        block = sweep.container.get(outer) if outer is not None else None
    return False


def _maker(sweep, v):
    """The op that makes v (None for a loop's target or a parameter)."""
    block = sweep.def_block.get(v)
    return next((op for op in block.ops if v in op.outputs), None) if block else None
