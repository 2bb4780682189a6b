"""Hygiene: no value's __repr__ and no name reaches generated code unescaped, and
no user name captures a name generated code uses (docs/index.md, "Hygiene").

Every injecting object below writes a marker file if its text ever runs: each
test runs the function, prints its source, exports it and imports the export in
a fresh process, then checks the marker never appeared and the numbers are
Python's own.
"""
import enum
import importlib.util
import inspect
import json
import math
import os
import subprocess
import sys

import numpy
import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.codegen import literal
from s2sgrad.testing import check_grads

MARKER = {'path': '/nonexistent/marker'}


@pytest.fixture(autouse=True)
def marker(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)         # (EVIL_NAME's code would touch ./MARKER)
    MARKER['path'] = str(tmp_path / 'MARKER')
    yield tmp_path / 'MARKER'
    assert not (tmp_path / 'MARKER').exists(), 'text from a user object ran'


def _payload(plain):
    return f"(__import__('pathlib').Path({MARKER['path']!r}).write_text('ran'), {plain})[1]"


class LoudFloat(float):
    def __repr__(self):
        return _payload('2.0')


class LoudInt(int):
    def __repr__(self):
        return _payload('0')


class LoudStr(str):
    def __repr__(self):
        return _payload("'a'")


class Ax(enum.IntEnum):
    ROWS = 0
    COLS = 1


class Scale(enum.IntEnum):
    TWO = 2


SCALE = LoudFloat(3.0)
AXIS = LoudInt(0)
GREETING = LoudStr('hello')


# ---- the programs --------------------------------------------------------------------
def loud_default(x, c=LoudFloat(2.0)):
    return np.sum(x * c)


def loud_global(x):
    return np.sum(x * SCALE)


def loud_global_in_helper(x):
    return np.sum(scaled(x) ** 2)


def scaled(v):
    return v * SCALE + 1.0


def loud_axis(x):
    return np.sum(np.sum(x * x, axis=AXIS) * np.sin(x[0]))


def loud_axis_keyword_mean(x):
    return np.sum(np.mean(np.tanh(x), axis=AXIS))


def loud_print(x):
    print(GREETING, f'{GREETING}!')
    return np.sum(x * x)


def enum_axis(x):
    return np.sum(np.sum(x * x, axis=Ax.ROWS) * np.cos(x[0]))


def enum_axis_cols(x):
    return np.sum(np.max(x * x, axis=Ax.COLS)) + np.sum(np.sum(x, Ax.ROWS) ** 2)


def enum_constant(x):
    return np.sum(x * Scale.TWO + Ax.COLS)


def enum_index(x):
    return np.sum(np.sin(x[Ax.COLS]) * x[Ax.ROWS])


OPTIONS = {'axis': AXIS, 'keepdims': True}
BAD_OPTIONS = {'axis=__import__("os").system("touch MARKER") or 0, keepdims': True}


def options_from_a_global(x):
    return np.sum(np.sum(x * np.cos(x), **OPTIONS) * x)


def options_with_a_key_that_is_code(x):
    return np.sum(np.sum(x * x, **BAD_OPTIONS))  # ERR


INJECTING = [loud_default, loud_global, loud_global_in_helper, loud_axis,
             loud_axis_keyword_mean, loud_print, enum_axis, enum_axis_cols, enum_constant,
             enum_index, options_from_a_global]


# ---- running an export in a fresh process ---------------------------------------------
RUNNER = '''
import importlib.util, json, sys
import numpy as np
spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
args = [np.asarray(a) for a in json.loads(sys.argv[3])]
result = getattr(module, sys.argv[2])(*args)
print(json.dumps(np.asarray(result, dtype=float).tolist()))
'''


def run_export(path, name, *args):
    """The exported function's result, computed in a new process (s2sgrad not needed)."""
    done = subprocess.run([sys.executable, '-I', '-c', RUNNER, os.fspath(path), name,
                           json.dumps([np.asarray(a).tolist() for a in args])],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return np.array(json.loads(done.stdout.strip().splitlines()[-1]))


def exercised(fn, x, tmp_path):
    """Run, print, export and import `fn` and its gradient; return the results."""
    graph, grad = sg.graph(fn), sg.grad(fn)
    for f in (graph, grad):
        compile(f.source, '<check>', 'exec')
    out = {'value': graph(x), 'grad': grad(x)}
    for kind, f in (('value', graph), ('grad', grad)):
        path = tmp_path / f'{fn.__name__}_{kind}.py'
        f.export(path)
        out[f'exported {kind}'] = run_export(path, f.__name__, x)
    return out


@pytest.mark.parametrize('fn', INJECTING, ids=lambda f: f.__name__)
def test_a_value_is_written_by_its_builtin_value_never_its_repr(fn, tmp_path, capsys):
    x = np.array([[0.3, -1.2, 0.5], [0.7, 0.1, -0.4]])
    expected = fn(x)
    printed = capsys.readouterr().out
    out = exercised(fn, x, tmp_path)
    assert out['value'] == pytest.approx(expected, rel=1e-12)
    assert out['exported value'] == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(out['exported grad'], out['grad'], rtol=1e-12)
    check_grads(fn, x, order=1)
    if printed:     # what the function prints is what Python printed, every time
        assert set(capsys.readouterr().out.splitlines()) == {printed.strip()}
    for f in (sg.graph(fn), sg.grad(fn)):
        assert 'pathlib' not in f.source and 'pathlib' not in \
            (tmp_path / f'{fn.__name__}_value.py').read_text()


def test_a_loud_value_is_refused_by_export_when_it_is_not_plain_data(tmp_path):
    class Odd(float):
        def __add__(self, other):
            return 0.0

    def uses_odd(x):
        return x * ODD
    globals()['ODD'] = Odd(2.0)
    try:
        f = sg.graph(uses_odd)
        assert f(3.0) == 6.0
        with pytest.raises(TypeError, match="cannot export uses_odd: it calls or reads 'ODD'"):
            f.export(tmp_path / 'odd.py')
        assert not (tmp_path / 'odd.py').exists()
    finally:
        del globals()['ODD']


def test_a_keyword_name_from_a_dict_must_be_an_identifier():
    with pytest.raises(sg.TransformError, match='is not an identifier') as info:
        sg.graph(options_with_a_key_that_is_code)(np.ones((2, 2)))
    lines, start = inspect.getsourcelines(options_with_a_key_that_is_code)
    assert os.path.basename(info.value.filename) == 'test_hygiene.py'
    assert info.value.lineno == start + [i for i, t in enumerate(lines) if '# ERR' in t][0]


# ---- names and file names -------------------------------------------------------------
EVIL_NAME = 'f\n__import__("os").system("touch MARKER")\n"""\\'


def renamed(x):
    y = np.sin(x) * 2.0
    return np.sum(y)


def named_gradients(x):
    y = np.sin(x) * x
    return sg.gradients(y, [x], name=EVIL_NAME)[0]


@pytest.mark.parametrize('name', [EVIL_NAME, 'a b', '', 'class', '1x', LoudStr('ok'), 3])
def test_graph_name_must_be_an_identifier(name):
    if type(name) is LoudStr:   # a str subclass is taken by its value, never its repr
        f = sg.graph(renamed, name=name)
        assert type(f.__name__) is str and f.source.startswith('def ok(x):')
        return
    with pytest.raises(ValueError, match='must be a Python identifier'):
        sg.graph(renamed, name=name)


def test_a_function_name_that_is_not_an_identifier_is_made_one(tmp_path, monkeypatch):
    monkeypatch.setattr(renamed, '__name__', EVIL_NAME)
    x = np.array([0.2, 0.9])
    out = exercised(renamed, x, tmp_path)
    f = sg.graph(renamed)
    assert f.__name__.isidentifier() and f.source.startswith(f'def {f.__name__}(x):')
    assert out['value'] == out['exported value'] == pytest.approx(renamed(x))
    np.testing.assert_allclose(out['exported grad'], 2.0 * np.cos(x), rtol=1e-12)


def _identity(v):
    return v


_identity.__name__ = EVIL_NAME
UFUNCS = [np.frompyfunc(_identity, 1, 1)]      # its __name__ is the function's


def calls_an_object_named_like_code(x):
    n = UFUNCS[0](np.array([1.0, 2.0])).astype(float)
    return np.sum(x * x) + np.sum(n)


def test_an_object_name_is_made_an_identifier(tmp_path):
    f = sg.graph(calls_an_object_named_like_code)
    x = np.array([0.5, 1.5])
    assert f(x) == calls_an_object_named_like_code(x)
    compile(f.source, '<check>', 'exec')
    assert '"' not in f.source and 'system(' not in f.source
    with pytest.raises(TypeError, match='cannot export'):
        f.export(tmp_path / 'ufunc.py')


def test_a_gradients_name_is_escaped_in_its_banner(tmp_path):
    x = np.array([0.2, 0.9])
    f = sg.graph(named_gradients)
    banner = [line for line in f.source.splitlines() if '# ----' in line]
    assert len(banner) == 1 and '\\n__import__' in banner[0]
    np.testing.assert_allclose(f(x), np.cos(x) * x + np.sin(x))
    f.export(tmp_path / 'named.py')
    np.testing.assert_allclose(run_export(tmp_path / 'named.py', 'named_gradients', x), f(x))


def test_a_file_name_holding_a_newline_and_quotes(tmp_path):
    name = 'we"""ird\n__import__("os").system("touch MARKER")\n\'x\\.py'
    path = tmp_path / name
    path.write_text('import numpy as np\n\n\ndef f(x):\n    """Doc."""\n'
                    '    return np.sum(np.sin(x) * x)\n')
    spec = importlib.util.spec_from_file_location('weird_file', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x = np.array([0.3, 1.1])
    out = exercised(module.f, x, tmp_path)
    for f in (sg.graph(module.f), sg.grad(module.f)):
        assert all(line.strip().startswith(('#', 'def', '"""', 'return', 'd', '_'))
                   for line in f.source.splitlines() if line.strip())
    assert out['exported value'] == pytest.approx(module.f(x))
    np.testing.assert_allclose(out['exported grad'], np.cos(x) * x + np.sin(x), rtol=1e-12)


@pytest.mark.parametrize('text', ['a\nb', 'a\rb', 'a\r\nb', 'a\x0bb', 'a\x0cb', 'a\x1cb',
                                  'a\x1db', 'a\x1eb', 'a\x85b', 'a\u2028b', 'a\u2029b',
                                  'a\x00b', 'a\ud800b'])
def test_a_comment_never_ends_its_line(text):
    line = literal.comment('# ' + text)
    assert len(line.splitlines()) == 1 and line.isprintable()
    compile(line + '\nx = 1\n', '<comment>', 'exec')


# ---- docstrings ------------------------------------------------------------------------
def doc_quote(x):
    """ends in a quote\""""
    return np.sum(x * x)


def doc_backslash(x):
    """ends in a backslash \\"""
    return np.sum(x * x)


def doc_escapes(x):
    r"""holds \u and \N{ and \x and \\"""
    return np.sum(x * x)


def doc_triple(x):
    '''holds """ and \''' quotes'''
    return np.sum(x * x)


def doc_breaks(x):
    """one\x0bline\u2028two\rthree

    and a second paragraph
    """
    return np.sum(x * x)


def doc_plain(x):
    """A plain docstring.

    With two lines.
    """
    return np.sum(x * x)


@pytest.mark.parametrize('fn', [doc_quote, doc_backslash, doc_escapes, doc_triple, doc_breaks,
                                doc_plain], ids=lambda f: f.__name__)
def test_a_docstring_is_written_as_an_exact_literal(fn, tmp_path):
    f = sg.graph(fn)
    x = np.array([1.0, 2.0])
    assert f(x) == 5.0
    namespace = dict(f.compiled.generated.namespace)
    exec(compile(f.source, '<doc>', 'exec'), namespace)
    assert namespace[fn.__name__].__doc__ == inspect.cleandoc(fn.__doc__)
    out = exercised(fn, x, tmp_path)
    assert out['exported value'] == 5.0
    if fn is doc_plain:     # the common case stays readable
        assert '    """A plain docstring.\n\nWith two lines."""' in f.source


# ---- user names that generated code also uses ------------------------------------------
def param_float(x, float):
    return np.sum(np.maximum(x, -np.inf) * float)


def param_range(x, range):
    s = 0.0
    for t in [0.5, 1.5]:
        s = s + np.sin(x * t) * range
    return np.sum(s)


def param_zip(x, zip):
    h = x
    for _ in range(3):
        h = np.sin(h) * zip
    return np.sum(h)


def param_reversed_len(x, reversed, len):
    h = x
    for k in range(2):
        h = np.tanh(h * reversed) + len * h
    return np.sum(h)


def param_np(x, np):
    return numpy.sum(numpy.sin(x) * np + numpy.maximum(x, 0.0))


def param_math(x, math):
    return numpy.sin(x) * math + numpy.exp(x)


def param_helper_name(x, _sg_unbroadcast):
    return np.sum(np.tanh(x * _sg_unbroadcast))


def param_cast_like(x, _sg_cast_like):
    return np.sum(x * _sg_cast_like)


def param_gradient_names(x, dx):
    return np.sum(np.sin(x) * dx)


def param_tape_name(x, _tape_h):
    h = x
    for i in range(3):
        h = np.sin(h) * _tape_h
    return np.sum(h)


def param_unused_name(x, _):
    y = np.sin(x) * _ + np.exp(x) * _
    return sg.gradients(y, [x], gate_gradients=True)[0] * _


def locals_shadowing(x, w):
    len = np.sin(x)
    float = len * w
    zip = float + 1.0
    return np.sum(zip * float)


def loop_variables(x, w):
    h = x
    for zip in [w, 2.0 * w, -w]:
        h = np.sin(h * zip) + h
    for reversed in range(2):
        h = np.tanh(h) * (reversed + 1.0)
    return np.sum(h)


def helper_params(x, w):
    return np.sum(shadowing_helper(x, w) + shadowing_helper(w, x))


def shadowing_helper(range, float):
    math = np.tanh(range) * float
    return math + np.maximum(range, -np.inf)


ARRAY_CASES = [param_float, param_range, param_zip, param_reversed_len, param_np,
               param_helper_name, param_cast_like, param_gradient_names, param_tape_name,
               locals_shadowing, loop_variables, helper_params]


@pytest.mark.parametrize('fn', ARRAY_CASES, ids=lambda f: f.__name__)
@pytest.mark.parametrize('spelling', ['array', 'float'])
def test_a_user_name_never_captures_a_generated_one(fn, spelling, tmp_path):
    n = len(inspect.signature(fn).parameters)
    if spelling == 'array':
        args = [np.array([0.3, -0.7, 1.1])] + [np.array([0.9, 1.3, -0.2])] * (n - 1)
    else:
        args = [0.3] + [1.3] * (n - 1)
    wrt = tuple(range(n))
    expected = fn(*args)
    assert sg.graph(fn)(*args) == pytest.approx(expected, rel=1e-12)
    check_grads(fn, *args, wrt=wrt, order=1)
    grad = sg.grad(fn, wrt=wrt)
    path = tmp_path / 'g.py'
    grad.export(path)
    got = run_export(path, grad.__name__, *args)
    np.testing.assert_allclose(got, np.array(grad(*args), dtype=float), rtol=1e-12)


def test_a_param_named_like_an_unused_target():
    # `_ , _gated = dy, dy`: the generated name of targets nothing reads is not `_` here
    f = sg.graph(param_unused_name)
    x, u = np.array([0.3, -0.4]), np.array([1.5, 2.0])
    np.testing.assert_allclose(f(x, u), (np.cos(x) + np.exp(x)) * u * u, rtol=1e-12)
    assert '_unused, _gated' in f.source


def test_math_twins_are_not_captured_by_a_param_named_math():
    # the float specialisation calls math's functions: `math` is the user's here
    check_grads(param_math, 0.4, 1.5, wrt=(0, 1), order=2)
    assert sg.grad(param_math)(0.4, 1.5) == pytest.approx(math.cos(0.4) * 1.5 + math.exp(0.4))


def test_the_common_case_keeps_the_user_names():
    source = sg.grad(locals_shadowing, wrt=(0, 1)).source
    for name in ('len = np.sin(x)', 'float = len * w', 'zip = float + 1.0'):
        assert name in source
    assert '_sg_np' not in source and 'np_1' not in source


def test_a_function_named_like_a_module_it_needs(tmp_path):
    f = sg.graph(renamed, name='np')
    x = np.array([0.4, 0.1])
    assert f(x) == pytest.approx(renamed(x))
    assert sg.grad(f)(x) == pytest.approx(2.0 * np.cos(x))
    with pytest.raises(ValueError, match="cannot export a function named 'np'"):
        f.export(tmp_path / 'np_named.py')


# ---- global arrays in an export ---------------------------------------------------------
SPECIAL = np.array([1.0, np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-324, 1.7976931348623157e308])
SPECIAL32 = SPECIAL[:-1].astype(np.float32)
SPECIAL_C = np.array([complex(np.nan, -0.0), complex(-0.0, np.inf), 1 - 2j])
INTS = np.array([[2, -3], [2 ** 62, 0]], dtype=np.int64)
EMPTY = np.zeros((0, 3))
ZERO_D = np.array(-0.0)
SCALARS = (np.float32(-0.0), np.float64(np.nan), np.int16(-7), np.bool_(True))


def reads_special_arrays(x):
    finite = np.where(np.isfinite(SPECIAL), SPECIAL, 0.0)
    return (np.sum(x * finite[:2]) + np.sum(np.isnan(SPECIAL32)) + np.sum(np.signbit(SPECIAL))
            + np.sum(np.signbit(np.real(SPECIAL_C))) + np.sum(INTS % 5) + np.sum(EMPTY + 1.0)
            + np.sum(np.signbit(ZERO_D)) + np.sum(np.signbit(SCALARS[0])) + SCALARS[2])


def test_special_floats_in_global_arrays_round_trip_through_export(tmp_path):
    x = np.array([0.5, 2.0])
    f = sg.graph(reads_special_arrays)
    f.export(tmp_path / 'special.py')
    text = (tmp_path / 'special.py').read_text()
    assert "float('nan')" in text and "float('-inf')" in text and '-0.0' in text
    spec = importlib.util.spec_from_file_location('special', tmp_path / 'special.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in ('SPECIAL', 'SPECIAL32', 'SPECIAL_C', 'INTS', 'EMPTY', 'ZERO_D'):
        want, got = globals()[name], getattr(module, name)
        assert got.dtype == want.dtype and got.shape == want.shape, name
        assert got.tobytes() == want.tobytes() or np.array_equal(got, want, equal_nan=True) \
            and np.array_equal(np.signbit(got.real), np.signbit(want.real)), name
    assert 'int16(-7)' in text      # (a NumPy scalar, written inline)
    assert run_export(tmp_path / 'special.py', 'reads_special_arrays', x) == \
        pytest.approx(reads_special_arrays(x))


@pytest.mark.parametrize('value', [1.0, -0.0, float('nan'), float('-inf'), 2 ** 70, 1 - 0j,
                                   complex(-0.0, 1.0), complex(0.0, -1.0), 'a"""\\', b'\x00"',
                                   (1, [2.5, None]), {'k': (slice(1, None), ...)}, range(2, 9, 3),
                                   frozenset({'b', 'a', 3}),
                                   np.float32(-0.0), np.complex64(1j), np.dtype('>i4'),
                                   np.array([[np.nan, -0.0]], dtype=np.float16)])
def test_the_literal_writer_rebuilds_each_value_exactly(value):
    import ast
    from s2sgrad.codegen.printer import source
    refer = {float: 'float', complex: 'complex', slice: 'slice', range: 'range', np: 'np',
             frozenset: 'frozenset',
             np.dtype: 'np.dtype', np.float32: 'np.float32', np.complex64: 'np.complex64'}
    text = source(ast.Expr(literal.node(value, lambda o: ast.parse(refer[o], mode='eval').body)))
    got = eval(text, {'np': np})
    assert type(got) is type(value)
    if type(value) is np.ndarray:
        assert got.dtype == value.dtype and got.tobytes() == value.tobytes()
    elif type(value) is frozenset:
        assert got == value
    else:
        assert repr(got) == repr(value)     # (the repr shows nan, -0.0 and each type)


@pytest.mark.parametrize('value', [LoudFloat(1.0), LoudInt(1), LoudStr('a'), Ax.ROWS,
                                   object(), [LoudInt(2)], np.array(['a']),
                                   np.array([1.0], dtype=np.longdouble), np.ma.array([1.0]),
                                   np.dtype([('a', 'f8')]), 10 ** 5000, frozenset({LoudInt(1)})],
                         ids=lambda v: type(v).__name__)
def test_the_literal_writer_refuses_what_is_not_on_its_list(value):
    with pytest.raises(literal.Unwritable):
        literal.node(value, lambda o: None)


def test_plain_keeps_the_value_of_a_subclass_that_only_prints_differently():
    assert type(literal.plain(Ax.COLS)) is int and literal.plain(Ax.COLS) == 1
    assert type(literal.plain(LoudStr('x'))) is str and literal.plain((LoudFloat(2.0),)) == (2.0,)

    class Adds(int):
        def __add__(self, other):
            return 0
    with pytest.raises(literal.Unwritable, match='redefines __add__'):
        literal.plain(Adds(1))


# ---- export paths and permissions ---------------------------------------------------------
@pytest.mark.parametrize('kind', [str, bytes, 'pathlib'])
def test_export_takes_any_path_type(kind, tmp_path):
    target = tmp_path / 'out.py'
    path = os.fsencode(target) if kind is bytes else str(target) if kind is str else target
    sg.graph(renamed).export(path)
    assert run_export(target, 'renamed', np.array([0.5])) == pytest.approx(2.0 * np.sin(0.5))


@pytest.mark.parametrize('umask', [0o022, 0o077, 0o002])
def test_export_gets_the_permissions_open_would_give(umask, tmp_path):
    old = os.umask(umask)
    try:
        sg.graph(renamed).export(tmp_path / 'new.py')
        with open(tmp_path / 'by_open.py', 'w'):
            pass
    finally:
        os.umask(old)
    mode = os.stat(tmp_path / 'new.py').st_mode & 0o777
    assert mode == os.stat(tmp_path / 'by_open.py').st_mode & 0o777 == 0o666 & ~umask
    os.chmod(tmp_path / 'new.py', 0o640)        # an existing file keeps its mode
    sg.graph(renamed).export(tmp_path / 'new.py')
    assert os.stat(tmp_path / 'new.py').st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith('.')] == []


def test_the_command_line_exports_a_file_with_such_a_name(tmp_path):
    path = tmp_path / 'odd"""\n__import__("os").system("touch MARKER")\n#.py'
    path.write_text('import numpy as np\n\n\ndef f(x, w):\n    return np.sum(np.tanh(x * w))\n')
    out = tmp_path / 'out.py'
    done = subprocess.run([sys.executable, '-m', 's2sgrad', 'export', f'{path}:f', '--wrt', 'w',
                           '-o', str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    x, w = np.array([0.5, -1.0]), np.array([1.5, 0.25])
    np.testing.assert_allclose(run_export(out, 'grad_f', x, w), x / np.cosh(x * w) ** 2,
                               rtol=1e-12)


def clipped(x):
    return np.sum(np.maximum(x, -np.inf) * x)


def test_a_name_is_written_in_the_form_python_reads_it(monkeypatch):
    # Python reads the identifier `ﬂoat` (a ligature) as `float`
    monkeypatch.setattr(clipped, '__name__', '\ufb02oat')
    f = sg.graph(clipped)
    x = np.array([0.5, -2.0])
    assert f.__name__ == 'float' and f(x) == pytest.approx(clipped(x))
    assert sg.grad(f)(x) == pytest.approx(2.0 * x)
    with pytest.raises(ValueError, match='identifier'):
        sg.graph(clipped, name='\ufb02oat')
