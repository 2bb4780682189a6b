"""Lambdas given to `sg.grad`, `sg.value_and_grad` and `sg.graph`: their source is
found in the file, the right lambda of a line by the positions of its code."""
import importlib.util
import os

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

THIS_FILE = os.path.basename(__file__)
RNG = np.random.default_rng(2)
SCALE = 3.0


def test_a_lambda_of_two_parameters():
    W, x = RNG.standard_normal((3, 2)), RNG.standard_normal((4, 3))
    dW = sg.grad(lambda W, x: np.sum(x @ W))(W, x)
    np.testing.assert_allclose(dW, np.tile(x.sum(axis=0)[:, None], (1, 2)))
    check_grads(lambda W, x: np.sum(np.tanh(x @ W)), W, x, wrt=(0, 1))


def test_several_lambdas_on_one_line():
    square, shift, scaled = sg.grad(lambda x: x * x), sg.grad(lambda x: x + 1), sg.grad(lambda x: x * SCALE)  # noqa: E501
    assert (square(3.0), shift(3.0), scaled(3.0)) == (6.0, 1.0, 3.0)
    same_text = [sg.grad(lambda x: x * x * 2.0), sg.grad(lambda x: x * x * 2.0)]
    assert [g(1.0) for g in same_text] == [4.0, 4.0]


def test_a_lambda_spread_over_lines_and_with_defaults():
    g = sg.grad(
        lambda x,
        power=3.0: x ** power)
    assert g(2.0) == 12.0
    assert sg.grad(lambda x, *, k=2.0: np.sin(x) * k)(0.0) == 2.0


def test_nested_lambdas_are_told_apart():
    # the outer lambda's body holds the inner one: the innermost is the inner code
    outer = lambda x: (lambda y: y * x)(x) * 2.0  # noqa: E731
    inner_maker = lambda k: (lambda y: y * y * k)  # noqa: E731
    assert sg.grad(outer)(3.0) == 12.0
    assert sg.grad(inner_maker(5.0))(1.0) == 10.0


def test_closures_are_read_as_constants():
    def make(k):
        return lambda x: np.sum(x * x) * k

    g = sg.grad(make(2.0))
    np.testing.assert_allclose(g(np.ones(2)), [4.0, 4.0])
    np.testing.assert_allclose(sg.grad(make(3.0))(np.ones(2)), [6.0, 6.0])


def test_names_and_source(tmp_path):
    g = sg.grad(lambda x: np.sin(x) * 2.0)
    v = sg.value_and_grad(lambda x: np.sin(x) * 2.0)
    assert (g.__name__, v.__name__, sg.graph(lambda x: x).__name__) == \
        ('grad_lambda', 'value_and_grad_lambda', 'lambda_')
    assert 'def grad_lambda(x):' in g.source
    path = tmp_path / 'lambda_grad.py'
    g.export(path)
    spec = importlib.util.spec_from_file_location('lambda_grad', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.grad_lambda(0.0) == 2.0


def test_has_aux_and_star_args_lambdas():
    g, aux = sg.grad(lambda x: (x * x, {'x': x}), has_aux=True)(3.0)
    assert (g, aux) == (6.0, {'x': 3.0})
    assert sg.grad(lambda *xs: xs[0] * xs[1])(2.0, 5.0) == (5.0, 2.0)


def test_a_module_level_lambda_called_from_a_def():
    def loss(x):
        return np.sum(ACTIVATION(x))

    x = RNG.standard_normal(3)
    np.testing.assert_allclose(sg.grad(loss)(x), 1.0 - np.tanh(x) ** 2)


ACTIVATION = lambda z: np.tanh(z)  # noqa: E731


def test_a_lambda_without_source_is_refused():
    namespace = {'np': np}
    exec('f = lambda x: x * x', namespace)
    with pytest.raises(sg.TransformError, match='no source'):
        sg.grad(namespace['f'])(1.0)


def test_lambdas_of_one_line_without_column_positions_are_refused(tmp_path):
    # python -X no_debug_ranges keeps no columns: two lambdas of one line cannot be
    # told apart, one alone can
    import subprocess
    import sys
    script = tmp_path / 'two_lambdas.py'
    script.write_text(
        'import s2sgrad as sg\n'
        'one = sg.grad(lambda x: x * x)\n'
        'print(one(3.0))\n'
        'a, b = sg.grad(lambda x: x * x), sg.grad(lambda x: x + 1)\n'
        'try:\n'
        '    a(1.0)\n'
        'except sg.TransformError as exc:\n'
        '    print(type(exc).__name__, exc.lineno, exc.msg)\n')
    out = subprocess.run([sys.executable, '-X', 'no_debug_ranges', str(script)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        '6.0', 'TransformError 4 cannot tell which lambda of this line is the function '
        'to transform; write it on a line of its own, or use def']


def test_an_error_in_a_lambda_points_at_its_line():
    g = sg.grad(lambda x: [y for y in x] and undefined_name)  # noqa: F821
    with pytest.raises(sg.TransformError, match="'undefined_name' is not defined") as info:
        g(np.ones(2))
    assert os.path.basename(info.value.filename) == THIS_FILE
    assert info.value.lineno == g.target.python_function.__code__.co_firstlineno


def test_against_autograd():
    autograd = pytest.importorskip('autograd')
    import autograd.numpy as anp

    W, x = RNG.standard_normal((3, 2)), RNG.standard_normal((4, 3))
    got = sg.grad(lambda W, x: np.sum(np.tanh(x @ W) ** 2))(W, x)
    want = autograd.grad(lambda W, x: anp.sum(anp.tanh(anp.dot(x, W)) ** 2))(W, x)
    np.testing.assert_allclose(got, want, rtol=1e-12)
