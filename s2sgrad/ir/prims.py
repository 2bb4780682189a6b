"""Primitives that are not NumPy callables: structure the IR needs itself."""
import math
import operator

import numpy as np


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
