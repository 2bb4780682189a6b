"""Simplification: remove code whose results nobody reads.

After AD, a rule template computes every input's gradient even where only
one is wanted, and forward values may be unused; dead-code elimination drops
them.  Ops with effects (print, assert) are always kept, and so is a read
`x[i]` of an array that is later assigned into: passes.inplace checks there,
when the code runs, that it did not take a view (one the gradient could not
follow), even when only the item's shape was wanted.
"""
from ..ir import prims
from ..ir.nodes import If, Loop, values_in, walk

EFFECTS = {print, prims.ASSERT, prims.RAISE, prims.TAPE_PUSH, prims.TAPE_POP}


def has_effect(op):
    if not hasattr(op, 'prim'):
        return False            # a region: its ops are asked one by one
    try:
        return op.prim in EFFECTS
    except TypeError:
        return False


def eliminate_dead_code(graph):
    live = set(values_in(graph.result)) if graph.result is not None else set()
    assigned = {op.args[0] for op in walk(graph.body) if getattr(op, 'prim', None) is prims.SETITEM}
    live.update(op.outputs[0] for op in walk(graph.body)
                if getattr(op, 'prim', None) is prims.GETITEM and op.args[0] in assigned)
    _sweep(graph.body, live)


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
