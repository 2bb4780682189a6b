"""Every parameter kind of the differentiated function: positional-only,
keyword-only (with defaults), *args and **kwargs, named in `wrt` by name or index
(an index counts the parameters, as a name does: `wrt=1` on `f(W, *args)` is
*args, whose gradient is a tuple, one per extra positional argument)."""
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

from test_errors import line_of

THIS_FILE = os.path.basename(__file__)
RNG = np.random.default_rng(1)


def central(f, args, i, eps=1e-6):
    """Central differences of sum(f) w.r.t. the array args[i]."""
    x = np.array(args[i], dtype=float)
    g = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        plus, minus = list(args), list(args)
        xp, xm = x.copy(), x.copy()
        xp[k] += eps
        xm[k] -= eps
        plus[i], minus[i] = xp, xm
        g[k] = (np.sum(f(*plus)) - np.sum(f(*minus))) / (2 * eps)
    return g


# ---- positional-only and keyword-only -----------------------------------------

def scaled(x, /, y, *, scale=2.0, shift):
    return np.sum(np.sin(x) * y) * scale + shift * np.sum(y)


def test_positional_only_and_keyword_only_by_index_and_name():
    x, y = RNG.standard_normal(3), RNG.standard_normal(3)
    dx, dy, dscale, dshift = sg.grad(scaled, wrt=(0, 'y', 'scale', 3))(x, y, shift=0.5)
    np.testing.assert_allclose(dx, np.cos(x) * y * 2.0)
    np.testing.assert_allclose(dy, np.sin(x) * 2.0 + 0.5)
    assert dscale == pytest.approx(np.sum(np.sin(x) * y))
    assert dshift == pytest.approx(np.sum(y))
    # a keyword-only default is differentiated where it is left to its default
    assert sg.grad(scaled, wrt='scale')(x, y, shift=1.0) == pytest.approx(np.sum(np.sin(x) * y))
    check_grads(lambda x, y: scaled(x, y, scale=3.0, shift=0.25), x, y, wrt=(0, 1))


def test_the_generated_function_has_the_same_parameter_kinds():
    source = sg.grad(scaled).source
    assert 'def grad_scaled(x, /, y, *, scale=2.0, shift):' in source


def test_positional_only_passed_by_keyword_is_python_s_type_error():
    with pytest.raises(TypeError, match="positional only"):
        sg.grad(scaled)(x=np.ones(2), y=np.ones(2), shift=1.0)


def test_a_missing_keyword_only_argument_is_python_s_type_error():
    with pytest.raises(TypeError, match="shift"):
        sg.grad(scaled)(np.ones(2), np.ones(2))


# ---- *args ----------------------------------------------------------------------

def layers(x, *weights, scale=1.0):
    h = x
    for W in weights:
        h = np.tanh(h @ W) * scale
    return np.sum(h) + len(weights) * 0.0 + np.sum(weights[0])


def shapes():
    return RNG.standard_normal((4, 3)), RNG.standard_normal((3, 5)), RNG.standard_normal((5, 2))


def test_args_items_lengths_and_loops():
    x, W1, W2 = shapes()
    args = (x, W1, W2)
    dx = sg.grad(layers)(*args)
    np.testing.assert_allclose(dx, central(layers, args, 0), rtol=1e-6, atol=1e-8)
    # wrt names *args by name or by its index: a tuple gradient, one per item
    for wrt in ('weights', 1):
        dweights = sg.grad(layers, wrt=wrt)(*args)
        assert type(dweights) is tuple and len(dweights) == 2
        np.testing.assert_allclose(dweights[0], central(layers, args, 1), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(dweights[1], central(layers, args, 2), rtol=1e-6, atol=1e-8)
    # a different number of *args is another transformation
    one = sg.grad(layers, wrt=(0, 1))(x, W1)
    np.testing.assert_allclose(one[1][0], central(layers, (x, W1), 1), rtol=1e-6, atol=1e-8)
    assert sg.grad(layers, wrt=1)(x, W1) is not None


def indexed(*xs):
    return np.sum(xs[0] * xs[-1]) + xs[1] ** 2


def test_args_indexed_and_python_floats():
    a, c = RNG.standard_normal(3), RNG.standard_normal(3)
    (da, db, dc) = sg.grad(indexed, wrt='xs')(a, 1.5, c)
    np.testing.assert_allclose(da, c)
    assert type(db) is float and db == 3.0
    np.testing.assert_allclose(dc, a)
    # wrt=0 is the parameter *xs: a gradient for each of its items
    g = sg.grad(indexed)(2.0, 3.0)
    assert g == (3.0, 8.0) and all(type(item) is float for item in g)


def test_value_and_grad_and_has_aux_with_args():
    def f(*xs, **options):
        loss = np.sum(xs[0] ** 2) * options.get('weight', 1.0)
        return loss, {'n': len(xs), 'names': sorted(options)}

    x = RNG.standard_normal(3)
    (loss, aux), (dx, dy) = sg.value_and_grad(f, has_aux=True)(x, x, weight=2.0)
    assert aux == {'n': 2, 'names': ['weight']}
    np.testing.assert_allclose(dx, 4.0 * x)
    np.testing.assert_array_equal(dy, np.zeros(3))
    assert loss == pytest.approx(2.0 * np.sum(x ** 2))


def test_no_args_gives_an_empty_gradient_tuple():
    def f(x, *rest):
        return np.sum(x) * (len(rest) + 1)

    assert sg.grad(f, wrt='rest')(np.ones(2)) == ()


def test_second_order_with_args():
    def cube(x, *rest):
        return x ** 3 * rest[0]

    second = sg.grad(sg.grad(cube))
    assert second(2.0, 3.0) == 36.0
    assert sg.grad(sg.grad(cube), wrt='rest')(2.0, 3.0) == (12.0,)


# ---- **kwargs -----------------------------------------------------------------------

def trained(W, x, **hyper):
    lr = hyper.get('lr', 0.1)
    decay = hyper['decay']
    return np.sum((x @ W) ** 2) * lr + decay * np.sum(W * W)


def test_kwargs_are_constant_inputs():
    W, x = RNG.standard_normal((3, 2)), RNG.standard_normal((4, 3))
    for kwargs in ({'decay': 0.5}, {'decay': 0.5, 'lr': 0.01}, {'decay': 0.5, 'other': 'x'}):
        dW = sg.grad(trained)(W, x, **kwargs)
        np.testing.assert_allclose(dW, central(lambda W, x: trained(W, x, **kwargs), (W, x), 0),
                                   rtol=1e-6, atol=1e-8)
        assert np.sum(sg.graph(trained)(W, x, **kwargs)) == pytest.approx(trained(W, x, **kwargs))


def test_a_missing_kwargs_key_is_an_error_at_its_line():
    def f(x, **kw):
        return x * kw['scale']  # ERR

    with pytest.raises(sg.TransformError, match="key 'scale' is not in this dict") as info:
        sg.grad(f)(1.0, other=2.0)
    assert os.path.basename(info.value.filename) == THIS_FILE
    assert info.value.lineno == line_of(f)


def test_keyword_only_after_args_and_positional_only_names_in_kwargs():
    def f(x, /, *args, scale=1.0, **kw):
        return np.sum(x * scale) * kw['x'] + sum_of(args)

    def sum_of(items):
        total = 0.0
        for item in items:
            total = total + np.sum(item)
        return total

    x = RNG.standard_normal(2)
    dx, dargs, dscale = sg.grad(f, wrt=(0, 1, 'scale'))(x, x, 2.0, scale=3.0, x=2.0)
    np.testing.assert_allclose(dx, np.full(2, 6.0))
    np.testing.assert_allclose(dargs[0], np.ones(2))
    assert dargs[1] == 1.0
    assert dscale == pytest.approx(np.sum(x) * 2.0)


def test_calling_the_gradient_of_a_star_args_function_inside_is_refused():
    def cube(x, *rest):
        return x ** 3 * rest[0]

    dcube = sg.grad(cube)

    def outer(x):
        return dcube(x, 2.0) * 2.0  # ERR

    with pytest.raises(sg.TransformError, match=r'\*args or \*\*kwargs') as info:
        sg.grad(outer)(1.0)
    assert os.path.basename(info.value.filename) == THIS_FILE
    assert info.value.lineno == line_of(outer)


def test_a_graph_function_of_star_args_is_made_by_sg_graph():
    def f(*xs):
        return xs[0]

    with pytest.raises(TypeError, match=r'takes \*args or \*\*kwargs: make its '
                                        r'GraphFunction with s2sgrad.graph'):
        sg.GraphFunction(f)
    assert sg.graph(f)(2.0, 3.0) == 2.0


# ---- source, export and the command line -------------------------------------------

def test_source_for_and_export_keep_the_signature(tmp_path):
    x, W1, W2 = shapes()
    dlayers = sg.grad(layers, wrt='weights')
    source = dlayers.source_for(x, W1, W2)
    assert 'def grad_layers(x, *weights, scale=1.0):' in source
    assert 'weights_0, weights_1 = weights' in source
    path = tmp_path / 'layers_grad.py'
    dlayers.export(path, like=(x, W1, W2))
    spec = importlib.util.spec_from_file_location('layers_grad', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    got = module.grad_layers(x, W1, W2)
    want = dlayers(x, W1, W2)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w)
    assert 'def grad_trained(W, x, **hyper):' in sg.grad(trained).source_for(
        np.ones((2, 2)), np.ones((2, 2)), decay=1.0)


def test_show_on_the_command_line(tmp_path):
    (tmp_path / 'kinds_model.py').write_text(
        'import numpy as np\n\n'
        'def loss(W, /, *xs, scale=1.0, **opts):\n'
        '    return np.sum(W * W) * scale\n')
    for options, header in (([], 'def loss(W, /, *xs, scale=1.0, **opts):'),
                            (['--wrt', '0'], 'def grad_loss(W, /, *xs, scale=1.0, **opts):')):
        out = subprocess.run([sys.executable, '-m', 's2sgrad', 'show', 'kinds_model:loss',
                              *options], capture_output=True, text=True, cwd=tmp_path,
                             env={**os.environ, 'PYTHONPATH': str(tmp_path) + os.pathsep +
                                  os.environ.get('PYTHONPATH', '')})
        assert out.returncode == 0, out.stderr
        assert header in out.stdout


def test_against_autograd():
    autograd = pytest.importorskip('autograd')
    import autograd.numpy as anp

    def net(x, *weights):
        h = x
        for W in weights:
            h = anp.tanh(anp.dot(h, W))
        return anp.sum(h)

    x, W1, W2 = shapes()
    want = autograd.grad(net, argnum=(1, 2))(x, W1, W2)
    got = sg.grad(layers, wrt='weights')(x, W1, W2)
    # layers adds np.sum(weights[0]): its gradient is ones
    np.testing.assert_allclose(got[0], want[0] + 1.0, rtol=1e-10)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-10)
