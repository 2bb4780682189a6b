"""Loops keep only what their adjoint reads: memory is steps x (what one step needs).

Measured with tracemalloc (bytes, not time).  The Euler step x <- x - c*k*x
needs, for the gradient w.r.t. k, the state x of every step: one state per
step.  Nothing else may stay alive per step (a value read only for its shape
is saved as a zero-strided stand-in).
"""
import gc
import tracemalloc

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.testing import check_grads

import bench_workloads


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


def damped(q, v, k, steps):
    for _ in range(steps):
        a = -k * q - 0.1 * q ** 3 - 0.2 * v
        q = q + 0.01 * v
        v = v + 0.01 * a
    return np.sum(q * q) + np.sum(v * v)


def test_a_loop_tape_holds_only_what_the_reverse_loop_reads():
    # The adjoint of `v + 0.01 * a` w.r.t. the constant 0.01 would read `a`, and
    # that of `q ** 3` w.r.t. the exponent would read the power; the adjoint of
    # `0.2 * v` needs no v.  All dead: each step saves q, on a list of its own (a
    # list entry a step, no tuple); -k is computed again by the reverse loop.
    grad = sg.grad(damped, wrt=(0, 1, 2))
    q, v = np.ones(1000), np.zeros(1000)
    grad(q, v, 0.5, 3)                  # compile outside the measurement
    source = list(grad._for_shapes.values())[0].generated.source
    assert '_tape_q.append(q' in source
    assert source.count('.append(') == 1, source
    small = peak_bytes(grad, q, v, 0.5, 1000)
    large = peak_bytes(grad, q, v, 0.5, 3000)
    per_step = (large - small) / 2000
    assert q.nbytes <= per_step <= 1.15 * q.nbytes, per_step / q.nbytes


def branchy(x, k, n):
    for i in range(n):
        if i % 2 == 0:
            x = x + 0.1 * x ** 3        # its branch would save the power: dead
        else:
            x = x * k
    return np.sum(x)


def test_a_branch_tape_that_would_hold_only_dead_values_is_left_out():
    grad = sg.grad(branchy, wrt=(0, 1))
    assert '.pop()' not in grad.source and '_tape_power' not in grad.source, grad.source
    x = np.linspace(0.1, 0.3, 4)
    check_grads(branchy, x, 0.9, 5, wrt=(0, 1), order=1)
    check_grads(damped, x, x[::-1].copy(), 0.7, 4, wrt=(0, 1, 2), order=1)


# ---- straight-line code: results written into dead arrays, big arrays released ----

def test_elementwise_gradient_peaks_near_a_careful_hand_written_one():
    # The adjoint writes each result into an array nothing reads afterwards
    # (`dz = dr` then `dz *= 1.0 - t * t`), sums gradient terms into one array,
    # and releases big arrays once dead (`del`): six arrays of the size of w at
    # the peak where the hand-written gradient has five (fourteen before).
    bench = bench_workloads.load()
    w, x, y = bench.elementwise_inputs(np.random.default_rng(0), n=200_000)
    grad = sg.grad(bench.elementwise)
    (expected,) = bench.elementwise_grad(w, x, y)
    np.testing.assert_allclose(grad(w, x, y), expected, rtol=1e-10)
    ours = peak_bytes(grad, w, x, y)
    hand = peak_bytes(bench.elementwise_grad, w, x, y)
    assert ours <= 1.25 * hand, (ours / w.nbytes, hand / w.nbytes)
    source = list(grad._for_shapes.values())[0].generated.source
    assert 'del ' in source, source


def test_small_arrays_are_not_released_line_by_line():
    w = np.linspace(-1.0, 1.0, 100)
    grad = sg.grad(bench_workloads.load().elementwise)
    grad(w, w, w)
    source = list(grad._for_shapes.values())[0].generated.source
    assert 'del ' not in source, source


def mixed(x, w, n, flag):
    a = np.sin(x) * w
    b = a * a
    if flag:
        c = b + 1.0
    else:
        c = b * 2.0
    for _ in range(n):
        c = np.tanh(c) + a
    d = np.exp(-c)
    return np.sum(d * x)


@pytest.mark.parametrize('flag', [True, False])
def test_released_arrays_around_branches_and_loops(flag):
    # big arrays (128 KiB) released between a branch and a loop that read them
    x = np.linspace(-1.0, 1.0, 1 << 14)
    w = np.linspace(0.5, 1.5, 1 << 14)
    grad = sg.grad(mixed, wrt=(0, 1))
    grad(x, w, 3, flag)
    source = list(grad._for_shapes.values())[0].generated.source
    assert 'del ' in source, source
    check_grads(mixed, x, w, 3, flag, wrt=(0, 1), order=1)


def damped_by_hand(q, v, k, steps):
    """damped's gradient as a careful person writes it: each step keeps q and -k."""
    qs, negs = [], []
    for _ in range(steps):
        neg = -k
        a = neg * q - 0.1 * q ** 3 - 0.2 * v
        qs.append(q)
        negs.append(neg)
        q, v = q + 0.01 * v, v + 0.01 * a
    dq, dv, dk = 2.0 * q, 2.0 * v, 0.0
    for q, neg in zip(reversed(qs), reversed(negs)):
        da = 0.01 * dv
        dk -= da @ q
        dq, dv = dq + da * (neg - 0.3 * q * q), dv + 0.01 * dq - 0.2 * da
    return dq, dv, dk


def test_a_step_of_small_states_costs_its_saved_values_and_a_list_entry_each():
    # each saved value on a list of its own, as a careful hand-written loop keeps
    # them: no tuple a step (for small states that tuple was a third more).  The
    # reference is that loop, measured the same way in the same process: a list's
    # growth (and whether the allocator moves it) and NumPy's own small blocks
    # count alike for both, where a figure from sys.getsizeof missed them.
    grad = sg.grad(damped, wrt=(0, 1, 2))
    q, v = np.linspace(0.5, 1.0, 4), np.linspace(-0.5, 0.5, 4)
    check_grads(damped, q, v, 0.5, 5, wrt=(0, 1, 2), order=1)
    for got, want in zip(grad(q, v, 0.5, 50), damped_by_hand(q, v, 0.5, 50)):
        np.testing.assert_allclose(got, want, rtol=1e-12)

    def per_step(fn):
        gc.collect()                    # (empties the free lists of small tuples too)
        small = peak_bytes(fn, q, v, 0.5, 1000)
        gc.collect()
        return (peak_bytes(fn, q, v, 0.5, 4000) - small) / 3000

    generated, by_hand = per_step(grad), per_step(damped_by_hand)
    assert generated <= by_hand + 2 * 8 * 0.25, (generated, by_hand)


def test_pairwise_gradient_holds_few_n_by_n_by_3_arrays():
    # X[:, None, :] - X[None, :, :] has a known shape in the specialisation, so its
    # results are written into and released like any other: at the peak two
    # arrays of the pairwise differences' size (five before).  (A hand-written
    # gradient avoids them algebraically, from the Gram matrix X @ X.T.)
    bench = bench_workloads.load()
    X, eps = bench.pairwise_inputs(np.random.default_rng(0), n=128)
    grad = sg.grad(bench.pairwise)
    (expected,) = bench.pairwise_grad(X, eps)
    np.testing.assert_allclose(grad(X, eps), expected, rtol=1e-9)
    differences = 128 * 128 * 3 * 8
    assert peak_bytes(grad, X, eps) <= 2.6 * differences, peak_bytes(grad, X, eps) / differences
