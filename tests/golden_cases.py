"""Functions whose generated source, graph and export are golden files (tests/golden/)."""
import numpy as np

import s2sgrad as sg


@sg.graph
def mlp_loss(W, b, x, t):
    h = np.tanh(x @ W + b)
    return np.mean((h - t) ** 2)


grad_mlp_loss = sg.grad(mlp_loss, wrt=(0, 1))


def softmax_xent(logits, labels):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(labels * logp, axis=1))


value_and_grad_softmax_xent = sg.value_and_grad(softmax_xent)


def _scale(v, k=2.0):
    # a helper: inlined, its lines named in the comments
    return k * v


@sg.graph
def with_helper(x):
    y = _scale(np.sin(x))
    return np.sum(y * y)


@sg.graph
def cost_example():
    Ws = np.float64(0.)
    bs = 2 * Ws
    cost = Ws + bs
    g = sg.gradients(cost, [Ws, bs])
    dCost_dW, dCost_db = g
    return dCost_dW, dCost_db


@sg.graph
def partial_derivatives(x):
    a = x * 3.0
    b = a * a
    return sg.gradients(a + b, [a, b], stop_gradients=[a, b], name='partials')


@sg.graph
def accumulate(x, w):
    y = x * x + np.sin(x) * w + np.exp(x) * x
    return sg.gradients(y, [x], aggregation_method=sg.AggregationMethod.EXPERIMENTAL_ACCUMULATE_N,
                        gate_gradients=True)


@sg.graph
def unconnected(use_zero):
    a = np.ones([1, 2])
    b = np.ones([3, 1])
    if use_zero:
        return sg.gradients([b], [a], unconnected_gradients='zero')
    else:
        return sg.gradients([b], [a], unconnected_gradients='none')


def cube(x):
    return x ** 3


second_derivative = sg.grad(sg.grad(cube))


def gather_rows(E, idx, mask):
    rows = E[idx]                      # integer array with repeats
    picked = rows[:, 1:3] * mask[None, :2]
    return np.sum(picked ** 2)


grad_gather_rows = sg.grad(gather_rows)

def rnn(W, U, xs, h):
    for x in xs:
        h = np.tanh(W @ h + U @ x)
    return np.sum(h * h)


grad_rnn = sg.grad(rnn, wrt=(0, 1))


def piecewise(x, a):
    if a > 1.0:
        y = np.sin(x) * a
    elif a < -1.0:
        y = x * x
    else:
        y = np.exp(x)
    return np.sum(y)


grad_piecewise = sg.grad(piecewise)


def sum_until_large(x):
    total = 0.0
    for i in range(len(x)):
        if x[i] < 0.0:
            continue
        if total > 10.0:
            break
        total = total + x[i] * x[i]
    return total


grad_sum_until_large = sg.grad(sum_until_large)


def fill_buffer(x, w):
    buf = np.zeros(len(x))
    for i in range(len(x)):
        buf[i] = np.sin(x[i]) * w
    return np.sum(buf * buf)


grad_fill_buffer = sg.grad(fill_buffer, wrt=(0, 1))

class _ForShapes:
    """The code a call runs: the gradient specialised for its arguments' shapes and dtypes."""

    def __init__(self, grad, *args):
        self.compiled = grad.compiled_for(args)
        self.source = self.compiled.generated.source
        self.graph = self.compiled.graph


def elementwise(w, x, y):
    z = w * x + np.sin(w)
    r = np.tanh(z) - y
    return np.sum(np.log1p(r * r)) + 0.5 * np.sum(np.exp(-w * w))


# results written into dead arrays (`dz = dr; dz *= ...`), big arrays (128 KiB) released
grad_elementwise_for_shapes = _ForShapes(sg.grad(elementwise), *[np.ones(1 << 14)] * 3)

def dict_mlp(params, x, t):
    h = np.tanh(x @ params['W1'] + params['b1'])
    y = h @ params['W2'] + params['b2']
    return np.mean((y - t) ** 2)


def layers_mlp(layers, x, t):
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.mean((h - t) ** 2)


def _zoo_arguments():
    """The MLP's parameters as a dict and as a list of (W, b) layers, and its data."""
    rng = np.random.default_rng(0)
    params = {'W1': rng.normal(size=(3, 5)), 'b1': np.zeros(5),
              'W2': rng.normal(size=(5, 2)), 'b2': np.zeros(2)}
    x, t = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    layers = [(params['W1'], params['b1']), (params['W2'], params['b2'])]
    return params, layers, x, t


# models as people write them (docs/models.md): a dict of parameters, a list of layers
_PARAMS, _LAYERS, _X, _T = _zoo_arguments()
grad_dict_mlp_for_shapes = _ForShapes(sg.grad(dict_mlp), _PARAMS, _X, _T)
grad_layers_mlp_for_shapes = _ForShapes(sg.grad(layers_mlp), _LAYERS, _X, _T)

CASES = {
    'grad_rnn': grad_rnn,
    'grad_piecewise': grad_piecewise,
    'grad_sum_until_large': grad_sum_until_large,
    'grad_fill_buffer': grad_fill_buffer,
    'mlp_loss': mlp_loss,
    'grad_mlp_loss': grad_mlp_loss,
    'value_and_grad_softmax_xent': value_and_grad_softmax_xent,
    'with_helper': with_helper,
    'cost_example': cost_example,
    'partial_derivatives': partial_derivatives,
    'accumulate': accumulate,
    'unconnected': unconnected,
    'second_derivative': second_derivative,
    'grad_gather_rows': grad_gather_rows,
    'grad_elementwise_for_shapes': grad_elementwise_for_shapes,
    'grad_dict_mlp_for_shapes': grad_dict_mlp_for_shapes,
    'grad_layers_mlp_for_shapes': grad_layers_mlp_for_shapes,
}


@sg.checkpoint
def rnn_cell(W, U, x, h):
    # checkpointed: the adjoint computes it again from (h, x) instead of taping a, z
    z = W @ h + U @ x
    a = np.tanh(z)
    return a * a + 0.5 * h


def checkpointed_rnn(W, U, xs, h):
    for x in xs:
        h = rnn_cell(W, U, x, h)
    return np.sum(h * h)


CASES['grad_checkpointed_rnn'] = sg.grad(checkpointed_rnn, wrt=(0, 1))


def relax(W, h, tol):
    # run until the update is small (a trip count known only at the end): the
    # adjoint keeps at most 4 states on the online schedule, not one per step
    step = np.ones_like(h)
    while sg.checkpointed(np.max(np.abs(step)) > tol, snapshots=4):
        step = np.tanh(W @ h) - h
        h = h + 0.5 * step
    return np.sum(h ** 2)


CASES['grad_checkpointed_while'] = sg.grad(relax)


def _lstm_layer_lists():
    """ADBench's LSTM with lists of per-layer arrays indexed by the loop counter
    (`hidden[i], cell[i] = lstm_model(weights[i], ...)`: tests/lstm_spellings.py), the
    code a call with ADBench's small sizes runs."""
    import lstm_spellings as spellings
    args = spellings.ARGUMENTS['layer_lists'](*spellings.inputs(np.random.default_rng(0)))
    return _ForShapes(sg.grad(spellings.layer_lists, wrt=(0, 1, 2)), *args)


CASES['grad_lstm_layer_lists_for_shapes'] = _lstm_layer_lists()
