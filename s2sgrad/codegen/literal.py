"""The one writer of values and user text into generated source.

Values.  `node(value, refer)` is the expression that rebuilds a value, for a
closed list of types only: exact bool, int, float, complex, str, bytes, None,
Ellipsis; exact tuples, lists, dicts, frozensets, slices and ranges of those; NumPy
scalars of numbers; NumPy arrays of numbers (with their dtype); np.dtype
objects.  Numbers are spelled by their builtin repr (`float.__repr__(v)`,
never `type(v).__repr__`), nan and the infinities as `float('nan')`, so no
text a user object chooses ever reaches the source.  Anything else raises
`Unwritable`: codegen then refers to the object by a generated name, export
refuses it.  `refer(obj)` is the expression naming a library object the
rebuilt value needs (`float`, `np.float64`, `np.array`): the caller chooses
those names, so they cannot be captured.

`plain(value)`: a value of a subclass of a builtin scalar type (an IntEnum, a
float with its own __repr__) as its builtin base value, for export, where a
module holds only data; refused when the subclass changes more than how it
prints.

Text.  `comment(text)` escapes line breaks (all that `str.splitlines` or the
tokenizer end a line at) and other unprintable characters; `string(text)` and
`docstring(text)` are string literals that read back exactly;
`identifier(name)` checks a name the code binds.
"""
import ast
import keyword
import math
import unicodedata

import numpy as np


class Unwritable(TypeError):
    """A value that is not on the closed list of types written into source."""


_SCALARS = (bool, int, float, complex, str, bytes)
# NumPy kinds written: bool, signed, unsigned, float, complex (not longdouble:
# its values do not survive a trip through Python floats).
_ARRAY_KINDS = 'biufc'


def node(value, refer):
    """An ast expression that evaluates to `value` (see the module's docstring)."""
    kind = type(value)
    if value is None or value is Ellipsis or kind is bool or kind is str or kind is bytes:
        return ast.Constant(value)
    if kind is int:
        try:
            int.__repr__(value)
        except ValueError:          # more digits than int's repr allows
            raise Unwritable(f'an int of {value.bit_length()} bits') from None
        return ast.Constant(value)
    if kind is float:
        return _float(value, refer)
    if kind is complex:
        re, im = value.real, value.imag
        if all(math.isfinite(p) and p != 0 for p in (re, im)):
            return ast.Constant(value)      # `(1-2j)` reads back exactly (not a zero's sign)
        return ast.Call(refer(complex), [_float(re, refer), _float(im, refer)], [])
    if kind is tuple:
        return ast.Tuple([node(v, refer) for v in value], ast.Load())
    if kind is list:
        return ast.List([node(v, refer) for v in value], ast.Load())
    if kind is dict:
        return ast.Dict([node(k, refer) for k in value], [node(v, refer) for v in value.values()])
    if kind is frozenset:           # (its items in a fixed order: the source is deterministic)
        items = sorted((node(v, refer) for v in value), key=ast.dump)
        return ast.Call(refer(frozenset), [ast.Tuple(items, ast.Load())], [])
    if kind is slice:
        return ast.Call(refer(slice), [node(p, refer) for p in
                                       (value.start, value.stop, value.step)], [])
    if kind is range:
        parts = [value.stop] if (value.start, value.step) == (0, 1) else \
            [value.start, value.stop] + ([value.step] if value.step != 1 else [])
        return ast.Call(refer(range), [node(p, refer) for p in parts], [])
    if isinstance(value, np.generic) and value.dtype.type is kind and _numeric_dtype(value.dtype):
        return ast.Call(refer(kind), [node(value.item(), refer)], [])
    if kind is np.ndarray and _numeric_dtype(value.dtype):
        dtype = [ast.keyword('dtype', ast.Constant(str(value.dtype)))]
        if value.size == 0:
            return ast.Call(_attribute(refer(np), 'zeros'),
                            [node(tuple(int(n) for n in value.shape), refer)], dtype)
        return ast.Call(_attribute(refer(np), 'array'), [node(value.tolist(), refer)], dtype)
    if isinstance(value, np.dtype) and _dtype_text(value) is not None:
        return ast.Call(refer(np.dtype), [ast.Constant(_dtype_text(value))], [])
    raise Unwritable(f'a value of type {_type_name(value)}')


def _float(value, refer):
    if math.isfinite(value):
        return ast.Constant(value)
    return ast.Call(refer(float), [ast.Constant(float.__repr__(value))], [])


def _attribute(base, attr):
    return ast.Attribute(base, attr, ast.Load())


def _numeric_dtype(dtype):
    return dtype.kind in _ARRAY_KINDS and dtype.names is None and dtype.subdtype is None \
        and not (dtype.kind in 'fc' and dtype.itemsize > (8 if dtype.kind == 'f' else 16))


def _dtype_text(dtype):
    """The string np.dtype(...) rebuilds this dtype from exactly, or None."""
    if dtype.names is not None or dtype.subdtype is not None or dtype.metadata:
        return None
    text = str(dtype)
    try:
        same = np.dtype(text) == dtype and np.dtype(text).str == dtype.str
    except TypeError:
        return None
    return text if same else None


def _type_name(value):
    """The value's class name, for a message (escaped: a class names itself)."""
    return comment(type.__dict__['__qualname__'].__get__(type(value)))


# ---- subclasses of builtin scalars, as plain data ----------------------------------
# Methods a subclass may redefine and stay the same value in every computation:
# how it prints, how it is made, copied and pickled, and class metadata.
_PRINTING_ONLY = {'__repr__', '__str__', '__format__', '__new__', '__init__', '__doc__',
                  '__module__', '__qualname__', '__dict__', '__weakref__', '__slots__',
                  '__annotations__', '__init_subclass__', '__getnewargs__', '__reduce__',
                  '__reduce_ex__', '__copy__', '__deepcopy__', '__dir__', '__orig_bases__',
                  '__parameters__', '__firstlineno__', '__static_attributes__'}


def plain(value):
    """`value`, with any subclass of a builtin scalar (in containers too) replaced by
    its builtin base value; raise Unwritable if such a subclass changes more than
    how it prints (an overridden `__add__`, say), or the value is not data."""
    kind = type(value)
    if kind in (tuple, list):
        return kind(plain(v) for v in value)
    if kind is dict:
        return {plain(k): plain(v) for k, v in value.items()}
    base = next((b for b in _SCALARS if isinstance(value, b)), None)
    if base is None or kind is base:
        return value
    changed = set()
    for klass in kind.__mro__[:kind.__mro__.index(base)]:
        changed.update(n for n in vars(klass) if n.startswith('__') and n.endswith('__'))
    changed -= _PRINTING_ONLY
    if changed:
        raise Unwritable(f'a value of type {_type_name(value)}, a subclass of '
                         f'{base.__name__} that redefines {", ".join(sorted(changed))}')
    if base is bool:
        return bool(int.__index__(value))
    if base is int:
        return int.__index__(value)
    if base is float:
        return float.__float__(value)
    if base is complex:
        return complex(vars(complex)['real'].__get__(value), vars(complex)['imag'].__get__(value))
    if base is str:
        return str.__str__(value)
    return bytes(memoryview(value))


# ---- text --------------------------------------------------------------------------
def _escape(c):
    return str.__repr__(c)[1:-1]


def comment(text):
    """Text safe inside a `#` comment: no character in it ends the line (every
    unprintable character -- line breaks, NUL, lone surrogates -- is written as
    its escape, `\\n`, `\\u2028`)."""
    text = str.__str__(text)
    if text.isprintable():
        return text
    return ''.join(c if c.isprintable() else _escape(c) for c in text)


def string(text):
    """A string literal of the exact text (its builtin repr)."""
    return str.__repr__(str.__str__(text))


def docstring(text):
    """A docstring literal of the exact text: `\"\"\"text\"\"\"` where the text can be
    written so (printable lines, no backslash, no triple quote, no quote at the
    end), else its repr."""
    text = str.__str__(text)
    if all(line.isprintable() for line in text.split('\n')) and '\\' not in text \
            and '"""' not in text and not text.endswith('"'):
        return '"""' + text + '"""'
    return string(text)


def is_identifier(name):
    """Is `name` an identifier, not a keyword, in the form Python reads it as
    (NFKC: Python reads `ﬂoat` as `float`)?"""
    return type(name) is str and name.isidentifier() and not keyword.iskeyword(name) \
        and unicodedata.normalize('NFKC', name) == name


def checked_identifier(name):
    """`name`, which codegen writes as an identifier: ValueError if it is not one
    (names are made identifiers before codegen; this is the last guard)."""
    if not is_identifier(name):
        shown = string(name) if isinstance(name, str) else type(name).__name__
        raise ValueError(f'internal error: {shown} is not an identifier')
    return name


def identifier(name):
    """A name usable as a Python identifier: `name` itself when it is one, else
    every character that cannot be in one replaced by `_` (and `_` added before
    a digit or after a keyword)."""
    name = unicodedata.normalize('NFKC', str.__str__(name))
    if is_identifier(name):
        return name
    safe = ''.join(c if ('a' + c).isidentifier() else '_' for c in name) or '_'
    if not safe.isidentifier():
        safe = '_' + safe
    if keyword.iskeyword(safe):
        safe += '_'
    return safe


__all__ = ['node', 'plain', 'Unwritable', 'comment', 'string', 'docstring',
           'identifier', 'is_identifier', 'checked_identifier']
