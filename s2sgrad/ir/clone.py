"""Copy a graph's IR into another function with fresh values (inlining a graph)."""
import dataclasses

from .nodes import Block, If, Loop, Op, Value, map_operand


def inline_graph(graph, bindings, builder, call_origin=None, lists=None):
    """Append a copy of `graph`'s body to `builder`, its params bound to `bindings`.

    Returns the copied result operand.  `lists` receives the copies of the
    graph's run-time list values.
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
            if isinstance(op, Loop):
                iterable = map_operand(op.iterable, look)
                inits = [map_operand(i, look) for i in op.inits]
                targets = [fresh(t) for t in op.targets]
                phis = [fresh(p) for p in op.phis]
                cond_block = copy_block(op.cond_block)
                cond = map_operand(op.cond, look)
                body = copy_block(op.body)
                nexts = [map_operand(n, look) for n in op.nexts]
                exit_flag = map_operand(op.exit, look)
                region = Loop(op.kind, iterable, targets, phis, inits, nexts, cond_block, cond,
                              body, [fresh(v) for v in op.outputs], exit_flag, op.origin)
                region.adjoint = adjoint(op.adjoint)
                out.append(region)
                continue
            if isinstance(op, If):
                test = map_operand(op.test, look)
                then_block = copy_block(op.then_block)
                else_block = copy_block(op.else_block)
                then_results = [None if r is None else map_operand(r, look) for r in op.then_results]
                else_results = [None if r is None else map_operand(r, look) for r in op.else_results]
                region = If(test, then_block, else_block, [fresh(v) for v in op.outputs],
                            then_results, else_results, op.origin)
                region.adjoint = adjoint(op.adjoint)
                out.append(region)
            else:
                args = [map_operand(a, look) for a in op.args]
                kwargs = {k: map_operand(a, look) for k, a in op.kwargs.items()}
                out.append(Op(op.prim, args, kwargs, [fresh(v) for v in op.outputs],
                              op.origin, op.style, adjoint(op.adjoint)))
        return out

    copied = copy_block(graph.body)
    for op in copied.ops:
        builder.block.append(op)
    return map_operand(graph.result, look)
