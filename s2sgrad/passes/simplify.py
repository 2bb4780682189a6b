"""Simplification: remove code whose results nobody reads.

After AD, a rule template computes every input's gradient even where only
one is wanted, and forward values may be unused; dead-code elimination drops
them.  Ops with effects (print, assert) are always kept.
"""
from ..ir import prims
from ..ir.nodes import If, values_in

EFFECTS = {print, prims.ASSERT, prims.RAISE}


def has_effect(op):
    try:
        return op.prim in EFFECTS
    except TypeError:
        return False


def eliminate_dead_code(graph):
    live = set(values_in(graph.result)) if graph.result is not None else set()
    _sweep(graph.body, live)


def _sweep(block, live):
    kept = []
    for op in reversed(block.ops):
        if isinstance(op, If):
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
    block.ops = kept[::-1]
