"""`has_aux=True` on `sg.grad` / `sg.value_and_grad`, as in JAX: the function returns
`(loss, aux)`; aux comes back beside the gradient, as the forward computed it.
Without has_aux, a tuple output is an error naming has_aux."""
import importlib.util
import os

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

from test_errors import line_of

THIS_FILE = os.path.basename(__file__)
RNG = np.random.default_rng(0)


def mlp_with_metrics(W, b, x, t):
    logits = x @ W + b
    h = np.tanh(logits)
    loss = np.mean((h - t) ** 2)
    return loss, {'logits': logits, 'h': h, 'accuracy': np.mean((h > 0) == (t > 0)),
                  'name': 'mlp', 'count': 3}


def mlp_loss(W, b, x, t):
    return mlp_with_metrics(W, b, x, t)[0]


def arguments(n=5):
    return (RNG.standard_normal((3, 4)), RNG.standard_normal(4),
            RNG.standard_normal((n, 3)), RNG.standard_normal((n, 4)))


def assert_metrics(aux, W, b, x, t):
    want = mlp_with_metrics(W, b, x, t)[1]
    assert set(aux) == set(want)
    for key, value in want.items():
        if isinstance(value, str):
            assert aux[key] == value
        else:
            np.testing.assert_allclose(aux[key], value, rtol=1e-12)


@pytest.mark.parametrize('n', [5, 2000])       # 2000: big arrays, written in place
def test_grad_returns_the_gradient_and_the_aux(n):
    args = arguments(n)
    (dW, db), aux = sg.grad(mlp_with_metrics, wrt=(0, 1), has_aux=True)(*args)
    want = sg.grad(mlp_loss, wrt=(0, 1))(*args)
    np.testing.assert_allclose(dW, want[0], rtol=1e-12)
    np.testing.assert_allclose(db, want[1], rtol=1e-12)
    assert_metrics(aux, *args)
    check_grads(mlp_loss, *args, wrt=(0, 1), order=1)


@pytest.mark.parametrize('n', [5, 2000])
def test_value_and_grad_returns_the_value_the_aux_and_the_gradient(n):
    args = arguments(n)
    (loss, aux), dW = sg.value_and_grad(mlp_with_metrics, has_aux=True)(*args)
    assert loss == pytest.approx(mlp_loss(*args), rel=1e-12)
    np.testing.assert_allclose(dW, sg.grad(mlp_loss)(*args), rtol=1e-12)
    assert_metrics(aux, *args)


def intermediates_as_aux(W, x):
    z = x @ W
    a = z * 2.0
    e = np.exp(a)
    h = np.tanh(e)
    return np.sum(h * h), (z, a, e, h)


def test_aux_arrays_are_the_forward_values_not_buffers_written_later():
    # without the aux, the backward writes into z, a, e and h in place (big arrays);
    # the aux must keep the forward's numbers
    W, x = RNG.random((300, 400)) * 0.01, RNG.random((500, 300))
    _, from_grad = sg.grad(intermediates_as_aux, has_aux=True)(W, x)
    (_, from_value_and_grad), _ = sg.value_and_grad(intermediates_as_aux, has_aux=True)(W, x)
    for z, a, e, h in (from_grad, from_value_and_grad):
        np.testing.assert_allclose(z, x @ W)
        np.testing.assert_allclose(a, 2 * (x @ W))
        np.testing.assert_allclose(e, np.exp(2 * (x @ W)))
        np.testing.assert_allclose(h, np.tanh(np.exp(2 * (x @ W))))
    assert 'out=' in sg.grad(lambda W, x: intermediates_as_aux(W, x)[0]).source_for(W, x)


def square_and_itself(x):
    y = x * x
    return y, y


@pytest.mark.parametrize('x', [3.0, np.float64(3.0), np.array(3.0), np.array([1.0, 3.0])])
def test_scalars_and_arrays(x):
    g, aux = sg.grad(square_and_itself, has_aux=True)(x)
    assert type(g) is type(x) and np.all(g == 2 * x)
    np.testing.assert_array_equal(aux, x * x)
    (value, aux), g = sg.value_and_grad(square_and_itself, has_aux=True)(x)
    np.testing.assert_array_equal(value, x * x)
    assert type(g) is type(x)


def divides(x):
    return 1.0 / x, x


def test_python_floats_that_python_cannot_divide():
    with np.errstate(divide='ignore'):
        g, aux = sg.grad(divides, has_aux=True)(0.0)
    assert type(g) is float and g == -np.inf and aux == 0.0


def test_the_source_and_the_export_return_the_aux(tmp_path):
    dloss = sg.grad(mlp_with_metrics, has_aux=True)
    assert "'accuracy'" in dloss.source
    args = arguments()
    path = tmp_path / 'mlp_grad.py'
    dloss.export(path)
    spec = importlib.util.spec_from_file_location('mlp_grad', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dW, aux = module.grad_mlp_with_metrics(*args)
    np.testing.assert_allclose(dW, sg.grad(mlp_loss)(*args))
    assert_metrics(aux, *args)
    assert 'return ' in dloss.source_for(*args)
    dloss.export(tmp_path / 'like.py', like=args)


def test_a_graph_function_and_gradients_are_unaffected():
    @sg.graph
    def both(x):
        y = np.sin(x)
        (dx,) = sg.gradients(y, [x])
        return y, dx

    y, dx = both(np.array([0.5, 1.0]))
    np.testing.assert_allclose(dx, np.cos([0.5, 1.0]))
    g, (y, dx) = sg.grad(lambda x: (np.sum(both(x)[0]), both(x)), has_aux=True)(np.ones(2))
    np.testing.assert_allclose(g, np.cos(np.ones(2)))


def test_second_order_through_an_aux_gradient():
    # as in JAX: grad(f, has_aux=True) returns (gradient, aux), itself a function with
    # an aux; its gradient with has_aux=True is the second derivative
    def cube(x):
        return x ** 3, x * 2.0

    second = sg.grad(sg.grad(cube, has_aux=True), has_aux=True)
    assert second(2.0) == (12.0, 4.0)
    (value, aux), second_value = sg.value_and_grad(sg.grad(cube, has_aux=True),
                                                   has_aux=True)(2.0)
    assert (value, aux, second_value) == (12.0, 4.0, 12.0)


def test_a_tuple_output_without_has_aux_is_an_error_at_the_return_line():
    def pair(x):
        return np.sum(x), x  # ERR

    for transform in (sg.grad, sg.value_and_grad):
        with pytest.raises(sg.TransformError, match='has_aux=True') as info:
            transform(pair)(np.ones(2))
        assert os.path.basename(info.value.filename) == THIS_FILE
        assert info.value.lineno == line_of(pair)


def test_the_gradient_of_an_aux_gradient_without_has_aux_is_an_error():
    def cube(x):
        return x ** 3, x  # ERR

    with pytest.raises(sg.TransformError, match='has_aux=True'):
        sg.grad(sg.grad(cube, has_aux=True))(2.0)


def test_an_array_output_is_still_summed():
    assert sg.grad(lambda x: x * x)(np.array([1.0, 2.0])).tolist() == [2.0, 4.0]


def test_has_aux_needs_a_pair_at_the_return_line():
    def single(x):
        return x * x  # ERR

    def triple(x):
        return x, x, x  # ERR

    for fn in (single, triple):
        with pytest.raises(sg.TransformError, match=r'has_aux=True: .* must return a pair') \
                as info:
            sg.grad(fn, has_aux=True)(1.0)
        assert os.path.basename(info.value.filename) == THIS_FILE
        assert info.value.lineno == line_of(fn)


def test_has_aux_must_be_a_bool():
    with pytest.raises(TypeError, match='has_aux must be True or False'):
        sg.grad(square_and_itself, has_aux=1)


def test_aux_is_not_differentiated_but_the_loss_is_checked():
    def constant_loss(x):
        return 1, x  # a constant loss: the same error as without aux

    with pytest.raises(TypeError, match='returned int 1'):
        sg.grad(constant_loss, has_aux=True)(1.0)


def test_against_autograd():
    autograd = pytest.importorskip('autograd')
    import autograd.numpy as anp

    def loss(W, x):
        h = anp.tanh(anp.dot(x, W))
        return anp.sum(h ** 2)

    def with_aux(W, x):
        h = np.tanh(x @ W)
        return np.sum(h ** 2), {'h': h}

    W, x = RNG.standard_normal((3, 2)), RNG.standard_normal((4, 3))
    g, aux = sg.grad(with_aux, has_aux=True)(W, x)
    np.testing.assert_allclose(g, autograd.grad(loss)(W, x), rtol=1e-12)
    np.testing.assert_allclose(aux['h'], np.tanh(x @ W))


def test_show_and_export_on_the_command_line(tmp_path):
    import subprocess
    import sys
    (tmp_path / 'aux_model.py').write_text(
        'import numpy as np\n\n'
        'def loss(W, x):\n'
        '    h = np.tanh(x @ W)\n'
        '    return np.sum(h ** 2), {"h": h}\n')
    env = {**os.environ, 'PYTHONPATH': str(tmp_path) + os.pathsep +
           os.environ.get('PYTHONPATH', '')}
    out = subprocess.run([sys.executable, '-m', 's2sgrad', 'show', 'aux_model:loss',
                          '--has-aux'], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert "{'h': h}" in out.stdout and 'def grad_loss(W, x):' in out.stdout
    out = subprocess.run([sys.executable, '-m', 's2sgrad', 'show', 'aux_model:loss',
                          '--wrt', '0'], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 1 and 'has_aux=True' in out.stderr


def sine_with_aux(x, y):
    loss = np.sin(x) * y
    return loss, {'loss': loss}


@pytest.mark.parametrize('kind', [float, np.float64, np.asarray])
def test_aux_of_scalars_of_every_kind_on_repeated_calls(kind):
    """Python floats, NumPy scalars and 0-d arrays: the second call goes through the
    gradient's entry (s2sgrad/entry.py), which must pass aux through too."""
    x, y = kind(0.5), kind(2.0)
    g = sg.grad(sine_with_aux, wrt=(0, 1), has_aux=True)
    v = sg.value_and_grad(sine_with_aux, has_aux=True)
    for _ in range(3):
        (dx, dy), aux = g(x, y)
        assert np.allclose([dx, dy], [np.cos(0.5) * 2.0, np.sin(0.5)], rtol=1e-15)
        assert type(dx) is type(x) and np.isclose(aux['loss'], np.sin(0.5) * 2.0)
        (loss, aux), dx = v(x, y)
        assert np.isclose(loss, np.sin(0.5) * 2.0) and aux['loss'] == loss
        assert np.isclose(dx, np.cos(0.5) * 2.0) and type(dx) is type(x)
