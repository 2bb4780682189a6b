"""Source capture and name resolution: cells, aliases, closures, helpers, refusals."""
import linecache
import textwrap

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads


def define_in_cell(source, name, cell='<ipython-input-7-0123abcd>', namespace=None):
    """Define a function the way IPython does: the cell's text registered in linecache."""
    source = textwrap.dedent(source)
    linecache.cache[cell] = (len(source), None, source.splitlines(True), cell)
    ns = {'np': np, 'sg': sg} if namespace is None else namespace
    exec(compile(source, cell, 'exec'), ns)
    return ns[name]


def test_function_defined_in_a_notebook_cell():
    f = define_in_cell('''
        x0 = 1.0

        def cell_loss(W, x):
            h = np.tanh(x @ W)
            return np.sum(h * h)
        ''', 'cell_loss')
    g = sg.grad(f)
    assert '# <ipython-input-7-0123abcd>:5  h = np.tanh(x @ W)' in g.source
    rng = np.random.default_rng(0)
    check_grads(f, rng.normal(size=(3, 2)), rng.normal(size=(4, 3)), wrt=0)


def test_error_in_a_notebook_cell_names_the_cell_and_line():
    f = define_in_cell('''
        def cell_bad(x):
            y = x * 2
            try:
                y = y + 1
            except ValueError:
                pass
            return y
        ''', 'cell_bad', cell='<ipython-input-8-feedbeef>')
    with pytest.raises(sg.TransformError) as info:
        sg.grad(f)(1.0)
    assert info.value.filename == '<ipython-input-8-feedbeef>'
    assert info.value.lineno == 4


def test_function_without_source_is_refused():
    ns = {'np': np}
    exec('def nosource(x):\n    return np.sin(x)\n', ns)
    with pytest.raises(sg.TransformError, match='no source'):
        sg.grad(ns['nosource'])(1.0)


def test_user_numpy_alias_is_kept(tmp_path):
    import importlib.util
    path = tmp_path / 'aliased.py'
    path.write_text(textwrap.dedent('''
        import numpy as onp
        from numpy import tanh

        def f(x, W):
            return onp.sum(tanh(x @ W))
        '''))
    spec = importlib.util.spec_from_file_location('aliased', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    g = sg.grad(module.f, wrt=1)
    assert 'tanh(x @ W)' in g.source and 'onp.' in g.source
    assert ' np.' not in g.source
    rng = np.random.default_rng(1)
    check_grads(module.f, rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), wrt=1)


def _import_file(path, name):
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_same_code_in_two_files_is_parsed_for_each(tmp_path):
    # equal code objects in two files: each error names its own file
    text = textwrap.dedent('''
        import numpy as np

        def f(x):
            try:
                y = np.sin(x)
            except ValueError:
                y = x
            return y
        ''')
    for name in ('first_copy', 'second_copy'):
        (tmp_path / f'{name}.py').write_text(text)
        module = _import_file(tmp_path / f'{name}.py', name)
        with pytest.raises(sg.TransformError) as info:
            sg.grad(module.f)(1.0)
        assert info.value.filename == str(tmp_path / f'{name}.py')
        assert info.value.lineno == 5       # the try


def make_closure(scale):
    offset = np.array([1.0, -2.0, 0.5])

    def closed(x):
        return np.sum(np.sin(x * scale + offset))
    return closed


def test_closure_variables_are_read():
    f = make_closure(1.5)
    x = np.array([0.3, -0.2, 0.9])
    expected = 1.5 * np.cos(x * 1.5 + np.array([1.0, -2.0, 0.5]))
    np.testing.assert_allclose(sg.grad(f)(x), expected, rtol=1e-12)


def recursive(x, n):
    return recursive(x, n - 1)


def test_recursion_is_refused_at_the_call():
    with pytest.raises(sg.TransformError, match='recursive') as info:
        sg.grad(recursive)(1.0, 3)
    assert info.value.filename.endswith('test_frontend.py')
    assert 'return recursive(x, n - 1)' in info.value.text


def helper_with_try(x):
    try:  # the offending line
        return x
    finally:
        pass


def calls_bad_helper(x):
    return helper_with_try(x) * 2.0  # the call site


def test_error_in_a_helper_points_at_the_helper_with_the_call_site_in_a_note():
    with pytest.raises(sg.TransformError) as info:
        sg.grad(calls_bad_helper)(1.0)
    lines = open(__file__).read().splitlines()
    assert info.value.lineno == lines.index('    try:  # the offending line') + 1
    call_line = lines.index('    return helper_with_try(x) * 2.0  # the call site') + 1
    assert any(f'test_frontend.py:{call_line}' in note for note in info.value.__notes__)


@sg.graph
def uses_later_helper(x):
    return defined_later(x) + 1.0


def defined_later(x):
    return x * x


def test_helpers_defined_after_the_graph_are_found():
    assert uses_later_helper(3.0) == 10.0
    assert sg.grad(uses_later_helper)(3.0) == 6.0


def test_graph_with_name():
    @sg.graph(name='renamed')
    def original(x):
        return x * 2.0
    assert original.source.startswith('def renamed(x):')
    assert original(2.0) == 4.0


WIDE = np.array([[1.0, -2.0, 0.5], [0.1, 0.2, 0.3]])


def broadcast_against_global(x):
    return np.sum(np.sin(x + WIDE))


def test_broadcasting_against_a_global_array_is_undone():
    x = np.array([0.3, -0.2, 0.9])
    expected = np.cos(x + WIDE).sum(axis=0)
    np.testing.assert_allclose(sg.grad(broadcast_against_global)(x), expected, rtol=1e-12)


def penalized(weight):
    import functools

    def decorate(loss):
        @functools.wraps(loss)
        def wrapper(*args, **kwargs):
            return loss(*args, **kwargs) + weight * np.sum(args[0] ** 2)
        return wrapper
    return decorate


@penalized(0.1)
def penalized_fit(w, X, y):
    return np.mean((X @ w - y) ** 2)


def calls_penalized(w, X, y):
    return penalized_fit(w, X, y) * 2.0


def test_functools_wraps_decorators_are_followed_not_skipped():
    """inspect.getsource follows __wrapped__ to the undecorated function: the
    transform must read the wrapper's own code, or the penalty is lost."""
    rng = np.random.default_rng(0)
    w, X, y = rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5)
    expected = np.mean((X @ w - y) ** 2) + 0.1 * np.sum(w ** 2)
    assert sg.graph(penalized_fit)(w, X, y) == pytest.approx(expected, rel=1e-12)
    assert sg.graph(calls_penalized)(w, X, y) == pytest.approx(2 * expected, rel=1e-12)
    check_grads(penalized_fit, w, X, y, order=2)
    check_grads(calls_penalized, w, X, y, order=2)


_exec_namespace = {'np': np}
exec('def built_by_exec(v):\n    return np.sin(v)\n', _exec_namespace)
built_by_exec = _exec_namespace['built_by_exec']


def calls_exec_built_helper(x):
    return np.sum(built_by_exec(x))  # the call


def test_a_helper_without_source_is_refused_at_the_call():
    with pytest.raises(sg.TransformError, match='no source') as info:
        sg.grad(calls_exec_built_helper)(np.ones(3))
    lines = open(__file__).read().splitlines()
    assert info.value.filename == __file__
    assert info.value.lineno == lines.index('    return np.sum(built_by_exec(x))  # the call') + 1


DEFINITIONS = '''\
import functools
import numpy as np


def plain(x):
    return np.sin(x)
# a comment after it


def comment_at_column_0(x):
    y = x * 2.0
# a comment inside the body, at column 0
    return np.sum(y)


def string_at_column_0(x):
    s = """
text at column 0
"""
    return np.sum(x) + len(s)


def parenthesis_at_column_0(x):
    return np.sum(x +
x)


def header_over_lines(x,
y=2.0):
    return np.sum(x) * y


def one_line(x): return np.sum(x * x)


def decorated(fn=None):
    return fn or decorated


@decorated
@functools.lru_cache(maxsize=None)
def with_decorators(x):
    return x * 3.0


@decorated(
)
def decorator_over_lines(x):
    return x * 3.0


class Holder:
    def method(self, x):
        def inner(y):
            return y * 2.0
        return inner(x)


def last(x):
    return np.cos(x)'''


def test_a_definition_is_read_by_indentation_or_else_as_inspect_reads_it(tmp_path):
    import inspect
    from s2sgrad.frontend import source
    path = tmp_path / 'definitions.py'
    path.write_text(DEFINITIONS)        # (no newline at the end)
    module = _import_file(path, 'definitions')
    functions = [getattr(module, name) for name in (
        'plain', 'comment_at_column_0', 'string_at_column_0', 'parenthesis_at_column_0',
        'header_over_lines', 'one_line', 'decorated', 'last')]
    functions += [module.with_decorators.__wrapped__, module.decorator_over_lines,
                  module.Holder.method]
    for fn in functions:
        lines, start = inspect.getsourcelines(fn.__code__)
        found = source._definition_by_indentation(fn)
        # a guess: where it is not inspect's, it does not parse as the function
        assert found is None or found == (lines, start) or \
            source._parse_lines(*found, fn.__code__.co_name) is None, fn
        node, _, _ = source._parse(fn)
        assert node.name == fn.__name__
        assert gast_dump(node) == gast_dump(source._parse_lines(lines, start)[0]), fn
    # plain definitions are read without inspect's search
    for name in ('plain', 'comment_at_column_0', 'one_line', 'last'):
        assert source._definition_by_indentation(getattr(module, name)) is not None
    check_grads(module.comment_at_column_0, np.array([0.5, 1.0]))
    check_grads(module.parenthesis_at_column_0, np.array([0.5, 1.0]))


def gast_dump(node):
    import gast
    return gast.dump(node, include_attributes=True)
