"""sg.jacfwd: the Jacobian by forward mode, against sg.jacrev and central
differences, in several spellings; its source, export, and what is refused
(class, file and line)."""
import contextlib
import inspect
import io
import pathlib
import re
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


def writes_at_run_time(h, m):
    # rows written at a counter, from a row of m or the row before (a run-time index)
    out = np.zeros((m.shape[0], 3))
    for i in range(m.shape[0]):
        if i == 0:
            out[i] = h * m[i]
        else:
            out[i] = np.sin(out[i - 1]) * m[i]
    out[1:, 0] = 2.0 * out[:-1, 1]
    return out


def writes_by_parent(relatives, parents):
    # each transform its parent's times its own (ADBench's hand bones): a write at a
    # counter, a read at an index read from an integer array
    absolutes = np.zeros_like(relatives)
    for i in range(len(parents)):
        if parents[i] == -1:
            absolutes[i] = relatives[i]
        else:
            absolutes[i] = absolutes[parents[i]] @ relatives[i]
    return absolutes


def written_at_run_time_sizes(x, k):
    # a shape from an int argument: its sizes known only when the code runs, its rank
    # when transforming (analyses/ranks.py)
    y = np.zeros((k + 1, 3))
    y[0] = x
    y[k, 1:] = np.cos(x[1:])
    z = np.concatenate([y, np.ones((k - 1, 3))])
    return z.reshape(k, -1) @ np.ones(6)


def lists_by_parent(relatives, parents):
    # ADBench's hand bones as its Python writes them: a list appended to, read at
    # the parent's index
    absolutes = []
    for i in range(len(parents)):
        if parents[i] == -1:
            absolutes.append(relatives[i])
        else:
            absolutes.append(absolutes[parents[i]] @ relatives[i])
    return np.stack(absolutes)


def stacked_rows(x, m):
    rows = [x * 0.5]
    for i in range(m.shape[0]):
        rows.append(np.tanh(m[i] * rows[i]))
    return np.stack([r * 2.0 for r in rows], axis=-1) + np.concatenate(rows)[:3, None]


def unpacked(v):
    a, b, c = v * 2.0
    x, y = np.cos(v[:2])
    return np.stack([a * b, c * x, y])


def writes_at_a_mask(w):
    y = np.ones((2, 3))
    y[0, w > 0] = np.sin(w)[w > 0]          # (a tangent written at a mask: one per seed)
    y[1] = w * 2.0
    return y


def writes_at_an_index_array(w):
    y = np.zeros(5)
    y[np.array([0, 2, 4])] = np.cos(w)      # (an index array: one pass per seed)
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
        return np.tanh(x @ p[0][0][0][0][0][0][0][0])
    with pytest.raises(TypeError, match=rf"jacfwd: argument 'p' of f \(test_jacfwd.py:"
                                        rf"{_line_of(f, 'def f')}\) is a list.*not supported"):
        sg.jacfwd(f)([[[[[[[[W32]]]]]]]], X3)

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


# ---- seeds batched along a leading axis (ad/batching.py) -----------------------------

A3 = RNG.normal(size=3)
M23 = RNG.normal(size=(2, 3))
M34 = RNG.normal(size=(3, 4))
S234 = RNG.normal(size=(2, 3, 4))

def recurrent(h, W):
    for _ in range(3):
        h = np.tanh(W @ h) + 0.5 * h
    return h


def recurrent_branch(h, W):
    total = np.zeros(3)
    for t in range(4):
        if t % 2 == 0:
            h = np.tanh(W @ h)
        else:
            total = total + h * t
    while np.sum(h * h) < 50.0:
        h = h * 2.0
    return total + h


INDEX, INDEX2, MASK = np.array([0, 3]), np.array([1, 0]), np.array([True, False, True])

# (function, arguments, batched?): every batch rule, in each position and rank
BATCH_CASES = [
    # elementwise: a batched operand of lower rank than the result, and higher
    (lambda x, m: np.sin(x) * m + x, (A3, M23), True),
    (lambda m, x: np.exp(m) - x / (1.0 + m * m), (M23, A3), True),
    (lambda x: np.where(x > 0, x * x, -x), (A3,), True),
    (lambda x, m: np.maximum(x, m) + np.tanh(x) ** 2, (A3, M23), True),
    (lambda x, m: np.tanh(x) ** 2 / m, (A3, M23), True),
    # matmul and dot: the tangent on either side, vectors, matrices and stacks
    (lambda x, m: x @ m, (A3, M34), True),
    (lambda m, x: m @ x, (M23, A3), True),
    (lambda x, m: m @ x, (A3, M23), True),
    (lambda x, y: x @ y, (A3, RNG.normal(size=3)), True),
    (lambda x, y: y @ x, (A3, RNG.normal(size=3)), True),
    (lambda m, s: s @ m.T, (M34, S234), True),
    (lambda s, m: s @ m.T, (S234, M34), True),
    (lambda m, s: m @ s, (M23, RNG.normal(size=(5, 3, 2))), True),
    (lambda x, s: s @ x, (RNG.normal(size=4), S234), True),
    (lambda x, m: m @ x, (RNG.normal(size=4), M34), True),
    (lambda x, s: x @ s, (RNG.normal(size=3), S234), False),
    (lambda m, x: np.dot(m, x), (M23, A3), True),
    (lambda x, m: np.dot(x, m) + x.dot(m), (A3, M34), True),
    (lambda m, n: np.dot(m, n), (M23, M34), True),
    (lambda s, m: np.dot(s, m[0]), (S234, M34), False),
    # reductions: every axis spelling
    (lambda m: np.sum(m), (M23,), True),
    (lambda m: np.sum(m, axis=0) + m.sum(axis=-1).sum(), (M23,), True),
    (lambda s: np.mean(s, axis=(0, 2)) + np.sum(s, axis=2)[0], (S234,), True),
    (lambda s: np.sum(s, axis=1, keepdims=True) * s, (S234,), True),
    (lambda s: s.mean() * s.sum(axis=(-1, -2)), (S234,), True),
    # reshape, ravel, transpose
    (lambda x: np.reshape(np.tile(x, 2), (2, 3)) @ M34, (A3,), False),
    (lambda s: np.reshape(s, (6, 4)).T @ np.ones(6), (S234,), True),    # (its rank: ranks.py)
    (lambda s: np.reshape(s, (6, 4)) * 2.0 + np.reshape(s, -1)[:4], (S234,), True),
    (lambda s: np.reshape(s, (4, -1))[1] * s.ravel()[:6], (S234,), True),
    (lambda s: np.transpose(s, (2, 0, 1))[0] + np.transpose(s)[0].T, (S234,), True),
    # indexing
    (lambda m: m[1] + m[:, 2].sum() + m[..., 1].sum(), (M23,), True),
    (lambda m: m[None, ..., 1], (M23,), True),
    (lambda s: s[1, ::2, INDEX] * 2.0, (S234,), False),    # (its rank)
    (lambda s: s[1, ::2, INDEX], (S234,), False),    # (1 and INDEX: apart)
    (lambda s: s[::2, 1, INDEX], (S234,), True),
    (lambda s: s[:, 1:, INDEX][1], (S234,), True),
    (lambda s: s[0][MASK][:, 0], (S234,), True),
    (lambda s: s[0, INDEX2, INDEX], (S234,), True),
    (lambda s: s[INDEX2, :, INDEX], (S234,), False),
    # concatenate and stack, items without a tangent among them
    (lambda x: np.concatenate([x, x * 2]), (A3,), True),
    (lambda x, m: np.concatenate((m, x[None] * m), axis=-1), (A3, M23), True),
    (lambda x, m: np.concatenate([m * x, m], axis=0) @ x, (A3, M23), True),   # (its shape known)
    (lambda x, m: np.stack([x, m[0], x * m[1]], axis=1), (A3, M23), True),
    (lambda x, m: np.stack((m, m * x), axis=-1), (A3, M23), True),
    (lambda x, m: np.stack((m, m * x), axis=-1).sum(axis=-2), (A3, M23), True),  # (its shape)
    (lambda x: np.concatenate([x, x], axis=None), (A3,), False),
    # items that are lists written in the code: the array np.asarray makes of them
    (lambda x: np.concatenate([x, [np.sum(x * x)]]), (A3,), True),
    (lambda x: np.concatenate([x, [1.0, x[0]], (2.0 * x[1], np.sum(x))]), (A3,), True),
    (lambda x, m: np.stack([m[0], [x[1], 2.0, np.sum(x)]], axis=1), (A3, M23), True),
    # a loop carrying a tangent over what has none, writes into arrays
    (loop_for_in, (RNG.normal(size=3), RNG.normal(size=4)), True),
    (writes_into_a_copy, (RNG.normal(size=3), RNG.normal(size=4)), True),
    (lambda x: writes_into_a_copy(np.ones(3), x), (RNG.normal(size=4),), True),
    (writes_at_run_time, (RNG.normal(size=3), RNG.normal(size=(4, 3))), True),
    (writes_at_run_time, (RNG.normal(size=3), RNG.normal(size=(4, 1))), True),
    (lambda m, x: writes_at_run_time(x, m), (RNG.normal(size=(4, 3)), RNG.normal(size=3)), True),
    (writes_by_parent, (RNG.normal(size=(3, 2, 2)), np.array([-1, 0, 1])), True),
    (writes_at_a_mask, (RNG.normal(size=3),), False),
    (written_at_run_time_sizes, (RNG.normal(size=3), 2), True),
    # run-time lists, einsum, unpacking, np.array of lists written in the code
    (lists_by_parent, (RNG.normal(size=(3, 2, 2)), np.array([-1, 0, 1])), True),
    (stacked_rows, (A3, M23), True),
    (lambda x: np.einsum('ij,j->i', M34.T, x) + np.einsum('i,ij', x, M34), (A3,), True),
    (lambda m, x: np.einsum('ij,j', m, x), (M23, A3), True),
    (lambda m, x: np.einsum('ij,kj', m, m * x), (M23, A3), True),      # (two tangents)
    (lambda m: np.einsum('...j,j', m, A3), (M23,), False),
    (unpacked, (A3,), True),
    (lambda x: np.array([[x[0], 0.0], [1.0, np.sin(x[1])]]) @ x[1:], (A3,), True),
    (lambda x, m: np.array([x, 2.0 * x, x * m[0]]).sum(axis=0), (A3, M23), True),
    (lambda x: x.reshape(x.shape + (1,)) * x[int(np.round(1.2))], (A3,), True),
    (writes_at_an_index_array, (RNG.normal(size=3),), False),
    # what no rule covers: a loop over the tangent, np.outer
    (lambda w, x: loop_for_in(x, w), (RNG.normal(size=4), RNG.normal(size=3)), False),
    (matrix_out, (RNG.normal(size=3), RNG.normal(size=4)), False),
    # loops and branches carrying a tangent (the carried values' ranks known)
    (recurrent, (RNG.normal(size=3), RNG.normal(size=(3, 3))), True),
    (recurrent_branch, (RNG.normal(size=3), RNG.normal(size=(3, 3))), True),   # (h's rank)
    (lambda h, W: recurrent_branch(h, W * h), (RNG.normal(size=3), RNG.normal(size=(3, 3))),
     True),
]


def _batched(fn, args):
    """Does the code a call runs carry the seeds along a leading axis?"""
    source = fn.source_for(*args)
    assert ('its seeds batched' in source) != ('one pass per seed' in source)
    return 'its seeds batched' in source and 'for k in range(n)' not in source


@pytest.mark.parametrize('k', range(len(BATCH_CASES)))
def test_batched_seeds_against_jacrev_and_the_seed_loop(k):
    f, args, batched = BATCH_CASES[k]
    fn = sg.jacfwd(f)
    jac = fn(*args)
    assert _batched(fn, args) is batched
    np.testing.assert_allclose(jac, sg.jacrev(f)(*args), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(jac, fn.compiled.function(*args), rtol=1e-12, atol=1e-14)
    assert 'for k in range(n)' in fn.source     # (the general code: ranks not known)


# how many of each case's arguments get their seeds batched (in a loop whose
# carried values' ranks the shape classes know: x's in while_branch and early_return)
BATCHED = {'layer_matmul': 2, 'layer_dot': 2, 'layer_helper': 2, 'softmax': 2,
           'while_branch': 2, 'early_return': 2, 'loop_sum': 2, 'loop_for_in': 1,
           'writes_into_a_copy': 2}


@pytest.mark.parametrize('f, args', CASES, ids=IDS)
def test_the_cases_batched_where_every_op_has_a_rule(f, args):
    fn = sg.jacfwd(f, wrt=tuple(range(len(args))))
    assert fn.source_for(*args).count('its seeds batched') == BATCHED.get(f.__name__, 0)
    for got, want in zip(fn(*args), fn.compiled.function(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_why_the_seeds_are_not_batched_is_in_the_source():
    args = CASES[IDS.index('matrix_out')][1]
    source = sg.jacfwd(matrix_out).source_for(*args)
    line = _line_of(matrix_out, 'np.outer(a, b)')
    assert f'a: one pass per seed (np.outer has no batch rule at test_jacfwd.py:{line})' \
        in source
    general = sg.jacfwd(layer_matmul).source
    assert "one pass per seed (the ranks are known only in a call's specialisation)" in general


def test_batched_source_shows_the_seeds():
    source = sg.jacfwd(layer_matmul, wrt='x').source_for(W32, X3)
    assert 'seeds = np.reshape(np.eye(n, dtype=np.result_type(x)), (n,) + np.shape(x))' \
        in source
    assert 'seeds @ W' in source and 'for k' not in source


def test_docs_section_runs_and_shows_the_code(tmp_path, monkeypatch):
    """docs/derivatives.md's jacfwd section: its example runs, and the source it shows
    is what the call's code is (without comments)."""
    text = (pathlib.Path(__file__).parent.parent / 'docs' / 'derivatives.md').read_text()
    section = text.split('## Jacobians by forward mode: sg.jacfwd')[1].split('\n## ')[0]
    example = re.findall(r'```python\n(.*?)```', section, re.S)[0]
    shown = re.findall(r'```\n(def jacfwd_layer.*?)```', section, re.S)[0]
    path = tmp_path / 'jacfwd_example.py'
    path.write_text('import numpy as np\nimport s2sgrad as sg\n\n' + example)
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        runpy.run_path(str(path))
    code = [line for line in printed.getvalue().splitlines() if not line.strip().startswith('#')]
    assert '\n'.join(code).strip() == shown.strip()


def test_an_output_that_does_not_vary_has_a_zero_jacobian_of_its_own():
    def constant_in_x(W, x):
        return W * 2.0 + 0.0 * np.sum(W)
    jac = sg.jacfwd(constant_in_x, wrt='x')(W32, X3)
    assert 'its seeds batched' in sg.jacfwd(constant_in_x, wrt='x').source_for(W32, X3)
    assert jac.shape == (3, 2, 3) and not np.any(jac) and jac.flags.writeable
    jac[0] = 1.0        # (an array of its own, not a broadcast view)


def test_a_write_through_a_view_in_the_seed_loop():
    """The zero tangent of a view written into is a name of its own in the generated
    code (passes/fold.py: a setitem's target is never folded), not a NameError."""
    def program(A, c):
        y = A * 1.0
        view = y.T
        view[0] += c[:, 0]
        return np.sum(y * y)
    A, c = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 2))
    for batch_seeds in (True, False):
        fn = sg.jacfwd(program, wrt=1)
        fn.batch_seeds = batch_seeds
        np.testing.assert_allclose(fn(A, c), central_jacobian(program, (A, c), 1), atol=1e-6)
