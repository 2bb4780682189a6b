"""The workloads of the performance benchmark (see bench/README.md).

Each workload is written several times, in the spellings a user might write
(`Spelling`): each spelling is a plain NumPy function in its own module-level
`def` (s2sgrad reads its source) and computes the same function of the same
inputs.  A workload has one hand-written NumPy gradient, written the way a
careful person would write it (fused where natural: tanh through its output,
the softmax cross-entropy's `p - y`), and one input generator seeded with
`np.random.default_rng`.  The hand gradient returns a tuple, one entry per
argument in `wrt`, in that order.

A spelling may take fewer arguments than the inputs (`nargs`): the trailing
constants are then its module globals or default arguments, with the values
the generator gives.  A spelling may take other argument types (`types`, for
the scalar chain): the inputs are converted, and the hand gradient is called
with the same converted arguments.

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

# Argument types a spelling may take in place of the generator's Python floats.
CONVERSIONS = {
    'np.float64': lambda args: tuple(np.float64(a) for a in args),
    '0-d array': lambda args: tuple(np.array(a) for a in args),
}


@dataclasses.dataclass
class Spelling:
    key: str                # short, no spaces, unique within its workload: its label
    fn: object              # the NumPy function (loss)
    note: str = ''          # what differs from the first spelling, for the tables
    nargs: int = None       # takes the first nargs inputs; the rest are its globals or defaults
    types: str = None       # a key of CONVERSIONS: the argument types it is called with

    def args(self, inputs):
        """The arguments of a call of this spelling (hand gradient: `hand_args`)."""
        return self.hand_args(inputs)[:self.nargs]

    def hand_args(self, inputs):
        """The inputs in this spelling's argument types: what the hand gradient takes."""
        return CONVERSIONS[self.types](inputs) if self.types else tuple(inputs)


@dataclasses.dataclass
class Workload:
    name: str
    letter: str
    title: str              # one line for the table and the README
    spellings: tuple        # Spelling, the first the reference (--peer-spellings first)
    hand: object            # hand-written gradient: all the inputs, tuple of gradients
    make_inputs: object     # rng -> tuple of arguments
    wrt: tuple              # indices of the arguments differentiated
    memory: bool = True     # measure peak memory of a gradient call
    targets: dict = dataclasses.field(default_factory=dict)  # {'hand': 1.1} / {'forward': 2.0}
    lines: int = 0          # for the long generated function: lines of its body
    skip_peers: dict = dataclasses.field(default_factory=dict)     # peer -> why not measured

    @property
    def fn(self):
        """The reference spelling's function."""
        return self.spellings[0].fn


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


def scalar_chain_np(x, y, z):
    a = x * y
    b = np.sin(a) + z
    c = b * x
    d = np.exp(-c)
    e = d + y ** 2
    f = np.log(e) / z
    g = np.tanh(f)
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


SCALAR_SPELLINGS = (
    Spelling('float', scalar_chain, 'math.sin etc. on Python floats'),
    Spelling('np.float64', scalar_chain, 'math.sin etc. on np.float64 scalars', types='np.float64'),
    Spelling('0-d', scalar_chain, 'math.sin etc. on 0-d arrays', types='0-d array'),
    Spelling('np.sin/float', scalar_chain_np, 'np.sin etc., y ** 2, on Python floats'),
    Spelling('np.sin/np.float64', scalar_chain_np, 'np.sin etc. on np.float64 scalars',
             types='np.float64'),
    Spelling('np.sin/0-d', scalar_chain_np, 'np.sin etc. on 0-d arrays', types='0-d array'),
)


# ------------------------------------------------------- (b), (c) tanh MLPs

def dense(x, W, b):
    """A layer as a helper the loss calls."""
    return x.dot(W) + b


def log_softmax(z):
    z = z - np.max(z, axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def mlp_small(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def mlp_small_dot(W1, b1, W2, b2, x, y):
    h = np.tanh(np.dot(x, W1) + b1)
    z = np.dot(h, W2) + b2
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -np.mean(np.sum(y * logp, axis=1))


def mlp_small_layers(W1, b1, W2, b2, x, y):
    h = np.tanh(dense(x, W1, b1))
    logp = log_softmax(dense(h, W2, b2))
    return -(y * logp).sum() / len(x)


def mlp_small_matmul(W1, b1, W2, b2, x, y):
    n = x.shape[0]
    h = np.tanh(np.matmul(x, W1) + b1)
    z = np.matmul(h, W2) + b2
    z = z - np.max(z, axis=1)[:, None]
    logp = z - np.log(np.sum(np.exp(z), axis=1))[:, None]
    return -np.sum(y * logp) / n


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


def mlp_large_dot(W1, b1, W2, b2, W3, b3, x, y):
    h1 = np.tanh(np.dot(x, W1) + b1)
    h2 = np.tanh(np.dot(h1, W2) + b2)
    z = np.dot(h2, W3) + b3
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -np.mean(np.sum(y * logp, axis=1))


def mlp_large_layers(W1, b1, W2, b2, W3, b3, x, y):
    h = np.tanh(dense(x, W1, b1))
    h = np.tanh(dense(h, W2, b2))
    logp = log_softmax(dense(h, W3, b3))
    return -(y * logp).sum() / len(x)


def mlp_large_loop(W1, b1, W2, b2, W3, b3, x, y):
    h = x
    for W, b in ((W1, b1), (W2, b2)):
        h = np.tanh(np.matmul(h, W) + b)
    z = np.matmul(h, W3) + b3
    z = z - np.max(z, axis=1)[:, None]
    logp = z - np.log(np.sum(np.exp(z), axis=1))[:, None]
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


MLP_SMALL_SPELLINGS = (
    Spelling('@', mlp_small, 'x @ W, np.sum(...) / x.shape[0]'),
    Spelling('np.dot', mlp_small_dot, 'np.dot(x, W), z.max(...) methods, np.mean'),
    Spelling('layers', mlp_small_layers, 'helpers dense(x, W, b) with x.dot(W), log_softmax(z); '
             '.sum() / len(x)'),
    Spelling('np.matmul', mlp_small_matmul, 'np.matmul, reductions without keepdims '
             'broadcast back by [:, None], n = x.shape[0]'),
)
MLP_LARGE_SPELLINGS = (
    Spelling('@', mlp_large, MLP_SMALL_SPELLINGS[0].note),
    Spelling('np.dot', mlp_large_dot, MLP_SMALL_SPELLINGS[1].note),
    Spelling('layers', mlp_large_layers, MLP_SMALL_SPELLINGS[2].note),
    Spelling('loop', mlp_large_loop, 'for W, b in ((W1, b1), (W2, b2)), np.matmul, [:, None]'),
)


# ------------------------------------------------------------ (d) RNN loop

def rnn(W, U, b, V, xs, h, t):
    for x in xs:
        h = np.tanh(h @ W + x @ U + b)
    return 0.5 * np.sum((h @ V - t) ** 2)


def rnn_range(W, U, b, V, xs, h, t):
    for i in range(len(xs)):
        h = np.tanh(np.dot(h, W) + np.dot(xs[i], U) + b)
    r = np.dot(h, V) - t
    return 0.5 * np.sum(r * r)


def rnn_cell(h, x, W, U, b):
    return np.tanh(h.dot(W) + x.dot(U) + b)


def rnn_helper(W, U, b, V, xs, h, t):
    for x in xs:
        h = rnn_cell(h, x, W, U, b)
    return 0.5 * np.square(h.dot(V) - t).sum()


def rnn_while(W, U, b, V, xs, h, t):
    n = xs.shape[0]
    i = 0
    while i < n:
        h = np.tanh(np.matmul(h, W) + np.matmul(xs[i, :, :], U) + b)
        i += 1
    return 0.5 * np.sum(np.square(np.matmul(h, V) - t))


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


RNN_SPELLINGS = (
    Spelling('for-x', rnn, 'for x in xs, h @ W, (...) ** 2'),
    Spelling('range', rnn_range, 'for i in range(len(xs)) with xs[i], np.dot, r * r'),
    Spelling('helper', rnn_helper, 'a cell(h, x, W, U, b) helper with h.dot(W), '
             'np.square(...).sum()'),
    Spelling('while', rnn_while, 'while i < n with an int counter, xs[i, :, :], np.matmul'),
)


# ----------------------------------------------- (e) elementwise, 10^6 elements

PENALTY = 0.5


def elementwise(w, x, y):
    z = w * x + np.sin(w)
    r = np.tanh(z) - y
    return np.sum(np.log1p(r * r)) + 0.5 * np.sum(np.exp(-w * w))


def elementwise_pow(w, x, y):
    r = np.tanh(w * x + np.sin(w)) - y
    return np.log1p(r ** 2).sum() + 0.5 * np.exp(-w ** 2).sum()


def gaussian_penalty(w, scale):
    return scale * np.sum(np.exp(-np.square(w)))


def elementwise_helper(w, x, y, scale=0.5):
    r = np.tanh(w * x + np.sin(w)) - y
    loss = np.sum(np.log1p(np.square(r)))
    loss += gaussian_penalty(w, scale)
    return loss


def elementwise_global(w, x, y):
    r = np.tanh(x * w + np.sin(w)) - y
    return np.sum(np.log1p(np.power(r, 2))) + PENALTY * np.sum(np.exp(-(w * w)))


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


ELEMENTWISE_SPELLINGS = (
    Spelling('r*r', elementwise, 'r * r, np.sum, 0.5 in the body'),
    Spelling('**2', elementwise_pow, 'r ** 2, w ** 2, .sum() methods'),
    Spelling('helper', elementwise_helper, 'np.square, a penalty helper, scale=0.5 a default '
             'argument, loss += ...'),
    Spelling('global', elementwise_global, 'np.power(r, 2), PENALTY a module global'),
)


# ------------------------------------------- (f) explicit-Euler while loop

def chain_laplacian(n):
    return -2.0 * np.eye(n) + np.eye(n, k=1) + np.eye(n, k=-1)


EULER_MASSES = 8
EULER_L = chain_laplacian(EULER_MASSES)
EULER_DT = 1.0 / 128            # exact in binary: a float counter reaches T in exactly 300 steps
EULER_T = 300 * EULER_DT


def euler(q, v, k, c, L, dt, T):
    t = 0.0
    while t < T:
        a = L @ q - k * q - c * v - 0.1 * q ** 3
        q = q + dt * v
        v = v + dt * a
        t = t + dt
    return np.sum(q * q) + 0.5 * np.sum(v * v)


def euler_int(q, v, k, c, L, dt, T):
    n = int(T / dt)
    i = 0
    while i < n:
        a = np.dot(L, q) - k * q - c * v - 0.1 * q * q * q
        q, v = q + dt * v, v + dt * a
        i += 1
    return np.sum(q ** 2) + 0.5 * np.sum(v ** 2)


def euler_globals(q, v, k, c):
    t = 0.0
    while t < EULER_T:
        a = EULER_L.dot(q) - k * q - c * v - 0.1 * np.power(q, 3)
        q = q + EULER_DT * v
        v = v + EULER_DT * a
        t += EULER_DT
    return q.dot(q) + 0.5 * v.dot(v)


def acceleration(q, v, k, c, L):
    return np.matmul(L, q) - k * q - c * v - 0.1 * q ** 3


def euler_defaults(q, v, k, c, L=EULER_L, dt=EULER_DT, T=EULER_T):
    for _ in range(round(T / dt)):
        a = acceleration(q, v, k, c, L)
        q, v = q + dt * v, v + dt * a
    return np.square(q).sum() + 0.5 * np.square(v).sum()


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


def euler_inputs(rng, n=EULER_MASSES):
    """A chain of n masses (state 2n), coupled by springs, damped, anharmonic."""
    return (rng.normal(size=n), rng.normal(size=n), rng.uniform(0.5, 1.5, size=n),
            float(rng.uniform(0.05, 0.2)), chain_laplacian(n), EULER_DT, EULER_T)


EULER_SPELLINGS = (
    Spelling('float-t', euler, 'while t < T with a float counter, L @ q, q ** 3'),
    Spelling('int-i', euler_int, 'while i < n with an int counter, np.dot(L, q), q * q * q, '
             'q, v = ... in one assignment'),
    Spelling('globals', euler_globals, 'L, dt, T module globals, L.dot(q), np.power(q, 3), '
             't += dt, q.dot(q)', nargs=4),
    Spelling('defaults', euler_defaults, 'L, dt, T default arguments, for _ in range(...), '
             'an acceleration(...) helper with np.matmul', nargs=4),
)


# ------------------------------------------------- (g) pairwise interaction

PAIRWISE_EPS = 0.01


def pairwise(X, eps):
    D = X[:, None, :] - X[None, :, :]
    r2 = np.sum(D * D, axis=-1)
    return 0.5 * np.sum(1.0 / np.sqrt(r2 + eps))


def pairwise_expand(X, eps):
    D = np.expand_dims(X, 1) - np.expand_dims(X, 0)
    r2 = (D ** 2).sum(axis=2)
    return 0.5 * np.sum((r2 + eps) ** -0.5)


def pairwise_global(X):
    D = X[:, np.newaxis] - X[np.newaxis]
    r2 = np.square(D).sum(-1)
    return np.sum(1.0 / np.sqrt(r2 + PAIRWISE_EPS)) / 2


def pairwise_einsum(X, eps=PAIRWISE_EPS):
    D = X[:, None, :] - X
    r2 = np.einsum('ijk,ijk->ij', D, D)
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
    return rng.uniform(0.0, 1.0, size=(n, 3)), PAIRWISE_EPS


PAIRWISE_SPELLINGS = (
    Spelling('None', pairwise, 'X[:, None, :] - X[None, :, :], np.sum(D * D, axis=-1)'),
    Spelling('expand_dims', pairwise_expand, 'np.expand_dims, (D ** 2).sum(axis=2), '
             '(r2 + eps) ** -0.5'),
    Spelling('newaxis', pairwise_global, 'X[:, np.newaxis] - X[np.newaxis], np.square, '
             'eps a module global, / 2', nargs=1),
    Spelling('einsum', pairwise_einsum, "X[:, None, :] - X, np.einsum('ijk,ijk->ij'), "
             'eps a default argument', nargs=1),
)


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
        (Spelling('generated', getattr(module, name)),), getattr(module, name + '_grad'), inputs,
        tuple(range(N_LONG_INPUTS)), memory=False, targets={}, lines=n_lines,
        skip_peers={} if n_lines <= 200 else {
            'tangent': 'its transform takes ~5 s at 200 lines, ~60 s at 800',
            'tf': 'tf.function traces for ~9 s at 200 lines and ~85 s at 800 (load 10)',
            'jax': 'jax.jit(grad) compiles in ~1.3 s at 200 lines, ~2.7 s at 400, '
                   'and had not finished after 5 min at 800'})


# ------------------------------------------------------------------ registry

LONG_LINES = 800            # the size in the main table
LONG_SCALING = (200, 400, 800, 1600)


def workloads(long_lines=LONG_LINES):
    """All workloads, in table order."""
    return [
        Workload('scalar', 'a', 'chain of 12 scalar ops on floats, np.float64 or 0-d arrays',
                 SCALAR_SPELLINGS, scalar_chain_grad, scalar_chain_inputs, (0, 1, 2),
                 memory=False, targets={'hand': 1.5}),
        Workload('mlp_small', 'b', 'tanh MLP 64-128-10 + softmax xent, batch 32',
                 MLP_SMALL_SPELLINGS, mlp_small_grad, mlp_small_inputs, (0, 1, 2, 3),
                 targets={'hand': 1.10}),
        Workload('mlp_large', 'c', 'tanh MLP 1024-1024-1024-10 + softmax xent, batch 256',
                 MLP_LARGE_SPELLINGS, mlp_large_grad, mlp_large_inputs, (0, 1, 2, 3, 4, 5),
                 targets={'hand': 1.10}),
        Workload('rnn', 'd', 'tanh RNN, 50 steps, batch 16, in 32, hidden 64',
                 RNN_SPELLINGS, rnn_grad, rnn_inputs, (0, 1, 2, 3), targets={'hand': 1.10}),
        Workload('elementwise', 'e', 'elementwise loss over 10^6 elements',
                 ELEMENTWISE_SPELLINGS, elementwise_grad, elementwise_inputs, (0,),
                 targets={'hand': 1.10}),
        Workload('euler', 'f', 'explicit-Euler while loop, 300 steps, state 16',
                 EULER_SPELLINGS, euler_grad, euler_inputs, (0, 1, 2, 3), targets={'hand': 1.10},
                 skip_peers={'jax': 'jax.jit unrolls the Python while loop; compiling its '
                                    'gradient ran >10 min and took >20 GB here'}),
        Workload('pairwise', 'g', 'pairwise energy, N=128 in 3-d, (N,N,3) broadcast',
                 PAIRWISE_SPELLINGS, pairwise_grad, pairwise_inputs, (0,),
                 targets={'forward': 2.0}),
        long_function(long_lines),
    ]


# ---- the MLPs' parameters in containers ---------------------------------------------
# (at the end: the generated code's comments name the lines of the functions above,
# which the golden files and docs/generated-code.md show)
def _as_dict(params):
    """W1, b1, W2, b2, ...: {'W1': W1, 'b1': b1, ...}."""
    return {f'{"Wb"[i % 2]}{i // 2 + 1}': p for i, p in enumerate(params)}


def _as_layers(params):
    """W1, b1, W2, b2, ...: [(W1, b1), (W2, b2), ...]."""
    return [(params[i], params[i + 1]) for i in range(0, len(params), 2)]


# Containers a spelling may take its differentiated inputs in: (pack the inputs,
# the gradient as the hand gradient's tuple).
STRUCTURES = {
    'dict': (_as_dict, lambda g: tuple(g.values())),
    'layers': (_as_layers, lambda g: tuple(a for layer in g for a in layer)),
}


@dataclasses.dataclass
class ContainerSpelling(Spelling):
    """A spelling taking the differentiated inputs (the first `nparams`) as its first
    argument, in a container of STRUCTURES; its gradient is that container's."""
    structure: str = 'dict'
    nparams: int = 0

    def args(self, inputs):
        pack = STRUCTURES[self.structure][0]
        return (pack(tuple(inputs[:self.nparams])),) + tuple(inputs[self.nparams:])


def grad_wrt(sp, wrt):
    """What sg.grad of spelling `sp` differentiates, for its workload's `wrt`."""
    return 0 if isinstance(sp, ContainerSpelling) else wrt


def hand_gradients(sp, got):
    """The gradient a call of spelling `sp`'s sg.grad gives, as the hand gradient's tuple."""
    return STRUCTURES[sp.structure][1](got) if isinstance(sp, ContainerSpelling) else got


def mlp_small_dict(params, x, y):
    h = np.tanh(x @ params['W1'] + params['b1'])
    z = h @ params['W2'] + params['b2']
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def mlp_small_list(layers, x, y):
    (W1, b1), (W2, b2) = layers
    h = np.tanh(x @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def mlp_large_dict(params, x, y):
    h1 = np.tanh(x @ params['W1'] + params['b1'])
    h2 = np.tanh(h1 @ params['W2'] + params['b2'])
    z = h2 @ params['W3'] + params['b3']
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def mlp_large_list(layers, x, y):
    (W1, b1), (W2, b2), (W3, b3) = layers
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    z = h2 @ W3 + b3
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def mlp_large_list_loop(layers, x, y):
    h = x
    for W, b in layers[:-1]:
        h = np.tanh(h @ W + b)
    W3, b3 = layers[-1]
    z = h @ W3 + b3
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


MLP_SMALL_SPELLINGS += (
    ContainerSpelling('dict', mlp_small_dict, "params = {'W1': W1, ...}: params['W1']",
                      structure='dict', nparams=4),
    ContainerSpelling('list', mlp_small_list, 'layers = [(W1, b1), (W2, b2)]: '
                      '(W1, b1), (W2, b2) = layers', structure='layers', nparams=4),
)
MLP_LARGE_SPELLINGS += (
    ContainerSpelling('dict', mlp_large_dict, MLP_SMALL_SPELLINGS[4].note,
                      structure='dict', nparams=6),
    ContainerSpelling('list', mlp_large_list, 'layers = [(W1, b1), ...]: '
                      '(W1, b1), ... = layers', structure='layers', nparams=6),
    ContainerSpelling('list-loop', mlp_large_list_loop, 'layers = [(W1, b1), ...]: '
                      'for W, b in layers[:-1]', structure='layers', nparams=6),
)
