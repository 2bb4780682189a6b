"""Networks written as lists of layers; parameters in lists, tuples, dicts."""
import numpy as np

from . import Case
from . import shared


def mlp_layer_list(W1, b1, W2, b2, W3, b3, x, t):
    layers = [(W1, b1), (W2, b2), (W3, b3)]
    h = x
    for i, (W, b) in enumerate(layers):
        h = h @ W + b
        if i < len(layers) - 1:
            h = np.tanh(h)
    return np.mean((h - t) ** 2)


def _forward(layers, x):
    h = x
    for W, b in layers[:-1]:
        h = shared.softplus(h @ W + b)
    W, b = layers[-1]
    return h @ W + b


def mlp_with_forward_helper(W1, b1, W2, b2, x, t):
    layers = [(W1, b1), (W2, b2)]
    return shared.mse(_forward(layers, x), t)


def residual_stack(W1, W2, W3, x):
    h = x
    for W in (W1, W2, W3):
        h = h + np.tanh(h @ W)
    return np.sum(h ** 2)


def dict_params_mlp(W_in, b_in, W_out, x, t):
    params = {"W_in": W_in, "b_in": b_in, "W_out": W_out}
    hidden = np.tanh(x @ params["W_in"] + params["b_in"])
    pred = hidden @ params["W_out"]
    return np.sum((pred - t) ** 2)


def _predict(W, x):
    return np.tanh(x @ W)


def ensemble_mean(Wa, Wb, Wc, x):
    predictions = [_predict(W, x) for W in (Wa, Wb, Wc)]
    mean = np.mean(np.stack(predictions), axis=0)
    return np.sum(mean ** 2)


def l2_regularised_loss(W1, W2, x, t, lam):
    params = [W1, W2]
    pred = np.tanh(x @ W1) @ W2
    penalty = sum(np.sum(p ** 2) for p in params)
    return shared.mse(pred, t) + lam * penalty


def per_layer_activations(W1, W2, W3, x):
    weights = [W1, W2, W3]
    activations = [np.tanh, shared.softplus, np.sin]
    h = x
    for W, act in zip(weights, activations):
        h = act(h @ W)
    return np.sum(h)


def two_layer_layernorm(W1, W2, gain, bias, x):
    h = shared.layer_norm(x @ W1, gain, bias)
    return np.sum(shared.softplus(h) @ W2)


def tuple_params_network(params, x):
    (W1, b1), (W2, b2) = params
    h = np.tanh(x @ W1 + b1)
    return np.sum(np.sin(h @ W2 + b2))


def tuple_params_loss(W1, b1, W2, b2, x):
    return tuple_params_network(((W1, b1), (W2, b2)), x)


def dense_net_growing_features(W1, W2, x):
    features = [x]
    for W in [W1, W2]:
        inputs = np.concatenate(features, axis=1)
        features.append(np.tanh(inputs @ W))
    return np.sum(features[-1])


def layer_list_from_dims(x, w):
    """Weights cut out of one flat vector for the layer sizes (3, 4, 2)."""
    dims = (3, 4, 2)
    layers = []
    offset = 0
    for n_in, n_out in zip(dims[:-1], dims[1:]):
        layers.append(w[offset:offset + n_in * n_out].reshape(n_in, n_out))
        offset += n_in * n_out
    h = x
    for W in layers:
        h = np.tanh(h @ W)
    return np.sum(h ** 2)


# ------------------------------------------------------------------ cases

def _w(rng, *shape):
    return 0.5 * rng.standard_normal(shape)


def _mlp3_args(rng):
    return (_w(rng, 3, 5), _w(rng, 5), _w(rng, 5, 4), _w(rng, 4), _w(rng, 4, 2),
            _w(rng, 2), rng.standard_normal((6, 3)), rng.standard_normal((6, 2)))


def _mlp2_args(rng):
    return (_w(rng, 3, 4), _w(rng, 4), _w(rng, 4, 2), _w(rng, 2),
            rng.standard_normal((6, 3)), rng.standard_normal((6, 2)))


def _res_args(rng):
    return _w(rng, 4, 4), _w(rng, 4, 4), _w(rng, 4, 4), rng.standard_normal((3, 4))


def _dict_args(rng):
    return (_w(rng, 3, 4), _w(rng, 4), _w(rng, 4, 2), rng.standard_normal((5, 3)),
            rng.standard_normal((5, 2)))


def _ens_args(rng):
    return _w(rng, 3, 2), _w(rng, 3, 2), _w(rng, 3, 2), rng.standard_normal((4, 3))


def _l2_args(rng):
    return (_w(rng, 3, 4), _w(rng, 4, 2), rng.standard_normal((5, 3)),
            rng.standard_normal((5, 2)), 0.01)


def _acts_args(rng):
    return _w(rng, 3, 4), _w(rng, 4, 4), _w(rng, 4, 2), rng.standard_normal((5, 3))


def _ln_args(rng):
    return (_w(rng, 3, 4), _w(rng, 4, 2), 1.0 + 0.1 * rng.standard_normal(4),
            0.1 * rng.standard_normal(4), rng.standard_normal((5, 3)))


def _tuple_args(rng):
    return _w(rng, 3, 4), _w(rng, 4), _w(rng, 4, 2), _w(rng, 2), rng.standard_normal((5, 3))


def _dense_args(rng):
    return _w(rng, 3, 4), _w(rng, 7, 2), rng.standard_normal((5, 3))


def _dims_args(rng):
    return rng.standard_normal((5, 3)), _w(rng, 20)


CASES = [
    Case(mlp_layer_list, _mlp3_args, (0, 1, 2, 3, 4, 5),
         {'list', 'tuple', 'enumerate', 'if'}, float32=True),
    Case(mlp_with_forward_helper, _mlp2_args, (0, 1, 2, 3),
         {'list', 'tuple', 'helper', 'other_module', 'for_list'}, order=2),
    Case(residual_stack, _res_args, (0, 1, 2, 3), {'for_list', 'tuple'},
         order=2),
    Case(dict_params_mlp, _dict_args, (0, 1, 2, 3), {'dict'}, order=2),
    Case(ensemble_mean, _ens_args, (0, 1, 2, 3),
         {'comprehension', 'helper', 'tuple', 'list'}),
    Case(l2_regularised_loss, _l2_args, (0, 1, 4),
         {'list', 'genexp', 'other_module'}, order=2),
    Case(per_layer_activations, _acts_args, (0, 1, 2, 3),
         {'list', 'zip', 'higher_order', 'other_module'}),
    Case(two_layer_layernorm, _ln_args, (0, 1, 2, 3, 4),
         {'other_module', 'constant'}, order=2),
    Case(tuple_params_loss, _tuple_args, (0, 1, 2, 3),
         {'tuple', 'helper'}, order=2),
    Case(dense_net_growing_features, _dense_args, (0, 1, 2),
         {'list', 'for_list', 'append'}),
    Case(layer_list_from_dims, _dims_args, (0, 1),
         {'zip', 'for_list', 'append', 'list', 'tuple', 'methods',
          'augassign', 'docstring'}),
]
