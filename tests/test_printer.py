"""codegen.printer writes a statement exactly as astor does (its fast path and astor's)."""
import ast

import astor
import numpy as np
import pytest

from s2sgrad.codegen.printer import source

STATEMENTS = [
    'x = a + b * c', 'x = (a + b) * c', 'x = a - (b - c)', 'x = a - b - c', 'x = a / (b * c)',
    'x = -a ** 2', 'x = (-a) ** 2', 'x = a ** -b', 'x = a ** b ** c', 'x = (a ** b) ** c',
    'x = -(a + b)', 'x = not a < b', 'x = a < b < c', 'x = (a < b) == c', 'x = ~a & b',
    'x = f(a, b=c)(d)', 'x = f(a + b)', 'x = f(a, (b, c))', 'x = (a + b).T', 'x = a.b.c(d)',
    'x = (1).real', 'x = f()', 'x = f(*a)', 'x = f(**k)',
    'x = a[1:2, ::3, ...]', 'x = a[()]', 'x = a[:, None]', 'x = a[::None]', 'x = a[i + 1]',
    'x = (a + b)[0]', 'x = a[b[c]]', 'x = a[1:]', 'x = a[-1]',
    'x = (a,)', 'x = ()', 'x = [a, (b, c)]', 'x = []', 'a, b = c', '(a,) = c', 'a = b = c',
    'return a, b', 'return', 'return (a, b)[0]', 'a += b @ c', 'a -= b', 'f(x)', 'a.append(b)',
    'x = [1, 2.5, None, True, -1, -0.5, 1e300, 1e-300, 10 ** 20]', 'x = 2 ** -1.0',
    "x = 'text'", 'x = 1j', "x = f'{a!r:>3}'", 'x = a if b else c', 'x = {a: b}',
    'x = float("inf")', 'raise E(a)', 'assert a, b',
]


@pytest.mark.parametrize('text', STATEMENTS)
def test_printed_as_astor_prints(text):
    node = ast.parse(text).body[0]
    expected = astor.to_source(ast.parse(text).body[0], pretty_source=''.join)
    assert source(node) == expected


def test_constants_made_by_codegen():
    # codegen builds constants that parsing never yields: negative numbers
    for value in (-1, -2.5, -0.0, True, None, Ellipsis, 1 - 2j):
        for build in (lambda c: ast.BinOp(ast.Name('a', ast.Load()), ast.Pow(), c),
                      lambda c: ast.BinOp(c, ast.Pow(), ast.Name('a', ast.Load())),
                      lambda c: ast.Attribute(c, 'real', ast.Load()),
                      lambda c: c):
            def stmt():
                return ast.Assign([ast.Name('x', ast.Store())], build(ast.Constant(value)))
            assert source(stmt()) == astor.to_source(stmt(), pretty_source=''.join), value


class _Loud(float):
    def __repr__(self):
        return 'print("injected")'


@pytest.mark.parametrize('value', [float('inf'), float('nan'), _Loud(1.0), [1], np.float64(1.0)])
def test_only_exact_builtin_constants_are_written(value):
    # codegen.literal writes everything else; a constant that reached the printer
    # anyway is an error, never a text chosen by its type's __repr__
    for node in (ast.Constant(value), ast.JoinedStr([ast.Constant(value)])):
        with pytest.raises(TypeError, match='not written'):
            source(ast.Assign([ast.Name('x', ast.Store())], node))
