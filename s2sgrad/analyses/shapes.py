"""Which values certainly have the same shape, without knowing any shape.

Each value gets a shape class: `SCALAR`, or a token shared by values whose
shapes are equal by construction (an elementwise op's result has its array
operand's shape when the other operands are scalars or of the same class).
The AD pass uses it to leave out unbroadcasting where no broadcast happened
and to seed scalar outputs with 1.0 instead of an array of ones.
"""
import numpy as np

from ..ad import interface
from ..ir import prims
from ..ir.nodes import Const, If, Loop, Value

SCALAR = 'scalar'
_FULL_REDUCTIONS = {np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.var, np.std}
_SCALAR_CASTS = {float, np.float64, np.float32, np.float16}
_SAME_SHAPE = {prims.ALIAS, interface.stop_gradient}


class ShapeClasses:
    def __init__(self, ops, scalars=()):
        self.classes = {v: SCALAR for v in scalars}     # values known to be scalars
        self.add(ops)

    def add(self, ops):
        """Classify the values `ops` define (for a region's block, once its turn comes)."""
        for op in ops:
            if isinstance(op, Loop):
                for v in op.defined() + op.outputs:
                    self.classes[v] = object()
                self.add(op.cond_block.ops)
                self.add(op.body.ops)
                continue
            if isinstance(op, If):
                for out in op.outputs:
                    self.classes[out] = object()
                continue
            token = self._result(op)
            for out in op.outputs:
                self.classes[out] = token if len(op.outputs) == 1 else object()

    def of(self, operand):
        if isinstance(operand, Const):
            value = operand.value
            if isinstance(value, (int, float, complex, bool, np.number, np.bool_)):
                return SCALAR
            return object()
        if isinstance(operand, Value):
            return self.classes.setdefault(operand, object())
        return object()

    def same(self, a, b):
        return self.of(a) is self.of(b) or self.of(a) == SCALAR == self.of(b)

    def _result(self, op):
        prim = op.prim
        if prim in _SAME_SHAPE:
            return self.of(op.args[0])
        if prim in _FULL_REDUCTIONS and not op.kwargs.get('keepdims', Const(False)).value \
                and _axis(op) is None and len(op.args) <= 2:
            return SCALAR
        if prim in _SCALAR_CASTS and len(op.args) == 1 and self.of(op.args[0]) == SCALAR:
            return SCALAR
        if prim is float or getattr(prim, '__module__', None) == 'math':
            return SCALAR               # math's functions and float() return a Python float
        elementwise = (isinstance(prim, np.ufunc) and prim.nin == len(op.args) and prim.nout == 1
                       and not op.kwargs and prim is not np.matmul) or prim is np.where
        if elementwise:
            tokens = [self.of(a) for a in op.args]
            arrays = [t for t in tokens if t is not SCALAR]
            if not arrays:
                return SCALAR
            if all(t is arrays[0] for t in arrays):
                return arrays[0]
        return object()


def _axis(op):
    if len(op.args) > 1:
        axis = op.args[1]
    else:
        axis = op.kwargs.get('axis', Const(None))
    return axis.value if isinstance(axis, Const) else 'unknown'
