"""One spelling for one computation: the forward code of a shape specialisation,
before the AD sees it.

Where a call's specialisation knows the operands' shapes and dtypes, several
spellings of one computation are the same numbers, and writing them one way
lets the AD, the peepholes and codegen treat them as one (same rules, same
products, same fast code):

* `np.dot(a, b)`, `a.dot(b)` and `np.matmul(a, b)` of vectors and matrices
  (ranks 1 and 2 known): `a @ b`.  np.dot of higher ranks contracts other axes
  than matmul (and of a 0-d operand is a product): kept.
* `x ** 2` and `np.square(x)` of a float array: `x * x`, which NumPy computes
  the same way (its power by 2 is the square) and which a person writes.
  (Python and NumPy scalars are left alone: their power is C's `pow`.)
* `for x in xs` of an array: walks xs itself, not what `_sg_iterable(xs)`
  returns (which asks at run time whether xs is a dict).
"""
import numpy as np

from ..analyses.dtypes import Dtypes
from ..ir.nodes import Const, Op, Value, blocks_in, walk
from ..ir.primitives import info
from ..runtime import helpers


def respell(body, shapes, samples):
    """Rewrite the ops of `body` (the forward code, before the AD) to the one
    spelling of what they compute; `shapes` (a ShapeClasses of them) and `samples`
    (the specialisation's dtype samples) say what is known."""
    dtypes = Dtypes(body.ops, samples or {})

    def float_array(x):
        dtype = dtypes.dtype(x)
        return bool(_rank(x, shapes)) and dtype is not None and dtype.kind == 'f'

    for op in walk(body):
        if isinstance(op, Op) and not op.kwargs:
            _respell_op(op, shapes, float_array)
    _iterate_arrays(body, shapes)


def _iterate_arrays(body, shapes):
    """`_sg_iterable(xs)` of an array (its shape known) is xs."""
    plain = {}
    for block in blocks_in(body):
        for op in list(block.ops):
            if isinstance(op, Op) and op.prim is helpers._sg_iterable and \
                    _rank(op.args[0], shapes):
                plain[op.outputs[0]] = op.args[0]
                block.ops.remove(op)
    if plain:
        for op in body.ops:
            op.replace_inputs(lambda v: plain.get(v, v))


def _respell_op(op, shapes, float_array):
    """Respell `op` in place."""
    if info(op.prim).family == 'matmul' and len(op.args) == 2 and \
            all(_rank(a, shapes) in (1, 2) for a in op.args):
        _become(op, np.matmul, op.args, ('operator', '@'))
        return
    square = _squared(op)
    if square is not None and float_array(square):
        _become(op, np.multiply, [square, square], ('operator', '*'))


def _become(op, prim, args, style):
    """Make `op` a call of `prim`; a temporary's name follows (`_matmul`, not `_dot`)."""
    out = op.outputs[0]
    if out.temp and out.hint == '_' + getattr(op.prim, '__name__', ''):
        out.hint = '_' + prim.__name__
    op.prim, op.args, op.style = prim, list(args), style


def _rank(operand, shapes):
    """The number of dimensions of an array operand whose shape is known, else None
    (a known non-empty shape is an ndarray's: specialisations know arrays' shapes,
    and a constant's is its own, watched by the guards)."""
    shape = shapes.shape_of(operand) if isinstance(operand, (Value, Const)) else None
    return len(shape) if shape is not None else None


def _squared(op):
    """x for `x ** 2` or `np.square(x)` of a value x, else None."""
    if op.prim is np.square and len(op.args) == 1:
        (x,) = op.args
    elif op.prim is np.power and len(op.args) == 2 and isinstance(op.args[1], Const) and \
            type(op.args[1].value) in (int, float) and op.args[1].value == 2:
        x = op.args[0]
    else:
        return None
    return x if isinstance(x, Value) else None
