"""Releasing big arrays: `del a, b` in the generated function's body after the
statement that last mentions a name holding a big array, so its memory goes
back before the function returns, as a careful person's would.
"""
import ast

from ..ir.nodes import If, Loop, Op, values_in, walk


def release(emitter, stmts, ends):
    """Insert the `del` statements into `stmts`, the function body's statements
    (`ends`: each op of the body -> the number of statements up to its own last).

    `emitter.big`: values known to be big.  A `del` maps back to the user line
    of the line before it.
    """
    big = emitter.big
    if not big:
        return
    graph = emitter.graph
    names = emitter.names
    body = graph.body.ops
    index = {op: k for k, op in enumerate(body)}
    last, defined_here = {}, {}
    for k, op in enumerate(body):
        at = _statement_index(emitter, op, index)
        for v in _mentions(op):
            name = names.get(v)
            if name is not None:
                last[name] = max(last.get(name, -1), at)
        if isinstance(op, Op):
            for v in op.outputs:
                defined_here[v] = True
    if graph.result is not None:
        for v in values_in(graph.result):
            last[names.get(v)] = len(body)
    candidates = {}
    for v, name in names.items():
        candidates.setdefault(name, []).append(v)
    # an array a result was written into lives on under the result's name: the
    # names of one array go together, when the last of them is no longer needed
    group = {name: {name} for name in candidates}
    for op in walk(graph.body):
        k = emitter.written(op) if isinstance(op, Op) else None
        if k is not None and (not emitter.folds(op.output) or emitter.in_chain(op.output)):
            a, out = names.get(op.args[k]), names.get(op.output)
            if a in group and out in group and group[a] is not group[out]:
                merged = group[a] | group[out]
                for name in merged:
                    group[name] = merged
    dying = {}
    for group_names in {id(g): g for g in group.values()}.values():
        values = [v for name in group_names for v in candidates[name]]
        if not any(v in big for v in values) or \
                not all(defined_here.get(v) and (not emitter.folds(v) or emitter.in_chain(v))
                        for v in values):
            continue            # a parameter, a loop's or a branch's name: left alone
        at = max(last.get(name, -1) for name in group_names)
        if 0 <= at < len(body) - 1:         # (not just before the return)
            dying.setdefault(ends[body[at]], []).extend(group_names)
    origins = emitter.notes.origins
    for end in sorted(dying, reverse=True):
        delete = ast.Delete([ast.Name(name, ast.Del()) for name in sorted(dying[end])])
        origin = origins.get(_last_line(stmts[end - 1]))
        if origin is not None:
            origins[delete] = origin
        stmts.insert(end, delete)


def _last_line(stmt):
    """The statement whose text is the last line of `stmt`'s."""
    while isinstance(stmt, (ast.If, ast.For, ast.While, ast.With)):
        stmt = (getattr(stmt, 'orelse', None) or stmt.body)[-1]
    return stmt


def _statement_index(emitter, op, index):
    """The index in the body of the statement that computes op (a folded
    temporary is computed inside the statement of its user)."""
    at = emitter.plan.statement_of(op)
    if at is None:
        return len(index)               # the return statement
    if isinstance(at, tuple):
        at = at[1]
    return index.get(at, len(index))


def _mentions(op):
    """Every value an op or region (with all inside it) reads or defines."""
    found = []
    for inner in [op] + ([o for block in op.blocks() for o in walk(block)]
                         if isinstance(op, (If, Loop)) else []):
        found += inner.outputs
        if isinstance(inner, Loop):
            found += inner.defined()
        if isinstance(inner, (If, Loop)):
            for operand in inner.operands():
                found += values_in(operand)
        else:
            found += inner.inputs()
    return found


__all__ = ['release']
