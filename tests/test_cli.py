"""The command line, `python -m s2sgrad show|export`, run as a user runs it:
in a subprocess, from a directory holding the user's own module."""
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

USER_MODULE = '''\
import numpy as np
import s2sgrad as sg


def loss(W, b, x, t):
    h = np.tanh(x @ W + b)
    return np.mean((h - t) ** 2)


@sg.graph
def energy(x):
    return np.sum(np.sin(x) * x)


NOT_A_FUNCTION = 3
'''

# `try:` sits on line 6 of this file; the error must point there.
BAD_MODULE = '''\
import numpy as np


def careful(x):
    y = np.sin(x)
    try:
        z = np.log(y)
    except FloatingPointError:
        z = y
    return np.sum(z)
'''
BAD_LINE = 6


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / 'usermod.py').write_text(USER_MODULE)
    (tmp_path / 'badmod.py').write_text(BAD_MODULE)
    sub = tmp_path / 'sub'
    sub.mkdir()
    (sub / 'model_file.py').write_text(USER_MODULE)
    return tmp_path


def run_cli(cwd, *args):
    env = dict(os.environ)
    # Works from an installed checkout and from a bare source tree alike.
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (str(ROOT), env.get('PYTHONPATH')) if p)
    return subprocess.run(
        [sys.executable, '-m', 's2sgrad', *args], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=120)


def assert_usage_error(result, *names):
    assert result.returncode == 2, result.stderr
    assert 'Traceback' not in result.stderr
    assert result.stdout == ''
    for name in names:
        assert name in result.stderr


# ------------------------------------------------------------------- help

@pytest.mark.parametrize('args', [['--help'], ['show', '--help'],
                                  ['export', '--help']])
def test_help_exits_zero(workdir, args):
    result = run_cli(workdir, *args)
    assert result.returncode == 0, result.stderr
    assert 'usage:' in result.stdout
    assert 'module:function' in result.stdout or 'show' in result.stdout


def test_no_command_is_a_usage_error(workdir):
    result = run_cli(workdir)
    assert result.returncode == 2
    assert 'usage:' in result.stderr


# ------------------------------------------------------------------- show

def test_show_prints_the_function(workdir):
    result = run_cli(workdir, 'show', 'usermod:loss')
    assert result.returncode == 0, result.stderr
    assert re.search(r'^\s*def loss\(', result.stdout, re.M), result.stdout


def test_show_accepts_a_graph_function(workdir):
    result = run_cli(workdir, 'show', 'usermod:energy')
    assert result.returncode == 0, result.stderr
    assert re.search(r'^\s*def energy\(', result.stdout, re.M), result.stdout


def test_show_accepts_a_file_path(workdir):
    result = run_cli(workdir, 'show', os.path.join('sub', 'model_file.py') + ':loss')
    assert result.returncode == 0, result.stderr
    assert re.search(r'^\s*def loss\(', result.stdout, re.M), result.stdout


@pytest.mark.parametrize('wrt', ['0', '0,1', 'W', 'W,b', '0, b'])
def test_show_wrt_prints_the_gradient(workdir, wrt):
    result = run_cli(workdir, 'show', 'usermod:loss', '--wrt', wrt)
    assert result.returncode == 0, result.stderr
    assert re.search(r'^\s*def grad_loss\(', result.stdout, re.M), result.stdout


def test_show_value_and_grad(workdir):
    result = run_cli(workdir, 'show', 'usermod:loss', '--wrt', '0,1',
                     '--value-and-grad')
    assert result.returncode == 0, result.stderr
    assert re.search(r'^\s*def value_and_grad_loss\(', result.stdout, re.M), \
        result.stdout


# ----------------------------------------------------------------- export

EXPORT_CHECK = '''\
import sys
sys.modules['s2sgrad'] = None          # the export must not need s2sgrad
import numpy as np
import loss_grad

rng = np.random.default_rng(0)
W, b = rng.normal(size=(3, 2)), rng.normal(size=2)
x, t = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))

def loss(W, b, x, t):
    return np.mean((np.tanh(x @ W + b) - t) ** 2)

def numeric(i, eps=1e-6):
    args = [W, b, x, t]
    g = np.zeros_like(args[i])
    for k in np.ndindex(g.shape):
        e = np.zeros_like(g)
        e[k] = eps
        hi = list(args); hi[i] = args[i] + e
        lo = list(args); lo[i] = args[i] - e
        g[k] = (loss(*hi) - loss(*lo)) / (2 * eps)
    return g

dW, db = loss_grad.grad_loss(W, b, x, t)
assert dW.shape == W.shape and db.shape == b.shape
assert np.allclose(dW, numeric(0), atol=1e-7), (dW, numeric(0))
assert np.allclose(db, numeric(1), atol=1e-7), (db, numeric(1))
print('ok')
'''


def test_export_writes_a_standalone_module(workdir, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp('exported')
    out = out_dir / 'loss_grad.py'
    result = run_cli(workdir, 'export', 'usermod:loss', '--wrt', '0,1',
                     '-o', str(out))
    assert result.returncode == 0, result.stderr
    assert out.is_file()
    assert re.search(r'^def grad_loss\(', out.read_text(), re.M)

    (out_dir / 'check.py').write_text(EXPORT_CHECK)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    check = subprocess.run([sys.executable, 'check.py'], cwd=out_dir, env=env,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == 'ok'


def test_export_of_the_function_itself(workdir):
    result = run_cli(workdir, 'export', 'usermod:loss', '-o', 'fwd.py')
    assert result.returncode == 0, result.stderr
    assert re.search(r'^def loss\(', (workdir / 'fwd.py').read_text(), re.M)


def test_export_needs_an_output(workdir):
    result = run_cli(workdir, 'export', 'usermod:loss')
    assert result.returncode == 2
    assert '-o' in result.stderr


# ----------------------------------------------------------- usage errors

def test_missing_module(workdir):
    result = run_cli(workdir, 'show', 'no_such_module_xyz:loss')
    assert_usage_error(result, 'no_such_module_xyz')


def test_missing_module_file(workdir):
    result = run_cli(workdir, 'show', 'missing_file.py:loss')
    assert_usage_error(result, 'missing_file.py')


def test_missing_function(workdir):
    result = run_cli(workdir, 'show', 'usermod:no_such_function')
    assert_usage_error(result, 'no_such_function', 'usermod')


def test_target_that_is_not_a_function(workdir):
    result = run_cli(workdir, 'show', 'usermod:NOT_A_FUNCTION')
    assert_usage_error(result, 'NOT_A_FUNCTION')


@pytest.mark.parametrize('target', ['usermod', 'usermod:', ':loss',
                                    'usermod:loss-2'])
def test_bad_target_syntax(workdir, target):
    result = run_cli(workdir, 'show', target)
    assert_usage_error(result, 'module:function')


@pytest.mark.parametrize('wrt', ['', '0,,1', '1.5', '-1', 'W b', '0,0'])
def test_bad_wrt(workdir, wrt):
    result = run_cli(workdir, 'show', 'usermod:loss', '--wrt', wrt)
    assert_usage_error(result, '--wrt')


# ------------------------------------------------- errors from s2sgrad

def test_untransformable_function_is_an_error_with_its_line(workdir):
    result = run_cli(workdir, 'show', 'badmod:careful')
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith('error:'), result.stderr
    assert 'Traceback' not in result.stderr
    assert re.search(rf'badmod\.py.*?\b{BAD_LINE}\b', result.stderr, re.S), \
        result.stderr


def test_failed_export_leaves_no_file(workdir):
    result = run_cli(workdir, 'export', 'badmod:careful', '--wrt', '0',
                     '-o', 'careful_grad.py')
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith('error:'), result.stderr
    assert not (workdir / 'careful_grad.py').exists()


def test_error_while_importing_the_module(workdir):
    (workdir / 'broken.py').write_text(textwrap.dedent('''\
        import numpy as np
        SCALE = 1 / 0

        def f(x):
            return np.sin(x)
        '''))
    result = run_cli(workdir, 'show', 'broken:f')
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith('error:')
    assert 'ZeroDivisionError' in result.stderr
    assert 'Traceback' not in result.stderr
