"""Primitives that are not NumPy callables: structure the IR needs itself.

These are the objects themselves (as np.sum is NumPy's); what the compiler knows
about them, as about every primitive, is in primitives.py."""
import operator


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
TAPE_COPY = Special('tape_copy')           # list(_tape): popped by an adjoint run again
