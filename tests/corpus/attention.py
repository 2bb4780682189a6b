"""Softmax attention: heads in loops, masks, caches, pooling."""
import numpy as np

from . import Case
from . import shared
from .shared import softmax


def multi_head_attention(X, Wq, Wk, Wv, Wo, n_heads):
    Q, K, V = X @ Wq, X @ Wk, X @ Wv
    d = Q.shape[1] // n_heads
    heads = []
    for h in range(n_heads):
        q = Q[:, h * d:(h + 1) * d]
        k = K[:, h * d:(h + 1) * d]
        v = V[:, h * d:(h + 1) * d]
        weights = softmax(q @ k.T / np.sqrt(d), axis=-1)
        heads.append(weights @ v)
    out = np.concatenate(heads, axis=1) @ Wo
    return np.sum(out ** 2)


def causal_attention(Q, K, V):
    n, d = Q.shape
    scores = Q @ K.T / np.sqrt(d)
    future = np.triu(np.ones((n, n), dtype=bool), k=1)
    scores[future] = -1e9
    return np.sum(np.tanh(softmax(scores, axis=-1) @ V))


def attention_with_param_dict(X, Wq, Wk, Wv):
    params = {"query": Wq, "key": Wk, "value": Wv}
    proj = {}
    for name, W in params.items():
        proj[name] = X @ W
    scores = proj["query"] @ proj["key"].T
    return np.sum(softmax(scores, axis=-1) @ proj["value"])


def additive_attention(query, keys, W1, W2, v):
    scores = [np.tanh(query @ W1 + k @ W2) @ v for k in keys]
    weights = softmax(np.stack(scores), axis=0)
    context = sum(w * k for w, k in zip(weights, keys))
    return np.sum(context ** 2)


def sliding_window_attention(X, Wq, Wk, window):
    Q, K = X @ Wq, X @ Wk
    out = np.zeros_like(X)
    for i in range(X.shape[0]):
        lo = max(0, i - window + 1)
        weights = softmax(K[lo:i + 1] @ Q[i], axis=0)
        out[i] = weights @ X[lo:i + 1]
    return np.sum(out * X)


def attention_pooling(H, w):
    weights = softmax(H @ w, axis=0)
    pooled = sum(a * h for a, h in zip(weights, H))
    return np.sum(np.tanh(pooled))


def transformer_block(X, Wq, Wk, Wv, Wo, W1, W2, gain, bias):
    h = shared.layer_norm(X, gain, bias)
    Q, K, V = h @ Wq, h @ Wk, h @ Wv
    attn = softmax(Q @ K.T / np.sqrt(Q.shape[-1]))
    X = X + attn @ V @ Wo
    h = shared.layer_norm(X, gain, bias)
    X = X + np.tanh(h @ W1) @ W2
    return np.sum(X ** 2) / X.size


def relative_position_attention(Q, K, rel):
    n = Q.shape[0]
    bias = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            bias[i, j] = rel[i - j + n - 1]
    weights = softmax(Q @ K.T + bias, axis=-1)
    return np.sum(weights * np.arange(n))


def kv_cache_decoding(Wq, Wk, Wv, xs):
    keys, values = [], []
    total = 0.0
    for x in xs:
        keys.append(x @ Wk)
        values.append(x @ Wv)
        weights = softmax(np.stack(keys) @ (x @ Wq), axis=0)
        total = total + np.sum(weights @ np.stack(values))
    return total


# ------------------------------------------------------------------ cases

N, D = 5, 4


def _mha_args(rng):
    return (rng.standard_normal((N, D)), 0.5 * rng.standard_normal((D, 6)),
            0.5 * rng.standard_normal((D, 6)), 0.5 * rng.standard_normal((D, 6)),
            0.5 * rng.standard_normal((6, D)), 2)


def _qkv_args(rng):
    return tuple(rng.standard_normal((N, D)) for _ in range(3))


def _dict_args(rng):
    return (rng.standard_normal((N, D)),) + tuple(
        0.5 * rng.standard_normal((D, D)) for _ in range(3))


def _additive_args(rng):
    return (rng.standard_normal(D), rng.standard_normal((N, D)),
            0.5 * rng.standard_normal((D, 3)), 0.5 * rng.standard_normal((D, 3)),
            rng.standard_normal(3))


def _window_args(rng):
    return (rng.standard_normal((6, D)), 0.5 * rng.standard_normal((D, D)),
            0.5 * rng.standard_normal((D, D)), 3)


def _pool_args(rng):
    return rng.standard_normal((N, D)), rng.standard_normal(D)


def _block_args(rng):
    Ws = tuple(0.4 * rng.standard_normal((D, D)) for _ in range(6))
    return (rng.standard_normal((N, D)),) + Ws + (
        1.0 + 0.1 * rng.standard_normal(D), 0.1 * rng.standard_normal(D))


def _relpos_args(rng):
    return rng.standard_normal((4, D)), rng.standard_normal((4, D)), \
        rng.standard_normal(7)


def _cache_args(rng):
    return (0.5 * rng.standard_normal((D, D)), 0.5 * rng.standard_normal((D, D)),
            0.5 * rng.standard_normal((D, D)), rng.standard_normal((N, D)))


CASES = [
    Case(multi_head_attention, _mha_args, (0, 1, 2, 3, 4),
         {'for_range', 'append', 'list', 'other_module', 'kwargs', 'tuple'},
         float32=True),
    Case(causal_attention, _qkv_args, (0, 1, 2),
         {'mask_setitem', 'other_module', 'kwargs', 'tuple'},
         autograd_ok=False, float32=True),
    Case(attention_with_param_dict, _dict_args, (0, 1, 2, 3),
         {'dict', 'for_list', 'other_module', 'kwargs'}),
    Case(additive_attention, _additive_args, (0, 1, 2, 3, 4),
         {'comprehension', 'genexp', 'other_module', 'kwargs'}),
    Case(sliding_window_attention, _window_args, (0, 1, 2),
         {'for_range', 'setitem', 'other_module', 'kwargs', 'tuple'},
         autograd_ok=False),
    Case(attention_pooling, _pool_args, (0, 1),
         {'genexp', 'other_module', 'kwargs'}, order=2),
    Case(transformer_block, _block_args, (0, 1, 2, 3, 4, 5, 6, 7, 8),
         {'other_module', 'kwargs', 'constant', 'tuple'}, order=2,
         float32=True),
    Case(relative_position_attention, _relpos_args, (0, 1, 2),
         {'for_range', 'nested_loop', 'setitem', 'other_module', 'kwargs'},
         autograd_ok=False),
    Case(kv_cache_decoding, _cache_args, (0, 1, 2, 3),
         {'for_array', 'append', 'list', 'other_module', 'kwargs', 'tuple'}),
]
