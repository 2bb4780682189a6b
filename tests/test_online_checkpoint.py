"""`while sg.checkpointed(test, snapshots=s):` -- the online schedule for a loop whose
trip count is known only when it ends (runtime/online.py), and `memory=` budgets
for both checkpointed loops.

Gradients equal the plain while loop's (data-dependent exits) and central
differences; at most s states are kept; the steps run again are measured
against the offline binomial schedule (Revolve) for the trip count that
occurred; peak memory (tracemalloc) stays within the snapshot budget on a
10,000-step loop.
"""
import collections
import gc
import inspect
import math

import numpy as np
import pytest

import s2sgrad as sg
from s2sgrad.runtime import online, revolve
from s2sgrad.testing import check_grads

from test_memory import peak_bytes


# ---- the schedule --------------------------------------------------------------------

def _drive(steps, snapshots):
    """Run the protocol of the generated code with states that name their step.
    Returns the schedule and how often each step was run again."""
    schedule = online._sg_online(snapshots)
    for k in range(steps):
        online._sg_online_offer(schedule, (k,))
        assert len(schedule.kept) <= snapshots
    assert online._sg_online_steps(schedule) == range(steps)
    runs = collections.Counter()
    for t in reversed(range(steps)):
        (state,) = revolve._sg_revolve_restore(schedule, t)
        for u in revolve._sg_revolve_advance(schedule, t):
            revolve._sg_revolve_offer(schedule, u, (state,))
            runs[u] += 1
            state += 1
        assert state == t
    assert sum(runs.values()) == schedule.recomputed
    return schedule, runs


def _offline(steps, snapshots):
    """The steps the binomial schedule runs again when the trip count is known."""
    schedule = revolve._sg_Revolve(range(steps), snapshots)
    for t in range(steps):
        revolve._sg_revolve_offer(schedule, t, (t,))
    for t in reversed(range(steps)):
        revolve._sg_revolve_restore(schedule, t)
        for u in revolve._sg_revolve_advance(schedule, t):
            revolve._sg_revolve_offer(schedule, u, (u,))
    return schedule.recomputed


def _repetitions(steps, snapshots):
    """Revolve's repetition number: the least r with C(s+r, s) >= T."""
    return next(r for r in range(steps + 1) if math.comb(snapshots + r, snapshots) >= steps)


@pytest.mark.parametrize('snapshots', [1, 2, 3, 4, 6, 10])
def test_the_online_schedule_keeps_s_states_and_repeats_a_step_at_most_r_times(snapshots):
    for steps in range(1, 400):
        schedule, runs = _drive(steps, snapshots)
        assert schedule.most_kept <= snapshots
        assert max(runs.values(), default=0) <= _repetitions(steps, snapshots)
        # against the offline optimum for the trip count that occurred: at most 2x
        # (measured: 1.78 at worst, s = 10 and T = 64)
        assert schedule.recomputed <= 2 * max(_offline(steps, snapshots), 1)


def test_the_steps_run_again_are_each_segments_revolve_cost():
    for steps, snapshots in ((57, 4), (300, 5), (1000, 10)):
        schedule, _ = _drive(steps, snapshots)
        starts = sorted(k for k, _ in schedule.levels)
        ends = starts[1:] + [steps]
        assert schedule.recomputed == sum(
            revolve._sg_revolve_cost(b - a, snapshots - i)
            for i, (a, b) in enumerate(zip(starts, ends)))


@pytest.mark.parametrize('steps, ratio', [(1000, 1.19), (10000, 1.05)])
def test_long_loops_run_again_close_to_the_offline_optimum(steps, ratio):
    # measured with 10 snapshots: 3,114 steps against 2,641 offline (1.18) for
    # 1,000 steps; 49,783 against 47,632 (1.045) for 10,000
    schedule, _ = _drive(steps, 10)
    assert schedule.most_kept <= 10
    assert schedule.recomputed <= ratio * _offline(steps, 10)


# ---- gradients: each program and its plain twin -------------------------------------

def until_norm(W, h):
    while sg.checkpointed(np.sum(h * h) < 40.0, snapshots=3):
        h = np.tanh(W @ h) * 1.5 + h
    return np.sum(h ** 2)


def until_norm_plain(W, h):
    while np.sum(h * h) < 40.0:
        h = np.tanh(W @ h) * 1.5 + h
    return np.sum(h ** 2)


def counted(W, h):
    t = 0
    while sg.checkpointed(t < 25, 4):
        h = np.tanh(np.dot(W, h) + 0.1 * t) * 0.5 + 0.5 * h
        t += 1
    return np.sum(np.sin(h))


def counted_plain(W, h):
    t = 0
    while t < 25:
        h = np.tanh(np.dot(W, h) + 0.1 * t) * 0.5 + 0.5 * h
        t += 1
    return np.sum(np.sin(h))


def two_states(W, h):
    c = h * 0.0
    while sg.checkpointed(steps=np.max(np.abs(c)) < 6.0, snapshots=2):
        c = c + np.cos(h) + 0.5
        h = np.tanh(W @ h + 0.1 * c)
    return np.sum(h ** 2) + np.sum(c)


def two_states_plain(W, h):
    c = h * 0.0
    while np.max(np.abs(c)) < 6.0:
        c = c + np.cos(h) + 0.5
        h = np.tanh(W @ h + 0.1 * c)
    return np.sum(h ** 2) + np.sum(c)


@sg.checkpoint
def cell(h, W):
    return np.tanh(W @ h) + h


def helper_in_body(params, h):
    while sg.checkpointed(np.linalg.norm(h) < 8.0, snapshots=5):
        h = cell(h, params['W']) * params['a']
    return np.sum(h)


def helper_in_body_plain(params, h):
    while np.linalg.norm(h) < 8.0:
        h = cell.python_function(h, params['W']) * params['a']
    return np.sum(h)


def inner_loop_and_branch(W, h):
    n = 0.0
    while sg.checkpointed(n < 12.0, snapshots=3):
        for _ in range(2):
            h = np.tanh(W @ h) + 0.1
        if np.sum(h) > 0:
            h = h * 1.1
        else:
            h = np.sin(h)
        n = n + 1.0
    return np.sum(h ** 2)


def inner_loop_and_branch_plain(W, h):
    n = 0.0
    while n < 12.0:
        for _ in range(2):
            h = np.tanh(W @ h) + 0.1
        if np.sum(h) > 0:
            h = h * 1.1
        else:
            h = np.sin(h)
        n = n + 1.0
    return np.sum(h ** 2)


def by_budget(W, h):
    while sg.checkpointed(np.sum(h * h) < 40.0, memory=200):      # 6 states of 4 floats
        h = np.tanh(W @ h) * 1.5 + h
    return np.sum(h ** 2)


def in_epochs(W, h):
    for k in range(3):
        n = 0
        while sg.checkpointed(n < 4 + k, snapshots=2):
            h = np.tanh(W @ h) + 0.1 * k
            n += 1
    return np.sum(h ** 2)


def in_epochs_plain(W, h):
    for k in range(3):
        n = 0
        while n < 4 + k:
            h = np.tanh(W @ h) + 0.1 * k
            n += 1
    return np.sum(h ** 2)


def grow(W, h):
    while sg.checkpointed(np.sum(h * h) < 30.0, memory='1KB'):
        h = h * 1.2 + np.tanh(W @ h)
    return h


def grow_plain(W, h):
    while np.sum(h * h) < 30.0:
        h = h * 1.2 + np.tanh(W @ h)
    return h


def helper_twice(W, h):
    return np.sum(grow(W, h) ** 2) + np.sum(grow(W, h * 0.5))


def helper_twice_plain(W, h):
    return np.sum(grow_plain(W, h) ** 2) + np.sum(grow_plain(W, h * 0.5))


def breaks(W, h):
    while sg.checkpointed(np.sum(h) < 10.0, snapshots=2):
        h = np.tanh(W @ h) + h
        if np.max(h) > 1.5:
            break
        h = h * 1.01
    return np.sum(h ** 2)


def breaks_plain(W, h):
    while np.sum(h) < 10.0:
        h = np.tanh(W @ h) + h
        if np.max(h) > 1.5:
            break
        h = h * 1.01
    return np.sum(h ** 2)


PAIRS = [(until_norm, until_norm_plain), (counted, counted_plain),
         (two_states, two_states_plain), (inner_loop_and_branch, inner_loop_and_branch_plain),
         (by_budget, until_norm_plain), (in_epochs, in_epochs_plain),
         (helper_twice, helper_twice_plain), (breaks, breaks_plain)]


def _args(seed=0, n=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n)) * 0.3, rng.normal(size=n) * 0.5


@pytest.mark.parametrize('fn, plain', PAIRS, ids=[f.__name__ for f, _ in PAIRS])
def test_gradient_equals_the_plain_while_loops(fn, plain):
    for seed in range(4):
        W, h = _args(seed)
        assert fn(W, h) == pytest.approx(plain(W, h), rel=1e-14)
        got = sg.grad(fn, wrt=(0, 1))(W, h)
        want = sg.grad(plain, wrt=(0, 1))(W, h)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-13)


def test_the_exit_depends_on_the_data():
    # the same program runs 0, a few and many steps by its inputs
    W, _ = _args()
    for scale in (10.0, 2.0, 0.3, 0.05):
        h = np.full(4, scale)
        np.testing.assert_allclose(sg.grad(until_norm, wrt=(0, 1))(W, h)[1],
                                   sg.grad(until_norm_plain, wrt=(0, 1))(W, h)[1], rtol=1e-12)


@pytest.mark.parametrize('fn', [until_norm, counted, two_states, inner_loop_and_branch],
                         ids=lambda f: f.__name__)
def test_gradient_matches_central_differences(fn):
    check_grads(fn, *_args(1), wrt=(0, 1), order=1)


def test_parameters_in_a_dict_and_a_checkpointed_helper():
    W, h = _args(2)
    params = {'W': W, 'a': 1.05}
    got = sg.grad(helper_in_body)(params, h)
    want = sg.grad(helper_in_body_plain)(params, h)
    for k in params:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12)
    check_grads(helper_in_body, params, h, order=1)


def test_value_and_grad_vjp_and_gradients_in_a_graph():
    W, h = _args()
    value, g = sg.value_and_grad(until_norm)(W, h)
    assert value == pytest.approx(until_norm_plain(W, h))
    np.testing.assert_allclose(g, sg.grad(until_norm_plain)(W, h), rtol=1e-12)
    out, vjp_fn = sg.vjp(until_norm, W, h)
    np.testing.assert_allclose(vjp_fn(1.0)[0], g, rtol=1e-12)

    @sg.graph
    def in_graph(W, h):
        return sg.gradients(until_norm(W, h), [W])[0]

    np.testing.assert_allclose(in_graph(W, h), g, rtol=1e-12)


def test_outside_a_transform_it_is_the_test():
    assert sg.checkpointed(True, snapshots=2) is True
    assert sg.checkpointed(np.bool_(False), memory='1MB') == np.False_
    assert sg.checkpointed(range(4), memory=10 ** 6) == range(4)
    assert until_norm(*_args()) == until_norm_plain(*_args())
    with pytest.raises(TypeError, match='snapshots= or memory=, one of them'):
        sg.checkpointed(range(3), snapshots=2, memory='1MB')
    with pytest.raises(TypeError, match='snapshots= or memory=, one of them'):
        sg.checkpointed(range(3))
    with pytest.raises(ValueError, match="a string such as '100MB'"):
        sg.checkpointed(range(3), memory='lots')


# ---- a for loop that may break: the online schedule over its range ----------------------

def max_iterations(W, xs, h):
    for t in sg.checkpointed(range(1, len(xs), 2), snapshots=3):
        h = np.tanh(W @ h + xs[t]) + h
        if np.sum(h * h) > 30.0:
            break
    return np.sum(h ** 2)


def max_iterations_plain(W, xs, h):
    for t in range(1, len(xs), 2):
        h = np.tanh(W @ h + xs[t]) + h
        if np.sum(h * h) > 30.0:
            break
    return np.sum(h ** 2)


def until_converged(W, xs, h):
    for k in sg.checkpointed(range(xs.shape[0]), memory='1KB'):
        step = np.tanh(W @ h + 0.01 * xs[k]) - h
        h = h + 0.5 * step
        if np.max(np.abs(step)) < 1e-6:
            break
    return np.sum(h ** 2)


def until_converged_plain(W, xs, h):
    for k in range(xs.shape[0]):
        step = np.tanh(W @ h + 0.01 * xs[k]) - h
        h = h + 0.5 * step
        if np.max(np.abs(step)) < 1e-6:
            break
    return np.sum(h ** 2)


@pytest.mark.parametrize('fn, plain', [(max_iterations, max_iterations_plain),
                                       (until_converged, until_converged_plain)],
                         ids=['max_iterations', 'until_converged'])
def test_a_for_loop_that_breaks_is_on_the_online_schedule(fn, plain):
    rng = np.random.default_rng(0)
    W, xs = rng.normal(size=(4, 4)) * 0.3, rng.normal(size=(60, 4)) * 0.3
    for scale in (0.01, 0.5, 3.0):          # all steps, some, the first only
        h = rng.normal(size=4) * scale
        assert fn(W, xs, h) == plain(W, xs, h)
        for g, w in zip(sg.grad(fn, wrt=(0, 1, 2))(W, xs, h),
                        sg.grad(plain, wrt=(0, 1, 2))(W, xs, h)):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-13)
    check_grads(fn, W, xs, rng.normal(size=4) * 0.5, wrt=(0, 1, 2), order=1)
    src = sg.grad(fn).source
    assert '_sg_online_steps(_schedule, _range)' in src and '_sg_revolve(' not in src


# ---- the generated source ---------------------------------------------------------------

def _line(fn, text):
    lines, start = inspect.getsourcelines(fn)
    return start + next(k for k, line in enumerate(lines) if text in line)


def test_the_source_shows_the_online_schedule():
    src = sg.grad(until_norm).source
    forward, adjoint = src.split('# ---- grad of')
    line = _line(until_norm, 'while sg.checkpointed')
    assert '_schedule = _sg_online(3)' in forward
    assert 'while np.sum(h * h) < 40.0:\n        _sg_online_offer(_schedule, (h,))' in forward
    assert '_steps = _sg_online_steps(_schedule)' in forward
    assert '.append(' not in forward                # no tape
    assert 'for _step in reversed(_steps):' in adjoint
    assert f'# recompute the state from the latest of 3 snapshots (test_online_checkpoint.py:' \
           f'{line}), checkpointed' in adjoint
    assert f'# recompute loop body (test_online_checkpoint.py:{line}), checkpointed' in adjoint
    budget = sg.grad(by_budget).source
    assert '_schedule = _sg_online_within(200, (h,))' in budget
    assert 'the latest of the snapshots that fit in 200' in budget


def test_the_export_is_numpy_only(tmp_path):
    import importlib.util
    W, h = _args()
    path = tmp_path / 'exported.py'
    sg.grad(two_states, wrt=(0, 1)).export(path)
    text = path.read_text()
    assert 'import s2sgrad' not in text and 'class _sg_RevolveOnline' in text
    spec = importlib.util.spec_from_file_location('exported', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for g, w in zip(module.grad_two_states(W, h), sg.grad(two_states, wrt=(0, 1))(W, h)):
        np.testing.assert_array_equal(g, w)


# ---- refusals ------------------------------------------------------------------------

def returns(W, h):
    while sg.checkpointed(np.sum(h) < 10.0, snapshots=2):
        h = np.tanh(W @ h) + h
        if np.max(h) > 3.0:
            return np.sum(h)
    return np.sum(h)


def walrus(W, h):
    while sg.checkpointed((s := np.sum(h)) < 10.0, snapshots=2):
        h = np.tanh(W @ h) + h + s
    return np.sum(h)


def both(W, h):
    while sg.checkpointed(np.sum(h) < 10.0, snapshots=2, memory='1MB'):
        h = np.tanh(W @ h) + h
    return np.sum(h)


def budget_at_run_time(W, h, budget):
    while sg.checkpointed(np.sum(h) < 10.0, memory=budget):
        h = np.tanh(W @ h) + h
    return np.sum(h)


def bad_budget(W, h):
    for t in sg.checkpointed(range(3), memory='ten megabytes'):
        h = np.tanh(W @ h) + h
    return np.sum(h)


@pytest.mark.parametrize('fn, extra, text, message', [
    (returns, (), 'while sg', 'cannot return'),
    (walrus, (), 'while sg', r'cannot bind a name \(:=\)'),
    (both, (), 'while sg', 'a number of snapshots or a memory budget'),
    (budget_at_run_time, ('1MB',), 'while sg', 'known when transforming'),
    (bad_budget, (), 'for t in', "a string such as '100MB'"),
], ids=['return', 'walrus', 'both', 'run time', 'bad budget'])
def test_refused_at_the_line(fn, extra, text, message):
    with pytest.raises(sg.TransformError, match=message) as info:
        sg.grad(fn)(*_args(), *extra)
    assert f'test_online_checkpoint.py:{_line(fn, text)}' in str(info.value)


def tiny_budget(W, h):
    while sg.checkpointed(np.sum(h * h) < 40.0, memory='16B'):
        h = np.tanh(W @ h) * 1.5 + h
    return np.sum(h ** 2)


def test_a_budget_below_one_state_is_a_value_error_at_the_loop():
    with pytest.raises(ValueError, match=r"budget of '16B' holds no state of this loop "
                                         r'\(32 bytes\)') as info:
        sg.grad(tiny_budget)(*_args())
    assert f'test_online_checkpoint.py:{_line(tiny_budget, "while sg")}' in \
        ''.join(getattr(info.value, '__notes__', []))


def test_second_order_through_it_is_refused_at_the_loop():
    W, h = _args()
    first = sg.grad(until_norm)

    def scalar(W):
        return np.sum(first(W, h))

    with pytest.raises(sg.TransformError, match='checkpointed with sg.checkpointed') as err:
        sg.grad(scalar)(W)
    assert f'test_online_checkpoint.py:{_line(until_norm, "while sg")}' in str(err.value)


def ten_steps(W, h):
    for t in sg.checkpointed(range(10), snapshots=3):
        h = np.tanh(W @ h) + 0.1 * t
    return np.sum(h ** 2)


@pytest.mark.parametrize('fn, text', [(until_norm, 'while sg'), (ten_steps, 'for t in')],
                         ids=['while', 'for'])
def test_forward_over_reverse_through_it_is_refused_at_the_loop(fn, text):
    # (what the schedule restores would have no tangent: refused, not a wrong zero)
    W, h = _args()
    first = sg.grad(fn)
    with pytest.raises(sg.TransformError, match='forward mode through the gradient of a loop '
                                                'checkpointed') as err:
        sg.jvp(lambda W: first(W, h), (W,), (W,))
    assert f'test_online_checkpoint.py:{_line(fn, text)}' in str(err.value)


# ---- memory and recomputation on long loops ---------------------------------------------

N, SNAPSHOTS = 1000, 10


def deep(W, h, steps):
    t = 0
    while sg.checkpointed(t < steps, snapshots=SNAPSHOTS):
        a = np.tanh(h * W + 0.001 * t)          # (N,) intermediates
        h = a * a * 0.5 + np.sin(a) * 0.25 + 0.25 * h
        t += 1
    return np.sum(h ** 2)


def deep_plain(W, h, steps):
    t = 0
    while t < steps:
        a = np.tanh(h * W + 0.001 * t)
        h = a * a * 0.5 + np.sin(a) * 0.25 + 0.25 * h
        t += 1
    return np.sum(h ** 2)


def deep_budget(W, h, steps):
    t = 0
    while sg.checkpointed(t < steps, memory='80KB'):      # 10 states of 1,000 floats
        a = np.tanh(h * W + 0.001 * t)
        h = a * a * 0.5 + np.sin(a) * 0.25 + 0.25 * h
        t += 1
    return np.sum(h ** 2)


def deep_for_budget(W, h, steps):
    for t in sg.checkpointed(range(steps), memory='80KB'):
        a = np.tanh(h * W + 0.001 * t)
        h = a * a * 0.5 + np.sin(a) * 0.25 + 0.25 * h
    return np.sum(h ** 2)


@pytest.fixture(scope='module')
def long_inputs():
    rng = np.random.default_rng(0)
    return rng.normal(size=N) * 0.5, rng.normal(size=N)


def _recording(monkeypatch, cls):
    made = []
    original = cls.__init__

    def init(self, *args):
        original(self, *args)
        made.append(self)

    monkeypatch.setattr(cls, '__init__', init)
    return made


@pytest.mark.parametrize('steps', [1000, 10000])
def test_a_long_while_loop_keeps_s_states(long_inputs, steps, monkeypatch):
    # measured, 1,000 floats a state: the plain gradient peaks at 16.3 MB (1,000
    # steps) and 162 MB (10,000), checkpointed at 0.35 and 0.43 MB
    W, h = long_inputs
    g, g_plain = sg.grad(deep, wrt=(0, 1)), sg.grad(deep_plain, wrt=(0, 1))
    made = _recording(monkeypatch, online._sg_RevolveOnline)
    for a, b in zip(g(W, h, steps), g_plain(W, h, steps)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    (schedule,) = made
    assert schedule.most_kept <= SNAPSHOTS
    assert schedule.recomputed <= (1.19 if steps == 1000 else 1.05) * _offline(steps, SNAPSHOTS)
    gc.collect()
    checkpointed = peak_bytes(g, W, h, steps)
    state = N * 8
    # the snapshots, the live arrays of a step and its adjoint, the schedule's plan
    # (a few ints a step, made when the loop ends)
    assert checkpointed < (SNAPSHOTS + 40) * state + 16 * steps, checkpointed
    if steps == 1000:
        assert peak_bytes(g_plain, W, h, steps) > steps * state


@pytest.mark.parametrize('fn', [deep_budget, deep_for_budget], ids=lambda f: f.__name__)
def test_a_memory_budget_bounds_the_snapshots(long_inputs, fn, monkeypatch):
    W, h = long_inputs
    steps = 3000
    g = sg.grad(fn, wrt=(0, 1))
    made = _recording(monkeypatch, revolve._sg_Revolve)
    for a, b in zip(g(W, h, steps), sg.grad(deep_plain, wrt=(0, 1))(W, h, steps)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    (schedule,) = made
    # 80 KB over 8,000 bytes a state (and 8 for the while loop's counter t)
    assert schedule.snapshots == (9 if fn is deep_budget else 10) == schedule.most_kept
    gc.collect()
    peak = peak_bytes(g, W, h, steps)
    # the budget, and what any gradient of this loop holds: the live arrays of a step
    # and its adjoint; the plan: a few ints a step (measured: 358 KB, 3,000 steps)
    assert peak < 80_000 + 35 * N * 8 + 16 * steps, peak


def test_memory_strings():
    assert revolve._sg_bytes('100MB') == 10 ** 8
    assert revolve._sg_bytes('1.5 GiB') == 3 * 2 ** 29
    assert revolve._sg_bytes('512kb') == 512_000
    assert revolve._sg_bytes(4096) == 4096
    for bad in ('0MB', '-1', 'MB', '1 PB', True, 0, 2.5, '1MB\nx'):
        with pytest.raises(ValueError, match='memory must be'):
            revolve._sg_bytes(bad)
    assert revolve._sg_snapshots_within('80KB', (np.zeros(1000), 3)) == 9
