"""Static evaluation: what lowering computes at transform time.  Operands known
then (constants, tuples and lists of them) fold into constants, as the Python
computation would (or, in a rule, as NumPy's)."""
import types

import numpy as np

from ..ir.nodes import Const, Pack
from .spellings import FIXED_ARITY, SPLITS


LITERAL_TYPES = (int, float, complex, bool, str, bytes, type(None), type(Ellipsis), slice)


def is_literal(value):
    """A value of the literal types, or a tuple or frozenset of them: lowering
    computes with it when transforming (arithmetic, comparisons, keys)."""
    if isinstance(value, LITERAL_TYPES):
        return True
    if isinstance(value, (tuple, frozenset)):
        return all(is_literal(v) for v in value)
    return False


UNKNOWN = object()       # the static value of an operand known only at run time


def hashable(obj):
    try:
        hash(obj)
        return True
    except TypeError:       # a ctypes function
        return False


def numpy_fold(fn, a, b):
    """`fn(a, b)` on two Python numbers as NumPy computes it (inf and nan, not
    ZeroDivisionError or OverflowError), as a Python number again."""
    with np.errstate(all='ignore'):
        result = fn(np.float64(a), np.float64(b))
    return float(result)


def static_value(operand):
    if isinstance(operand, Const):
        return operand.value
    return UNKNOWN


def python_value(operand):
    """The Python value of a constant operand, or of a list / tuple / dict of them."""
    if isinstance(operand, Const):
        return operand.value
    if isinstance(operand, Pack) and operand.kind in ('list', 'tuple', 'dict'):
        items = [python_value(i) for i in operand.items]
        if any(i is UNKNOWN for i in items):
            return UNKNOWN
        if operand.kind == 'dict':
            return dict(zip(operand.keys, items))
        return items if operand.kind == 'list' else tuple(items)
    return UNKNOWN


def all_known(args, kwargs):
    return all(python_value(a) is not UNKNOWN for a in list(args) + list(kwargs.values()))


def is_string_method(fn):
    """A method of an exact str (its own, not a subclass's): 'a'.upper, str.join."""
    owner = getattr(fn, '__self__', None)
    if type(owner) is str and type(fn) is types.BuiltinMethodType:
        return getattr(str, fn.__name__, None) is not None
    return type(fn) is types.MethodDescriptorType and getattr(fn, '__objclass__', None) is str


def known_literal(operand):
    return isinstance(operand, Const) and is_literal(operand.value)


def as_pack(operand):
    """A constant tuple or list as a pack of constants (to merge with a pack)."""
    if isinstance(operand, Const) and isinstance(operand.value, (tuple, list)):
        return Pack('list' if isinstance(operand.value, list) else 'tuple',
                    [Const(v) for v in operand.value])
    return operand


def literal_index(index):
    if isinstance(index, Pack):
        return all(known_literal(i) for i in index.items)
    return known_literal(index)


def index_value(index):
    if isinstance(index, Pack):
        return tuple(i.value for i in index.items)
    return index.value


def static_sequence_op(symbol, left, right):
    """Tuple/list arithmetic known at transform time: (a, b) + (c,), [x] * 3."""
    def items(o):
        if isinstance(o, Pack):
            return o.items
        if isinstance(o, Const) and isinstance(o.value, tuple):
            return [Const(v) for v in o.value]
        return None
    li, ri = items(left), items(right)
    if symbol == '+' and li is not None and ri is not None:
        kind = left.kind if isinstance(left, Pack) else 'tuple'
        return Pack(kind, li + ri)
    if symbol == '*' and li is not None and known_literal(right) and isinstance(right.value, int):
        return Pack(left.kind if isinstance(left, Pack) else 'tuple', li * right.value)
    return None


def known_pieces(fn, args, kwargs):
    """How many values a call returns as a tuple or list, when that is known when
    transforming: np.split & co with a constant number of sections, and the
    linalg factorisations (slogdet, eigh, eig, qr, svd unless compute_uv=False)."""
    try:
        if fn in FIXED_ARITY:
            return FIXED_ARITY[fn]
    except TypeError:
        return 0
    if fn is np.linalg.svd:
        compute_uv = kwargs.get('compute_uv', args[2] if len(args) > 2 else Const(True))
        if isinstance(compute_uv, Const):
            return 3 if compute_uv.value else 0
        return 0
    if fn not in SPLITS or len(args) < 2:
        return 0
    if isinstance(args[1], Pack) and all(known_literal(i) for i in args[1].items):
        sections = [i.value for i in args[1].items]
    elif isinstance(args[1], Const):
        sections = args[1].value
    else:
        return 0
    if isinstance(sections, int) and not isinstance(sections, bool):
        return sections
    if isinstance(sections, (tuple, list)) and all(isinstance(i, int) for i in sections):
        return len(sections) + 1
    return 0
