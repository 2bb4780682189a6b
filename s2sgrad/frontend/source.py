"""Capture a function's source with absolute line numbers, parse it with gast.

Works for functions in files and for those defined in IPython / Jupyter cells
(IPython registers each cell in `linecache`, which `inspect` reads).
"""
import builtins
import dataclasses
import inspect
import linecache
import textwrap
import types

import gast

from ..errors import Origin, TransformError


@dataclasses.dataclass
class SourceFunction:
    """A parsed user function: its gast tree, where it lives, and what its names mean."""

    fn: object
    node: gast.FunctionDef
    filename: str
    col_shift: int                      # columns removed by dedent
    namespace: dict                     # closure cells over globals
    builtins: dict
    cells: dict                         # free variable -> its closure cell

    def resolve_guarded(self, name, guards):
        """`resolve`, recording in `guards` where the object was found."""
        found, obj = self.resolve(name)
        if found:
            if name in self.cells:
                guards.read_cell(self.cells[name], obj)
            elif name in self.fn.__globals__:
                guards.read_global(self.fn.__globals__, name, obj)
            else:
                guards.read_builtin(self.fn.__globals__, name, obj)
        return found, obj

    def origin(self, node, stmt=None):
        """The Origin of a gast node (the text is that of its statement's first line)."""
        lineno = getattr(node, 'lineno', None) or self.node.lineno
        col = getattr(node, 'col_offset', 0) or 0
        text_line = getattr(stmt, 'lineno', None) or lineno
        text = linecache.getline(self.filename, text_line).rstrip('\n')
        return Origin(self.filename, lineno, col + self.col_shift, text, self.node.name)

    def resolve(self, name):
        """(found, object) for a free name: closure, then globals, then builtins."""
        if name in self.namespace:
            return True, self.namespace[name]
        if name in self.builtins:
            return True, self.builtins[name]
        return False, None


_parse_cache = {}


def capture(fn):
    """Parse a Python function into a `SourceFunction`; refuse what has no source."""
    if not isinstance(fn, types.FunctionType):
        raise TypeError(f's2sgrad transforms Python functions, not {type(fn).__name__} {fn!r}')
    code = fn.__code__
    # code objects compare equal across files (co_filename is not compared): the
    # same function text at the same line of two files must not share one parse
    key = (code, code.co_filename)
    cached = _parse_cache.get(key)
    if cached is None:
        cached = _parse(fn)
        _parse_cache[key] = cached
    node, filename, col_shift = cached
    namespace = dict(fn.__globals__)
    cells = dict(zip(code.co_freevars, fn.__closure__ or ()))
    for name, cell in cells.items():
        try:
            namespace[name] = cell.cell_contents
        except ValueError:      # a cell not filled yet: the name is unbound
            pass
    fb = fn.__globals__.get('__builtins__', builtins)
    fb = fb if isinstance(fb, dict) else vars(fb)
    return SourceFunction(fn, node, filename, col_shift, namespace, fb, cells)


def _parse(fn):
    code = fn.__code__
    filename = code.co_filename
    origin = Origin(filename, code.co_firstlineno, 0,
                    linecache.getline(filename, code.co_firstlineno).rstrip('\n'), fn.__name__)
    if fn.__name__ == '<lambda>':
        raise TransformError('lambda functions cannot be transformed yet; use def', origin)
    try:
        # the code object, not the function: inspect would follow __wrapped__ from a
        # functools.wraps decorator to the undecorated function's source
        lines, start = inspect.getsourcelines(code)
    except (OSError, TypeError):
        raise TransformError(
            f'function {fn.__qualname__!r} has no source to transform (defined by exec, '
            f'or in a compiled module)', origin) from None
    source = ''.join(lines)
    dedented = textwrap.dedent(source)
    col_shift = len(lines[0]) - len(lines[0].lstrip()) if dedented != source else 0
    try:
        module = gast.parse(dedented)
    except SyntaxError as exc:
        raise TransformError(f'cannot parse the source of {fn.__qualname__!r}: {exc.msg}',
                             origin) from None
    node = module.body[0]
    if isinstance(node, gast.AsyncFunctionDef):
        raise TransformError('async functions cannot be differentiated', origin)
    if not isinstance(node, gast.FunctionDef):
        raise TransformError(f'cannot find the definition of {fn.__qualname__!r}', origin)
    gast.increment_lineno(module, start - 1)
    return node, filename, col_shift
