"""Capture a function's source with absolute line numbers, parse it with gast.

Works for functions in files and for those defined in IPython / Jupyter cells
(IPython registers each cell in `linecache`, which `inspect` reads).
"""
import builtins
import dataclasses
import inspect
import linecache
import re
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
        return _lambda(code, origin), filename, 0
    found = _definition_by_indentation(fn)
    parsed = found and _parse_lines(*found, code.co_name)
    if not parsed:
        try:
            # the code object, not the function: inspect would follow __wrapped__ from a
            # functools.wraps decorator to the undecorated function's source
            found = inspect.getsourcelines(code)
        except (OSError, TypeError):
            raise TransformError(
                f'function {fn.__qualname__!r} has no source to transform (defined by exec, '
                f'or in a compiled module)', origin) from None
        try:
            parsed = _parse_lines(*found)
        except SyntaxError as exc:
            raise TransformError(f'cannot parse the source of {fn.__qualname__!r}: {exc.msg}',
                                 origin) from None
    node, col_shift = parsed
    if isinstance(node, gast.AsyncFunctionDef):
        raise TransformError('async functions cannot be differentiated', origin)
    if not isinstance(node, gast.FunctionDef):
        raise TransformError(f'cannot find the definition of {fn.__qualname__!r}', origin)
    return node, filename, col_shift


def _parse_lines(lines, start, name=None):
    """(the first definition's node, its absolute lines, columns removed by dedent) of
    `lines`, the source from line `start`.  With `name`: None unless they parse and
    define a function of that name (a guess to check), else a SyntaxError raises."""
    source = ''.join(lines)
    dedented = textwrap.dedent(source)
    col_shift = len(lines[0]) - len(lines[0].lstrip()) if dedented != source else 0
    try:
        module = gast.parse(dedented)
    except SyntaxError:
        if name is None:
            raise
        return None
    node = module.body[0] if module.body else None
    if name is not None and getattr(node, 'name', None) != name:
        return None
    gast.increment_lineno(module, start - 1)
    return node, col_shift


_HEADER = re.compile(r'(@|def\s|async\s+def\s)')
_DEFINITION = re.compile(r'(async\s+)?def\s')


def _definition_by_indentation(fn):
    """(lines, 1-based start) of fn's definition, decorators included, read from
    linecache where its code says it starts and ended by the first line indented no
    deeper than that (comments and blank lines aside); None where that is not so
    plain.  `inspect.getsourcelines` finds the same lines by scanning every loaded
    module for the function's and tokenizing its block, which costs milliseconds;
    a wrong cut here fails to parse or defines another name, and then inspect reads it.
    """
    code = fn.__code__
    filename = code.co_filename
    linecache.checkcache(filename)          # (the file may have changed since it was read)
    lines = linecache.getlines(filename, fn.__globals__)
    first = code.co_firstlineno - 1
    if not 0 <= first < len(lines):
        return None
    indent = _indentation(lines[first])
    if _HEADER.match(lines[first], len(indent)) is None:
        return None
    end = first
    while not _DEFINITION.match(lines[end], len(indent)):     # past the decorators
        end += 1
        if end == len(lines) or not _within(lines[end], indent) and \
                _indentation(lines[end]) != indent:
            return None
    for end in range(end + 1, len(lines)):
        text = lines[end].lstrip()
        if text and not text.startswith('#') and not _within(lines[end], indent):
            break
    else:
        end = len(lines)
    while end - 1 > first and lines[end - 1].lstrip()[:1] in ('', '#'):
        end -= 1                            # the comments and blank lines after it
    return lines[first:end], first + 1


def _indentation(line):
    return line[:len(line) - len(line.lstrip())]


def _within(line, indent):
    """Is `line` indented deeper than `indent`?"""
    return line.startswith(indent) and len(_indentation(line)) > len(indent)


def _lambda(code, origin):
    """A lambda's node, as a `def` of the same parameters returning its body.  The
    whole file is parsed (the lambda may sit in the middle of a statement that
    starts on an earlier line); of the lambdas on its first line, the one is
    chosen whose body holds the positions of its code's instructions: the
    innermost, when lambdas nest.  Refused if that does not single one out."""
    module = _parse_file(code.co_filename, origin)
    positions = [(line, col, end_line, end_col)
                 for line, end_line, col, end_col in code.co_positions()
                 if line is not None and col is not None and
                 (line, end_line, col, end_col) != (code.co_firstlineno,) * 2 + (0, 0)]
    candidates = [node for node in gast.walk(module) if isinstance(node, gast.Lambda)
                  and node.lineno == code.co_firstlineno and
                  all(_holds(node.body, p) for p in positions)]
    innermost = [node for node in candidates
                 if not any(other is not node and _holds(node.body, _span(other))
                            for other in candidates)]
    if len(innermost) != 1:
        raise TransformError('cannot tell which lambda of this line is the function to '
                             'transform; write it on a line of its own, or use def', origin)
    lam = innermost[0]
    body = gast.Return(value=lam.body)
    gast.copy_location(body, lam.body)
    node = gast.FunctionDef(name='<lambda>', args=lam.args, body=[body], decorator_list=[],
                            returns=None, type_comment=None, type_params=[])
    return gast.copy_location(node, lam)


def _parse_file(filename, origin):
    lines = linecache.getlines(filename)
    if not lines:
        raise TransformError('this lambda has no source to transform (defined by exec, '
                             'or in a compiled module)', origin)
    try:
        return gast.parse(''.join(lines))
    except SyntaxError as exc:
        raise TransformError(f'cannot parse the source of this lambda: {exc.msg}',
                             origin) from None


def _span(node):
    return node.lineno, node.col_offset, node.end_lineno, node.end_col_offset


def _holds(node, position):
    """Does the node's source span hold this (line, col, end line, end col) span?"""
    line, col, end_line, end_col = position
    return (node.lineno, node.col_offset) <= (line, col) and \
        (end_line, end_col) <= (node.end_lineno, node.end_col_offset)
