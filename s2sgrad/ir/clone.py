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
    copier = _Copier(mapping, graph.lists, lists)
    copied = copier.block(graph.body)
    for op in copied.ops:
        builder.block.append(op)
    if tape_copies is not None:
        tape_copies.update((copier.look(popped), copier.look(saved))
                           for popped, saved in graph.tape_copies.items())
    return map_operand(graph.result, copier.look)


def copy_ops(ops, mapping, adjoint, checkpoint, lists):
    """Copies of `ops` with fresh values (`mapping`: old value -> new, filled in),
    reading what they read from outside as the originals do; each copy belongs to
    the gradient block `adjoint` and carries `checkpoint`.  A copy of a run-time
    list value joins `lists`."""
    copier = _Copier(mapping, lists, lists, adjoint=lambda block: adjoint, checkpoint=checkpoint)
    return copier.block(Block(ops)).ops


class _Copier:
    """Copies blocks with fresh values, renaming what they read as it goes."""

    def __init__(self, mapping, old_lists, new_lists, adjoint=None, checkpoint=None):
        self.mapping = mapping
        self.old_lists, self.new_lists = old_lists, new_lists
        self.blocks = {}
        self.adjoint = adjoint or self.renamed_adjoint
        self.checkpoint = checkpoint

    def fresh(self, v):
        new = Value(v.hint, v.origin, v.temp)
        self.mapping[v] = new
        if self.new_lists is not None and v in self.old_lists:
            self.new_lists.add(new)
        return new

    def look(self, v):
        return self.mapping.get(v, v)

    def renamed_adjoint(self, block):
        """The gradient block an op belongs to, its xs and ys renamed like the ops."""
        if block is None:
            return None
        if block not in self.blocks:
            self.blocks[block] = dataclasses.replace(
                block, xs=[map_operand(x, self.look) for x in block.xs],
                ys=[map_operand(y, self.look) for y in block.ys])
        return self.blocks[block]

    def block(self, block):
        fresh, look = self.fresh, self.look
        out = Block()
        for op in block.ops:
            mark = op.checkpoint if self.checkpoint is None else self.checkpoint
            # (a region's operands are renamed once all it holds is copied)
            if isinstance(op, Loop):
                targets = [fresh(t) for t in op.targets]
                phis = [fresh(p) for p in op.phis]
                cond_block = self.block(op.cond_block)
                body = self.block(op.body)
                region = Loop(op.kind, op.iterable, targets, phis, op.inits, op.nexts, cond_block,
                              op.cond, body, [fresh(v) for v in op.outputs], op.exit, op.origin)
            elif isinstance(op, If):
                then_block = self.block(op.then_block)
                else_block = self.block(op.else_block)
                region = If(op.test, then_block, else_block, [fresh(v) for v in op.outputs],
                            op.then_results, op.else_results, op.origin)
            if isinstance(op, (If, Loop)):
                region.map_operands(look)
                region.adjoint = self.adjoint(op.adjoint)
                region.checkpoint = mark
                out.append(region)
            else:
                args = [map_operand(a, look) for a in op.args]
                kwargs = {k: map_operand(a, look) for k, a in op.kwargs.items()}
                out.append(Op(op.prim, args, kwargs, [fresh(v) for v in op.outputs],
                              op.origin, op.style, self.adjoint(op.adjoint), op.checked, mark))
        return out
