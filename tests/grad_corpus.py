"""A corpus of realistic straight-line NumPy functions to differentiate.

Plain functions of the kind a user writes: no loops, branches, comprehensions
or in-place assignment, and only operations in the first scope of s2sgrad
(arithmetic, elementwise functions, reductions, shape functions, indexing).
They reach NumPy only through the global name ``np``, so the same source can
be run with ``autograd.numpy`` bound to ``np`` for a reference gradient
(see ``tests/test_transforms.py``).  ``ARGS`` gives, for each function, how
to draw its arguments and which of them to differentiate.
"""
import numpy as np


def mlp_tanh_loss(W1, b1, W2, b2, x, t):
    h = np.tanh(x @ W1 + b1)
    y = h @ W2 + b2
    return np.mean((y - t) ** 2)


def softmax_cross_entropy(W, b, x, onehot):
    logits = np.dot(x, W) + b
    z = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(onehot * log_probs, axis=1))


def gaussian_log_likelihood(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    z = (x - mu) / sigma
    return np.sum(-0.5 * np.square(z) - log_sigma - 0.5 * np.log(2.0 * np.pi))


def logistic_regression_loss(w, b, X, y):
    margin = -y * (X @ w + b)
    return np.mean(np.log1p(np.exp(margin)))


def ridge_regression_loss(w, X, y, lam):
    r = X @ w - y
    return np.dot(r, r) / y.shape[0] + lam * np.sum(w ** 2)


def relu_network(W1, b1, W2, x):
    h = np.maximum(x @ W1 + b1, 0.0)
    out = h @ W2
    return np.sum(out * out)


def layer_norm(x, gamma, beta):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.var(x, axis=-1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    y = gamma * xhat + beta
    return np.sum(np.sin(y))


def cosine_similarity(a, b):
    dots = np.sum(a * b, axis=1)
    norms = np.sqrt(np.sum(a * a, axis=1)) * np.sqrt((b * b).sum(axis=1))
    return dots / norms


def attention(Q, K, V):
    d = Q.shape[-1]
    scores = Q @ K.T / np.sqrt(d)
    shifted = scores - np.max(scores, axis=-1, keepdims=True)
    e = np.exp(shifted)
    weights = e / np.sum(e, axis=-1, keepdims=True)
    return np.sum(weights @ V)


def huber_loss(pred, target, delta):
    r = pred - target
    a = np.abs(r)
    quadratic = 0.5 * r ** 2
    linear = delta * (a - 0.5 * delta)
    return np.mean(np.where(a <= delta, quadratic, linear))


def polynomial(x, c):
    return np.sum(c[0] + c[1] * x + c[2] * x ** 2 + c[3] * np.power(x, 3))


def log_sum_exp(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(np.squeeze(m, axis=1) + np.log(np.sum(np.exp(x - m), axis=1)))


def spring_chain_energy(x, k, rest):
    d = x[1:] - x[:-1]
    length = np.sqrt(np.sum(d * d, axis=1))
    return 0.5 * k * np.sum((length - rest) ** 2)


def rbf_kernel_sum(x, log_length):
    diff = x[:, None, :] - x[None, :, :]
    sq = np.sum(diff ** 2, axis=-1)
    return np.sum(np.exp(-0.5 * sq / np.exp(2.0 * log_length)))


def matrix_factorisation_loss(U, V, R, mask):
    E = (U @ V.T - R) * mask
    return np.sum(E ** 2) + 0.1 * (np.sum(U ** 2) + np.sum(V ** 2))


def embedding_lookup_loss(E, idx, w):
    rows = E[idx]
    return np.sum(np.tanh(rows @ w))


def feature_stack(x, W):
    both = np.concatenate([x, np.square(x)], axis=1)
    left, right = np.split(both @ W, 2, axis=1)
    pair = np.stack([left, right], axis=0)
    flat = np.reshape(np.transpose(pair, (1, 0, 2)), (x.shape[0], -1))
    return np.sum(np.expand_dims(flat, 0) * np.cos(flat)[None])


def bounded_activations(x, y):
    a = np.clip(x, -1.0, 1.0) * np.sin(y)
    b = np.minimum(x, y) + np.maximum(np.negative(x), 0.5 * y)
    c = np.multiply(np.sign(x), np.abs(x)) + np.subtract(np.expm1(0.1 * y), x)
    return np.sum(a) + np.sum(b * c) + np.prod(np.divide(x, 4.0)[:3] + 2.0)


def moment_features(x):
    s = np.std(x, axis=0)
    v = np.var(x, axis=1, keepdims=True)
    lo = np.min(x, axis=0)
    return np.sum(s * lo) + np.mean(np.sqrt(v + 1.0)) + np.sum(np.prod(x[:, :2], axis=1))


def mixed_precision_head(x32, W):
    x = x32.astype(np.float64)
    z = np.add(x @ W, np.ones_like(x[:, :2]))
    return np.sum(np.log(1.0 + np.exp(z)) * (1.0 + np.zeros_like(z)))


def _rand(rng, *shape):
    return rng.standard_normal(shape)


def _onehot(rng, n, k):
    return np.eye(k)[rng.integers(0, k, size=n)]


# name -> (function, argument factory rng -> tuple, wrt)
ARGS = {
    "mlp_tanh_loss": (mlp_tanh_loss, lambda r: (
        _rand(r, 3, 4), _rand(r, 4), _rand(r, 4, 2), _rand(r, 2),
        _rand(r, 5, 3), _rand(r, 5, 2)), (0, 1, 2, 3)),
    "softmax_cross_entropy": (softmax_cross_entropy, lambda r: (
        _rand(r, 3, 4), _rand(r, 4), _rand(r, 6, 3), _onehot(r, 6, 4)),
        (0, 1)),
    "gaussian_log_likelihood": (gaussian_log_likelihood, lambda r: (
        _rand(r, 3), 0.3 * _rand(r, 3), _rand(r, 7, 3)), (0, 1)),
    "logistic_regression_loss": (logistic_regression_loss, lambda r: (
        _rand(r, 3), 0.25, _rand(r, 8, 3), np.sign(_rand(r, 8))), (0, 1)),
    "ridge_regression_loss": (ridge_regression_loss, lambda r: (
        _rand(r, 4), _rand(r, 9, 4), _rand(r, 9), 0.7), (0, 3)),
    "relu_network": (relu_network, lambda r: (
        _rand(r, 3, 5), _rand(r, 5), _rand(r, 5, 2), _rand(r, 4, 3)),
        (0, 1, 2)),
    "layer_norm": (layer_norm, lambda r: (
        _rand(r, 4, 5), 1.0 + 0.1 * _rand(r, 5), _rand(r, 5)), (0, 1, 2)),
    "cosine_similarity": (cosine_similarity, lambda r: (
        _rand(r, 4, 3), _rand(r, 4, 3)), (0, 1)),
    "attention": (attention, lambda r: (
        _rand(r, 3, 4), _rand(r, 5, 4), _rand(r, 5, 2)), (0, 1, 2)),
    "huber_loss": (huber_loss, lambda r: (
        2.0 * _rand(r, 10), _rand(r, 10), 1.0), 0),
    "polynomial": (polynomial, lambda r: (
        _rand(r, 6), _rand(r, 4)), (0, 1)),
    "log_sum_exp": (log_sum_exp, lambda r: (_rand(r, 3, 5),), 0),
    "spring_chain_energy": (spring_chain_energy, lambda r: (
        np.cumsum(1.0 + 0.3 * _rand(r, 6, 2), axis=0), 2.5, 0.8), (0, 1)),
    "rbf_kernel_sum": (rbf_kernel_sum, lambda r: (
        _rand(r, 5, 2), 0.2), (0, 1)),
    "matrix_factorisation_loss": (matrix_factorisation_loss, lambda r: (
        _rand(r, 5, 2), _rand(r, 4, 2), _rand(r, 5, 4),
        (r.random((5, 4)) < 0.7).astype(np.float64)), (0, 1)),
    "embedding_lookup_loss": (embedding_lookup_loss, lambda r: (
        _rand(r, 5, 3), np.array([0, 2, 2, 4, 0, 2]), _rand(r, 3)), (0, 2)),
    "feature_stack": (feature_stack, lambda r: (
        _rand(r, 3, 2), _rand(r, 4, 6)), (0, 1)),
    "bounded_activations": (bounded_activations, lambda r: (
        1.5 * _rand(r, 8), 1.5 * _rand(r, 8)), (0, 1)),
    "moment_features": (moment_features, lambda r: (_rand(r, 5, 4),), 0),
    "mixed_precision_head": (mixed_precision_head, lambda r: (
        _rand(r, 4, 3).astype(np.float32), _rand(r, 3, 2)), (0, 1)),
}
