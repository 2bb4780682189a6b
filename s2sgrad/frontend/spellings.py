"""What lowering knows of the library callables a program names: the primitive
each operator, array method and attribute spells, and facts about callables
(which fold at transform time, which iterate their arguments, how many results
they return).  One module, so that ir/primitives.py can take these facts over."""
import operator
import types
import warnings

import gast
import numpy as np

from ..runtime import containers


# Operators: the primitive each spells (its symbol, for codegen), and the
# Python operation that folds it on constants.
BINARY = {
    gast.Add: (np.add, '+'), gast.Sub: (np.subtract, '-'), gast.Mult: (np.multiply, '*'),
    gast.Div: (np.true_divide, '/'), gast.FloorDiv: (np.floor_divide, '//'),
    gast.Mod: (np.remainder, '%'), gast.Pow: (np.power, '**'), gast.MatMult: (np.matmul, '@'),
    gast.BitAnd: (np.bitwise_and, '&'), gast.BitOr: (np.bitwise_or, '|'),
    gast.BitXor: (np.bitwise_xor, '^'), gast.LShift: (np.left_shift, '<<'),
    gast.RShift: (np.right_shift, '>>'),
}
PY_BINARY = {
    '+': operator.add, '-': operator.sub, '*': operator.mul, '/': operator.truediv,
    '//': operator.floordiv, '%': operator.mod, '**': operator.pow, '@': operator.matmul,
    '&': operator.and_, '|': operator.or_, '^': operator.xor, '<<': operator.lshift,
    '>>': operator.rshift,
}

UNARY = {gast.USub: (np.negative, '-'), gast.UAdd: (np.positive, '+'),
         gast.Invert: (np.invert, '~'), gast.Not: (operator.not_, 'not ')}
PY_UNARY = {'-': operator.neg, '+': operator.pos, '~': operator.invert, 'not ': operator.not_}

COMPARE = {
    gast.Lt: (np.less, '<'), gast.LtE: (np.less_equal, '<='), gast.Gt: (np.greater, '>'),
    gast.GtE: (np.greater_equal, '>='), gast.Eq: (np.equal, '=='), gast.NotEq: (np.not_equal, '!='),
    gast.Is: (operator.is_, 'is'), gast.IsNot: (operator.is_not, 'is not'),
    gast.In: (operator.contains, 'in'), gast.NotIn: (operator.contains, 'not in'),
}
PY_COMPARE = {'<': operator.lt, '<=': operator.le, '>': operator.gt, '>=': operator.ge,
              '==': operator.eq, '!=': operator.ne, 'is': operator.is_,
              'is not': operator.is_not, 'in': lambda a, b: a in b,
              'not in': lambda a, b: a not in b}

# Array methods and attributes, and the NumPy callables they mean (the array is
# the first argument): METHODS and ATTRIBUTES are facts of the primitives' records.
VARARG_METHODS = {'reshape', 'transpose'}     # x.reshape(2, 3) == np.reshape(x, (2, 3))
# Methods of a dict passed in as an argument: read through run-time helpers.
DICT_METHODS = {'items': containers._sg_items, 'keys': containers._sg_keys,
                'values': containers._sg_values, 'get': containers._sg_get}
CONSTANT_ATTRIBUTES = {'dtype', 'itemsize', 'nbytes', 'flags', 'strides'}

# Callables a call to which on constants is folded into a constant.
FOLDABLE = {len, isinstance, tuple, list, int, float, bool, abs, min, max, range, str,
            slice, issubclass, type, round, divmod, sum, enumerate, zip, repr,
            np.issubdtype, np.dtype, np.result_type, np.promote_types, np.finfo, np.iinfo,
            np.can_cast, np.min_scalar_type, sorted, reversed}

# Run-time results that describe a type (x.dtype, np.finfo(x.dtype)): their
# attributes (.eps, .kind, .itemsize, ...) are constants too.
TYPE_QUERIES = {np.finfo, np.iinfo, np.dtype, np.result_type, np.promote_types}

# Builtins that iterate their arguments (a dict: its keys).
ITERATING_BUILTINS = {list, tuple, sorted, reversed, enumerate, zip, min, max, sum, set,
                      frozenset, iter, any, all, len}

# Context managers whose with statement is kept around the lowered body (and its
# gradient): they change how NumPy reports floating-point errors or prints, or
# restore the warning filters; their arguments must be literals.
CONTEXT_MANAGERS = {np.errstate, np.printoptions, warnings.catch_warnings}
MANAGER_ARGUMENTS = (str, int, float, bool, type(None))

# Library calls that return a fixed number of results (a tuple).
FIXED_ARITY = {np.linalg.slogdet: 2, np.linalg.eigh: 2, np.linalg.eig: 2, np.linalg.qr: 2,
               np.linalg.lstsq: 4}
# The named fields of those results (NumPy 2 returns named tuples).
RESULT_FIELDS = {np.linalg.slogdet: ('sign', 'logabsdet'),
                 np.linalg.eigh: ('eigenvalues', 'eigenvectors'),
                 np.linalg.eig: ('eigenvalues', 'eigenvectors'),
                 np.linalg.qr: ('Q', 'R'), np.linalg.svd: ('U', 'S', 'Vh')}
# Library calls that split an array: a list of pieces, as many as the sections.
SPLITS = (np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit)


def is_library_callable(fn):
    """A NumPy, SciPy, math, builtin or s2sgrad callable: called, never inlined."""
    if isinstance(fn, (np.ufunc, types.BuiltinFunctionType, type)):
        return True
    module = getattr(fn, '__module__', None) or ''
    return module.split('.')[0] in ('numpy', 'scipy', 'math', 'builtins', 'operator', 'cmath') \
        or module.startswith('s2sgrad.runtime') or module.startswith('s2sgrad.ad')


def is_context_manager(fn):
    try:
        return fn in CONTEXT_MANAGERS
    except TypeError:       # unhashable
        return False
