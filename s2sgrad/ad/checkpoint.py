"""The adjoint of an `sg.checkpoint` helper's call: its forward computed again.

The call's ops stay in the forward code as they are.  Where the reverse sweep
reaches them, it appends a copy of them with fresh values to the adjoint (the
recomputation, from the call's inputs, which the forward code still holds),
moves the gradient of the call's results onto the copies, and sweeps the
copies instead of the originals.  So no adjoint reads a value made inside the
call: a loop around the call saves on its tape only what the call reads (its
inputs) and what later code reads (its results), not its intermediates.
"""
from ..errors import TransformError
from ..ir.clone import copy_ops
from ..ir.nodes import Block, Checkpointed, Loop, Op, walk
from .activity import activity

# computed again, these would give other values than in the forward pass
_NOT_REPEATABLE = ('numpy.random',)


def recompute(sweep, ops, call):
    """Sweep the ops of one checkpointed `call` (consecutive ops of a block) by
    computing them again in the adjoint and sweeping the copies."""
    made = [v for op in walk(Block(ops)) for v in _made_by(op)]
    if not any(v in sweep.terms for v in made):
        return
    for op in walk(Block(ops)):
        module = getattr(getattr(op, 'prim', None), '__module__', None) or ''
        if isinstance(op, Op) and module.startswith(_NOT_REPEATABLE):
            raise TransformError(f'{call.name} is checkpointed but draws random numbers '
                                 f'({op.prim.__name__}): computed again in the reverse pass '
                                 f'they would differ; draw them outside it and pass them in',
                                 op.origin)
    mapping = {}
    copies = copy_ops(ops, mapping, sweep.builder.adjoint,
                      Checkpointed(call.name, call.origin, recomputed=True),
                      sweep.lowering.ctx.lists)
    block = sweep.builder.block
    block.ops.extend(copies)
    sweep.locate_more(block, copies)
    sweep.shapes.add(copies)
    for v in made:
        if v in sweep.terms:
            sweep.terms[mapping[v]] = sweep.terms.pop(v)
    varied, useful = activity(copies, sweep.varied, set(sweep.terms), sweep.stop)
    sweep.varied.update(varied)
    sweep.needed.update(varied & useful)
    sweep.sweep(copies)


def _made_by(op):
    if isinstance(op, Loop):
        return list(op.outputs) + op.defined()
    return list(op.outputs)


def calls_in(ops):
    """Split `ops` into runs: (the Checkpointed call, its consecutive ops) or (None, [op])."""
    runs = []
    for op in ops:
        call = op.checkpoint
        if call is not None and (call.recomputed or call.scheduled):
            call = None     # (a loop's schedule: its adjoint's business, ad/control.py)
        if call is not None and runs and runs[-1][0] is call:
            runs[-1][1].append(op)
        else:
            runs.append((call, [op]))
    return runs
