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

`while sg.checkpointed(test, snapshots=s):`, and a checkpointed for loop that
may break, are the same on the online schedule (runtime/online.py): the forward loop offers each state without an index (the
schedule counts the steps), the steps it ran are read from the schedule once
it has ended, and a step run again includes the loop's test (the body may
read what the test computed).  With `memory=` the schedule is made from the
state before the loop, which sizes one snapshot.
"""
from ..errors import TransformError
from ..ir.clone import copy_ops
from ..ir.nodes import Block, Checkpointed, Const, Loop, Op, Pack, Value, map_operand, walk
from ..ir import prims
from ..runtime import online, revolve
from .tape import over_range


# the calls by which a loop hands its states to a schedule (no derivative flows
# through them: what is restored from the schedule is, to a derivative, a constant)
OFFERS = (revolve._sg_revolve_offer, online._sg_online_offer)


def snapshots(sweep, op, rev):
    """Make the loop `op` offer its states to a schedule and `rev` (its reverse body)
    start from a restored one.  Returns what `tape` returns: the reverse loop's
    iterables (the range, walked backwards), its targets, no carried values."""
    origin, call = op.origin, op.checkpoint
    container = sweep.container.get(op)
    if op.kind == 'for' and not over_range(op, container):
        raise TransformError('checkpointed(...) loops over a range(...)', origin)
    if any(sweep.is_list(phi) for phi in op.phis):
        raise TransformError('a checkpointed loop cannot carry a list from step to step '
                             '(make it an array)', origin)
    adjoint = sweep.builder.adjoint
    kept = f'{call.snapshots} snapshots' if call.memory is None else \
        f'the snapshots that fit in {call.memory!r}'
    restore = Checkpointed(f'the state from the latest of {kept}', origin, recomputed=True)
    schedule = Value('_schedule', origin, temp=False)
    target = op.targets[0] if op.kind == 'for' else Value('_step', origin, True)
    if op.kind == 'for' and op.exit is None:
        planned = _schedule(revolve._sg_revolve, revolve._sg_revolve_within, [op.iterable],
                            call, op, schedule)
        steps = op.iterable
        offer = _offer(schedule, target, list(op.phis), origin, None, None)
    else:
        # a while loop, or a for loop that may break: its steps are counted as it
        # runs, and known when it ends
        planned = _schedule(online._sg_online, online._sg_online_within, [], call, op,
                            schedule)
        steps = Value('_steps', origin, temp=False)
        container.ops.insert(container.ops.index(op) + 1,
                             Op(online._sg_online_steps, [schedule] + (
                                 [op.iterable] if op.kind == 'for' else []), {}, [steps],
                                origin))
        offer = Op(online._sg_online_offer, [schedule, Pack('tuple', list(op.phis))], {},
                   [Value('_offered', origin, True)], origin)
    container.ops.insert(container.ops.index(op), planned)
    # the reverse body: the state before t restored, the steps before t run again
    forward_ops = step_ops(op)
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
    between = Checkpointed('the steps between it and this one', origin, recomputed=True)
    body = [_offer(schedule, inner_step, inner_phis, origin, adjoint, between)] + \
        copy_ops(forward_ops, mapping, adjoint, between, sweep.lowering.ctx.lists)
    afters = [Value(phi.hint, origin, phi.temp) for phi in op.phis]
    run_again = Loop('for', walked, [inner_step], inner_phis, starts,
                     [map_operand(n, lambda v: mapping.get(v, v)) for n in op.nexts],
                     Block(), None, Block(body), afters, None, origin)
    run_again.adjoint, run_again.checkpoint = adjoint, restore
    prelude.append(run_again)
    # the reverse body reads the state it ran up to, and the reverse loop's index
    at_step = dict(zip(op.phis, afters))
    at_step[target] = step
    made = {v for o in walk(Block(forward_ops))
            for v in o.outputs + (o.defined() if isinstance(o, Loop) else [])}
    for inner in rev.ops:
        inner.replace_inputs(lambda v: at_step.get(v, v))
    for inner in walk(rev):
        if any(v in made for v in inner.inputs()):
            raise TransformError('internal: a checkpointed loop\'s adjoint reads a value of '
                                 'its forward body', origin)
    rev.ops[:0] = prelude
    # the forward loop offers each step's state
    op.body.ops.insert(0, offer)
    return [steps], [step], []


def step_ops(op):
    """The ops that run one step of a scheduled loop again from its state: a while
    loop's test too (the body may read what it computed)."""
    return (op.cond_block.ops if op.kind == 'while' else []) + op.body.ops


def _schedule(known, within, steps, call, op, schedule):
    """`_schedule = _sg_revolve(_range, s)`, or `_sg_revolve_within(_range, '100MB',
    (h,))` (the state before the loop sizes a snapshot); `_sg_online...` for a while."""
    if call.memory is None:
        return Op(known, steps + [Const(call.snapshots)], {}, [schedule], op.origin)
    return Op(within, steps + [Const(call.memory), Pack('tuple', list(op.inits))], {},
              [schedule], op.origin)


def _offer(schedule, step, state, origin, adjoint, checkpoint):
    return Op(revolve._sg_revolve_offer, [schedule, step, Pack('tuple', state)], {},
              [Value('_offered', origin, True)], origin, 'call', adjoint, checkpoint=checkpoint)
