"""Recurrent networks (RNN, LSTM, GRU cells) unrolled in Python loops."""
import numpy as np

from . import Case
from . import shared
from .shared import sigmoid


def rnn_loss(Wx, Wh, b, xs, h0):
    h = h0
    loss = 0.0
    for x in xs:
        h = np.tanh(x @ Wx + h @ Wh + b)
        loss += np.sum(h ** 2)
    return loss


def lstm_sequence_loss(W, U, b, xs, target):
    hidden = U.shape[0]
    h = np.zeros(hidden)
    c = np.zeros(hidden)
    for t in range(xs.shape[0]):
        z = xs[t] @ W + h @ U + b
        i = sigmoid(z[:hidden])
        f = sigmoid(z[hidden:2 * hidden])
        o = sigmoid(z[2 * hidden:3 * hidden])
        g = np.tanh(z[3 * hidden:])
        c = f * c + i * g
        h = o * np.tanh(c)
    return np.sum((h - target) ** 2)


def gru_sequence_loss(Wz, Wr, Wh, Uz, Ur, Uh, xs, targets):
    h = np.zeros(Uz.shape[0])
    loss = 0.0
    for x, y in zip(xs, targets):
        z = sigmoid(x @ Wz + h @ Uz)
        r = sigmoid(x @ Wr + h @ Ur)
        candidate = np.tanh(x @ Wh + (r * h) @ Uh)
        h = (1.0 - z) * h + z * candidate
        loss += shared.mse(h, y)
    return loss


def bidirectional_rnn(Wf, Uf, Wb, Ub, xs):
    steps = xs.shape[0]
    h = np.zeros(Uf.shape[0])
    forward = []
    for t in range(steps):
        h = np.tanh(xs[t] @ Wf + h @ Uf)
        forward.append(h)
    h = np.zeros(Ub.shape[0])
    backward = []
    for t in reversed(range(steps)):
        h = np.tanh(xs[t] @ Wb + h @ Ub)
        backward.append(h)
    backward = backward[::-1]
    total = 0.0
    for hf, hb in zip(forward, backward):
        total = total + np.sum(hf * hb)
    return total


def rnn_readout(W, U, V, xs):
    h = np.zeros(U.shape[0])
    states = []
    for x in xs:
        h = np.tanh(x @ W + h @ U)
        states.append(h)
    H = np.stack(states)
    return np.sum(np.sin(H @ V))


def rnn_early_stop(W, U, xs, threshold):
    """Stop reading the sequence once the state saturates."""
    h = np.zeros(U.shape[0])
    for x in xs:
        h = np.tanh(x @ W + h @ U)
        if np.sum(h * h) > threshold:
            break
    return np.sum(h * np.arange(1.0, h.shape[0] + 1.0))


def masked_rnn(W, U, xs, mask):
    h = np.zeros(U.shape[0])
    for t in range(xs.shape[0]):
        if mask[t] == 0:
            continue
        h = np.tanh(xs[t] @ W + h @ U)
    return np.sum(h)


def discounted_rnn_loss(W, U, xs, gamma):
    h = np.zeros(U.shape[0])
    loss = 0.0
    for t, x in enumerate(xs):
        h = np.tanh(x @ W + h @ U)
        loss = loss + gamma ** t * np.sum((h - 0.5) ** 2)
    return loss


def stacked_rnn(W1, U1, W2, U2, xs):
    layers = [(W1, U1), (W2, U2)]
    sequence = xs
    for W, U in layers:
        h = np.zeros(U.shape[0])
        outputs = []
        for x in sequence:
            h = np.tanh(x @ W + h @ U)
            outputs.append(h)
        sequence = outputs
    return np.sum(sequence[-1]) + 0.5 * np.sum(sequence[0] ** 2)


def _elman_cell(h, x, W, U, b):
    return np.tanh(x @ W + h @ U + b)


def rnn_with_cell_helper(W, U, b, xs):
    h = np.zeros(U.shape[0])
    for x in xs:
        h = _elman_cell(h, x, W, U, b)
    return np.sum(h ** 3)


def greedy_decoder(W, U, V, h0, n_steps):
    """Autoregressive decoding: each output distribution is the next input."""
    h = h0
    y = shared.softmax(h @ V)
    score = 0.0
    for _ in range(n_steps):
        h = np.tanh(y @ W + h @ U)
        y = shared.softmax(h @ V)
        score = score + np.log(y[0])
    return score


def lstm_with_state_dict(W, U, b, xs):
    hidden = U.shape[0]
    state = {"h": np.zeros(hidden), "c": np.zeros(hidden)}
    for x in xs:
        z = x @ W + state["h"] @ U + b
        gate = sigmoid(z[:hidden])
        cell = gate * state["c"] + (1.0 - gate) * np.tanh(z[hidden:])
        state = {"h": np.tanh(cell), "c": cell}
    return np.sum(state["h"]) + np.sum(state["c"] ** 2)


def first_confident_step(W, U, xs, threshold):
    """Score of the first step whose output is confident enough."""
    h = np.zeros(U.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U)
        score = np.sum(h)
        if score > threshold:
            return score * (t + 1)
    return np.sum(h ** 2)


# ------------------------------------------------------------------ cases

T, D, H = 6, 3, 4


def _w(rng, *shape, scale=0.5):
    return scale * rng.standard_normal(shape)


def _rnn_args(rng):
    return (_w(rng, D, H), _w(rng, H, H), _w(rng, H), rng.standard_normal((T, D)),
            _w(rng, H))


def _lstm_args(rng):
    return (_w(rng, D, 4 * H), _w(rng, H, 4 * H), _w(rng, 4 * H),
            rng.standard_normal((T, D)), _w(rng, H))


def _gru_args(rng):
    return (_w(rng, D, H), _w(rng, D, H), _w(rng, D, H), _w(rng, H, H),
            _w(rng, H, H), _w(rng, H, H), rng.standard_normal((T, D)),
            _w(rng, T, H))


def _bi_args(rng):
    return (_w(rng, D, H), _w(rng, H, H), _w(rng, D, H), _w(rng, H, H),
            rng.standard_normal((T, D)))


def _readout_args(rng):
    return _w(rng, D, H), _w(rng, H, H), _w(rng, H, 2), rng.standard_normal((T, D))


def _early_stop_args(rng):
    W = np.full((D, H), 0.4)
    U = 0.3 * np.eye(H)
    xs = np.outer(np.linspace(0.2, 1.5, T), np.ones(D)) + 0.05 * rng.standard_normal((T, D))
    # |h|^2 grows step by step; the threshold falls between steps 3 and 4
    return W, U, xs, 2.2


def _masked_args(rng):
    return (_w(rng, D, H), _w(rng, H, H), rng.standard_normal((T, D)),
            np.array([1, 0, 1, 1, 0, 1]))


def _discount_args(rng):
    return _w(rng, D, H), _w(rng, H, H), rng.standard_normal((T, D)), 0.9


def _stacked_args(rng):
    return (_w(rng, D, H), _w(rng, H, H), _w(rng, H, H), _w(rng, H, H),
            rng.standard_normal((T, D)))


def _cell_args(rng):
    return _w(rng, D, H), _w(rng, H, H), _w(rng, H), rng.standard_normal((T, D))


def _decoder_args(rng):
    return _w(rng, 3, H), _w(rng, H, H), _w(rng, H, 3), rng.standard_normal(H), 5


def _state_dict_args(rng):
    return _w(rng, D, 2 * H), _w(rng, H, 2 * H), _w(rng, 2 * H), rng.standard_normal((T, D))


def _confident_args(threshold):
    def make(rng):
        W = np.full((D, H), 0.3)
        U = 0.2 * np.eye(H)
        xs = np.outer(np.linspace(0.1, 1.2, T), np.ones(D)) + 0.05 * rng.standard_normal((T, D))
        return W, U, xs, threshold
    return make


CASES = [
    Case(rnn_loss, _rnn_args, (0, 1, 2, 4), {'for_array', 'augassign'},
         order=2, float32=True),
    Case(lstm_sequence_loss, _lstm_args, (0, 1, 2, 4),
         {'for_range', 'other_module'}, float32=True),
    Case(gru_sequence_loss, _gru_args, (0, 1, 2, 3, 4, 5, 6),
         {'zip', 'other_module', 'augassign'}, float32=True),
    Case(bidirectional_rnn, _bi_args, (0, 1, 2, 3, 4),
         {'for_range', 'reversed', 'append', 'list', 'zip'}),
    Case(rnn_readout, _readout_args, (0, 1, 2), {'for_array', 'append', 'list'}),
    Case(rnn_early_stop, _early_stop_args, (0, 1, 2),
         {'for_array', 'if', 'break', 'docstring'}),
    Case(masked_rnn, _masked_args, (0, 1, 2), {'for_range', 'if', 'continue'}),
    Case(discounted_rnn_loss, _discount_args, (0, 1, 2, 3), {'enumerate'},
         order=2),
    Case(stacked_rnn, _stacked_args, (0, 1, 2, 3, 4),
         {'for_list', 'for_array', 'nested_loop', 'append', 'list', 'tuple'}),
    Case(rnn_with_cell_helper, _cell_args, (0, 1, 2, 3),
         {'for_array', 'helper'}),
    Case(greedy_decoder, _decoder_args, (0, 1, 2, 3),
         {'for_range', 'other_module', 'docstring', 'kwargs'}),
    Case(lstm_with_state_dict, _state_dict_args, (0, 1, 2, 3),
         {'for_array', 'dict', 'other_module'}),
    # returns from inside the loop; with the higher threshold never
    Case(first_confident_step, _confident_args(1.8), (0, 1, 2),
         {'for_range', 'if', 'return_in_loop', 'docstring'}),
    Case(first_confident_step, _confident_args(50.0), (0, 1, 2),
         {'for_range', 'if', 'return_in_loop', 'docstring'}),
]
