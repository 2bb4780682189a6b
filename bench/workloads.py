"""The workloads of the performance benchmark (see bench/README.md).

Each workload is a plain NumPy function in its own module-level `def` (s2sgrad
reads its source), a hand-written NumPy gradient written the way a careful
person would write it (fused where natural: tanh through its output, the
softmax cross-entropy's `p - y`), and an input generator seeded with
`np.random.default_rng`.  The hand gradient returns a tuple, one entry per
argument in `wrt`, in that order.

The long generated function (h) is written into a temporary module file when
it is asked for (`long_function(n_lines)`) and imported from there, so that
s2sgrad reads it like any other source file.
"""
import atexit
import dataclasses
import importlib.util
import math
import os
import shutil
import sys
import tempfile

import numpy as np


@dataclasses.dataclass
class Workload:
    name: str
    letter: str
    title: str              # one line for the table and the README
    fn: object              # the NumPy function (loss)
    hand: object            # hand-written gradient: same arguments, tuple of gradients
    make_inputs: object     # rng -> tuple of arguments
    wrt: tuple              # indices of the arguments differentiated
    memory: bool = True     # measure peak memory of a gradient call
    targets: dict = dataclasses.field(default_factory=dict)  # {'hand': 1.1} / {'forward': 2.5}
    lines: int = 0          # for the long generated function: lines of its body
    skip_peers: dict = dataclasses.field(default_factory=dict)     # peer -> why not measured


# ---------------------------------------------------------------- (a) scalars

def scalar_chain(x, y, z):
    a = x * y
    b = math.sin(a) + z
    c = b * x
    d = math.exp(-c)
    e = d + y * y
    f = math.log(e) / z
    g = math.tanh(f)
    return g * e


def scalar_chain_grad(x, y, z):
    a = x * y
    b = math.sin(a) + z
    c = b * x
    d = math.exp(-c)
    e = d + y * y
    f = math.log(e) / z
    g = math.tanh(f)
    # return g * e
    df = e * (1.0 - g * g)
    de = g + df / (z * e)
    dz = -df * f / z
    dc = -de * d
    db = dc * x
    dx = dc * b
    da = db * math.cos(a)
    return dx + da * y, de * 2.0 * y + da * x, dz + db


def scalar_chain_inputs(rng):
    return tuple(float(v) for v in rng.uniform(0.5, 1.5, size=3))


# ------------------------------------------------------- (b), (c) tanh MLPs

def mlp_small(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def mlp_small_grad(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    dz = p - y                          # rows of y sum to one
    dz /= x.shape[0]
    dh = dz @ W2.T
    dh *= 1.0 - h * h
    return x.T @ dh, dh.sum(axis=0), h.T @ dz, dz.sum(axis=0)


def _one_hot(rng, batch, classes):
    y = np.zeros((batch, classes))
    y[np.arange(batch), rng.integers(0, classes, size=batch)] = 1.0
    return y


def _layer(rng, n_in, n_out):
    return rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, n_out)), rng.normal(0.0, 0.1, size=n_out)


def mlp_small_inputs(rng):
    W1, b1 = _layer(rng, 64, 128)
    W2, b2 = _layer(rng, 128, 10)
    return W1, b1, W2, b2, rng.normal(size=(32, 64)), _one_hot(rng, 32, 10)


def mlp_large(W1, b1, W2, b2, W3, b3, x, y):
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    z = h2 @ W3 + b3
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def mlp_large_grad(W1, b1, W2, b2, W3, b3, x, y):
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    z = h2 @ W3 + b3
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    dz = p - y
    dz /= x.shape[0]
    dh2 = dz @ W3.T
    dh2 *= 1.0 - h2 * h2
    dh1 = dh2 @ W2.T
    dh1 *= 1.0 - h1 * h1
    return (x.T @ dh1, dh1.sum(axis=0), h1.T @ dh2, dh2.sum(axis=0),
            h2.T @ dz, dz.sum(axis=0))


def mlp_large_inputs(rng):
    W1, b1 = _layer(rng, 1024, 1024)
    W2, b2 = _layer(rng, 1024, 1024)
    W3, b3 = _layer(rng, 1024, 10)
    return W1, b1, W2, b2, W3, b3, rng.normal(size=(256, 1024)), _one_hot(rng, 256, 10)


# ------------------------------------------------------------ (d) RNN loop

def rnn(W, U, b, V, xs, h, t):
    for x in xs:
        h = np.tanh(h @ W + x @ U + b)
    return 0.5 * np.sum((h @ V - t) ** 2)


def rnn_grad(W, U, b, V, xs, h, t):
    hs = [h]
    for x in xs:
        h = np.tanh(h @ W + x @ U + b)
        hs.append(h)
    r = h @ V - t
    dV = h.T @ r
    dh = r @ V.T
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    for i in range(len(xs) - 1, -1, -1):
        h = hs[i + 1]
        da = dh * (1.0 - h * h)
        dW += hs[i].T @ da
        dU += xs[i].T @ da
        db += da.sum(axis=0)
        dh = da @ W.T
    return dW, dU, db, dV


def rnn_inputs(rng, steps=50, batch=16, n_in=32, hidden=64, n_out=8):
    W = rng.normal(0.0, 0.9 / np.sqrt(hidden), size=(hidden, hidden))
    U = rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, hidden))
    b = rng.normal(0.0, 0.1, size=hidden)
    V = rng.normal(0.0, 1.0 / np.sqrt(hidden), size=(hidden, n_out))
    xs = rng.normal(size=(steps, batch, n_in))
    h = rng.normal(0.0, 0.1, size=(batch, hidden))
    t = rng.normal(size=(batch, n_out))
    return W, U, b, V, xs, h, t


# ----------------------------------------------- (e) elementwise, 10^6 elements

def elementwise(w, x, y):
    z = w * x + np.sin(w)
    r = np.tanh(z) - y
    return np.sum(np.log1p(r * r)) + 0.5 * np.sum(np.exp(-w * w))


def elementwise_grad(w, x, y):
    t = np.tanh(w * x + np.sin(w))
    r = t - y
    g = 2.0 * r / (1.0 + r * r)
    g *= 1.0 - t * t
    g *= x + np.cos(w)
    g -= w * np.exp(-w * w)
    return (g,)


def elementwise_inputs(rng, n=10 ** 6):
    return rng.normal(size=n), rng.normal(size=n), rng.uniform(-1.0, 1.0, size=n)


# ------------------------------------------- (f) explicit-Euler while loop

def euler(q, v, k, c, L, dt, T):
    t = 0.0
    while t < T:
        a = L @ q - k * q - c * v - 0.1 * q ** 3
        q = q + dt * v
        v = v + dt * a
        t = t + dt
    return np.sum(q * q) + 0.5 * np.sum(v * v)


def euler_grad(q, v, k, c, L, dt, T):
    qs, vs = [], []
    t = 0.0
    while t < T:
        qs.append(q)
        vs.append(v)
        a = L @ q - k * q - c * v - 0.1 * q ** 3
        q = q + dt * v
        v = v + dt * a
        t = t + dt
    dq, dv = 2.0 * q, v
    dk, dc = np.zeros_like(k), 0.0
    LT = L.T
    for q, v in zip(reversed(qs), reversed(vs)):
        da = dt * dv
        dk -= da * q
        dc -= da @ v
        dq, dv = dq + LT @ da - (k + 0.3 * q * q) * da, dv - c * da + dt * dq
    return dq, dv, dk, float(dc)


def euler_inputs(rng, n=8):
    """A chain of n masses (state 2n), coupled by springs, damped, anharmonic."""
    L = -2.0 * np.eye(n) + np.eye(n, k=1) + np.eye(n, k=-1)
    return (rng.normal(size=n), rng.normal(size=n), rng.uniform(0.5, 1.5, size=n),
            float(rng.uniform(0.05, 0.2)), L, 0.01, 3.0)


# ------------------------------------------------- (g) pairwise interaction

def pairwise(X, eps):
    D = X[:, None, :] - X[None, :, :]
    r2 = np.sum(D * D, axis=-1)
    return 0.5 * np.sum(1.0 / np.sqrt(r2 + eps))


def pairwise_grad(X, eps):
    # |x_i - x_j|^2 from the Gram matrix: no (N, N, 3) temporaries.
    sq = np.sum(X * X, axis=1)
    G = X @ X.T
    G *= -2.0
    G += sq[:, None]
    G += sq[None, :] + eps
    G **= -1.5                          # -4 dE/dr2_ij
    return (G @ X - G.sum(axis=1)[:, None] * X,)


def pairwise_inputs(rng, n=128):
    return rng.uniform(0.0, 1.0, size=(n, 3)), 0.01


# -------------------------------------- (h) long generated straight-line code

# Each line combines the previous value `a` with an earlier one `b`; all keep
# values bounded by the inputs' magnitude.  (forward, adjoint) templates: the
# adjoint accumulates into da / db (fresh arrays, never in place).
_LINE_KINDS = [
    ('{v} = np.tanh({a} + {b})',
     ['_t = {dv} * (1.0 - {v} * {v})'], '_t', '_t'),
    ('{v} = np.sin({a}) * {b}',
     [], '{dv} * {b} * np.cos({a})', '{dv} * np.sin({a})'),
    ('{v} = {a} * np.cos({b})',
     [], '{dv} * np.cos({b})', '-({dv} * {a} * np.sin({b}))'),
    ('{v} = 0.5 * ({a} - {b})',
     [], '0.5 * {dv}', '-0.5 * {dv}'),
    ('{v} = np.tanh({a} * {b})',
     ['_t = {dv} * (1.0 - {v} * {v})'], '_t * {b}', '_t * {a}'),
]

N_LONG_INPUTS = 4
LONG_SIZE = 16


def long_function_source(n_lines, seed=0):
    """Source of `long_<n>(x0, .., x3)` (n_lines statements) and of its hand gradient."""
    rng = np.random.default_rng(seed)
    inputs = [f'x{i}' for i in range(N_LONG_INPUTS)]
    names = list(inputs)
    lines = []                          # (kind, v, a, b)
    prev = inputs[0]
    for i in range(n_lines - 1):
        v = f'v{i}'
        if i < N_LONG_INPUTS - 1:
            b = inputs[i + 1]
        else:
            b = names[int(rng.integers(max(0, len(names) - 24), len(names)))]
        lines.append((int(rng.integers(len(_LINE_KINDS))), v, prev, b))
        names.append(v)
        prev = v
    name = f'long_{n_lines}'
    args = ', '.join(inputs)
    out = ['import numpy as np', '', '', f'def {name}({args}):']
    for kind, v, a, b in lines:
        out.append('    ' + _LINE_KINDS[kind][0].format(v=v, a=a, b=b))
    out.append(f'    return np.sum({prev})')
    # the hand gradient: the same forward, then one adjoint block per line
    out += ['', '', f'def {name}_grad({args}):']
    for kind, v, a, b in lines:
        out.append('    ' + _LINE_KINDS[kind][0].format(v=v, a=a, b=b))
    have = {prev}
    out.append(f'    d{prev} = np.ones_like({prev})')
    for kind, v, a, b in reversed(lines):
        if v not in have:               # not reached (cannot happen: each line feeds the next)
            continue
        _, pre, ga, gb = _LINE_KINDS[kind]
        fmt = dict(v=v, a=a, b=b, dv='d' + v)
        for p in pre:
            out.append('    ' + p.format(**fmt))
        for target, g in ((a, ga), (b, gb)):
            g = g.format(**fmt)
            if target in have:
                out.append(f'    d{target} = d{target} + {g}')
            else:
                out.append(f'    d{target} = {g}')
                have.add(target)
    grads = ', '.join(f'd{x}' if x in have else f'np.zeros_like({x})' for x in inputs)
    out.append(f'    return {grads}')
    return '\n'.join(out) + '\n', name


_tmpdir = None


def _module_dir():
    global _tmpdir
    if _tmpdir is None:
        _tmpdir = tempfile.mkdtemp(prefix='s2sgrad-bench-')
        atexit.register(shutil.rmtree, _tmpdir, True)
    return _tmpdir


def long_function(n_lines, seed=0):
    """The long workload: generated into a temporary module file and imported."""
    source, name = long_function_source(n_lines, seed)
    modname = f'_s2sgrad_bench_{name}_{seed}'
    path = os.path.join(_module_dir(), modname + '.py')
    with open(path, 'w') as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)

    def inputs(rng):
        return tuple(rng.uniform(-1.0, 1.0, size=LONG_SIZE) for _ in range(N_LONG_INPUTS))

    return Workload(
        'long', 'h', f'long generated function, {n_lines} lines, {N_LONG_INPUTS} x ({LONG_SIZE},)',
        getattr(module, name), getattr(module, name + '_grad'), inputs,
        tuple(range(N_LONG_INPUTS)), memory=False, targets={}, lines=n_lines,
        skip_peers={} if n_lines <= 200 else {
            'tangent': 'its transform takes ~5 s at 200 lines, ~60 s at 800',
            'jax': 'jax.jit(grad) compiles in ~1.3 s at 200 lines, ~2.7 s at 400, '
                   'and had not finished after 5 min at 800'})


# ------------------------------------------------------------------ registry

LONG_LINES = 800            # the size in the main table
LONG_SCALING = (200, 400, 800, 1600)


def workloads(long_lines=LONG_LINES):
    """All workloads, in table order."""
    return [
        Workload('scalar', 'a', 'chain of 12 scalar ops on Python floats',
                 scalar_chain, scalar_chain_grad, scalar_chain_inputs, (0, 1, 2),
                 memory=False, targets={'hand': 1.5}),
        Workload('mlp_small', 'b', 'tanh MLP 64-128-10 + softmax xent, batch 32',
                 mlp_small, mlp_small_grad, mlp_small_inputs, (0, 1, 2, 3),
                 targets={'hand': 1.10}),
        Workload('mlp_large', 'c', 'tanh MLP 1024-1024-1024-10 + softmax xent, batch 256',
                 mlp_large, mlp_large_grad, mlp_large_inputs, (0, 1, 2, 3, 4, 5),
                 targets={'hand': 1.10}),
        Workload('rnn', 'd', 'tanh RNN, 50 steps, batch 16, in 32, hidden 64',
                 rnn, rnn_grad, rnn_inputs, (0, 1, 2, 3), targets={'hand': 1.10}),
        Workload('elementwise', 'e', 'elementwise loss over 10^6 elements',
                 elementwise, elementwise_grad, elementwise_inputs, (0,),
                 targets={'hand': 1.10}),
        Workload('euler', 'f', 'explicit-Euler while loop, 300 steps, state 16',
                 euler, euler_grad, euler_inputs, (0, 1, 2, 3), targets={'hand': 1.10},
                 skip_peers={'jax': 'jax.jit unrolls the Python while loop; compiling its '
                                    'gradient ran >10 min and took >20 GB here'}),
        Workload('pairwise', 'g', 'pairwise energy, N=128 in 3-d, (N,N,3) broadcast',
                 pairwise, pairwise_grad, pairwise_inputs, (0,), targets={'forward': 2.5}),
        long_function(long_lines),
    ]
