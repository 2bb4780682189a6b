"""Newton, secant and fixed-point iterations that stop on a tolerance."""
import math

import numpy as np

from . import Case

TOL = 1e-13


def newton_sqrt(a):
    x = a
    for _ in range(60):
        x_new = 0.5 * (x + a / x)
        if abs(x_new - x) < 1e-15 * x_new:
            break
        x = x_new
    return x


def kepler_eccentric_anomaly(M, e):
    """Solve Kepler's equation E - e sin E = M for every mean anomaly."""
    E = M + e * np.sin(M)
    delta = np.ones_like(M)
    iterations = 0
    while np.max(np.abs(delta)) > 1e-12 and iterations < 50:
        delta = (E - e * np.sin(E) - M) / (1.0 - e * np.cos(E))
        E = E - delta
        iterations += 1
    return np.sum(np.sin(E) * np.arange(1.0, E.shape[0] + 1.0))


def kepler_scalar_math(M, e):
    E = M
    delta = 1.0
    while abs(delta) > 1e-14:
        delta = (E - e * math.sin(E) - M) / (1.0 - e * math.cos(E))
        E = E - delta
    return math.sqrt(1.0 + e) * math.sin(E / 2.0)


def implicit_tanh_layer(W, x):
    """Deep-equilibrium layer: iterate z = tanh(W z + x) to its fixed point."""
    z = np.zeros_like(x)
    err = 1.0
    while err > TOL:
        z_new = np.tanh(W @ z + x)
        err = np.max(np.abs(z_new - z))
        z = z_new
    return np.sum(z * x)


def cubic_roots(p):
    x = np.ones_like(p)
    for _ in range(100):
        f = x ** 3 + p * x - 1.0
        step = f / (3.0 * x ** 2 + p)
        x = x - step
        if np.max(np.abs(step)) < TOL:
            break
    return np.sum(x * np.cos(p))


def secant_cube_root(c):
    x0, x1 = 1.0, 2.0
    f0 = x0 ** 3 - c
    for _ in range(100):
        f1 = x1 ** 3 - c
        if abs(f1) < 1e-12:
            return x1
        x0, x1, f0 = x1, x1 - f1 * (x1 - x0) / (f1 - f0), f1
    return x1


def _quartic(x, a, b, c):
    return 0.25 * a * x ** 4 + 0.5 * b * x ** 2 - c * x


def damped_newton_minimize(a, b, c):
    """Newton's method with a backtracking line search on a convex quartic."""
    x = np.full_like(c, 3.0)
    for _ in range(50):
        g = a * x ** 3 + b * x - c
        hess = 3.0 * a * x ** 2 + b
        step = g / hess
        t = 1.0
        while np.sum(_quartic(x - t * step, a, b, c)) > \
                np.sum(_quartic(x, a, b, c)) - 0.25 * t * np.sum(g * step):
            t = 0.5 * t
        x = x - t * step
        if np.max(np.abs(step)) < 1e-12:
            break
    return np.sum(_quartic(x, a, b, c)) + np.sum(x)


def power_iteration(A):
    v = np.ones(A.shape[0]) / np.sqrt(A.shape[0])
    lam = 0.0
    for _ in range(500):
        w = A @ v
        v = w / np.sqrt(np.sum(w * w))
        lam_new = v @ A @ v
        if np.abs(lam_new - lam) < 1e-14 * np.abs(lam_new):
            lam = lam_new
            break
        lam = lam_new
    return lam


def positive_roots(coeffs):
    roots = []
    for c in coeffs:
        if c <= 0.0:
            continue
        x = 1.0
        for _ in range(60):
            x_next = x - (x * x - c) / (2.0 * x)
            if np.abs(x_next - x) < 1e-15:
                break
            x = x_next
        roots.append(x)
    return sum(roots)


def fixed_point_cosine(a):
    """The fixed point of x = a cos x, found by damped iteration."""
    x = 0.5
    step = 1.0
    while np.abs(step) > 1e-14:
        step = 0.5 * (a * np.cos(x) - x)
        x = x + step
    return x


# ------------------------------------------------------------------ cases

def _sqrt_args(rng):
    return (2.7,)


def _kepler_args(rng):
    return rng.uniform(0.3, 2.8, 5), 0.3


def _kepler_math_args(rng):
    return 1.1, 0.4


def _deq_args(rng):
    W = rng.standard_normal((4, 4))
    W *= 0.4 / np.sqrt(np.sum(W * W))
    return W, rng.standard_normal(4)


def _cubic_args(rng):
    return (rng.uniform(0.5, 3.0, 4),)


def _secant_args(rng):
    return (5.0,)


def _damped_args(rng):
    return 1.5, 0.5, rng.uniform(-2.0, 2.0, 3)


def _power_args(rng):
    B = rng.standard_normal((4, 4))
    return (B @ B.T + np.diag([8.0, 1.0, 0.5, 0.2]),)


def _roots_args(rng):
    return (np.array([2.0, -1.0, 0.7, 3.1, -0.2]),)


def _cosine_args(rng):
    return (0.9,)


CASES = [
    Case(newton_sqrt, _sqrt_args, 0, {'for_range', 'if', 'break'}, order=2),
    Case(kepler_eccentric_anomaly, _kepler_args, (0, 1),
         {'while', 'boolop', 'augassign', 'docstring'},
         float32=True),
    Case(kepler_scalar_math, _kepler_math_args, (0, 1), {'while', 'math'},
         autograd_ok=False, order=2),
    Case(implicit_tanh_layer, _deq_args, (0, 1),
         {'while', 'constant', 'docstring'}),
    Case(cubic_roots, _cubic_args, 0, {'for_range', 'if', 'break', 'constant'},
         order=2),
    Case(secant_cube_root, _secant_args, 0,
         {'for_range', 'if', 'return_in_loop', 'tuple'}),
    Case(damped_newton_minimize, _damped_args, (0, 1, 2),
         {'for_range', 'while', 'nested_loop', 'if', 'break', 'helper',
          'docstring'}),
    Case(power_iteration, _power_args, 0, {'for_range', 'if', 'break'}),
    Case(positive_roots, _roots_args, 0,
         {'for_array', 'for_range', 'if', 'continue', 'nested_loop', 'break',
          'append', 'list'}),
    Case(fixed_point_cosine, _cosine_args, 0, {'while', 'docstring'},
         order=2),
]
