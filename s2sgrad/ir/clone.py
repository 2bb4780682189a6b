"""Copy a graph's IR into another function with fresh values (inlining a graph)."""
import dataclasses

from .nodes import Block, If, Loop, Op, Value, map_operand


def inline_graph(graph, bindings, builder, call_origin=None, lists=None, tape_copies=None):
    """Append a copy of `graph`'s body to `builder`, its params bound to `bindings`.

    Returns the copied result operand.  `lists` receives the copies of the
    graph's run-time list values, `tape_copies` its tapes' copies (popped
    value -> value saved), renamed as the ops are.
    """
    mapping = {param.value: operand for param, operand in zip(graph.params, bindings)}

    def fresh(v):
        new = Value(v.hint, v.origin, v.temp)
        mapping[v] = new
        if lists is not None and v in graph.lists:
            lists.add(new)
        return new

    def look(v):
        return mapping.get(v, v)

    blocks = {}

    def adjoint(block):
        """The gradient block an op belongs to, its xs and ys renamed like the ops."""
        if block is None:
            return None
        if block not in blocks:
            blocks[block] = dataclasses.replace(block, xs=[map_operand(x, look) for x in block.xs],
                                                ys=[map_operand(y, look) for y in block.ys])
        return blocks[block]

    def copy_block(block):
        out = Block()
        for op in block.ops:
            # (a region's operands are renamed once all it holds is copied)
            if isinstance(op, Loop):
                targets = [fresh(t) for t in op.targets]
                phis = [fresh(p) for p in op.phis]
                cond_block = copy_block(op.cond_block)
                body = copy_block(op.body)
                region = Loop(op.kind, op.iterable, targets, phis, op.inits, op.nexts, cond_block,
                              op.cond, body, [fresh(v) for v in op.outputs], op.exit, op.origin)
            elif isinstance(op, If):
                then_block = copy_block(op.then_block)
                else_block = copy_block(op.else_block)
                region = If(op.test, then_block, else_block, [fresh(v) for v in op.outputs],
                            op.then_results, op.else_results, op.origin)
            if isinstance(op, (If, Loop)):
                region.map_operands(look)
                region.adjoint = adjoint(op.adjoint)
                out.append(region)
            else:
                args = [map_operand(a, look) for a in op.args]
                kwargs = {k: map_operand(a, look) for k, a in op.kwargs.items()}
                out.append(Op(op.prim, args, kwargs, [fresh(v) for v in op.outputs],
                              op.origin, op.style, adjoint(op.adjoint), op.checked))
        return out

    copied = copy_block(graph.body)
    for op in copied.ops:
        builder.block.append(op)
    if tape_copies is not None:
        tape_copies.update((look(popped), look(saved))
                           for popped, saved in graph.tape_copies.items())
    return map_operand(graph.result, look)
