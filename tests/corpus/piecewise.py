"""Piecewise functions: if/elif/else on run-time values, conditional
expressions, and/or/not, early returns.  Each function has several cases, one
per branch (or inputs whose elements take different branches)."""
import numpy as np

from . import Case


def huber_scalar(r, delta):
    if np.abs(r) <= delta:
        return 0.5 * r * r
    return delta * (np.abs(r) - 0.5 * delta)


def progressive_tax(income, rate):
    if income < 10.0:
        tax = rate * income
    elif income < 40.0:
        tax = rate * 10.0 + 2.0 * rate * (income - 10.0)
    elif income < 100.0:
        tax = 70.0 * rate + 3.0 * rate * (income - 40.0)
    else:
        tax = 250.0 * rate + 4.0 * rate * (income - 100.0)
    return tax * (1.0 + 0.01 * rate)


def activation_by_name(x, w, kind):
    z = x @ w
    if kind == "relu":
        y = np.maximum(z, 0.0)
    elif kind == "tanh":
        y = np.tanh(z)
    elif kind == "softplus":
        y = np.log1p(np.exp(z))
    else:
        raise ValueError(f"unknown activation {kind!r}")
    return np.sum(y ** 2)


def leaky_square(x, slope):
    y = x if x > 0.0 else slope * x
    return y * y + y


def elementwise_regions(x):
    pieces = []
    for v in x:
        if v < -1.0:
            pieces.append(-2.0 / 3.0 + (v + 1.0))
        elif v < 1.0:
            pieces.append(v - v ** 3 / 3.0 + np.sin(v))
        else:
            pieces.append(2.0 / 3.0 + np.log(v) + np.sin(v))
    return np.sum(np.stack(pieces) * np.arange(1.0, len(pieces) + 1.0))


def quadrant_energy(a, b):
    if a > 0 and b > 0:
        e = a * b
    elif a > 0 or b > 0:
        e = a + b + a * b
    else:
        e = -(a * a + b * b)
    if not e < 0:
        e = e + 0.5 * e * e
    return e


def trust_region_model(g, h_diag, radius):
    step = -g / h_diag
    norm = np.sqrt(np.sum(step ** 2))
    if norm > radius:
        step = step * (radius / norm)
    return np.sum(g * step) + 0.5 * np.sum(h_diag * step ** 2)


def standardize_features(x, w):
    if x.ndim == 1:
        x = x[None, :]
    mu = np.mean(x, axis=0)
    sd = np.sqrt(np.mean((x - mu) ** 2, axis=0) + 1.0)
    return np.sum(np.tanh((x - mu) / sd @ w))


def nested_branches(x, y):
    if x > 0:
        if y > 0:
            z = x * y
            bonus = 0.1 * z
            z = z + bonus
        else:
            z = x - y
    else:
        z = np.sin(x) + y
    return z * z


def sinc(x):
    if np.abs(x) < 1e-2:
        return 1.0 - x * x / 6.0 + x ** 4 / 120.0
    return np.sin(x) / x


def extrapolated_square(x, lo, hi):
    """x**2 inside (lo, hi), continued linearly outside."""
    if lo < x < hi:
        return x * x
    elif x <= lo:
        return lo * lo + 2.0 * lo * (x - lo)
    return hi * hi + 2.0 * hi * (x - hi)


def sign_scaled_projection(x, w):
    scale = 2.0 if np.sum(x) > 0 else 0.5
    return np.sum(np.tanh(scale * (x @ w)))


def pinball_loss(pred, target, tau):
    residuals = target - pred
    return sum((tau if r > 0 else tau - 1.0) * r for r in residuals)


def saturating_gain(x, limit):
    total = 0.0
    for v in x:
        if v > limit or v < -limit:
            total = total + limit * np.tanh(v / limit)
        elif not v > 0:
            total = total + v + 0.1 * v * v
        else:
            total = total + v
    return total


# ------------------------------------------------------------------ cases

def _fixed(*args):
    def make(rng):
        return args
    return make


def _activation_args(kind):
    def make(rng):
        x = rng.standard_normal((4, 3))
        w = rng.standard_normal(3)
        return x, w, kind
    return make


def _regions_args(rng):
    return (np.array([-2.3, -0.4, 0.6, 1.7, 3.2, -1.5]),)


def _trust_args(scale):
    def make(rng):
        return scale * rng.standard_normal(3), rng.uniform(1.0, 2.0, 3), 1.0
    return make


def _standardize_args(ndim):
    def make(rng):
        shape = (4,) if ndim == 1 else (5, 4)
        return rng.standard_normal(shape), rng.standard_normal(4)
    return make


def _proj_args(sign):
    def make(rng):
        x = rng.standard_normal((3, 4))
        x = x - np.mean(x) + sign * 0.5
        return x, rng.standard_normal(4)
    return make


def _pinball_args(rng):
    return rng.standard_normal(6), rng.standard_normal(6), 0.3


def _gain_args(rng):
    return np.array([2.5, -0.7, 0.4, -3.1, 1.2, -0.2]), 1.5


_IF = {'if'}
CASES = [
    # |r| <= delta, r > delta, r < -delta
    Case(huber_scalar, _fixed(0.3, 1.0), (0, 1), {'if', 'return_in_if'}, order=2),
    Case(huber_scalar, _fixed(2.5, 1.0), (0, 1), {'if', 'return_in_if'}, order=2),
    Case(huber_scalar, _fixed(-1.7, 1.0), (0, 1), {'if', 'return_in_if'}, order=2),
    # one case per bracket
    Case(progressive_tax, _fixed(4.0, 0.2), (0, 1), _IF, order=2),
    Case(progressive_tax, _fixed(25.0, 0.2), (0, 1), _IF, order=2),
    Case(progressive_tax, _fixed(60.0, 0.2), (0, 1), _IF, order=2),
    Case(progressive_tax, _fixed(130.0, 0.2), (0, 1), _IF, order=2),
    # the raise is never taken
    Case(activation_by_name, _activation_args("relu"), (0, 1), {'if', 'raise'}),
    Case(activation_by_name, _activation_args("tanh"), (0, 1), {'if', 'raise'}),
    Case(activation_by_name, _activation_args("softplus"), (0, 1),
         {'if', 'raise'}),
    Case(leaky_square, _fixed(0.7, 0.1), (0, 1), {'ifexp'}, order=2),
    Case(leaky_square, _fixed(-1.2, 0.1), (0, 1), {'ifexp'}, order=2),
    # the elements fall in all three regions
    Case(elementwise_regions, _regions_args, 0,
         {'for_array', 'if', 'append', 'list'}),
    Case(quadrant_energy, _fixed(0.8, 1.3), (0, 1), {'if', 'boolop'}, order=2),
    Case(quadrant_energy, _fixed(0.8, -1.3), (0, 1), {'if', 'boolop'}, order=2),
    Case(quadrant_energy, _fixed(-0.8, 0.3), (0, 1), {'if', 'boolop'}, order=2),
    Case(quadrant_energy, _fixed(-0.8, -1.3), (0, 1), {'if', 'boolop'}, order=2),
    # the Newton step inside and outside the trust region
    Case(trust_region_model, _trust_args(0.3), (0, 1, 2), _IF, order=2),
    Case(trust_region_model, _trust_args(4.0), (0, 1, 2), _IF, order=2,
         float32=True),
    Case(standardize_features, _standardize_args(1), (0, 1), _IF),
    Case(standardize_features, _standardize_args(2), (0, 1), _IF),
    Case(nested_branches, _fixed(0.9, 1.4), (0, 1), _IF, order=2),
    Case(nested_branches, _fixed(0.9, -1.4), (0, 1), _IF, order=2),
    Case(nested_branches, _fixed(-0.9, 1.4), (0, 1), _IF, order=2),
    Case(sinc, _fixed(3e-3), 0, {'if', 'return_in_if'}, order=2),
    Case(sinc, _fixed(1.3), 0, {'if', 'return_in_if'}, order=2),
    Case(extrapolated_square, _fixed(0.4, -1.0, 2.0), (0, 1, 2),
         {'if', 'boolop', 'return_in_if', 'docstring'}),
    Case(extrapolated_square, _fixed(-1.6, -1.0, 2.0), (0, 1, 2),
         {'if', 'boolop', 'return_in_if', 'docstring'}),
    Case(extrapolated_square, _fixed(2.7, -1.0, 2.0), (0, 1, 2),
         {'if', 'boolop', 'return_in_if', 'docstring'}),
    Case(sign_scaled_projection, _proj_args(1.0), (0, 1), {'ifexp'}),
    Case(sign_scaled_projection, _proj_args(-1.0), (0, 1), {'ifexp'}),
    # residuals of both signs
    Case(pinball_loss, _pinball_args, (0, 1, 2), {'genexp', 'ifexp'}),
    # elements in all three branches
    Case(saturating_gain, _gain_args, (0, 1), {'for_array', 'if', 'boolop'},
         order=2),
]
