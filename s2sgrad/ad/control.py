"""The adjoints of control flow: an if and a loop, as rules of their own.

A straight-line op's adjoint is its gradient rule's template; a region's is
one of the functions here, found by the region's type in `ADJOINTS` (as an
op's rule is found by its primitive).  Each takes the sweep at the region
and the region, and emits the region's adjoint as a region: an if's adjoint
is an if on the same test; a loop's is a loop run backwards over what each
iteration saved on a tape (ad/tape.py), or, for a loop over
`sg.checkpointed(...)`, over the states a schedule kept (ad/revolve.py).  A
branch or a loop body is swept by a child sweep of its own block, so a rule
expands there as anywhere.
"""
from ..errors import TransformError
from ..ir import prims
from ..ir.nodes import Block, Const, If, Loop, Value, values_in, walk
from ..runtime import helpers
from ..runtime import loops as loop_helpers
from ..runtime import revolve as revolve_helpers
from .activity import activity
from .checkpoint import recompute
from .revolve import snapshots, step_ops
from .tape import tape
from .tape_adjoint import fills_gradient_tape, push_gradient, pushes_gradient, walked_tapes
from .terms import grad_hint


def if_adjoint(sweep, op):
    """The adjoint of an if, when it has work: its outputs have gradient, or later
    code (a later adjoint) sent gradient to a value made inside it."""
    if any(o in sweep.terms for o in op.outputs) or \
            any(v in sweep.terms for v in defined_inside(op)) or fills_gradient_tape(sweep, op):
        _backprop_if(sweep, op)


def loop_adjoint(sweep, op):
    """The adjoint of a loop, when its outputs have gradient."""
    if any(v in sweep.terms for v in defined_inside(op) + op.defined()):
        raise TransformError('second derivatives through loops are not '
                             'supported yet', op.origin)
    if any(o in sweep.terms for o in op.outputs) or fills_gradient_tape(sweep, op):
        if op.adjoint is not None and _restores_a_schedule(op):
            # its states come back from the schedule, which no gradient flows through
            raise TransformError('second derivatives through a loop checkpointed with '
                                 'sg.checkpointed(...) are not supported yet', op.origin)
        _backprop_loop(sweep, op)


def _restores_a_schedule(op):
    """Is `op` the reverse loop of a loop on a checkpointing schedule?"""
    return any(getattr(inner, 'prim', None) is revolve_helpers._sg_revolve_restore
               for block in op.blocks() for inner in walk(block))


ADJOINTS = {If: if_adjoint, Loop: loop_adjoint}


def defined_inside(region):
    """The values made in a region's blocks, nested regions included."""
    found = []
    for block in region.blocks():
        for op in walk(block):
            found.extend(op.outputs)
            if isinstance(op, Loop):
                found.extend(op.defined())
    return found


# ---- if ------------------------------------------------------------------------

def _branch(sweep, block, results, douts):
    """The adjoint of one branch, in a block of its own.

    Returns (block, {outer value: its gradient from this branch}).
    """
    sub = sweep.child()
    sub.shapes.add(block.ops)
    # one value may be what the branch yields for several outputs: a term each
    seeds = [(r, d) for r, d in zip(results, douts)
             if d is not None and isinstance(r, Value)]
    inside = {v for op in walk(block) for v in op.outputs}
    pending = {v: sweep.terms.pop(v) for v in list(sweep.terms) if v in inside}
    varied, useful = activity(block.ops, sweep.varied,
                              {r for r, _ in seeds} | set(pending) | sweep.needed_tapes,
                              sub.stop, sweep.lowering.ctx.tape_copies)
    sub.varied, sub.needed = varied, varied & useful
    sub.terms.update(pending)
    sweep.builder.stack.append(Block())
    try:
        for r, d in seeds:
            if r in sub.needed:
                sub.add_term(r, d)
        sub.sweep(block.ops)
        exported = {v: sub.sum_terms(v) for v in list(sub.terms)}
    finally:
        inner = sweep.builder.stack.pop()
    return inner, {v: d for v, d in exported.items() if d is not None}


def _backprop_if(sweep, op):
    """The adjoint of an if: the same test, each branch's adjoint in its branch.

    A value from before the if that gets gradient in one branch only gets
    zeros in the other, so that its gradient is defined on both paths.
    """
    douts = [None if o in sweep.stop else sweep.sum_terms(o) for o in op.outputs]
    (then_block, then_terms), (else_block, else_terms) = (
        _branch(sweep, op.then_block, op.then_results, douts),
        _branch(sweep, op.else_block, op.else_results, douts))
    outer = list(then_terms) + [v for v in else_terms if v not in then_terms]
    if not outer and not pushes_gradient(then_block) and not pushes_gradient(else_block):
        return          # (a gradient pushed for a forward loop's adjoint is kept)
    phis, then_results, else_results = [], [], []
    for v in outer:
        for block, terms, results in ((then_block, then_terms, then_results),
                                      (else_block, else_terms, else_results)):
            term = terms.get(v)
            if term is None and not sweep.exists_at(v, op):
                term = Const(None)      # v exists only on a path this branch is not
            elif term is None:
                sweep.builder.stack.append(block)
                term = sweep.emit(helpers._sg_zeros_like, [v], '_zero', op.origin)
                sweep.builder.stack.pop()
            results.append(term)
        phis.append(sweep.fresh_value(v, op.origin))
    region = If(op.test, then_block, else_block, phis, then_results, else_results, op.origin)
    sweep.builder.append(region)
    sweep.adjoint_of[op] = region
    for v, phi in zip(outer, phis):
        sweep.add_term(v, phi)


# ---- loop ----------------------------------------------------------------------

def _backprop_loop(sweep, op):
    """The adjoint of a loop: the loop run backwards over what each iteration saved.

    The forward loop appends to a list (the tape) only the values of the
    iteration that its adjoint reads -- references, as forward values are
    never modified -- and the reverse loop walks that list backwards.
    Values made inside a branch of the body go on a tape of that branch,
    read back inside the branch's adjoint.  Gradients of values from before
    the loop accumulate across iterations in carried variables.
    """
    douts = [None if o in sweep.stop else sweep.sum_terms(o) for o in op.outputs]
    active = [i for i, phi in enumerate(op.phis)
              if phi in sweep.varied and (douts[i] is not None or phi in sweep.needed)]
    if not active and not fills_gradient_tape(sweep, op):
        return
    scheduled = op.checkpoint is not None and op.checkpoint.scheduled
    sub = sweep.child()
    sub.shapes.add(op.cond_block.ops)
    sub.shapes.add(op.body.ops)
    seeds = [v for i in active for v in values_in(op.nexts[i])]
    varied, useful = activity([op], sweep.varied,
                              set(seeds) | set(op.outputs) | sweep.needed_tapes, sub.stop,
                              sweep.lowering.ctx.tape_copies)
    sub.varied = varied
    sub.needed = varied & useful
    # the reverse loop carries the gradient of each active variable backwards
    dphis = [sweep.fresh_value(op.phis[i], op.origin) for i in active]
    rev = Block()
    sweep.builder.stack.append(rev)
    try:
        for i, d in zip(active, dphis):
            nxt = op.nexts[i]
            if isinstance(nxt, Value):
                sub.add_term(nxt, d)
        if scheduled:
            recompute(sub, step_ops(op), op.checkpoint)   # (read nothing of the forward step)
        else:
            sub.sweep(op.body.ops)
        _push_target_gradients(sub, op)
        dnexts = []
        for i in active:
            d = sub.sum_terms(op.phis[i])
            if d is None:
                d = sweep.emit(helpers._sg_zeros_like, [op.phis[i]], '_zero', op.origin)
            dnexts.append(d)
        defined = set(defined_inside(op)) | set(op.defined())
        outer = [v for v in list(sub.terms) if v not in defined]
        exported = {v: sub.sum_terms(v) for v in outer}
        outer = [v for v in outer if exported[v] is not None]
        accs = [sweep.fresh_value(v, op.origin) for v in outer]
        acc_nexts = [_accumulate(sweep, acc, exported[v], v, rev, op.origin)
                     for acc, v in zip(accs, outer)]
    finally:
        sweep.builder.stack.pop()
    # what each iteration must save: the forward values the reverse code reads
    tapes, saved, carried = (snapshots if scheduled else tape)(sweep, op, rev)
    inits = []
    for i in active:
        inits.append(douts[i] if douts[i] is not None else
                     sweep.emit(helpers._sg_zeros_like, [op.outputs[i]], '_zero', op.origin))
    for v in outer:
        inits.append(sweep.emit(helpers._sg_zeros_like, [v], '_zero', op.origin))
    outputs = [Value(grad_hint(op.inits[i]) if isinstance(op.inits[i], Value) else '_dinit',
                     op.origin, True) for i in active]
    outputs += [Value(grad_hint(v), op.origin, v.temp) for v in outer]
    sweep.fresh.update(outputs)
    # (the values after a step, which the reverse loop carries, have no gradient)
    afters = [Value(phi.hint, op.origin, True) for phi, _, _ in carried]
    iterable = sweep.emit(prims.TAPE_REVERSED, tapes, '_reversed', op.origin)
    region = Loop('for', iterable, saved, dphis + accs + [phi for phi, _, _ in carried],
                  inits + [init for _, init, _ in carried],
                  dnexts + acc_nexts + [nxt for _, _, nxt in carried],
                  Block(), None, rev, outputs + afters, None, op.origin)
    sweep.builder.append(region)
    for i, out in zip(active, outputs):
        if isinstance(op.inits[i], Value) and op.inits[i] in sweep.needed:
            sweep.add_term(op.inits[i], out)
    for v, out in zip(outer, outputs[len(active):]):
        sweep.add_term(v, out)


def _push_target_gradients(sub, op):
    """A reverse loop's targets are its tapes' values, popped: their gradients go
    on gradient tapes, for the adjoint of the forward loop that pushed them."""
    container = sub.container.get(op)
    tapes = walked_tapes(container.ops if container is not None else [], op)
    for target, tape in zip(op.targets, tapes):
        d = sub.sum_terms(target) if target in sub.terms else None
        if d is not None and tape is not None:
            push_gradient(sub, tape, d, op.origin, op)


def _accumulate(sweep, acc, term, v, rev, origin):
    """acc + term for a value from before a loop, summed over its iterations.

    The accumulator starts as fresh zeros that nothing else holds, so it is
    added to in place (`dW += dW_1`); the gradient of `v[i]` goes straight
    into it (`dv[i] += g`) instead of through an array of zeros per iteration.
    """
    if sweep.is_list(v) or sweep.may_be_sequence(term):
        # entry by entry: `+=` on a list would concatenate
        return sweep.emit(helpers._sg_accumulate, [acc, term], '_acc', origin)
    scatter = _only_use_in(rev, term)
    if scatter is not None and len(scatter.args) == 3 and not scatter.kwargs:
        g, x, index = scatter.args
        if x is v:
            rev.ops.remove(scatter)
            return sweep.emit(loop_helpers._sg_add_at, [acc, index, g], acc.hint, origin)
    total = sweep.emit(prims.INPLACE_ADD, [acc, term], acc.hint, origin)
    _beside_its_term(rev, term, sweep)
    return total


def _beside_its_term(rev, term, sweep):
    """Move `acc += term` (the last op of `rev`) right after the op making `term`,
    on its line: the term may then be written into it (`dW += h.T @ d`) and is
    released at once, not kept to the end of the iteration."""
    add = rev.ops[-1]
    producer = next((op for op in rev.ops if term in op.outputs), None)
    if producer is None or isinstance(producer, (If, Loop)) or len(producer.outputs) != 1:
        return
    rev.ops.remove(add)
    rev.ops.insert(rev.ops.index(producer) + 1, add)
    add.origin = producer.origin
    if term in sweep.fresh:
        term.temp = True


def _only_use_in(block, value):
    """The `_sg_scatter_add` op of `block` defining `value`, if nothing else reads value."""
    if not isinstance(value, Value):
        return None
    producer = None
    for op in block.ops:
        if value in op.outputs:
            producer = op
        elif value in op.inputs() or isinstance(op, (If, Loop)):
            if value in _reads_anywhere(op):
                return None
            break
    # (a value a region made, an inner loop's gradient, is no scatter)
    if producer is not None and getattr(producer, 'prim', None) is helpers._sg_scatter_add:
        return producer
    return None


def _reads_anywhere(op):
    found = set(op.inputs())
    if isinstance(op, (If, Loop)):
        for block in op.blocks():
            for inner in walk(block):
                found.update(inner.inputs())
    return found
