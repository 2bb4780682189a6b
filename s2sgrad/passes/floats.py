"""The specialisation for Python floats (passes/peephole.py runs it last): values
that are surely Python floats need no `float(...)` around their gradient,
`1.0 * g` is g, and NumPy functions of them call their math twins where the
twin's float is read as NumPy's float64 would be."""
import numpy as np

from ..ir.primitives import info
from ..ir.nodes import Const, Op, Value, map_operand, values_in
from .adjoint_ops import is_number, style_of, value_and_factor, values_of


# Python's own arithmetic on floats gives floats (not `**`: a negative base gives
# a complex number); math's functions return floats.
_FLOAT_ARITHMETIC = (np.add, np.subtract, np.multiply, np.divide, np.negative)


def plain_floats(graph):
    """Float specialisation: drop float(g) and 1.0 * g where g is surely a float, and
    call the math twins of NumPy functions of floats (np.tanh -> math.tanh: a float,
    without NumPy's dispatch) where their result reads as NumPy's float64 would.

    A twin's float stands where the function computed an np.float64, and so does
    Python's arithmetic on it.  The two read alike in arithmetic with floats and
    float64 scalars, in math's functions and NumPy's ufuncs of them, and where
    math raises (the API then runs NumPy's code).  Not in `**` to a non-integral
    power (a complex number where NumPy gives nan: abs() of it would be a wrong
    number), not beside an array or a float32 (NumPy's promotion: a float is
    weak), not in a comparison (its bool is not NumPy's), nor in a method
    (`.sum()`), a region or anything else: there the function is kept.
    """
    refused = set()         # ops whose twin's result would be read unlike NumPy's
    while True:
        plan = _FloatPlan(graph, refused)
        unlike = {op for op in plan.twins if not plan.read_alike(op.output)}
        if not unlike:
            break
        refused |= unlike
    renamed = plan.renamed          # (the ops that made them: dead code now)
    for op in graph.body.ops:
        if isinstance(op, Op):
            op.replace_inputs(lambda v: renamed.get(v, v))
            if op in plan.twins:
                op.prim = info(op.prim).math_twin
    if renamed:
        graph.result = map_operand(graph.result, lambda v: renamed.get(v, v))


class _FloatPlan:
    """What the float specialisation would make of the straight-line code (regions
    are kept as they are) with the twins of `refused` ops left out: the values
    that are surely Python floats and those surely float64 NumPy scalars, the
    ops that call their twin, the values that are another value (`float(g)`,
    `1.0 * g`), and who reads each value."""

    def __init__(self, graph, refused):
        # (every argument passed is a float; a default not passed is one only if it is
        # an exact float: a float subclass keeps its own type through float())
        self.floats = {p.value for p in graph.params
                       if p.default is None or type(p.default.value) is float}
        self.float64s = set()   # (a float-valued ufunc of floats; arithmetic with one)
        self.twins, self.renamed = set(), {}
        self.carriers = set()   # ops whose result is a float if their operands are
        for op in graph.body.ops:
            if isinstance(op, Op):
                self._plan(op, refused)
        self.readers = _float_readers(graph)
        self.alike = {}

    def float_operand(self, a):
        return self.renamed.get(a, a) in self.floats if isinstance(a, Value) else is_number(a)

    def scalar_operands(self, op):
        """Is each operand a float or a float64 scalar (where a twin's float and an
        np.float64 compute alike)?"""
        return not op.kwargs and all(self.float_operand(a) or a in self.float64s
                                     for a in op.args)

    def _plan(self, op, refused):
        style = style_of(op)
        source = None
        if op.prim is float and len(op.args) == 1 and self.float_operand(op.args[0]):
            if op.adjoint is not None and isinstance(op.args[0], Value):
                source = op.args[0]
        elif op.prim is np.multiply and op.adjoint is not None:
            x, one = value_and_factor(op.args)
            if x is not None and self.float_operand(x) and one.value == 1.0:
                source = x
        if source is not None:
            self.renamed[op.output] = self.renamed.get(source, source)
            self.carriers.add(op)
            return
        arithmetic = op.prim in _FLOAT_ARITHMETIC and style in ('operator', 'unary') and \
            all(map(self.float_operand, op.args)) and \
            any(isinstance(a, Value) for a in op.args) or self._integral_power(op)
        if info(op.prim).math_twin is not None and len(op.args) == 1 and not op.kwargs \
                and self.float_operand(op.args[0]) and op not in refused:
            self.twins.add(op)
        if arithmetic:
            self.carriers.add(op)
        if arithmetic or op in self.twins or op.prim is float or \
                getattr(op.prim, '__module__', None) == 'math':
            self.floats.update(op.outputs)
        elif _scalar_arithmetic(op) and self.scalar_operands(op) and \
                'd' * op.prim.nin + '->d' in op.prim.types:
            self.float64s.update(op.outputs)

    def _integral_power(self, op):
        """`x ** 2` of a float: Python's power of a float to an integral constant is
        a float (or raises: 0.0 ** -1); to any other, it may be a complex number."""
        if not _written_as_power(op):
            return False
        base, exponent = op.args
        return isinstance(base, Value) and self.float_operand(base) and is_number(exponent) \
            and float(exponent.value).is_integer()

    def read_alike(self, value):
        """Does every reader of `value`, a float where the function has an np.float64,
        read it as it would the np.float64?"""
        if value not in self.alike:
            readers = self.readers.get(value, ())
            self.alike[value] = readers is not None and all(
                self._reads_alike(op) for op in readers)
        return self.alike[value]

    def _reads_alike(self, op):
        if op is _RESULT or op.prim is float or \
                getattr(op.prim, '__module__', None) == 'math':
            return True
        if op in self.carriers:
            return self.read_alike(op.output)
        # (not a comparison: Python's bool is not NumPy's, ~True is -2)
        return _scalar_arithmetic(op) and self.scalar_operands(op)


_RESULT = object()      # a reader: the function's result


def _float_readers(graph):
    """value -> the straight-line ops reading it as an argument (`_RESULT`: returned),
    or None where anything else reads it (a region, a keyword, a pack)."""
    readers, elsewhere = {}, set()
    for op in graph.body.ops:
        if not isinstance(op, Op):
            elsewhere.update(op.inputs())
            continue
        for operand in op.args:
            if isinstance(operand, Value):
                readers.setdefault(operand, []).append(op)
            elif not isinstance(operand, Const):
                elsewhere.update(values_in(operand))
        for operand in op.kwargs.values():
            elsewhere.update(values_in(operand))
    for v in values_of(graph.result):
        readers.setdefault(v, []).append(_RESULT)
    readers.update(dict.fromkeys(elsewhere))
    return readers


def _scalar_arithmetic(op):
    """A ufunc called or an operator (not `**`): what computes alike on a float as on
    an np.float64, beside floats and float64 scalars."""
    return isinstance(op.prim, np.ufunc) and not _written_as_power(op) and \
        (style_of(op) == 'call' or op.prim in _FLOAT_ARITHMETIC and
         style_of(op) in ('operator', 'unary'))


def _written_as_power(op):
    """Is it `x ** p` in the float code (codegen writes a rule's np.power so)?"""
    return op.prim is np.power and len(op.args) == 2 and not op.kwargs and \
        (style_of(op) == 'operator' or op.adjoint is not None)
