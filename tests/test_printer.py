"""codegen.printer writes a statement exactly as astor does (its fast path and astor's)."""
import ast

import astor
import numpy as np
import pytest

from s2sgrad.codegen.printer import Notes, print_tree, source

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


HEADERS = ['for a in x + y:', 'for a, b in zip(x, y):', 'for a in (x, y):', 'for a in -x:',
           'for (a,) in x[1:2]:', 'for a in x if y else z:', 'if a < b:', 'if not (a and b):',
           'while x + 1:', 'while True:', 'with f(a, b=c):']


@pytest.mark.parametrize('text', HEADERS)
def test_compound_headers_printed_as_astor_prints(text):
    node = ast.parse(text + '\n    pass').body[0]
    got = print_tree(ast.Module([node], []), Notes())[0]
    assert got == astor.to_source(node, pretty_source=''.join)


def test_one_tree_printed_with_its_comments_and_line_origins():
    # the origins count lines as printed: a docstring of several lines shifts those after it
    ret = ast.Return(ast.Name('y', ast.Load()))
    loop = ast.For(ast.Name('i', ast.Store()), ast.Name('x', ast.Load()),
                   [ast.AugAssign(ast.Name('y', ast.Store()), ast.Add(),
                                  ast.Name('i', ast.Load()))], [], None)
    args = ast.arguments([], [ast.arg('x', None), ast.arg('s', None)], None, [], [], None,
                         [ast.Tuple([ast.Constant(1), ast.Constant(2)], ast.Load())])
    tree = ast.FunctionDef('f', args, [ast.Expr(ast.Constant('Two\nlines.')), loop,
                                       ast.Delete([ast.Name('x', ast.Del())]), ret], [], None)
    notes = Notes({loop: ['# the loop'], ret: ['# the end']}, {loop: 'L', loop.body[0]: 'B',
                                                               ret: 'R'})
    text, origins = print_tree(tree, notes)
    assert text == ('def f(x, s=(1, 2)):\n    """Two\nlines."""\n    # the loop\n'
                    '    for i in x:\n        y += i\n    del x\n    # the end\n    return y\n')
    lines = text.split('\n')
    assert {lines[n - 1].strip(): o for n, o in origins.items()} == \
        {'for i in x:': 'L', 'y += i': 'B', 'return y': 'R'}


def test_generated_function_maps_its_lines_after_a_long_docstring():
    import s2sgrad as sg

    def f(x, s=(1, 2)):
        """Two
        lines."""
        y = np.sin(x) * len(s)
        return y

    g = sg.graph(f)
    assert g(0.5) == pytest.approx(np.sin(0.5) * 2)        # (a tuple default is parenthesised)
    generated = g.compiled.generated
    lines = generated.source.split('\n')
    for number, origin in generated.line_origins.items():
        text = lines[number - 1].strip()
        assert text.startswith('return') or text.split(' = ')[0] in origin.text
    # the tree made again (for export) prints as the source
    assert print_tree(*generated.tree())[0] == generated.source
