"""Helpers shared by the corpus modules (called across modules).

Plain NumPy functions of the kind a project keeps in a ``utils`` module.
Their features count towards the tags of the programs that call them.
"""
import numpy as np

EPS = 1e-6


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softplus(z):
    return np.log1p(np.exp(z))


def softmax(z, axis=-1):
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def layer_norm(x, gain, bias):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return gain * (x - mu) / np.sqrt(var + EPS) + bias


def dense(h, W, b):
    return h @ W + b


def smooth_abs(x, eps=1e-2):
    return np.sqrt(x * x + eps)


def mse(pred, target):
    return np.mean((pred - target) ** 2)


def lotka_volterra(z, params):
    prey, pred = z[0], z[1]
    a, b, c, d = params[0], params[1], params[2], params[3]
    return np.stack([a * prey - b * prey * pred, d * prey * pred - c * pred])


def rk4_step(f, y, h, *args):
    k1 = f(y, *args)
    k2 = f(y + 0.5 * h * k1, *args)
    k3 = f(y + 0.5 * h * k2, *args)
    k4 = f(y + h * k3, *args)
    return y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
