"""What a loop saves for its adjoint: the tape.

The forward loop appends to a list (a tape) only the values of each
iteration that its reverse loop reads -- references, as forward values are
never modified -- and the reverse loop walks the lists backwards.  Values
made in a branch of the body go on tapes of that branch, pushed at its end
and popped at the start of the branch's adjoint.  A value the reverse loop
reads only for its shape and dtype is saved as a zero-strided stand-in.

A carried variable the reverse loop reads both before and after a step
(`h` and `h = f(h)`) is saved once: the tape holds its value before each
step, and the value after a step is the one before the next step (the
loop's output for the last step), carried by the reverse loop from one step
to the one before.  A product or sum the body computes from values the
reverse loop has anyway (`0.1 * q * q`) is computed again there instead of
saved: a pass over the array either way, and no copy per step kept.
"""
import numpy as np

from ..ir import prims
from ..ir.nodes import Const, If, Loop, Op, Value, values_in, walk
from ..ir.primitives import elementwise, info
from ..runtime import helpers

# what the tape puts after a value's definition, in order (see _after_definition)
_PUT_AFTER = frozenset({prims.TAPE_PUSH, helpers._sg_shape_of})


def tape(sweep, op, rev):
    """Make the forward loop `op` save what `rev` (its reverse body) reads.

    Returns (the body's tapes, the reverse loop's targets, its carried
    variables): a tape (a list) per saved value, walked backwards together;
    (phi, init, next) for each carried value read after a step.
    """
    scopes = [(op.body, rev, list(op.phis) + list(op.targets)
               + [v for o in op.cond_block.ops for v in _outputs(o)])]
    for fwd in _ifs_in(op.body):
        adj = sweep.adjoint_of.get(fwd)
        if adj is not None:
            scopes.append((fwd.then_block, adj.then_block, []))
            scopes.append((fwd.else_block, adj.else_block, []))
    owner = {}
    for k, (fwd_block, _, extra) in enumerate(scopes):
        for v in extra + [v for o in fwd_block.ops for v in _outputs(o)]:
            owner[v] = k
    reads = [[] for _ in scopes]
    by_value = set()            # saved values whose contents (not just shape) are read
    for inner in walk(rev):
        for v, shape_only in _reads_with_kind(inner):
            k = owner.get(v)
            if k is not None and v not in reads[k]:
                reads[k].append(v)
            if not shape_only or sweep.is_list(v):
                by_value.add(v)
    container = sweep.container.get(op)
    mapping = {}
    carried = _after_steps(op, reads[0], by_value)
    for after, _, _ in carried:
        reads[0].remove(after)
    # a for loop over a range that runs to its end: the reverse loop walks the range
    # backwards beside the tapes, so the index is not saved (nor `xs[i]`, read again)
    walked = walked_range(op, container)
    if walked:
        for target in op.targets:
            if target in reads[0]:
                reads[0].remove(target)
    again = _recomputed(sweep, op, reads[0], by_value, owner,
                        [after for after, _, _ in carried] + (op.targets if walked else []))
    for fwd in again:
        reads[0].remove(fwd.output)
    _compute_again(sweep, rev, again, mapping)
    body_tapes, body_targets = None, None
    for k, (fwd_block, adj_block, _) in enumerate(scopes):
        if k and not reads[k]:
            continue
        saved = reads[k]
        # a value the reverse loop reads only for its shape and dtype is saved as
        # a zero-strided stand-in, so the tape keeps no copy of its contents
        pushed = []
        for v in saved:
            if v in by_value:
                pushed.append(v)
                continue
            proxy = Value('_shape_of_' + (v.hint or 'v').lstrip('_'), op.origin, True)
            _after_definition(fwd_block, v, Op(helpers._sg_shape_of, [v], {}, [proxy],
                                               op.origin, 'call', None))
            pushed.append(proxy)
        # one list per saved value (a list entry a step, no tuple a step); a body
        # that saves nothing still counts its iterations on one
        tapes = []
        for v in pushed or [None]:
            tape = Value('_tape_' + (v.hint or 'v').lstrip('_') if v is not None
                         else '_tape', op.origin, temp=False)
            container.ops.insert(container.ops.index(op),
                                 Op(prims.TAPE_NEW, [], {}, [tape], op.origin, 'call', None))
            push = Op(prims.TAPE_PUSH, [tape, Const(None) if v is None else v], {}, [],
                      op.origin, 'call', None)
            if v is None:
                fwd_block.ops.append(push)
            else:
                _after_definition(fwd_block, v, push)
            tapes.append(tape)
        copies = [Value(v.hint, v.origin, v.temp) for v in saved]
        mapping.update(zip(saved, copies))
        sweep.lowering.ctx.tape_copies.update(zip(copies, saved))
        if k == 0:
            body_tapes, body_targets = tapes, copies or [Value('_', op.origin, True)]
            counter = None if pushed else tapes[0]
        else:
            for tape, copy in reversed(list(zip(tapes, copies))):
                adj_block.ops.insert(0, Op(prims.TAPE_POP, [tape], {}, [copy], op.origin,
                                           'call', sweep.builder.adjoint))
    # the value after a step: carried from the step after it (the before-value it
    # popped), the loop's output for the last step
    loop_carried = []
    for after, before, output in carried:
        phi = Value(after.hint, op.origin, after.temp)
        mapping[after] = phi
        loop_carried.append((phi, output, mapping[before]))
    if walked and (body_tapes == [counter] or
                   any(op.targets[0] in inner.inputs() for inner in rev.ops)):
        index = Value(op.targets[0].hint, op.origin, op.targets[0].temp)
        mapping[op.targets[0]] = index
        if body_tapes == [counter]:
            body_tapes, body_targets = [], []      # (the range counts the iterations)
            _drop_tape(op, container, counter)
        body_tapes, body_targets = body_tapes + [op.iterable], body_targets + [index]
    for inner in rev.ops:
        inner.replace_inputs(lambda v: mapping.get(v, v))
    return body_tapes, body_targets, loop_carried


def walked_range(op, container):
    """Is `op` a for loop over a range, with no break: walked backwards, the range
    gives each iteration's index?"""
    return op.exit is None and over_range(op, container)


def over_range(op, container):
    """Is `op` a for loop over a range (a constant, or made by `range(...)` in
    `container`) with one target, the range's item?"""
    if op.kind != 'for' or len(op.targets) != 1:
        return False
    if isinstance(op.iterable, Const):
        return isinstance(op.iterable.value, range)
    return any(isinstance(o, Op) and o.prim is range and o.outputs == [op.iterable]
               for o in container.ops)


def _drop_tape(op, container, tape):
    """Remove the tape that only counted a loop's iterations, and its pushes."""
    container.ops[:] = [o for o in container.ops if tape not in o.outputs]
    op.body.ops[:] = [o for o in op.body.ops
                      if not (isinstance(o, Op) and o.prim is prims.TAPE_PUSH
                              and o.args[0] is tape)]


def _recomputed(sweep, op, saved, by_value, owner, known):
    """The body's ops (in order) whose result the reverse loop computes again
    rather than pops: arithmetic, or an item of an array, of values from
    before the loop, values it has from the tapes, and `known` (what it
    carries or walks).  Only values still to be saved: one it carries (`x =
    a * b`, read after the step) it has already."""
    have = {v for v in saved if v in by_value} | set(known)
    found = []
    for fwd in op.body.ops:
        if not (isinstance(fwd, Op) and len(fwd.outputs) == 1 and fwd.output in saved and
                fwd.output in have and
                all(v in have or v not in owner for v in fwd.inputs())):
            continue
        if fwd.prim in _ARITHMETIC and elementwise(fwd) or \
                fwd.prim is prims.GETITEM and not fwd.kwargs and not fwd.checked and \
                not sweep.is_list(fwd.args[0]):     # (a list may change after the loop)
            found.append(fwd)
    return found


def _compute_again(sweep, rev, again, mapping):
    """Put a copy of each op of `again` into `rev`, right before the first op that
    reads its result (or reads what is computed from it), on that op's line: a
    temporary that may be written into it (`xs[i].T @ d`)."""
    first = {}
    for fwd in reversed(again):
        first[fwd.output] = min(
            [k for k, inner in enumerate(rev.ops) if fwd.output in inner.inputs()] +
            [first[later.output] for later in again
             if later.output in first and fwd.output in later.inputs()] + [len(rev.ops)])
    before = {}
    for fwd in again:
        at = first[fwd.output]
        reader = rev.ops[at] if at < len(rev.ops) else fwd
        copy = Value(fwd.output.hint, reader.origin, True)
        mapping[fwd.output] = copy
        # (read by a checkpointed helper computed again: part of that recomputation)
        before.setdefault(at, []).append(
            Op(fwd.prim, fwd.args, fwd.kwargs, [copy], reader.origin, fwd.style,
               sweep.builder.adjoint, checkpoint=reader.checkpoint if reader is not fwd else None))
    rev.ops[:] = [new for k, inner in enumerate(rev.ops)
                  for new in before.get(k, []) + [inner]] + before.get(len(rev.ops), [])


# cheap enough to compute again in the reverse loop (one pass over the operands;
# an item or view of a sequence, as cheap as popping it)
_ARITHMETIC = frozenset([np.add, np.subtract, np.multiply, np.negative])


def _after_definition(block, v, new):
    """Put `new` (which reads `v`) into `block` right after the op that makes `v`
    (after the ops put there before it), at the top where `v` comes from outside
    the block (a phi, the loop's target).  Not at the block's end: the Python name
    `v` is printed under may by then hold a later value (an inner loop's result,
    then `h = h * 1.1` in a branch: both `h`)."""
    place = 0
    for k, inner in enumerate(block.ops):
        if v in _outputs(inner):
            place = k + 1
            break
    while place < len(block.ops) and getattr(block.ops[place], 'prim', None) in _PUT_AFTER:
        place += 1          # the order in which they were put: the tapes' order
    block.ops.insert(place, new)


def _after_steps(op, saved, by_value):
    """(after, before, output) for each carried variable whose value before a step
    (its phi) and after it (its next, made in the body) the reverse loop reads."""
    found = []
    for phi, nxt, out in zip(op.phis, op.nexts, op.outputs):
        if phi in saved and nxt in saved and nxt is not phi and \
                phi in by_value and nxt in by_value and \
                any(nxt in inner.outputs for inner in op.body.ops):
            found.append((nxt, phi, out))
    return found


def _ifs_in(block):
    """The ifs in a loop body, nested ifs included, inner loops not entered."""
    for op in block.ops:
        if isinstance(op, If):
            yield op
            for inner in op.blocks():
                yield from _ifs_in(inner)


def _outputs(op):
    outs = list(op.outputs)
    if isinstance(op, Loop):
        outs += op.defined()
    return outs


def _reads_with_kind(op):
    """(value, read only for its shape?) for each value an op or region reads directly."""
    if isinstance(op, (Loop, If)):
        return [(v, False) for v in _reads(op)]
    found = []
    for k, arg in enumerate(op.args):
        shape_only = k in info(op.prim).shape_only
        found.extend((v, shape_only) for v in values_in(arg))
    for arg in op.kwargs.values():
        found.extend((v, False) for v in values_in(arg))
    return found


def _reads(op):
    """Values an op or region reads directly (a region's own operands, not its blocks')."""
    return [v for operand in op.operands() for v in values_in(operand)]