"""Print generated code (a Python `ast` tree) as source text.

One tree is printed once: `print_tree` writes a function (or a module) with
the lines `Notes` hold beside it -- comments and blank lines above a
statement, and the user's line each statement's text maps back to (the
generated line numbers come out of the same walk that writes the lines).

A statement's text is astor's (`astor.to_source(node, pretty_source=''.join)`:
line wrapping off, it breaks calls mid-name).  The statements codegen makes are
nearly all assignments of names, numbers, operators, calls and indexing;
those are printed here directly, by astor's own precedence rules, several
times faster than astor's visitor.  Any other node (f-strings, conditional
expressions, ...) sends the whole statement to astor.  A constant is written
by the builtin repr of its exact type, never by a subclass's.  The headers of
compound statements (`def`, `if`, `for`, `while`, `with`) are written here,
their expressions as above.
"""
import ast
import math
import threading

import astor
from astor.op_util import Precedence, get_op_precedence, get_op_symbol, precedence_data, \
    symbol_data

from . import literal

INDENT = '    '


class Notes:
    """What the printed text carries beside the tree, keyed by statement node:
    `above`, the lines written above it at its indentation (comments; '' is a
    blank line), and `origins`, the user's line (errors.Origin) each line of its
    text maps back to.  A compound statement's origin is its header's."""
    __slots__ = ('above', 'origins')

    def __init__(self, above=None, origins=None):
        self.above = {} if above is None else above
        self.origins = {} if origins is None else origins


class Verbatim(ast.stmt):
    """Source text written as it is, at the top level (a runtime helper's own source)."""
    _fields = ('text',)


def print_tree(node, notes):
    """(the text of `node`, a FunctionDef or a Module, ending in a newline;
    {generated line number: origin} for its lines that have one)."""
    out = _Lines(notes)
    if type(node) is ast.Module:
        out.block(node.body, 0)
    else:
        out.block([node], 0)
    return '\n'.join(out.lines) + '\n', out.origins


class _Lines:
    def __init__(self, notes):
        self.notes = notes
        self.lines = []
        self.origins = {}

    def add(self, text, origin):
        self.lines.append(text)
        if origin is not None:
            self.origins[len(self.lines)] = origin

    def block(self, stmts, depth, docstring=True):
        """Write statements at `depth`; the first may be a docstring."""
        indent = INDENT * depth
        above, origins = self.notes.above, self.notes.origins
        for k, stmt in enumerate(stmts):
            for text in above.get(stmt, ()):
                self.lines.append(indent + text if text else '')
            origin = origins.get(stmt)
            kind = type(stmt)
            if kind in _HEADERS:
                self.add(indent + _HEADERS[kind](stmt), origin)
                self.block(stmt.body, depth + 1, docstring=kind is ast.FunctionDef)
                if getattr(stmt, 'orelse', None):
                    self.lines.append(indent + 'else:')
                    self.block(stmt.orelse, depth + 1, docstring=False)
            elif kind is Verbatim:
                for line in stmt.text.rstrip('\n').split('\n'):
                    self.add(line, origin)
            elif k == 0 and docstring and _is_docstring(stmt):
                for line in (indent + literal.docstring(stmt.value.value)).split('\n'):
                    self.add(line, origin)
            else:
                text = source(stmt).rstrip('\n')
                if '\n' in text:       # (astor's text of a statement may have lines)
                    for line in text.split('\n'):
                        self.add(indent + line, origin)
                else:
                    self.lines.append(indent + text)
                    if origin is not None:
                        self.origins[len(self.lines)] = origin


def _is_docstring(stmt):
    return type(stmt) is ast.Expr and type(stmt.value) is ast.Constant \
        and type(stmt.value.value) is str


def expression(node, pp=None):
    """An expression's text where its parent gives it precedence `pp` (by
    default, as a statement of its own: `a, b` unparenthesised)."""
    if pp is None:
        return source(ast.Expr(node)).strip()
    try:
        return _expr(node, pp)
    except _Unsupported:
        text = _astor_source(ast.Expr(node)).strip()
        # (at statement level nothing is parenthesised but below it a tuple)
        return '(' + text + ')' if type(node) is ast.Tuple and node.elts else text


def _def_header(node):
    args = node.args
    defaults = [None] * (len(args.posonlyargs) + len(args.args) - len(args.defaults)) + \
        list(args.defaults)
    params = []
    for k, arg in enumerate(args.posonlyargs + args.args):
        default = defaults[k]
        params.append(arg.arg if default is None else
                      arg.arg + '=' + expression(default, _COMMA))
        if k + 1 == len(args.posonlyargs):
            params.append('/')
    if args.vararg is not None:
        params.append('*' + args.vararg.arg)
    elif args.kwonlyargs:
        params.append('*')
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        params.append(arg.arg if default is None else
                      arg.arg + '=' + expression(default, _COMMA))
    if args.kwarg is not None:
        params.append('**' + args.kwarg.arg)
    return f'def {node.name}({", ".join(params)}):'


def _for_header(node):
    try:
        return 'for ' + _expr(node.target, _FOR) + ' in ' + _expr(node.iter, _unset(node.iter)) \
            + ':'
    except _Unsupported:
        head = ast.For(node.target, node.iter, [], [], None)
        return _astor_source(head).split('\n')[0].rstrip()


_HEADERS = {
    ast.FunctionDef: _def_header,
    ast.If: lambda node: 'if ' + expression(node.test) + ':',
    ast.While: lambda node: 'while ' + expression(node.test) + ':',
    ast.With: lambda node: 'with ' + ', '.join(expression(item.context_expr)
                                               for item in node.items) + ':',
    ast.For: _for_header,
}


def source(node):
    """The statement's text, ending in a newline, exactly as astor prints it."""
    try:
        return _statement(node) + '\n'
    except _Unsupported:
        return _astor_source(node)


class _Unsupported(Exception):
    """A node the fast path does not print: astor prints the statement."""


_HIGHEST = Precedence.highest
_COMMA = Precedence.Comma
_CALL_ONE_ARG = Precedence.call_one_arg
_POW_LHS = Precedence.Pow + 1
_POW_RHS = Precedence.PowRHS
_CONSTANT = get_op_precedence(ast.Constant(0))
_TUPLE = Precedence.Tuple
_SUBSCRIPT = Precedence.Subscript
_SLICE = Precedence.Slice
_ASSIGN = Precedence.Assign
_AUG_ASSIGN = Precedence.AugAssign
_EXPR = Precedence.Expr
_RETURN = Precedence.Return
_FOR = Precedence.For
# (astor's tables, read directly: the printer's inner loop)
_PRECEDENCE = precedence_data
_SPACED = {kind: ' ' + symbol + ' ' for kind, symbol in symbol_data.items()}


def _statement(node):
    kind = type(node)
    if kind is ast.Assign:
        targets = ''.join(_expr(t, _ASSIGN) + ' = ' for t in node.targets)
        return targets + _expr(node.value, _ASSIGN)
    if kind is ast.AugAssign:
        return _expr(node.target, _AUG_ASSIGN) + get_op_symbol(node.op, ' %s= ') + \
            _expr(node.value, _AUG_ASSIGN)
    if kind is ast.Expr:
        return _expr(node.value, _EXPR)
    if kind is ast.Return:
        return 'return' if node.value is None else 'return ' + _expr(node.value, _RETURN)
    if kind is ast.Pass:
        return 'pass'
    if kind is ast.Break:
        return 'break'
    if kind is ast.Delete:
        return 'del ' + ', '.join(_expr(t, _COMMA) for t in node.targets)
    if kind is ast.Import:
        return 'import ' + _aliases(node.names)
    if kind is ast.ImportFrom:
        return 'from ' + '.' * node.level + (node.module or '') + ' import ' + \
            _aliases(node.names)
    raise _Unsupported


def _aliases(names):
    return ', '.join(a.name if a.asname is None else a.name + ' as ' + a.asname for a in names)


def _unset(node):
    """The precedence astor sees where the parent sets none: the node's own, if it
    was ever printed by astor, else the highest.  (_expr spells it out inline.)"""
    return getattr(node, '_pp', _HIGHEST)


def _expr(node, pp):
    """`node`'s text where its parent gives it precedence `pp` (parenthesised when
    its own precedence is lower)."""
    kind = type(node)
    if kind is ast.Name:
        return node.id
    if kind is ast.Attribute:
        value = node.value
        return _expr(value, getattr(value, '_pp', _HIGHEST)) + '.' + node.attr
    if kind is ast.Constant:
        value = node.value
        if value is None or value is Ellipsis:
            return constant(value)
        if type(value) is complex:
            raise _Unsupported          # astor writes `1.0j`, from the value's parts
        text = constant(value)
        return text if _CONSTANT >= pp else '(' + text + ')'
    if kind is ast.BinOp:
        op = type(node.op)
        p = _PRECEDENCE[op]
        if op is ast.Pow:
            text = _expr(node.left, _POW_LHS) + ' ** ' + _expr(node.right, _POW_RHS)
        else:
            text = _expr(node.left, p) + _SPACED[op] + _expr(node.right, p + 1)
        return text if p >= pp else '(' + text + ')'
    if kind is ast.Call:
        args, keywords = node.args, node.keywords
        p = _COMMA if len(args) + len(keywords) > 1 else _CALL_ONE_ARG
        parts = [_expr(a, p) for a in args]
        for k in keywords:
            if k.arg is None:
                raise _Unsupported
            parts.append(k.arg + '=' + _expr(k.value, _COMMA))
        func = node.func
        return _expr(func, getattr(func, '_pp', _HIGHEST)) + '(' + ', '.join(parts) + ')'
    if kind is ast.UnaryOp:
        op = node.op
        p = get_op_precedence(op)
        symbol = get_op_symbol(op)
        text = symbol + (' ' if symbol.isalpha() else '') + _expr(node.operand, p)
        return text if p >= pp else '(' + text + ')'
    if kind is ast.Compare:
        p = get_op_precedence(node.ops[0])
        text = _expr(node.left, p + 1) + ''.join(
            get_op_symbol(op, ' %s ') + _expr(right, p + 1)
            for op, right in zip(node.ops, node.comparators))
        return text if p >= pp else '(' + text + ')'
    if kind is ast.Tuple:
        elts = node.elts
        text = ', '.join(_expr(e, _COMMA) for e in elts) + (',' if len(elts) == 1 else '')
        return text if _TUPLE >= pp and elts else '(' + text + ')'
    if kind is ast.Subscript:
        value = node.value
        return _expr(value, getattr(value, '_pp', _HIGHEST)) + '[' + \
            _expr(node.slice, _SUBSCRIPT) + ']'
    if kind is ast.Slice:
        text = ('' if node.lower is None else _expr(node.lower, _SLICE)) + ':' + \
            ('' if node.upper is None else _expr(node.upper, _SLICE))
        step = node.step
        if step is not None:
            text += ':'
            if not (type(step) is ast.Name and step.id == 'None'):
                text += _expr(step, _SLICE)
        return text
    if kind is ast.List:
        return '[' + ', '.join(_expr(e, _COMMA) for e in node.elts) + ']'
    if kind is ast.Dict and None not in node.keys:
        return '{' + ', '.join(_expr(k, _COMMA) + ': ' + _expr(v, _COMMA)
                               for k, v in zip(node.keys, node.values)) + '}'
    raise _Unsupported


# The builtin repr of each type a constant may hold (codegen.literal makes them):
# never the repr a subclass defines.
_REPR = {bool: bool.__repr__, int: int.__repr__, float: float.__repr__, str: str.__repr__,
         bytes: bytes.__repr__, complex: complex.__repr__}


def constant(value):
    """The text of a constant: None, ..., or an exact bool, int, finite float, str,
    bytes or complex (anything else never reaches the source as text)."""
    if value is None:
        return 'None'
    if value is Ellipsis:
        return '...'
    kind = type(value)
    if kind not in _REPR or kind is float and not math.isfinite(value):
        raise TypeError(f'internal error: a constant of type {kind.__name__} is not '
                        f'written into generated source (codegen.literal writes values)')
    return _REPR[kind](value)


def _astor_source(node):
    """astor's text of the statement.  One generator per thread serves every
    statement: each new astor generator is a reference cycle (its closures)
    that only the cyclic garbage collector frees.  (astor writes a constant by
    its repr: each is checked to be of a type whose builtin repr that is.)"""
    for inner in ast.walk(node):
        if type(inner) is ast.Constant:
            constant(inner.value)
    gen = getattr(_printer, 'generator', None)
    if gen is None:
        gen = _printer.generator = astor.code_gen.SourceGenerator(' ' * 4)
    result = gen.result         # the generator's closures append to this very list
    del result[:]
    gen.indentation = gen.new_lines = 0
    gen.colinfo = 0, 0
    gen.visit(node)
    result.append('\n')
    if set(result[0]) == set('\n'):
        result[0] = ''
    return ''.join(result)


_printer = threading.local()


__all__ = ['source', 'constant', 'expression', 'print_tree', 'Notes', 'Verbatim']
