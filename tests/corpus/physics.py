"""Physics programs: time stepping, pair potentials, stencils, collisions."""
import numpy as np

from . import Case

GRAVITY = 9.81
DT = 0.02


def leapfrog_spring_energy(x0, v0, k, n_steps):
    """Energy of a harmonic oscillator after ``n_steps`` leapfrog steps."""
    x, v = x0, v0
    for _ in range(n_steps):
        v = v - 0.5 * DT * k * x
        x = x + DT * v
        v = v - 0.5 * DT * k * x
    return 0.5 * np.sum(v ** 2) + 0.5 * k * np.sum(x ** 2)


def n_body_potential(pos, masses):
    n = pos.shape[0]
    energy = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            r = pos[i] - pos[j]
            dist = np.sqrt(np.sum(r * r) + 0.01)
            energy -= masses[i] * masses[j] / dist
    return energy


def _pendulum_rhs(theta, omega, length):
    return omega, -GRAVITY / length * np.sin(theta)


def pendulum_rk4(theta0, omega0, length, n_steps):
    theta, omega = theta0, omega0
    h = DT
    for _ in range(n_steps):
        k1t, k1w = _pendulum_rhs(theta, omega, length)
        k2t, k2w = _pendulum_rhs(theta + 0.5 * h * k1t, omega + 0.5 * h * k1w, length)
        k3t, k3w = _pendulum_rhs(theta + 0.5 * h * k2t, omega + 0.5 * h * k2w, length)
        k4t, k4w = _pendulum_rhs(theta + h * k3t, omega + h * k3w, length)
        theta = theta + h / 6.0 * (k1t + 2.0 * k2t + 2.0 * k3t + k4t)
        omega = omega + h / 6.0 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w)
    return np.sum(np.cos(theta)) + 0.1 * np.sum(omega ** 2)


def bouncing_ball(h0, v0, restitution):
    y, v = h0, v0
    bounces = 0
    for step in range(60):
        v = v - GRAVITY * DT
        y = y + DT * v
        if y < 0.0:
            y = -restitution * y
            v = -restitution * v
            bounces += 1
    return y + 0.1 * v * v + 0.01 * bounces


def spring_chain_forces(x, k, rest):
    """Net force on each mass of a 1-d chain, accumulated link by link."""
    forces = np.zeros_like(x)
    for i in range(x.shape[0] - 1):
        stretch = x[i + 1] - x[i] - rest
        forces[i] += k * stretch
        forces[i + 1] -= k * stretch
    return np.sum(forces ** 2)


def heat_equation_explicit(u0, alpha, n_steps):
    u = u0
    for _ in range(n_steps):
        u_new = u.copy()
        u_new[1:-1] = u[1:-1] + alpha * (u[2:] - 2.0 * u[1:-1] + u[:-2])
        u = u_new
    return np.sum(u * np.linspace(0.0, 1.0, u.shape[0]))


def damped_energy_history(x0, v0, gamma):
    x, v = x0, v0
    energies = []
    for _ in range(25):
        a = -x - gamma * v
        v = v + DT * a
        x = x + DT * v
        energies.append(0.5 * (x * x + v * v))
    history = np.stack(energies)
    return np.sum(history * np.linspace(1.0, 2.0, history.shape[0])[:, None])


def rotate_points(points, angles):
    total = 0.0
    for angle in angles:
        c, s = np.cos(angle), np.sin(angle)
        rotated = np.stack([c * points[:, 0] - s * points[:, 1],
                            s * points[:, 0] + c * points[:, 1]], axis=1)
        points = rotated + 0.1 * np.tanh(rotated)
        total = total + np.sum(points[:, 0])
    return total


def relax_spring_network(pos, anchors, stiffness):
    """Gradient-descent relaxation of free nodes tied to fixed anchors."""
    lr = 0.1
    for _ in range(15):
        d = pos - anchors
        length = np.sqrt(np.sum(d * d, axis=1, keepdims=True) + 1e-3)
        grad = stiffness * (length - 1.0) * d / length
        pos = pos - lr * grad
    return np.sum((pos - anchors) ** 2)


def kepler_orbit_energy(q, p, mu):
    for _ in range(30):
        r3 = np.sum(q * q) ** 1.5
        p = p - 0.5 * DT * mu * q / r3
        q = q + DT * p
        r3 = np.sum(q * q) ** 1.5
        p = p - 0.5 * DT * mu * q / r3
    return 0.5 * np.sum(p * p) - mu / np.sqrt(np.sum(q * q))


def drag_regime_flight(v0, mass, c_lin, c_quad):
    """Horizontal flight with quadratic drag above a critical speed."""
    v = v0
    distance = 0.0
    for _ in range(40):
        speed = np.sqrt(np.sum(v * v))
        if speed > 2.0:
            drag = c_quad * speed * v
        else:
            drag = c_lin * v
        v = v - DT * drag / mass
        distance = distance + DT * speed
    return distance


def inelastic_collisions(x, v, masses):
    """Particles on a line merge velocities when they come close."""
    n = x.shape[0]
    for _ in range(20):
        x = x + DT * v
        for i in range(n - 1):
            gap = x[i + 1] - x[i]
            if gap < 0.05:
                m = masses[i] + masses[i + 1]
                vc = (masses[i] * v[i] + masses[i + 1] * v[i + 1]) / m
                v = np.concatenate([v[:i], np.stack([vc, vc]), v[i + 2:]])
    return np.sum(x * x) + np.sum(masses * v * v)


def impact_speed(h0, v0, drag):
    """Speed when a falling body first reaches the ground."""
    y, v = h0, v0
    for _ in range(1000):
        v = v - DT * (GRAVITY + drag * v)
        y = y + DT * v
        if y < 0.0:
            return -v + y / DT
    return 0.0


# ------------------------------------------------------------------ cases

def _leapfrog_args(rng):
    return rng.standard_normal(3), rng.standard_normal(3), 1.3, 20


def _nbody_args(rng):
    pos = rng.standard_normal((4, 3)) + np.arange(4.0)[:, None]
    return pos, rng.uniform(0.5, 1.5, 4)


def _pendulum_args(rng):
    return rng.uniform(-1, 1, 2), rng.uniform(-1, 1, 2), 1.5, 15


def _ball_args(height):
    def make(rng):
        return height, 0.3, 0.8
    return make


def _chain_args(rng):
    return np.cumsum(rng.uniform(0.8, 1.2, 5)), 2.0, 1.0


def _heat_args(rng):
    return np.sin(np.linspace(0, np.pi, 8)) + 0.1 * rng.standard_normal(8), 0.2, 10


def _damped_args(rng):
    return rng.standard_normal(2), rng.standard_normal(2), 0.3


def _rotate_args(rng):
    return rng.standard_normal((5, 2)), rng.uniform(-1, 1, 4)


def _relax_args(rng):
    return rng.standard_normal((4, 2)), rng.standard_normal((4, 2)) * 2.0, 0.8


def _kepler_args(rng):
    return np.array([1.0, 0.1]) + 0.05 * rng.standard_normal(2), \
        np.array([0.05, 1.0]) + 0.05 * rng.standard_normal(2), 1.0


def _drag_args(speed):
    def make(rng):
        direction = np.array([0.6, 0.8])
        return speed * direction, 1.5, 0.4, 0.3
    return make


def _collision_args(rng):
    x = np.array([0.0, 0.3, 1.0, 1.8])
    v = np.array([0.6, -2.0, 0.5, -0.1])
    return x, v, np.array([1.0, 2.0, 1.5, 1.2])


def _impact_args(rng):
    return 1.7, 0.4, 0.2


CASES = [
    Case(leapfrog_spring_energy, _leapfrog_args, (0, 1, 2),
         {'for_range', 'tuple', 'constant', 'docstring'}, order=2,
         float32=True),
    Case(n_body_potential, _nbody_args, (0, 1),
         {'for_range', 'nested_loop', 'augassign'}, order=2),
    Case(pendulum_rk4, _pendulum_args, (0, 1, 2),
         {'for_range', 'helper', 'tuple', 'constant'}),
    # several bounces, one bounce, none
    Case(bouncing_ball, _ball_args(0.45), (0, 1, 2),
         {'for_range', 'if', 'augassign', 'constant'}),
    Case(bouncing_ball, _ball_args(3.1), (0, 1, 2),
         {'for_range', 'if', 'augassign', 'constant'}),
    Case(bouncing_ball, _ball_args(9.0), (0, 1, 2),
         {'for_range', 'if', 'augassign', 'constant'}),
    Case(spring_chain_forces, _chain_args, (0, 1, 2),
         {'for_range', 'augsetitem', 'docstring'}, autograd_ok=False, order=2),
    Case(heat_equation_explicit, _heat_args, (0, 1),
         {'for_range', 'setitem', 'methods'}, autograd_ok=False,
         float32=True),
    Case(damped_energy_history, _damped_args, (0, 1, 2),
         {'for_range', 'append', 'list', 'constant'}),
    Case(rotate_points, _rotate_args, (0, 1), {'for_array', 'tuple'}),
    Case(relax_spring_network, _relax_args, (0, 1, 2),
         {'for_range', 'docstring'}),
    Case(kepler_orbit_energy, _kepler_args, (0, 1, 2),
         {'for_range', 'constant'}, order=2),
    Case(drag_regime_flight, _drag_args(3.0), (0, 1, 2, 3),
         {'for_range', 'if', 'constant', 'docstring'}),
    Case(drag_regime_flight, _drag_args(1.0), (0, 1, 2, 3),
         {'for_range', 'if', 'constant', 'docstring'}),
    Case(inelastic_collisions, _collision_args, (0, 1, 2),
         {'for_range', 'nested_loop', 'if', 'docstring', 'constant'}),
    Case(impact_speed, _impact_args, (0, 1, 2),
         {'for_range', 'if', 'return_in_loop', 'constant', 'docstring'}),
]
