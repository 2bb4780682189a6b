"""`wrt` naming **kwargs: the gradient is a dict with the call's extra keywords as
keys, like a dict argument's; with `*args`, other parameters, value_and_grad and
has_aux.  Checked against central differences (s2sgrad.testing.check_grads on a
function taking the dict) and against autograd running the same program."""
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

from test_containers import assert_same_tree, with_autograd
from test_errors import line_of

RNG = np.random.default_rng(3)
THIS_FILE = os.path.basename(__file__)


def mlp(x, t, **params):
    h = np.tanh(x @ params['W1'] + params['b1'])
    return np.mean((h @ params['W2'] - t) ** 2)


def mlp_get(x, t, **params):          # the same, spelled with .get and a loop
    h = x
    for name in ('1', '2'):
        h = h @ params['W' + name] + params.get('b' + name, 0.0)
        if name == '1':
            h = np.tanh(h)
    return np.mean((h - t) ** 2)


def net(x, *weights, scale=1.0, **options):
    h = x
    for W in weights:
        h = np.tanh(h @ W) * scale
    return np.sum(h) * options['weight'] + np.sum(options.get('bias', 0.0) * h)


def model():
    params = {'W1': RNG.standard_normal((3, 4)), 'b1': RNG.standard_normal(4),
              'W2': RNG.standard_normal((4, 2))}
    return params, RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))


def kwargs_gradient(f, wrt):
    """`grad=` for check_grads: sg.grad(f, wrt) of the function `lambda *args, kw:
    f(*args, **kw)` that check_grads differentiates (kw is its last argument)."""
    def make(_, wrt=None):
        def call(*args):
            return sg.grad(f, wrt=wrt)(*args[:-1], **args[-1])
        return call
    return make


@pytest.mark.parametrize('f', [mlp, mlp_get])
def test_the_gradient_of_kwargs_is_a_dict_of_the_extra_keywords(f):
    params, x, t = model()
    dparams = sg.grad(f, wrt='params')(x, t, **params)
    assert type(dparams) is dict and list(dparams) == list(params)      # the call's order
    check_grads(lambda x, t, kw: f(x, t, **kw), x, t, params, wrt=2, order=1,
                grad=kwargs_gradient(f, 'params'))
    assert_same_tree(dparams, with_autograd(lambda kw: f(x, t, **kw), params))
    assert sg.grad(f, wrt=2)(x, t, **params).keys() == dparams.keys()     # by index too


def test_wrt_kwargs_with_other_parameters_value_and_grad_and_star_args():
    x = RNG.standard_normal((4, 3))
    W1, W2 = RNG.standard_normal((3, 3)), RNG.standard_normal((3, 2))
    options = {'weight': 0.5, 'bias': RNG.standard_normal(2)}
    dx, doptions = sg.grad(net, wrt=('x', 'options'))(x, W1, W2, scale=2.0, **options)
    assert type(doptions) is dict and set(doptions) == {'weight', 'bias'}
    assert type(doptions['weight']) is float and doptions['bias'].shape == (2,)
    value, (dweights, doptions2) = sg.value_and_grad(net, wrt=('weights', 'options'))(
        x, W1, W2, scale=2.0, **options)
    assert value == pytest.approx(net(x, W1, W2, scale=2.0, **options))
    assert_same_tree(doptions2, doptions)
    assert len(dweights) == 2 and dweights[1].shape == W2.shape

    def as_args(x, W1, W2, kw):
        return net(x, W1, W2, scale=2.0, **kw)

    def both(_, wrt=None):
        return lambda x, W1, W2, kw: sg.grad(net, wrt=('x', 'options'))(
            x, W1, W2, scale=2.0, **kw)
    check_grads(as_args, x, W1, W2, options, wrt=(0, 3), order=1, grad=both)
    want_dx, want_doptions = with_autograd(lambda x, kw: as_args(x, W1, W2, kw), x, options,
                                           wrt=(0, 1))
    want_doptions['weight'] = float(want_doptions['weight'])   # autograd: a 0-d array
    assert_same_tree((dx, doptions), (want_dx, want_doptions))


def test_has_aux_with_kwargs():
    def loss(x, **kw):
        y = np.tanh(x * kw['a'])
        return np.sum(y * kw['b']), {'y': y}

    x, a, b = RNG.standard_normal(3), RNG.standard_normal(3), 1.5
    dkw, aux = sg.grad(loss, wrt='kw', has_aux=True)(x, a=a, b=b)
    (value, aux2), (dx, dkw2) = sg.value_and_grad(loss, wrt=(0, 'kw'), has_aux=True)(
        x, a=a, b=b)
    np.testing.assert_allclose(aux['y'], np.tanh(x * a))
    np.testing.assert_allclose(aux2['y'], aux['y'])
    assert_same_tree(dkw2, dkw)
    assert type(dkw['b']) is float
    np.testing.assert_allclose(dkw['a'], b * x * (1 - np.tanh(x * a) ** 2))
    np.testing.assert_allclose(dkw['b'], np.sum(np.tanh(x * a)))


def test_an_extra_keyword_the_body_does_not_read_gets_zeros():
    params, x, t = model()
    dparams = sg.grad(mlp, wrt='params')(x, t, unused=np.ones(3), **params)
    assert list(dparams) == ['unused', *params]
    np.testing.assert_array_equal(dparams['unused'], np.zeros(3))
    assert sg.grad(lambda x, **kw: np.sum(x), wrt='kw')(np.ones(2)) == {}


def test_python_floats_that_raise_are_computed_as_numpy_and_stay_floats():
    def ratio(x, **kw):
        return kw['t'] / x

    with np.errstate(divide='ignore'):
        dkw = sg.grad(ratio, wrt='kw')(0.0, t=1.0)
    assert type(dkw['t']) is float and dkw['t'] == np.inf
    assert sg.grad(ratio, wrt='kw')(2.0, t=1.0) == {'t': 0.5}
    assert sg.grad(sg.grad(ratio, wrt='kw'), wrt='x')(2.0, t=1.0) == pytest.approx(-0.25)


def test_non_float_extra_keywords_are_constants():
    def scaled(x, **kw):
        return np.sum(x ** kw['power']) * kw['scale'] if kw['mode'] == 'sum' else 0.0

    x = RNG.standard_normal(3)
    dkw = sg.grad(scaled, wrt='kw')(x, power=2, scale=1.5, mode='sum')
    assert dkw['power'] is None and dkw['mode'] is None
    assert dkw['scale'] == pytest.approx(np.sum(x ** 2))


def test_source_for_and_export_keep_the_signature(tmp_path):
    params, x, t = model()
    dmlp = sg.grad(mlp, wrt='params')
    source = dmlp.source_for(x, t, **params)
    assert 'def grad_mlp(x, t, **params):' in source
    assert "W1 = params['W1']" in source
    assert 'return _sg_cast_like(dparams' in source
    path = tmp_path / 'mlp_grad.py'
    dmlp.export(path, like=(x, t), like_kwargs=params)
    run = subprocess.run([sys.executable, '-c', f'''
import pickle, sys
sys.path.insert(0, {str(tmp_path)!r})
import numpy as np
from mlp_grad import grad_mlp
x, t, params = pickle.load(sys.stdin.buffer)
sys.stdout.buffer.write(pickle.dumps(grad_mlp(x, t, **params)))
'''], input=pickle.dumps((x, t, params)), capture_output=True, check=True)
    assert_same_tree(pickle.loads(run.stdout), sg.grad(mlp, wrt='params')(
        x, t, **params))


def test_spreading_a_dict_passed_in_as_keywords_is_refused_at_the_call():
    def layer(x, W):
        return np.tanh(x @ W)

    def spreads(p, x):
        return np.sum(layer(x, **p))  # ERR

    p, x = {'W': RNG.standard_normal((3, 2))}, RNG.standard_normal((4, 3))
    with pytest.raises(sg.TransformError, match=r'\*\*kwargs must be a dict known item by '
                                                r'item') as info:
        sg.grad(spreads)(p, x)
    assert os.path.basename(info.value.filename) == THIS_FILE
    assert info.value.lineno == line_of(spreads)
