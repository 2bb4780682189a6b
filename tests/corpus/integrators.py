"""ODE integrators: fixed-step, adaptive and event-terminated loops."""
import numpy as np

from . import Case
from . import shared

GRAVITY = 9.81
DT = 0.01
MAX_STEP = 0.1

# The classical Runge-Kutta tableau.
RK4_A = ((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0))
RK4_B = (1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0)
RK4_C = (0.0, 0.5, 0.5, 1.0)


def euler_forced_decay(y0, k, t_end):
    """Forward Euler up to t_end, the last step shortened to land on it."""
    t = 0.0
    y = y0
    while t < t_end:
        h = min(MAX_STEP, t_end - t)
        y = y + h * (-k * y + np.sin(t))
        t += h
    return np.sum(y ** 2)


def lotka_volterra_rk4(z0, params, n_steps):
    z = z0
    for _ in range(n_steps):
        z = shared.rk4_step(shared.lotka_volterra, z, 0.05, params)
    return z[0] + 2.0 * z[1]


def adaptive_heun(y0, lam, t_end, tol):
    """Heun's method with Euler as the error estimate; rejected steps are halved."""
    t, h, y = 0.0, 0.2, y0
    rejected = 0
    while t < t_end - 1e-9:
        h = min(h, t_end - t)
        k1 = -lam * y
        euler = y + h * k1
        k2 = -lam * euler
        heun = y + 0.5 * h * (k1 + k2)
        err = np.max(np.abs(heun - euler))
        if err > tol:
            h = 0.5 * h
            rejected += 1
            continue
        y = heun
        t = t + h
        h = 0.9 * h * np.sqrt(tol / err)
    return np.sum(y) + 0.001 * rejected


def time_to_ground(h0, v0, drag):
    y, v, t = h0, v0, 0.0
    y_prev = y
    while y > 0.0:
        a = -GRAVITY - drag * v * np.abs(v)
        v = v + DT * a
        y_prev = y
        y = y + DT * v
        t = t + DT
    # linear interpolation of the crossing inside the last step
    return t - DT * y / (y - y_prev)


def escape_from_hilltop(x0, v0, damping):
    """Time for x'' = x - damping x' (semi-implicit Euler) to leave |x| < 1."""
    x, v = x0, v0
    steps = 0
    while np.abs(x) < 1.0 and steps < 1000:
        v = v + DT * (x - damping * v)
        x = x + DT * v
        steps += 1
    overshoot = (np.abs(x) - 1.0) / np.abs(v)
    return steps * DT - overshoot


def oscillator_trajectory(x0, v0, k, n_steps):
    traj = np.zeros((n_steps + 1, x0.shape[0]))
    traj[0] = x0
    v = v0
    for i in range(n_steps):
        v = v - DT * k * traj[i]
        traj[i + 1] = traj[i] + DT * v
    return np.sum(traj ** 2) * DT


def _decay_rhs(y, rate):
    return -rate * y + 0.5 * np.tanh(y)


def _midpoint(f, y, h, n, params):
    for _ in range(n):
        y = y + h * f(y + 0.5 * h * f(y, params), params)
    return y


def decay_midpoint(y0, rate):
    return np.sum(_midpoint(_decay_rhs, y0, 0.05, 20, rate) ** 2)


def implicit_euler_newton(y0, k, n_steps):
    """Implicit Euler on y' = -k (y^3 + y): Newton's method at every step."""
    h = 0.1
    y = y0
    for _ in range(n_steps):
        Y = y
        for _ in range(30):
            F = Y - y + h * k * (Y ** 3 + Y)
            J = 1.0 + h * k * (3.0 * Y ** 2 + 1.0)
            dY = F / J
            Y = Y - dY
            if np.max(np.abs(dY)) < 1e-13:
                break
        y = Y
    return np.sum(y)


def _forced_van_der_pol(t, y, mu):
    return np.stack([y[1], mu * (1.0 - y[0] ** 2) * y[1] - y[0] + 0.3 * np.sin(t)])


def tableau_runge_kutta(y0, mu, n_steps):
    h = 0.05
    t = 0.0
    y = y0
    for _ in range(n_steps):
        ks = []
        for i, row in enumerate(RK4_A):
            yi = y
            for a, k in zip(row, ks):
                yi = yi + h * a * k
            ks.append(_forced_van_der_pol(t + RK4_C[i] * h, yi, mu))
        y = y + h * sum(b * k for b, k in zip(RK4_B, ks))
        t = t + h
    return y[0] ** 2 + y[1]


def _gravity_accel(q):
    r = np.sqrt(np.sum(q * q))
    return -q / r ** 3


def verlet_until_time(q0, p0, t_end):
    q, p, t = q0, p0, 0.0
    a = _gravity_accel(q)
    while t + 1e-12 < t_end:
        p_half = p + 0.5 * DT * a
        q = q + DT * p_half
        a = _gravity_accel(q)
        p = p_half + 0.5 * DT * a
        t = t + DT
    return 0.5 * np.sum(p * p) - 1.0 / np.sqrt(np.sum(q * q)) + q[0]


# ------------------------------------------------------------------ cases

def _decay_args(rng):
    return rng.standard_normal(3), 0.7, 1.03


def _lv_args(rng):
    return np.array([1.0, 0.5]) + 0.1 * rng.uniform(size=2), \
        np.array([1.1, 0.4, 0.4, 0.1]), 20


def _heun_args(rng):
    return rng.uniform(0.5, 1.5, 3), 2.0, 2.05, 1e-3


def _ground_args(height):
    def make(rng):
        return height, 0.4, 0.05
    return make


def _hilltop_args(rng):
    return 0.25, 0.05, 0.3


def _trajectory_args(rng):
    return rng.standard_normal(2), rng.standard_normal(2), 2.0, 30


def _midpoint_args(rng):
    return rng.standard_normal(4), 0.8


def _implicit_args(rng):
    return rng.standard_normal(3), 5.0, 6


def _tableau_args(rng):
    return np.array([1.0, 0.0]) + 0.1 * rng.standard_normal(2), 0.5, 8


def _verlet_args(rng):
    return np.array([1.0, 0.0]) + 0.02 * rng.standard_normal(2), \
        np.array([0.0, 1.0]) + 0.02 * rng.standard_normal(2), 0.505


CASES = [
    Case(euler_forced_decay, _decay_args, (0, 1),
         {'while', 'augassign', 'constant', 'docstring'}),
    Case(lotka_volterra_rk4, _lv_args, (0, 1),
         {'for_range', 'other_module', 'higher_order', 'varargs'},
         float32=True),
    Case(adaptive_heun, _heun_args, (0, 1),
         {'while', 'if', 'continue', 'augassign', 'docstring'}),
    Case(time_to_ground, _ground_args(2.0), (0, 1, 2), {'while', 'constant'}),
    Case(time_to_ground, _ground_args(0.3), (0, 1, 2), {'while', 'constant'}),
    Case(escape_from_hilltop, _hilltop_args, (0, 1, 2),
         {'while', 'boolop', 'augassign', 'constant', 'docstring'}),
    Case(oscillator_trajectory, _trajectory_args, (0, 1, 2),
         {'for_range', 'setitem', 'constant'}, autograd_ok=False),
    Case(decay_midpoint, _midpoint_args, (0, 1),
         {'for_range', 'helper', 'higher_order'}, order=2, float32=True),
    Case(implicit_euler_newton, _implicit_args, (0, 1),
         {'for_range', 'nested_loop', 'if', 'break', 'docstring'}),
    Case(tableau_runge_kutta, _tableau_args, (0, 1),
         {'for_range', 'enumerate', 'zip', 'nested_loop', 'append', 'list',
          'genexp', 'helper', 'constant'}),
    Case(verlet_until_time, _verlet_args, (0, 1),
         {'while', 'helper', 'constant'}),
]
