"""sg.jacobian(f, sparse=True), sg.jacfwd(..., sparse=True), sg.jacrev(..., sparse=True).

Every sparse Jacobian is checked against the dense one (sg.jacfwd, reshaped to
(out.size, n)): the same values to 1e-12 relative, and the pattern a superset
of the dense Jacobian's nonzeros.  Hand-picked programs (elementwise, stencils,
gathers by argument index arrays, a bundle-adjustment residual, blocks,
reductions, loops, branches, np.where, writes) also check their number of
colours against what their structure allows; random compositions of these
building blocks (`_random_program`) check the values and the pattern.
"""
import importlib.util
import os
import sys
import warnings

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.colouring import check_colouring

sp = pytest.importorskip('scipy.sparse')


def dense(fn, wrt, args):
    """The dense Jacobian as an (out.size, n) matrix (jacfwd's, each x's columns side
    by side)."""
    found = sg.jacfwd(fn, wrt=wrt)(*args)
    blocks = list(found) if isinstance(wrt, tuple) else [found]
    xs = wrt if isinstance(wrt, tuple) else (wrt,)
    m = np.size(blocks[0]) // max(np.size(args[xs[0]]), 1)
    return np.hstack([np.reshape(b, (m, np.size(args[i]))) for b, i in zip(blocks, xs)])


def assert_sparse_right(fn, wrt, *args, colours=None, modes=('jacobian', 'jacfwd', 'jacrev'),
                        preaccumulate='auto'):
    """Each mode's sparse Jacobian is a csr matrix equal to the dense one, its pattern
    holds every nonzero, its colouring is valid; `colours`: the count expected
    (an int, or a (low, high) range) for sg.jacobian."""
    want = dense(fn, wrt, args)
    for mode in modes:
        jac = getattr(sg, mode)(fn, wrt=wrt, sparse=True)
        jac.preaccumulate = preaccumulate
        with warnings.catch_warnings():
            warnings.simplefilter('error', sg.SparsityWarning)
            got = jac(*args)
        assert sp.isspmatrix_csr(got) or isinstance(got, sp.csr_array), type(got)
        assert got.shape == want.shape
        scale = max(np.abs(want).max(initial=0.0), 1.0)
        np.testing.assert_allclose(got.toarray(), want, rtol=1e-12, atol=1e-12 * scale)
        plan = jac.last
        pattern = plan.pattern.toarray()
        assert not np.any((want != 0) & ~pattern), f'{mode}: a nonzero outside the pattern'
        coloured = plan.pattern if plan.local is None else plan.local.jacobian.last.pattern
        check_colouring(coloured, plan.colours, by_rows=plan.mode == 'reverse')
        assert plan.mode == {'jacfwd': 'forward', 'jacrev': 'reverse'}.get(mode, plan.mode)
        if mode == 'jacobian' and colours is not None:
            low, high = colours if isinstance(colours, tuple) else (colours, colours)
            assert low <= plan.count <= high, plan.count
    return want


RNG = np.random.default_rng(0)


# ---- hand-picked programs ----------------------------------------------------------------
def elementwise(x):
    return np.sin(x) * x ** 2 + np.exp(-x) / (1.0 + x * x)


def test_elementwise_is_one_colour():
    assert_sparse_right(elementwise, 0, RNG.normal(size=7), colours=1)


def first_differences(x):
    return x[1:] - x[:-1]


def second_differences(x):
    return x[2:] - 2.0 * x[1:-1] + x[:-2]


def stencil_2d(u):
    return u[1:-1, 2:] + u[1:-1, :-2] + u[2:, 1:-1] + u[:-2, 1:-1] - 4.0 * u[1:-1, 1:-1] ** 2


@pytest.mark.parametrize('fn, shape, colours', [(first_differences, (9,), 2),
                                                (second_differences, (9,), 3),
                                                (stencil_2d, (6, 5), (5, 9))])
def test_stencils(fn, shape, colours):
    assert_sparse_right(fn, 0, RNG.normal(size=shape), colours=colours)


def gathered(x, y, idx, jdx):
    return x[idx] * np.cos(y[jdx]) + x[jdx % len(x)]


def test_gathers_by_argument_index_arrays():
    idx = np.array([0, 3, 3, 1, 4])
    jdx = np.array([2, 0, 5, 5, 1])
    assert_sparse_right(gathered, 0, RNG.normal(size=5), RNG.normal(size=6), idx, jdx)
    assert_sparse_right(gathered, (0, 1), RNG.normal(size=5), RNG.normal(size=6), idx, jdx)


def test_wrt_in_another_order_gives_its_columns_in_that_order():
    args = RNG.normal(size=5), RNG.normal(size=6), np.array([0, 3, 3, 1]), np.array([2, 0, 5, 5])
    for mode in ('jacobian', 'jacfwd', 'jacrev'):
        got = getattr(sg, mode)(gathered, wrt=(1, 0), sparse=True)(*args)
        np.testing.assert_allclose(got.toarray(), dense(gathered, (1, 0), args), rtol=1e-12)


def test_the_pattern_follows_the_index_arguments():
    jac = sg.jacobian(gathered, wrt=0, sparse=True)
    x, y = RNG.normal(size=5), RNG.normal(size=6)
    first = jac(x, y, np.array([0, 1]), np.array([2, 3])).toarray()
    second = jac(x, y, np.array([4, 4]), np.array([2, 3])).toarray()
    assert np.all(first[:, 4] == 0) and np.all(second[:, 4] != 0)
    np.testing.assert_allclose(second, dense(gathered, 0, (x, y, np.array([4, 4]),
                                                           np.array([2, 3]))), rtol=1e-12)


# a bundle-adjustment residual (ADBench's BA): cameras of 11 parameters, points of 3,
# a weight per observation; 2 reprojection residuals and 1 weight residual each
def rotate(r, X):
    theta = np.sqrt(np.sum(r * r, axis=1))[:, None]
    k = r / theta
    return X * np.cos(theta) + np.cross(k, X) * np.sin(theta) + \
        k * np.sum(k * X, axis=1)[:, None] * (1.0 - np.cos(theta))


def reprojection(cams, X, w, obs, feats):
    c = cams[obs[:, 0]]
    p = X[obs[:, 1]]
    Xc = rotate(c[:, 0:3], p - c[:, 3:6])
    xp = Xc[:, :2] / Xc[:, 2:3]
    r2 = np.sum(xp * xp, axis=1)[:, None]
    distortion = 1.0 + c[:, 9:10] * r2 + c[:, 10:11] * r2 * r2
    err = w[:, None] * (xp * distortion * c[:, 6:7] + c[:, 7:9] - feats)
    return np.concatenate([err.ravel(), 1.0 - w * w])


def reprojection_loop(cams, X, w, obs, feats):
    errs = []
    for i in range(len(w)):
        cam = cams[obs[i, 0]]
        Xc = rotate(cam[None, 0:3], X[obs[i, 1]][None, :] - cam[None, 3:6])[0]
        xp = Xc[:2] / Xc[2]
        r2 = np.dot(xp, xp)
        proj = xp * (1.0 + cam[9] * r2 + cam[10] * r2 * r2) * cam[6] + cam[7:9]
        errs.append(w[i] * (proj - feats[i]))
    return np.concatenate([np.stack(errs).ravel(), 1.0 - w * w])


def ba_inputs(n, m, p, seed=0):
    rng = np.random.default_rng(seed)
    cams = np.concatenate([rng.normal(0, 0.3, (n, 6)), rng.uniform(1, 2, (n, 1)),
                           rng.normal(0, 1, (n, 4)) * 0.1], axis=1)
    X = rng.normal(0, 1, (m, 3)) + np.array([0.0, 0.0, 8.0])
    w = rng.uniform(0.5, 1.5, p)
    obs = np.stack([rng.integers(0, n, p), rng.integers(0, m, p)], axis=1)
    return cams, X, w, obs, rng.normal(0, 1, (p, 2))


@pytest.mark.parametrize('fn', [reprojection, reprojection_loop])
def test_bundle_adjustment_needs_at_most_15_column_colours(fn):
    # 11 + 3 + 1 columns meet in an observation's rows; the x residual does not read
    # the principal point's y (nor y's x): 14 colours are enough, the greedy finds them
    args = ba_inputs(4, 9, 25)
    want = assert_sparse_right(fn, (0, 1, 2), *args, colours=(14, 15), modes=('jacfwd',))
    assert sg.jacfwd(fn, (0, 1, 2), sparse=True).plan(*args).count in (14, 15)
    assert want.shape == (75, 44 + 27 + 25)


def test_colouring_without_the_whole_intersection_graph(monkeypatch):
    # past MOST_EDGES each column's neighbours come from the pattern: still a valid
    # colouring, as few colours on BA's blocks (ba4 has 8e7 edges)
    from s2sgrad import colouring
    args = ba_inputs(4, 9, 25)
    pattern = sg.jacfwd(reprojection, wrt=(0, 1, 2), sparse=True).plan(*args).pattern
    monkeypatch.setattr(colouring, 'MOST_EDGES', 0)
    for by_rows, colour in ((False, colouring.colour_columns), (True, colouring.colour_rows)):
        colours, count = colour(pattern)
        check_colouring(pattern, colours, by_rows=by_rows)
        assert count <= (15 if not by_rows else pattern.shape[0])
    assert colouring.colour_columns(pattern)[1] in (14, 15)


def test_bundle_adjustment_preaccumulated_at_its_gathers_needs_3_row_colours():
    # each residual row reads only its observation's gathered camera and point rows:
    # the local Jacobian's rows take 3 colours (eu, ev, the weight residual)
    args = ba_inputs(4, 9, 25)
    assert_sparse_right(reprojection, (0, 1, 2), *args, colours=3, modes=('jacobian', 'jacrev'))
    plan = sg.jacobian(reprojection, (0, 1, 2), sparse=True).plan(*args)
    assert (plan.mode, plan.count) == ('reverse', 3) and plan.local is not None
    # c and p, then the reads of c by constant indices (c[:, 0:3], ...): their
    # adjoints need no scatter into c's shape
    assert plan.why.startswith('preaccumulated at 8 gather(s) (c, p, c_part, c_part_2, ')
    assert plan.why.endswith(': 3 row colours of the local Jacobian, against 14 column '
                             'colours of the Jacobian')
    assert [g.name for g in plan.local.gathers][:2] == ['c', 'p']
    assert [g.source for g in plan.local.gathers] == [None, None] + [0] * 6


def reprojection_take(cams, X, w, obs, feats):
    c = np.take(cams, obs[:, 0], axis=0)
    p = np.take(X, obs[:, 1], 0)
    Xc = rotate(c[:, 0:3], p - c[:, 3:6])
    xp = Xc[:, :2] / Xc[:, 2:3]
    err = w[:, None] * (xp * c[:, 6:7] + c[:, 7:9] - feats)
    return np.concatenate([err.ravel(), 1.0 - w * w])


def take_columns(cams, X, w, obs, feats):
    return np.take(cams, obs[:, 0] % 3, axis=1) * np.take(X, obs[:, 1], axis=0)[:4, :1]


def test_np_take_along_the_first_axis_is_a_gather():
    # np.take(x, idx, axis=0) is x[idx]; along another axis it is left to the plain plan
    args = ba_inputs(4, 9, 25)
    assert_sparse_right(reprojection_take, (0, 1, 2), *args, modes=('jacobian', 'jacrev'))
    plan = sg.jacobian(reprojection_take, (0, 1, 2), sparse=True).plan(*args)
    assert plan.local is not None and plan.why.startswith('preaccumulated at ')
    assert [g.name for g in plan.local.gathers][:2] == ['c', 'p']
    assert_sparse_right(take_columns, (0, 1), *args)


def test_gathers_in_a_loop_are_not_preaccumulated():
    args = ba_inputs(4, 9, 25)
    plan = sg.jacobian(reprojection_loop, (0, 1, 2), sparse=True).plan(*args)
    assert plan.local is None and plan.why is None


def test_bundle_adjustment_per_argument():
    args = ba_inputs(3, 5, 12, seed=1)
    assert_sparse_right(reprojection, 0, *args, colours=2)     # (preaccumulated)
    assert_sparse_right(reprojection, 1, *args, colours=2)
    assert_sparse_right(reprojection, 2, *args, colours=1)


def blocks(x, W):
    return np.tanh(x.reshape(4, 3) @ W).ravel()


def blocks_transposed(x, W):
    return (W.T @ np.reshape(x, (4, 3)).T).T.ravel() + np.sum(x.reshape(4, 3) ** 2, axis=1,
                                                             keepdims=True).ravel()[:1]


def test_block_diagonal_through_a_reshape():
    # (blocks of 2 rows x 3 columns: 2 adjoint passes)
    assert_sparse_right(blocks, 0, RNG.normal(size=12), RNG.normal(size=(3, 2)), colours=2)
    assert_sparse_right(blocks_transposed, 0, RNG.normal(size=12), RNG.normal(size=(3, 2)))


def reductions(x):
    X = x.reshape(3, 4)
    return np.concatenate([np.sum(X, axis=0), np.mean(X ** 2, axis=1), np.max(X, axis=1),
                           [np.prod(X[0])], np.std(X, axis=0, keepdims=True).ravel()])


def cumulative(x):
    return np.cumsum(np.sin(x.reshape(2, 4)), axis=1).ravel() + np.sort(x)[::-1]


def test_reductions():
    assert_sparse_right(reductions, 0, RNG.normal(size=12))
    assert_sparse_right(cumulative, 0, RNG.normal(size=8))


def chain(x, steps):
    y = x * 1.0
    for t in range(steps):
        y = np.concatenate([y[:1], y[1:] * y[:-1]])
    return y


def recurrence(x, n):
    s = x[0]
    out = []
    for t in range(n):
        s = np.tanh(s + x[t + 1])
        out.append(s)
    return np.stack(out)


def halving(x):
    y = x
    while len(y) > 1:
        y = y[::2] + y[1::2]
    return y


def test_loops():
    assert_sparse_right(chain, 0, RNG.normal(size=6), 3, colours=4)
    assert_sparse_right(recurrence, 0, RNG.normal(size=6), 4)
    assert_sparse_right(halving, 0, RNG.normal(size=8), colours=1)   # (1 adjoint)


def branch_on_floats(x):
    if np.sum(x) > 0.0:
        y = x[:3] * 2.0
    else:
        y = np.sin(x[3:])
    return y


def branch_on_integers(x, k):
    if k > 1:
        y = x[:3] ** 2
    else:
        y = x[3:]
    return y


def test_branches():
    x = RNG.normal(size=6)
    for sign in (1.0, -1.0):
        assert_sparse_right(branch_on_floats, 0, sign * np.abs(x))
        # a test on floats may go the other way for other floats: both sides' union
        plan = sg.jacobian(branch_on_floats, sparse=True).plan(sign * np.abs(x))
        assert plan.pattern.toarray().sum() == 6
    assert_sparse_right(branch_on_integers, 0, x, 2)
    plan = sg.jacobian(branch_on_integers, sparse=True).plan(x, 2)
    assert plan.pattern.toarray().sum() == 3        # (only the side an int takes)


def where(x):
    return np.where(x > 0.0, x ** 2, -np.exp(x[::-1]))


def written(x):
    y = np.zeros(len(x) + 1)
    y[1:] = x ** 2
    y[0] = x[2] * x[3]
    z = y.copy()
    z[::2] += 1.0
    return z


def stacked(x):
    X = x.reshape(2, 3)
    return np.stack([X[0] * X[1], X.T[:, 0]], axis=1).ravel()


def test_where_writes_and_stacks():
    assert_sparse_right(where, 0, RNG.normal(size=5))
    assert_sparse_right(written, 0, RNG.normal(size=5))
    assert_sparse_right(stacked, 0, RNG.normal(size=6))


def constants_among_ids(x):
    # constant floats put beside x's elements, and ops that compute with elements
    X = x.reshape(3, 3)
    return np.concatenate([x[:2], [5.0, 7.0], np.pad(x[:3], 2, mode='reflect'),
                           [np.trace(X)], np.pad(x[3:5], (1, 2), constant_values=3.0),
                           np.diag(x[:2]).ravel(), np.triu(X).ravel() * 2.0])


def test_constants_and_computing_ops_among_rearrangements():
    assert_sparse_right(constants_among_ids, 0, RNG.normal(size=9))


def matrix(x, A):
    return A @ x + np.dot(x, A.T)


def test_products_are_dense_blocks():
    assert_sparse_right(matrix, 0, RNG.normal(size=4), RNG.normal(size=(3, 4)), colours=3)
    plan = sg.jacfwd(matrix, sparse=True).plan(RNG.normal(size=4), RNG.normal(size=(3, 4)))
    assert plan.count == 4


def einsum_rotations(R, X):
    return np.einsum('pij,pj->pi', R, X) ** 2


def einsum_forms(x, y):
    a = np.einsum('ij,jk->ik', x, y)             # a product: dense blocks
    b = np.einsum('ii->i', x)                    # a diagonal
    c = np.einsum('ij->', x * x)                 # everything
    d = np.einsum('ij,ij->i', x, x)              # rows
    e = np.einsum('ji', y)                       # implicit: a transpose
    f = np.einsum('i,j', b, b)                   # implicit: an outer product
    g = np.einsum('ij,j->ij', x, np.ones(3))     # a constant operand
    return np.concatenate([a.ravel(), b, [c], d, e.ravel(), f.ravel(), g.ravel()])


def test_einsum_follows_its_labels():
    R, X = RNG.normal(size=(6, 3, 3)), RNG.normal(size=(6, 3))
    want = assert_sparse_right(einsum_rotations, (0, 1), R, X, colours=3)   # (rows)
    pattern = sg.jacobian(einsum_rotations, wrt=(0, 1), sparse=True).plan(R, X).pattern
    assert pattern.sum() == 6 * 3 * (3 + 3) == np.count_nonzero(want)   # (nothing more)
    x, y = RNG.normal(size=(3, 3)), RNG.normal(size=(3, 3))
    assert_sparse_right(einsum_forms, (0, 1), x, y)


# ---- what is refused or falls back -----------------------------------------------------
def index_from_floats(x):
    i = np.argmax(x)
    return x * x[i]     # ERR


def test_falls_back_to_dense_with_a_warning_naming_the_line():
    x = RNG.normal(size=5)
    jac = sg.jacobian(index_from_floats, sparse=True)
    with pytest.warns(sg.SparsityWarning) as caught:
        got = jac(x)
    line = next(i + 1 for i, text in enumerate(open(__file__).read().splitlines())
                if text.endswith('# ERR'))
    message = str(caught[0].message)
    assert f'test_sparse_jacobians.py:{line}' in message and 'computed from floats' in message
    assert 'computing the Jacobian densely' in message
    np.testing.assert_allclose(got.toarray(), dense(index_from_floats, 0, (x,)), rtol=1e-12)
    assert jac.last.pattern is None and jac.last.why


def opaque(x):
    return np.linalg.solve(np.eye(3) + np.outer(x, x), x)


def test_dense_ops_are_dense_not_unknown():
    assert_sparse_right(opaque, 0, RNG.normal(size=3), colours=3)


def test_refuses_without_scipy(monkeypatch):
    monkeypatch.setitem(sys.modules, 'scipy.sparse', None)
    with pytest.raises(TypeError, match='needs SciPy'):
        sg.jacobian(elementwise, sparse=True)


def test_refuses_integer_wrt_and_containers():
    with pytest.raises(TypeError, match='not an array of floats'):
        sg.jacobian(branch_on_integers, wrt=1, sparse=True)(np.ones(6), 2)
    with pytest.raises(TypeError, match="argument 'x' of elementwise is not an array of floats"):
        sg.jacobian(elementwise, sparse=True)({'a': np.ones(2)})


def test_source_shows_seeding_and_decompression():
    args = ba_inputs(2, 3, 4)
    jac = sg.jacfwd(reprojection, wrt=(0, 1, 2), sparse=True)
    source = jac.source_for(*args)
    assert 'def sparse_jacfwd_reprojection(cams, X, w, obs, feats, colours, rows, columns)' \
        in source
    assert 'indicators[:, colours[' in source
    assert 'values = compressed[colours[columns], rows]' in source
    assert '_sg_sparse_jacobian(values, rows, columns' in source
    # preaccumulated at the gathers: their results are parameters, one adjoint per colour
    # after a single forward, which reads c and p
    source = sg.jacrev(reprojection, wrt=(0, 1, 2), sparse=True).source_for(*args)
    assert 'def sparse_jacrev_reprojection(cams, X, w, obs, feats, c, p, c_part, c_part_2, ' \
        'c_part_3, c_part_4, c_part_5, c_part_6, colours, rows, columns)' in source
    code = [line for line in source.splitlines() if not line.lstrip().startswith('#')]
    assert not any('cams[' in line or 'X[' in line for line in code)
    loop = code.index('    for c_1 in range(count):')
    assert sum('= np.cos(' in line for line in code[:loop]) == 1
    assert not any('= np.cos(' in line or 'np.concatenate([_ravel' in line
                   for line in code[loop:])
    assert 'values = compressed[colours[rows], columns]' in source
    assert source.rstrip().endswith('return _return_1')


def test_export_needs_numpy_and_scipy(tmp_path):
    args = ba_inputs(2, 3, 4)
    jac = sg.jacfwd(reprojection, wrt=(0, 1, 2), sparse=True)
    path = os.path.join(tmp_path, 'exported_sparse.py')
    with pytest.raises(ValueError, match=r"set .preaccumulate = 'never' first"):
        jac.export(path)     # (a preaccumulated plan's colours are another Jacobian's)
    jac.preaccumulate = 'never'
    jac.export(path)
    text = open(path).read()
    assert 'import s2sgrad' not in text and 'from s2sgrad' not in text
    assert 'import scipy.sparse' in text and 'needs only NumPy and scipy' in text
    spec = importlib.util.spec_from_file_location('exported_sparse', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    plan = jac.plan(*args)
    got = getattr(module, 'sparse_jacfwd_reprojection')(*args, plan.colours, plan.rows,
                                                         plan.columns)
    np.testing.assert_allclose(got.toarray(), jac(*args).toarray(), rtol=1e-12)


# ---- random programs ----------------------------------------------------------------------
# Each step appends one building block applied to earlier arrays (each a 1-D float array
# that depends on x, sizes kept small); the result concatenates the last few.
def _blocks(rng, names, sizes):
    a = rng.integers(len(names))
    b = rng.integers(len(names))
    A, B, na, nb = names[a], names[b], sizes[a], sizes[b]
    k = min(na, nb)
    u = ('np.sin', 'np.tanh', 'np.arctan', 'np.cos')[rng.integers(4)]
    choices = [
        (f'{u}({A}) * {A}', na),
        (f'{A}[:{k}] * {B}[:{k}] + {B}[{nb - k}:]', k),
        (f'{A}[1:] - {A}[:-1]', na - 1) if na > 1 else (f'{A} * 2.0', na),
        (f'{A}[idx % {na}] * {u}({B}[jdx % {nb}])', 6),
        (f'np.concatenate([{A}, {u}({B})])', na + nb),
        (f'{A}[::-1] + 0.5 * {A}', na),
        (f'np.where({A} > 0.0, {A} * {A}, {u}({A}))', na),
        (f'np.cumsum({A})', na),
        (f'np.sum({A}) * {B}', nb),
        (f'np.roll({A}, 1) * {A}', na),
    ]
    if na % 2 == 0:
        choices += [(f'np.sum(np.reshape({A}, ({na // 2}, 2)) ** 2, axis=1)', na // 2),
                    (f'(np.reshape({A}, ({na // 2}, 2)) @ M).ravel()', na),
                    (f'np.max(np.reshape({A}, (2, {na // 2})), axis=0)', na // 2)]
    return choices[rng.integers(len(choices))]


def _random_program(seed):
    """Source of `f(x, idx, jdx, M)` and its statement count, from a seed."""
    rng = np.random.default_rng(seed)
    names, sizes, lines = ['x'], [8], []
    for step in range(rng.integers(2, 6)):
        kind = rng.integers(10)
        name = f'v{step}'
        expression, size = _blocks(rng, names, sizes)
        if kind == 0:       # a loop carrying the value
            lines += [f'{name} = {expression}', f'for t in range(2):',
                      f'    {name} = {name} * 0.5 + {name}[::-1] * {name}[0]']
        elif kind == 1:     # a branch on floats
            lines += ['if np.sum(x) > 0.0:', f'    {name} = {expression}', 'else:',
                      f'    {name} = np.zeros({size}) + {names[-1]}[0]']
        elif kind == 2:     # writes into a copy
            lines += [f'{name} = np.zeros({size + 1})', f'{name}[1:] = {expression}',
                      f'{name}[0] = {names[-1]}[-1] ** 2']
            size += 1
        else:
            lines.append(f'{name} = {expression}')
        names.append(name)
        sizes.append(size)
    result = ', '.join(names[-2:])
    body = '\n'.join('    ' + line for line in lines)
    return f'import numpy as np\n\n\ndef f(x, idx, jdx, M):\n{body}\n' \
           f'    return np.concatenate([{result}])\n'


RANDOM_SEEDS = range(300)


@pytest.mark.parametrize('batch', range(10))
def test_random_sparse_programs(tmp_path, batch):
    refused = 0
    for seed in RANDOM_SEEDS[batch::10]:
        source = _random_program(seed)
        path = os.path.join(tmp_path, f'sparse_program_{seed}.py')
        with open(path, 'w') as f:
            f.write(source)
        spec = importlib.util.spec_from_file_location(f'sparse_program_{seed}', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        rng = np.random.default_rng(seed)
        args = (rng.normal(size=8), rng.integers(0, 50, 6), rng.integers(0, 50, 6),
                rng.normal(size=(2, 2)))
        try:
            sg.jacfwd(module.f)(*args)
        except sg.TransformError:
            # what the dense Jacobian refuses, the sparse one refuses alike
            with pytest.raises(sg.TransformError):
                sg.jacobian(module.f, sparse=True)(*args)
            refused += 1
            continue
        try:
            assert_sparse_right(module.f, 0, *args, modes=('jacobian',))
        except AssertionError as exc:
            raise AssertionError(f'seed {seed}:\n{source}\n{exc}') from None
    assert refused <= 3, refused


# ---- batched seeds through gathers and np.cross ---------------------------------------------
def crossed(a, b, idx):
    return np.cross(a[idx], b) * np.sum(a, axis=1)[idx][:, None]


def test_jacfwd_batches_through_gathers_and_cross():
    a, b, idx = RNG.normal(size=(4, 3)), RNG.normal(size=(5, 3)), np.array([0, 3, 3, 1, 2])
    for wrt in (0, 1, (0, 1)):
        jac = sg.jacfwd(crossed, wrt=wrt)
        assert 'its seeds batched' in jac.source_for(a, b, idx)
        want = sg.jacrev(crossed, wrt=wrt)(a, b, idx)
        for got, expected in zip(*((jac(a, b, idx), want) if isinstance(wrt, tuple) else
                                   ((jac(a, b, idx),), (want,)))):
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert_sparse_right(crossed, (0, 1), a, b, idx)
    source = sg.jacfwd(crossed, wrt=(0, 1), sparse=True).source_for(a, b, idx)
    assert 'one pass, the seeds of every colour batched' in source


def test_the_docs_example_runs_and_shows_its_source(tmp_path, monkeypatch, capsys):
    page = open(os.path.join(os.path.dirname(__file__), '..', 'docs', 'derivatives.md')).read()
    section = page.split('\n## Sparse Jacobians')[1].split('\n## ')[0]
    example = section.split('```python\n')[1].split('```')[0]
    shown = section.split('```\ndef ')[1].split('```')[0]
    path = tmp_path / 'sparse_docs_example.py'
    path.write_text(example)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.util.spec_from_file_location('sparse_docs_example', path)
    module.loader.exec_module(importlib.util.module_from_spec(module))
    printed = capsys.readouterr().out
    assert printed.startswith('forward 6\n')
    code = '\n'.join(line for line in printed.splitlines()[1:] if not line.startswith('    #'))
    assert code.strip() == ('def ' + shown).strip()


# ---- the fuzzer's programs: sparse or dense, never wrong ------------------------------------
FUZZ_PROGRAMS = range(120)


@pytest.mark.parametrize('batch', range(4))
def test_fuzzer_programs_sparse_equals_dense(tmp_path, batch):
    """Each fuzzer program's sparse Jacobian w.r.t. its first float array parameter
    equals jacfwd's (its pattern holds the nonzeros), or falls back to it with a
    SparsityWarning; never another error where jacfwd runs."""
    import copy
    sys.path.insert(0, os.path.dirname(__file__))
    from fuzz.generator import generate
    from fuzz.oracle import calling, load
    found = {'sparse': 0, 'fallback': 0}
    for seed in FUZZ_PROGRAMS[batch::4]:
        program = generate(seed)
        module = load(program, os.path.join(tmp_path, f'sparse_fuzz_{seed}.py'),
                      f'sparse_fuzz_{seed}')
        args = program.arguments(module=module)
        floats = [p for p in program.wrt if isinstance(args[program.params.index(p)], (
            float, np.floating, np.ndarray)) and np.issubdtype(
            np.result_type(args[program.params.index(p)]), np.floating)]
        if not floats or program.keywords:
            continue
        x = floats[0]
        try:
            want = np.asarray(calling(sg.jacfwd(module.program, wrt=x), program)(
                *copy.deepcopy(args)))
        except Exception:       # noqa: BLE001 - what jacfwd refuses is not the point here
            continue
        jac = sg.jacobian(module.program, wrt=x, sparse=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            got = calling(jac, program)(*copy.deepcopy(args)).toarray()
        fell = any(issubclass(w.category, sg.SparsityWarning) for w in caught)
        found['fallback' if fell else 'sparse'] += 1
        n = int(np.size(args[program.params.index(x)]))
        want = want.reshape(-1, n)
        assert got.shape == want.shape, seed
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True,
                                   err_msg=f'seed {seed}')
        if not fell:
            assert not np.any((want != 0) & ~jac.last.pattern.toarray()), seed
    assert found['sparse'] >= 5, found


def scaled_products(x, k=2.0, idx=None):
    return x[1:] * x[:-1] * k


def test_defaults_and_the_general_source():
    x = RNG.normal(size=5)
    assert_sparse_right(scaled_products, 0, x, colours=2)
    assert_sparse_right(scaled_products, 0, x, 3.0, colours=2)
    for mode in ('jacfwd', 'jacrev'):
        source = getattr(sg, mode)(scaled_products, sparse=True).source
        assert f'def sparse_{mode}_scaled_products(x, k=2.0, idx=None, colours=None, ' \
               f'rows=None, columns=None):' in source


# ---- preaccumulation at gathers (s2sgrad/gathers.py) -----------------------------------------
def ba_components(cams, X, w, obs, feats):
    c = cams[obs[:, 0]]
    p = X[obs[:, 1]]
    x0, x1, x2 = p[:, 0] - c[:, 3], p[:, 1] - c[:, 4], p[:, 2] - c[:, 5]
    theta = np.sqrt(c[:, 0] * c[:, 0] + c[:, 1] * c[:, 1] + c[:, 2] * c[:, 2])
    k0, k1, k2 = c[:, 0] / theta, c[:, 1] / theta, c[:, 2] / theta
    cos, sin = np.cos(theta), np.sin(theta)
    dot = (k0 * x0 + k1 * x1 + k2 * x2) * (1.0 - cos)
    y0 = x0 * cos + (k1 * x2 - k2 * x1) * sin + k0 * dot
    y1 = x1 * cos + (k2 * x0 - k0 * x2) * sin + k1 * dot
    y2 = x2 * cos + (k0 * x1 - k1 * x0) * sin + k2 * dot
    u, v = y0 / y2, y1 / y2
    rr = u * u + v * v
    distortion = 1.0 + c[:, 9] * rr + c[:, 10] * rr * rr
    eu = w * (u * distortion * c[:, 6] + c[:, 7] - feats[:, 0])
    ev = w * (v * distortion * c[:, 6] + c[:, 8] - feats[:, 1])
    return np.concatenate([np.stack([eu, ev], axis=1).ravel(), 1.0 - w * w])


def twice_same_index(x, idx):
    a = x[idx]
    b = x[idx]
    return a * np.sin(b)


def twice_other_index(x, idx, jdx):
    return x[idx] * np.cos(x[jdx])        # a row reads two columns of x: summed where equal


def gathered_and_direct(x, idx):
    return np.tanh(x[idx]) * np.sum(x * x)


def gathered_rows_then_sum(X, idx):
    return np.sum(X[idx] ** 2, axis=1) + X[idx][:, 0]


def gathered_1d_and_2d(x, Y, idx, jdx):
    return np.exp(x[idx])[:, None] * Y[jdx] ** 2


def gathered_parts(X, idx):
    c = X[idx]
    first, rest = c[:, 0], c[:, 1:]
    return first * np.sum(rest * c[:, :0:-1], axis=1) + c[:, 0] ** 2 + np.tanh(c[1, 0])


def gathered_by_global_index(x, idx):
    rows = idx % 3
    z = x[rows]
    return z * z


def preaccumulated(fn, wrt, args, expected=True):
    """Right in every mode, preaccumulated (`expected`) or not where it can choose,
    and preaccumulated wherever it can be (`always`)."""
    want = assert_sparse_right(fn, wrt, *args)
    assert_sparse_right(fn, wrt, *args, preaccumulate='always')
    jac = sg.jacobian(fn, wrt, sparse=True)
    jac.preaccumulate = 'always'
    assert (jac.plan(*args).local is not None) == expected
    return want, jac.plan(*args)


def test_bundle_adjustment_components_preaccumulated_in_3_row_colours():
    args = ba_inputs(4, 9, 25, seed=2)
    _, plan = preaccumulated(ba_components, (0, 1, 2), args)
    assert (plan.mode, plan.count) == ('reverse', 3)


@pytest.mark.parametrize('seed', range(3))
def test_gathers_with_repeated_indices_are_summed(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=4)
    idx, jdx = rng.integers(0, 4, 30), rng.integers(0, 4, 30)
    preaccumulated(twice_same_index, 0, (x, idx))
    _, plan = preaccumulated(twice_other_index, 0, (x, idx, jdx))
    assert plan.local.repeats == bool(np.any(idx == jdx))
    preaccumulated(gathered_and_direct, 0, (x, idx))
    X = rng.normal(size=(4, 3))
    preaccumulated(gathered_rows_then_sum, 0, (X, idx))
    _, plan = preaccumulated(gathered_parts, 0, (X, idx))
    assert [g.source for g in plan.local.gathers] == [None, 0, 0, 0, 0]
    preaccumulated(gathered_1d_and_2d, (0, 1), (x, X, idx, jdx))
    preaccumulated(gathered_1d_and_2d, 1, (x, X, idx, jdx))
    preaccumulated(gathered_by_global_index, 0, (x, idx))


def test_gathers_in_place_or_by_float_indices_are_not_preaccumulated():
    def written(x, idx):
        c = x[idx]
        c[0] = 2.0 * c[1]
        return c * c

    def float_index(x, idx):
        return x[np.argsort(x)[idx]] ** 2

    def masked(x, idx):
        keep = idx > 2
        return x[keep] ** 2

    rng = np.random.default_rng(3)
    x, idx = rng.normal(size=5), rng.integers(0, 5, 12)
    for fn in (written, float_index):
        plan = sg.jacobian(fn, 0, sparse=True)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', sg.SparsityWarning)
            got = plan(x, idx)
        assert plan.last.local is None
        np.testing.assert_allclose(got.toarray(), dense(fn, 0, (x, idx)), rtol=1e-12)
    from s2sgrad.gathers import candidate_ops
    assert candidate_ops(sg.graph(written).graph, (0,)) == []
    assert candidate_ops(sg.graph(masked).graph, (0,)) != []     # (a mask: no Gather)
    x, idx = rng.normal(size=12), rng.integers(0, 5, 12)
    assert_sparse_right(masked, 0, x, idx, preaccumulate='always')
    jac = sg.jacobian(masked, 0, sparse=True)
    jac.preaccumulate = 'always'
    assert jac.plan(x, idx).local is None


@pytest.mark.parametrize('seed', range(12))
def test_random_programs_with_gathers_equal_dense(seed):
    """Programs of gathers of 1-D and 2-D arguments by random (repeated) indices,
    composed with elementwise ops, reductions and direct uses."""
    rng = np.random.default_rng(100 + seed)
    unary = [np.sin, np.tanh, np.exp, lambda v: v * v, lambda v: 1.0 / (1.0 + v * v)]
    f1, f2, f3 = (unary[i] for i in rng.integers(0, len(unary), 3))
    direct = bool(rng.integers(0, 2))
    reduce = bool(rng.integers(0, 2))

    def program(x, Y, idx, jdx):
        a = f1(x[idx])
        B = f2(Y[jdx])
        out = a[:, None] * B + f3(Y[idx % len(Y)])
        if reduce:
            out = np.sum(out, axis=1)
        if direct:
            out = out * np.sum(np.cos(x))
        return out

    n = int(rng.integers(2, 6))
    x, Y = rng.normal(size=n), rng.normal(size=(int(rng.integers(2, 5)), 3))
    idx, jdx = rng.integers(0, n, 15), rng.integers(0, len(Y), 15)
    for wrt in (0, 1, (0, 1)):
        assert_sparse_right(program, wrt, x, Y, idx, jdx)
        assert_sparse_right(program, wrt, x, Y, idx, jdx, preaccumulate='always')
        jac = sg.jacobian(program, wrt, sparse=True)
        jac.preaccumulate = 'always'
        assert jac.plan(x, Y, idx, jdx).local is not None


def _added_in_place(x, idx):
    c = x[idx]
    c += 1.0
    return c * x[idx]


def _written_through_a_name(x, idx):
    c = x[idx]
    e = c
    e[0] = 5.0
    return c * 2.0


def _written_through_a_part(x, idx):
    c = x[idx]
    v = c[:, 0]
    v[1] = 3.0
    return c * 2.0


def _returned(x, idx):
    return x[idx]


@pytest.mark.parametrize('fn', [_added_in_place, _written_through_a_name,
                                _written_through_a_part, _returned])
def test_gathers_written_after_are_not_preaccumulated(fn):
    x, idx = RNG.normal(size=(5, 3)), np.array([0, 4, 4, 2])
    assert_sparse_right(fn, 0, x, idx, preaccumulate='always')
    jac = sg.jacobian(fn, 0, sparse=True)
    jac.preaccumulate = 'always'
    assert (jac.plan(x, idx).local is not None) == (fn is _returned)
