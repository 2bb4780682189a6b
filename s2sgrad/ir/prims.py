"""Primitives that are not NumPy callables: structure the IR needs itself."""
import math
import operator

import numpy as np

from ..runtime import construction, helpers


class Special:
    """A named compiler primitive (rendered specially by codegen)."""

    __slots__ = ('__name__',)

    def __init__(self, name):
        self.__name__ = name

    def __repr__(self):
        return self.__name__


GETITEM = operator.getitem                 # x[index]; rendered as a subscript
ALIAS = Special('alias')                   # y = x; gives a value a readable name
UNPACK = Special('unpack')                 # a, b = seq
GATE = Special('gate')                     # da, db = (da, db): all computed before any is used
INPLACE_ADD = Special('inplace_add')       # a += b on a fresh accumulator
ASSERT = Special('assert')                 # assert test, msg (kept: it has an effect)
RAISE = Special('raise')                   # raise exc (kept: it has an effect)
TAPE_NEW = Special('tape_new')             # _tape = []
TAPE_PUSH = Special('tape_push')           # _tape.append(values): what a loop's adjoint reads
TAPE_POP = Special('tape_pop')             # values = _tape.pop()
SETITEM = Special('setitem')               # x[index] = value, as a new version of x
LIST_NEW = Special('list_new')             # [a, b]: a list whose length varies at run time
LIST_APPEND = Special('list_append')       # lst.append(v), as a new version of lst
FSTRING = Special('fstring')               # f'...{x:.3f}...': text, a constant for AD
TAPE_REVERSED = Special('tape_reversed')   # reversed(_tape): what a reverse loop walks

def elementwise(op):
    """Does `op` apply a NumPy ufunc elementwise: one result, every operand
    positional (not matmul, a ufunc in name only)?"""
    prim = op.prim
    return isinstance(prim, np.ufunc) and prim is not np.matmul and prim.nout == 1 and \
        prim.nin == len(op.args) and not op.kwargs


# NumPy functions whose math-module twin agrees with them on Python floats (np.exp
# and np.log do not: math's raise where NumPy gives inf or nan); a float
# specialisation calls the twin, which returns a float and skips NumPy's dispatch.
MATH_TWINS = {np.sin: math.sin, np.cos: math.cos, np.tanh: math.tanh,
              np.arctan: math.atan, np.fabs: math.fabs}

# (primitive, argument position) pairs that read the argument only for its shape,
# dtype or identity, never its contents.
SHAPE_ONLY = {(np.shape, 0), (np.ndim, 0), (np.size, 0), (getattr, 0), (len, 0),
              (np.zeros_like, 0), (np.ones_like, 0), (np.empty_like, 0),
              (helpers._sg_unbroadcast, 1), (helpers._sg_scatter_add, 1),
              (helpers._sg_zeros_like, 0), (helpers._sg_ones_like, 0),
              (helpers._sg_cast_like, 1), (helpers._sg_gradient_of, 1),
              (helpers._sg_shape_of, 0), (helpers._sg_is_view, 0), (helpers._sg_is_view, 1),
              (helpers._sg_is_array, 0),      # (these two look at what memory, not what data)
              (helpers._sg_written_grad, 2), (helpers._sg_if_inexact, 1),
              (helpers._sg_last_writes, 0)}
SHAPE_ONLY |= {(getattr(construction, name), k) for name, k in (
    ('_sg_repeat_sum', 1), ('_sg_tile_sum', 1), ('_sg_diag_adjoint', 1),
    ('_sg_diagonal_adjoint', 1), ('_sg_unpad', 1), ('_sg_split_stacked', 1),
    ('_sg_untake_along_axis', 3)) if hasattr(construction, name)}
