"""ADBench's Gaussian mixture model objective (gradient w.r.t. alphas, means, icf).

The negative log-likelihood of N points x (N x d) under K Gaussians, with
a Wishart prior on the inverse covariances, as ADBench's src/cpp/shared/gmm.h
computes it.  Component k has log weight alphas[k], mean means[k] and
inverse covariance factor Q_k = diag(exp(icf[k, :d])) + L_k, where L_k is
strictly lower triangular and filled column by column from icf[k, d:]:

    objective = -N d/2 log(2 pi)
                + sum_n logsumexp_k(alphas[k] + sum(icf[k, :d]) - |Q_k (x_n - means[k])|^2 / 2)
                - N logsumexp(alphas)
                + sum_k (gamma^2/2 (|exp(icf[k, :d])|^2 + |icf[k, d:]|^2) - m sum(icf[k, :d]))
                - K (n' d (log gamma - log(2)/2) - multigammaln(n'/2, d)),   n' = d + m + 1

Data as ADBench's data/gmm/gmm-data-gen.py makes it (alphas, icf and x standard
normal, means uniform on [0, 1), gamma = 1, m = 0), from a fixed seed.
"""
import math

import numpy as np
from scipy import special

import s2sgrad as sg

TITLE = 'GMM (gradient w.r.t. alphas, means, icf)'

# Gradient time / objective time, one thread (arXiv 1807.10129: the table of
# relative runtimes for GMM with 10k points, commented out in its LaTeX source,
# Documents/ms.tex in ADBench's repository, and plotted in the paper; over its
# eight d, K sizes: Manual 1.88-7.21, Tapenade 3.74-15.5, Theano (vector)
# 3.01-8.75, Autograd (split) 34.5-107).
PAPER = {'hand-written': '1.9-7.2', 'Tapenade': '3.7-15.5', 'Theano': '3.0-8.8',
         'autograd': '34-107'}

SIZES = {
    'd2 K5 N10': dict(d=2, k=5, n=10),
    'd10 K25 N1k': dict(d=10, k=25, n=1000),
    'd64 K50 N1k': dict(d=64, k=50, n=1000),
}

# The loop spelling makes N*K*d Python-level NumPy calls (as ADBench's
# Autograd version does): seconds a call at d64 K50 N1k, so it runs at the two
# smaller sizes only.
SPELLINGS_AT = {'d64 K50 N1k': ('vectorised', 'component loop', 'helpers')}


def inputs(rng, d, k, n):
    alphas = rng.standard_normal(k)
    means = rng.uniform(0.0, 1.0, (k, d))
    icf = rng.standard_normal((k, d + d * (d - 1) // 2))
    x = rng.standard_normal((n, d))
    return alphas, means, icf, x, 1.0, 0


# ---------------------------------------------------------------------------
# (a) 'loops': ADBench's Autograd version (tools/Autograd/gmm_objective.py):
# Python loops over points and components, element-wise list comprehensions
# made arrays with np.asarray.  One adaptation: ADBench counts constructL's
# parameter index in a function attribute (constructL.Lparamidx), which s2sgrad
# refuses ("assignment to an attribute of the global 'constructL' cannot be
# transformed (it would change module state)"); here the start of each column
# is computed from its index instead.

def loops_logsumexp(x):
    def scalar_subtract_and_exp(a, scalar):
        return np.asarray([np.exp(a[i] - scalar) for i in range(a.size)])

    mx = np.amax(x)
    emx = scalar_subtract_and_exp(x, mx)
    return np.log(emx.sum()) + mx


def loops_sqsum(x):
    return (np.square(x)).sum()


def loops_log_wishart_prior(p, wishart_gamma, wishart_m, sum_qs, Qdiags, icf):
    n = p + wishart_m + 1
    k = icf.shape[0]
    out = 0
    for ik in range(k):
        frobenius = loops_sqsum(Qdiags[ik, :]) + loops_sqsum(icf[ik, p:])
        out = out + 0.5 * wishart_gamma * wishart_gamma * frobenius - wishart_m * sum_qs[ik]
    C = n * p * (np.log(wishart_gamma) - 0.5 * np.log(2)) - special.multigammaln(0.5 * n, p)
    return out - k * C


def loops_constructL(d, icf):
    def make_L_col(i):
        nelems = d - i - 1
        start = d + i * d - i * (i + 1) // 2      # d + the lengths of the columns before i
        return np.concatenate((np.zeros(i + 1), icf[start:start + nelems]))

    columns = [make_L_col(i) for i in range(d)]
    return np.column_stack(columns)


def loops_Qtimesx(Qdiag, L, x):
    def scalar_multiply(a, scalar):
        return np.asarray([(a[i] * scalar) for i in range(a.size)])

    def cwise_multiply(a, b):
        return np.asarray([(a[i] * b[i]) for i in range(a.size)])

    res = cwise_multiply(Qdiag, x)
    for i in range(L.shape[0]):
        res = res + scalar_multiply(L[:, i], x[i])
    return res


def gmm_loops(alphas, means, icf, x, wishart_gamma, wishart_m):
    def inner_term(ix, ik):
        xcentered = x[ix, :] - means[ik, :]
        Lxcentered = loops_Qtimesx(Qdiags[ik, :], Ls[ik, :, :], xcentered)
        sqsum_Lxcentered = loops_sqsum(Lxcentered)
        return alphas[ik] + sum_qs[ik] - 0.5 * sqsum_Lxcentered

    n = x.shape[0]
    d = x.shape[1]
    k = alphas.size
    Qdiags = np.asarray([(np.exp(icf[ik, :d])) for ik in range(k)])
    sum_qs = np.asarray([(np.sum(icf[ik, :d])) for ik in range(k)])
    Ls = np.asarray([loops_constructL(d, curr_icf) for curr_icf in icf])
    slse = 0
    for ix in range(n):
        lse = np.asarray([inner_term(ix, ik) for ik in range(k)])
        slse = slse + loops_logsumexp(lse)

    CONSTANT = -n * d * 0.5 * np.log(2 * np.pi)
    return CONSTANT + slse - n * loops_logsumexp(alphas) \
        + loops_log_wishart_prior(d, wishart_gamma, wishart_m, sum_qs, Qdiags, icf)


# ---------------------------------------------------------------------------
# (b) 'vectorised': ADBench's PyTorch version: every point and component at
# once by broadcasting, L @ xcentered as an einsum, logsumexp with its max shift.

def vec_logsumexp_rows(z):
    mx = np.max(z, axis=1)
    return np.log(np.sum(np.exp(z - mx[:, None]), axis=1)) + mx


# Note: `start = d` then `start += nelems` in the loop below is lowered wrongly by
# s2sgrad today (the `+=` on the loop's copy of a number changes `d` as well, as it
# would an array's other names), so this spelling rebinds with `start = start + nelems`.
def vec_constructL(d, icf):
    columns = []
    start = d
    for i in range(d):
        nelems = d - i - 1
        columns.append(np.concatenate([np.zeros(i + 1), icf[start:start + nelems]]))
        start = start + nelems     # (not `start += nelems`: see the note above)
    return np.stack(columns, -1)


def gmm_vectorised(alphas, means, icf, x, wishart_gamma, wishart_m):
    n, d = x.shape
    k = alphas.shape[0]
    Qdiags = np.exp(icf[:, :d])
    sum_qs = np.sum(icf[:, :d], 1)
    Ls = np.stack([vec_constructL(d, curr_icf) for curr_icf in icf])
    xcentered = x[:, None, :] - means[None, :, :]
    Lxcentered = Qdiags * xcentered + np.einsum('kij,nkj->nki', Ls, xcentered)
    sqsum_Lxcentered = np.sum(Lxcentered ** 2, 2)
    inner_term = alphas + sum_qs - 0.5 * sqsum_Lxcentered
    slse = np.sum(vec_logsumexp_rows(inner_term))
    mx = np.max(alphas)
    lse_alphas = np.log(np.sum(np.exp(alphas - mx))) + mx
    out = np.sum(0.5 * wishart_gamma * wishart_gamma
                 * (np.sum(Qdiags ** 2, 1) + np.sum(icf[:, d:] ** 2, 1)) - wishart_m * sum_qs)
    nw = d + wishart_m + 1
    C = nw * d * math.log(wishart_gamma / math.sqrt(2))
    CONSTANT = -n * d * 0.5 * math.log(2 * math.pi)
    return CONSTANT + slse - n * lse_alphas + out - k * (C - special.multigammaln(0.5 * nw, d))


# ---------------------------------------------------------------------------
# (c) 'component loop': a loop over the components, every point at once in
# it; L built by assigning into a zero matrix at the column-wise indices.

def gmm_component_loop(alphas, means, icf, x, wishart_gamma, wishart_m):
    n, d = x.shape
    k = len(alphas)
    cols, rows = np.triu_indices(d, 1)      # column by column, below the diagonal
    main_terms = []
    prior = 0.0
    for ik in range(k):
        q = icf[ik, :d]
        Qdiag = np.exp(q)
        L = np.zeros((d, d))
        L[rows, cols] = icf[ik, d:]
        xcentered = x - means[ik]
        Qx = xcentered * Qdiag + xcentered @ L.T
        main_terms.append(alphas[ik] + np.sum(q) - 0.5 * np.sum(Qx * Qx, axis=1))
        prior = prior + 0.5 * wishart_gamma ** 2 * (np.sum(Qdiag ** 2) + np.sum(icf[ik, d:] ** 2)) \
            - wishart_m * np.sum(q)
    main_term = np.stack(main_terms, axis=1)
    mx = main_term.max(axis=1, keepdims=True)
    slse = np.sum(np.log(np.exp(main_term - mx).sum(axis=1, keepdims=True)) + mx)
    nw = d + wishart_m + 1
    C = nw * d * (np.log(wishart_gamma) - 0.5 * np.log(2.0)) - special.multigammaln(0.5 * nw, d)
    return -n * d * 0.5 * np.log(2 * np.pi) + slse - n * special.logsumexp(alphas) \
        + prior - k * C


# ---------------------------------------------------------------------------
# (d) 'helpers': small helpers, np.dot and .dot, scipy.special.logsumexp and
# multigammaln, the constants as module globals.

LOG_2PI = np.log(2.0 * np.pi)


def sqnorm_rows(a):
    return (a * a).sum(axis=-1)


def qtimesx(qdiag, ltri, xc):
    """Q x for a block of centred points (rows): diag(qdiag) x + L x."""
    return qdiag * xc + np.dot(xc, ltri.T)


def lower_from_icf(d, icf_k):
    L = np.zeros((d, d))
    cols, rows = np.triu_indices(d, 1)
    L[rows, cols] = icf_k[d:]
    return L


def wishart_prior(d, gamma, m, icf):
    q = icf[:, :d]
    nw = d + m + 1
    frob = sqnorm_rows(np.exp(q)) + sqnorm_rows(icf[:, d:])
    C = nw * d * (np.log(gamma) - 0.5 * np.log(2.0)) - special.multigammaln(0.5 * nw, d)
    return np.sum(0.5 * gamma * gamma * frob - m * q.sum(axis=1)) - icf.shape[0] * C


def gmm_helpers(alphas, means, icf, x, wishart_gamma, wishart_m):
    n, d = x.shape
    k = alphas.shape[0]
    terms = np.zeros((n, k))
    for ik in range(k):
        L = lower_from_icf(d, icf[ik])
        Qx = qtimesx(np.exp(icf[ik, :d]), L, x - means[ik])
        terms[:, ik] = alphas[ik] + icf[ik, :d].sum() - 0.5 * sqnorm_rows(Qx)
    slse = special.logsumexp(terms, axis=1).sum()
    return -0.5 * n * d * LOG_2PI + slse - n * special.logsumexp(alphas) \
        + wishart_prior(d, wishart_gamma, wishart_m, icf)


SPELLINGS = {
    'loops': gmm_loops,
    'vectorised': gmm_vectorised,
    'component loop': gmm_component_loop,
    'helpers': gmm_helpers,
}


def derivative(objective):
    return sg.grad(objective, wrt=(0, 1, 2))


# ---------------------------------------------------------------------------
# The hand-written gradient.  With xc[n,k] = x[n] - means[k], Qx = Q_k xc and
# P[n,k] the softmax over k of the main terms, the main term's gradient
# w.r.t. Q_k xc is -P[n,k] Qx[n,k]; so
#   d/d alphas[k] = sum_n P[n,k] - N softmax(alphas)[k]
#   d/d means[k]  = sum_n P[n,k] Q_k^T Qx[n,k]
#   d/d Q_k       = -sum_n P[n,k] Qx[n,k] xc[n,k]^T  (its diagonal and strict lower part)
# and icf's log-diagonal gets exp(q) times Q_k's diagonal, plus sum_n P[n,k]
# (from sum(q)), plus the prior's gamma^2 exp(2q) - m.

def hand_derivative(alphas, means, icf, x, wishart_gamma, wishart_m):
    n, d = x.shape
    k = alphas.shape[0]
    cols, rows = np.triu_indices(d, 1)
    q = icf[:, :d]
    Qdiags = np.exp(q)
    Q = np.zeros((k, d, d))
    Q[:, rows, cols] = icf[:, d:]
    Q[:, np.arange(d), np.arange(d)] = Qdiags
    xc = x[None, :, :] - means[:, None, :]                 # (k, n, d)
    Qx = np.matmul(xc, Q.transpose(0, 2, 1))               # (k, n, d)
    main = alphas[:, None] + q.sum(axis=1)[:, None] - 0.5 * np.einsum('knd,knd->kn', Qx, Qx)
    mx = main.max(axis=0)
    P = np.exp(main - mx)
    P /= P.sum(axis=0)                                     # (k, n): softmax over k
    Psum = P.sum(axis=1)
    wa = np.exp(alphas - alphas.max())
    d_alphas = Psum - n * wa / wa.sum()
    PQx = P[:, :, None] * Qx
    d_means = np.matmul(PQx.sum(axis=1)[:, None, :], Q)[:, 0, :]
    dQ = -np.matmul(PQx.transpose(0, 2, 1), xc)           # (k, d, d)
    d_icf = np.empty_like(icf)
    d_icf[:, :d] = Qdiags * dQ[:, np.arange(d), np.arange(d)] + Psum[:, None] \
        + wishart_gamma ** 2 * Qdiags ** 2 - wishart_m
    d_icf[:, d:] = dQ[:, rows, cols] + wishart_gamma ** 2 * icf[:, d:]
    return d_alphas, d_means, d_icf


def check(got, want, args):
    for name, g, w in zip(('alphas', 'means', 'icf'), got, want):
        scale = np.max(np.abs(w))
        err = np.max(np.abs(np.asarray(g) - w))
        if not (np.shape(g) == w.shape and err <= 1e-8 * max(scale, 1.0)):
            raise AssertionError(f'd/d {name}: max error {err:.3g} (largest entry {scale:.3g})')


def fd_check(args, rng):
    f = gmm_vectorised
    grads = hand_derivative(*args)
    for _ in range(3):
        dirs = [rng.standard_normal(np.shape(a)) for a in args[:3]]
        h = 1e-6
        plus = [a + h * v for a, v in zip(args[:3], dirs)]
        minus = [a - h * v for a, v in zip(args[:3], dirs)]
        fd = (f(*plus, *args[3:]) - f(*minus, *args[3:])) / (2 * h)
        an = sum(np.sum(g * v) for g, v in zip(grads, dirs))
        if abs(fd - an) > 1e-6 * max(1.0, abs(an)):
            raise AssertionError(f'directional derivative {an!r}, central difference {fd!r}')
