"""The spellings of one computation give one specialised gradient.

`np.dot(a, b)`, `a @ b`, `a.dot(b)` and `np.matmul(a, b)` of vectors and
matrices; `x ** 2`, `x * x` and `np.square(x)`; `np.sum(x)` and `x.sum()`; a
reduction's axis by name or position, negative or not, kept or put back by
`[:, None]` or `np.expand_dims`; `x.shape[0]` and `len(x)`; helpers inlined: in
a call's specialisation (shapes known) each spelling of a workload runs the
same code, up to the names of values, and each gives the right gradient.
"""
import ast
import builtins
import re

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads


# ---------------------------------------------------------------- an MLP layer

def layer_at(W, b, x):
    return np.sum(np.tanh(x @ W + b))


def layer_dot(W, b, x):
    return np.sum(np.tanh(np.dot(x, W) + b))


def layer_method(W, b, x):
    return np.tanh(x.dot(W) + b).sum()


def layer_matmul(W, b, x):
    return np.tanh(np.matmul(x, W) + b).sum()


def layer_inputs(rng):
    return rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(5, 3))


# ------------------------------------------------- a softmax cross-entropy (MLP)

def xent_at(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def xent_dot(W1, b1, W2, b2, x, y):
    h = np.tanh(np.dot(x, W1) + b1)
    z = np.dot(h, W2) + b2
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -(y * logp).sum() / x.shape[0]


def xent_method(W1, b1, W2, b2, x, y):
    h = np.tanh(x.dot(W1) + b1)
    z = h.dot(W2) + b2
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def xent_matmul(W1, b1, W2, b2, x, y):
    h = np.tanh(np.matmul(x, W1) + b1)
    z = np.matmul(h, W2) + b2
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def xent_broadcast_back(W1, b1, W2, b2, x, y):
    h = np.tanh(np.matmul(x, W1) + b1)
    z = np.matmul(h, W2) + b2
    z = z - np.max(z, axis=1)[:, None]
    logp = z - np.log(np.sum(np.exp(z), axis=1))[:, None]
    return -np.sum(y * logp) / x.shape[0]


def xent_positional(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, 1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1))[:, np.newaxis]
    return -np.sum(y * logp) / x.shape[0]


def xent_last_axis(W1, b1, W2, b2, x, y):
    h = np.tanh(x.dot(W1) + b1)
    z = h.dot(W2) + b2
    z = z - np.expand_dims(z.max(axis=-1), -1)
    logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def dense(x, W, b):
    return x.dot(W) + b


def log_softmax(z):
    z = z - np.max(z, axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def xent_layers(W1, b1, W2, b2, x, y):
    h = np.tanh(dense(x, W1, b1))
    logp = log_softmax(dense(h, W2, b2))
    return -(y * logp).sum() / len(x)


def xent_inputs(rng):
    y = np.zeros((5, 3))
    y[np.arange(5), rng.integers(0, 3, size=5)] = 1.0
    return (rng.normal(size=(4, 6)), rng.normal(size=6), rng.normal(size=(6, 3)),
            rng.normal(size=3), rng.normal(size=(5, 4)), y)


# ------------------------------------------------------------- an RNN step loop

def rnn_at(W, U, b, V, xs, h, t):
    for x in xs:
        h = np.tanh(h @ W + x @ U + b)
    return 0.5 * np.sum((h @ V - t) ** 2)


def rnn_dot(W, U, b, V, xs, h, t):
    for x in xs:
        h = np.tanh(np.dot(h, W) + np.dot(x, U) + b)
    return 0.5 * np.sum((np.dot(h, V) - t) ** 2)


def rnn_method(W, U, b, V, xs, h, t):
    for x in xs:
        h = np.tanh(h.dot(W) + x.dot(U) + b)
    r = h.dot(V) - t
    return 0.5 * (r * r).sum()


def rnn_matmul(W, U, b, V, xs, h, t):
    for x in xs:
        h = np.tanh(np.matmul(h, W) + np.matmul(x, U) + b)
    return 0.5 * np.square(np.matmul(h, V) - t).sum()


def rnn_inputs(rng):
    return (rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(3, 4)), rng.normal(size=4),
            rng.normal(size=(4, 2)), rng.normal(size=(6, 2, 3)), rng.normal(size=(2, 4)),
            rng.normal(size=(2, 2)))


# ---------------------------------------------------------- an elementwise loss

def loss_pow(w, x, y):
    r = np.tanh(w * x + np.sin(w)) - y
    return np.sum(np.log1p(r ** 2)) + 0.5 * np.sum(np.exp(-w ** 2))


def loss_mul(w, x, y):
    r = np.tanh(w * x + np.sin(w)) - y
    return np.log1p(r * r).sum() + 0.5 * np.exp(-(w * w)).sum()


def loss_square(w, x, y):
    r = np.tanh(w * x + np.sin(w)) - y
    return np.sum(np.log1p(np.square(r))) + 0.5 * np.exp(-np.square(w)).sum()


def loss_inputs(rng):
    return rng.normal(size=7), rng.normal(size=7), rng.uniform(-1.0, 1.0, size=7)


# ---------------------------------------------------- vectors: dot products

def vectors_at(v, A, u):
    return (A @ v) @ u + v @ v


def vectors_dot(v, A, u):
    return np.dot(np.dot(A, v), u) + np.dot(v, v)


def vectors_method(v, A, u):
    return A.dot(v).dot(u) + v.dot(v)


def vectors_inputs(rng):
    return rng.normal(size=3), rng.normal(size=(4, 3)), rng.normal(size=4)


WORKLOADS = {
    'layer': ((layer_at, layer_dot, layer_method, layer_matmul), layer_inputs, (0, 1)),
    'xent': ((xent_at, xent_dot, xent_method, xent_matmul, xent_broadcast_back,
              xent_positional, xent_last_axis, xent_layers), xent_inputs, (0, 1, 2, 3)),
    'rnn': ((rnn_at, rnn_dot, rnn_method, rnn_matmul), rnn_inputs, (0, 1, 2, 3)),
    'loss': ((loss_pow, loss_mul, loss_square), loss_inputs, (0,)),
    'vectors': ((vectors_at, vectors_dot, vectors_method), vectors_inputs, (0, 1)),
}


def normalised(source):
    """`source` without comments and docstring, each name that is not a global of
    generated code renamed by its first appearance: `v0`, `v1`, ..."""
    tree = ast.parse(source)
    function = tree.body[0]
    function.name = 'f'
    if isinstance(function.body[0], ast.Expr) and \
            isinstance(function.body[0].value, ast.Constant):
        function.body = function.body[1:]
    names = {}

    def rename(name):
        if name == 'np' or name.startswith('_sg_') or hasattr(builtins, name):
            return name
        return names.setdefault(name, f'v{len(names)}')

    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.id = rename(node.id)
        elif isinstance(node, ast.arg):
            node.arg = rename(node.arg)
    return ast.unparse(tree)


def specialised(fn, args, wrt):
    return sg.grad(fn, wrt=wrt).compiled_for(args).generated.source


@pytest.mark.parametrize('workload', sorted(WORKLOADS))
def test_every_spelling_runs_the_same_specialised_code(workload):
    spellings, make_inputs, wrt = WORKLOADS[workload]
    args = make_inputs(np.random.default_rng(0))
    first = specialised(spellings[0], args, wrt)
    for fn in spellings[1:]:
        source = specialised(fn, args, wrt)
        assert normalised(source) == normalised(first), \
            f'{fn.__name__}:\n{source}\n{spellings[0].__name__}:\n{first}'


@pytest.mark.parametrize('fn', [fn for spellings, _, _ in WORKLOADS.values()
                                for fn in spellings], ids=lambda fn: fn.__name__)
def test_every_spelling_has_the_right_gradient(fn):
    workload = fn.__name__.split('_')[0]
    _, make_inputs, wrt = WORKLOADS[workload]
    args = make_inputs(np.random.default_rng(1))
    # (second derivatives through loops are not supported: first order there)
    check_grads(fn, *args, wrt=wrt, order=2)


def test_matrix_products_read_as_numpy():
    """The specialised gradient of a layer written with np.dot spells its products as
    a person does: `dz @ W.T`, `x.T @ dz`, the bias summed with a method."""
    source = specialised(xent_dot, xent_inputs(np.random.default_rng(0)), (0, 1, 2, 3))
    assert '_sg_' not in re.sub(r'_sg_cast_like', '', source), source
    assert re.search(r'\w+ @ W2\.T', source) and re.search(r'h\.T @ \w+', source), source
    assert re.search(r'\w+\.sum\(axis=0\)', source), source


def xent_mean_of_rows(W1, b1, W2, b2, x, y):
    h = np.tanh(np.dot(x, W1) + b1)
    z = np.dot(h, W2) + b2
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -np.mean(np.sum(y * logp, axis=1))


def test_the_softmax_gradient_reads_as_a_person_writes_it():
    """The mean of row sums scales the labels by a number (no broadcast of it, and so no
    forward `logp` computed for its shape); log-softmax's two terms are subtracted,
    not a negated row sum added."""
    args = xent_inputs(np.random.default_rng(0))
    for fn in (xent_at, xent_mean_of_rows):
        source = specialised(fn, args, (0, 1, 2, 3))
        code = re.sub(r'#.*', '', source)
        assert 'broadcast_to' not in code and 'expand_dims' not in code, source
        assert not re.search(r'\blogp =', code) and not re.search(r'-\w+\.sum\(', code), source
        check_grads(fn, *args, wrt=(0, 1, 2, 3), order=2)


# ------------------------------------- what the analyses know of each spelling

def statistics_function(x):
    return np.var(x, axis=0) @ x.std(axis=0) + x.var() * np.std(x)


def statistics_method(x):
    return x.var(axis=0) @ np.std(x, axis=0) + np.var(x) * x.std()


def running_function(x, w):
    return np.sum(np.cumsum(x, axis=0) * w) + np.sum(np.cumprod(x) * w.ravel())


def running_method(x, w):
    return (x.cumsum(axis=0) * w).sum() + (x.cumprod() * w.ravel()).sum()


@pytest.mark.parametrize('spellings, args', [
    ((statistics_function, statistics_method), (np.arange(1.0, 7.0).reshape(2, 3),)),
    ((running_function, running_method), (np.linspace(0.5, 1.5, 6).reshape(3, 2),
                                          np.linspace(-1.0, 1.0, 6).reshape(3, 2))),
])
def test_function_and_method_spellings_of_reductions_agree(spellings, args):
    """np.var / x.var, np.std / x.std, np.cumsum / x.cumsum: one specialised code, the
    reductions written as methods, nothing summed back at run time."""
    sources = [specialised(fn, args, 0) for fn in spellings]
    assert normalised(sources[0]) == normalised(sources[1]), sources
    assert '_sg_unbroadcast' not in sources[0], sources[0]
    for fn in spellings:
        check_grads(fn, *args)


def shapes_of(fn, *args):
    """The shape the analysis knows of each value `fn`'s graph defines, by hint."""
    from s2sgrad.analyses.shapes import ShapeClasses
    graph = sg.graph(fn).graph
    classes = ShapeClasses(graph.body.ops, shapes={
        p.value: np.shape(a) for p, a in zip(graph.params, args)})
    return {v.hint: classes.shape_of(v) for v in classes.classes}


def settled(x, y, z):
    v0 = np.var(x, axis=0)
    v1 = x.std(axis=1, keepdims=True)
    c0 = np.cumsum(x, axis=1)
    c1 = x.cumprod()
    a3 = np.atleast_3d(y)
    cp = np.copy(x)
    d = np.dot(z, x.T)
    return v0, v1, c0, c1, a3, cp, d


def test_the_analyses_know_the_shapes_each_spelling_gives():
    x, y, z = np.ones((2, 3)), np.ones(5), np.ones((4, 2, 3))
    known = shapes_of(settled, x, y, z)
    want = dict(v0=(3,), v1=(2, 1), c0=(2, 3), c1=(6,), a3=(1, 5, 1), cp=(2, 3),
                d=(4, 2, 2))
    for name, shape in want.items():
        assert known[name] == shape, (name, known[name])
    # (and NumPy agrees)
    for name, value in zip(want, settled(x, y, z)):
        assert np.shape(value) == want[name], name


def test_np_dot_of_stacks_keeps_its_own_semantics():
    """np.dot of a 3-d operand is not matmul: kept as np.dot, and right."""
    def stacked(a, b):
        return np.sum(np.tanh(np.dot(a, b)))

    a, b = np.linspace(-1, 1, 24).reshape(2, 3, 4), np.linspace(0, 1, 40).reshape(2, 4, 5)
    source = specialised(stacked, (a, b), (0, 1))
    assert 'np.dot(' in source and ' @ ' not in source, source
    check_grads(stacked, a, b, wrt=(0, 1))


def test_powers_of_scalars_are_left_as_written():
    """x ** 2 of a NumPy or Python scalar is C's pow, not x * x: kept."""
    def scalar_square(w, s):
        return np.sum(w * s ** 2)

    source = specialised(scalar_square, (np.ones(3), 0.5), (0, 1))
    assert 's ** 2' in source, source


# ---- a method of a constant array (a module global) ----------------------------------
L_GLOBAL = np.array([[2.0, 1.0, 0.0], [0.5, 3.0, -1.0]])


def global_matrix_method(q):
    return np.sum(np.tanh(L_GLOBAL.dot(q)) ** 2) + L_GLOBAL.sum(axis=0) @ q


def global_matrix_operator(q):
    return np.sum(np.tanh(L_GLOBAL @ q) ** 2) + np.sum(L_GLOBAL, axis=0) @ q


def test_a_method_of_a_global_array_is_its_numpy_function():
    q = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(sg.grad(global_matrix_method)(q),
                               sg.grad(global_matrix_operator)(q), rtol=1e-12)
    check_grads(global_matrix_method, q)
    assert sg.graph(global_matrix_method)(q) == pytest.approx(global_matrix_method(q))
    # the generated code reads the array itself: a change in place is seen
    saved = L_GLOBAL.copy()
    try:
        L_GLOBAL[...] = 2.0 * saved
        np.testing.assert_allclose(sg.grad(global_matrix_method)(q),
                                   sg.grad(global_matrix_operator)(q), rtol=1e-12)
    finally:
        L_GLOBAL[...] = saved


def global_dot_method(q):
    return np.sum(np.tanh(L_GLOBAL.dot(q)) ** 2)


def global_dot_function(q):
    return np.sum(np.tanh(np.dot(L_GLOBAL, q)) ** 2)


def global_dot_operator(q):
    return np.sum(np.tanh(L_GLOBAL @ q) ** 2)


def test_a_product_with_a_global_array_runs_the_same_code_in_every_spelling():
    q = (np.array([0.3, -0.7, 1.1]),)
    first = specialised(global_dot_operator, q, 0)
    assert '_sg_' not in first.split('"""')[-1].replace('_sg_cast_like', '')
    for fn in (global_dot_method, global_dot_function):
        assert normalised(specialised(fn, q, 0)) == normalised(first), specialised(fn, q, 0)
        check_grads(fn, *q)


def pairwise_sum(X, eps):
    D = X[:, None, :] - X
    r2 = np.sum(D * D, axis=2)
    return 0.5 * np.sum(1.0 / np.sqrt(r2 + eps))


def pairwise_einsum(X, eps):
    D = X[:, None, :] - X
    r2 = np.einsum('ijk,ijk->ij', D, D)
    return 0.5 * np.sum(1.0 / np.sqrt(r2 + eps))


def adjoint_lines(source):
    """The generated lines after the gradient's marker, without comments."""
    lines = source.split('# ---- grad of')[1].splitlines()[1:]
    return [line.strip() for line in lines if not line.strip().startswith('#')]


def test_the_gradient_of_einsum_of_one_operand_twice_is_that_of_its_product_and_sum():
    """np.einsum('ijk,ijk->ij', D, D) gets the adjoint np.sum(D * D, axis=2) gets: one
    term, twice, as a product written into D (no einsum, no second (N, N, 3)
    term), and the differences' sum over the middle axis by einsum."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    sources = [sg.grad(fn, wrt=0).source_for(X, 0.01) for fn in (pairwise_sum, pairwise_einsum)]
    assert adjoint_lines(sources[0]) == adjoint_lines(sources[1]), sources
    assert 'dD *= dr2[..., None] * 2.0' in sources[1], sources[1]
    assert "dX_2 = np.einsum('ijk->ik', dD)" in sources[1], sources[1]
    for fn in (pairwise_sum, pairwise_einsum):
        check_grads(fn, X, 0.01, wrt=0, order=1)


def shifted_energy(x, y):
    D = np.sin(x[:, None, :] - y[None, :, :])
    return np.sum(D * D * D)


def test_a_sum_back_over_a_middle_axis_is_einsum_and_right():
    """Summing a big (N, M, K) gradient back over axis 1 is np.einsum('ijk->ik', d)
    (NumPy's sum loops over the short K for every (i, j)), and over axis 0 a sum;
    the reshape after a kept axis goes.  Small arrays keep np.sum."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(20, 12)), rng.normal(size=(30, 12))
    source = sg.grad(shifted_energy, wrt=(0, 1)).source_for(x, y)
    assert "np.einsum('ijk->ik'," in source and '.sum(axis=0)' in source, source
    assert 'keepdims' not in source and 'reshape' not in source, source
    check_grads(shifted_energy, x, y, order=1)
    check_grads(shifted_energy, x[:3], y[:2], order=2)
    small = sg.grad(shifted_energy, wrt=(0, 1)).source_for(x[:3], y[:2])
    assert 'einsum' not in small, small
