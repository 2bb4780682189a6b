"""Simplification: remove code whose results nobody reads.

After AD, a rule template computes every input's gradient even where only
one is wanted, and forward values may be unused; dead-code elimination drops
them.  Ops with effects (print, assert, a write into an argument) are always
kept.

A loop's tape is an effect too, but what it holds is decided here: the AD
saves every forward value its reverse loop reads, and some of those reads
turn out dead (a rule's gradient for an input nobody wants).  Entries whose
popped copies nobody reads are taken off the tape, and the forward values
that only the tape kept are then dead in turn.
"""
from ..ir import effects, prims
from ..ir.nodes import Const, If, Loop, Value, blocks_in, values_in, walk
from ..ir.primitives import info


def has_effect(op):
    if not hasattr(op, 'prim'):
        return False            # a region: its ops are asked one by one
    if op.checked:
        return True             # refuses a view the gradient would misread (passes.inplace)
    if 'out' in op.kwargs or effects.writes_argument(op.prim):
        return True             # (the lowering leaves none: ir/effects.py; kept if any)
    return info(op.prim).effect


def eliminate_dead_code(graph):
    while True:
        live = set(values_in(graph.result)) if graph.result is not None else set()
        _sweep(graph.body, live)
        if not _prune_tapes(graph):
            break


def _prune_tapes(graph):
    """Take off each tape the entries whose popped copies nobody reads; True if any."""
    ops = list(walk(graph.body))
    if not any(getattr(op, 'prim', None) is prims.TAPE_PUSH for op in ops):
        return False
    read = set(values_in(graph.result)) if graph.result is not None else set()
    holder = {}                 # op -> the block holding it
    for block in blocks_in(graph.body):
        for op in block.ops:
            holder[op] = block
    maker = {out: op for op in ops for out in getattr(op, 'outputs', ())}
    for op in ops:
        if isinstance(op, (If, Loop)):
            for operand in op.operands():
                read.update(values_in(operand))
        else:
            read.update(op.inputs())
    copies = graph.tape_copies

    def tape_of(v):
        seen = set()
        while v in copies and v not in seen:    # a tape saved on an outer loop's tape
            seen.add(v)
            v = copies[v]
        return v

    pushes, pops, walks = {}, {}, {}
    reversed_of = {op.output: op for op in ops
                   if getattr(op, 'prim', None) is prims.TAPE_REVERSED}
    for op in ops:
        if isinstance(op, Loop) and isinstance(op.iterable, Value) and op.iterable in reversed_of:
            walk_op = reversed_of[op.iterable]
            for arg in walk_op.args:
                walks.setdefault(tape_of(arg), []).append((op, walk_op, arg))
        elif getattr(op, 'prim', None) is prims.TAPE_PUSH:
            pushes.setdefault(op.args[0], []).append(op)
        elif getattr(op, 'prim', None) is prims.TAPE_POP:
            pops.setdefault(tape_of(op.args[0]), []).append(op)
    changed = False
    for tape, found in pushes.items():
        if len(found) != 1 or len(walks.get(tape, ())) + len(pops.get(tape, ())) != 1:
            continue
        push = found[0]
        new = [maker[tape]] if tape in maker else []
        if tape in pops:
            (pop,) = pops[tape]
            if pop.outputs[0] not in read:
                for op in [push, pop] + new:
                    holder[op].ops.remove(op)
                changed = True
            continue
        ((loop, walk_op, arg),) = walks[tape]
        k = walk_op.args.index(arg)
        if loop.targets[k] in read or isinstance(push.args[1], Const):
            continue
        changed = True
        if len(walk_op.args) > 1:               # the other tapes walk on
            del walk_op.args[k], loop.targets[k]
            for op in [push] + new:
                holder[op].ops.remove(op)
        else:                                   # the last one: it counts the iterations
            push.args[1] = Const(None)
            loop.targets[k] = Value('_', loop.origin, True)
    return changed


def _sweep(block, live, dry=False):
    """Keep the ops whose results are read (or that have effects); mark what they read.

    `dry`: only mark, removing nothing (a loop's fixed point asks this).
    """
    kept = []
    for op in reversed(block.ops):
        if isinstance(op, Loop):
            if _sweep_loop(op, live, dry):
                kept.append(op)
            continue
        if isinstance(op, If):
            if dry:
                for out, rt, re_ in zip(op.outputs, op.then_results, op.else_results):
                    if out in live:
                        for r in (rt, re_):
                            if r is not None:
                                live.update(values_in(r))
                _sweep(op.then_block, live, True)
                _sweep(op.else_block, live, True)
                live.update(values_in(op.test))
                kept.append(op)
                continue
            keep = [i for i, out in enumerate(op.outputs) if out in live]
            op.outputs = [op.outputs[i] for i in keep]
            op.then_results = [op.then_results[i] for i in keep]
            op.else_results = [op.else_results[i] for i in keep]
            for results, inner in ((op.then_results, op.then_block),
                                   (op.else_results, op.else_block)):
                for r in results:
                    if r is not None:
                        live.update(values_in(r))
                _sweep(inner, live)
            if op.outputs or op.then_block.ops or op.else_block.ops:
                live.update(values_in(op.test))
                kept.append(op)
            continue
        if has_effect(op) or any(out in live for out in op.outputs):
            live.update(op.inputs())
            kept.append(op)
    if not dry:
        block.ops = kept[::-1]


def _sweep_loop(op, live, dry):
    """Dead code in a loop: carried variables nobody reads go, then the loop if empty."""
    n = len(op.phis)
    keep = {i for i in range(n) if op.outputs[i] in live}
    while True:
        inner = set(live)
        for i in keep:
            inner.update(values_in(op.nexts[i]))
        inner.update(values_in(op.exit))
        inner.update(values_in(op.cond))
        _sweep(op.body, inner, True)
        _sweep(op.cond_block, inner, True)
        grown = keep | {i for i in range(n) if op.phis[i] in inner}
        if grown == keep:
            break
        keep = grown
    effects = any(has_effect(o) for b in op.blocks() for o in walk(b))
    if not keep and not effects:
        return False
    for i in keep:
        live.update(values_in(op.nexts[i]))
        live.update(values_in(op.inits[i]))
    if not dry:
        order = sorted(keep)
        op.phis = [op.phis[i] for i in order]
        op.inits = [op.inits[i] for i in order]
        op.nexts = [op.nexts[i] for i in order]
        op.outputs = [op.outputs[i] for i in order]
    live.update(values_in(op.exit))
    live.update(values_in(op.cond))
    _sweep(op.body, live, dry)
    _sweep(op.cond_block, live, dry)
    live.update(values_in(op.iterable))
    return True
