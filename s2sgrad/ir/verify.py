"""IR invariants, checked after the pipeline: SSA, and every use defined before it.

Scoping is Python's: a value defined inside a branch is visible after the
region (the adjoint of a branch reads the values its forward branch made,
under the same test).
"""
from .nodes import If, Loop, values_in


class IRError(AssertionError):
    pass


def verify(graph):
    defined = {p.value for p in graph.params}
    _block(graph.body, defined)
    if graph.result is not None:
        for v in values_in(graph.result):
            if v not in defined:
                raise IRError(f'result uses undefined value {v!r}')


def _block(block, defined):
    for op in block.ops:
        if isinstance(op, Loop):
            entry = op.entry_operands()
            for operand in entry:
                for v in values_in(operand):
                    _check(v, defined, op)
            scope = set(defined) | set(op.defined())
            _block(op.cond_block, scope)
            for v in values_in(op.cond):      # (computed by the cond block, before the body)
                _check(v, scope, op)
            _block(op.body, scope)
            for operand in op.operands():       # (the rest: read at an iteration's end)
                for v in values_in(operand):
                    _check(v, scope, op)
            defined |= scope
            for out in op.outputs:
                if out in defined:
                    raise IRError(f'{out!r} is defined twice (not SSA)')
                defined.add(out)
            continue
        if isinstance(op, If):
            for v in values_in(op.test):
                _check(v, defined, op)
            inner_defs = set()
            for inner, results in ((op.then_block, op.then_results),
                                   (op.else_block, op.else_results)):
                scope = set(defined)
                _block(inner, scope)
                for r in results:
                    if r is not None:
                        for v in values_in(r):
                            _check(v, scope, op)
                inner_defs |= scope - defined
            defined |= inner_defs
        else:
            for v in op.inputs():
                _check(v, defined, op)
        for out in op.outputs:
            if out in defined:
                raise IRError(f'{out!r} is defined twice (not SSA), by {op!r}')
            defined.add(out)


def _check(v, defined, op):
    if v not in defined:
        raise IRError(f'{op!r} uses {v!r} before it is defined')
