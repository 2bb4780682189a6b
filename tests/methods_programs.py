"""Models whose methods compute the forward pass, for tests/test_methods.py (which
also loads this file with autograd.numpy as np, the independent oracle)."""
import copy
from dataclasses import dataclass

import numpy as np


def squared_error(y, t):
    return np.mean((y - t) ** 2)


@dataclass
class MLP:
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    name: str = 'mlp'

    def __call__(self, x):
        return np.tanh(x @ self.W1 + self.b1) @ self.W2


def mlp_loss(model, x, y):
    return squared_error(model(x), y)


class Net:
    def __init__(self, rng):
        self.W = rng.normal(size=(3, 2))
        self.b = np.zeros(2)
        self.width = 2

    def forward(self, x, scale=1.0):
        return np.tanh(np.dot(x, self.W) + self.b) * scale

    def loss(self, x, y):
        return squared_error(self.forward(x, scale=2.0), y)

    @staticmethod
    def activation(z):
        return np.tanh(z)

    @classmethod
    def scale(cls, z):
        return z * cls.factor

    factor = 0.5

    def through_helpers(self, x, y):
        z = self.activation(x @ self.W) + Net.activation(self.b) + self.forward(x)
        return squared_error(self.scale(z) + Net.scale(z), y)


def net_loss(model, x, y):
    return model.loss(x, y)


def net_helpers(model, x, y):
    return model.through_helpers(x, y)


class Cell:
    def __init__(self, rng, n, m):
        self.Wh = rng.normal(size=(n, n)) * 0.5
        self.Wx = rng.normal(size=(m, n)) * 0.5

    def __call__(self, h, x):
        return np.tanh(h @ self.Wh + x @ self.Wx)

    def step(self, h, x):
        return self(h, x)


def rnn_for(cell, h, xs):
    for x in xs:
        h = cell(h, x)
    return np.sum(h ** 2)


def rnn_range(cell, h, xs):
    for t in range(len(xs)):
        h = cell.step(h, xs[t])
    return np.sum(h ** 2)


class Layer:
    def __init__(self, rng, n, m):
        self.W = rng.normal(size=(n, m))
        self.b = rng.normal(size=m) * 0.1

    def __call__(self, h):
        return np.tanh(h @ self.W + self.b)


class Deep:
    def __init__(self, rng):
        self.layers = [Layer(rng, 3, 4), Layer(rng, 4, 4), Layer(rng, 4, 2)]
        self.cell = Cell(rng, 2, 3)

    def forward(self, x):
        h = x
        for layer in self.layers:
            h = layer(h)
        return h

    def loss(self, x, y):
        h = self.cell(self.forward(x), x)
        return squared_error(h, y) + np.sum(self.layers[1].b ** 2)


def deep_loss(model, x, y):
    return model.loss(x, y)


def deep_indexed(model, x, y):
    h = x
    for i in range(len(model.layers)):
        h = model.layers[i](h)
    return squared_error(h, y)


class StatefulCell:
    def __init__(self, rng):
        self.W = rng.normal(size=(3, 3)) * 0.5
        self.h = np.zeros(3)

    def step(self, x):
        self.h = np.tanh(self.h @ self.W + x)
        return self.h


def stateful(cell, xs):
    total = 0.0
    for x in xs:
        total = total + np.sum(cell.step(x))
    return total + np.sum(cell.h ** 2)


def stateful_copied(cell, xs):
    """stateful on a copy: what the gradient differentiates (Python's own run writes
    into cell)."""
    return stateful(copy.copy(cell), xs)


def doubles_weights(model, x, y):
    model.W = model.W * 2.0
    return model.loss(x, y) + np.sum(model.W)


def doubles_weights_copied(model, x, y):
    return doubles_weights(copy.copy(model), x, y)


class TupleStateCell:
    def __init__(self, rng):
        self.W = rng.normal(size=(3, 3)) * 0.5
        self.state = (np.zeros(3), np.zeros(3))

    def step(self, x):
        h, c = self.state
        c = np.tanh(c + x @ self.W)
        self.state = (np.tanh(h + c), c)
        return self.state[0]

    def reset(self, h):
        self.state = (h, self.state[1])


def tuple_state(cell, h, xs):
    cell.reset(h)
    for t in range(len(xs)):
        cell.step(xs[t])
    h, c = cell.state
    return np.sum(h ** 2) + np.sum(c)


def tuple_state_copied(cell, h, xs):
    return tuple_state(copy.copy(cell), h, xs)


class Bank:
    def __init__(self, rng):
        self.layers = [Layer(rng, 3, 3) for _ in range(3)]
        self.scales = [1.0, 2.0, 3.0]


def bank_generator(bank, x):
    return sum(np.sum(layer(x)) for layer in bank.layers)


def bank_list_comprehension(bank, x):
    return np.sum(np.stack([layer(x) for layer in bank.layers]))


def bank_enumerate(bank, x):
    h = x
    for i, layer in enumerate(bank.layers):
        h = layer(h) * (i + 1)
    return np.sum(h)


def bank_zip(bank, x):
    h = x
    for layer, s in zip(bank.layers, bank.scales):
        h = layer(h) * s
    return np.sum(h)


def bank_reversed(bank, x):
    h = x
    for layer in reversed(bank.layers):
        h = layer(h)
    return np.sum(h)


class Scorer:
    def __init__(self, rng):
        self.W = rng.normal(size=3)

    def scorer(self):
        return lambda x: np.sum(self.W * x)

    def double(self):
        self.W = self.W * 2.0


def closure_sees_the_write(model, x):
    score = model.scorer()
    alias = model
    model.double()
    return score(x) + np.sum(alias.W * x)


def closure_sees_the_write_copied(model, x):
    return closure_sees_the_write(copy.copy(model), x)


def layers_in_a_list(layers, x):
    h = x
    for layer in layers:
        h = layer(h)
    return np.sum(h)


def layers_in_a_dict(parts, x):
    return np.sum(parts['enc'](x) * parts['dec'](x))
