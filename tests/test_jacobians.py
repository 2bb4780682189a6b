"""sg.vjp, sg.jacrev (= sg.jacobian), sg.hessian and sg.hvp: against central
differences, against autograd (an independent oracle), against each other, and
what is refused (class, file and line)."""
import dataclasses
import inspect
import pathlib
import re
import runpy
import types
from typing import NamedTuple

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import s2sgrad as sg

RNG = np.random.default_rng(0)


def _line_of(fn, text):
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


def central_jacobian(f, args, i, eps=1e-6):
    """d f(*args) / d args[i] by central differences, shape out.shape + x.shape."""
    x = np.asarray(args[i], dtype=float)
    out = np.asarray(f(*args))
    jac = np.zeros(out.shape + x.shape)
    for k in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[k] += eps
        minus[k] -= eps
        hi = f(*args[:i], plus, *args[i + 1:])
        lo = f(*args[:i], minus, *args[i + 1:])
        jac[(Ellipsis,) + k] = (np.asarray(hi) - np.asarray(lo)) / (2 * eps)
    return jac


# ---- programs, in several spellings ------------------------------------------

def layer_matmul(W, x):
    return np.tanh(x @ W)


def layer_dot(W, x):
    return np.tanh(np.dot(x, W))


def _affine(W, x, b=0.0):
    return x.dot(W) + b


def layer_helper(W, x):
    return np.tanh(_affine(W, x, b=0.5))


def softmax(z, t):
    e = np.exp(z - np.max(z))
    return e / np.sum(e) * t


def loop_sum(w, x):
    total = np.zeros(3)
    for i in range(len(x)):
        total = total + w * x[i]
    return np.sin(total)


W32 = RNG.normal(size=(3, 2))
X3 = RNG.normal(size=3)


@pytest.mark.parametrize('f, args', [
    (layer_matmul, (W32, X3)),
    (layer_dot, (W32, X3)),
    (layer_helper, (W32, X3)),
    (softmax, (RNG.normal(size=4), 2.0)),
    (loop_sum, (RNG.normal(size=3), RNG.normal(size=4))),
], ids=['matmul', 'dot', 'helper', 'softmax', 'loop'])
def test_jacrev_against_central_differences(f, args):
    jac = sg.jacrev(f)(*args)
    np.testing.assert_allclose(jac, central_jacobian(f, args, 0), rtol=1e-6, atol=1e-8)
    # (sg.jacobian is jacrev, but for sparse=True, where it picks forward or reverse)
    assert type(sg.jacobian(f)) is type(sg.jacrev(f))
    np.testing.assert_array_equal(sg.jacobian(f)(*args), jac)


def test_jacrev_wrt_tuple_and_names():
    jW, jx = sg.jacrev(layer_matmul, wrt=(0, 1))(W32, X3)
    np.testing.assert_allclose(jW, central_jacobian(layer_matmul, (W32, X3), 0), atol=1e-8)
    np.testing.assert_allclose(jx, central_jacobian(layer_matmul, (W32, X3), 1), atol=1e-8)
    assert jW.shape == (2, 3, 2) and jx.shape == (2, 3)
    jx_named = sg.jacrev(layer_matmul, wrt='x')(W32, X3)
    np.testing.assert_allclose(jx_named, jx)


def test_jacrev_keyword_arguments():
    jac = sg.jacrev(layer_helper, wrt='x')(W=W32, x=X3)
    np.testing.assert_allclose(jac, central_jacobian(layer_helper, (W32, X3), 1), atol=1e-8)


def test_jacrev_of_a_scalar_function_is_grad():
    def loss(w, x):
        return np.sum(np.tanh(x @ w) ** 2)
    w, x = RNG.normal(size=(3, 2)), RNG.normal(size=(5, 3))
    np.testing.assert_allclose(sg.jacrev(loss)(w, x), sg.grad(loss)(w, x), rtol=1e-12)


def test_jacrev_matrix_output_shape():
    def outer(a, b):
        return np.outer(a, b) * 2.0
    a, b = RNG.normal(size=3), RNG.normal(size=2)
    jac = sg.jacrev(outer, wrt=(0, 1))(a, b)
    assert jac[0].shape == (3, 2, 3) and jac[1].shape == (3, 2, 2)
    np.testing.assert_allclose(jac[0], central_jacobian(outer, (a, b), 0), atol=1e-8)


def test_jacrev_float32_keeps_dtype():
    jac = sg.jacrev(layer_matmul)(W32.astype(np.float32), X3.astype(np.float32))
    assert jac.dtype == np.float32


def test_jacrev_forward_runs_once_adjoint_per_seed():
    """The generated code computes the forward once, then loops over the seeds."""
    source = sg.jacrev(layer_matmul).source
    body = source.split('\n    for k in range(n):')
    assert len(body) == 2
    assert '= np.tanh(' in body[0] and '= np.tanh(' not in body[1]
    assert '_sg_matmul_rhs_grad' in body[1]


# ---- Hessians against autograd -----------------------------------------------

def logistic_loss(w, X, t):
    z = X @ w
    return np.sum(np.log(1.0 + np.exp(-t * z))) + 0.1 * np.sum(w ** 2)


def mlp_loss(w, X, t):
    W1 = np.reshape(w[:12], (3, 4))
    W2 = w[12:16]
    h = np.tanh(np.dot(X, W1))
    y = h @ W2
    return np.mean((y - t) ** 2)


def gp_nll(theta, X, t):
    """0.5 t^T K^-1 t + 0.5 log det K, K an RBF kernel of lengthscale exp(theta[0])
    plus noise exp(theta[1])."""
    ell = np.exp(theta[0])
    noise = np.exp(theta[1])
    d = X[:, None] - X[None, :]
    K = np.exp(-0.5 * d ** 2 / ell ** 2) + noise * np.eye(len(X))
    alpha = np.linalg.solve(K, t)
    sign, logdet = np.linalg.slogdet(K)
    return 0.5 * t @ alpha + 0.5 * logdet


def with_autograd(f):
    """The same code, reading autograd.numpy as `np`: autograd's oracle."""
    return types.FunctionType(f.__code__, {**f.__globals__, 'np': anp}, f.__name__)


HESSIAN_CASES = [
    (logistic_loss, (RNG.normal(size=3), RNG.normal(size=(6, 3)), np.sign(RNG.normal(size=6)))),
    (mlp_loss, (RNG.normal(size=16) * 0.5, RNG.normal(size=(5, 3)), RNG.normal(size=5))),
    (gp_nll, (np.array([0.2, -1.0]), RNG.normal(size=5), RNG.normal(size=5))),
]


@pytest.mark.parametrize('f, args', HESSIAN_CASES, ids=['logistic', 'mlp', 'gp'])
def test_hessian_against_autograd(f, args):
    expected = autograd.hessian(with_autograd(f))(*args)
    got = sg.hessian(f)(*args)
    assert got.shape == args[0].shape * 2
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize('f, args', HESSIAN_CASES, ids=['logistic', 'mlp', 'gp'])
def test_hvp_is_hessian_times_v(f, args):
    v = RNG.normal(size=args[0].shape)
    got = sg.hvp(f)(*args, v)
    np.testing.assert_allclose(got, sg.hessian(f)(*args) @ v, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(got, autograd.hessian_vector_product(with_autograd(f))(*args, v),
                               rtol=1e-8, atol=1e-10)


def test_hvp_never_builds_the_hessian():
    source = sg.hvp(mlp_loss).source
    assert 'for ' not in source and 'np.eye' not in source


def test_hvp_parameter_named_v():
    def loss(v, x):
        return np.sum(v ** 3 * x)
    v0, x = RNG.normal(size=3), RNG.normal(size=3)
    direction = RNG.normal(size=3)
    hvp = sg.hvp(loss)
    np.testing.assert_allclose(hvp(v0, x, direction), 6 * v0 * x * direction)
    assert 'def hvp_loss(v, x, v_):' in hvp.source


def test_hvp_of_a_dict_argument():
    def loss(p, x):
        return np.sum(np.tanh(x @ p['W'] + p['b']) ** 2)
    p = {'W': RNG.normal(size=(3, 2)), 'b': RNG.normal(size=2)}
    x = RNG.normal(size=3)
    v = {'W': RNG.normal(size=(3, 2)), 'b': RNG.normal(size=2)}
    got = sg.hvp(loss)(p, x, v)

    def flat_loss(w):
        return loss({'W': w[:6].reshape(3, 2), 'b': w[6:]}, x)
    flat_v = np.concatenate([v['W'].ravel(), v['b']])
    flat_p = np.concatenate([p['W'].ravel(), p['b']])
    expected = sg.hessian(flat_loss)(flat_p) @ flat_v
    np.testing.assert_allclose(np.concatenate([got['W'].ravel(), got['b']]), expected,
                               rtol=1e-8, atol=1e-10)


# ---- vjp -----------------------------------------------------------------------

def test_vjp_against_jacrev_transposed():
    out, vjp_fn = sg.vjp(layer_matmul, W32, X3)
    np.testing.assert_allclose(out, layer_matmul(W32, X3))
    u = RNG.normal(size=2)
    dW, dx = vjp_fn(u)
    jW, jx = sg.jacrev(layer_matmul, wrt=(0, 1))(W32, X3)
    np.testing.assert_allclose(dW, np.tensordot(u, jW, axes=1), rtol=1e-12)
    np.testing.assert_allclose(dx, np.tensordot(u, jx, axes=1), rtol=1e-12)


def test_vjp_returns_a_tuple_for_one_primal():
    x = RNG.normal(size=4)
    out, vjp_fn = sg.vjp(lambda x: np.sin(x) * 2.0, x)
    (dx,) = vjp_fn(np.ones(4))
    np.testing.assert_allclose(dx, 2.0 * np.cos(x))


def test_vjp_of_a_dict_argument():
    def f(p, x):
        return np.tanh(x @ p['W'] + p['b'])
    p = {'W': RNG.normal(size=(3, 2)), 'b': RNG.normal(size=2)}
    x = RNG.normal(size=3)
    u = RNG.normal(size=2)
    _, vjp_fn = sg.vjp(f, p, x)
    dp, dx = vjp_fn(u)
    assert set(dp) == {'W', 'b'}

    def of_W(W):
        return f({'W': W, 'b': p['b']}, x)
    np.testing.assert_allclose(dp['W'], np.tensordot(u, central_jacobian(of_W, (p['W'],), 0),
                                                     axes=1), atol=1e-8)
    np.testing.assert_allclose(dx, np.tensordot(u, central_jacobian(f, (p, x), 1), axes=1),
                               atol=1e-8)


# ---- source and export -----------------------------------------------------------

@pytest.mark.parametrize('make, name, extra', [
    (lambda: sg.jacrev(layer_matmul), 'jacrev_layer_matmul', ()),
    (lambda: sg.hessian(logistic_loss), 'hessian_logistic_loss', ()),
    (lambda: sg.hvp(logistic_loss), 'hvp_logistic_loss', (np.ones(3),)),
])
def test_source_and_export(tmp_path, make, name, extra):
    fn = make()
    assert fn.__name__ == name and f'def {name}(' in fn.source
    args = (W32, X3) if 'layer' in name else HESSIAN_CASES[0][1]
    args = args + extra
    assert f'def {name}(' in fn.source_for(*args)
    path = tmp_path / 'exported.py'
    fn.export(path)
    assert 'import s2sgrad' not in path.read_text()
    np.testing.assert_allclose(runpy.run_path(str(path))[name](*args), fn(*args))


def test_vjp_source_and_export(tmp_path):
    _, vjp_fn = sg.vjp(layer_matmul, W32, X3)
    assert 'def vjp_layer_matmul(W, x, *, cotangent):' in vjp_fn.source
    assert 'cotangent' in vjp_fn.source_for(np.ones(2))
    path = tmp_path / 'vjp.py'
    vjp_fn.export(path)
    exported = runpy.run_path(str(path))['vjp_layer_matmul']
    np.testing.assert_allclose(exported(W32, X3, cotangent=np.ones(2))[0], vjp_fn(np.ones(2))[0])


# ---- what is refused ---------------------------------------------------------------

def dict_layer(p, x):
    return np.tanh(x @ p['W'] + p['b']) * p['scale']


def test_jacrev_of_a_dict_argument():
    """A dict's Jacobian is a dict of its leaves' (None for an integer leaf), from
    one seed loop with the other arguments'."""
    p = {'W': W32, 'b': B2, 'scale': 3}
    jp, jx = sg.jacrev(dict_layer, wrt=(0, 1))(p, X3)
    assert set(jp) == {'W', 'b', 'scale'} and jp['scale'] is None
    np.testing.assert_allclose(jp['W'], central_jacobian(
        lambda W: dict_layer(dict(p, W=W), X3), (W32,), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jp['b'], central_jacobian(
        lambda b: dict_layer(dict(p, b=b), X3), (B2,), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jx, central_jacobian(dict_layer, (p, X3), 1), atol=1e-8)
    assert sg.jacrev(dict_layer).source_for(p, X3).count('for k in range(n):') == 2
    np.testing.assert_allclose(sg.jacrev(dict_layer)(p, X3)['W'], jp['W'])


def test_jacrev_of_a_dict_argument_exports(tmp_path):
    p = {'W': W32, 'b': B2, 'not a name': 2.0}
    jacrev = sg.jacrev(dict_layer_named)
    jacrev.export(tmp_path / 'jd.py', like=(p, X3))
    exported = runpy.run_path(str(tmp_path / 'jd.py'))['jacrev_dict_layer_named'](p, X3)
    for key, jacobian in jacrev(p, X3).items():
        np.testing.assert_allclose(exported[key], jacobian)
    np.testing.assert_allclose(exported['not a name'], dict_layer_named(p, X3) / 2.0)


def dict_layer_named(p, x):
    return np.tanh(x @ p['W'] + p['b']) * p['not a name']


def test_jacrev_w_r_t_what_is_still_refused():
    """(Lists, tuples, NamedTuples, objects and dicts by keyword: test_pytree_jacobians.)"""
    def f(p, x):
        return np.tanh(x @ p[0][0][0][0][0][0][0][0])
    with pytest.raises(TypeError, match=rf"argument 'p' of f \(test_jacobians.py:"
                                        rf"{_line_of(f, 'def f')}\) is a list.*not supported"):
        sg.jacrev(f)([[[[[[[[W32]]]]]]]], X3)
    by_keyword = sg.jacrev(dict_layer)(p={'W': W32, 'b': B2, 'scale': 1.0}, x=X3)
    np.testing.assert_allclose(by_keyword['b'], sg.jacrev(dict_layer)(
        {'W': W32, 'b': B2, 'scale': 1.0}, X3)['b'])
    # (a Hessian w.r.t. a dict is taken: test_pytree_hessians)
    H = sg.hessian(squared)({'W': W32}, X3)
    np.testing.assert_allclose(H['W']['W'].reshape(W32.size, W32.size),
                               sg.hessian(lambda w, x: squared({'W': w}, x))(W32, X3)
                               .reshape(W32.size, W32.size))


def squared(p, x):
    return np.sum((x @ p['W']) ** 2)


def test_container_outputs_are_refused():
    def as_dict(x):
        return {'a': np.sin(x)}
    with pytest.raises(sg.TransformError) as info:
        sg.jacrev(as_dict)(X3)
    assert info.value.lineno == _line_of(as_dict, 'return')
    with pytest.raises(TypeError, match=rf'vjp: as_dict \(test_jacobians.py:'
                                        rf'{_line_of(as_dict, "def as_dict")}\) returned a dict'):
        sg.vjp(as_dict, X3)


def test_jacrev_of_a_tuple_output_is_refused():
    def pair(x):
        return np.sin(x), np.cos(x)
    with pytest.raises(sg.TransformError) as info:
        sg.jacrev(pair)(X3)
    assert info.value.lineno == _line_of(pair, 'return')
    assert info.value.filename.endswith('test_jacobians.py')


def test_hessian_and_hvp_of_a_tuple_wrt_are_refused():
    with pytest.raises(TypeError, match='hessian: wrt must be one parameter'):
        sg.hessian(logistic_loss, wrt=(0, 1))
    with pytest.raises(TypeError, match='hvp: wrt must be one parameter'):
        sg.hvp(logistic_loss, wrt=(0, 1))


def test_functions_with_extras_are_refused():
    def f(*xs):
        return np.sin(xs[0])
    with pytest.raises(TypeError, match=r'\*args'):
        sg.jacrev(f)


def test_vjp_needs_a_primal():
    with pytest.raises(TypeError, match='at least one primal'):
        sg.vjp(layer_matmul)


def test_hessian_through_a_loop():
    def loopy(w):
        s = 0.0
        for i in range(3):
            s = s + np.sum(np.sin(w * i) * w)
        return s
    w = X3
    # d2/dw2 of sum_i sin(i w) w, elementwise: diagonal
    want = np.diag(sum(-i * i * np.sin(i * w) * w + 2 * i * np.cos(i * w) for i in range(3)))
    np.testing.assert_allclose(sg.hessian(loopy)(w), want, rtol=1e-10, atol=1e-12)


# ---- composition -----------------------------------------------------------------

def test_jacobians_compose():
    """The seed loop is differentiable code: jacrev of jacrev is the Hessian, grad of
    a Jacobian's sum the gradient of the gradient's sum."""
    def f(x):
        return np.sin(x) * x
    x = RNG.normal(size=3)
    second = 2 * np.cos(x) - x * np.sin(x)
    np.testing.assert_allclose(sg.jacrev(sg.jacrev(f))(x), np.einsum('i,ij,ik->ijk', second,
                                                                      np.eye(3), np.eye(3)))
    np.testing.assert_allclose(sg.grad(sg.jacrev(f))(x), second)
    np.testing.assert_allclose(sg.hessian(lambda x: np.sum(f(x)))(x), np.diag(second))


def test_hvp_with_defaults_takes_v_last():
    def loss(w, scale=2.0):
        return scale * np.sum(w ** 3)
    w, v = RNG.normal(size=3), RNG.normal(size=3)
    hvp = sg.hvp(loss)
    np.testing.assert_allclose(hvp(w, v), 12 * w * v)
    assert 'def hvp_loss(w, scale=2.0, *, v):' in hvp.source


def test_docs_examples_run(tmp_path, monkeypatch):
    """The examples of docs/derivatives.md's section on these transforms run."""
    text = (pathlib.Path(__file__).parent.parent / 'docs' / 'derivatives.md').read_text()
    section = text.split('## Jacobians, Hessians, vjp and hvp')[1].split('\n## ')[0]
    blocks = re.findall(r'```python\n(.*?)```', text.split('## ')[0] + section, re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    path = tmp_path / 'derivatives_examples.py'
    path.write_text('\n'.join(blocks))
    runpy.run_path(str(path))
    assert (tmp_path / 'vjp_f.py').exists()


JACREV_BOTH = sg.jacrev(layer_matmul, wrt=(0, 1))


def through_jacobians(W, x):
    jW, jx = JACREV_BOTH(W, x)
    return np.sum(jW ** 2) + np.sum(np.sin(jx))


def test_gradient_through_a_tuple_of_jacobians():
    grads = sg.grad(through_jacobians, wrt=(0, 1))(W32, X3)
    for i, g in enumerate(grads):
        expected = central_jacobian(through_jacobians, (W32, X3), i)
        np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)


def test_a_tuple_wrt_shares_one_seed_loop():
    """One adjoint pass per seed gives the rows of every argument's Jacobian."""
    source = JACREV_BOTH.source
    assert source.count('\n    for k in range(n):') == 1
    assert source.count('_sg_matmul_rhs_grad') == 1 and source.count('_sg_matmul_lhs_grad') == 1


def test_seeds_of_another_shape_are_refused():
    _, vjp_fn = sg.vjp(layer_matmul, W32, X3)
    for u in (1.0, np.ones(1), np.ones(3)):
        with pytest.raises(ValueError, match=r'vjp_fn\(cotangent\): got shape .* the output '
                                             r'of layer_matmul has shape \(2,\)'):
            vjp_fn(u)
    with pytest.raises(ValueError, match=r"hvp_logistic_loss\(\.\.\., v\): got shape \(\), "
                                         r"but argument 'w' has shape \(3,\)"):
        sg.hvp(logistic_loss)(*HESSIAN_CASES[0][1], 1.0)


class Layer(NamedTuple):
    W: np.ndarray
    b: np.ndarray


@dataclasses.dataclass
class Dense:
    W: np.ndarray
    b: np.ndarray


def layer_of(p, x):
    return np.tanh(x @ p.W + p.b)


def layer_of_arrays(W, b, x):
    return np.tanh(np.dot(x, W) + b)


def squared_layer_of(p, x):
    return np.sum(layer_of(p, x) ** 2)


def squared_layer_of_arrays(W, b, x):
    return np.sum(layer_of_arrays(W, b, x) ** 2)


B2 = RNG.normal(size=2)


@pytest.mark.parametrize('kind', [Layer, Dense])
def test_vjp_of_a_namedtuple_and_a_dataclass(kind):
    u = RNG.normal(size=2)
    _, vjp_fn = sg.vjp(layer_of, kind(W32, B2), X3)
    dp, dx = vjp_fn(u)
    assert type(dp) is kind
    expected = sg.vjp(layer_of_arrays, W32, B2, X3)[1](u)
    np.testing.assert_allclose(dp.W, expected[0], rtol=1e-12)
    np.testing.assert_allclose(dp.b, expected[1], rtol=1e-12)
    np.testing.assert_allclose(dx, expected[2], rtol=1e-12)


def test_hvp_of_a_namedtuple():
    v = Layer(RNG.normal(size=(3, 2)), RNG.normal(size=2))
    got = sg.hvp(squared_layer_of)(Layer(W32, B2), X3, v)
    assert type(got) is Layer
    H = sg.hessian(lambda w: squared_layer_of_arrays(w[:6].reshape(3, 2), w[6:], X3))(
        np.concatenate([W32.ravel(), B2]))
    expected = H @ np.concatenate([v.W.ravel(), v.b])
    np.testing.assert_allclose(np.concatenate([got.W.ravel(), got.b]), expected, rtol=1e-8)


def test_an_object_as_a_seed_is_refused():
    with pytest.raises(TypeError, match=r'hvp_squared_layer_of\(\.\.\., v\): a seed that is '
                                        r'an object \(Dense\)'):
        sg.hvp(squared_layer_of)(Dense(W32, B2), X3, Dense(W32, B2))
