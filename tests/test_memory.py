"""Loops keep only what their adjoint reads: memory is steps x (what one step needs).

Measured with tracemalloc (bytes, not time).  The Euler step x <- x - c*k*x
needs, for the gradient w.r.t. k, the state x of every step: one state per
step.  Nothing else may stay alive per step (a value read only for its shape
is saved as a zero-strided stand-in).
"""
import tracemalloc

import numpy as np

import s2sgrad as sg


def euler(x, k, steps):
    for _ in range(steps):
        x = x - 0.01 * k * x
    return np.sum(x * x)


def while_euler(x, k, t_end):
    t = 0.0
    while t < t_end:
        x = x - 0.01 * k * x
        t = t + 0.01
    return np.sum(x * x)


def peak_bytes(fn, *args):
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_of_a_long_loop_is_steps_times_one_state():
    grad = sg.grad(euler, wrt=(0, 1))
    x = np.ones(1000)
    grad(x, 0.5, 3)                      # compile outside the measurement
    state = x.nbytes
    small = peak_bytes(grad, x, 0.5, 2000)
    large = peak_bytes(grad, x, 0.5, 10000)
    per_step = (large - small) / 8000
    assert state <= per_step <= 1.15 * state, per_step / state
    assert 4.5 <= large / small <= 5.1


def test_memory_of_a_while_loop_is_steps_times_one_state():
    grad = sg.grad(while_euler, wrt=(0, 1))
    x = np.ones(1000)
    grad(x, 0.5, 0.05)
    state = x.nbytes
    small = peak_bytes(grad, x, 0.5, 20.0)      # 2000 steps
    large = peak_bytes(grad, x, 0.5, 100.0)     # 10000 steps
    per_step = (large - small) / 8000
    assert state <= per_step <= 1.15 * state, per_step / state


def test_the_gradient_is_right_for_the_long_loop():
    x = np.linspace(0.5, 1.5, 7)
    dx, dk = sg.grad(euler, wrt=(0, 1))(x, 0.5, 10000)
    factor = (1 - 0.005) ** 10000
    np.testing.assert_allclose(dx, 2 * x * factor ** 2, rtol=1e-10)
    expected_dk = np.sum(2 * (x * factor) * x * 10000 * (1 - 0.005) ** 9999 * (-0.01))
    np.testing.assert_allclose(dk, expected_dk, rtol=1e-10)
