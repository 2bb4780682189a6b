"""The adjoint of `for t in sg.checkpointed(range(T), snapshots=s):` -- what the
loop keeps is the binomial (Revolve) schedule's states, not a tape.

The reverse sweep of the body is that of one checkpointed call
(ad/checkpoint.py): the reverse loop computes the body again and reads
nothing made in the forward body, only the state before the step (the
loop's carried variables) and the step's index.  Here the forward loop offers
its state to the schedule (runtime/revolve.py) at the start of each step, and
the reverse loop, at each step t from the last, restores the latest kept
state at or before t and runs the body again up to t (offering the states on
the way); from that state it reverses step t.
"""
from ..errors import TransformError
from ..ir.clone import copy_ops
from ..ir.nodes import Block, Checkpointed, Const, Loop, Op, Pack, Value, map_operand, walk
from ..ir import prims
from ..runtime import revolve
from .tape import walked_range


def snapshots(sweep, op, rev):
    """Make the loop `op` offer its states to a schedule and `rev` (its reverse body)
    start from a restored one.  Returns what `tape` returns: the reverse loop's
    iterables (the range, walked backwards), its targets, no carried values."""
    origin, call = op.origin, op.checkpoint
    container = sweep.container.get(op)
    if not walked_range(op, container):
        raise TransformError('checkpointed(...) loops over a range(...) to its end', origin)
    if any(sweep.is_list(phi) for phi in op.phis):
        raise TransformError('a checkpointed loop cannot carry a list from step to step '
                             '(make it an array)', origin)
    (target,) = op.targets
    adjoint = sweep.builder.adjoint
    restore = Checkpointed(f'the state from the latest of {call.snapshots} snapshots', origin,
                           recomputed=True)
    schedule = Value('_schedule', origin, temp=False)
    container.ops.insert(container.ops.index(op),
                         Op(revolve._sg_revolve, [op.iterable, Const(call.snapshots)], {},
                            [schedule], origin))
    # the reverse body: the state before step t restored, the steps before t run again
    step = Value(target.hint, origin, target.temp)
    restored = Value('_restored', origin, True)
    starts = [Value(phi.hint, origin, phi.temp) for phi in op.phis]
    walked = Value('_steps', origin, True)
    prelude = [
        Op(revolve._sg_revolve_restore, [schedule, step], {}, [restored], origin, 'call',
           adjoint, checkpoint=restore),
        Op(prims.UNPACK, [restored], {}, starts, origin, 'call', adjoint, checkpoint=restore),
        Op(revolve._sg_revolve_advance, [schedule, step], {}, [walked], origin, 'call',
           adjoint, checkpoint=restore)]
    inner_step = Value(target.hint, origin, target.temp)
    inner_phis = [Value(phi.hint, origin, phi.temp) for phi in op.phis]
    mapping = dict(zip(op.phis, inner_phis))
    mapping[target] = inner_step
    body = [_offer(schedule, inner_step, inner_phis, origin, adjoint, restore)] + \
        copy_ops(op.body.ops, mapping, adjoint, restore, sweep.lowering.ctx.lists)
    afters = [Value(phi.hint, origin, phi.temp) for phi in op.phis]
    run_again = Loop('for', walked, [inner_step], inner_phis, starts,
                     [map_operand(n, lambda v: mapping.get(v, v)) for n in op.nexts],
                     Block(), None, Block(body), afters, None, origin)
    run_again.adjoint, run_again.checkpoint = adjoint, restore
    prelude.append(run_again)
    # the reverse body reads the state it ran up to, and the reverse loop's index
    at_step = dict(zip(op.phis, afters))
    at_step[target] = step
    made = {v for o in walk(op.body)
            for v in o.outputs + (o.defined() if isinstance(o, Loop) else [])}
    for inner in rev.ops:
        inner.replace_inputs(lambda v: at_step.get(v, v))
    for inner in walk(rev):
        if any(v in made for v in inner.inputs()):
            raise TransformError('internal: a checkpointed loop\'s adjoint reads a value of '
                                 'its forward body', origin)
    rev.ops[:0] = prelude
    # the forward loop offers each step's state
    op.body.ops.insert(0, _offer(schedule, target, list(op.phis), origin, None, None))
    return [op.iterable], [step], []


def _offer(schedule, step, state, origin, adjoint, checkpoint):
    return Op(revolve._sg_revolve_offer, [schedule, step, Pack('tuple', state)], {},
              [Value('_offered', origin, True)], origin, 'call', adjoint, checkpoint=checkpoint)
