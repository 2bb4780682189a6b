"""Programs for forward mode over gradients (tests/test_forward_over_reverse.py).

Straight-line code in several spellings, the product and sum helpers of the
gradient code, writes into arrays, branches and early returns, helpers, and
containers and objects passed in.  (The programs with loops are
tests/higher_order_programs.py's.)
"""
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


def mlp_at(W1, b1, W2, x):
    h = np.tanh(x @ W1 + b1)
    return np.sum((h @ W2) ** 2)


def mlp_dot(W1, b1, W2, x):
    h = np.tanh(np.dot(x, W1) + b1)
    return np.sum(np.dot(h, W2) ** 2)


def mlp_method(W1, b1, W2, x):
    h = np.tanh(x.dot(W1) + b1)
    return (h.dot(W2) ** 2).sum()


def mlp_dict(p, x):
    h = np.tanh(x @ p['W1'] + p['b1'])
    return np.sum((h @ p['W2']) ** 2)


def _layer(W, b, x):
    return np.tanh(x @ W + b)


def mlp_layers(layers, x):
    for W, b in layers:
        x = _layer(W, b, x)
    return np.sum(x * x)


def mlp_layers_range(layers, x):
    for k in range(len(layers)):
        x = _layer(layers[k][0], layers[k][1], x)
    return np.sum(x * x)


class Linear(NamedTuple):
    W: np.ndarray
    b: np.ndarray


def namedtuple_layer(layer, x):
    return np.sum(np.sin(x @ layer.W + layer.b))


@dataclass
class Scaled:
    W: np.ndarray
    scale: float


def dataclass_layer(model, x):
    return np.sum(np.tanh(x @ model.W) * model.scale)


def logistic(w, X, t):
    z = X @ w
    return np.sum(np.log(1.0 + np.exp(-t * z))) + 0.1 * np.sum(w ** 2)


def loss_and_prediction(w, X):
    y = np.sin(X @ w)
    return np.sum(y ** 2), y


def broadcasts(x, b):
    return np.sum(np.exp(x + b) * b)


def stacked_products(A, x):
    return np.sum(np.tanh(A @ x) ** 2)


def contractions(A, B):
    return (np.sum(np.einsum('ij,jk->ik', A, B) ** 2) + np.sum(np.tensordot(A, B, axes=1))
            + np.sum(np.kron(A, B[:2, :2])) + np.sum(np.outer(A[0], B[:, 0]) ** 2))


def cross_and_inner(a, b):
    return np.sum(np.cross(a, b) ** 2) + np.inner(a, b) ** 2


def reductions(x):
    return (np.max(x) * np.prod(x) + np.var(x) + np.linalg.norm(x) + np.mean(x ** 2)
            + np.sum(np.prod(np.reshape(x, (2, 2)), axis=1) ** 2))


def linear_algebra(A, b):
    return (np.sum(np.linalg.solve(A, b) ** 2) + np.linalg.det(A) ** 2
            + np.sum(np.linalg.inv(A)))


def softmax_loss(z):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    p = e / np.sum(e, axis=1, keepdims=True)
    return -np.sum(np.log(p[:, 0]))


def indexing(x, idx):
    return np.sum(x[idx] ** 3) + np.sum(np.take(x, idx) * x[0]) + np.sum(x[x > 0] ** 2)


def writes(x):
    y = np.zeros(4)
    y[0] = x[0] * x[1]
    y[1:] = np.sin(x[1:])
    y[2] *= x[0]
    return np.sum(y ** 2)


def shapes(x):
    M = np.reshape(x, (2, 3))
    a, b = np.split(x, 2)
    return (np.sum(np.swapaxes(M, 0, 1) @ M ** 2) + np.sum(np.rollaxis(M[None], 2) ** 3)
            + np.sum(np.vstack([M, M * a[0]]) ** 3) + np.sum(a * b ** 2)
            + np.sum(np.pad(x, 2, mode='reflect') ** 3) + np.trace(M @ np.outer(a, b) @ M.T))


def sequences(x):
    return (np.sum(np.cumsum(x) ** 2) + np.sum(np.diff(x ** 2) ** 2)
            + np.sum(np.repeat(x, 2) ** 3) + np.sum(np.tile(x, 2) ** 3)
            + np.sum(np.gradient(x ** 2) ** 2) + np.sum(np.diag(np.outer(x, x)) ** 3))


def spectra(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 2) + np.sum(np.real(np.fft.fft(x * x)) ** 2)


def chosen(x):
    return np.sum(np.select([x < -0.5, x > 0.5], [x ** 2, np.sin(x)], x ** 3) ** 2) + \
        np.sum(np.where(x > 0, x ** 3, np.sin(x)))


def early_return(x):
    if np.sum(x) > 0:
        return np.sum(np.sin(x) * x)
    return np.sum(x ** 3)


def floats(a, b):
    return a * a * b + np.sin(a) * b ** 3


def y_before_step(h0, v0):
    # a carried value that the loop body never reads (`y_prev = y`)
    y, v = h0, v0
    y_prev = y
    while y > 0.0:
        v = v - 0.05
        y_prev = y
        y = y + 0.05 * v
    return y * y_prev


def spaced_gradient(x, h):
    # np.gradient with a varying spacing: its second derivative in h is refused
    return np.sum(np.gradient(x, h) ** 2)


def third_order(x):
    return np.sum(np.sin(x) * x ** 2) + np.prod(x)


def written_row(A, r):
    # the tangent of y1 is zeros with r's tangent written in (in place, in a call's
    # specialisation: the zeros need a name of their own)
    y1 = np.tanh(A) * 1.0
    y1[0, [0, 0]] = r[:2]
    return np.sum(y1 * y1)


@dataclass
class State:
    h: np.ndarray


def with_state(x, state):
    state.h = np.tanh(state.h + x)      # an attribute written: no tangent of the object
    return np.sum(state.h ** 2)
