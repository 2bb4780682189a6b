"""Models configured by module constants, config dicts and named tuples."""
import collections

import numpy as np

from . import Case
from . import shared

CONFIG = {
    "activation": "softplus",
    "l2": 1e-2,
    "label_smoothing": 0.1,
    "n_steps": 6,
    "step_size": 0.1,
}
ACTIVATIONS = {"tanh": np.tanh, "softplus": shared.softplus, "sin": np.sin}
EPS = 1e-8
LEARNING_RATES = (0.3, 0.2, 0.1, 0.05)

Hyper = collections.namedtuple("Hyper", ["temperature", "margin", "scale"])
HYPER = Hyper(temperature=0.7, margin=0.5, scale=2.0)

PHYSICS = {"gravity": 9.81, "drag": 0.1, "dt": 0.01, "steps": 25}

DEFAULTS = {"l1": 0.0, "l2": 1e-3, "power": 2.0}


def configured_mlp_loss(W1, W2, x, t):
    act = ACTIVATIONS[CONFIG["activation"]]
    pred = act(x @ W1) @ W2
    penalty = CONFIG["l2"] * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    return np.mean((pred - t) ** 2) + penalty


def smoothed_cross_entropy(logits, labels):
    eps = CONFIG["label_smoothing"]
    n_classes = logits.shape[1]
    target = (1.0 - eps) * labels + eps / n_classes
    log_p = np.log(shared.softmax(logits) + EPS)
    return -np.sum(target * log_p) / logits.shape[0]


def dict_argument_model(w, x, cfg):
    scores = x @ w * cfg["scale"]
    total = 0.0
    for name, weight in cfg["penalties"].items():
        if name == "l1":
            total = total + weight * np.sum(np.abs(w))
        else:
            total = total + weight * np.sum(w ** 2)
    return np.sum(np.tanh(scores)) + total


def scheduled_descent(theta, target):
    for lr in LEARNING_RATES:
        grad = 2.0 * (theta - target) + np.sin(theta)
        theta = theta - lr * grad
    return np.sum(theta ** 2)


def optional_normalization(x, w, cfg):
    if cfg["normalize"]:
        x = (x - np.mean(x, axis=0)) / np.sqrt(np.var(x, axis=0) + 1.0)
    return np.sum(np.tanh(x @ w) * cfg["scale"])


def projectile_from_config(v0, angle_speed):
    g, drag, dt = PHYSICS["gravity"], PHYSICS["drag"], PHYSICS["dt"]
    pos = np.zeros(2)
    vel = v0 * angle_speed
    for _ in range(PHYSICS["steps"]):
        acc = np.array([0.0, -g]) - drag * vel
        vel = vel + dt * acc
        pos = pos + dt * vel
    return pos[0] + 0.1 * pos[1]


def _penalty(w, **overrides):
    opts = {**DEFAULTS, **overrides}
    return opts["l1"] * np.sum(np.abs(w)) + opts["l2"] * np.sum(np.abs(w) ** opts["power"])


def tuned_regression(w, X, y):
    r = X @ w - y
    return np.mean(r ** 2) + _penalty(w, l2=0.05, power=3.0)


def contrastive_hinge(a, b, negatives):
    pos = np.sum(a * b) / HYPER.temperature
    neg = negatives @ a / HYPER.temperature
    return HYPER.scale * np.sum(shared.softplus(HYPER.margin + neg - pos))


def activation_sweep(x, w):
    total = 0.0
    for name in ("tanh", "sin"):
        total = total + np.sum(ACTIVATIONS[name](x @ w))
    return total


# ------------------------------------------------------------------ cases

def _mlp_args(rng):
    return (0.5 * rng.standard_normal((3, 4)), 0.5 * rng.standard_normal((4, 2)),
            rng.standard_normal((5, 3)), rng.standard_normal((5, 2)))


def _ce_args(rng):
    labels = np.eye(3)[[0, 2, 1, 1]]
    return rng.standard_normal((4, 3)), labels


def _dict_arg_args(rng):
    return (rng.standard_normal(3), rng.standard_normal((4, 3)),
            {"scale": 0.5, "penalties": {"l1": 0.01, "l2": 0.1}})


def _schedule_args(rng):
    return rng.standard_normal(3), rng.standard_normal(3)


def _normalization_args(flag):
    def make(rng):
        return (rng.standard_normal((5, 3)), rng.standard_normal(3),
                {"normalize": flag, "scale": 1.5})
    return make


def _projectile_args(rng):
    return 12.0, np.array([0.8, 0.6])


def _tuned_args(rng):
    return rng.standard_normal(3), rng.standard_normal((6, 3)), rng.standard_normal(6)


def _hinge_args(rng):
    return rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal((3, 4))


def _sweep_args(rng):
    return rng.standard_normal((4, 3)), rng.standard_normal(3)


CASES = [
    Case(configured_mlp_loss, _mlp_args, (0, 1, 2), {'constant', 'higher_order'},
         order=2),
    Case(smoothed_cross_entropy, _ce_args, 0,
         {'constant', 'other_module', 'kwargs'}, order=2),
    Case(dict_argument_model, _dict_arg_args, (0, 1),
         {'dict', 'for_list', 'if'}),
    Case(scheduled_descent, _schedule_args, (0, 1), {'for_list', 'constant'},
         order=2),
    Case(optional_normalization, _normalization_args(True), (0, 1),
         {'dict', 'if'}),
    Case(optional_normalization, _normalization_args(False), (0, 1),
         {'dict', 'if'}),
    Case(projectile_from_config, _projectile_args, (0, 1),
         {'for_range', 'constant', 'tuple'}),
    Case(tuned_regression, _tuned_args, (0, 1, 2),
         {'dict', 'varargs', 'kwargs', 'helper', 'constant'}, order=2),
    Case(contrastive_hinge, _hinge_args, (0, 1, 2),
         {'constant', 'other_module'}, order=2),
    Case(activation_sweep, _sweep_args, (0, 1),
         {'for_list', 'constant', 'higher_order'}),
]
