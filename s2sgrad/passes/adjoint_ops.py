"""What the adjoint rewrites (passes/peephole.py and the modules it drives:
passes/factors.py, passes/shaped.py, passes/floats.py) ask of a graph: who reads
each value, the adjoint calls of a primitive and the adjoint ops that compute
values, shape classes computed when first asked, the constant factor of a
product, and reading a value wherever another was read."""
import numpy as np

from ..analyses.shapes import ShapeClasses
from ..ir.primitives import elementwise, info
from ..ir import prims
from ..ir.nodes import Const, If, Loop, Op, Value, map_operand, values_in, walk


def reader_map(graph):
    """value -> the ops reading it as a direct argument, or None if anything else
    (a region, a pack, a keyword, the result) reads it."""
    uses = {}
    for op in walk(graph.body):
        if isinstance(op, Op):
            for operand in op.args:
                if isinstance(operand, Value):
                    readers = uses.setdefault(operand, [])
                    if readers is not None:
                        readers.append(op)
                elif not isinstance(operand, Const):
                    for v in values_in(operand):
                        uses[v] = None
            for operand in op.kwargs.values():
                for v in values_in(operand):
                    uses[v] = None
        else:
            for v in op.inputs():
                uses[v] = None
            for operand in op.operands():
                for v in values_in(operand):
                    uses[v] = None
    for v in values_of(graph.result):
        uses[v] = None
    return uses


def values_of(operand):
    return list(values_in(operand)) if operand is not None else []


def elementwise_with(op, n):
    return elementwise(op) and len(op.args) == n


class LazyShapes:
    """The graph's shape classes, computed when a rewrite first asks (most graphs
    have nothing to rewrite that needs them)."""

    def __init__(self, graph, shapes):
        self.graph, self.shapes, self.classes = graph, shapes, None   # (the parameters')

    def forget(self):
        """After a rewrite the classes no longer describe: computed again when asked."""
        self.classes = None

    def get(self):
        if self.classes is None:
            self.classes = ShapeClasses(self.graph.body.ops, shapes=self.shapes)
        return self.classes


def adjoint_producers(graph, keep=None):
    """value -> the adjoint op of one result that computes it (`keep(op)`: of those)."""
    return {op.output: op for op in walk(graph.body)
            if isinstance(op, Op) and op.adjoint is not None and len(op.outputs) == 1
            and (keep is None or keep(op))}


def is_product(op):
    """`a * b`: np.multiply of two operands, elementwise."""
    return op.prim is np.multiply and elementwise_with(op, 2)


def adjoint_calls(graph, prim):
    """The adjoint ops `prim(a, b)` (two operands, no keywords)."""
    return [op for op in walk(graph.body)
            if isinstance(op, Op) and op.adjoint is not None and
            op.prim is prim and len(op.args) == 2 and not op.kwargs]


def inexact(sample):
    """Does a dtype sample (analyses/dtypes.py) stand for a value surely of an
    inexact dtype?"""
    return isinstance(sample, (np.ndarray, np.generic)) and np.issubdtype(sample.dtype, np.inexact)


def value_and_factor(args):
    """(x, c) for `x * c` or `c * x` with c a number constant, else (None, None)."""
    a, b = args
    if isinstance(a, Value) and is_number(b):
        return a, b
    if isinstance(b, Value) and is_number(a):
        return b, a
    return None, None


def is_number(operand):
    """A constant int or float (not a bool: its type is neither)."""
    return isinstance(operand, Const) and type(operand.value) in (int, float)


def name_as(kept, dropped):
    """A temporary read where `dropped` was is named as `dropped` (dD, not _multiply)."""
    if kept.temp:
        kept.hint, kept.temp = dropped.hint, dropped.temp


def apply_renames(graph, renamed, ops_done=False):
    """Read `renamed[v]` wherever v was read (`ops_done`: the ops themselves are)."""
    if not renamed:
        return

    def rename(v):
        return renamed.get(v, v)

    for op in walk(graph.body):
        if not isinstance(op, Op):
            op.map_operands(rename)     # (its ops are renamed one by one)
        elif not ops_done and any(v in renamed for v in op.inputs()):
            op.replace_inputs(rename)
    graph.result = map_operand(graph.result, rename)


def style_of(op):
    return op.style[0] if isinstance(op.style, tuple) else op.style


def definitions(graph):
    """value -> the op, or the region (a loop's carried values), defining it."""
    defs = {out: op for op in walk(graph.body) for out in op.outputs}
    for loop in walk(graph.body):
        if isinstance(loop, Loop):
            defs.update((v, loop) for v in loop.defined())
    return defs


def owned(v, defs, seen=None):
    """Is v surely an array the gradient made (new, writeable, no argument's memory):
    an op's `fresh` result, a sum into one, or a carried value or branch result
    that is one on every path?"""
    seen = set() if seen is None else seen
    if v in seen:
        return True             # (a loop's value carried unchanged: its other paths decide)
    seen.add(v)
    op = defs.get(v)
    if isinstance(op, Op):
        if op.prim is prims.INPLACE_ADD:
            return owned(op.args[0], defs, seen)
        return info(op.prim).fresh
    if isinstance(op, If):
        k = op.outputs.index(v)
        return all(isinstance(r, Value) and owned(r, defs, seen)
                   for r in (op.then_results[k], op.else_results[k]))
    if isinstance(op, Loop) and (v in op.outputs or v in op.phis):
        k = op.outputs.index(v) if v in op.outputs else op.phis.index(v)
        return all(isinstance(r, Value) and owned(r, defs, seen)
                   for r in (op.inits[k], op.nexts[k]))
    return False
