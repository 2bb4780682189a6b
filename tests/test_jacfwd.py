"""sg.jacfwd: the Jacobian by forward mode, against sg.jacrev and central
differences, in several spellings; its source, export, and what is refused
(class, file and line)."""
import inspect
import runpy

import numpy as np
import pytest

import s2sgrad as sg
from tests.test_jacobians import (central_jacobian, dict_layer, layer_dot, layer_helper,
                                  layer_matmul, loop_sum as loop_range_len, softmax)

RNG = np.random.default_rng(1)
W32 = RNG.normal(size=(3, 2))
X3 = RNG.normal(size=3)
B2 = RNG.normal(size=2)


def _line_of(fn, text):
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


# ---- programs, in several spellings ------------------------------------------

def loop_for_in(w, x):
    total = np.zeros(3)
    for xi in x:
        total += w * xi
    return np.sin(total)


def while_branch(w, x):
    y = w * 1.0
    k = 0
    while np.sum(y * y) < 40.0 and k < 20:
        if k % 2 == 0:
            y = y * 1.5 + x[:3]
        else:
            y = np.sin(y) * 2.0
        k += 1
    return y


def early_return(w, x):
    for i in range(4):
        if np.sum(w) > 10.0 * (i + 1):
            return w * i
        w = w * 2.0 + x[i]
    return np.exp(w * 0.1)


def writes_into_a_copy(w, x):
    y = np.zeros(4)
    y[0] = w[0] * x[0]
    y[1:] = np.cos(w) * 2.0
    return y


def matrix_out(a, b):
    return np.outer(a, b) * 2.0


CASES = [
    (layer_matmul, (W32, X3)),
    (layer_dot, (W32, X3)),
    (layer_helper, (W32, X3)),
    (softmax, (RNG.normal(size=4), 2.0)),
    (loop_range_len, (RNG.normal(size=3), RNG.normal(size=4))),
    (loop_for_in, (RNG.normal(size=3), RNG.normal(size=4))),
    (while_branch, (RNG.normal(size=3), RNG.normal(size=4))),
    (early_return, (RNG.normal(size=3), RNG.normal(size=4))),
    (writes_into_a_copy, (RNG.normal(size=3), RNG.normal(size=4))),
    (matrix_out, (RNG.normal(size=3), RNG.normal(size=2))),
]
IDS = [f.__name__ for f, _ in CASES]


@pytest.mark.parametrize('f, args', CASES, ids=IDS)
def test_jacfwd_against_jacrev_and_central_differences(f, args):
    for wrt in range(len(args)):
        jac = sg.jacfwd(f, wrt=wrt)(*args)
        np.testing.assert_allclose(jac, central_jacobian(f, args, wrt), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(jac, sg.jacrev(f, wrt=wrt)(*args), rtol=1e-12, atol=1e-14)
        assert jac.shape == np.shape(f(*args)) + np.shape(args[wrt])


def test_jacrev_through_a_branch_in_a_loop_computes_the_forward_per_seed():
    """The adjoint of a loop with a branch pops the branch's tapes: one forward fills
    them for one adjoint, so jacrev computes the forward again for each seed."""
    args = CASES[IDS.index('while_branch')][1]
    source = sg.jacrev(while_branch).source_for(*args)
    assert source.index('for k_') < source.index('_tape_')
    jac = sg.jacrev(while_branch, wrt=(0, 1))(*args)
    np.testing.assert_allclose(jac[1], central_jacobian(while_branch, args, 1), rtol=1e-6,
                               atol=1e-8)
    assert '_tape' not in sg.jacrev(loop_for_in).source.split('for k')[1]


@pytest.mark.parametrize('f, args', CASES[:3], ids=IDS[:3])
def test_jacfwd_wrt_tuple_and_names(f, args):
    jW, jx = sg.jacfwd(f, wrt=(0, 1))(*args)
    np.testing.assert_allclose(jW, sg.jacrev(f, wrt=0)(*args), rtol=1e-12)
    np.testing.assert_allclose(jx, sg.jacrev(f, wrt=1)(*args), rtol=1e-12)
    np.testing.assert_allclose(sg.jacfwd(f, wrt='x')(*args), jx)
    np.testing.assert_allclose(sg.jacfwd(f, wrt='x')(W=args[0], x=args[1]), jx)
    assert sg.jacfwd(f, wrt=('W',))(*args)[0].shape == jW.shape


def test_jacfwd_of_floats_and_float32():
    def f(a, b):
        return np.sin(a) * b
    assert np.isclose(sg.jacfwd(f)(0.3, 2.0), 2.0 * np.cos(0.3))
    np.testing.assert_allclose(sg.jacfwd(f, wrt=1)(0.3, 2.0), np.sin(0.3))
    jac = sg.jacfwd(layer_matmul)(W32.astype(np.float32), X3.astype(np.float32))
    assert jac.dtype == np.float32
    np.testing.assert_allclose(jac, sg.jacrev(layer_matmul)(W32, X3), rtol=1e-5, atol=1e-6)


def test_jacfwd_does_not_modify_its_arguments():
    def writes_argument(x):
        x[0] = 1.0
        return x * x
    x = RNG.normal(size=3)
    before = x.copy()
    jac = sg.jacfwd(writes_argument)(x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(jac, np.diag(np.r_[0.0, 2 * before[1:]]), atol=0)


def test_jacfwd_of_a_dict_argument():
    """A dict's Jacobian is a dict of its leaves' (None for an integer leaf), as jacrev's."""
    p = {'W': W32, 'b': B2, 'scale': 3}
    jp, jx = sg.jacfwd(dict_layer, wrt=(0, 1))(p, X3)
    rp, rx = sg.jacrev(dict_layer, wrt=(0, 1))(p, X3)
    assert set(jp) == {'W', 'b', 'scale'} and jp['scale'] is None
    for key in ('W', 'b'):
        np.testing.assert_allclose(jp[key], rp[key], rtol=1e-12)
    np.testing.assert_allclose(jp['b'], central_jacobian(
        lambda b: dict_layer(dict(p, b=b), X3), (B2,), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jx, rx, rtol=1e-12)
    assert "['W']" not in sg.jacfwd(dict_layer).source_for(p, X3).split('for k')[1]


def test_jacfwd_composes():
    def f(x):
        return np.sin(x) * x[0]
    x = RNG.normal(size=3)
    expected = central_jacobian(sg.jacrev(f), (x,), 0)
    for second in (sg.jacfwd(sg.jacfwd(f)), sg.jacrev(sg.jacfwd(f))):
        np.testing.assert_allclose(second(x), expected, atol=1e-7)


# ---- source and export -----------------------------------------------------------

def test_source_and_export(tmp_path):
    fn = sg.jacfwd(layer_matmul)
    assert fn.__name__ == 'jacfwd_layer_matmul'
    assert 'def jacfwd_layer_matmul(W, x):' in fn.source
    assert 'Jacobian (forward mode) of layer_matmul w.r.t. W' in fn.source
    assert 'def jacfwd_layer_matmul(W, x):' in fn.source_for(W32, X3)
    path = tmp_path / 'exported.py'
    fn.export(path)
    assert 'import s2sgrad' not in path.read_text()
    exported = runpy.run_path(str(path))['jacfwd_layer_matmul']
    np.testing.assert_allclose(exported(W32, X3), fn(W32, X3))
    p = {'W': W32, 'b': B2, 'scale': 2.0}
    sg.jacfwd(dict_layer).export(tmp_path / 'jd.py', like=(p, X3))
    exported = runpy.run_path(str(tmp_path / 'jd.py'))['jacfwd_dict_layer'](p, X3)
    np.testing.assert_allclose(exported['W'], sg.jacrev(dict_layer)(p, X3)['W'])


# ---- what is refused ---------------------------------------------------------------

def test_container_outputs_are_refused():
    def pair(x):
        return np.sin(x), np.cos(x)
    with pytest.raises(sg.TransformError) as info:
        sg.jacfwd(pair)(X3)
    assert info.value.lineno == _line_of(pair, 'return')
    assert info.value.filename.endswith('test_jacfwd.py')


def test_other_containers_and_extras_are_refused():
    def f(p, x):
        return np.tanh(x @ p[0])
    with pytest.raises(TypeError, match=rf"jacfwd: argument 'p' of f \(test_jacfwd.py:"
                                        rf"{_line_of(f, 'def f')}\) is a list.*not supported"):
        sg.jacfwd(f)([W32], X3)

    def g(*xs):
        return np.sin(xs[0])
    with pytest.raises(TypeError, match=r'jacfwd: a function with \*args'):
        sg.jacfwd(g)


def test_keyword_only_parameters_are_refused():
    def f(x, *, scale):
        return np.sin(x) * scale
    with pytest.raises(TypeError, match=rf"jacfwd: f \(test_jacfwd.py:{_line_of(f, 'def f')}\) "
                                        rf"has parameter 'scale' of kind keyword_only"):
        sg.jacfwd(f)(X3, scale=2.0)
