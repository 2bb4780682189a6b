"""What a loop saves for its adjoint: the tape.

The forward loop appends to a list (a tape) only the values of each
iteration that its reverse loop reads -- references, as forward values are
never modified -- and the reverse loop walks the lists backwards.  Values
made in a branch of the body go on tapes of that branch, pushed at its end
and popped at the start of the branch's adjoint.  A value the reverse loop
reads only for its shape and dtype is saved as a zero-strided stand-in.
"""
from ..ir import prims
from ..ir.nodes import Const, If, Loop, Op, Value, values_in, walk
from ..ir.primitives import info
from ..runtime import helpers


def tape(sweep, op, rev):
    """Make the forward loop `op` save what `rev` (its reverse body) reads.

    Returns (the body's tapes, the reverse loop's targets): a tape (a list)
    per saved value, walked backwards together.
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
            fwd_block.ops.append(Op(helpers._sg_shape_of, [v], {}, [proxy], op.origin,
                                    'call', None))
            pushed.append(proxy)
        # one list per saved value (a list entry a step, no tuple a step); a body
        # that saves nothing still counts its iterations on one
        tapes = []
        for v in pushed or [None]:
            tape = Value('_tape_' + (v.hint or 'v').lstrip('_') if v is not None
                         else '_tape', op.origin, temp=False)
            container.ops.insert(container.ops.index(op),
                                 Op(prims.TAPE_NEW, [], {}, [tape], op.origin, 'call', None))
            fwd_block.ops.append(Op(prims.TAPE_PUSH, [tape, Const(None) if v is None else v],
                                    {}, [], op.origin, 'call', None))
            tapes.append(tape)
        copies = [Value(v.hint, v.origin, v.temp) for v in saved]
        mapping.update(zip(saved, copies))
        sweep.lowering.ctx.tape_copies.update(zip(copies, saved))
        if k == 0:
            body_tapes, body_targets = tapes, copies or [Value('_', op.origin, True)]
        else:
            for tape, copy in reversed(list(zip(tapes, copies))):
                adj_block.ops.insert(0, Op(prims.TAPE_POP, [tape], {}, [copy], op.origin,
                                           'call', sweep.builder.adjoint))
    for inner in rev.ops:
        inner.replace_inputs(lambda v: mapping.get(v, v))
    return body_tapes, body_targets


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